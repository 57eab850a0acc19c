"""Temperatures: Celsius and Fahrenheit."""

from __future__ import annotations

import re

from unitconv.config import SETTINGS, resolve

_TEMPERATURE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*°?\s*([CF])\s*$")


def format_temperature(celsius: float, system: str | None = None) -> str:
    if resolve(system) == "imperial":
        return f"{celsius * 9 / 5 + 32:.{SETTINGS.precision}f} °F"
    return f"{celsius:.{SETTINGS.precision}f} °C"


def parse_temperature(text: str) -> float:
    """``"70 °F"`` → degrees Celsius."""
    found = _TEMPERATURE.match(text)
    if not found:
        raise ValueError(f"not a temperature: {text!r}")
    value = float(found.group(1))
    return (value - 32) * 5 / 9 if found.group(2) == "F" else value
