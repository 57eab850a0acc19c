"""The fork server: collect once, then run any number of orders, each in a forked child.

Every pytest start-up pays an interpreter, the imports, the plugins and a collection (slow under
``PYTHONDONTWRITEBYTECODE``). ``auditor audit`` pays it once: it starts pytest with
``--auditor-serve=FD`` and this plugin replaces the test loop with a loop over the requests read
from that socket (see :mod:`auditor.plugin.protocol`). Each request runs in a child forked from
the freshly collected session, so every run starts from the state a new ``pytest`` process would
have after collection.

A run request names an order: the default one, a pytest-randomly seed (the order comes from
randomly's own hook, run again on the items as collected, so it is the order
``pytest -p randomly --randomly-seed=S`` runs), or an explicit list of node ids. The child records
what it executed (``--auditor-results`` records plus ``begin`` records) into the request's file,
and reruns failures from checkpoints of the same run (see :mod:`auditor.plugin.checkpoints`).
A child that dies in a test leaves that test recorded as crashed, and a new child goes on with
the rest of the order.

Co-runs: each attempt forks one child per test, and all children start their test at the same
moment (they wait on one pipe that the server opens for them once all exist). Attempts stop at
the first in which every test passes.

Alone runs: each test in a child of its own, from the collected state (or from a prefix's). Up
to ``width`` children run at once, for the tests the request names ``beside`` (seen to use no
shared resource); a test that did not pass beside another runs again with none, and only that
run counts. With a footprint, the snapshot before a test is taken once per test module in the
server, not once per child.

With ``footprint`` in a request, the child records what each test leaves changed and touches
(see :mod:`auditor.plugin.footprint`).

The server sends ``ready`` (collected ids, collection errors, the threads that make forking
unsafe) and then one ``done`` per request, an ``error`` for one it cannot run or parse; ``quit``
or the end of input ends it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from auditor.plugin.checkpoints import Checkpoints
from auditor.plugin.children import children_cpu, fork, wait, wait_any
from auditor.plugin.jsonlines import append_json_line, read_json_lines
from auditor.plugin.protocol import CorunRequest, ProtocolError, Request, RunRequest, parse_request
from auditor.plugin.record import (
    PASSING,
    ResultsRecorder,
    _reason,
    append_dead_probe,
    bury,
    mixed,
)
from auditor.plugin.threads import ThreadInfo, fork_safety
from auditor.plugin.watchdog import WATCHDOG, Watchdog
from auditor.plugin.world import World

if TYPE_CHECKING:
    from auditor.plugin.footprint import Footprint


class ForkServer:
    """Registered with ``--auditor-serve=FD``: the test loop becomes a request loop."""

    def __init__(self, config: pytest.Config, fd: int) -> None:
        self.config = config
        self.sock = socket.socket(fileno=fd)
        self.requests = self.sock.makefile("r", encoding="utf-8")
        self.as_collected: list[pytest.Item] = []  #: before any plugin reordered them
        self.collect_errors: list[tuple[str, str]] = []
        self.watchdog = Watchdog(default=3600.0, timeouts={}, path=None)
        self.world: World | None = None  #: the project's files, for alone runs that restore
        self._primed: Footprint | None = None  #: alone children's footprint, its snapshots taken
        config.pluginmanager.register(self.watchdog, "auditor-watchdog")

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        self.as_collected.append(item)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append((report.nodeid, _reason(report) or ""))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        # Forking with a live thread copies the locks it holds: safe only while it waits.
        threads = fork_safety(frozenset({WATCHDOG}))
        self._send(
            op="ready",
            collected=[item.nodeid for item in session.items],
            errors=self.collect_errors,
            threads=[thread.name for thread in threads],
            unsafe=[_unsafe(thread) for thread in threads if not thread.safe],
        )
        for line in self.requests:
            try:
                request = parse_request(line)
            except ProtocolError as error:
                self._send(op="done", error=str(error))
                continue
            if request is None:
                break
            if isinstance(request, RunRequest):
                self._send(op="done", **self._serve(session, request))
            else:
                self._send(op="done", **self._corun(session, request))
        if self.world is not None:
            self.world.close()
        return True

    def _send(self, **message: Any) -> None:
        self.sock.sendall((json.dumps(message) + "\n").encode())

    def _serve(self, session: pytest.Session, request: RunRequest) -> dict[str, Any]:
        try:
            items = self._order(session, request)
        except LookupError as missing:
            return {"error": f"not collected: {missing.args[0]}"}
        stop_when = request.stop_when_mixed
        cpu = children_cpu()
        if request.alone:
            if request.keep is not None and self.world is None:
                root = self.config.invocation_params.dir
                self.world = World.take(root, exclude=request.keep)
            append_json_line(request.results, {"type": "collected", "ids": _ids(items)})
            before = self._items(session, request.prefix)
            if before:  # the prefix once, each test in a fork of where it left
                status = wait(fork(self._after_prefix, session, before, items, request))
                if status in (0, 1):
                    return {"statuses": [status], "cpu_s": children_cpu() - cpu}
            alone = self._each_alone(session, before, items, request)
            return {"statuses": alone, "cpu_s": children_cpu() - cpu}
        statuses: list[int] = []
        for attempt in range(request.repeats):
            statuses.append(self._fork_run(session, items, request, attempt))
            if stop_when and mixed(request.results, stop_when):
                break
        return {"statuses": statuses, "cpu_s": children_cpu() - cpu}

    def _corun(self, session: pytest.Session, request: CorunRequest) -> dict[str, Any]:
        try:
            items = self._items(session, request.ids)
        except LookupError as missing:
            return {"error": f"not collected: {missing.args[0]}"}
        self._seed_randomly(None)
        cpu = children_cpu()
        statuses: list[int] = []
        for attempt in range(request.repeats):
            together = self._fork_together(session, items, request, attempt)
            statuses += together
            if not any(together):
                break  # both passed side by side: no conflict confirmed, whatever came before
        return {"statuses": statuses, "cpu_s": children_cpu() - cpu}

    def _fork_together(
        self, session: pytest.Session, items: list[pytest.Item], request: CorunRequest, k: int
    ) -> list[int]:
        """Run each item in a child of its own, all starting their test at the same moment (or
        each ``request.stagger_s`` after the one before)."""
        gate_r, gate_w = os.pipe()
        results = request.results
        children = []
        for j, item in enumerate(items):
            worker, path = f"c{k}.{j}", f"{results}.{j}"
            delay = j * request.stagger_s
            pid = fork(
                self._together,
                session,
                item,
                request,
                worker,
                path,
                gate_r,
                delay,
                close=(gate_w,),
            )
            children.append((pid, worker, path))
        os.close(gate_r)
        os.write(gate_w, b"g" * len(children))  # each child reads one byte: go
        os.close(gate_w)
        statuses = []
        for pid, worker, path in children:
            status = wait(pid)
            if status not in (0, 1):
                bury(path, worker, status)
            statuses.append(status)
            _move_records(path, results)
        return statuses

    def _after_prefix(
        self,
        session: pytest.Session,
        before: list[pytest.Item],
        items: list[pytest.Item],
        request: RunRequest,
    ) -> int:
        """In a child: the prefix once, then each of ``items`` in a grandchild forked from the
        state the prefix left (a slow writer costs its time once, not once per test). Each
        grandchild records the prefix's records as its own first: its process ran them. 0 or
        1 (whether a test failed); ``_REFORK`` when the prefix left threads that make forking
        unsafe, or died: then the server runs the prefix in each test's child."""
        prefix_log = f"{request.results}.prefix"
        self._prepare(request, prefix_log, "a").collected = True
        for j, item in enumerate(before):
            following = before[j + 1] if j + 1 < len(before) else _Above(item)
            self.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
        if not all(thread.safe for thread in fork_safety(frozenset({WATCHDOG}))):
            return _REFORK
        for name in ("auditor-results", "auditor-results-xdist", "auditor-footprint"):
            if self.config.pluginmanager.has_plugin(name):  # each grandchild has its own
                self.config.pluginmanager.unregister(name=name)
        replay = [r for r in read_json_lines(prefix_log) if r.get("type") == "test"]
        taken = None
        if self.world is not None and request.keep is not None:  # put back to after the prefix
            taken = World.take(self.config.invocation_params.dir, exclude=request.keep)
            self.world = taken
        try:
            statuses = self._each_alone(session, [], items, request, replay)
        finally:
            if taken is not None:  # this child's own backup (the server's stays the server's)
                taken.close()
        return 1 if any(statuses) else 0

    def _each_alone(
        self,
        session: pytest.Session,
        before: list[pytest.Item],
        items: list[pytest.Item],
        request: RunRequest,
        replay: list[dict[str, Any]] | None = None,
    ) -> list[int]:
        """Each of ``items`` in a child of its own, after ``before`` (or ``replay``); their
        statuses. Up to ``request.width`` children run at once, for the tests in
        ``request.beside``; any other test runs with no child beside it. A test that did not
        pass beside another runs again with none, and only that run counts: a collision (a
        file a session fixture shares, a loaded machine) is not its outcome alone. The records
        go to the results file in the order of ``items``, whichever child ends first."""
        beside = frozenset(request.beside) if request.width > 1 else frozenset()
        statuses = [0] * len(items)
        running: dict[int, tuple[int, str]] = {}  #: pid → the test's index, its own results
        ended: dict[int, tuple[int, str]] = {}  #: index → status, results, until written

        def reap() -> None:
            pid, status = wait_any(running)
            i, path = running.pop(pid)
            ended[i] = (status, path)

        def settle() -> None:
            """Every child ended, their records written; those that did not pass, again alone."""
            while running:
                reap()
            for i in sorted(ended):
                status, path = ended.pop(i)
                _move_records(path, request.results if status == 0 else None)
                if status != 0:
                    self._put_back(request, status)
                    statuses[i] = self._alone(session, [*before, items[i]], request, i, replay)

        self._primed = _footprint(self.config) if request.footprint else None
        try:
            for i, item in enumerate(items):
                if item.nodeid not in beside:
                    settle()
                    statuses[i] = self._alone(session, [*before, item], request, i, replay)
                    continue
                while len(running) >= request.width:
                    reap()
                if any(status for status, _ in ended.values()):
                    settle()  # a test that failed may have left files: put back, with none beside
                self._ready(item)
                path, chain = f"{request.results}.{i}", [*before, item]
                pid = fork(self._solo, session, chain, request, f"a{i}", None, replay, path)
                running[pid] = (i, path)
            settle()
        finally:
            self._primed = None
        return statuses

    def _ready(self, item: pytest.Item) -> None:
        """The footprint's snapshot before ``item``, taken here once per test module for every
        child that starts from this process's state (each would take the same one)."""
        if self._primed is not None:
            self._primed.snapshots.ready(item)

    def _alone(
        self,
        session: pytest.Session,
        items: list[pytest.Item],
        request: RunRequest,
        i: int,
        replay: list[dict[str, Any]] | None = None,
    ) -> int:
        """The last of ``items`` in a child of its own, after the others (the request's prefix,
        or ``replay``: the records of a prefix this process ran already); a failure rerun
        ``reruns`` times from the same state, as probes, stopping at the first outcome that
        differs."""
        worker, item = f"a{i}", items[-1]
        self._ready(item)
        status = wait(fork(self._solo, session, items, request, worker, None, replay))
        if status not in (0, 1):
            bury(request.results, worker, status)
        reruns = request.reruns if status and item.nodeid not in request.no_rerun else 0
        for attempt in range(reruns):
            self._put_back(request, status)
            again = wait(fork(self._solo, session, items, request, worker, attempt, replay))
            if again not in (0, 1):
                replayed = len(items) - 1 + len(replay or ())
                append_dead_probe(request.results, item.nodeid, attempt, replayed, worker, again)
            if (again == 0) != (status == 0):
                break
        self._put_back(request, status)
        return status

    def _put_back(self, request: RunRequest, status: int) -> None:
        """After an alone child whose test did not pass: the files as they were."""
        if status and self.world is not None and request.keep is not None:
            self.world.restore()

    def _solo(
        self,
        session: pytest.Session,
        items: list[pytest.Item],
        request: RunRequest,
        worker: str,
        attempt: int | None,
        replay: list[dict[str, Any]] | None = None,
        results: str | None = None,
    ) -> int:
        """In a child: run ``items`` (``attempt``: as a rerun of the last, recorded as a
        probe); the last one's status. ``replay``: a prefix this process inherited, run.
        ``results``: the file to record to, if not the request's."""
        item, results = items[-1], results or request.results
        recorder = self._prepare(request, results, worker)
        recorder.collected = True  # the server wrote the request's ids as collected
        if replay:
            # What the prefix left set up that this test does not share (another module's
            # fixtures), torn down now, as the prefix's last test would have before it.
            with contextlib.suppress(Exception):
                session._setupstate.teardown_exact(items[0])
        if attempt is not None:
            replayed = len(items) - 1 + len(replay or ())
            extra = {"target": item.nodeid, "attempt": attempt, "replayed": replayed}
            recorder.retarget(results, "probe", **extra)
            recorder.begin = False
            self.watchdog.path = None  # a rerun's hang is the probe's outcome
        else:
            for record in replay or ():
                append_json_line(results, {**record, "worker": worker})
        for j, each in enumerate(items):
            nextitem = items[j + 1] if j + 1 < len(items) else None
            self.config.hook.pytest_runtest_protocol(item=each, nextitem=nextitem)
        recorder.pytest_sessionfinish(session, 0)
        recorder.file.close()
        return 0 if recorder.outcomes.get(item.nodeid, "passed") in PASSING else 1

    def _together(
        self,
        session: pytest.Session,
        item: pytest.Item,
        request: CorunRequest,
        worker: str,
        results: str,
        gate: int,
        delay: float,
    ) -> int:
        recorder = self._prepare(request, results, worker)
        recorder.write_collected([item.nodeid])
        os.read(gate, 1)
        if delay:
            time.sleep(delay)
        self.config.hook.pytest_runtest_protocol(item=item, nextitem=None)
        recorder.pytest_sessionfinish(session, 0)
        recorder.file.close()
        return 0 if recorder.outcomes.get(item.nodeid, "passed") in PASSING else 1

    def _items(self, session: pytest.Session, ids: Iterable[str]) -> list[pytest.Item]:
        by_id = {item.nodeid: item for item in reversed(session.items)}
        return [by_id[nodeid] if nodeid in by_id else _missing(nodeid) for nodeid in ids]

    def _seed_randomly(self, seed: int | None) -> None:
        """For the child: reseed per test as randomly does under ``seed``, or not at all."""
        option = self.config.option
        if self.config.pluginmanager.get_plugin("randomly") is not None:
            option.randomly_reset_seed = seed is not None
            option.randomly_reorganize = False
            if seed is not None:
                option.randomly_seed = seed

    def _order(self, session: pytest.Session, request: RunRequest) -> list[pytest.Item]:
        """The items to run, in order. Sets randomly's options as the request's seed says."""
        seed = request.seed
        option = self.config.option
        randomly = self.config.pluginmanager.get_plugin("randomly")
        if request.ids:
            items = self._items(session, request.ids)
        elif seed is not None and randomly is not None:
            items = list(self.as_collected)
            option.randomly_seed, option.randomly_reorganize = seed, True  # for the hook
            self.config.hook.pytest_collection_modifyitems(
                session=session, config=self.config, items=items
            )
        else:
            items = list(session.items)
        self._seed_randomly(seed)
        exclude = set(request.exclude)
        return [item for item in items if item.nodeid not in exclude]

    def _fork_run(
        self, session: pytest.Session, items: list[pytest.Item], request: RunRequest, k: int
    ) -> int:
        """Run ``items`` in a child; if it dies in a test, go on with the rest in a new child."""
        first_status, part, remaining = 0, 0, items
        while remaining:
            worker = f"r{k}" if part == 0 else f"r{k}.{part}"
            status = wait(fork(self._child, session, remaining, request, worker))
            if status == 0:
                break
            first_status = first_status or status
            dead = bury(request.results, worker, status)
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
        request: RunRequest,
        worker: str,
    ) -> int:
        recorder = self._prepare(request, request.results, worker)
        recorder.write_collected([item.nodeid for item in items])
        exitstatus = Checkpoints(session, items, recorder, self.watchdog, request).run()
        recorder.pytest_sessionfinish(session, exitstatus)
        recorder.file.close()
        return 0

    def _prepare(self, request: Request, results: str, worker: str) -> ResultsRecorder:
        """In a child: close the server's socket, reseed, record to ``results``, arm the
        watchdog."""
        self.requests.close()
        self.sock.close()
        run = request if isinstance(request, RunRequest) else None  # co-runs: no seed, footprint
        randomly = self.config.pluginmanager.get_plugin("randomly")
        reseed = getattr(randomly, "_reseed", None)
        if run and run.seed is not None and callable(reseed):
            reseed(self.config)  # as randomly does at session start
        if run and run.footprint:
            footprint = self._primed or _footprint(self.config)
            footprint.snapshots.forked()
            self.config.pluginmanager.register(footprint, "auditor-footprint")
        recorder = ResultsRecorder(self.config, results, worker=worker, begin=True)
        self.config.pluginmanager.register(recorder, "auditor-results")
        self.watchdog.default = float(request.timeout or self.watchdog.default)
        self.watchdog.timeouts = dict(request.timeouts)
        self.watchdog.path = results
        return recorder


