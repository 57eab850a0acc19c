"""Stage 2, collect: pytest collects the selection once and stays up as the fork server.

Every sequential run of the audit is then a child forked from that freshly collected session.
Threads alive after collection make forking unsafe unless each is a daemon that only waits
(:mod:`auditor.plugin.threads`): then the server is closed and every run starts a pytest of its
own (slower; the audit says so).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor.campaign.execute import SERVER_ARGS
from auditor.exits import InternalError, NothingCollected, RunExit, UsageError
from auditor.runner import Hello, PytestCall, Server, ServerError


class CollectError(InternalError):
    """pytest failed inside itself while collecting (its internal error): a bug to report."""


@dataclass(frozen=True)
class Collection:
    """The collected selection, and the server that will fork its runs (None: no forking)."""

    hello: Hello
    server: Server | None
    startup_s: float  #: the server's start-up and collection


def collect(
    args: tuple[str, ...],
    root: Path,
    env: Mapping[str, str],
    log: IO[str],
    log_path: Path,
) -> Collection:
    """Start the fork server on ``args``; UsageError when pytest cannot start with them,
    NothingCollected when they select no test."""
    started = time.perf_counter()
    try:
        server = Server(
            PytestCall(args=args, seed=0, reorganize=False, extra_plugin_args=SERVER_ARGS),
            cwd=root,
            env=env,
            output=log,
        )
    except ServerError as exc:
        status = f"pytest could not collect the selection: {exc}; its output is in {log_path}"
        # pytest could not start with these arguments (a missing -p plugin: 4 from pytest 9.2
        # on, 1 before): the user's to fix. Only pytest's internal error is ours.
        if exc.returncode is not None and exc.returncode != RunExit.INTERNAL_ERROR:
            raise UsageError(status) from None
        raise CollectError(status) from None
    startup_s = time.perf_counter() - started
    if not server.hello.collected:
        server.close()
        raise NothingCollected("nothing to audit: the selection collected no test")
    if server.hello.unsafe:
        server.close()
        return Collection(server.hello, None, startup_s)
    return Collection(server.hello, server, startup_s)
