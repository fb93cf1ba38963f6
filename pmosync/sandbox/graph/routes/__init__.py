"""Every endpoint the Graph sandbox serves, in matching order."""

from pmosync.sandbox.graph.routes import directory, drives, lists, mail, planner, planner_writes
from pmosync.sandbox.graph.routing import Route

ROUTES: tuple[Route, ...] = (
    *directory.ROUTES,
    *planner.ROUTES,
    *planner_writes.ROUTES,
    *drives.ROUTES,
    *lists.ROUTES,
    *mail.ROUTES,
)
