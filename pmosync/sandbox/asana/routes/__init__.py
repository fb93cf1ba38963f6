"""Every endpoint the Asana sandbox serves, in matching order."""

from pmosync.sandbox.asana.call import Call, Reply
from pmosync.sandbox.asana.errors import ApiError
from pmosync.sandbox.asana.routes import directory, feed, projects, stories, tasks, tracking
from pmosync.sandbox.asana.routing import Route


def _batch(call: Call) -> Reply:
    """Never called: the server runs ``POST /batch`` action by action (see asana.batch); the
    route exists so the envelope is matched, gated and counted like any endpoint."""
    raise ApiError(500, "POST /batch reached a route handler")


ROUTES: tuple[Route, ...] = (
    *directory.ROUTES,
    *projects.ROUTES,
    *tasks.ROUTES,
    *stories.ROUTES,
    *tracking.ROUTES,
    *feed.ROUTES,
    Route("POST", "/batch", _batch),
)
