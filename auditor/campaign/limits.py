"""What every run of an audit shares: per-test timeouts, the tests left out, the failures rerun
enough. Learnt from each run by a pure function: :func:`learn` returns new limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from auditor.model import RunOutcome

DEFAULT_TIMEOUT_S = 60.0  #: a test without a measured duration is stopped after this long
TIMEOUT_FACTOR = 10  #: a measured test's timeout: this many times its duration, at least the floor
#: A test that passed in the default order and hung in another is stopped after TIMEOUT_FACTOR ×
#: its duration, but at least this long (and never later than its usual timeout), in the runs
#: that study it (each question of a search for its polluter may make it hang again): not the
#: floor, which is for tests never measured.
HUNG_AGAIN_S = 10.0


@dataclass(frozen=True)
class Limits:
    """The per-test limits of the runs still to come."""

    timeout: float = DEFAULT_TIMEOUT_S  #: seconds, for a test without a measured duration
    timeouts: Mapping[str, float] = field(default_factory=dict)  #: node id → seconds
    exclude: frozenset[str] = frozenset()  #: tests that hung or crashed a run
    rerun_enough: frozenset[str] = frozenset()  #: failures rerun enough already
    passed_s: Mapping[str, float] = field(default_factory=dict)  #: the default order's passes
    #: tests that passed in the default order and used no shared resource in any footprint:
    #: an alone run may run them side by side
    beside: frozenset[str] = frozenset()

    def for_json(self) -> dict[str, object]:
        """As ``audit.json`` keeps them, for the runs ``fix`` makes later."""
        return {"timeout_s": self.timeout, "timeouts": dict(sorted(self.timeouts.items()))}


def learn(limits: Limits, outcome: RunOutcome, reruns: int) -> Limits:
    """The limits after ``outcome``'s run.

    - the default order's durations set the timeouts (``TIMEOUT_FACTOR`` × each, above the floor);
    - tests that hung or crashed leave the runs to come (but those that study them); one that
      hung but had passed in the default order gets a timeout from that pass (``HUNG_AGAIN_S``);
    - a failure rerun ``reruns`` times, or whose reruns differed, is not rerun again: reruns stop
      at the first differing outcome, so all failed, or mixed, is conclusive;
    - the tests that passed in the default order with no shared resource in their footprint
      (no file outside temporary folders, port, database or subprocess) may run side by side
      in alone runs, until a footprint shows one.
    """
    records = outcome.result.tests
    timeouts, passed_s, beside = dict(limits.timeouts), limits.passed_s, limits.beside
    if outcome.plan.kind == "sequential":
        beside = frozenset(r.nodeid for r in records if not r.failed and not r.resources)
        passed_s = {r.nodeid: r.duration for r in records if not r.failed}
        timeouts = {
            test: TIMEOUT_FACTOR * seconds
            for test, seconds in passed_s.items()
            if TIMEOUT_FACTOR * seconds > limits.timeout
        }
    for record in records:
        if record.outcome == "hang" and record.nodeid in passed_s:
            usual = max(limits.timeout, TIMEOUT_FACTOR * passed_s[record.nodeid])
            again = max(HUNG_AGAIN_S, TIMEOUT_FACTOR * passed_s[record.nodeid])
            timeouts[record.nodeid] = min(usual, again)
    broken = {r.nodeid for r in records if r.outcome in ("hang", "crashed")}
    enough = set()
    for test in {probe.target for probe in outcome.result.probes}:
        seen = outcome.observations(test)
        if len(seen) >= reruns or any(not o.failed for o in seen):
            enough.add(test)
    return replace(
        limits,
        timeouts=timeouts,
        exclude=limits.exclude | broken,
        rerun_enough=limits.rerun_enough | enough,
        passed_s=passed_s,
        beside=beside - {r.nodeid for r in records if r.resources},
    )
