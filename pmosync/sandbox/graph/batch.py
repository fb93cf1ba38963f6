"""JSON batching (``POST /$batch``): up to 20 requests in one, each run like a request of its own.

Every item passes the same gates as a standalone request (token, per-item throttling, faults,
route, permissions), so one batch can hold successes next to 403s, 404s and 429s. ``dependsOn``
orders items; an item whose dependency failed gets 424 without running. Binary bodies travel
base64-encoded, as Graph sends them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pmosync.sandbox.graph.call import Reply
from pmosync.sandbox.graph.errors import bad_request

MAX_ITEMS = 20
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Item:
    id: str
    method: str
    path: str
    """Raw path below the version prefix, starting with ``/``."""
    query: str
    headers: dict[str, str]
    body: bytes
    depends_on: tuple[str, ...]


# Runs one item through the server's gates and router; errors come back as replies.
Runner = Callable[[Item], Reply]


def parse(raw: bytes) -> tuple[list[Item], list[str]]:
    """(items in an order that runs dependencies first, ids as the client listed them);
    400 for a bad batch."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise bad_request("Invalid batch payload: the body is not JSON.") from None
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        raise bad_request('Invalid batch payload: expected {"requests": [ ... ]}.')
    if len(requests) > MAX_ITEMS:
        raise bad_request(
            f"Number of batch request steps exceeds the maximum value of {MAX_ITEMS}."
        )
    items = [_item(entry) for entry in requests]
    seen: set[str] = set()
    for item in items:
        if item.id.lower() in seen:
            raise bad_request(f"Batch request contains duplicate request id '{item.id}'.")
        seen.add(item.id.lower())
    for item in items:
        for dependency in item.depends_on:
            if dependency.lower() not in seen or dependency.lower() == item.id.lower():
                raise bad_request(
                    f"Request '{item.id}' depends on '{dependency}', which is not another request "
                    "of this batch."
                )
    return _ordered(items), [item.id for item in items]


def _item(entry: Any) -> Item:
    if not isinstance(entry, dict):
        raise bad_request("Every batch request must be an object.")
    item_id, method, url = entry.get("id"), entry.get("method"), entry.get("url")
    if not isinstance(item_id, str) or not item_id:
        raise bad_request("Every batch request needs a string id.")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise bad_request(f"Request '{item_id}' has no valid method.")
    if not isinstance(url, str) or not url:
        raise bad_request(f"Request '{item_id}' has no url.")
    headers = entry.get("headers") or {}
    if not isinstance(headers, dict):
        raise bad_request(f"Request '{item_id}': headers must be an object.")
    headers = {str(k): str(v) for k, v in headers.items()}
    depends = entry.get("dependsOn") or []
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise bad_request(f"Request '{item_id}': dependsOn must be a list of request ids.")
    path, query = _relative(url)
    return Item(
        item_id,
        method.upper(),
        path,
        query,
        headers,
        _body(item_id, entry, headers),
        tuple(depends),
    )


def _relative(url: str) -> tuple[str, str]:
    """``/users?x``, ``users?x`` or an absolute Graph URL -> ("/users", "x")."""
    parts = urlsplit(url)
    path = parts.path
    if parts.scheme:
        marker = path.find("/v1.0/")
        path = path[marker + len("/v1.0") :] if marker >= 0 else path
    return "/" + path.lstrip("/"), parts.query


def _body(item_id: str, entry: dict[str, Any], headers: dict[str, str]) -> bytes:
    if "body" not in entry or entry["body"] is None:
        return b""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if content_type is None:
        raise bad_request(f"Request '{item_id}' has a body but no Content-Type header.")
    body = entry["body"]
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode()
    if isinstance(body, str):
        if "json" in content_type.lower():
            return body.encode()
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise bad_request(f"Request '{item_id}': a non-JSON body must be base64.") from None
    raise bad_request(f"Request '{item_id}': body must be JSON or a base64 string.")


def _ordered(items: list[Item]) -> list[Item]:
    """Dependencies before dependants (otherwise in request order); 400 for a cycle."""
    done: set[str] = set()
    out: list[Item] = []
    pending = list(items)
    while pending:
        ready = [i for i in pending if all(d.lower() in done for d in i.depends_on)]
        if not ready:
            raise bad_request("The dependsOn references of this batch form a cycle.")
        for item in ready:
            done.add(item.id.lower())
            out.append(item)
        pending = [i for i in pending if i.id.lower() not in done]
    return out


def run(items: list[Item], runner: Runner, order: list[str]) -> dict[str, Any]:
    """Run items (dependencies first) and answer in the order the client sent them."""
    statuses: dict[str, int] = {}
    responses: dict[str, dict[str, Any]] = {}
    for item in items:
        failed = [d for d in item.depends_on if not 200 <= statuses[d.lower()] < 300]
        if failed:
            reply = Reply(
                424,
                {
                    "error": {
                        "code": "FailedDependency",
                        "message": f"Request depends on '{failed[0]}', which failed.",
                    }
                },
            )
        else:
            reply = runner(item)
        statuses[item.id.lower()] = reply.status
        responses[item.id.lower()] = _response(item.id, reply)
    return {"responses": [responses[key.lower()] for key in order]}


def _response(item_id: str, reply: Reply) -> dict[str, Any]:
    headers = dict(reply.headers)
    out: dict[str, Any] = {"id": item_id, "status": reply.status, "headers": headers}
    if isinstance(reply.body, dict):
        headers.setdefault("Content-Type", "application/json")
        out["body"] = reply.body
    elif isinstance(reply.body, bytes):
        headers.setdefault("Content-Type", "application/octet-stream")
        out["body"] = base64.b64encode(reply.body).decode()
    return out
