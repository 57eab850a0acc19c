"""``scan.json`` (schema ``auditor.scan/1``) and ``scan.md``: a scan against the history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from auditor.history.compare import Change
from auditor.history.rates import FlakeRate
from auditor.history.store import Session
from auditor.report import table_cell

SCAN_SCHEMA = "auditor.scan/1"


def build(
    *,
    audit: dict[str, Any],
    changes: Sequence[Change],
    rates: Sequence[FlakeRate],
    recorded_runs: int,
    quarantine: dict[str, Any],
    fail_on: str,
    exit_code: int,
    scans: Sequence[Session] = (),
) -> dict[str, Any]:
    counts = {status: 0 for status in ("new", "persisting", "resolved", "unconfirmed")}
    for change in changes:
        counts[change.status] += 1
    return {
        "schema": SCAN_SCHEMA,
        "exit_code": exit_code,
        "fail_on": fail_on,
        "partial": audit["partial"],
        "stopped": audit["stopped"],
        "tests": audit["tests"],
        "seed": audit["seed"],
        "counts": counts,
        "changes": [
            {
                "status": c.status,
                "first_seen": _when(c.first_seen),
                "last_seen": _when(c.last_seen),
                **{k: c.finding[k] for k in ("kind", "test", "tests") if k in c.finding},
                "cause": _cause(c.finding),
                "reproduce": c.finding.get("reproduce"),
            }
            for c in changes
        ],
        "flake_rates": {
            "recorded_runs": recorded_runs,
            "tests": [
                {
                    "test": r.test,
                    "failures": r.failures,
                    "runs": r.runs,
                    "rate": round(r.rate, 4),
                    "interval_95": [round(r.low, 4), round(r.high, 4)],
                    "broken": r.broken,
                    "last_failure": _when(r.last_failure),
                }
                for r in rates
            ],
        },
        "quarantine": quarantine,
        "audit": "audit.json",
        # The recorded scans, this one included, oldest first: their findings by kind.
        "trend": [
            {"time": _when(s.time), "partial": s.partial, "by_kind": _by_kind(s.findings)}
            for s in scans
        ],
    }


def _by_kind(findings: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["kind"]] = counts.get(finding["kind"], 0) + 1
    return counts


def _when(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="seconds")


def _cause(finding: dict[str, Any]) -> str:
    from auditor.quarantine import cause_of

    return cause_of(finding)


def headline(report: dict[str, Any]) -> str:
    counts = report["counts"]
    text = ", ".join(f"{counts[s]} {s}" for s in ("new", "persisting", "resolved", "unconfirmed"))
    return f"auditor scan: {text}" + (
        f" (partial: {report['stopped']})" if report["partial"] else ""
    )


def markdown(report: dict[str, Any]) -> str:
    """The scan as Markdown: scan.md and the GitHub step summary."""
    lines = [f"# {headline(report)}", ""]
    if report["partial"]:
        lines += [
            "The scan was cut short: findings of the last scan it did not see again are "
            "*unconfirmed*, not resolved.",
            "",
        ]
    titles = {
        "new": "New since the last scan",
        "persisting": "Persisting",
        "unconfirmed": "Not seen again (the scan was cut short)",
        "resolved": "Resolved",
    }
    for status, title in titles.items():
        rows = [c for c in report["changes"] if c["status"] == status]
        if not rows:
            continue
        lines += [
            f"## {title}",
            "",
            "| kind | test | cause | first seen |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c['kind']} | {_subject(c)} | {table_cell(c['cause'])} | {_day(c['first_seen'])} |"
            for c in rows
        ]
        lines.append("")
        if status == "new":
            lines += [f"- `{c['test']}`: `{c['reproduce']}`" for c in rows if c["reproduce"]]
            lines.append("")
    rates = report["flake_rates"]
    if rates["tests"]:
        lines += [
            f"## Flake rates ({rates['recorded_runs']} recorded runs of CI and scans)",
            "",
            "| test | failed / runs | rate | 95 % interval | last failure |",
            "| --- | ---: | ---: | --- | --- |",
        ]
        for r in rates["tests"][:50]:
            low, high = r["interval_95"]
            rate = "broken" if r["broken"] else f"{r['rate']:.0%}"
            lines.append(
                f"| `{r['test']}` | {r['failures']} / {r['runs']} | {rate} | "
                f"{low:.0%}–{high:.0%} | {_day(r['last_failure'])} |"
            )
        lines.append("")
    held = report["quarantine"]
    for key, label in (
        ("ready_to_leave", "Quarantined, ready to leave (clean in the recorded runs)"),
        ("expired", "Quarantine entries expired"),
        ("not_collected", "Quarantine entries naming tests not collected"),
    ):
        if held.get(key):
            lines += [f"**{label}**: " + ", ".join(f"`{t}`" for t in held[key]), ""]
    return "\n".join(lines)


def _subject(change: dict[str, Any]) -> str:
    return ", ".join(f"`{test}`" for test in change.get("tests") or [change["test"]])


def _day(stamp: str | None) -> str:
    return stamp[:10] if stamp else ""
