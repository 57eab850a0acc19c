"""``auditor run``: select → run with xdist → judge → report; ``serial`` tests kept safe, the
time profiled."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor import quarantine, select
from auditor.exits import RunExit, UsageError
from auditor.history import store
from auditor.model import RunResult
from auditor.report import html, junit, write_json
from auditor.report import run as run_report
from auditor.run import annotate, profile, quarantined, workers
from auditor.run import shard as shards
from auditor.run.shard import Shard
from auditor.run.verdict import Verdict, judge
from auditor.runner import PytestCall, child_env, collect_only, run_pytest


@dataclass(frozen=True)
class RunOptions:
    root: Path  #: the project folder pytest runs in
    selection: select.Selection
    workers: str  #: a count, "auto", "logical", "adaptive", or "default" (no -n given)
    report_dir: Path
    pytest_args: tuple[str, ...]
    #: failures of quarantined tests do not fail the run (``--quarantine``, ``CI_QUARANTINE=1``)
    quarantine: bool = False
    history: Path | None = None  #: the history database (default: .auditor/history.sqlite)
    junitxml: Path | None = None  #: where to write JUnit XML (default: [tool.auditor] junitxml)
    shard: Shard | None = None  #: this machine's share of the selection
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
    database = options.history or store.default_path(options.root)
    chooses = options.workers in ("default", "adaptive")
    latest, past, source = _past(options, database, run_json, cores) if chooses else (None, [], "")
    choice = workers.choose(options.workers, latest, cores, source, past)
    share = _share(options, options.shard, out) if options.shard else None
    env = child_env()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="auditor-shard-") as scratch:
        plugin_args: tuple[str, ...] = ()
        if share is not None:
            listed = Path(scratch) / "tests.txt"
            listed.write_text("\n".join(share["tests"]) + "\n", encoding="utf-8")
            plugin_args = (f"--auditor-only={listed}",)
        if choice.dist:
            plugin_args += (f"--auditor-dist-default={choice.dist}",)
        call = PytestCall(
            args=(*options.pytest_args, *selection.args),
            workers=choice.arg,
            manage_randomly=not any("randomly" in arg for arg in options.pytest_args),
            extra_plugin_args=plugin_args,
        )
        nothing = share is not None and not share["tests"]
        result = _nothing_ran() if nothing else run_pytest(call, cwd=options.root, env=env)
    verdict = judge(result, options.pytest_args)
    if nothing and options.shard:
        verdict = Verdict(RunExit.OK, (f"shard {options.shard}: nothing to run",))
    run_profile = profile.build(result, workers_reason=choice.reason, total_s=result.wall_s)
    plan = f"run, shard {options.shard}" if options.shard else "run"
    timing = _timing(_selection_key(options), cores, result, run_profile)
    recorded = _record(
        database, options.root, result, plan, started, verdict.code, entries, err, timing
    )
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
    _ci_outputs(options, result, held, out)
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
    if share is not None:
        summary["shard"] = share
    write_json(run_json, summary)
    html.write(options.report_dir)
    for line in profile.lines(run_profile):
        print(line, file=out)
    _append_step_summary(summary)
    failed = summary["failed_count"]
    return RunSummary(verdict.code, choice.arg, result.wall_s, failed, run_json)


def _share(options: RunOptions, shard: Shard, out: IO[str]) -> dict[str, Any]:
    """This shard's tests, from one collection and the history's durations (run.json's
    ``shard``: what ``auditor merge`` checks the shards against)."""
    collection = collect_only(options.root, (*options.pytest_args, *options.selection.args))
    if collection.collected is None:
        raise UsageError(
            f"shard {shard}: the selection did not collect; run `auditor run` without --shard "
            "to see pytest's error"
        )
    collected = collection.collected
    database = options.history or store.default_path(options.root)
    durations: dict[str, float] = {}
    if database.exists():
        with store.opened(database) as history:
            durations = history.durations(store.head_commit(options.root))
    keys = dict(collection.serial_keys)
    split = shards.split(collected, durations, keys, shard.total)
    mine = split.shards[shard.index - 1]
    timed = sum(1 for test in collected if test in durations)
    print(
        f"shard {shard}: {len(mine)} of {len(collected)} tests, about "
        f"{split.seconds[shard.index - 1]:.1f} s of {sum(split.seconds):.1f} s "
        f"(durations of {timed} tests from the history; the rest count as their median)",
        file=out,
    )
    for note in split.notes:
        print(f"shard {shard}: {note}", file=out)
    if not mine:
        print(f"shard {shard}: nothing to run: {len(collected)} tests fill fewer shards", file=out)
    digest = hashlib.sha256("\n".join(collected).encode()).hexdigest()
    return {
        "index": shard.index,
        "total": shard.total,
        "tests": list(mine),
        "collected": len(collected),
        "collected_sha256": digest,
        "expected_s": split.seconds[shard.index - 1],
        "notes": list(split.notes),
    }


def _nothing_ran() -> RunResult:
    return RunResult(0, 0.0, 0.0, (), (), (), ())


def _ci_outputs(
    options: RunOptions, result: RunResult, held: quarantined.Quarantined, out: IO[str]
) -> None:
    """JUnit XML when asked for, and GitHub annotations under GitHub Actions."""
    configured = select.tool_setting(options.root, "junitxml")
    target = options.junitxml or (options.root / configured if configured else None)
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    if target is None and not github:
        return
    base = annotate.repository_root(options.root)
    live = {*held.failed, *held.passed}
    if target is not None:
        junit.write(junit.build(result, base=base, quarantined=live, forgiven=held.active), target)
    if github:
        for line in annotate.lines(result, base, live):
            print(line, file=out)


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
    plan: str,
    started: float,
    code: int,
    entries: Sequence[quarantine.Entry],
    err: IO[str],
    timing: store.Timing | None,
) -> dict[str, list[tuple[float, bool]]]:
    """Append the run to the history; the quarantined tests' recorded outcomes. A history that
    cannot be written is said, never a reason to fail the build."""
    used = len([w for w in result.workers if w.worker != "main"])
    run = store.run_of(result, plan, used, None, timing)
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


def _selection_key(options: RunOptions) -> str:
    """Which selection a timing is of: its entries, and the shard."""
    key = "\n".join(options.selection.args)
    return f"{key}\nshard {options.shard}" if options.shard else key


def _timing(
    selection: str, cores: int, result: RunResult, run_profile: dict[str, Any]
) -> store.Timing | None:
    measured = workers.History.from_profile(run_profile, len(result.tests))
    if measured is None or result.wall_s <= 0:
        return None
    return store.Timing(
        selection,
        cores,
        measured.tests,
        round(result.wall_s, 3),
        measured.busy_s,
        measured.cpu_s,
        measured.collect_s,
        measured.spawn_s,
        measured.longest_s,
    )


def _past(
    options: RunOptions, database: Path, run_json: Path, cores: int
) -> tuple[workers.History | None, list[workers.Past], str]:
    """What the worker count is chosen from: the newest run's measurements, the recorded runs
    the model learns from, and where they come from. The history's timings first; else the
    previous run.json of the same selection."""
    timed: list[tuple[int, store.Timing]] = []
    if database.exists():
        try:
            with store.opened(database) as history:
                timed = history.timings(_selection_key(options), cores, workers.LEARN_FROM)
        except store.HistoryError:
            timed = []
    if timed:
        past = [workers.Past(_measured(count, timing), timing.wall_s) for count, timing in timed]
        where = _shown(database, options.root)
        return past[0].history, past, where
    data = run_report.previous(run_json, options.root, options.selection)
    if data is None:
        return None, [], str(run_json)
    profile_data = data.get("profile", {})
    latest = workers.History.from_profile(profile_data, data["tests"]["collected"])
    wall = profile_data.get("total_s")
    past = [workers.Past(latest, wall)] if latest is not None and wall else []
    return latest, past, str(run_json)


def _measured(count: int, timing: store.Timing) -> workers.History:
    return workers.History(
        tests=timing.tests,
        busy_s=timing.busy_s,
        cpu_s=timing.cpu_s,
        collect_s=timing.collect_s,
        spawn_s=timing.spawn_s,
        workers=count,
        longest_s=timing.longest_s,
    )


def _append_step_summary(summary: dict[str, Any]) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(profile.markdown(summary) + "\n")
