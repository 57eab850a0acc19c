"""The process-wide unit settings."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

SYSTEMS = ("metric", "imperial")


@dataclass
class Settings:
    system: str = "metric"
    precision: int = 2


SETTINGS = Settings()


def use_system(name: str) -> None:
    """Make ``name`` the default unit system of every formatter."""
    if name not in SYSTEMS:
        raise ValueError(f"unknown unit system {name!r}; expected one of {SYSTEMS}")
    SETTINGS.system = name


def set_precision(digits: int) -> None:
    if not 0 <= digits <= 6:
        raise ValueError("precision must be between 0 and 6 digits")
    SETTINGS.precision = digits


@contextlib.contextmanager
def system(name: str) -> Iterator[None]:
    """``use_system(name)`` for the duration of a block."""
    before = SETTINGS.system
    use_system(name)
    try:
        yield
    finally:
        SETTINGS.system = before


def resolve(name: str | None) -> str:
    if name is None:
        return SETTINGS.system
    if name not in SYSTEMS:
        raise ValueError(f"unknown unit system {name!r}")
    return name
