from __future__ import annotations

import os

import appmode
import pytest


def test_production_mode():
    os.environ["APP_MODE"] = "production"
    assert appmode.mode() == "production"
    assert not appmode.debug_enabled()


def test_database_from_environment():
    os.environ.update({"DATABASE_URL": "postgresql://db.internal/shop"})
    assert appmode.database_url().startswith("postgresql://")


def test_log_level_from_environment():
    os.environ.setdefault("APP_LOG_LEVEL", "debug")
    assert appmode.log_level() == "DEBUG"


def test_staging_mode(monkeypatch):
    monkeypatch.setenv("APP_MODE", "staging")
    assert appmode.mode() == "staging"


def test_invalid_mode_rejected(monkeypatch):
    monkeypatch.setenv("APP_MODE", "chaos")
    with pytest.raises(ValueError):
        appmode.mode()


def test_log_level_is_upper_cased(monkeypatch):
    monkeypatch.setenv("APP_LOG_LEVEL", "warning")
    assert appmode.log_level() == "WARNING"
