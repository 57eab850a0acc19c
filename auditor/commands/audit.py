"""``auditor audit``: collect → campaign → triage → locate → report.

Each step takes what the one before returned (a :class:`Found`) and returns a new one; the lab
(:mod:`auditor.campaign.lab`) makes the runs. Ctrl-C and the budget stop a step where it is, and
the report says so; an error inside auditor still writes the report so far before it goes up.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Literal

from auditor import report, select
from auditor.campaign import plan as plans
from auditor.campaign.execute import Executor
from auditor.campaign.lab import Lab
from auditor.campaign.limits import DEFAULT_TIMEOUT_S, Limits
from auditor.classify import failed_anywhere, triage
from auditor.collect import Collection, collect
from auditor.exits import AuditExit
from auditor.findings import Finding
from auditor.history import store
from auditor.locate import cause
from auditor.locate import footprints as fp
from auditor.locate.search import OutOfRuns
from auditor.model import RunOutcome, RunPlan
from auditor.plugin.world import World, own_outputs
from auditor.progress import Progress
from auditor.report import audit as audit_report
from auditor.report import html
from auditor.run.workers import auto_workers
from auditor.runner import Hello, ServerError, child_env

Stopped = Literal["interrupted", "budget", "internal error"]


@dataclass(frozen=True)
class AuditOptions:
    root: Path
    selection: select.Selection
    report_dir: Path
    seed: int | None = None  #: the campaign's master seed; None picks one (and prints it)
    orders: int = 1  #: random orders (beside the default order and its reverse)
    seeds: int = 1  #: xdist seeds per worker count
    reruns: int = 3  #: reruns per triage step
    timeout: float = DEFAULT_TIMEOUT_S  #: per-test timeout floor, seconds
    budget_s: float | None = None  #: stop starting runs past this many seconds
    pytest_args: tuple[str, ...] = ()  #: after ``--``: for every pytest run of the audit
    kind: store.SessionKind = "audit"  #: how the history records it ("scan" for a scan)
    history: Path | None = None  #: the history database (default: .auditor/history.sqlite)


@dataclass(frozen=True)
class Found:
    """What the audit knows so far: each step returns a new one."""

    findings: tuple[Finding, ...] = ()
    untriaged: tuple[str, ...] = ()  #: failed somewhere, not triaged (budget, Ctrl-C)
    skipped: tuple[RunPlan, ...] = ()  #: campaign runs the budget left out
    latent: tuple[cause.Latent, ...] = ()
    stopped: Stopped | None = None  #: why the audit ended early

    def stop(self, why: Stopped) -> Found:
        return replace(self, stopped=self.stopped if self.stopped == "interrupted" else why)


@dataclass(frozen=True)
class AuditResult:
    """What ``auditor audit`` did: the findings, where the report is, and its exit code."""

    findings: tuple[Finding, ...]
    report: Path  #: audit.json
    sequential_s: float | None  #: one sequential run of the selection, as measured
    stopped: Stopped | None
    exit_code: AuditExit
    data: dict[str, Any]  #: audit.json's content
    collected: tuple[str, ...] = ()
    recorded: store.Session | None = None  #: as the history keeps it (None: not recorded)


def audit(options: AuditOptions, out: IO[str] | None = None) -> AuditResult:
    """Run the campaign, triage and locate; write audit.json and audit.md (progress to ``out``,
    by default standard output)."""
    out = out or sys.stdout
    seed = options.seed if options.seed is not None else random.randrange(2**32)
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
        args = (*options.selection.args, *options.pytest_args, *private)
        collection = collect(args, options.root, child_env(), log, log_path)
        _say_collected(collection, progress)
        executor = Executor(
            options.selection.args,
            options.root,
            child_env(),
            log,
            options.reruns,
            collection.server,
            pytest_args=options.pytest_args,
            private_args=private,
            keep=(str(options.report_dir), *own_outputs()),
            width=auto_workers(),
        )
        # The files as collection left them: every run starts from them (plugin/world.py).
        world = World.take(options.root, exclude=(options.report_dir,))
        lab = Lab(
            executor,
            options.root,
            options.reruns,
            progress.left,
            Limits(options.timeout),
            world=world,
            say=progress.print,
        )
        found = Found()
        try:
            found = _campaign(lab, seed, options, collection.hello, progress)
            if found.stopped != "interrupted":
                found = _triage(found, lab, progress)
            if found.stopped != "interrupted":
                found = _locate(found, lab, collection.hello.collected, progress)
        except ServerError as exc:  # the fork server died under us: say where its output is
            print(f"ERROR: {exc}; pytest's output is in {log_path}", file=sys.stderr)
            found = found.stop("internal error")
        except KeyboardInterrupt:
            found = found.stop("interrupted")
        except BaseException:  # a bug: the report so far, then the traceback from main()
            _report(options, seed, lab, collection, found.stop("internal error"), progress)
            raise
        finally:
            executor.close()
            world.close()
    return _report(options, seed, lab, collection, found, progress)


def _say_collected(collection: Collection, progress: Progress) -> None:
    hello = collection.hello
    progress.print(f"-> collected {len(hello.collected)} tests")
    for nodeid, reason in hello.errors:
        progress.print(f"auditor: collection error in {nodeid}: {reason.splitlines()[0]}")
    if collection.server is None:
        progress.print(
            f"auditor: threads run after collection ({'; '.join(hello.unsafe)}): forking "
            "is not safe, so every run starts its own pytest (slower)"
        )
    elif hello.threads:
        progress.print(
            f"auditor: threads alive after collection only wait ({', '.join(hello.threads)}): "
            "forking is safe; the forked runs go without them"
        )


def _campaign(
    lab: Lab, seed: int, options: AuditOptions, hello: Hello, progress: Progress
) -> Found:
    """The campaign's runs that fit the budget, most telling first (see
    :mod:`auditor.campaign.plan`): the first ones, then orders chosen from their footprints."""
    collected, threads = hello.collected, hello.threads
    counts = plans.worker_counts(auto_workers())
    later = plans.rest(seed, collected, options.orders, options.seeds, counts)
    progress.print(f"campaign seed {seed}")
    skipped: list[RunPlan] = []
    try:
        done = _check_forking(lab, threads, progress) if lab.forking and threads else 0
        first = plans.first(collected, alone=lab.forking)[1 if done else 0 :]
        progress.print(f"{len(first) + len(later)} runs planned")
        done = _run_each(lab, first, progress, skipped, done)
        guided = plans.guided(collected, *_writes_and_leaves(lab.outcomes), forking=lab.forking)
        if guided:
            progress.print(f"{len(guided)} more runs, in orders chosen from footprints")
        # A fork per test: dear on a large suite, and least likely to find more than the
        # orders before it; so last, where a budget cuts it first. A large suite that forks
        # gets no such orders: its first ``after`` run takes their place.
        afters = [plan for plan in guided if plan.kind == "after"]
        orders = [plan for plan in guided if plan.kind != "after"]
        if not orders:
            orders, afters = afters[:1], afters[1:]
        _run_each(lab, [*orders, *later, *afters], progress, skipped, done)
    except KeyboardInterrupt:
        return Found(skipped=tuple(skipped), stopped="interrupted")
    if not skipped:
        return Found()
    progress.print(f"auditor: the budget left {len(skipped)} planned runs out")
    return Found(skipped=tuple(skipped), stopped="budget")


def _check_forking(lab: Lab, threads: tuple[str, ...], progress: Progress) -> int:
    """With threads alive after collection, the forked runs go without them: the default order
    once in a pytest of its own, once forked. Tests that fail only forked need the threads (an
    SDK's flusher delivering what they wait for): then every run starts its own pytest."""
    plan = plans.first((), alone=False)[0]
    fresh = lab.run(plan, fork=False)
    progress.finished(
        f"run 1: {plan.describe()}, in a pytest of its own", fresh.failed(), fresh.result.wall_s
    )
    lab.learn(fresh)
    progress.running(f"checking forking: {plan.describe()}, forked")
    forked = lab.run(plan)
    only = sorted(forked.failed() - fresh.failed())
    if not only:
        progress.finished(
            f"run 2: {plan.describe()}, forked", forked.failed(), forked.result.wall_s
        )
        lab.learn(forked)
        return 2
    lab.stop_forking(forked)
    progress.print(
        f"auditor: {len(only)} tests fail only in forked runs ({', '.join(only[:3])}…): they "
        f"need the threads alive after collection ({', '.join(threads)}), so every run starts "
        "its own pytest (slower)"
    )
    return 1


def _run_each(
    lab: Lab, planned: list[RunPlan], progress: Progress, skipped: list[RunPlan], done: int
) -> int:
    """Run each plan that fits the budget (the others go to ``skipped``); runs done so far."""
    for plan in planned:
        if not lab.affordable(plan):
            skipped.append(plan)
            continue
        done += 1
        label = f"run {done}: {plan.describe()}"
        progress.running(label)
        outcome = lab.run(plan)
        progress.finished(label, outcome.failed(), outcome.result.wall_s)
        lab.learn(outcome)
    return done


def _writes_and_leaves(
    outcomes: list[RunOutcome],
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Per test, the state it changed in any run, and the state it leaves changed from the
    collected state (its run alone; the default order's where there is none), as marks: how
    it changed each state, where the footprint could tell."""
    alone = [o for o in outcomes if o.plan.kind == "alone"]
    leaves = fp.footprints(alone or [o for o in outcomes if o.plan.kind == "sequential"])
    return fp.footprints(outcomes).marks, leaves.marks


def _triage(found: Found, lab: Lab, progress: Progress) -> Found:
    """A verdict for every test that failed anywhere in the campaign."""
    campaign = list(lab.outcomes)
    suspects = failed_anywhere(campaign)
    findings: list[Finding] = []
    for index, test in enumerate(suspects, 1):
        left = progress.left()
        if left is not None and left <= 0:
            progress.print(
                f"auditor: the budget ran out: {len(suspects) - index + 1} failing tests "
                "not triaged (listed in the report)"
            )
            rest = tuple(suspects[index - 1 :])
            return replace(found, findings=tuple(findings), untriaged=rest).stop("budget")
        progress.running(f"triage {index}/{len(suspects)}: {test}")
        try:
            finding = triage(test, campaign, lab, lab.command)
            if finding is None:
                progress.print(
                    f"-> not reported: {test} failed only beside the other forks of a run "
                    "after its writers, and passed when that run was replayed"
                )
                continue
            findings.append(finding)
        except KeyboardInterrupt:
            rest = tuple(suspects[index - 1 :])
            return replace(found, findings=tuple(findings), untriaged=rest).stop("interrupted")
    return replace(found, findings=tuple(findings))


def _locate(found: Found, lab: Lab, collected: tuple[str, ...], progress: Progress) -> Found:
    """The cause of each finding, then the conflicts the footprints predict."""
    prints = fp.footprints(lab.outcomes)
    located: list[Finding] = []
    pending = found.findings
    learnt = cause.Learnt()
    # A co-runner that fails alone fails every co-run: its failures prove no conflict.
    fails_alone = {f.test for f in found.findings if f.kind not in cause.ATTRIBUTABLE}
    try:
        for index, finding in enumerate(found.findings, 1):
            progress.running(f"locate {index}/{len(found.findings)}: {finding.test}")
            done = cause.locate(
                finding, collected, prints, lab.outcomes, lab, lab.command, learnt, fails_alone
            )
            located.append(done)
            learnt = learnt.after(done)
            pending = found.findings[index:]
        located = cause.one_per_pair(located)
        candidates = cause.unconfirmed(located, prints, collected)
        if candidates:
            progress.running(f"co-running {len(candidates)} pairs that share resources")
        unattributable = {f.test for f in located if f.kind not in cause.ATTRIBUTABLE}
        more, latent = cause.confirm_conflicts(
            candidates, lab, lab.command, skip=unattributable.__contains__
        )
        found = replace(found, findings=(*located, *more), latent=tuple(latent))
        pending = tuple(more)  # what an interruption below keeps beside the located
        # Every finding has a cause first; then, budget permitting, each victim's other
        # polluters (a run cut short by the budget ends that search, not the audit).
        for index, finding in enumerate(located):
            if finding.kind == "order-dependent" and finding.state:
                progress.running(f"other polluters {index + 1}/{len(located)}: {finding.test}")
                located[index] = cause.more_polluters(finding, collected, prints, lab)
        found = replace(found, findings=(*located, *more))
    except OutOfRuns:
        progress.print("auditor: the budget ran out while locating causes")
        found = replace(found, findings=(*located, *pending)).stop("budget")
    except KeyboardInterrupt:
        found = replace(found, findings=(*located, *pending)).stop("interrupted")
    for finding in found.findings:
        progress.print(audit_report.finding_line(finding))
    for note in found.latent:
        progress.print(
            f"-> latent: {note.resource} is shared by {', '.join(note.tests)}; "
            f"{note.coruns} co-runs passed"
        )
    return found


def _report(
    options: AuditOptions,
    seed: int,
    lab: Lab,
    collection: Collection,
    found: Found,
    progress: Progress,
) -> AuditResult:
    """audit.json and audit.md from what was found; the verdict as an exit code."""
    baseline = next((o for o in lab.outcomes if o.plan.kind == "sequential"), None)
    sequential_s = None
    if baseline is not None:
        # One sequential pytest run: start-up and collection (the fork server's) + the tests.
        sequential_s = baseline.result.wall_s + (collection.startup_s if lab.forking else 0.0)
    data = audit_report.build(
        tests=len(collection.hello.collected),
        seed=seed,
        outcomes=lab.outcomes,
        findings=found.findings,
        partial=found.stopped is not None,
        stopped=found.stopped,
        sequential_s=sequential_s,
        elapsed_s=progress.elapsed(),
        processes=1 + sum(1 for o in lab.outcomes if not o.result.forked),
        reruns=options.reruns,
        collect_errors=collection.hello.errors,
        skipped=[p.describe() for p in found.skipped],
        untriaged=found.untriaged,
        env=child_env(),
        latent=found.latent,
        limits=lab.limits,
    )
    path = options.report_dir / "audit.json"
    report.write_json(path, data)
    report.write_text(options.report_dir / "audit.md", audit_report.markdown(data))
    html.write(options.report_dir)
    progress.print(audit_report.summary_line(data, path))
    code = _exit(found, collection)
    recorded = _record(options, lab, data, progress, code)
    collected = collection.hello.collected
    return AuditResult(
        found.findings, path, sequential_s, found.stopped, code, data, collected, recorded
    )


#: audit.json's finding fields the history keeps (the evidence stays in the report)
_KEPT = ("kind", "test", "tests", "polluters", "state_setters", "state", "resources", "reproduce")


def _record(
    options: AuditOptions, lab: Lab, data: dict[str, Any], progress: Progress, code: AuditExit
) -> store.Session | None:
    """The audit as a history session: its campaign runs and findings; None when the history
    cannot be written (said, not fatal: the report is written)."""
    session = store.Session(
        options.kind,
        time.time() - progress.elapsed(),
        store.head_commit(options.root),
        int(code),
        store.campaign_runs(lab.outcomes),
        tuple({k: f[k] for k in _KEPT if k in f} for f in data["findings"]),
        partial=bool(data["partial"]),
    )
    path = options.history or store.default_path(options.root)
    try:
        with store.opened(path, say=progress.print) as history:
            history.record(session)
    except store.HistoryError as exc:
        progress.print(f"auditor: the audit was not recorded in the history: {exc}")
        return None
    return session


def _exit(found: Found, collection: Collection) -> AuditExit:
    if found.stopped == "interrupted":
        return AuditExit.INTERRUPTED
    if found.stopped == "internal error":
        return AuditExit.INTERNAL_ERROR
    problems = found.findings or collection.hello.errors or found.untriaged
    return AuditExit.FINDINGS if problems else AuditExit.CLEAN
