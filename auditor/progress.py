"""The audit's progress: one live line on a terminal, plain lines in a CI log."""

from __future__ import annotations

import time
from typing import IO


class Progress:
    """Says what runs, how many runs are done of those planned, failures so far, budget left.

    On a terminal the line of the running run is rewritten in place and kept when it ends. Not on
    a terminal, one plain line per finished run and nothing in between.
    """

    def __init__(self, out: IO[str], budget_s: float | None) -> None:
        self.out = out
        self.tty = out.isatty()
        self.budget_s = budget_s
        self.started = time.monotonic()
        self.failing: set[str] = set()
        self._live = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float | None:
        """Seconds of budget left (never below 0), or None without a budget."""
        if self.budget_s is None:
            return None
        return max(0.0, self.budget_s - self.elapsed())

    def running(self, label: str) -> None:
        """A run starts (only a terminal shows it)."""
        if self.tty:
            self._write(f"\r\x1b[K{label} ...{self._tail()}")
            self._live = True

    def finished(self, label: str, failed: frozenset[str], seconds: float) -> None:
        self.failing |= failed
        self._clear()
        self.print(f"{label}: {len(failed)} failed ({seconds:.1f} s){self._tail()}")

    def print(self, line: str) -> None:
        self._clear()
        self._write(line + "\n")

    def _tail(self) -> str:
        tail = f"; {len(self.failing)} tests failing so far"
        left = self.left()
        if left is not None:
            tail += f"; {duration(left)} of the budget left"
        return tail

    def _clear(self) -> None:
        if self._live:
            self._write("\r\x1b[K")
            self._live = False

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def duration(seconds: float) -> str:
    """``75`` → ``1m15s``."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``5m``, ``1h30m``, ``1.5h`` → seconds; ValueError with the fix otherwise."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    total, number, seen = 0.0, "", False
    for char in text.strip().lower():
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number and number.count(".") <= 1 and number != ".":
            total += float(number) * units[char]
            number, seen = "", True
        else:
            raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 20m or 1h30m")
    if number.count(".") > 1 or number == ".":
        raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 20m or 1h30m")
    if number:
        total += float(number)
    elif not seen:
        raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 20m or 1h30m")
    if total <= 0:
        raise ValueError(f"{text!r}: the budget must be more than 0 s")
    return total
