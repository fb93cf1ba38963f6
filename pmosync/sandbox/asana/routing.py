"""Route templates (as the spec spells them) matched against request paths."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pmosync.sandbox.asana.call import Call, Reply

Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    """An endpoint; ``premium`` endpoints answer 402 on a free workspace."""

    method: str
    template: str
    handler: Handler
    premium: bool = False
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template}"


class Router:
    """First match wins; literal segments are listed before templated ones where they clash."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
        return None, {}
