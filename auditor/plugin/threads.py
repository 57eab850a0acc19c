"""Whether this process may fork although other threads are alive.

A fork copies one thread, the caller, and every lock as it is: a lock another thread holds at
that moment stays held in the child forever. A thread that is only *waiting* — asleep in
``time.sleep``, blocked on an ``Event``, a ``Condition``, a queue, a ``select`` or a socket —
holds no lock of ours while it waits, and the interpreter's own locks (the GIL, the import lock,
``logging``'s) are reset in a forked child. Real suites have such threads: an SDK client that
retries its server in the background, started at import.

:func:`fork_safety` samples every other thread's innermost frame a few times: a thread is idle
when it stays at the same instruction across two samples and that instruction is a blocking
call. Forking is safe when every other thread is an idle daemon (a non-daemon thread would keep
a real run alive after the tests: its work matters). The children have no copy of those threads:
a test that needs one to make progress sees the difference, as it would under ``--forked``.

Standard library only.
"""

from __future__ import annotations

import linecache
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType

#: Functions that block without holding a lock of the caller: (module, function).
_BLOCKING_FUNCTIONS = frozenset(
    {
        ("threading", "wait"),
        ("threading", "_wait_for_tstate_lock"),
        ("threading", "join"),
        ("queue", "get"),
        ("selectors", "select"),
        ("socket", "accept"),
        ("socketserver", "serve_forever"),
        ("subprocess", "wait"),
        ("subprocess", "_wait"),
        ("asyncio.base_events", "_run_once"),
    }
)
#: Calls into C that release the GIL and block, as a line of Python spells them.
_BLOCKING_CALLS = ("sleep(", ".wait(", ".recv(", ".recvfrom(", ".accept(", "select(", ".poll(")
_SAMPLES = 5
_PAUSE_S = 0.01


@dataclass(frozen=True)
class ThreadInfo:
    """Another thread, as seen from the one about to fork."""

    name: str
    daemon: bool
    idle: bool  #: stayed at a blocking call across two samples
    where: str  #: ``file:line in function`` of its innermost frame

    @property
    def safe(self) -> bool:
        return self.daemon and self.idle


def fork_safety(ignore: frozenset[str] = frozenset()) -> tuple[ThreadInfo, ...]:
    """Every thread but this one and those named in ``ignore``, idle or not."""
    others = _others(ignore)
    if not others:
        return ()
    seen: dict[int, tuple[FrameType, int] | None] = {}
    idle: set[int] = set()
    for sample in range(_SAMPLES):
        frames = sys._current_frames()
        for thread in others:
            ident = thread.ident or -1
            frame = frames.get(ident)
            now = (frame, frame.f_lasti) if frame is not None else None
            steady = sample > 0 and now == seen.get(ident)
            if now is not None and steady and _blocking(now[0]):
                idle.add(ident)
            seen[ident] = now
        if len(idle) == len(others) or sample == _SAMPLES - 1:
            break
        time.sleep(_PAUSE_S)
    return tuple(
        ThreadInfo(t.name, t.daemon, (t.ident or -1) in idle, _where(seen.get(t.ident or -1)))
        for t in others
    )


def _others(ignore: frozenset[str]) -> list[threading.Thread]:
    me = threading.current_thread()
    return [t for t in threading.enumerate() if t is not me and t.name not in ignore]


def _blocking(frame: FrameType) -> bool:
    module = frame.f_globals.get("__name__", "")
    if (module, frame.f_code.co_name) in _BLOCKING_FUNCTIONS:
        return True
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    return any(call in line for call in _BLOCKING_CALLS)


def _where(seen: tuple[FrameType, int] | None) -> str:
    if seen is None:
        return "?"
    code = seen[0].f_code
    return f"{code.co_filename}:{seen[0].f_lineno} in {code.co_name}"
