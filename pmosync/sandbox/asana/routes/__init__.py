"""Every endpoint the Asana sandbox serves, in matching order."""

from pmosync.sandbox.asana.routes import directory, feed, projects, tasks, tracking
from pmosync.sandbox.asana.routing import Route

ROUTES: tuple[Route, ...] = (
    *directory.ROUTES,
    *projects.ROUTES,
    *tasks.ROUTES,
    *tracking.ROUTES,
    *feed.ROUTES,
)
