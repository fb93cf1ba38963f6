"""``POST /batch``: the request shape (BatchRequest, at most ten actions) and the answer shape
(one BatchResponse per action, in order).

Each action is run by the server as a request of its own (gates, scopes, plan, quota and
accounting), so a batch saves round trips, not quota: Asana counts every action against the
rate limit. A malformed action makes the whole batch a 400, as the schema check does at Asana;
an action that fails (404, 403, 429 ...) fails alone, inside a 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from pmosync.sandbox.asana.errors import bad_request

MAX_ACTIONS = 10
METHODS = ("get", "post", "put", "delete", "patch", "head")
_QUERY_METHODS = ("get", "delete", "head")


@dataclass(frozen=True)
class Action:
    method: str
    """Upper case, as the router matches it."""
    path: str
    pairs: list[tuple[str, str]]
    body: Any


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _options(name: str, options: Any) -> list[tuple[str, str]]:
    """``limit``, ``offset`` and ``fields`` (or ``opt_fields``) as query parameters."""
    if options is None:
        return []
    if not isinstance(options, dict):
        raise bad_request(f"{name}.options: Must be an object")
    pairs = [(key, _query_value(options[key])) for key in ("limit", "offset") if key in options]
    for key in ("fields", "opt_fields"):
        if options.get(key) is not None:
            pairs.append(("opt_fields", _query_value(options[key])))
    return pairs


def _action(i: int, raw: Any) -> Action:
    name = f"actions[{i}]"
    if not isinstance(raw, dict):
        raise bad_request(f"{name}: Must be an object")
    relative = raw.get("relative_path")
    if not isinstance(relative, str) or not relative.startswith("/"):
        raise bad_request(f"{name}.relative_path: Missing input (a path such as /tasks/123)")
    method = raw.get("method")
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise bad_request(f"{name}.method: Must be one of {', '.join(METHODS)}, got {method!r}")
    method = method.lower()
    data = raw.get("data")
    if data is not None and not isinstance(data, dict):
        raise bad_request(f"{name}.data: Must be an object")
    path, _, query = relative.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    body: Any = None
    if method in _QUERY_METHODS:
        pairs += [(key, _query_value(value)) for key, value in (data or {}).items()]
    elif data is not None:
        body = {"data": data}
    pairs += _options(name, raw.get("options"))
    return Action(method.upper(), path, pairs, body)


def parse(body: Any) -> list[Action]:
    """The actions of a batch request body; a 400 naming what is wrong otherwise."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise bad_request('Request body must be a JSON object with a "data" object')
    actions = body["data"].get("actions")
    if not isinstance(actions, list) or not actions:
        raise bad_request("actions: Missing input")
    if len(actions) > MAX_ACTIONS:
        raise bad_request(
            f"actions: A batch request may contain at most {MAX_ACTIONS} actions, "
            f"got {len(actions)}"
        )
    return [_action(i, raw) for i, raw in enumerate(actions)]


def result(status: int, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """One BatchResponse: a created resource's ``location`` header as Asana sends it."""
    out = dict(headers)
    data = body.get("data")
    if status == 201 and isinstance(data, dict) and data.get("gid"):
        kind = {"story": "stories"}.get(data.get("resource_type", ""))
        kind = kind or f"{data.get('resource_type', 'resource')}s"
        out["location"] = f"/{kind}/{data['gid']}"
    return {"status_code": status, "headers": out, "body": body}
