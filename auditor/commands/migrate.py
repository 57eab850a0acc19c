"""``auditor migrate``: the one-off move to parallel CI, in one command.

audit → fix (each rewrite proven, the rest reverted, then the closing campaign) → ``auditor run
-n 0`` and ``auditor run -n auto`` on the fixed selection; then what changed, what remains and
why, the two runs' speed, and the CI command to use from now on: the worker count measured
fastest. It composes the three commands' results.
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor import quarantine
from auditor.commands.audit import AuditOptions, AuditResult, audit
from auditor.commands.fix import FixOptions, FixResult, fix
from auditor.commands.run import RunOptions, RunSummary, run
from auditor.exits import AuditExit, FixExit, RunExit


@dataclass(frozen=True)
class MigrateResult:
    """The three steps' results (a step not reached is None), and the exit code."""

    audited: AuditResult
    fixed: FixResult | None
    ran: RunSummary | None
    exit_code: FixExit


def migrate(
    options: FixOptions, budget_s: float | None = None, out: IO[str] | None = None
) -> MigrateResult:
    """Audit, fix and run (progress to ``out``, by default standard output)."""
    out = out or sys.stdout
    print("== 1/3 audit", file=out, flush=True)
    audited = audit(_audit_options(options, budget_s), out)
    stopped = {AuditExit.INTERRUPTED: FixExit.INTERRUPTED}
    stopped[AuditExit.INTERNAL_ERROR] = FixExit.INTERNAL_ERROR
    if audited.exit_code in stopped:
        return MigrateResult(audited, None, None, stopped[audited.exit_code])
    print("== 2/3 fix", file=out, flush=True)
    fixed = fix(options, out, quarantines=True)
    if fixed.interrupted or options.dry_run:
        return MigrateResult(audited, fixed, None, fixed.exit_code)
    held = _quarantine(audited, fixed, options)
    print("== 3/3 run -n 0, then -n auto, --quarantine", file=out, flush=True)
    # Both recorded in the history: the default worker count of later runs learns from them.
    alone = run(_run_options(options, "0", options.report_dir / "sequential"), out)
    ran = run(_run_options(options, "auto", options.report_dir), out)
    _summary(audited, fixed, alone, ran, held, out)
    left = fixed.files_changed or fixed.remaining or fixed.quarantine
    failed = alone.exit_code != RunExit.OK or ran.exit_code != RunExit.OK
    code = FixExit.CHANGED if left or failed else FixExit.CLEAN
    return MigrateResult(audited, fixed, ran, code)


def _run_options(options: FixOptions, workers: str, report_dir: Path) -> RunOptions:
    return RunOptions(
        options.root,
        options.selection,
        workers,
        report_dir,
        options.pytest_args,
        quarantine=True,
    )


def _quarantine(audited: AuditResult, fixed: FixResult, options: FixOptions) -> list[str]:
    """Quarantine what the fix left: the non-deterministic tests and the findings it could not
    fix, each with the cause the audit found, and the tests that failed in the fix's closing
    campaign unseen by the audit, with that run as their evidence; ``file: test`` of each entry
    added."""
    left = {*fixed.quarantine, *(test for test, _ in fixed.remaining)}
    today = dt.date.today()
    findings = audited.data["findings"]
    entries = [quarantine.entry_of(f, today) for f in findings if f["test"] in left]
    found = {finding["test"] for finding in findings}
    for closing in fixed.closing:
        for test in closing.failed:  # node ids only: a run failing as a whole names no test
            if test not in found:
                found.add(test)
                unseen = {"test": test, "kind": "closing-run", "reproduce": closing.command}
                unseen["note"] = "failed in a closing run of auditor fix, unseen by the audit"
                entries.append(quarantine.entry_of(unseen, today))
    if options.dry_run:
        return []
    path = quarantine.path_of(options.root)
    added = quarantine.add(path, entries)
    return [f"{path.relative_to(options.root)}: {entry.test}" for entry in added]


def _audit_options(options: FixOptions, budget_s: float | None) -> AuditOptions:
    return AuditOptions(
        options.root,
        options.selection,
        options.report_dir,
        seed=options.seed,
        budget_s=budget_s,
        pytest_args=options.pytest_args,
    )


def _summary(
    audited: AuditResult,
    fixed: FixResult,
    alone: RunSummary,
    ran: RunSummary,
    held: list[str],
    out: IO[str],
) -> None:
    print("== migrate", file=out)
    changed = list(fixed.files_changed)
    if fixed.marker:
        changed.append(f"{fixed.marker} (the serial marker)")
    print(f"changed: {', '.join(changed) or 'nothing'}", file=out)
    for test, summary in fixed.kept:
        print(f"  {test}: {summary}", file=out)
    for test, why in fixed.remaining:
        print(f"remains: {test}: {why}", file=out)
    for test in fixed.quarantine:
        print(f"quarantined: {test}: non-deterministic; fix the test itself", file=out)
    for entry in held:
        print(f"quarantine entry added: {entry}", file=out)
    fastest = _speed(alone, ran, out)
    for name, closing in (("the run in one process", alone), ("the parallel run", ran)):
        code = closing.exit_code
        print(f"{name} {'passed' if code == RunExit.OK else f'exit code {int(code)}'}", file=out)
    command = ["auditor", "run", "-n", fastest]
    if held or fixed.quarantine:
        command.append("--quarantine")  # or CI_QUARANTINE=1: the tests run, their failures wait
    print(f"CI command from now on: {shlex.join(command)}", file=out)
    print(
        "  (or `auditor run` without -n: it picks the count from the recorded runs, these two "
        "included, as the suite changes)",
        file=out,
    )


def _speed(alone: RunSummary, ran: RunSummary, out: IO[str]) -> str:
    """Print both runs' wall times; the -n value measured fastest."""
    if not (alone.total_s and ran.total_s):
        return "auto"
    ratio = alone.total_s / ran.total_s
    print(
        f"speed: {alone.total_s:.1f} s in one process, {ran.total_s:.1f} s with -n auto "
        f"({ratio:.2f}x)",
        file=out,
    )
    if ratio > 1:
        return "auto"
    print(
        "the parallel run is slower than one process (starting and feeding the workers costs "
        "more than the tests take): the fastest measured is -n 0",
        file=out,
    )
    return "0"
