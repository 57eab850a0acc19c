"""``auditor run``: the selection in parallel, ``serial`` tests kept safe, the time profiled."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor import select
from auditor.model import ExitCode
from auditor.redact import redact
from auditor.report import write_json
from auditor.run import profile, workers
from auditor.run.verdict import judge
from auditor.runner import PytestCall, child_env, run_pytest

RUN_SCHEMA = "auditor.run/1"


@dataclass(frozen=True)
class RunOptions:
    root: Path  #: the project folder pytest runs in
    selection: select.Selection
    workers: str  #: a count, "auto", "logical" or "adaptive"
    report_dir: Path
    pytest_args: tuple[str, ...]


def run(options: RunOptions, out: IO[str] = sys.stdout, err: IO[str] = sys.stderr) -> ExitCode:
    """Run the selection once with xdist; write run.json; return pytest-style exit code."""
    selection = options.selection
    run_json = options.report_dir / "run.json"
    cores = workers.cpu_count()
    history = _history(run_json, options.root, selection)
    choice = workers.choose(options.workers, history, cores, str(run_json))
    call = PytestCall(
        args=(*options.pytest_args, *selection.args),
        workers=choice.arg,
        manage_randomly=not any("randomly" in arg for arg in options.pytest_args),
    )
    env = child_env()
    result = run_pytest(call, cwd=options.root, env=env)
    verdict = judge(result, options.pytest_args)
    for note in verdict.notes:
        print(f"auditor: {note}", file=err)
    run_profile = profile.build(result, workers_reason=choice.reason, total_s=result.wall_s)
    summary: dict[str, Any] = {
        "schema": RUN_SCHEMA,
        "exit_code": int(verdict.code),
        "pytest_exit_code": result.returncode,
        "root": str(options.root),
        "selection": {"source": selection.source, "entries": list(selection.args)},
        "workers_requested": options.workers,
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
        "profile": run_profile,
        "command": list(result.command[1:]),
    }
    write_json(run_json, summary)
    for line in profile.lines(run_profile):
        print(line, file=out)
    _append_step_summary(summary)
    return verdict.code


def _history(run_json: Path, root: Path, selection: select.Selection) -> workers.History | None:
    try:
        data: dict[str, Any] = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same_suite = data.get("root") == str(root) and data.get("selection", {}).get("entries") == list(
        selection.args
    )
    if data.get("schema") != RUN_SCHEMA or not same_suite:
        return None
    return workers.History.from_profile(data.get("profile", {}), data["tests"]["collected"])


def _append_step_summary(summary: dict[str, Any]) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(profile.markdown(summary) + "\n")
