"""``run.json`` (schema ``auditor.run/1``): one ``auditor run``, from its records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from auditor import select
from auditor.model import RunResult
from auditor.redact import redact
from auditor.run.verdict import Verdict
from auditor.run.workers import WorkerChoice

RUN_SCHEMA = "auditor.run/1"


def build(
    *,
    root: Path,
    selection: select.Selection,
    requested: str,
    choice: WorkerChoice,
    result: RunResult,
    verdict: Verdict,
    profile: dict[str, Any],
    env: Mapping[str, str],
) -> dict[str, Any]:
    """run.json's content; failure reasons and notes with environment values redacted."""
    return {
        "schema": RUN_SCHEMA,
        "exit_code": int(verdict.code),
        "pytest_exit_code": result.returncode,
        "root": str(root),
        "selection": {"source": selection.source, "entries": list(selection.args)},
        "workers_requested": requested,
        "workers_arg": choice.arg,
        "tests": {"collected": len(result.collected or ()), **result.outcome_counts()},
        "failed_count": len(result.failures) + len(result.missing),
        "failures": [
            {
                "nodeid": r.nodeid,
                "outcome": r.outcome,
                "worker": r.worker,
                "reason": redact(r.reason, env) if r.reason else None,
            }
            for r in result.failures
        ],
        "missing": list(result.missing),
        "notes": [redact(note, env) for note in verdict.notes],
        "profile": profile,
        "command": list(result.command[1:]),
        # Every test on its worker, by start: report.html draws it (nodeid, worker, start, stop,
        # outcome, seconds waited for serial locks before start; epoch seconds).
        "timeline": [
            [r.nodeid, r.worker, r.start, r.stop, r.outcome, r.serial_wait]
            for r in sorted(result.tests, key=lambda r: (r.start or 0.0, r.nodeid))
        ],
    }


def previous(path: Path, root: Path, selection: select.Selection) -> dict[str, Any] | None:
    """The run.json of an earlier run of the same selection in the same project, if any."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != RUN_SCHEMA:
        return None
    entries = (data.get("selection") or {}).get("entries")
    if data.get("root") != str(root) or entries != list(selection.args):
        return None
    return data
