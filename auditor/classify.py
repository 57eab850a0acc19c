"""Stage 4, classify: what kind of isolation problem each test that failed anywhere has.

For a test that failed in some campaign run:

1. it hung or crashed its process there and passed nowhere → ``hang`` / ``crash`` (one that
   passed in another order is triaged as below: the hang or crash is how the order breaks it);
2. take the order that failed it (a sequential one if any, else its xdist worker's sequence;
   the one with the fewest tests before it) and the test's reruns from the state it failed in:
   those the run made from its checkpoints, or else a replay of that order up to the test,
   rerun from the state just before it. Some pass, some fail → ``non-deterministic``. None
   fails → it needed a concurrent co-runner (``shared-resource``, when the order came from an
   xdist run) or, in a sequential order, it is ``non-deterministic``;
3. every one fails → run it alone, ``reruns`` times (stopping at the first differing outcome):
   it always fails → ``failing`` (or ``brittle`` when some order made it pass); sometimes →
   ``non-deterministic``; never → ``order-dependent`` (a victim).

A test whose outcome changes between runs of the very same order is non-deterministic, never
order-dependent. Pure: processes are started by the ``lab`` callbacks, never here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from auditor.findings import Finding, FindingKind
from auditor.model import Command, Observation, RunOutcome, RunPlan


class Lab(Protocol):
    """Where triage runs its experiments."""

    def alone(self, test: str) -> RunOutcome:
        """The test alone, several times."""

    def replay(self, source: RunOutcome, test: str) -> RunOutcome:
        """``source``'s order up to the test, with reruns of the test from the state before it."""


def failed_anywhere(campaign: Sequence[RunOutcome]) -> list[str]:
    """Tests that failed in at least one campaign run, in first-failure order."""
    seen: dict[str, None] = {}
    for outcome in campaign:
        for record in outcome.result.tests:
            if record.failed:
                seen.setdefault(record.nodeid)
    return list(seen)


def triage(test: str, campaign: Sequence[RunOutcome], lab: Lab, command: Command) -> Finding:
    """Classify one test that failed in some campaign run (see the module docstring)."""
    failing = [o for o in campaign if test in o.failed()]
    passing = [o for o in campaign if test in o.ran() and test not in o.failed()]
    base = _Evidence(test, failing, passing)
    alone_command = command(RunPlan("isolated", ids=(test,)))
    broken: tuple[tuple[FindingKind, str], ...] = (("hang", "hang"), ("crash", "crashed"))
    for broke, outcome in broken:
        records = [r for o in failing for r in o.records_of(test) if r.outcome == outcome]
        if records and not passing:  # else: an order made it hang or crash, like a failure
            return base.finding(broke, alone_command, _Tally(), records[0].reason)
    source = min(failing, key=lambda o: _cost_of_evidence(o, test))
    prefix = source.prefix(test)
    reruns = source.observations(test, reruns_only=True)
    if reruns:  # the run's own failure and its reruns from the same state
        evidence, fresh = _tally(source.observations(test)), _tally(reruns)
    else:
        evidence = fresh = _tally(lab.replay(source, test).observations(test))
    once = command(RunPlan("replay", seed=source.plan.seed, ids=prefix))
    if not evidence.failures:
        if source.plan.sequential:  # the same order passed from the same state
            return base.finding("non-deterministic", once, fresh, evidence.reason, prefix)
        return base.finding(
            "shared-resource",
            command(source.plan),
            fresh,
            _first_reason(failing, test),
            sequence=prefix,
            tests=(test, *dict.fromkeys(source.overlapping(test))),
        )
    if evidence.failures < evidence.runs:
        return base.finding("non-deterministic", once, fresh, evidence.reason, prefix)
    # It fails every time from the state its order left: does it fail alone as well?
    if prefix == (test,):
        alone, seen = evidence, fresh
    else:
        alone = _tally(lab.alone(test).observations(test))
        seen = alone + fresh
        # The campaign ran it alone too: a test that fails at random has had more chances to.
        alone = alone + _tally([o for run in _alone_runs(campaign) for o in run.observations(test)])
    if alone.failures == alone.runs:
        kind: FindingKind = "brittle" if passing else "failing"
        return base.finding(kind, alone_command, seen, alone.reason)
    if alone.failures:
        return base.finding("non-deterministic", alone_command, seen, alone.reason)
    return base.finding("order-dependent", once, seen, evidence.reason, sequence=prefix)


def _alone_runs(campaign: Sequence[RunOutcome]) -> list[RunOutcome]:
    return [outcome for outcome in campaign if outcome.plan.kind == "alone"]


def _cost_of_evidence(outcome: RunOutcome, test: str) -> tuple[bool, int, int, float]:
    """Which failing run to take the evidence from: a sequential one, with the fewest tests
    before the test, and among those one whose checkpoints already reran it, then the quickest
    to replay. Its prefix is where locate looks for the polluters, a bisection each step of
    which runs about half of it: a victim a guided order failed after 1,900 tests, and an
    ``after`` run right after its 12 writers, is searched among those 12 (replaying them, when
    that run did not rerun it, costs less than one step among the 1,900)."""
    reruns = len(outcome.observations(test, reruns_only=True))
    prefix = outcome.prefix(test)
    return (not outcome.plan.sequential, len(prefix), -reruns, outcome.prefix_seconds(test))


@dataclass(frozen=True)
class _Tally:
    failures: int = 0
    runs: int = 0
    reason: str | None = None

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(
            self.failures + other.failures, self.runs + other.runs, self.reason or other.reason
        )


def _tally(observations: Sequence[Observation]) -> _Tally:
    failed = [o for o in observations if o.failed]
    return _Tally(len(failed), len(observations), failed[0].reason if failed else None)


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
        reruns: _Tally,
        reason: str | None,
        sequence: tuple[str, ...] = (),
        tests: tuple[str, ...] = (),
    ) -> Finding:
        return Finding(
            kind=kind,
            test=self.test,
            reproduce=reproduce,
            failed_in=tuple(o.plan for o in self.failing),
            passed_in=tuple(o.plan for o in self.passing),
            sequence=sequence,
            tests=tests,
            reruns=reruns.runs,
            failures=len(self.failing) + reruns.failures,
            runs=len(self.failing) + len(self.passing) + reruns.runs,
            reason=reason or _first_reason(self.failing, self.test),
        )
