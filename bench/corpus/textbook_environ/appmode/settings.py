"""Settings from the environment, with development defaults."""

from __future__ import annotations

import os

MODES = ("development", "staging", "production")


def mode() -> str:
    value = os.environ.get("APP_MODE", "development")
    if value not in MODES:
        raise ValueError(f"APP_MODE must be one of {MODES}, not {value!r}")
    return value


def debug_enabled() -> bool:
    return mode() == "development"


def database_url() -> str:
    return os.environ.get("DATABASE_URL", "sqlite:///dev.db")


def log_level() -> str:
    return os.environ.get("APP_LOG_LEVEL", "info").upper()


def settings() -> dict[str, object]:
    return {
        "mode": mode(),
        "debug": debug_enabled(),
        "database_url": database_url(),
        "log_level": log_level(),
    }
