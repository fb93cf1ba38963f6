"""Endpoints as segment templates, matched against decoded path segments.

Templates spell placeholders ``{name}``; a placeholder matches exactly one segment (a colon
address such as ``root:/a/b`` is one segment after :func:`paths.split_path`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pmosync.sandbox.graph.auth import Access

if TYPE_CHECKING:
    from pmosync.sandbox.graph.call import Call, Reply

Handler = Callable[["Call"], "Reply"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    access: Access
    parts: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(s for s in self.template.split("/") if s))

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template}"

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.parts):
            return None
        args: dict[str, str] = {}
        for part, segment in zip(self.parts, segments, strict=True):
            if part.startswith("{"):
                args[part[1:-1]] = segment
            elif part != segment:
                return None
        return args


class Router:
    """First match wins: literal segments are listed before placeholders where they clash."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)

    def match(self, method: str, segments: list[str]) -> tuple[Route | None, dict[str, str], bool]:
        """(route, args, path_known): ``path_known`` says another method would have matched."""
        path_known = False
        for route in self.routes:
            args = route.match(segments)
            if args is None:
                continue
            if route.method == method:
                return route, args, True
            path_known = True
        return None, {}, path_known
