"""A per-test timeout that turns a hang into a record instead of a stuck campaign.

A daemon thread watches the running test. When a test outlives its timeout, the thread appends a
``hang`` record (the test, its timeout, where the thread running it was waiting) to the results
file and ends the process with :data:`HANG_EXIT`. Under xdist the controller then reports the
worker as crashed while running that test and starts a replacement; a fork-server child's parent
sees the exit. Either way the campaign goes on without the test.

The thread is started lazily in whichever process runs tests (threads do not survive ``fork``).
A test stuck in C code that holds the GIL cannot be interrupted this way.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Generator, Mapping

import pytest

from auditor.plugin.jsonlines import append_json_line

HANG_EXIT = 75  #: the exit status of a process the watchdog ended
WATCHDOG = "auditor-watchdog"  #: the watchdog thread's name
_STACK_FRAMES = 4


class Watchdog:
    """Registered with ``--auditor-timeout``; ``timeouts`` overrides the default per node id."""

    def __init__(self, default: float, timeouts: Mapping[str, float], path: str | None) -> None:
        self.default = default
        self.timeouts = dict(timeouts)
        self.path = path  #: where the hang record goes: the run's results file
        self._lock = threading.Condition()
        self._current: tuple[str, float, int] | None = None  # node id, deadline, token
        self._started = 0.0  #: when the current test started (epoch seconds), for its record
        self._token = 0
        self._pid: int | None = None
        self._thread: int | None = None  #: the thread running the current test

    def timeout_of(self, nodeid: str) -> float:
        return self.timeouts.get(nodeid, self.default)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        self._ensure_thread()
        with self._lock:
            self._token += 1
            deadline = time.monotonic() + self.timeout_of(item.nodeid)
            self._current = (item.nodeid, deadline, self._token)
            self._started = time.time()
            # the thread that runs tests: the main one, but not under every execnet model
            self._thread = threading.get_ident()
            self._lock.notify()
        try:
            yield
        finally:
            with self._lock:
                self._current = None
                self._lock.notify()

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        # A new process (a fork): the thread is gone, and the lock may have been copied held.
        self._pid = os.getpid()
        self._lock = threading.Condition()
        self._current = None
        threading.Thread(target=self._watch, name=WATCHDOG, daemon=True).start()

    def _watch(self) -> None:
        with self._lock:
            while True:
                current = self._current
                if current is None:
                    self._lock.wait()
                    continue
                nodeid, deadline, token = current
                left = deadline - time.monotonic()
                if left > 0:
                    self._lock.wait(left)
                    continue
                if self._current is not None and self._current[2] == token:
                    self._fire(nodeid)

    def _fire(self, nodeid: str) -> None:
        record = {
            "type": "hang",
            "nodeid": nodeid,
            "timeout": self.timeout_of(nodeid),
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            # where it ran in its process's order: the tests before it may have caused the hang
            "start": self._started,
            "stack": self._stack(),
        }
        if self.path:  # one write: the line lands whole even while the controller writes
            append_json_line(self.path, record)
        sys.stderr.write(f"\nauditor: {nodeid} ran past its {record['timeout']:g} s timeout\n")
        sys.stderr.flush()
        os._exit(HANG_EXIT)

    def _stack(self) -> str:
        """Where the test's thread was waiting: its innermost frames, one line each."""
        frame = sys._current_frames().get(self._thread or 0)
        if frame is None:
            return ""
        frames = traceback.extract_stack(frame)[-_STACK_FRAMES:]
        return " <- ".join(
            f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}" for f in reversed(frames)
        )


def load_timeouts(path: str | None) -> dict[str, float]:
    """The ``--auditor-timeouts`` file: a JSON object of node id → seconds."""
    if not path:
        return {}
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    return {str(k): float(v) for k, v in data.items()}
