"""appmode: the application's settings, read from environment variables."""

from __future__ import annotations

from appmode.settings import database_url, debug_enabled, log_level, mode, settings

__all__ = ["database_url", "debug_enabled", "log_level", "mode", "settings"]
