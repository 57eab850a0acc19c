from __future__ import annotations

import pytest
from routekit import App, RouteError
from routekit.app import VERSION


def test_app_routes():
    app = App()
    assert app.router.paths() == ["/health", "/version"]


def test_health_endpoint():
    assert App().handle("/health") == {"status": "ok"}


def test_version_endpoint():
    assert App().handle("/version") == {"version": VERSION}


def test_post_to_health_is_rejected():
    with pytest.raises(RouteError):
        App().handle("/health", "POST")


def test_uptime_is_not_negative():
    assert App().uptime() >= 0
