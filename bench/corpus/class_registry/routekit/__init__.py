"""routekit: a micro web toolkit — a router, an event broker and a service locator."""

from __future__ import annotations

from routekit.app import App
from routekit.events import Broker
from routekit.routing import Route, RouteError, Router
from routekit.services import ServiceError, Services

__all__ = ["App", "Broker", "Route", "RouteError", "Router", "ServiceError", "Services"]
