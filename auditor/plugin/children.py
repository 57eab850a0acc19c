"""Child processes: fork one that runs a function, wait for one, and the CPU time they used.

A forked child runs its function and leaves with :func:`os._exit` and the function's status
(:data:`CHILD_FAILED` when it raised, after printing the traceback): it never returns into the
caller's code, and it runs none of the parent's ``atexit`` or pytest clean-up. Standard library
only, and cheap to import: auditor's own side measures its pytest subprocesses with
:func:`children_cpu`.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import traceback
from collections.abc import Callable, Collection
from typing import Any, NoReturn

CHILD_FAILED = 70  #: the exit status of a child whose function raised


def fork(body: Callable[..., int], *args: Any, close: tuple[int, ...] = ()) -> int:
    """Run ``body(*args)`` in a forked child that exits with its return value; the child's pid.

    The child first closes the descriptors in ``close`` (the parent's ends of its pipes)."""
    flush_output()
    pid = os.fork()
    if pid == 0:
        _exit_after(body, args, close)
    return pid


def wait(pid: int) -> int:
    """The child's exit status; minus the signal number when a signal ended it."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    return os.waitstatus_to_exitcode(status)


def wait_any(pids: Collection[int]) -> tuple[int, int]:
    """The first of ``pids`` to end, and its exit status (as :func:`wait` says it)."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        if pid in pids:
            return pid, os.waitstatus_to_exitcode(status)


def children_cpu() -> float:
    """CPU seconds (user and system) used so far by this process's children that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def flush_output() -> None:
    """Flush our stdout and stderr, so that a fork does not print their buffers twice."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _exit_after(
    body: Callable[..., int], args: tuple[Any, ...], close: tuple[int, ...]
) -> NoReturn:
    status = CHILD_FAILED
    try:
        for fd in close:
            os.close(fd)
        status = body(*args)
    except BaseException:
        traceback.print_exc()
    finally:
        flush_output()
        os._exit(status)
