"""The application object: its built-in routes and its use of services."""

from __future__ import annotations

from typing import Any

from routekit.routing import Router
from routekit.services import Services

VERSION = "1.4.2"


class App:
    def __init__(self) -> None:
        self.router = Router()
        self.router.register(self.health, "/health")
        self.router.register(self.version, "/version")
        self.started = Services.get("clock")

    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    def version(self) -> dict[str, Any]:
        return {"version": VERSION}

    def uptime(self) -> float:
        return Services.get("clock") - self.started

    def handle(self, path: str, method: str = "GET") -> Any:
        return self.router.dispatch(path, method)
