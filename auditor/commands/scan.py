"""``auditor scan``: the periodic flakiness scan. An audit within a budget, recorded in the
history, then compared with it: findings new since the last scan, persisting and resolved;
flake rates over the recorded CI runs and scans; the quarantine's entries ready to leave.
Writes scan.json and scan.md (and the GitHub step summary when ``GITHUB_STEP_SUMMARY`` is set).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Literal

from auditor import quarantine, report
from auditor.commands.audit import AuditOptions, audit
from auditor.exits import AuditExit, ScanExit
from auditor.history import store
from auditor.history.compare import compare
from auditor.history.rates import clean_streak, flake_rates
from auditor.report import html
from auditor.report import scan as scan_report

RATE_WINDOW = 100  #: a test's flake rate rests on its last this many recorded runs
FailOn = Literal["new", "any"]


@dataclass(frozen=True)
class ScanResult:
    exit_code: ScanExit
    report: Path  #: scan.json
    data: dict[str, Any]


def scan(options: AuditOptions, fail_on: FailOn = "new", out: IO[str] | None = None) -> ScanResult:
    """Audit (recorded as a scan), then compare with the history; the exit code says whether
    there is anything new (or, ``fail_on="any"``, anything at all)."""
    out = out or sys.stdout
    path = options.history or store.default_path(options.root)
    with store.opened(path, say=lambda line: print(line, file=out)):
        pass  # a history that cannot be used stops the scan before its audit, not after
    entries = quarantine.load(quarantine.path_of(options.root))
    audited = audit(replace(options, kind="scan", history=path), out)
    if audited.exit_code in (AuditExit.INTERRUPTED, AuditExit.INTERNAL_ERROR):
        return ScanResult(ScanExit(int(audited.exit_code)), audited.report, audited.data)
    data = audited.data
    with store.opened(path) as history:
        uid = audited.recorded.uid if audited.recorded else None
        sessions = history.sessions(("audit", "scan"))
        earlier = [s for s in sessions if s.uid != uid]
        outcomes = history.outcomes(("run", "scan"))
        recorded_runs = history.run_count(("run", "scan"))
    findings = list(data["findings"])
    now = audited.recorded.time if audited.recorded else time.time()
    changes = compare(findings, now, bool(data["partial"]), earlier)
    new = any(c.status == "new" for c in changes)
    code = ScanExit.NEW if new or (fail_on == "any" and findings) else ScanExit.NOTHING_NEW
    collected = set(audited.collected)
    today = dt.date.today()
    held = {
        "file": str(quarantine.path_of(options.root).relative_to(options.root)),
        "entries": [e.test for e in entries],
        "expired": [e.test for e in entries if e.expired(today)],
        "not_collected": [e.test for e in entries if collected and e.test not in collected],
        "ready_to_leave": [
            e.test
            for e in entries
            if clean_streak(outcomes.get(e.test, ())) >= quarantine.READY_AFTER
        ],
    }
    result = scan_report.build(
        audit=data,
        changes=changes,
        rates=flake_rates(outcomes, last=RATE_WINDOW),
        recorded_runs=recorded_runs,
        quarantine=held,
        fail_on=fail_on,
        exit_code=int(code),
        scans=[s for s in sessions if s.kind == "scan"],
    )
    target = options.report_dir / "scan.json"
    report.write_json(target, result)
    text = scan_report.markdown(result)
    report.write_text(options.report_dir / "scan.md", text)
    html.write(options.report_dir)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(f"{scan_report.headline(result)}; wrote {target}", file=out)
    for change in changes:
        if change.status in ("new", "resolved"):
            print(
                f"-> {change.status}: {change.finding['kind']}: {change.finding['test']}", file=out
            )
    return ScanResult(code, target, result)
