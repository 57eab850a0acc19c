"""URL routing. Every ``Router`` reads and writes one route table, kept on the class."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

Handler = Callable[..., Any]
_PARAM = re.compile(r"<([a-z_]+)>")


class RouteError(LookupError):
    """A bad route, or no route for a request."""


@dataclass(frozen=True)
class Route:
    path: str
    handler: Handler
    methods: frozenset[str]

    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + _PARAM.sub(r"(?P<\1>[^/]+)", self.path) + "$")


class Router:
    _routes: ClassVar[dict[str, Route]] = {}

    def register(self, handler: Handler, path: str, methods: Iterable[str] = ("GET",)) -> Route:
        if not callable(handler):
            raise RouteError(f"handler for {path!r} is not callable: {handler!r}")
        if not path.startswith("/"):
            raise RouteError(f"path must start with '/': {path!r}")
        route = Route(path, handler, frozenset(m.upper() for m in methods))
        self._routes[path] = route
        return route

    def route(self, path: str, methods: Iterable[str] = ("GET",)) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.register(handler, path, methods)
            return handler

        return decorate

    def match(self, path: str, method: str = "GET") -> tuple[Route, dict[str, str]]:
        for route in self._routes.values():
            found = route.pattern().match(path)
            if found:
                if method.upper() not in route.methods:
                    raise RouteError(f"{method} not allowed on {route.path}")
                return route, found.groupdict()
        raise RouteError(f"no route for {path}")

    def dispatch(self, path: str, method: str = "GET") -> Any:
        route, params = self.match(path, method)
        return route.handler(**params)

    def paths(self) -> list[str]:
        return sorted(self._routes)

    def __len__(self) -> int:
        return len(self._routes)

    @classmethod
    def reset(cls) -> None:
        cls._routes.clear()
