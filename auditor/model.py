"""Plain records shared by the stages: what a run is asked to do (:class:`RunPlan`), what a
pytest run produced (:class:`RunResult`), and a plan with its result (:class:`RunOutcome`)."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from auditor.plugin.jsonlines import read_json_lines

Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed", "crashed", "hang"]
FAILED_OUTCOMES = frozenset({"failed", "error", "crashed", "hang"})


RunKind = Literal[
    "sequential",
    "alone",
    "guided",
    "after",
    "reversed",
    "random",
    "xdist",
    "isolated",
    "replay",
    "bisect",
    "corun",
    "verify",
]


@dataclass(frozen=True)
class RunPlan:
    """One pytest run of a campaign or a triage."""

    kind: RunKind
    seed: int | None = None  #: pytest-randomly seed; None: default order
    workers: int = 0  #: 0: one process
    ids: tuple[str, ...] = ()  #: an exact order to run; () runs the whole selection
    repeats: int = 1  #: > 1: the order runs once in each of that many fresh processes
    targets: tuple[str, ...] = ()  #: tests to rerun from the state just before them
    why: str = field(default="", compare=False)  #: why the campaign chose this run
    prefix: tuple[str, ...] = ()  #: after: tests each of ``ids`` runs after, in a fork of its own
    stagger_s: float = 0.0  #: corun: the second test starts this long after the first

    def describe(self) -> str:
        parts: list[str] = [self.kind]
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        if self.workers and self.repeats == 1:
            parts.append(f"-n {self.workers}")
        if self.repeats > 1:
            parts.append(f"× {self.repeats}")
        if self.stagger_s:
            parts.append(f"{self.stagger_s:g} s apart")
        if self.prefix:
            parts.append(f"{len(self.ids)} tests, each after {len(self.prefix)}")
        elif self.ids and self.kind not in ("reversed", "alone"):
            parts.append(f"{len(self.ids)} tests")
        return ", ".join(parts)

    @property
    def sequential(self) -> bool:
        """One process runs the whole order (what a prefix replay reproduces)."""
        return self.workers == 0


Command = Callable[[RunPlan], str]  #: a plan as the command line a user pastes


def shell_command(argv: Sequence[str]) -> str:
    """A copy-paste command line: ``pytest`` and the arguments, quoted for a POSIX shell."""
    return shlex.join(["pytest", *argv])


@dataclass(frozen=True)
class TestRecord:
    """One test as the plugin recorded it (all phases folded into one outcome)."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: Outcome
    duration: float  #: seconds, setup + call + teardown
    worker: str | None  #: "gw0"…, "main" without xdist, None when a crash hid it
    start: float | None  #: epoch seconds
    stop: float | None
    reason: str | None  #: the short failure or skip reason
    state: tuple[str, ...] = ()  #: footprint: ``TYPE:NAME`` of the state it left changed
    resources: tuple[tuple[str, str], ...] = ()  #: footprint: (``TYPE:NAME``, how it was used)
    #: footprint: a ``state`` entry reached through other names too → those names
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: footprint: a ``state`` entry → how it changed, as tokens (:mod:`auditor.plugin.effects`)
    effects: tuple[tuple[str, tuple[str, ...]], ...] = ()
    file: str | None = None  #: the test's file, relative to pytest's rootdir
    line: int | None = None  #: its definition's line, 1-based
    failed_line: int | None = None  #: where it failed in its own file, when the traceback says
    serial_wait: float = 0.0  #: seconds it waited for ``serial`` locks before its set-up

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


@dataclass(frozen=True)
class Probe:
    """A rerun of ``target`` from a checkpoint taken earlier in the same run (fork server)."""

    target: str
    attempt: int
    replayed: int  #: tests re-run from the checkpoint before the target
    outcome: Outcome
    reason: str | None

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


@dataclass(frozen=True)
class WorkerRecord:
    """What one test-running process measured about itself."""

    worker: str
    tests: int
    busy_s: float  #: wall seconds spent inside tests
    cpu_s: float  #: CPU seconds spent inside tests
    collect_s: float  #: in the worker, from session start to the end of collection
    startup_s: float  #: from starting the workers to the end of this one's collection
    maxrss_kb: float  #: peak resident memory


@dataclass(frozen=True)
class RunResult:
    """One pytest run: its exit code, timings and the plugin's records."""

    returncode: int
    wall_s: float
    cpu_s: float  #: CPU seconds of pytest and all its workers
    collected: tuple[str, ...] | None  #: None when collection never finished
    collect_errors: tuple[tuple[str, str], ...]  #: (nodeid, reason)
    tests: tuple[TestRecord, ...]
    workers: tuple[WorkerRecord, ...]
    session_start: float | None = None
    collection_done: float | None = None
    session_finish: float | None = None
    command: tuple[str, ...] = field(default=())
    probes: tuple[Probe, ...] = ()
    forked: bool = False  #: run by the fork server, not a pytest process of its own
    rootdir: str | None = None  #: pytest's rootdir: the tests' ``file`` is relative to it
    #: (node id, resource keys of its ``serial`` marks), when collected in the main process
    serial_keys: tuple[tuple[str, tuple[str, ...]], ...] = ()
    internal_error: bool = False  #: pytest reported an internal error (INTERNALERROR)

    @property
    def missing(self) -> tuple[str, ...]:
        """Collected tests that never reported: their worker died, or the run stopped early."""
        seen = {record.nodeid for record in self.tests}
        return tuple(nodeid for nodeid in self.collected or () if nodeid not in seen)

    @property
    def failures(self) -> tuple[TestRecord, ...]:
        return tuple(record for record in self.tests if record.failed)

    def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.tests:
            counts[record.outcome] = counts.get(record.outcome, 0) + 1
        return counts


