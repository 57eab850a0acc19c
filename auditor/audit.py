"""``auditor audit``: random-order and xdist campaigns, then a verdict for every test that failed.

collect → baseline → random orders → xdist seeds × worker counts → triage → audit.json / audit.md
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor import report, select
from auditor.campaign import plan as plans
from auditor.campaign.execute import Executor, RunOutcome
from auditor.classify import Finding, failed_anywhere, shell_command, triage
from auditor.collect import Collection, collect
from auditor.model import ExitCode
from auditor.report import audit as audit_report
from auditor.run.workers import cpu_count
from auditor.runner import child_env


@dataclass(frozen=True)
class AuditOptions:
    root: Path
    selection: select.Selection
    report_dir: Path
    seed: int | None = None  #: the campaign's master seed; None picks one (and prints it)
    orders: int = 4  #: random orders
    seeds: int = 2  #: xdist seeds per worker count
    reruns: int = 3  #: fresh-process reruns per triage step


def audit(options: AuditOptions, out: IO[str] = sys.stdout) -> ExitCode:
    """Run the campaign and triage; write audit.json and audit.md; 1 when there are findings."""
    seed = options.seed if options.seed is not None else random.randrange(2**32)
    env = child_env()
    options.report_dir.mkdir(parents=True, exist_ok=True)
    with open(options.report_dir / "audit.log", "w", encoding="utf-8") as log:
        executor = Executor(options.selection.args, options.root, env, log)
        session = _Session(options, executor, seed, out)
        print("collecting tests...", file=out, flush=True)
        collection = collect(options.selection.args, options.root, env)
        print(f"-> collected {len(collection.ids)} tests", file=out, flush=True)
        for nodeid, reason in collection.errors:
            print(f"auditor: collection error in {nodeid}: {reason}", file=out)
        if not collection.ids:
            print("auditor: nothing to audit: the selection collected no test", file=out)
            return ExitCode.NO_TESTS
        try:
            session.campaign()
            session.triage()
        except KeyboardInterrupt:
            session.partial = True
        session.write(collection)
    return session.exit_code()


class _Session:
    """The audit's state between stages: outcomes so far, findings so far."""

    def __init__(self, options: AuditOptions, executor: Executor, seed: int, out: IO[str]) -> None:
        self.options = options
        self.executor = executor
        self.seed = seed
        self.out = out
        self.outcomes: list[RunOutcome] = []
        self.findings: list[Finding] = []
        self.partial = False
        self.started = time.perf_counter()
        self.planned = plans.campaign(
            seed, options.orders, options.seeds, plans.worker_counts(cpu_count())
        )

    def run(self, plan: plans.RunPlan) -> RunOutcome:
        outcome = self.executor(plan)
        self.outcomes.append(outcome)
        failed = len(outcome.failed())
        print(
            f"run {len(self.outcomes)}: {plan.describe()}: "
            f"{failed} failed ({outcome.result.wall_s:.1f} s)",
            file=self.out,
            flush=True,
        )
        return outcome

    def campaign(self) -> None:
        print(f"campaign seed {self.seed}: {len(self.planned)} runs planned", file=self.out)
        for plan in self.planned:
            self.run(plan)

    def triage(self) -> None:
        campaign = list(self.outcomes)
        for test in failed_anywhere(campaign):
            finding = triage(test, campaign, self.run, self.options.reruns, self.command)
            self.findings.append(finding)
            print(f"-> {finding.kind}: {test}", file=self.out, flush=True)

    def command(self, plan: plans.RunPlan) -> str:
        return shell_command(self.executor.call(plan).user_argv())

    def write(self, collection: Collection) -> None:
        baseline = next(
            (o.result.wall_s for o in self.outcomes if o.plan.kind == "sequential"), None
        )
        data = audit_report.build(
            tests=len(collection.ids),
            seed=self.seed,
            outcomes=self.outcomes,
            findings=self.findings,
            partial=self.partial,
            baseline_s=baseline,
            elapsed_s=time.perf_counter() - self.started,
            reruns=self.options.reruns,
            collect_errors=collection.errors,
            env=self.executor.env,
        )
        report.write_json(self.options.report_dir / "audit.json", data)
        report.write_text(self.options.report_dir / "audit.md", audit_report.markdown(data))
        cost = data["cost"]
        print(
            f"{len(self.findings)} findings; {cost['runs']} runs, {cost['seconds']:.1f} s "
            f"({cost['sequential_runs']}× a sequential run); wrote "
            f"{self.options.report_dir / 'audit.json'}",
            file=self.out,
        )

    def exit_code(self) -> ExitCode:
        if self.partial:
            return ExitCode.INTERRUPTED
        return ExitCode.TESTS_FAILED if self.findings else ExitCode.OK
