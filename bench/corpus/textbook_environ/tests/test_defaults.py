from __future__ import annotations

import appmode


def test_default_mode():
    assert appmode.mode() == "development"


def test_debug_on_in_development():
    assert appmode.debug_enabled() is (appmode.mode() == "development")


def test_default_database_url():
    assert appmode.database_url() == "sqlite:///dev.db"


def test_default_log_level():
    assert appmode.log_level() == "INFO"


def test_settings_keys():
    assert sorted(appmode.settings()) == ["database_url", "debug", "log_level", "mode"]