def read_results(
    path: Path, returncode: int, wall_s: float, cpu_s: float, command: tuple[str, ...]
) -> RunResult:
    """Parse the plugin's JSON lines; a file cut short by a crash yields what it holds."""
    records: dict[str, list[dict[str, Any]]] = {}
    for record in read_json_lines(path):
        records.setdefault(record.pop("type"), []).append(record)
    start = records.get("session_start", [{}])[0]
    finish = records.get("session_finish", [{}])[0]
    collected = records.get("collected")
    return RunResult(
        returncode=returncode,
        wall_s=wall_s,
        cpu_s=cpu_s,
        collected=tuple(collected[0]["ids"]) if collected else None,
        collect_errors=tuple(
            (r["nodeid"], r["reason"] or "") for r in records.get("collect_error", [])
        ),
        tests=_with_hangs(records.get("test", []), records.get("hang", [])),
        workers=tuple(
            WorkerRecord(**{k: r[k] for k in WorkerRecord.__dataclass_fields__})
            for r in records.get("worker", [])
        ),
        session_start=start.get("time"),
        rootdir=start.get("rootdir"),
        serial_keys=tuple(
            (nodeid, tuple(keys))
            for record in records.get("serial", [])
            for nodeid, keys in record["keys"].items()
        ),
        collection_done=finish.get("collection_done"),
        session_finish=finish.get("time"),
        internal_error="internal_error" in records,
        command=command,
        probes=tuple(
            Probe(r["target"], r["attempt"], r["replayed"], r["outcome"], r["reason"])
            for r in records.get("probe", [])
            if r["nodeid"] == r["target"]
        ),
    )


def _test_record(record: dict[str, Any]) -> TestRecord:
    fields = {k: record[k] for k in TestRecord.__dataclass_fields__ if k in record}
    fields["state"] = tuple(record.get("state") or ())
    fields["resources"] = tuple(sorted((record.get("resources") or {}).items()))
    aliases = record.get("aliases") or {}
    fields["aliases"] = tuple(sorted((name, tuple(others)) for name, others in aliases.items()))
    effects = record.get("effects") or {}
    fields["effects"] = tuple(sorted((name, tuple(items)) for name, items in effects.items()))
    return TestRecord(**fields)


def _with_hangs(tests: list[dict[str, Any]], hangs: list[dict[str, Any]]) -> tuple[TestRecord, ...]:
    """Test records, with the crash of a test the watchdog stopped shown as a hang."""
    records = [_test_record(r) for r in tests]
    for hang in hangs:
        reason = f"no result after its {hang['timeout']:g} s timeout"
        if hang.get("stack"):
            reason += f"; it was at {hang['stack']}"
        nodeid = hang["nodeid"]
        crashed = [i for i, r in enumerate(records) if (r.nodeid, r.outcome) == (nodeid, "crashed")]
        if crashed:
            was = records[crashed[0]]
            start = was.start if was.start is not None else hang.get("start")
            records[crashed[0]] = replace(was, outcome="hang", reason=reason, start=start)
        else:
            start = hang.get("start")
            records.append(TestRecord(nodeid, "hang", 0.0, hang.get("worker"), start, None, reason))
    return tuple(records)


@dataclass(frozen=True)
class Observation:
    """One outcome of one test: in a run, or rerun from a checkpoint of that run."""

    outcome: Outcome
    reason: str | None
    rerun: bool  #: from a checkpoint (a probe), not the run itself

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


@dataclass(frozen=True)
class RunOutcome:
    """A plan and what its run recorded."""

    plan: RunPlan
    result: RunResult
    #: what was put back after the run, ``removed out/``, ``restored data/seed.json``…
    #: (see :class:`auditor.plugin.world.Restored`)
    restored: tuple[str, ...] = ()

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

    def observations(self, nodeid: str, reruns_only: bool = False) -> tuple[Observation, ...]:
        """The test's outcomes in this run, then its reruns from this run's checkpoints."""
        seen = (
            []
            if reruns_only
            else [Observation(r.outcome, r.reason, False) for r in self.records_of(nodeid)]
        )
        seen += [
            Observation(p.outcome, p.reason, True) for p in self.result.probes if p.target == nodeid
        ]
        return tuple(seen)

    def prefix(self, nodeid: str) -> tuple[str, ...]:
        """The order its process ran up to and including ``nodeid`` (its first run)."""
        for sequence in self.sequences().values():
            if nodeid in sequence:
                return sequence[: sequence.index(nodeid) + 1]
        return (nodeid,)

    def prefix_seconds(self, nodeid: str) -> float:
        """How long its prefix took to run."""
        durations = {r.nodeid: r.duration for r in self.result.tests}
        return sum(durations.get(test, 0.0) for test in self.prefix(nodeid))

    def overlapping(self, nodeid: str) -> tuple[str, ...]:
        """Tests of other workers whose run overlapped ``nodeid``'s in time."""
        spans = {(r.worker, r.start, r.stop) for r in self.records_of(nodeid)}
        return tuple(
            r.nodeid
            for r in self.result.tests
            if r.nodeid != nodeid
            and any(w != r.worker and _overlap(r.start, r.stop, a, b) for w, a, b in spans)
        )


def _overlap(a0: float | None, a1: float | None, b0: float | None, b1: float | None) -> bool:
    if a0 is None or a1 is None or b0 is None or b1 is None:
        return False
    return a0 < b1 and b0 < a1
