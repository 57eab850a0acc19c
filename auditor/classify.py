"""Stage 4, classify: what kind of isolation problem each test that failed anywhere has.

For a test that failed in some campaign run:

1. it hung or crashed its process there and passed nowhere → ``hang`` / ``crash`` (one that
   passed in another order is triaged as below: the hang or crash is how the order breaks it);
2. take the order that failed it (a sequential one if any, else its xdist worker's sequence;
   the one with the fewest tests before it) and the test's reruns from the state it failed in:
   those the run made from its checkpoints, or else a replay of that order up to the test,
   rerun from the state just before it. Some pass, some fail → ``non-deterministic``. None
   fails → it needed a concurrent co-runner (``shared-resource``, when the order came from an
   xdist run) or, in a sequential order, it is ``non-deterministic``; when the order was one
   child of an ``after`` run (forks of one state, side by side), always replayed, and a
   replay that passes leaves the verdict to the other runs that failed it (no finding when
   there are none);
3. every one fails → run it alone, ``reruns`` times (stopping at the first differing outcome):
   it always fails → ``failing`` (or ``brittle`` when some order made it pass); sometimes →
   ``non-deterministic``; never → ``order-dependent`` (a victim).

A test whose outcome changes between runs of the very same order is non-deterministic, never
order-dependent. Pure: processes are started by the ``lab`` callbacks, never here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from auditor.findings import Finding, FindingKind
from auditor.model import Command, Observation, RunOutcome, RunPlan


class Lab(Protocol):
    """Where triage runs its experiments."""

    def alone(self, test: str) -> RunOutcome:
        """The test alone, several times."""

    def replay(self, source: RunOutcome, test: str) -> RunOutcome:
        """``source``'s order up to the test, with reruns of the test from the state before it."""

    def fresh(self, test: str) -> RunOutcome | None:
        """The test alone in a pytest that collects its module only (None: not run)."""

    def importer(self, test: str, modules: Sequence[str]) -> tuple[str, ...] | None:
        """The fewest of ``modules`` whose collection fails the test run first; () if none,
        None if not tried."""


def failed_anywhere(campaign: Sequence[RunOutcome]) -> list[str]:
    """Tests that failed in at least one campaign run, in first-failure order."""
    seen: dict[str, None] = {}
    for outcome in campaign:
        for record in outcome.result.tests:
            if record.failed:
                seen.setdefault(record.nodeid)
    return list(seen)


def triage(test: str, campaign: Sequence[RunOutcome], lab: Lab, command: Command) -> Finding | None:
    """Classify one test that failed in some campaign run (see the module docstring); None
    when it failed only beside the forks of ``after`` runs (see below)."""
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
    # An ``after`` run's children run side by side in forks of one state, its writers': what
    # those made outside the project they all share (a folder ``setUpClass`` made with
    # ``mkdtemp``), and the first child whose teardown removes it fails the others, and their
    # reruns from that state. A replay, from the collected state, decides instead.
    beside = source.plan.kind == "after"
    if reruns and not beside:  # the run's own failure and its reruns from the same state
        evidence, fresh = _tally(source.observations(test)), _tally(reruns)
    else:
        evidence = fresh = _tally(lab.replay(source, test).observations(test))
    if beside and evidence.runs and not evidence.failures:
        # The forks' failure, not the test's (config-better: three tests no order ever failed,
        # reported non-deterministic): the other runs that failed it decide (another ``after``
        # run among them, replayed in its turn), or none does.
        rest = [o for o in campaign if o is not source]
        return triage(test, rest, lab, command) if any(test in o.failed() for o in rest) else None
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
        found = base.finding(kind, alone_command, seen, alone.reason)
        return _uncollected(found, campaign, lab, command)
    if alone.failures:
        return base.finding("non-deterministic", alone_command, seen, alone.reason)
    return base.finding("order-dependent", once, seen, evidence.reason, sequence=prefix)


def _uncollected(
    found: Finding, campaign: Sequence[RunOutcome], lab: Lab, command: Command
) -> Finding:
    """A test that fails alone where the rest of the selection was collected (a fork of the
    collected pytest), checked in a pytest that collects its module only: the reproduce
    command. When it passes there, collecting another module fails it (a helper that changes
    state when imported): an ``order-dependent`` test, the fewest such modules in its note
    and its reproduce command (the test first, then them)."""
    test = found.test
    fresh = lab.fresh(test)
    if fresh is None or test not in fresh.ran() or test in fresh.failed():
        return found
    own = test.split("::")[0]
    ran = (t.split("::")[0] for outcome in campaign for t in outcome.ran())
    modules = tuple(m for m in dict.fromkeys(ran) if m != own)
    importers = lab.importer(test, modules)
    if importers is None:  # the budget ran out
        return found
    passed = _tally(fresh.observations(test))
    evidence = replace(found, reruns=found.reruns + passed.runs, runs=found.runs + passed.runs)
    if not importers:
        note = (
            "it failed alone in forks of the collected selection, but passes in a pytest of its "
            "own, whether it collects the test's module only or every module: its reproduce "
            "command may pass"
        )
        return replace(evidence, note=note)
    named = ", ".join(importers[:3]) + (
        f" and {len(importers) - 3} more" if len(importers) > 3 else ""
    )
    note = (
        f"it fails once {named} {'is' if len(importers) == 1 else 'are'} collected, and passes "
        "in a pytest that collects its own module only: importing "
        f"{'it' if len(importers) == 1 else 'them'} changes what the test reads"
    )
    reproduce = command(RunPlan("isolated", ids=(test, *importers)))
    return replace(
        evidence, kind="order-dependent", reproduce=reproduce, sequence=(test,), note=note
    )


def _alone_runs(campaign: Sequence[RunOutcome]) -> list[RunOutcome]:
    return [outcome for outcome in campaign if outcome.plan.kind == "alone"]


def _cost_of_evidence(outcome: RunOutcome, test: str) -> tuple[bool, int, int, float]:
    """Which failing run to take the evidence from: a sequential one, with the fewest tests
    before the test, and among those one whose checkpoints already reran it, then the quickest
    to replay. Its prefix is where locate looks for the polluters, a bisection each step of
    which runs about half of it: a victim a guided order failed after 1,900 tests, and an
    ``after`` run right after its 12 writers, is searched among those 12 (replaying them costs
    less than one step among the 1,900)."""
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
