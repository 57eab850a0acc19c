"""Checkpoints: rerun a failing test from a paused snapshot of the very run it failed in.

A fork-server child running an order with ``reruns`` > 0 forks a paused snapshot of itself
before a test whenever ``checkpoint_s`` of test time has passed since the last one (always before
a target, never while a thread other than ours is alive: the snapshot would copy the locks it
holds). When a test fails (or is a target), the child asks the snapshot to replay the tests from
the checkpoint up to it in a fresh fork, ``reruns`` times, stopping at the first outcome that
differs from the run's: outcomes from the very same state of the very same order, without
replaying the whole prefix. Each replay's result is a ``probe`` record (see
:mod:`auditor.plugin.record`).

A checkpoint costs a fork and, later, the end of the snapshot it replaces (about 2 ms for a
small project, 6 ms and more for a large one), and every page the run writes afterwards is
copied once (the snapshot shares them): on the corpus's large suite, 472 checkpoints 50 ms
apart made its default order 73 s against 63 s without. So the interval grows with what the
last checkpoint cost: at least ``FORK_SHARE_INVERSE`` times its fork and release, measured.
"""

from __future__ import annotations

import os
import threading
import time
from typing import IO

import pytest

from auditor.plugin.children import flush_output, fork, wait
from auditor.plugin.protocol import RunRequest
from auditor.plugin.record import PASSING, ResultsRecorder, append_dead_probe
from auditor.plugin.watchdog import WATCHDOG, Watchdog

#: the interval between checkpoints is at least this many times the last one's fork and
#: release (a fork's copies of written pages, about as dear again, follow unmeasured)
FORK_SHARE_INVERSE = 50


class Checkpoints:
    """Runs one order in this child; keeps a paused snapshot to rerun failures from."""

    def __init__(
        self,
        session: pytest.Session,
        items: list[pytest.Item],
        recorder: ResultsRecorder,
        watchdog: Watchdog,
        request: RunRequest,
    ) -> None:
        self.session = session
        self.items = items
        self.recorder = recorder
        self.watchdog = watchdog
        self.reruns = request.reruns
        self.targets = frozenset(request.targets)
        self.every_s = request.checkpoint_s
        self.failures = request.rerun_failures  #: rerun every failing test (else only targets)
        self.spare = frozenset(request.no_rerun)  #: failing tests not to rerun
        self.snapshot: tuple[int, int, IO[str]] | None = None  # pid, command fd, replies
        self.taken_at = 0.0
        self.cost_s = 0.0  #: what the last checkpoint cost this process: its fork and release

    def run(self) -> int:
        """Run the order (reruns included); pytest's exit status for it."""
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
        return self.failures and outcome not in PASSING and nodeid not in self.spare

    def _maybe_checkpoint(self, i: int) -> None:
        if self.reruns <= 0:
            return
        every_s = max(self.every_s, FORK_SHARE_INVERSE * self.cost_s)
        due = self.failures and time.monotonic() - self.taken_at >= every_s
        wanted = self.snapshot is None or due or self.items[i].nodeid in self.targets
        # A fork copies no thread, but every lock one holds: while a test's thread runs, the
        # older snapshot stays, and reruns replay a little more from it.
        if wanted and _only_our_threads():
            started = time.perf_counter()
            self._release()
            self._take(i)
            self.cost_s = time.perf_counter() - started

    def _take(self, i: int) -> None:
        command_r, command_w = os.pipe()
        reply_r, reply_w = os.pipe()
        self.recorder.file.flush()
        pid = fork(self._paused, i, command_r, reply_w, close=(command_w, reply_r))
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
        wait(pid)

    def _rerun(self, i: int, outcome: str) -> None:
        assert self.snapshot is not None
        _, command_w, replies = self.snapshot
        self.recorder.file.flush()
        flush_output()
        os.write(command_w, f"{i} {int(outcome in PASSING)}\n".encode())
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
            status = wait(fork(self._replay, start, index, attempt, results))
            if status not in (0, 1) and results:
                worker = self.recorder.worker
                append_dead_probe(results, target, attempt, index - start, worker, status)
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
        return 0 if self.recorder.outcomes.get(target, "passed") in PASSING else 1


def _only_our_threads() -> bool:
    """Whether a fork is safe: no thread alive but this one and the watchdog."""
    mine = {threading.current_thread(), *(t for t in threading.enumerate() if t.name == WATCHDOG)}
    return all(thread in mine for thread in threading.enumerate())
