"""``auditor migrate``: the one-off move to parallel CI, in one command.

audit → fix (each rewrite proven, the rest reverted) → the closing campaign → ``auditor run -n
auto`` on the fixed selection; then what changed, what remains and why, the speed before and
after, and the CI command to use from now on.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import IO, Any

from auditor.audit import AuditOptions, audit
from auditor.fix.command import FixExit, FixOptions, fix
from auditor.model import ExitCode
from auditor.run.command import RunOptions, run


def migrate(options: FixOptions, budget_s: float | None = None, out: IO[str] = sys.stdout) -> int:
    """Audit, fix and run; the exit code of :class:`FixExit`."""
    print("== 1/3 audit", file=out, flush=True)
    audited = audit(
        AuditOptions(
            options.root,
            options.selection,
            options.report_dir,
            seed=options.seed,
            budget_s=budget_s,
            pytest_args=options.pytest_args,
        ),
        out,
    )
    if audited in (ExitCode.INTERRUPTED, ExitCode.INTERNAL_ERROR):
        return FixExit.USAGE if audited == ExitCode.INTERRUPTED else FixExit.INTERNAL
    print("== 2/3 fix", file=out, flush=True)
    fixed = fix(options, out)
    if fixed == FixExit.USAGE or options.dry_run:
        return fixed
    report = _read(options.report_dir / "fix.json")
    quarantine = list(report.get("quarantine", []))
    deselect = tuple(f"--deselect={test}" for test in quarantine)
    print("== 3/3 run -n auto", file=out, flush=True)
    ran = run(
        RunOptions(
            options.root,
            options.selection,
            "auto",
            options.report_dir,
            (*options.pytest_args, *deselect),
        ),
        out,
    )
    _summary(options, report, quarantine, ran, out)
    changed_or_left = report.get("files_changed") or report.get("remaining") or quarantine
    return FixExit.CHANGED if changed_or_left or ran != ExitCode.OK else FixExit.OK


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _summary(
    options: FixOptions, report: dict[str, Any], quarantine: list[str], ran: int, out: IO[str]
) -> None:
    audited = _read(options.report_dir / "audit.json")
    after = _read(options.report_dir / "run.json")
    before_s = (audited.get("cost") or {}).get("sequential_s")
    after_s = (after.get("profile") or {}).get("total_s")
    print("== migrate", file=out)
    changed = list(report.get("files_changed", []))
    marker = report.get("marker") or {}
    if marker.get("status") == "added":
        changed.append(f"{marker['file']} (the serial marker)")
    print(f"changed: {', '.join(changed) or 'nothing'}", file=out)
    for fixed in report.get("fixes", []):
        if fixed["status"] == "kept":
            print(f"  {fixed['test']}: {fixed['fix']}", file=out)
    for item in report.get("remaining", []):
        print(f"remains: {item['test']}: {item['why']}", file=out)
    for test in quarantine:
        print(f"quarantined: {test}: non-deterministic; fix the test itself", file=out)
    if before_s and after_s:
        print(
            f"speed: {before_s:.1f} s sequential -> {after_s:.1f} s with -n auto "
            f"({before_s / after_s:.2f}x)",
            file=out,
        )
    verdict = "passed" if ran == ExitCode.OK else f"exit code {ran}"
    print(f"the parallel run {verdict}", file=out)
    command = ["auditor", "run", "-n", "auto"]
    if quarantine:
        command += ["--", *(f"--deselect={test}" for test in quarantine)]
    print(f"CI command from now on: {shlex.join(command)}", file=out)
