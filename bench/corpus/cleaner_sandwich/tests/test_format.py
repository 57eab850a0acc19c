from __future__ import annotations

import pytest
import unitconv


def test_format_length_default_system():
    assert unitconv.format_length(3) == "3.00 m"


@pytest.mark.parametrize(
    ("metres", "system", "text"),
    [
        (1, "metric", "1.00 m"),
        (1, "imperial", "3.28 ft"),
        (0, "imperial", "0.00 ft"),
        (2.5, "metric", "2.50 m"),
        (-1, "imperial", "-3.28 ft"),
    ],
)
def test_format_length(metres, system, text):
    assert unitconv.format_length(metres, system) == text


@pytest.mark.parametrize(
    ("celsius", "system", "text"),
    [(0, "metric", "0.00 °C"), (0, "imperial", "32.00 °F"), (100, "imperial", "212.00 °F")],
)
def test_format_temperature(celsius, system, text):
    assert unitconv.format_temperature(celsius, system) == text


def test_format_rejects_unknown_system():
    with pytest.raises(ValueError):
        unitconv.format_length(1, "nautical")


def test_precision_context():
    before = unitconv.SETTINGS.precision
    unitconv.set_precision(0)
    try:
        assert unitconv.format_length(2.4, "metric") == "2 m"
    finally:
        unitconv.set_precision(before)
