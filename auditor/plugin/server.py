"""The fork server: collect once, then run any number of orders, each in a forked child.

Every pytest start-up pays an interpreter, the imports, the plugins and a collection (slow under
``PYTHONDONTWRITEBYTECODE``). ``auditor audit`` pays it once: it starts pytest with
``--auditor-serve=FD`` and this plugin replaces the test loop with a loop over requests read from
that socket. Each request runs in a child forked from the freshly collected session, so every run
starts from the state a new ``pytest`` process would have after collection.

A request names an order: the default one, a pytest-randomly seed (the order comes from
randomly's own hook, run again on the items as collected, so it is the order
``pytest -p randomly --randomly-seed=S`` runs), or an explicit list of node ids. The child records
what it executed (``--auditor-results`` records plus ``begin`` records) into the request's file.

Checkpoints: a child with ``reruns`` > 0 forks a paused snapshot of itself before a test whenever
``checkpoint_s`` of test time has passed since the last one (always before a ``target``). When a
test fails (or is a target), the snapshot replays the tests from the checkpoint up to it in a
fresh fork, ``reruns`` times, stopping at the first outcome that differs: outcomes from the very
same state of the very same order, without replaying the whole prefix. The overhead is one fork
per checkpoint (about 2 ms), at most a few per cent of a run.

Co-runs: a ``corun`` request names two tests; each attempt forks one child per test, and both
children start their test at the same moment (they wait on one pipe that the server opens for
them once both exist). Attempts stop at the first in which both pass.

With ``footprint`` in a request, the child records what each test leaves changed and touches
(see :mod:`auditor.plugin.footprint`).

Protocol (JSON lines): the server sends ``ready`` (collected ids, collection errors, whether
forking is safe) and then one ``done`` per ``run`` or ``corun`` request; ``quit`` or end of input
ends it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

import pytest

from auditor.plugin.record import ResultsRecorder, _reason
from auditor.plugin.watchdog import HANG_EXIT, WATCHDOG, Watchdog

Request = dict[str, Any]  #: a ``run`` request, as sent by :class:`auditor.runner.ForkServer`
_CHILD_FAILED = 70  #: a child that hit an internal error
_PASSING = frozenset({"passed", "skipped", "xfailed", "xpassed"})


class ForkServer:
    """Registered with ``--auditor-serve=FD``: the test loop becomes a request loop."""

    def __init__(self, config: pytest.Config, fd: int) -> None:
        self.config = config
        self.sock = socket.socket(fileno=fd)
        self.requests = self.sock.makefile("r", encoding="utf-8")
        self.as_collected: list[pytest.Item] = []  #: before any plugin reordered them
        self.collect_errors: list[tuple[str, str]] = []
        self.watchdog = Watchdog(default=3600.0, timeouts={}, path=None)
        config.pluginmanager.register(self.watchdog, "auditor-watchdog")

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        self.as_collected.append(item)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append((report.nodeid, _reason(report) or ""))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        self._send(
            op="ready",
            collected=[item.nodeid for item in session.items],
            errors=self.collect_errors,
            threads=others,  # forking with live threads could copy a held lock: not safe
        )
        for line in self.requests:
            request = json.loads(line)
            if request.get("op") == "run":
                self._send(op="done", **self._serve(session, request))
            elif request.get("op") == "corun":
                self._send(op="done", **self._corun(session, request))
            else:
                break
        return True

    def _send(self, **message: Any) -> None:
        self.sock.sendall((json.dumps(message) + "\n").encode())

    def _serve(self, session: pytest.Session, request: Request) -> dict[str, Any]:
        try:
            items = self._order(session, request)
        except LookupError as missing:
            return {"error": f"not collected: {missing.args[0]}"}
        stop_when = request.get("stop_when_mixed")
        cpu = _children_cpu()
        statuses: list[int] = []
        for attempt in range(int(request.get("repeats", 1))):
            statuses.append(self._fork_run(session, items, request, attempt))
            if stop_when and _mixed(request["results"], stop_when):
                break
        return {"statuses": statuses, "cpu_s": _children_cpu() - cpu}

    def _corun(self, session: pytest.Session, request: Request) -> dict[str, Any]:
        try:
            items = self._items(session, request["ids"])
        except LookupError as missing:
            return {"error": f"not collected: {missing.args[0]}"}
        self._seed_randomly(None)
        cpu = _children_cpu()
        statuses: list[int] = []
        for attempt in range(int(request.get("repeats", 1))):
            together = self._fork_together(session, items, request, attempt)
            statuses += together
            if not any(together):
                break  # both passed side by side: no conflict confirmed, whatever came before
        return {"statuses": statuses, "cpu_s": _children_cpu() - cpu}

    def _fork_together(
        self, session: pytest.Session, items: list[pytest.Item], request: Request, k: int
    ) -> list[int]:
        """Run each item in a child of its own, all starting their test at the same moment."""
        gate_r, gate_w = os.pipe()
        results = request["results"]
        children = []
        for j, item in enumerate(items):
            worker, path = f"c{k}.{j}", f"{results}.{j}"
            _flush()
            pid = os.fork()
            if pid == 0:
                os.close(gate_w)
                _exit_after(self._together, session, item, request, worker, path, gate_r)
            children.append((pid, worker, path))
        os.close(gate_r)
        os.write(gate_w, b"g" * len(children))  # each child reads one byte: go
        os.close(gate_w)
        statuses = []
        for pid, worker, path in children:
            status = _wait(pid)
            if status not in (0, 1):
                _bury(path, worker, status)
            statuses.append(status)
            with (
                contextlib.suppress(FileNotFoundError),
                open(path, encoding="utf-8") as part,
                open(results, "a", encoding="utf-8") as whole,
            ):
                whole.write(part.read())
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return statuses

    def _together(
        self,
        session: pytest.Session,
        item: pytest.Item,
        request: Request,
        worker: str,
        results: str,
        gate: int,
    ) -> int:
        recorder = self._prepare(request, results, worker)
        recorder.write_collected([item.nodeid])
        os.read(gate, 1)
        self.config.hook.pytest_runtest_protocol(item=item, nextitem=None)
        recorder.pytest_sessionfinish(session, 0)
        recorder.file.close()
        return 0 if recorder.outcomes.get(item.nodeid, "passed") in _PASSING else 1

    def _items(self, session: pytest.Session, ids: list[str]) -> list[pytest.Item]:
        by_id = {item.nodeid: item for item in reversed(session.items)}
        return [by_id[nodeid] if nodeid in by_id else _missing(nodeid) for nodeid in ids]

    def _seed_randomly(self, seed: int | None) -> None:
        """For the child: reseed per test as randomly does under ``seed``, or not at all."""
        option = self.config.option
        if self.config.pluginmanager.get_plugin("randomly") is not None:
            option.randomly_reset_seed = seed is not None
            option.randomly_reorganize = False
            if seed is not None:
                option.randomly_seed = int(seed)

    def _order(self, session: pytest.Session, request: Request) -> list[pytest.Item]:
        """The items to run, in order. Sets randomly's options as the request's seed says."""
        seed = request.get("seed")
        ids = request.get("ids")
        option = self.config.option
        randomly = self.config.pluginmanager.get_plugin("randomly")
        if ids:
            items = self._items(session, ids)
        elif seed is not None and randomly is not None:
            items = list(self.as_collected)
            option.randomly_seed, option.randomly_reorganize = int(seed), True  # for the hook
            self.config.hook.pytest_collection_modifyitems(
                session=session, config=self.config, items=items
            )
        else:
            items = list(session.items)
        self._seed_randomly(seed)
        exclude = set(request.get("exclude") or ())
        return [item for item in items if item.nodeid not in exclude]

    def _fork_run(
        self, session: pytest.Session, items: list[pytest.Item], request: Request, k: int
    ) -> int:
        """Run ``items`` in a child; if it dies in a test, go on with the rest in a new child."""
        first_status, part, remaining = 0, 0, items
        while remaining:
            worker = f"r{k}" if part == 0 else f"r{k}.{part}"
            _flush()
            pid = os.fork()
            if pid == 0:
                _exit_after(self._child, session, remaining, request, worker)
            status = _wait(pid)
            if status == 0:
                break
            first_status = first_status or status
            dead = _bury(request["results"], worker, status)
            ids = [item.nodeid for item in remaining]
            if dead not in ids:
                break  # died outside a test: nothing to go on from
            remaining = remaining[ids.index(dead) + 1 :]
            part += 1
        return first_status

    def _child(
        self,
        session: pytest.Session,
        items: list[pytest.Item],
        request: Request,
        worker: str,
    ) -> int:
        recorder = self._prepare(request, request["results"], worker)
        recorder.write_collected([item.nodeid for item in items])
        checkpoints = _Checkpoints(
            session,
            items,
            recorder,
            self.watchdog,
            reruns=int(request.get("reruns", 0)),
            targets=frozenset(request.get("targets") or ()),
            every_s=float(request.get("checkpoint_s", 0.05)),
            failures=bool(request.get("rerun_failures", True)),
            spare=frozenset(request.get("no_rerun") or ()),
        )
        exitstatus = checkpoints.run()
        recorder.pytest_sessionfinish(session, exitstatus)
        recorder.file.close()
        return 0

    def _prepare(self, request: Request, results: str, worker: str) -> ResultsRecorder:
        """In a child: close the server's socket, reseed, record to ``results``, arm the
        watchdog."""
        self.requests.close()
        self.sock.close()
        randomly = self.config.pluginmanager.get_plugin("randomly")
        reseed = getattr(randomly, "_reseed", None)
        if request.get("seed") is not None and callable(reseed):
            reseed(self.config)  # as randomly does at session start
        if request.get("footprint"):
            from auditor.plugin.footprint import Footprint

            self.config.pluginmanager.register(Footprint(self.config), "auditor-footprint")
        recorder = ResultsRecorder(self.config, results, worker=worker, begin=True)
        self.config.pluginmanager.register(recorder, "auditor-results")
        self.watchdog.default = float(request.get("timeout") or self.watchdog.default)
        self.watchdog.timeouts = {k: float(v) for k, v in (request.get("timeouts") or {}).items()}
        self.watchdog.path = results
        return recorder


class _Checkpoints:
    """Runs one order in this child; keeps a paused snapshot to rerun failures from."""

    def __init__(
        self,
        session: pytest.Session,
        items: list[pytest.Item],
        recorder: ResultsRecorder,
        watchdog: Watchdog,
        reruns: int,
        targets: frozenset[str],
        every_s: float,
        failures: bool,
        spare: frozenset[str],
    ) -> None:
        self.session = session
        self.items = items
        self.recorder = recorder
        self.watchdog = watchdog
        self.reruns = reruns
        self.targets = targets
        self.every_s = every_s
        self.failures = failures  #: rerun every failing test (else only the targets)
        self.spare = spare  #: failing tests not to rerun (their evidence is complete)
        self.snapshot: tuple[int, int, Any] | None = None  # pid, command fd, replies
        self.taken_at = 0.0

    def run(self) -> int:
        hook = self.session.config.hook
        try:
            for i, item in enumerate(self.items):
                nextitem = self.items[i + 1] if i + 1 < len(self.items) else None
                self._maybe_checkpoint(i)
                hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
                outcome = self.recorder.outcomes.get(item.nodeid, "passed")
                if self.snapshot and self._wants_rerun(item.nodeid, outcome):
                    self._rerun(i, outcome)
                if self.session.shouldfail or self.session.shouldstop:
                    break
        finally:
            self._release()
        return 1 if self.session.testsfailed else 0

    def _wants_rerun(self, nodeid: str, outcome: str) -> bool:
        if nodeid in self.targets:
            return True
        return self.failures and outcome not in _PASSING and nodeid not in self.spare

    def _maybe_checkpoint(self, i: int) -> None:
        if self.reruns <= 0:
            return
        due = self.failures and time.monotonic() - self.taken_at >= self.every_s
        wanted = self.snapshot is None or due or self.items[i].nodeid in self.targets
        # A fork copies no thread, but every lock one holds: while a test's thread runs, the
        # older snapshot stays, and reruns replay a little more from it.
        if wanted and _only_our_threads():
            self._release()
            self._take(i)

    def _take(self, i: int) -> None:
        command_r, command_w = os.pipe()
        reply_r, reply_w = os.pipe()
        self.recorder.file.flush()
        _flush()
        pid = os.fork()
        if pid == 0:
            os.close(command_w)
            os.close(reply_r)
            _exit_after(self._paused, i, command_r, reply_w)
        os.close(command_r)
        os.close(reply_w)
        self.snapshot = (pid, command_w, os.fdopen(reply_r, "r"))
        self.taken_at = time.monotonic()

    def _release(self) -> None:
        if self.snapshot is None:
            return
        pid, command_w, replies = self.snapshot
        self.snapshot = None
        os.close(command_w)  # end of input: the snapshot exits
        replies.close()
        _wait(pid)

    def _rerun(self, i: int, outcome: str) -> None:
        assert self.snapshot is not None
        _, command_w, replies = self.snapshot
        self.recorder.file.flush()
        _flush()
        os.write(command_w, f"{i} {int(outcome in _PASSING)}\n".encode())
        replies.readline()  # wait: reruns must never overlap the run

    def _paused(self, start: int, command_r: int, reply_w: int) -> int:
        """The snapshot: on each request, rerun the tests from ``start`` to the target."""
        with os.fdopen(command_r, "r") as commands:
            for line in commands:
                index, passed = (int(part) for part in line.split())
                self._rerun_from(start, index, bool(passed))
                os.write(reply_w, b"done\n")
        return 0

    def _rerun_from(self, start: int, index: int, passed: bool) -> None:
        target = self.items[index].nodeid
        results = self.watchdog.path or ""
        for attempt in range(self.reruns):
            _flush()
            pid = os.fork()
            if pid == 0:
                _exit_after(self._replay, start, index, attempt, results)
            status = _wait(pid)
            if status not in (0, 1):
                _append(
                    results,
                    type="probe",
                    target=target,
                    attempt=attempt,
                    replayed=index - start,
                    nodeid=target,
                    outcome="hang" if status == HANG_EXIT else "crashed",
                    duration=0.0,
                    worker=self.recorder.worker,
                    start=None,
                    stop=None,
                    reason=_describe_status(status),
                )
            if (status == 0) != passed:
                break  # a different outcome from the very same state: conclusive

    def _replay(self, start: int, index: int, attempt: int, results: str) -> int:
        target = self.items[index].nodeid
        self.recorder.retarget(
            results, "probe", target=target, attempt=attempt, replayed=index - start
        )
        self.recorder.begin = False
        self.watchdog.path = None  # the snapshot records a hang as the probe's outcome
        hook = self.session.config.hook
        for j in range(start, index + 1):
            nextitem = self.items[j + 1] if j < index else None
            hook.pytest_runtest_protocol(item=self.items[j], nextitem=nextitem)
        self.recorder.file.close()
        return 0 if self.recorder.outcomes.get(target, "passed") in _PASSING else 1


def _only_our_threads() -> bool:
    """Whether a fork is safe: no thread alive but this one and the watchdog."""
    mine = {threading.current_thread(), *(t for t in threading.enumerate() if t.name == WATCHDOG)}
    return all(thread in mine for thread in threading.enumerate())


def _missing(nodeid: str) -> NoReturn:
    raise LookupError(nodeid)


def _mixed(results: str, nodeid: str) -> bool:
    """Whether ``nodeid`` has both passed and failed in the records so far."""
    seen: set[bool] = set()
    for record in _records(results):
        if record.get("type") == "test" and record.get("nodeid") == nodeid:
            seen.add(record.get("outcome") in _PASSING)
    return len(seen) > 1


def _bury(results: str, worker: str, status: int) -> str | None:
    """A child died: record the test it had begun and not finished as crashed; its node id."""
    begun: dict[str, dict[str, Any]] = {}
    for record in _records(results):
        if record.get("worker") != worker:
            continue
        if record.get("type") == "begin":
            begun[record["nodeid"]] = record
        elif record.get("type") == "test":
            begun.pop(record["nodeid"], None)
    for nodeid, record in begun.items():
        _append(
            results,
            type="test",
            nodeid=nodeid,
            outcome="crashed",
            duration=time.time() - record["time"],
            worker=worker,
            start=record["time"],
            stop=time.time(),
            reason=_describe_status(status),
        )
    return next(iter(begun), None)


def _describe_status(status: int) -> str:
    if status == HANG_EXIT:
        return "ran past its timeout"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"the process running it was killed by {name}"
    return f"the process running it exited with status {status}"


def _records(path: str) -> list[dict[str, Any]]:
    records = []
    try:
        with open(path, encoding="utf-8") as file:
            for line in file:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return records


def _append(path: str, **record: Any) -> None:
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


def _wait(pid: int) -> int:
    """The child's exit status; minus the signal number when a signal ended it."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    return os.waitstatus_to_exitcode(status)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _exit_after(body: Callable[..., int], *args: Any) -> NoReturn:
    """In a forked child: run ``body`` and leave with its status, never returning to the caller."""
    status = _CHILD_FAILED
    try:
        status = body(*args)
    except BaseException:
        traceback.print_exc()
    finally:
        _flush()
        os._exit(status)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
