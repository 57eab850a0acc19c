from __future__ import annotations

import time

import pytest
from routekit import ServiceError, Services


def test_default_services():
    assert Services.names() == ["clock", "settings"]


def test_clock_is_wall_time():
    assert abs(Services.get("clock") - time.time()) < 5


def test_settings_are_fresh_dicts():
    assert Services.get("settings") is not Services.get("settings")


def test_unknown_service_raises():
    with pytest.raises(ServiceError):
        Services.get("database")


def test_register_service():
    Services.register("mailer", lambda: "smtp://localhost")
    assert Services.get("mailer") == "smtp://localhost"


def test_register_duplicate_raises():
    Services.register("cache", dict)
    with pytest.raises(ServiceError):
        Services.register("cache", list)


def test_replace_service():
    Services.register("clock", lambda: 1_000.0, replace=True)
    assert Services.get("clock") == 1_000.0
