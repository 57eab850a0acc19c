"""``auditor run``: select → run with xdist → judge → report; ``serial`` tests kept safe, the
time profiled."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor import quarantine, select
from auditor.exits import RunExit
from auditor.history import store
from auditor.model import RunResult
from auditor.report import html, write_json
from auditor.report import run as run_report
from auditor.run import profile, quarantined, workers
from auditor.run.verdict import judge
from auditor.runner import PytestCall, child_env, run_pytest


@dataclass(frozen=True)
class RunOptions:
    root: Path  #: the project folder pytest runs in
    selection: select.Selection
    workers: str  #: a count, "auto", "logical" or "adaptive"
    report_dir: Path
    pytest_args: tuple[str, ...]
    #: failures of quarantined tests do not fail the run (``--quarantine``, ``CI_QUARANTINE=1``)
    quarantine: bool = False
    history: Path | None = None  #: the history database (default: .auditor/history.sqlite)
    check_new: str | None = None  #: a git ref: audit the tests changed since it first
    check_new_orders: int = 2  #: random orders of that audit


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
    quarantine_file = quarantine.path_of(options.root)
    entries = _entries(quarantine_file, options.quarantine, err)
    if options.check_new is not None:
        held_back = _check_new(options, options.check_new, out)
        if held_back is not None:
            return held_back
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
    started = time.time()
    result = run_pytest(call, cwd=options.root, env=env)
    verdict = judge(result, options.pytest_args)
    database = options.history or store.default_path(options.root)
    recorded = _record(database, options.root, result, started, verdict.code, entries, err)
    verdict, held = quarantined.judge(
        verdict,
        result,
        entries,
        active=options.quarantine,
        file=_shown(quarantine_file, options.root),
        today=dt.date.today(),
        recorded=recorded,
    )
    for note in (*verdict.notes, *held.lines()):
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
    if entries or held.active:
        summary["quarantine"] = held.as_json()
    write_json(run_json, summary)
    html.write(options.report_dir)
    for line in profile.lines(run_profile):
        print(line, file=out)
    _append_step_summary(summary)
    failed = summary["failed_count"]
    return RunSummary(verdict.code, choice.arg, result.wall_s, failed, run_json)


def _check_new(options: RunOptions, ref: str, out: IO[str]) -> RunSummary | None:
    """The gate before the main run: a summary of the failed gate, or None to go on."""
    from auditor.run.gate import check_new

    gate = check_new(
        options.root,
        options.selection,
        ref,
        options.report_dir,
        options.pytest_args,
        options.check_new_orders,
        out,
    )
    if not gate.blocking or gate.report is None:
        return None
    print(
        f"check-new: {len(gate.blocking)} findings involve tests added or changed since "
        f"{ref} (report: {gate.report}); the main run is not started",
        file=out,
    )
    return RunSummary(RunExit.TESTS_FAILED, "", 0.0, len(gate.blocking), gate.report)


def _entries(path: Path, active: bool, err: IO[str]) -> list[quarantine.Entry]:
    """The quarantine's entries; a file that does not parse stops an active quarantine (exit 4)
    and is only mentioned otherwise."""
    try:
        return quarantine.load(path)
    except quarantine.QuarantineError as exc:
        if active:
            raise
        print(f"auditor: quarantine not read (it is off): {exc}", file=err)
        return []


def _record(
    path: Path,
    root: Path,
    result: RunResult,
    started: float,
    code: int,
    entries: Sequence[quarantine.Entry],
    err: IO[str],
) -> dict[str, list[tuple[float, bool]]]:
    """Append the run to the history; the quarantined tests' recorded outcomes. A history that
    cannot be written is said, never a reason to fail the build."""
    used = len([w for w in result.workers if w.worker != "main"])
    run = store.run_of(result, "run", used, None)
    session = store.Session("run", started, store.head_commit(root), code, (run,))
    say: Callable[[str], None] = lambda line: print(line, file=err)  # noqa: E731
    try:
        with store.opened(path, say=say) as history:
            history.record(session)
            return history.outcomes(tests=[e.test for e in entries]) if entries else {}
    except store.HistoryError as exc:
        print(f"auditor: the run was not recorded: {exc}", file=err)
        return {}


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


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
