"""``fix.json`` (schema ``auditor.fix/1``, read by other tools: keep its keys) and fix.md."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.fix.apply import Applied, EditResult, Marker, changed_files
from auditor.verify import Run

SCHEMA = "auditor.fix/1"


def build(
    *,
    source: Path,
    dry_run: bool,
    interrupted: bool,
    applied: Sequence[Applied],
    skipped_files: Sequence[tuple[str, str]],
    marker: Marker | None,
    quarantine: Sequence[str],
    remaining: Sequence[tuple[str, str, str]],
    closing: Sequence[Run],
    unquarantined: Sequence[str] = (),
) -> dict[str, Any]:
    """The report of one ``auditor fix``: every attempt, what remains (kind, test, why), and
    the closing campaign."""
    return {
        "schema": SCHEMA,
        "from": str(source),
        "dry_run": dry_run,
        "interrupted": interrupted,
        "files_changed": list(changed_files(applied)),
        "fixes": [fix_entry(each) for each in applied],
        "skipped_files": [{"path": path, "reason": why} for path, why in skipped_files],
        "marker": marker_entry(marker),
        "quarantine": list(quarantine),
        "unquarantined": list(unquarantined),  #: quarantine entries removed: the tests are fixed
        "remaining": [{"kind": kind, "test": test, "why": why} for kind, test, why in remaining],
        "closing": {
            "runs": [run_entry(run) for run in closing],
            "passed": all(run.passed for run in closing) if closing else None,
        },
    }


def fix_entry(applied: Applied) -> dict[str, Any]:
    fix = applied.fix
    entry: dict[str, Any] = {
        "kind": fix.kind,
        "test": fix.test,
        "fix": fix.summary,
        "status": applied.status,
        "reason": applied.reason or None,
        "files": sorted(applied.changed),
        "edits": [edit_entry(result) for result in applied.edits],
        "verification": {
            "evidence": fix.evidence.describe(),
            "runs": [run_entry(run) for run in applied.runs],
        },
    }
    if applied.instead_of:
        entry["instead_of"] = applied.instead_of
    return entry


def edit_entry(result: EditResult) -> dict[str, Any]:
    return {
        "codemod": result.edit.codemod,
        "test": result.edit.test,
        "status": result.status,
        "reason": result.reason or None,
        "statements": list(result.statements),
    }


def run_entry(run: Run) -> dict[str, Any]:
    return {
        "command": run.command,
        "passed": run.passed,
        "failed": list(run.failed),
        "duration_s": round(run.duration_s, 3),
    }


def marker_entry(marker: Marker | None) -> dict[str, Any] | None:
    if marker is None:
        return None
    return {"file": marker.file, "status": marker.status, "reason": marker.reason}


def markdown(report: dict[str, Any]) -> str:
    """fix.md: each fix with its edits and the commands that proved (or disproved) it."""
    title = "# auditor fix" + (" (dry run)" if report["dry_run"] else "")
    title += " (interrupted)" if report["interrupted"] else ""
    lines = [title, "", _overview(report), ""]
    for fix in report["fixes"]:
        lines += _fix_section(fix)
    if report["skipped_files"]:
        lines += ["## files left alone", ""]
        lines += [f"- `{s['path']}`: {s['reason']}" for s in report["skipped_files"]] + [""]
    lines += _listed("non-deterministic, never rewritten (to quarantine)", report["quarantine"])
    remaining = [f"`{r['test']}` ({r['kind']}): {r['why']}" for r in report["remaining"]]
    lines += _listed("remaining", remaining, quote=False)
    lines += _closing(report["closing"])
    return "\n".join(lines)


def _overview(report: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for fix in report["fixes"]:
        counts[fix["status"]] = counts.get(fix["status"], 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no fixes"
    changed = ", ".join(f"`{path}`" for path in report["files_changed"]) or "none"
    text = f"From `{report['from']}`: {tally}. Files changed: {changed}."
    marker = report["marker"]
    if marker:
        where = f"`{marker['file']}`" if marker["file"] else "no file"
        why = f" ({marker['reason']})" if marker["reason"] else ""
        text += f" The serial marker: {marker['status']}, {where}{why}."
    return text


def _fix_section(fix: dict[str, Any]) -> list[str]:
    lines = [f"## {fix['status']}: `{fix['test']}`", "", fix["fix"] + ".", ""]
    if fix.get("instead_of"):
        lines += [f"Instead of: {fix['instead_of']}.", ""]
    if fix["reason"]:
        lines += [f"Why: {fix['reason']}", ""]
    for edit in fix["edits"]:
        why = f" ({edit['reason']})" if edit["reason"] else ""
        lines.append(f"- {edit['codemod']} on `{edit['test']}`: {edit['status']}{why}")
        lines += [f"  - `{statement}`" for statement in edit["statements"]]
    lines += [f"- evidence: {fix['verification']['evidence']}", ""]
    runs = fix["verification"]["runs"]
    if runs:
        lines += ["```", *(_run_line(run) for run in runs), "```", ""]
    return lines


def _run_line(run: dict[str, Any]) -> str:
    verdict = "passed" if run["passed"] else "FAILED " + " ".join(run["failed"])
    return f"{run['command']}  # {verdict.rstrip()}, {run['duration_s']:.1f} s"


def _listed(title: str, items: Sequence[str], quote: bool = True) -> list[str]:
    if not items:
        return []
    return [f"## {title}", "", *(f"- `{i}`" if quote else f"- {i}" for i in items), ""]


def _closing(closing: dict[str, Any]) -> list[str]:
    if not closing["runs"]:
        return []
    verdict = "passed" if closing["passed"] else "failed"
    lines = [f"## closing campaign: {verdict}", "", "```"]
    return [*lines, *(_run_line(run) for run in closing["runs"]), "```", ""]
