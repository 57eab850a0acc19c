"""Run a plan: one pytest subprocess through the runner; what it executed, where and when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor.campaign.plan import RunPlan
from auditor.model import RunResult, TestRecord
from auditor.runner import PytestCall, run_pytest


@dataclass(frozen=True)
class RunOutcome:
    """A plan and what its run recorded."""

    plan: RunPlan
    result: RunResult

    def sequences(self) -> dict[str, tuple[str, ...]]:
        """Each process's executed order, from the recorded start times (worker → node ids)."""
        by_worker: dict[str, list[TestRecord]] = {}
        for record in self.result.tests:
            by_worker.setdefault(record.worker or "?", []).append(record)
        return {
            worker: tuple(r.nodeid for r in sorted(records, key=lambda r: r.start or 0.0))
            for worker, records in by_worker.items()
        }

    def failed(self) -> frozenset[str]:
        return frozenset(r.nodeid for r in self.result.tests if r.failed)

    def ran(self) -> frozenset[str]:
        return frozenset(r.nodeid for r in self.result.tests)

    def records_of(self, nodeid: str) -> tuple[TestRecord, ...]:
        return tuple(r for r in self.result.tests if r.nodeid == nodeid)

    def prefix(self, nodeid: str) -> tuple[str, ...]:
        """The order its process ran up to and including ``nodeid`` (its first run)."""
        for sequence in self.sequences().values():
            if nodeid in sequence:
                return sequence[: sequence.index(nodeid) + 1]
        return (nodeid,)

    def overlapping(self, nodeid: str) -> tuple[str, ...]:
        """Tests of other workers whose run overlapped ``nodeid``'s in time."""
        spans = {(r.worker, r.start, r.stop) for r in self.records_of(nodeid)}
        return tuple(
            r.nodeid
            for r in self.result.tests
            if r.nodeid != nodeid
            and any(w != r.worker and _overlap(r.start, r.stop, a, b) for w, a, b in spans)
        )


class Executor:
    """Runs plans over one selection in one project; every run's output goes to ``log``."""

    def __init__(
        self, selection: tuple[str, ...], root: Path, env: Mapping[str, str], log: IO[str]
    ) -> None:
        self.selection = selection
        self.root = root
        self.env = env
        self.log = log

    def call(self, plan: RunPlan) -> PytestCall:
        replicate = plan.repeats > 1
        return PytestCall(
            args=plan.ids or self.selection,
            workers=plan.repeats if replicate else plan.workers,
            dist="each" if replicate else None,
            seed=plan.seed,
            reorganize=not plan.ids,
            # Replays share start-up but must not overlap: they would share files and ports.
            extra_plugin_args=("--auditor-one-worker-at-a-time",) if replicate else (),
        )

    def __call__(self, plan: RunPlan) -> RunOutcome:
        call = self.call(plan)
        self.log.write(f"\n=== auditor: {plan.describe()}\n")
        self.log.flush()
        return RunOutcome(plan, run_pytest(call, cwd=self.root, env=self.env, output=self.log))


def _overlap(a0: float | None, a1: float | None, b0: float | None, b1: float | None) -> bool:
    if a0 is None or a1 is None or b0 is None or b1 is None:
        return False
    return a0 < b1 and b0 < a1
