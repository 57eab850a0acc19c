from __future__ import annotations

import appmode
import pytest
from appmode.settings import MODES


def test_modes_are_ordered_by_strictness():
    assert MODES == ("development", "staging", "production")


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_is_accepted(monkeypatch, mode):
    monkeypatch.setenv("APP_MODE", mode)
    assert appmode.settings()["mode"] == mode


@pytest.mark.parametrize(("mode", "debug"), [("staging", False), ("production", False)])
def test_debug_off_outside_development(monkeypatch, mode, debug):
    monkeypatch.setenv("APP_MODE", mode)
    assert appmode.debug_enabled() is debug


def test_settings_values_are_plain(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    assert appmode.settings()["database_url"] == "sqlite:///:memory:"


def test_missing_variable_falls_back(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert appmode.database_url() == "sqlite:///dev.db"
