"""What the quarantine does to a run's verdict (``CI_QUARANTINE=1`` or ``--quarantine``).

Quarantined tests run like any other; a failure of one whose entry has not expired does not
fail the run. The verdict changes only when those were the run's only problem: a failure of any
other test, a test that never reported, a collection error or pytest's own error still fail it.
An entry that expired counts like no entry. Pure: the records in, a verdict and a summary out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.exits import RunExit
from auditor.history.rates import clean_streak
from auditor.model import RunResult
from auditor.quarantine import READY_AFTER, Entry
from auditor.run.verdict import Verdict


@dataclass(frozen=True)
class Quarantined:
    active: bool  #: whether failures of quarantined tests were forgiven
    file: str
    failed: tuple[str, ...] = ()  #: quarantined tests that failed (forgiven when active)
    passed: tuple[str, ...] = ()
    expired: tuple[str, ...] = ()  #: entries past their date: their tests count like any
    not_collected: tuple[str, ...] = ()  #: entries naming a test this run did not collect
    ready: tuple[str, ...] = ()  #: passed the last ``READY_AFTER`` recorded runs: may leave

    def as_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "file": self.file,
            "failed": list(self.failed),
            "passed": list(self.passed),
            "expired": list(self.expired),
            "not_collected": list(self.not_collected),
            "ready_to_leave": list(self.ready),
        }

    def lines(self) -> list[str]:
        """What to tell the user, one sentence each."""
        said = []
        if self.failed:
            how = "not failing the run" if self.active else "failing the run: quarantine is off"
            said.append(
                f"{len(self.failed)} quarantined test(s) failed, {how}: " + ", ".join(self.failed)
            )
        if self.expired:
            said.append(
                f"{len(self.expired)} quarantine entr(y/ies) expired, their tests count "
                f"like any: {', '.join(self.expired)} (fix them, or extend in {self.file})"
            )
        if self.not_collected:
            said.append(
                f"{len(self.not_collected)} quarantine entr(y/ies) name tests this run did "
                f"not collect: {', '.join(self.not_collected)}"
            )
        if self.ready:
            said.append(
                f"ready to leave quarantine (passed the last {READY_AFTER} recorded runs): "
                + ", ".join(self.ready)
            )
        return said


def judge(
    verdict: Verdict,
    result: RunResult,
    entries: Sequence[Entry],
    *,
    active: bool,
    file: str,
    today: dt.date,
    recorded: Mapping[str, Sequence[tuple[float, bool]]] = {},
) -> tuple[Verdict, Quarantined]:
    """The run's verdict with the quarantine applied, and what it did. ``recorded``: per test,
    (time, failed) of its recorded runs, this one included."""
    live = {e.test for e in entries if not e.expired(today)}
    failed = {r.nodeid for r in result.failures}
    ran = {r.nodeid for r in result.tests}
    collected = set(result.collected or ()) | ran
    summary = Quarantined(
        active=active,
        file=file,
        failed=tuple(sorted(failed & live)),
        passed=tuple(sorted((ran - failed) & live)),
        expired=tuple(sorted(e.test for e in entries if e.expired(today))),
        not_collected=tuple(sorted(e.test for e in entries if e.test not in collected)),
        ready=tuple(
            sorted(e.test for e in entries if clean_streak(recorded.get(e.test, ())) >= READY_AFTER)
        ),
    )
    forgiven = failed <= live and not result.missing
    if active and failed and forgiven and verdict.code == RunExit.TESTS_FAILED:
        verdict = Verdict(RunExit.OK, verdict.notes)
    return verdict, summary
