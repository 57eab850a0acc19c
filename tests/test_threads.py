"""Whether a process may fork with other threads alive: idle daemons only."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from auditor.plugin.threads import fork_safety


def safe_to_fork(ignore: frozenset[str]) -> bool:
    """What the fork server decides: every other thread an idle daemon."""
    return all(info.safe for info in fork_safety(ignore))


def only(thread: threading.Thread) -> frozenset[str]:
    """Every other thread's name: what ``ignore`` leaves out to look at ``thread`` alone (the
    threads of other tests, pytest's own, may still be alive)."""
    return frozenset(t.name for t in threading.enumerate() if t is not thread)


def _queue_get() -> None:
    with contextlib.suppress(queue.Empty):
        queue.Queue().get(timeout=2)


def _spin(stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():  # pure Python, never blocking
        n += 1


@pytest.fixture
def started() -> Iterator[Callable[..., threading.Thread]]:
    """Start threads that the test ends."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(
        target: Callable[..., object], *, daemon: bool = True, **kwargs: object
    ) -> threading.Thread:
        name = f"test-thread-{time.monotonic_ns()}"
        thread = threading.Thread(target=target, daemon=daemon, name=name, kwargs=kwargs)
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # let it reach its loop or its wait
        return thread

    start.stop = stop  # type: ignore[attr-defined]
    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=5)


def test_no_other_thread_is_safe() -> None:
    everyone = frozenset(t.name for t in threading.enumerate())
    assert fork_safety(everyone) == () and safe_to_fork(everyone)


@pytest.mark.parametrize(
    "target",
    [
        lambda stop: stop.wait(),
        lambda stop: _queue_get(),
        lambda stop: [time.sleep(0.01) for _ in iter(stop.is_set, True)],
    ],
    ids=["event", "queue", "sleep loop"],
)
def test_an_idle_daemon_is_safe(started, target) -> None:  # type: ignore[no-untyped-def]
    thread = started(target, stop=started.stop)
    (info,) = fork_safety(only(thread))
    assert info.daemon and info.idle, info.where
    assert safe_to_fork(only(thread))


def test_a_busy_thread_is_not(started) -> None:  # type: ignore[no-untyped-def]
    thread = started(_spin, stop=started.stop)
    (info,) = fork_safety(only(thread))
    assert not info.idle and not info.safe
    assert info.where.split(":")[0].endswith(".py")  # where it was seen running
    assert not safe_to_fork(only(thread))


def test_a_waiting_thread_that_is_no_daemon_is_not(started) -> None:  # type: ignore[no-untyped-def]
    thread = started(lambda stop: stop.wait(), daemon=False, stop=started.stop)
    (info,) = fork_safety(only(thread))
    assert info.idle and not info.daemon and not info.safe


def test_ignored_threads_do_not_count(started) -> None:  # type: ignore[no-untyped-def]
    thread = started(_spin, stop=started.stop)
    assert safe_to_fork(ignore=only(thread) | {thread.name})
