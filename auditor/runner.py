"""The one process boundary: every pytest run auditor makes starts here.

auditor never imports the user's tests. It runs ``<python> -m pytest`` in a subprocess with its
plugin loaded explicitly, and reads back the JSON records the plugin wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from auditor.model import RunResult, read_results
from auditor.plugin.children import children_cpu as _children_cpu
from auditor.plugin.protocol import Request

#: Set for every child pytest when unset, as the CI scripts auditor replaces did.
ENV_DEFAULTS = {
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "TZ": "UTC",
    "LC_ALL": "C",
    "LANG": "C",
    "CI_QUARANTINE": "1",
}

# -p no:auditor first: the pytest11 entry point registers this same module as "auditor", and
# pluggy refuses a module registered under two names ("Plugin already registered under a
# different name"). Blocking the entry point makes -p auditor.plugin work with autoload on or off.
PLUGIN_ARGS = ("-p", "no:auditor", "-p", "auditor.plugin")


@dataclass(frozen=True)
class PytestCall:
    """How to run pytest once."""

    args: tuple[str, ...]  #: selection and pass-through arguments
    workers: str | int = 0  #: xdist's -n: 0 runs in one process, "auto" or a count distributes
    seed: int | None = None  #: pytest-randomly seed; None disables randomly (-p no:randomly)
    extra_plugin_args: tuple[str, ...] = ()  #: more --auditor-* options
    manage_randomly: bool = True  #: False leaves randomly to the user's own -p / options
    reorganize: bool = True  #: False keeps the command-line order under a randomly seed
    dist: str | None = None  #: xdist's --dist ("each" replays the order once per worker)

    def argv(self, results: Path | None) -> list[str]:
        recording = [f"--auditor-results={results}"] if results else []
        return [*PLUGIN_ARGS, *self.user_argv(), *recording, *self.extra_plugin_args]

    def user_argv(self) -> list[str]:
        """The arguments without auditor's plugin: what a user types to run the same thing."""
        # -p xdist, not -p xdist.plugin: under the latter, randomly cannot see xdist and every
        # worker dies with KeyError 'randomly_seed'. Explicit -p keeps runs the same whether
        # PYTEST_DISABLE_PLUGIN_AUTOLOAD is set or not; under autoload they are no-ops.
        randomly: tuple[str, ...] = ()
        if self.seed is not None:
            randomly = ("-p", "randomly", f"--randomly-seed={self.seed}")
            if not self.reorganize:
                randomly += ("--randomly-dont-reorganize",)
        elif self.manage_randomly:
            randomly = ("-p", "no:randomly")
        dist: tuple[str, ...] = ("--dist", self.dist) if self.dist else ()
        if self.dist == "each":
            # A replica whose worker crashed (a hang's watchdog ends it) is not replaced: xdist's
            # each-scheduler fails on the replacement (KeyError, INTERNALERROR), and the
            # replicas still to run would go without their reports.
            dist += ("--max-worker-restart=0",)
        return ["-p", "xdist", *randomly, "-n", str(self.workers), *dist, *self.args]


def run_pytest(
    call: PytestCall,
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    python: str | None = None,
    output: IO[str] | None = None,
) -> RunResult:
    """Run pytest once in ``cwd`` and return what the plugin recorded.

    ``output`` receives pytest's terminal output; None lets it through to ours.
    """
    with tempfile.TemporaryDirectory(prefix="auditor-run-") as scratch:
        results = Path(scratch) / "results.jsonl"
        command = [python or _python, "-m", "pytest", *call.argv(results)]
        before = _children_cpu()
        started = time.perf_counter()
        returncode = _wait(_spawn(command, cwd, env, output))
        wall = time.perf_counter() - started
        return read_results(results, returncode, wall, _children_cpu() - before, tuple(command))


def collect_only(root: Path, args: tuple[str, ...]) -> RunResult:
    """Collect ``args`` in one process (no test runs): the ids, collection errors and the
    ``serial`` keys of each test. pytest's output is dropped."""
    call = PytestCall(args=(*args, "--collect-only", "-q"))
    with open(os.devnull, "w", encoding="utf-8") as sink:
        return run_pytest(call, cwd=root, env=child_env(), output=sink)


