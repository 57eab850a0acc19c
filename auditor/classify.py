"""Stage 4, classify: what kind of isolation problem each test that failed anywhere has.

For a test that failed in some campaign run:

1. run it alone, ``reruns`` times in fresh processes: it always fails → ``failing`` (or
   ``brittle`` when some order made it pass); sometimes → ``non-deterministic``;
2. it always passes alone → replay the order that failed it (its process's sequence up to it),
   ``reruns`` times: always fails → ``order-dependent`` (a victim); sometimes →
   ``non-deterministic``; never → it needed a concurrent co-runner (``shared-resource``, when the
   failure came from an xdist run) or it is ``non-deterministic``.

A test whose outcome changes between runs of the very same order is non-deterministic, never
order-dependent. A worker crash while running it is a ``crash`` finding. Pure: processes are
started by the ``rerun`` callback, never here.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from auditor.campaign.execute import RunOutcome
from auditor.campaign.plan import RunPlan

FindingKind = Literal[
    "order-dependent", "brittle", "shared-resource", "non-deterministic", "failing", "crash", "hang"
]
Rerun = Callable[[RunPlan], RunOutcome]
Command = Callable[[RunPlan], str]


@dataclass(frozen=True)
class Finding:
    """One isolation problem, with the evidence that proves it."""

    kind: FindingKind
    test: str
    reproduce: str  #: a command that shows the failure
    failed_in: tuple[RunPlan, ...] = ()  #: campaign runs where it failed
    passed_in: tuple[RunPlan, ...] = ()  #: campaign runs where it passed
    sequence: tuple[str, ...] = ()  #: the failing order, ending with the test
    tests: tuple[str, ...] = ()  #: shared-resource: the test and its co-runners
    reruns: int = 0  #: how many fresh-process reruns the verdict rests on
    failures: int = 0  #: all observations that failed (campaign and reruns)
    runs: int = 0  #: all observations
    reason: str | None = None  #: the short failure reason seen first


def failed_anywhere(campaign: Sequence[RunOutcome]) -> list[str]:
    """Tests that failed in at least one campaign run, in first-failure order."""
    seen: dict[str, None] = {}
    for outcome in campaign:
        for record in outcome.result.tests:
            if record.failed:
                seen.setdefault(record.nodeid)
    return list(seen)


def triage(
    test: str, campaign: Sequence[RunOutcome], rerun: Rerun, reruns: int, command: Command
) -> Finding:
    """Classify one test that failed in some campaign run (see the module docstring)."""
    failing = [o for o in campaign if test in o.failed()]
    passing = [o for o in campaign if test in o.ran() and test not in o.failed()]
    base = _Evidence(test, failing, passing)
    crashed = [r for o in failing for r in o.records_of(test) if r.outcome == "crashed"]
    if crashed:
        return base.finding(
            "crash", command(RunPlan("isolated", ids=(test,))), 0, crashed[0].reason
        )
    alone_plan = RunPlan("isolated", ids=(test,), repeats=reruns)
    alone = _tally(rerun(alone_plan), test)
    if alone.failures == alone.runs:
        kind: FindingKind = "brittle" if passing else "failing"
        return base.finding(kind, command(RunPlan("isolated", ids=(test,))), reruns, alone.reason)
    if alone.failures:
        return base.flaky(alone, command(RunPlan("isolated", ids=(test,))), reruns)
    source = min(failing, key=lambda o: o.plan.kind == "xdist")  # a sequential order if any
    prefix = source.prefix(test)
    replay_plan = RunPlan("replay", seed=source.plan.seed, ids=prefix, repeats=reruns)
    replay = _tally(rerun(replay_plan), test)
    once = RunPlan("replay", seed=source.plan.seed, ids=prefix)
    if replay.failures == replay.runs:
        return base.finding(
            "order-dependent", command(once), 2 * reruns, replay.reason, sequence=prefix
        )
    if replay.failures or source.plan.kind != "xdist":
        return base.flaky(alone + replay, command(once), 2 * reruns, sequence=prefix)
    co_runners = source.overlapping(test)
    return base.finding(
        "shared-resource",
        command(source.plan),
        2 * reruns,
        _first_reason(failing, test),
        sequence=prefix,
        tests=(test, *dict.fromkeys(co_runners)),
    )


@dataclass(frozen=True)
class _Tally:
    failures: int
    runs: int
    reason: str | None

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(
            self.failures + other.failures, self.runs + other.runs, self.reason or other.reason
        )


def _tally(outcome: RunOutcome, test: str) -> _Tally:
    records = outcome.records_of(test)
    failed = [r for r in records if r.failed]
    return _Tally(len(failed), len(records), failed[0].reason if failed else None)


def _first_reason(outcomes: Sequence[RunOutcome], test: str) -> str | None:
    for outcome in outcomes:
        for record in outcome.records_of(test):
            if record.failed and record.reason:
                return record.reason
    return None


@dataclass(frozen=True)
class _Evidence:
    test: str
    failing: list[RunOutcome]
    passing: list[RunOutcome]

    def finding(
        self,
        kind: FindingKind,
        reproduce: str,
        reruns: int,
        reason: str | None,
        sequence: tuple[str, ...] = (),
        tests: tuple[str, ...] = (),
        extra: _Tally | None = None,
    ) -> Finding:
        extra = extra or _Tally(0, 0, None)
        return Finding(
            kind=kind,
            test=self.test,
            reproduce=reproduce,
            failed_in=tuple(o.plan for o in self.failing),
            passed_in=tuple(o.plan for o in self.passing),
            sequence=sequence,
            tests=tests,
            reruns=reruns,
            failures=len(self.failing) + extra.failures,
            runs=len(self.failing) + len(self.passing) + extra.runs,
            reason=reason or _first_reason(self.failing, self.test),
        )

    def flaky(
        self, reruns_tally: _Tally, reproduce: str, reruns: int, sequence: tuple[str, ...] = ()
    ) -> Finding:
        return self.finding(
            "non-deterministic",
            reproduce,
            reruns,
            reruns_tally.reason,
            sequence=sequence,
            extra=reruns_tally,
        )


def shell_command(argv: Sequence[str]) -> str:
    """A copy-paste command line: ``pytest`` and the arguments, quoted for a POSIX shell."""
    return shlex.join(["pytest", *argv])