_REFORK = 76  #: an ``after`` prefix child's status: run the prefix in each test's child instead


class _Above:
    """The ``nextitem`` of a prefix's last test when the next test is not known yet: it keeps
    everything the test's collectors set up (module, class and session fixtures), as a next
    test in the same class would, and tears down the test's own."""

    def __init__(self, item: pytest.Item) -> None:
        self._item = item

    def listchain(self) -> list[Any]:
        return self._item.listchain()[:-1]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._item.parent, name)


def _move_records(path: str, results: str | None) -> None:
    """A child's own records appended to ``results`` (None: dropped), its file removed."""
    if results is not None:
        with (
            contextlib.suppress(FileNotFoundError),
            open(path, encoding="utf-8") as part,
            open(results, "a", encoding="utf-8") as whole,
        ):
            whole.write(part.read())
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _footprint(config: pytest.Config) -> Footprint:
    from auditor.plugin.footprint import Footprint  # only where footprints are recorded

    return Footprint(config)


def _unsafe(thread: ThreadInfo) -> str:
    why = "busy" if not thread.idle else "not a daemon"
    return f"{thread.name} ({why}, at {thread.where})"


def _ids(items: list[pytest.Item]) -> list[str]:
    return [item.nodeid for item in items]


def _missing(nodeid: str) -> NoReturn:
    raise LookupError(nodeid)
