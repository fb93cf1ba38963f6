"""GET /events: the sync-token feed of a project or task."""

from __future__ import annotations

from pmosync.sandbox.asana.call import Call, Reply
from pmosync.sandbox.asana.events import events_since
from pmosync.sandbox.asana.routing import Route


def get_events(call: Call) -> Reply:
    resource = call.gid_param("resource", required=True) or ""
    if resource in call.org.tasks:
        call.task(resource, "resource")
    else:
        call.project(resource, "resource")
    user = call.env.renderer.render("user", call.org.people[call.user_gid])
    body = events_since(call.org, call.env.syncs, resource, call.param("sync"), user)
    if call.env.endless_events is not None:  # a feed that never ends (a fault mode)
        body["has_more"] = True
        if call.env.endless_events == "same":
            body["sync"] = call.param("sync") or body["sync"]
    return 200, body


ROUTES = (Route("GET", "/events", get_events),)
