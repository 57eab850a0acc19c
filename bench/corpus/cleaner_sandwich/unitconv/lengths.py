"""Lengths: metres and feet."""

from __future__ import annotations

import re

from unitconv.config import SETTINGS, resolve

FEET_PER_METRE = 3.280839895
_LENGTH = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(m|cm|km|ft|in|mi)\s*$")
_TO_METRES = {"m": 1.0, "cm": 0.01, "km": 1000.0, "ft": 0.3048, "in": 0.0254, "mi": 1609.344}


def format_length(metres: float, system: str | None = None) -> str:
    if resolve(system) == "imperial":
        return f"{metres * FEET_PER_METRE:.{SETTINGS.precision}f} ft"
    return f"{metres:.{SETTINGS.precision}f} m"


def parse_length(text: str) -> float:
    """``"3 ft"`` → metres."""
    found = _LENGTH.match(text)
    if not found:
        raise ValueError(f"not a length: {text!r}")
    return float(found.group(1)) * _TO_METRES[found.group(2)]
