"""Run a plan: in the fork server when it can, else in a pytest subprocess of its own.

Sequential plans (the default order, its reverse, random orders, alone-runs, replays) go to the
fork server, which collected once; their failures are rerun from checkpoints of the same run.
xdist plans always start a real ``pytest -n N``: the workers, their split and their timing are
the point. Without a fork server (threads alive after collection), every plan starts its own
pytest, and repeats become ``--dist each`` replicas that never overlap.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO

from auditor.campaign.limits import Limits
from auditor.model import RunOutcome, RunPlan
from auditor.plugin.protocol import CorunRequest, RunRequest
from auditor.runner import PytestCall, Server, run_pytest

#: Server options: randomly loaded (it makes the orders) but inert until a request seeds it.
SERVER_ARGS = ("--randomly-dont-reset-seed",)
#: Runs that record each test's footprint: the campaign's one-process orders, which between
#: them run every test (a few per cent slower; see bench/bench_footprint.py).
FOOTPRINT_KINDS = frozenset({"sequential", "alone", "guided", "reversed", "random"})
#: Runs only the fork server can make (one child per test, from the collected state).
_WHOLE = frozenset({"alone", "guided", "reversed"})  #: orders of the whole selection


class Executor:
    """Runs plans over one selection in one project; every run's output goes to ``log``."""

    def __init__(
        self,
        selection: tuple[str, ...],
        root: Path,
        env: Mapping[str, str],
        log: IO[str],
        reruns: int,
        server: Server | None = None,
        pytest_args: tuple[str, ...] = (),
        private_args: tuple[str, ...] = (),
        keep: tuple[str, ...] = (),
        width: int = 1,
    ) -> None:
        self.selection = selection
        self.pytest_args = pytest_args  #: the user's, in every run and reproduce command
        self.private_args = private_args  #: ours, in every run but never in a command
        self.keep = keep  #: paths the fork server never puts back (the report folder)
        self.root = root
        self.env = env
        self.log = log
        self.reruns = reruns
        self.server = server
        self.limits = Limits()  #: replaced, never changed, by the lab as it learns
        self.width = width  #: alone runs' children at once (of tests that may run side by side)
        self._scratch = tempfile.TemporaryDirectory(prefix="auditor-audit-")

    def call(self, plan: RunPlan) -> PytestCall:
        """The plan as one pytest command (what a user types to reproduce it)."""
        replicate = plan.repeats > 1
        return PytestCall(
            args=(*(plan.ids or self.selection), *self.pytest_args),
            workers=plan.repeats if replicate else plan.workers,
            dist="each" if replicate else None,
            seed=plan.seed,
            reorganize=not plan.ids,
            # Replays share start-up but must not overlap: they would share files and ports.
            extra_plugin_args=("--auditor-one-worker-at-a-time",) if replicate else (),
        )

    def __call__(self, plan: RunPlan, fork: bool = True) -> RunOutcome:
        """Run ``plan``: forked when it can (``fork=False``: in a pytest of its own)."""
        self.log.write(f"\n=== auditor: {plan.describe()}\n")
        self.log.flush()
        if plan.kind == "corun":
            return self._corun(plan)
        if self.server is not None and plan.sequential and fork:
            return RunOutcome(plan, self.server.run(self.request(plan)))
        return RunOutcome(
            plan, run_pytest(self._fresh(plan), cwd=self.root, env=self.env, output=self.log)
        )

    def _corun(self, plan: RunPlan) -> RunOutcome:
        """Two tests at the same time, ``plan.repeats`` times until both pass: in two forked
        children that start together, or else in a ``pytest -n 2`` of their own each time."""
        if self.server is not None:
            request = CorunRequest(
                ids=plan.ids,
                repeats=plan.repeats,
                stagger_s=plan.stagger_s,
                timeout=self.limits.timeout,
                timeouts=tuple(self.limits.timeouts.items()),
            )
            return RunOutcome(plan, self.server.run(request))
        results = []
        for _ in range(plan.repeats):
            once = replace(plan, repeats=1)
            results.append(
                run_pytest(self._fresh(once), cwd=self.root, env=self.env, output=self.log)
            )
            if not results[-1].failures:
                break
        tests = tuple(record for result in results for record in result.tests)
        wall = sum(result.wall_s for result in results)
        return RunOutcome(plan, replace(results[0], tests=tests, wall_s=wall))

    def request(self, plan: RunPlan) -> RunRequest:
        """The plan as a fork-server request (see :mod:`auditor.plugin.server`)."""
        ids = tuple(i for i in plan.ids if i not in self._excluded(plan))
        alone = plan.ids[-1] if plan.kind == "isolated" and plan.ids else None
        each = plan.kind in ("alone", "after")
        width = self.width if each else 1
        # The run's own outcome of a failing test or a target is one observation of that state;
        # its reruns make up the rest. Repeats are the observations of a replay (each in a
        # fresh child): none reruns from a checkpoint, which shares the files its test's
        # teardown removed outside the project.
        reruns = 0 if alone or plan.repeats > 1 else self.reruns - 1
        return RunRequest(
            ids=ids or None,
            seed=plan.seed,
            exclude=tuple(sorted(self._excluded(plan))),
            repeats=plan.repeats,
            stop_when_mixed=alone,
            reruns=reruns,
            targets=plan.targets,
            rerun_failures=not plan.targets,
            no_rerun=tuple(sorted(self.limits.rerun_enough)),
            timeout=self.limits.timeout,
            timeouts=tuple(self.limits.timeouts.items()),
            footprint=plan.kind in FOOTPRINT_KINDS,
            alone=each,
            prefix=plan.prefix,
            keep=self.keep if each else None,
            width=width,
            beside=tuple(sorted(self.limits.beside)) if width > 1 else (),
        )

    def _excluded(self, plan: RunPlan) -> frozenset[str]:
        """Tests that hung or crashed a run stay out of the runs to come, but those a run is
        about: the test triage or locate studies (the last of an exact order) and targets."""
        studied = {*plan.targets, *plan.ids[-1:]} if plan.ids and plan.kind not in _WHOLE else ()
        return self.limits.exclude - frozenset(studied)

    def _fresh(self, plan: RunPlan) -> PytestCall:
        call = self.call(plan)
        timeouts = Path(self._scratch.name) / "timeouts.json"
        timeouts.write_text(json.dumps(self.limits.timeouts), encoding="utf-8")
        deselect = tuple(f"--deselect={nodeid}" for nodeid in sorted(self._excluded(plan)))
        return replace(
            call,
            args=(*call.args, *self.private_args, "--continue-on-collection-errors", *deselect),
            extra_plugin_args=(
                *call.extra_plugin_args,
                f"--auditor-timeout={self.limits.timeout}",
                f"--auditor-timeouts={timeouts}",
                *(("--auditor-footprint",) if plan.kind in FOOTPRINT_KINDS else ()),
            ),
        )

    def stop_forking(self) -> None:
        """Every run from now on starts a pytest of its own."""
        if self.server is not None:
            self.server.close()
            self.server = None

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self._scratch.cleanup()
