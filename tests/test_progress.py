"""The audit's progress line and its duration parsing."""

from __future__ import annotations

import io

import pytest

from auditor.progress import Progress, duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("1.5h", 5400), (" 2M ", 120)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "m", "1..5s", "0s"])
def test_bad_durations_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|more than 0"):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(5, "5s"), (75, "1m15s"), (3720, "1h02m")])
def test_durations_print_short(seconds: float, text: str) -> None:
    assert duration(seconds) == text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_live_line_that_is_kept_when_the_run_ends() -> None:
    out = Terminal()
    progress = Progress(out, budget_s=600)
    progress.running("run 1/2: sequential")
    assert out.getvalue().startswith("\r\x1b[Krun 1/2: sequential ...; 0 tests failing so far;")
    progress.finished("run 1/2: sequential", frozenset({"t::a"}), 1.25)
    last = out.getvalue().rsplit("\r\x1b[K", 1)[1]
    assert last.startswith("run 1/2: sequential: 1 failed (1.2 s); 1 tests failing so far; ")
    assert last.endswith(" of the budget left\n")


def test_a_log_gets_one_plain_line_per_run() -> None:
    out = io.StringIO()
    progress = Progress(out, budget_s=None)
    progress.running("run 1/2: sequential")
    progress.finished("run 1/2: sequential", frozenset(), 1.0)
    assert out.getvalue() == "run 1/2: sequential: 0 failed (1.0 s); 0 tests failing so far\n"
