"""The ``serial`` marker, honoured across xdist workers with file locks.

``@pytest.mark.serial`` makes a test exclusive: it never runs while any other test runs.
``@pytest.mark.serial("port:18765")`` names resource keys: the test never runs at the same time as
another test holding one of its keys, while unrelated tests go on beside it.

How: the controller makes one lock folder per run and hands its path to every worker. Every test
takes a shared lock on ``global.lock`` around its whole protocol (setup, call, teardown); an
exclusive test takes it exclusively. A ``gate.lock`` that readers pass through and a waiting writer
holds gives exclusive tests preference, so a stream of ordinary tests cannot starve them. Keyed
tests also take one exclusive lock per key, in sorted order (no deadlock). Workers move exclusive
tests to the end of their (identical) collection, so the scheduler hands them out when the others
drain instead of idling every worker in the middle of the run.

Not built on ``xdist_group`` / ``--dist loadgroup``: loadgroup gives no exclusivity, and on
pytest 9.2 with xdist 3.8 it silently spreads a group across workers (pytest-xdist #1386).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any

import pytest

SERIAL_MARKER_DOC = (
    "serial(*keys): run this test alone (no keys), or never at the same time as another test "
    "sharing one of the resource keys, e.g. serial('port:18765'). Honoured under xdist."
)


WAIT_RECORDED_S = 0.01  #: a wait for a lock shorter than this is not worth a record


@dataclass(frozen=True)
class SerialSpec:
    """What an item's ``serial`` marks ask for: exclusivity, or a set of resource keys."""

    exclusive: bool
    keys: tuple[str, ...]


def serial_spec(item: pytest.Item) -> SerialSpec | None:
    """The ``serial`` request of ``item``, or None when it has no ``serial`` mark.

    A bare ``serial`` anywhere (function, class or module) wins over keys: the test is exclusive.
    Raises ValueError, saying how to write it, for arguments that are not resource keys.
    """
    marks = list(item.iter_markers("serial"))
    if not marks:
        return None
    keys: set[str] = set()
    exclusive = False
    for mark in marks:
        if mark.kwargs:
            raise ValueError(
                f"{item.nodeid}: serial() takes resource keys as positional strings, "
                "e.g. @pytest.mark.serial('port:18765'); "
                f"got keyword arguments {sorted(mark.kwargs)}"
            )
        if not mark.args:
            exclusive = True
        for key in mark.args:
            if not isinstance(key, str) or not key:
                raise ValueError(
                    f"{item.nodeid}: serial() resource keys must be non-empty strings, "
                    f"e.g. @pytest.mark.serial('port:18765'); got {key!r}"
                )
            keys.add(key)
    return SerialSpec(exclusive=exclusive, keys=tuple(sorted(keys)))


class SerialMarks:
    """In every process: fails a test whose ``serial`` marks are malformed, before its setup,
    with the way to write them."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        try:
            serial_spec(item)
        except ValueError as exc:
            pytest.fail(str(exc), pytrace=False)


class SerialController:
    """On the xdist controller: one lock folder per run, handed to every worker."""

    def __init__(self) -> None:
        # Only a name: workers create the folder when a serial test needs it, so a run without
        # serial tests leaves no trace.
        self.lockdir = os.path.join(tempfile.gettempdir(), f"auditor-serial-{uuid.uuid4().hex}")

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["auditor_lockdir"] = self.lockdir

    def pytest_unconfigure(self) -> None:
        shutil.rmtree(self.lockdir, ignore_errors=True)


class SerialWorker:
    """On an xdist worker: takes the locks that the ``serial`` marks of each test ask for."""

    def __init__(self, lockdir: str, whole_session: bool = False) -> None:
        self.lockdir = lockdir
        self.whole_session = whole_session
        self.specs: dict[str, SerialSpec] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtestloop(self) -> Generator[None, None, None]:
        if not self.whole_session:
            yield
            return
        with self._flock("session", fcntl.LOCK_EX):
            yield

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            try:
                spec = serial_spec(item)
            except ValueError:
                continue  # fails in its own setup, see SerialMarks
            if spec is not None:
                self.specs[item.nodeid] = spec
        # Every worker reorders its own collection the same way, so xdist's check that all
        # workers collected the same ids in the same order still holds.
        exclusive = [item for item in items if self._is_exclusive(item)]
        if exclusive:
            items[:] = [item for item in items if not self._is_exclusive(item)] + exclusive

    def _is_exclusive(self, item: pytest.Item) -> bool:
        spec = self.specs.get(item.nodeid)
        return spec is not None and spec.exclusive

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        if not self.specs:
            # No serial test in this run: nothing to wait for, not even a shared lock.
            yield
            return
        asked = time.monotonic()
        with self._locks(self.specs.get(item.nodeid)):
            waited = time.monotonic() - asked
            if waited >= WAIT_RECORDED_S:  # travels to the controller with the test's reports
                item.user_properties.append(("auditor_serial_wait", round(waited, 3)))
            yield

    @contextlib.contextmanager
    def _locks(self, spec: SerialSpec | None) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            if spec is not None and spec.exclusive:
                # Writer: close the gate to new readers, then wait for the running ones to finish.
                stack.enter_context(self._flock("gate", fcntl.LOCK_EX))
                stack.enter_context(self._flock("global", fcntl.LOCK_EX))
            else:
                with self._flock("gate", fcntl.LOCK_SH):
                    pass
                stack.enter_context(self._flock("global", fcntl.LOCK_SH))
                for key in spec.keys if spec is not None else ():
                    stack.enter_context(self._flock(_key_file(key), fcntl.LOCK_EX))
            yield

    @contextlib.contextmanager
    def _flock(self, name: str, operation: int) -> Iterator[IO[bytes]]:
        os.makedirs(self.lockdir, exist_ok=True)
        with open(os.path.join(self.lockdir, name + ".lock"), "ab") as handle:
            fcntl.flock(handle, operation)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _key_file(key: str) -> str:
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:16]
