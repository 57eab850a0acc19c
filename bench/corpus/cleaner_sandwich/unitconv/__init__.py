"""unitconv: format and parse lengths and temperatures in the metric or imperial system."""

from __future__ import annotations

from unitconv.config import SETTINGS, SYSTEMS, set_precision, system, use_system
from unitconv.lengths import format_length, parse_length
from unitconv.temperature import format_temperature, parse_temperature

__all__ = [
    "SETTINGS",
    "SYSTEMS",
    "format_length",
    "format_temperature",
    "parse_length",
    "parse_temperature",
    "set_precision",
    "system",
    "use_system",
]
