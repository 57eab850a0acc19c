"""``auditor audit``: random-order and xdist campaigns, a verdict for every test that failed,
then its cause.

collect (the fork server) → default order, its reverse, random orders (recording footprints) and
xdist runs → triage → locate (polluters, state-setters, cleaners, co-runners, shared resources)
→ audit.json / audit.md
"""

from __future__ import annotations

import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor import report, select
from auditor.campaign import plan as plans
from auditor.campaign.execute import SERVER_ARGS, Executor, Observation, RunOutcome
from auditor.classify import Finding, failed_anywhere, shell_command, triage
from auditor.locate import cause
from auditor.locate import footprints as fp
from auditor.locate.search import OutOfRuns
from auditor.model import ExitCode
from auditor.progress import Progress, duration
from auditor.report import audit as audit_report
from auditor.run.workers import cpu_count
from auditor.runner import Hello, PytestCall, Server, ServerError, child_env

TIMEOUT_FACTOR = 10  #: a test's timeout: this many times its baseline duration, at least --timeout


@dataclass(frozen=True)
class AuditOptions:
    root: Path
    selection: select.Selection
    report_dir: Path
    seed: int | None = None  #: the campaign's master seed; None picks one (and prints it)
    orders: int = 1  #: random orders (beside the default order and its reverse)
    seeds: int = 1  #: xdist seeds per worker count
    reruns: int = 3  #: reruns per triage step
    timeout: float = 60.0  #: per-test timeout floor, seconds
    budget_s: float | None = None  #: stop starting runs past this many seconds
    pytest_args: tuple[str, ...] = ()  #: after ``--``: for every pytest run of the audit


def audit(options: AuditOptions, out: IO[str] = sys.stdout) -> ExitCode:
    """Run the campaign and triage; write audit.json and audit.md; 1 when there are findings."""
    seed = options.seed if options.seed is not None else random.randrange(2**32)
    env = child_env()
    options.report_dir.mkdir(parents=True, exist_ok=True)
    log_path = options.report_dir / "audit.log"
    with (
        open(log_path, "w", encoding="utf-8") as log,
        tempfile.TemporaryDirectory(prefix="auditor-cache-") as cache_dir,
    ):
        # pytest's cache goes elsewhere: the audit must not change what --lf will rerun.
        private = ("-o", f"cache_dir={cache_dir}")
        print("collecting tests...", file=out, flush=True)
        progress = Progress(out, options.budget_s)
        try:
            server = Server(
                PytestCall(
                    args=(*options.selection.args, *options.pytest_args, *private),
                    seed=0,
                    reorganize=False,
                    extra_plugin_args=SERVER_ARGS,
                ),
                cwd=options.root,
                env=env,
                output=log,
            )
        except ServerError as exc:
            status = f"{exc}; its output is in {log_path}"
            print(f"auditor: pytest could not collect the selection: {status}", file=out)
            # pytest could not start with these arguments (a missing -p plugin: 4 from pytest
            # 9.2 on, 1 before): the user's to fix. Only pytest's internal error is ours.
            usage = exc.returncode is not None and exc.returncode != ExitCode.INTERNAL_ERROR
            return ExitCode.INTERRUPTED if usage else ExitCode.INTERNAL_ERROR
        startup_s = progress.elapsed()
        hello = server.hello
        print(f"-> collected {len(hello.collected)} tests", file=out, flush=True)
        for nodeid, reason in hello.errors:
            print(f"auditor: collection error in {nodeid}: {reason.splitlines()[0]}", file=out)
        if not hello.collected:
            server.close()
            print("auditor: nothing to audit: the selection collected no test", file=out)
            return ExitCode.INTERRUPTED
        forking: Server | None = server
        if hello.threads:
            print(
                f"auditor: threads run after collection ({', '.join(hello.threads)}): forking "
                "is not safe, so every run starts its own pytest (slower)",
                file=out,
            )
            server.close()
            forking = None
        executor = Executor(
            options.selection.args,
            options.root,
            env,
            log,
            options.reruns,
            forking,
            pytest_args=options.pytest_args,
            private_args=private,
        )
        executor.limits.timeout = options.timeout
        session = _Session(options, executor, seed, hello, progress, startup_s)
        try:
            session.campaign()
            session.triage()
            session.locate()
        except KeyboardInterrupt:
            session.stopped = "interrupted"
        except ServerError as exc:
            print(f"auditor: internal error: {exc}; pytest's output is in {log_path}", file=out)
            session.stopped = "internal error"
        finally:
            executor.close()
        session.write()
    return session.exit_code()


