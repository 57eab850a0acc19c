"""``auditor run``: select → run with xdist → judge → report; ``serial`` tests kept safe, the
time profiled."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor import select
from auditor.exits import RunExit
from auditor.report import run as run_report
from auditor.report import write_json
from auditor.run import profile, workers
from auditor.run.verdict import judge
from auditor.runner import PytestCall, child_env, run_pytest


@dataclass(frozen=True)
class RunOptions:
    root: Path  #: the project folder pytest runs in
    selection: select.Selection
    workers: str  #: a count, "auto", "logical" or "adaptive"
    report_dir: Path
    pytest_args: tuple[str, ...]


@dataclass(frozen=True)
class RunSummary:
    """What ``auditor run`` did: its verdict, how long it took, where the report is."""

    exit_code: RunExit
    workers_arg: str  #: the -n value pytest got
    total_s: float  #: wall seconds of the pytest run
    failed: int  #: tests failed, errored, crashed or never reported
    report: Path  #: run.json


def run(options: RunOptions, out: IO[str] | None = None, err: IO[str] | None = None) -> RunSummary:
    """Run the selection once with xdist; write run.json; the verdict as pytest's exit code
    (the profile to ``out``, notes to ``err``: standard output and error by default)."""
    out, err = out or sys.stdout, err or sys.stderr
    selection = options.selection
    run_json = options.report_dir / "run.json"
    cores = workers.auto_workers()
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
    summary = run_report.build(
        root=options.root,
        selection=selection,
        requested=options.workers,
        choice=choice,
        result=result,
        verdict=verdict,
        profile=run_profile,
        env=env,
    )
    write_json(run_json, summary)
    for line in profile.lines(run_profile):
        print(line, file=out)
    _append_step_summary(summary)
    failed = summary["failed_count"]
    return RunSummary(verdict.code, choice.arg, result.wall_s, failed, run_json)


def _history(run_json: Path, root: Path, selection: select.Selection) -> workers.History | None:
    data = run_report.previous(run_json, root, selection)
    if data is None:
        return None
    return workers.History.from_profile(data.get("profile", {}), data["tests"]["collected"])


def _append_step_summary(summary: dict[str, Any]) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(profile.markdown(summary) + "\n")