class ServerError(Exception):
    """The fork server ended or refused a request; the message says how."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode  #: pytest's exit status, when it ended


@dataclass(frozen=True)
class Hello:
    """What the fork server says once it has collected."""

    collected: tuple[str, ...]
    errors: tuple[tuple[str, str], ...]  #: collection errors: (node id, reason)
    threads: tuple[str, ...]  #: other threads alive after collection
    unsafe: tuple[str, ...] = ()  #: those that make forking unsafe (busy, or not daemons), why


class Server:
    """A pytest that collected once and runs each requested order in a forked child.

    The pytest side is :mod:`auditor.plugin.server`. Requests are the records of
    :mod:`auditor.plugin.protocol`; :meth:`run` adds the results file and returns what the
    children recorded.
    """

    def __init__(
        self,
        call: PytestCall,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        python: str | None = None,
        output: IO[str] | None = None,
    ) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="auditor-serve-")
        self._runs = 0
        ours, theirs = socket.socketpair()
        self.command = (
            python or _python,
            "-m",
            "pytest",
            *call.argv(None),
            f"--auditor-serve={theirs.fileno()}",
        )
        self.process = _spawn(list(self.command), cwd, env, output, pass_fds=(theirs.fileno(),))
        theirs.close()
        self._socket = ours
        self._replies = ours.makefile("r", encoding="utf-8")
        hello = self._receive()
        if hello is None:
            self.process.wait()
            self.close()
            status = self.process.returncode
            raise ServerError(f"pytest exited with status {status}", status)
        self.hello = Hello(
            collected=tuple(hello["collected"]),
            errors=tuple((n, r) for n, r in hello["errors"]),
            threads=tuple(hello["threads"]),
            unsafe=tuple(hello.get("unsafe", ())),
        )

    def run(self, request: Request) -> RunResult:
        """Run one request (a run or a co-run) and read back its records."""
        self._runs += 1
        results = Path(self._scratch.name) / f"run-{self._runs}.jsonl"
        message = replace(request, results=str(results)).to_json()
        started = time.perf_counter()
        self._socket.sendall((message + "\n").encode())
        reply = self._receive()
        wall = time.perf_counter() - started
        if reply is None:
            raise ServerError(f"the fork server died (status {self.process.poll()})")
        if "error" in reply:
            raise ServerError(reply["error"])
        returncode = next((status for status in reply["statuses"] if status), 0)
        result = read_results(results, returncode, wall, reply["cpu_s"], self.command)
        results.unlink(missing_ok=True)
        return replace(result, forked=True)

    def close(self) -> None:
        """Ask the server to end, and make sure it has."""
        if self.process.poll() is None:
            try:
                self._socket.sendall(b'{"op": "quit"}\n')
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                _kill(self.process)
        _running.pop(self.process.pid, None)
        self._replies.close()
        self._socket.close()
        self._scratch.cleanup()

    def _receive(self) -> dict[str, Any] | None:
        line = self._replies.readline()
        return json.loads(line) if line else None


_python = sys.executable  # the interpreter every pytest runs with
_pythonpath: str | None = None  # the plugin's folder, for an interpreter without auditor


def use_interpreter(python: str, plugin_path: str | None = None) -> None:
    """Run every pytest from now on with ``python`` (the project's, see
    :mod:`auditor.interpreter`); ``plugin_path`` goes first on its ``PYTHONPATH``."""
    global _python, _pythonpath
    _python, _pythonpath = python, plugin_path


def child_env() -> dict[str, str]:
    """Our environment with :data:`ENV_DEFAULTS` filled in where unset."""
    env = dict(os.environ)
    for name, value in ENV_DEFAULTS.items():
        env.setdefault(name, value)
    return env


def _spawn(
    command: list[str],
    cwd: Path,
    env: Mapping[str, str] | None,
    output: IO[str] | None,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen[bytes]:
    """Start a pytest: the only place auditor starts a process."""
    environment = dict(env) if env is not None else None
    if _pythonpath is not None:  # auditor's plugin for an interpreter that lacks auditor
        environment = environment if environment is not None else dict(os.environ)
        inherited = environment.get("PYTHONPATH")
        paths = [_pythonpath, inherited] if inherited else [_pythonpath]
        environment["PYTHONPATH"] = os.pathsep.join(paths)
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        pass_fds=pass_fds,
        **_OWN_GROUP,
    )
    _running[process.pid] = process
    return process


#: Each pytest leads a process group of its own, with its xdist workers and forked children: a
#: signal auditor passes on reaches them all, and only them (not a shell script or a ``tee``
#: that share auditor's group).
_OWN_GROUP: dict[str, Any] = (
    {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}
)
_running: dict[int, subprocess.Popen[bytes]] = {}  #: pytest processes started, by pid
INTERRUPT_GRACE_S = 30.0  #: how long an interrupted pytest has to finish before it is killed


def interrupt_pytests() -> None:
    """Pass an interruption (Ctrl-C, or a SIGTERM from a CI runner cancelling the job) on to
    every pytest still running, as a Ctrl-C: pytest stops, tears its fixtures down and reports."""
    for pid, process in list(_running.items()):
        if process.poll() is not None:
            del _running[pid]
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGINT)


def _wait(process: subprocess.Popen[bytes]) -> int:
    try:
        return process.wait()
    except KeyboardInterrupt:
        # Passed on to pytest (interrupt_pytests): let it finish its report first.
        try:
            process.wait(timeout=INTERRUPT_GRACE_S)
        except subprocess.TimeoutExpired:
            _kill(process)
        raise
    finally:
        _running.pop(process.pid, None)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End the process and its group (its workers, its forked children) at once."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    _running.pop(process.pid, None)