class _Session:
    """The audit's state between stages: outcomes so far, findings so far."""

    def __init__(
        self,
        options: AuditOptions,
        executor: Executor,
        seed: int,
        hello: Hello,
        progress: Progress,
        startup_s: float,
    ) -> None:
        self.options = options
        self.executor = executor
        self.seed = seed
        self.hello = hello
        self.progress = progress
        self.startup_s = startup_s  #: the fork server's start-up and collection
        self.outcomes: list[RunOutcome] = []
        self.findings: list[Finding] = []
        self.untriaged: list[str] = []
        self.replays: list[RunOutcome] = []
        self.skipped: list[plans.RunPlan] = []
        self.latent: list[cause.Latent] = []
        self.coruns: dict[frozenset[str], RunOutcome] = {}
        self.stopped: str | None = None  #: why the audit ended early: interrupted, budget…
        self.planned = plans.campaign(
            seed,
            hello.collected,
            options.orders,
            options.seeds,
            plans.worker_counts(cpu_count()),
        )

    # -- running -------------------------------------------------------------------------------

    def run(self, plan: plans.RunPlan) -> RunOutcome:
        outcome = self.executor(plan)
        self.outcomes.append(outcome)
        return outcome

    def campaign(self) -> None:
        out = self.progress
        out.print(f"campaign seed {self.seed}: {len(self.planned)} runs planned")
        for index, plan in enumerate(self.planned, 1):
            if not self._affordable(plan):
                self.skipped.append(plan)
                continue
            label = f"run {index}/{len(self.planned)}: {plan.describe()}"
            out.running(label)
            outcome = self.run(plan)
            out.finished(label, outcome.failed(), outcome.result.wall_s)
            self._learn(outcome)
        if self.skipped:
            self.stopped = "budget"
            out.print(f"auditor: the budget left {len(self.skipped)} planned runs out")

    def _affordable(self, plan: plans.RunPlan) -> bool:
        """Whether the run fits the budget left, judged by the runs so far."""
        left = self.progress.left()
        if left is None or not self.outcomes:
            return True
        same = [o.result.wall_s for o in self.outcomes if o.plan.sequential == plan.sequential]
        estimate = max(same or [o.result.wall_s for o in self.outcomes])
        return estimate <= left

    def _learn(self, outcome: RunOutcome) -> None:
        """Timeouts from the baseline's durations; tests that hung or crashed leave the campaign."""
        limits = self.executor.limits
        if outcome.plan.kind == "sequential":
            floor = self.options.timeout
            limits.timeouts = {
                r.nodeid: TIMEOUT_FACTOR * r.duration
                for r in outcome.result.tests
                if TIMEOUT_FACTOR * r.duration > floor
            }
        for record in outcome.result.tests:
            if record.outcome in ("hang", "crashed"):
                limits.exclude.add(record.nodeid)
        for test in {probe.target for probe in outcome.result.probes}:
            seen = outcome.observations(test)
            # Reruns stop at the first differing outcome: all failed, or mixed, is conclusive.
            if len(seen) >= self.options.reruns or any(not o.failed for o in seen):
                limits.rerun_enough.add(test)

    def triage(self) -> None:
        campaign = list(self.outcomes)
        suspects = failed_anywhere(campaign)
        for index, test in enumerate(suspects, 1):
            left = self.progress.left()
            if left is not None and left <= 0:
                self.untriaged = suspects[index - 1 :]
                self.stopped = "budget"
                self.progress.print(
                    f"auditor: the budget ran out: {len(self.untriaged)} failing tests "
                    "not triaged (listed in the report)"
                )
                return
            self.progress.running(f"triage {index}/{len(suspects)}: {test}")
            finding = triage(test, campaign, self, self.command)
            self.findings.append(finding)

    def locate(self) -> None:
        """The cause of each finding, then the conflicts the footprints predict."""
        prints = fp.footprints(self.outcomes)
        collected = self.hello.collected
        located: list[Finding] = []
        try:
            for index, finding in enumerate(self.findings):
                self.progress.running(f"locate {index + 1}/{len(self.findings)}: {finding.test}")
                located.append(self._locate(finding, collected, prints))
            self.findings = located = _one_per_pair(located)
            confirmed = {frozenset(f.tests) for f in located if f.kind == "shared-resource"}
            unattributable = {
                f.test for f in located if f.kind not in ("order-dependent", "shared-resource")
            }
            candidates = [
                c for c in fp.conflicts(prints, collected) if frozenset(c.tests) not in confirmed
            ]
            if candidates:
                self.progress.running(f"co-running {len(candidates)} pairs that share resources")
            found, self.latent = cause.confirm_conflicts(
                candidates, self, self.command, skip=unattributable.__contains__
            )
            self.findings += found
        except OutOfRuns:
            self.findings = located + self.findings[len(located) :]
            self.stopped = "budget"
            self.progress.print("auditor: the budget ran out while locating causes")
        for finding in self.findings:
            self._say(finding)
        for note in self.latent:
            self.progress.print(
                f"-> latent: {note.resource} is shared by {', '.join(note.tests)}; "
                f"{note.coruns} co-runs passed"
            )

    def _locate(
        self, finding: Finding, collected: tuple[str, ...], prints: fp.Footprints
    ) -> Finding:
        if finding.kind == "order-dependent":
            return cause.locate_victim(finding, collected, prints, self, self.command)
        if finding.kind == "brittle":
            passed = self._passed_after(finding.test)
            return cause.locate_brittle(finding, passed, prints, self) if passed else finding
        if finding.kind == "shared-resource":
            return cause.locate_corunner(finding, prints, self, self.command)
        return finding

    def _passed_after(self, test: str) -> tuple[str, ...]:
        """The shortest order, a sequential one if any, in which the test passed."""
        passed = [o for o in self.outcomes if test in o.ran() - o.failed()]
        passed.sort(key=lambda o: (not o.plan.sequential, len(o.prefix(test))))
        return passed[0].prefix(test) if passed else ()

    def _say(self, finding: Finding) -> None:
        causes = [
            f"{label} {', '.join(tests)}"
            for label, tests in (
                ("after", finding.polluters),
                ("cleaned by", finding.cleaners),
                ("passes after", finding.state_setters),
                ("beside", tuple(t for t in finding.tests if t != finding.test)),
            )
            if tests
        ]
        linked = finding.state or finding.resources
        detail = f" ({'; '.join(causes)})" if causes else ""
        state = f": {', '.join(linked)}" if linked else ""
        self.progress.print(f"-> {finding.kind}: {finding.test}{detail}{state}")

    # -- the lab: experiments for triage and locate ---------------------------------------------

    def order(self, ids: tuple[str, ...], target: str) -> tuple[Observation, ...]:
        self._spend()
        if self.executor.server is None:  # no checkpoints: each observation replays the order
            plan = plans.RunPlan("bisect", ids=ids, repeats=self.options.reruns)
        else:
            plan = plans.RunPlan("bisect", ids=ids, targets=(target,))
        return self.run(plan).observations(target)

    def corun(self, a: str, b: str) -> RunOutcome:
        key = frozenset((a, b))
        if key not in self.coruns:
            self._spend()
            plan = plans.RunPlan("corun", workers=2, ids=(a, b), repeats=self.options.reruns)
            self.coruns[key] = self.run(plan)
        return self.coruns[key]

    def context(self, test: str, reason: str | None) -> str:
        path, _, rest = test.partition("::")
        function = rest.split("::")[-1].split("[")[0]
        try:
            source = (self.options.root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            source = ""
        return fp.context_of(source, function, reason)

    def _spend(self) -> None:
        left = self.progress.left()
        if left is not None and left <= 0:
            raise OutOfRuns

    def alone(self, test: str) -> RunOutcome:
        return self.run(plans.RunPlan("isolated", ids=(test,), repeats=self.options.reruns))

    def replay(self, source: RunOutcome, test: str) -> RunOutcome:
        prefix = source.prefix(test)
        if self.executor.server is None:  # no checkpoints: replay the whole prefix each time
            return self.run(
                plans.RunPlan(
                    "replay", seed=source.plan.seed, ids=prefix, repeats=self.options.reruns
                )
            )
        for done in self.replays:
            if done.plan.ids[: len(prefix)] == prefix and test in done.plan.targets:
                return done
        # One replay serves every suspect without other evidence that failed further along the
        # same worker sequence: those that failed only in xdist runs.
        sequence = next(s for s in source.sequences().values() if test in s)
        evidenced = {t for o in self.outcomes if o.plan.sequential for t in o.failed()}
        failed = source.failed() - evidenced
        targets = tuple(t for t in sequence if t == test or t in failed)
        longest = sequence[: sequence.index(targets[-1]) + 1]
        outcome = self.run(
            plans.RunPlan("replay", seed=source.plan.seed, ids=longest, targets=targets)
        )
        self.replays.append(outcome)
        return outcome

    def command(self, plan: plans.RunPlan) -> str:
        return shell_command(self.executor.call(plan).user_argv())

    # -- reporting -----------------------------------------------------------------------------

    def write(self) -> None:
        baseline = next((o for o in self.outcomes if o.plan.kind == "sequential"), None)
        sequential_s = None
        if baseline is not None:
            # One sequential pytest run: start-up and collection (the fork server's) + the tests.
            forked = self.executor.server is not None
            sequential_s = baseline.result.wall_s + (self.startup_s if forked else 0.0)
        data = audit_report.build(
            tests=len(self.hello.collected),
            seed=self.seed,
            outcomes=self.outcomes,
            findings=self.findings,
            partial=self.stopped is not None,
            stopped=self.stopped,
            sequential_s=sequential_s,
            elapsed_s=self.progress.elapsed(),
            processes=1 + sum(1 for o in self.outcomes if not o.result.forked),
            reruns=self.options.reruns,
            collect_errors=self.hello.errors,
            skipped=[p.describe() for p in self.skipped],
            untriaged=self.untriaged,
            env=self.executor.env,
            latent=self.latent,
        )
        report_dir = self.options.report_dir
        report.write_json(report_dir / "audit.json", data)
        report.write_text(report_dir / "audit.md", audit_report.markdown(data))
        cost = data["cost"]
        self.progress.print(
            f"{len(self.findings)} findings; {cost['runs']} runs, {cost['processes']} pytest "
            f"start-ups, {duration(cost['seconds'])} ({cost['sequential_runs']}× a sequential "
            f"run); wrote {report_dir / 'audit.json'}"
        )

    def exit_code(self) -> ExitCode:
        if self.stopped == "interrupted":
            return ExitCode.INTERRUPTED
        if self.stopped == "internal error":
            return ExitCode.INTERNAL_ERROR
        problems = self.findings or self.hello.errors or self.untriaged
        return ExitCode.TESTS_FAILED if problems else ExitCode.OK


def _one_per_pair(findings: list[Finding]) -> list[Finding]:
    """Both tests of a conflict may have failed under xdist: one finding per pair."""
    seen: set[frozenset[str]] = set()
    kept = []
    for finding in findings:
        pair = frozenset(finding.tests)
        if finding.kind == "shared-resource" and pair in seen:
            continue
        seen.add(pair)
        kept.append(finding)
    return kept
