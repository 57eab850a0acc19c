from __future__ import annotations

import pytest
import unitconv


def test_systems_listed():
    assert unitconv.SYSTEMS == ("metric", "imperial")


def test_use_unknown_system_raises():
    with pytest.raises(ValueError, match="unknown unit system"):
        unitconv.use_system("nautical")


def test_system_context_restores():
    before = unitconv.SETTINGS.system
    with unitconv.system("imperial"):
        assert unitconv.format_temperature(100) == "212.00 °F"
    assert unitconv.SETTINGS.system == before


def test_use_imperial():
    unitconv.use_system("imperial")
    assert unitconv.format_length(1) == "3.28 ft"


def test_precision_bounds():
    with pytest.raises(ValueError):
        unitconv.set_precision(9)
