"""The library's logger and the switch that makes it talk."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

logger = logging.getLogger("syncer")
FORMAT = "syncer %(levelname)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``set_verbosity`` installs (once)."""


def _level(level: str | int) -> int:
    if isinstance(level, int) and logging.getLevelName(level) in LEVELS:
        return level
    if isinstance(level, str) and level.upper() in LEVELS:
        return logging.getLevelName(level.upper())  # type: ignore[no-any-return]
    raise ValueError(f"unknown verbosity {level!r}; expected one of {', '.join(LEVELS)}")


def set_verbosity(level: str | int) -> None:
    """Log at ``level`` and above, to stderr."""
    logger.setLevel(_level(level))
    if not any(isinstance(h, _ConsoleHandler) for h in logger.handlers):
        handler = _ConsoleHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)


def quiet() -> None:
    set_verbosity("ERROR")


def get_verbosity() -> str:
    return logging.getLevelName(logger.getEffectiveLevel())  # type: ignore[no-any-return]


@contextlib.contextmanager
def verbosity(level: str | int) -> Iterator[None]:
    """``set_verbosity`` for a block; the previous level and handlers come back after it."""
    level_before, handlers_before = logger.level, list(logger.handlers)
    set_verbosity(level)
    try:
        yield
    finally:
        logger.setLevel(level_before)
        for handler in logger.handlers[:]:
            if handler not in handlers_before:
                logger.removeHandler(handler)
