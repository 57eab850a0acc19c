"""Per-test result records, written as JSON lines to the file named by ``--auditor-results``.

The controller (or the only process, without xdist) writes; workers never write shared files.
Workers measure their own busy and CPU time, collection time and peak memory, and ship them to the
controller through xdist's ``workeroutput``. Record types, one JSON object per line:

- ``session_start``: ``time``, ``pid``, ``pytest`` (version), ``rootdir``.
- ``collected``: ``ids`` in collection order (the first worker's, under xdist: all are identical).
- ``collect_error``: ``nodeid``, ``reason``.
- ``serial``: ``keys``, node id → the resource keys of its ``serial`` marks (collected in this
  process only: without xdist, or with ``--collect-only``).
- ``test``: ``nodeid``, ``outcome`` (passed, failed, error, skipped, xfailed, xpassed, crashed),
  ``duration`` (seconds, all phases), ``worker`` (``gw0``…, or ``main`` without xdist), ``start``
  and ``stop`` (epoch seconds), ``reason`` (short failure or skip reason, or null), ``file`` and
  ``line`` (the test's, relative to the rootdir, 1-based), ``failed_line`` (where it failed in
  its own file, or null), ``serial_wait`` (seconds it waited for ``serial`` locks, when it did).
  Written in the order the controller learns of them: the executed
  order without xdist. With ``--auditor-footprint``, also ``state`` (``TYPE:NAME`` entries),
  ``resources`` (``TYPE:NAME`` → how it was used), ``aliases`` and ``effects`` when the test
  changed or touched any (see :mod:`auditor.plugin.footprint`).
- ``worker``: ``worker``, ``tests``, ``busy_s``, ``cpu_s``, ``collect_s`` (in the worker, from
  session start to the end of collection), ``startup_s`` (as the controller saw it: from starting
  the workers to this one's collection), ``maxrss_kb``.
- ``session_finish``: ``time``, ``exitstatus``, ``collection_done`` (epoch seconds).

In a fork-server child (see :mod:`auditor.plugin.server`) also:

- ``begin``: ``nodeid``, ``worker``, ``time``: written before each test, so that the server can
  name the test a dead child was running.
- ``probe``: a rerun of ``target`` from a checkpoint of the same run: the ``test`` fields plus
  ``target``, ``attempt``, ``replayed`` (tests re-run from the checkpoint before the target).
- ``hang``: ``nodeid``, ``timeout``, ``worker``, ``stack`` (see :mod:`auditor.plugin.watchdog`;
  under xdist the worker appends it).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import time
from collections.abc import Generator
from typing import IO, Any

import pytest

from auditor.plugin.jsonlines import append_json_line, read_json_lines
from auditor.plugin.serial import serial_spec
from auditor.plugin.watchdog import HANG_EXIT

PASSING = frozenset(
    {"passed", "skipped", "xfailed", "xpassed"}
)  #: the outcomes that are no failure
_REASON_LIMIT = 500
_WORSE = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 1, "failed": 2, "error": 2}


class WorkerStats:
    """In every process that runs tests: busy and CPU seconds, collection time, peak memory."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.session_start = time.time()
        self.stats: dict[str, float] = {
            "tests": 0,
            "busy_s": 0.0,
            "cpu_s": 0.0,
            "collect_s": 0.0,
            "maxrss_kb": 0.0,
        }

    def pytest_sessionstart(self) -> None:
        self.session_start = time.time()

    def pytest_collection_finish(self) -> None:
        self.stats["collect_s"] = time.time() - self.session_start
        self._publish()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self) -> Generator[None, None, None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.stats["tests"] += 1
        self.stats["busy_s"] += time.perf_counter() - wall
        self.stats["cpu_s"] += time.process_time() - cpu
        self._publish()

    def _publish(self) -> None:
        self.stats["maxrss_kb"] = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            # Updated after every test, so the controller has it whenever the worker stops.
            workeroutput["auditor_stats"] = dict(self.stats)


class ResultsRecorder:
    """On the controller, or the only process: one ``test`` record per test, and the session."""

    def __init__(
        self, config: pytest.Config, path: str, worker: str = "main", begin: bool = False
    ) -> None:
        self.config = config
        # Append mode: a worker's watchdog appends hang records to the same file (O_APPEND).
        self.file: IO[str] = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self.worker = worker  #: the name of this process's records when xdist gives none
        self.begin = begin  #: write a ``begin`` record before each test
        self.record_type = "test"
        self.extra: dict[str, Any] = {}
        self.outcomes: dict[str, str] = {}  #: the last folded outcome of each node id
        self.pending: dict[tuple[str, str], dict[str, Any]] = {}
        self.collected = False
        self.collect_errors: set[str] = set()
        self.collection_done: float | None = None
        self._write(
            type="session_start",
            time=time.time(),
            pid=os.getpid(),
            pytest=pytest.__version__,
            rootdir=str(config.rootpath),
        )
        if hasattr(config.hook, "pytest_xdist_node_collection_finished"):
            config.pluginmanager.register(_XdistResults(self), "auditor-results-xdist")

    def _write(self, **record: Any) -> None:
        self.file.write(json.dumps(record) + "\n")

    def retarget(self, path: str, record_type: str, **extra: Any) -> None:
        """Write test records to ``path`` from now on, as ``record_type`` with ``extra`` fields."""
        self.file.close()
        self.file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self.record_type = record_type
        self.extra = extra

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if self.begin:
            self._write(type="begin", nodeid=nodeid, worker=self.worker, time=time.time())

    def write_collected(self, ids: list[str]) -> None:
        self.collection_done = time.time()
        if not self.collected:
            self.collected = True
            self._write(type="collected", ids=ids)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.write_collected([item.nodeid for item in session.items])
        keyed = {}  # the resource keys of serial marks: a shard keeps tests that share one
        for item in session.items:
            try:
                spec = serial_spec(item)
            except ValueError:  # the serial plugin reports it when the test runs
                continue
            if spec is not None and spec.keys and not spec.exclusive:
                keyed[item.nodeid] = list(spec.keys)
        if keyed:
            self._write(type="serial", keys=keyed)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and report.nodeid not in self.collect_errors:
            self.collect_errors.add(report.nodeid)
            self._write(type="collect_error", nodeid=report.nodeid, reason=_reason(report))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if str(report.when) == "???":  # xdist's report for a test whose worker crashed
            self._crashed(report)
            return
        worker = getattr(report, "worker_id", None) or self.worker
        record = self.pending.setdefault(
            (worker, report.nodeid),
            {
                "type": self.record_type,
                **self.extra,
                "nodeid": report.nodeid,
                "outcome": "passed",
                "duration": 0.0,
                "worker": worker,
                "start": report.start,
                "stop": report.stop,
                "reason": None,
                # The test's file (relative to the rootdir) and 1-based line, for JUnit and
                # annotations.
                "file": report.location[0],
                "line": report.location[1] + 1 if report.location[1] is not None else None,
            },
        )
        record["duration"] += report.duration
        record["stop"] = report.stop
        outcome = _phase_outcome(report)
        if _WORSE[outcome] > _WORSE[record["outcome"]] or (
            report.when == "call" and _WORSE[outcome] == _WORSE[record["outcome"]]
        ):
            record["outcome"] = outcome
            record["reason"] = _reason(report)
            record["failed_line"] = _failed_line(report)
        if report.when == "teardown":
            waits = [v for k, v in report.user_properties if k == "auditor_serial_wait"]
            if waits:
                record["serial_wait"] = waits[-1]
            footprint = [v for k, v in report.user_properties if k == "auditor_footprint"]
            if footprint and isinstance(footprint[-1], dict):
                record.update(footprint[-1])
            self.outcomes[report.nodeid] = record["outcome"]
            self._write(**self.pending.pop((worker, report.nodeid)))

    def _crashed(self, report: pytest.TestReport) -> None:
        found = [key for key in self.pending if key[1] == report.nodeid]
        record = (
            self.pending.pop(found[0])
            if found
            else {
                "type": "test",
                "nodeid": report.nodeid,
                "duration": 0.0,
                "worker": None,
                "start": None,
                "stop": None,
            }
        )
        record.update(outcome="crashed", reason=_reason(report))
        self._write(**record)

    def write_worker(self, worker: str, stats: dict[str, float]) -> None:
        self._write(type="worker", worker=worker, **stats)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        for record in self.pending.values():  # a phase never reported (interrupted run)
            self._write(**record)
        self.pending.clear()
        local = session.config.pluginmanager.get_plugin("auditor-worker-stats")
        if isinstance(local, WorkerStats) and local.stats["tests"]:
            local._publish()
            self.write_worker("main", {**local.stats, "startup_s": local.stats["collect_s"]})
        self._write(
            type="session_finish",
            time=time.time(),
            exitstatus=int(exitstatus),
            collection_done=self.collection_done,
        )

    def pytest_internalerror(self) -> None:
        """pytest's own error (in this process, or a worker's, which xdist reports here): the
        run's verdict whatever pytest exits with (under xdist it can exit 0 after one)."""
        if not self.file.closed:
            self._write(type="internal_error", time=time.time())

    def pytest_unconfigure(self) -> None:
        self.file.close()


class _XdistResults:
    """The controller's xdist hooks, registered only when xdist is loaded."""

    def __init__(self, recorder: ResultsRecorder) -> None:
        self.recorder = recorder
        self.setup_at = time.time()
        self.startup: dict[str, float] = {}

    def pytest_xdist_setupnodes(self) -> None:
        self.setup_at = time.time()

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # A worker's real start-up cost: interpreter, imports, plugins and collection.
        self.startup[node.gateway.id] = time.time() - self.setup_at
        self.recorder.write_collected(list(ids))

    def pytest_testnodedown(self, node: Any) -> None:
        stats = getattr(node, "workeroutput", {}).get("auditor_stats")
        if stats:
            worker = node.gateway.id
            startup = self.startup.get(worker, stats["collect_s"])
            self.recorder.write_worker(worker, {**stats, "startup_s": startup})


def _phase_outcome(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return "skipped" if report.skipped else "passed"


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str | None:
    longrepr = report.longrepr
    if longrepr is None or report.passed:
        return None
    if isinstance(longrepr, tuple):  # a skip: (path, lineno, reason)
        text = str(longrepr[2])
    else:
        crash = getattr(longrepr, "reprcrash", None)
        lines = str(longrepr).strip().splitlines()
        text = crash.message if crash is not None else (lines[-1] if lines else "")
    return text[:_REASON_LIMIT]


def _failed_line(report: pytest.TestReport) -> int | None:
    """The line in the test's own file where it failed (the traceback's last entry there), or
    None when the traceback never passes through it."""
    entries = getattr(getattr(report.longrepr, "reprtraceback", None), "reprentries", None)
    if report.passed or not entries:
        return None
    own = report.location[0].replace(os.sep, "/")
    for entry in reversed(entries):
        where = getattr(entry, "reprfileloc", None)
        if where is not None and str(where.path).replace(os.sep, "/").endswith(own):
            return int(where.lineno)
    return None


def append_dead_probe(
    results: str, target: str, attempt: int, replayed: int, worker: str, status: int
) -> None:
    """Record a rerun whose child died (killed by the watchdog: a hang) as its probe."""
    append_json_line(
        results,
        {
            "type": "probe",
            "target": target,
            "attempt": attempt,
            "replayed": replayed,
            "nodeid": target,
            "outcome": "hang" if status == HANG_EXIT else "crashed",
            "duration": 0.0,
            "worker": worker,
            "start": None,
            "stop": None,
            "reason": crash_reason(status),
        },
    )


def crash_reason(status: int) -> str:
    """The reason of a test whose process ended with ``status`` while running it."""
    if status == HANG_EXIT:
        return "ran past its timeout"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"the process running it was killed by {name}"
    return f"the process running it exited with status {status}"


def mixed(results: str, nodeid: str) -> bool:
    """Whether ``nodeid`` has both passed and failed in the records so far."""
    seen: set[bool] = set()
    for record in read_json_lines(results):
        if record.get("type") == "test" and record.get("nodeid") == nodeid:
            seen.add(record.get("outcome") in PASSING)
    return len(seen) > 1


def bury(results: str, worker: str, status: int) -> str | None:
    """A child died: record the test it had begun and not finished as crashed; its node id."""
    begun: dict[str, dict[str, Any]] = {}
    for record in read_json_lines(results):
        if record.get("worker") != worker:
            continue
        if record.get("type") == "begin":
            begun[record["nodeid"]] = record
        elif record.get("type") == "test":
            begun.pop(record["nodeid"], None)
    for nodeid, record in begun.items():
        append_json_line(
            results,
            {
                "type": "test",
                "nodeid": nodeid,
                "outcome": "crashed",
                "duration": time.time() - record["time"],
                "worker": worker,
                "start": record["time"],
                "stop": time.time(),
                "reason": crash_reason(status),
            },
        )
    return next(iter(begun), None)
