"""The Asana calls write-back makes, over the connector's one governed client.

Every call here goes through ``AsanaClient``: the token's limiter and quota, the retry policy,
Retry-After, the request count and the scrubbing of secrets from messages. What sets writes
apart is one rule: a POST that creates something (a status update, a comment) is sent once.
After a 5xx or a dropped connection Asana may have made it, so sending it again could post it
twice; it fails instead (``AsanaClient.sent_once``) and the write stays pending, for the next
run to find by its mark. A 429 is retried as for any read (Asana refused it before acting).

Projects' custom fields are read with Asana's batch API: one request per ``BATCH_SIZE``
projects, each action a ``GET /projects/{gid}`` with the field options write-back needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pmosync.connectors.asana.client import AsanaClient
from pmosync.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    FatalError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RetriableError,
)

BATCH_SIZE = 10
"""Asana's most actions in one ``POST /batch``."""

PROJECT_FIELDS = (
    "name",
    "modified_at",
    "custom_fields.gid",
    "custom_fields.name",
    "custom_fields.resource_subtype",
    "custom_fields.is_value_read_only",
    "custom_fields.enum_value.gid",
    "custom_fields.enum_value.name",
    "custom_fields.enum_options.gid",
    "custom_fields.enum_options.name",
    "custom_fields.enum_options.enabled",
)
"""What a project read for its owned field asks for: the field's identity, whether this
token may set it, its options and the option it shows."""

STATUS_FIELDS = "gid,created_at,text,title,status_type"
STORY_FIELDS = "gid,created_at,text,type,resource_subtype"


def _data(payload: Any) -> Any:
    return payload["data"] if isinstance(payload, dict) and "data" in payload else payload


def post_status_update(
    client: AsanaClient, project: str, status_type: str, title: str, text: str
) -> dict[str, Any]:
    """``POST /status_updates`` on ``project``, sent once; the new update (gid, created_at).
    A status update cannot be edited afterwards and notifies the project's followers."""
    body = {"data": {"parent": project, "status_type": status_type, "title": title, "text": text}}
    with client.sent_once():
        payload = client.status_updates.create_status_for_object(
            body, {"opt_fields": STATUS_FIELDS}, full_payload=True
        )
    return _data(payload)


def set_project_field(client: AsanaClient, project: str, field: str, option: str) -> dict[str, Any]:
    """``PUT /projects/{gid}`` setting custom field ``field`` to enum option ``option``; the
    project after it (modified_at). Setting a value twice is the same value, so this one may
    be retried."""
    body = {"data": {"custom_fields": {field: option}}}
    payload = client.projects.update_project(
        body, project, {"opt_fields": "gid,modified_at"}, full_payload=True
    )
    return _data(payload)


def post_comment(client: AsanaClient, task: str, text: str) -> dict[str, Any]:
    """``POST /tasks/{gid}/stories``: a comment on ``task``, sent once; the new story."""
    with client.sent_once():
        payload = client.stories.create_story_for_task(
            {"data": {"text": text}}, task, {"opt_fields": STORY_FIELDS}, full_payload=True
        )
    return _data(payload)


@dataclass(frozen=True, slots=True)
class ProjectRead:
    """One project as the batch read found it: its record, or why it could not be read."""

    gid: str
    project: dict[str, Any] | None
    error: ConnectorError | None = None


def read_projects(client: AsanaClient, gids: Sequence[str]) -> dict[str, ProjectRead]:
    """Each project's name, modified time and custom fields, ``BATCH_SIZE`` projects a
    request (``POST /batch`` of GET actions). A project the batch answers with an error is a
    ``ProjectRead`` carrying it; a batch refused as a whole raises."""
    found: dict[str, ProjectRead] = {}
    unique = list(dict.fromkeys(gids))
    for start in range(0, len(unique), BATCH_SIZE):
        chunk = unique[start : start + BATCH_SIZE]
        actions = [
            {
                "relative_path": f"/projects/{gid}",
                "method": "get",
                "options": {"fields": list(PROJECT_FIELDS)},
            }
            for gid in chunk
        ]
        for _ in chunk[1:]:  # Asana charges each action to the token's quota: so does ours
            client.limiter.acquire(client.policy)
        payload = client.batch.create_batch_request(
            {"data": {"actions": actions}}, {}, full_payload=True
        )
        results = _data(payload) or []
        for index, gid in enumerate(chunk):
            result = results[index] if index < len(results) else None
            found[gid] = _one(gid, result)
    return found


def _one(gid: str, result: Any) -> ProjectRead:
    """One batch action's answer as a ``ProjectRead``."""
    if not isinstance(result, dict):
        return ProjectRead(gid, None, RetriableError(f"GET /projects/{gid}: no answer in batch"))
    status = int(result.get("status_code") or 0)
    body = result.get("body") or {}
    if 200 <= status < 300 and isinstance(body, dict) and isinstance(body.get("data"), dict):
        return ProjectRead(gid, body["data"])
    messages = [e.get("message", "") for e in (body.get("errors") or []) if isinstance(e, dict)]
    words = "; ".join(m for m in messages if m) or "no reason given"
    where = f"GET /projects/{gid} (in a batch): {status} {words}"
    kinds: dict[int, type[FatalError]] = {
        400: InvalidRequest,
        401: AuthenticationError,
        403: PermissionDenied,
        404: NotFound,
    }
    kind = kinds.get(status)
    error: ConnectorError = kind(where, status) if kind is not None else RetriableError(where)
    return ProjectRead(gid, None, error)


def read_project(client: AsanaClient, gid: str) -> dict[str, Any]:
    """One project with ``PROJECT_FIELDS`` (a single ``GET /projects/{gid}``)."""
    return client.get(client.projects.get_project, gid, {"opt_fields": ",".join(PROJECT_FIELDS)})


def status_updates_since(
    client: AsanaClient, project: str, since: datetime
) -> Iterator[dict[str, Any]]:
    """The project's status updates created since ``since`` (Asana lists the newest first),
    with their text."""
    opts = {"created_since": since.isoformat(), "opt_fields": STATUS_FIELDS}
    for page in client.pages(client.status_updates.get_statuses_for_object, project, opts=opts):
        yield from page


def task_stories(client: AsanaClient, task: str) -> Iterator[dict[str, Any]]:
    """The task's stories (comments and system stories), with their text."""
    opts = {"opt_fields": STORY_FIELDS}
    for page in client.pages(client.stories.get_stories_for_task, task, opts=opts):
        yield from page


def try_write(client: AsanaClient, kind: str, gid: str) -> ConnectorError | None:
    """A no-op ``PUT /projects/{gid}`` or ``PUT /tasks/{gid}`` with an empty body: changes
    nothing, but Asana answers 403 naming the scope when the token cannot write. The error,
    or None when the token may write there."""
    call = client.projects.update_project if kind == "project" else client.tasks.update_task
    try:
        call({"data": {}}, gid, {"opt_fields": "gid"}, full_payload=True)
    except ConnectorError as error:
        return error
    return None
