"""``auditor fix``: plan → apply → register → close → report.

For each finding of ``audit.json``: run its codemods, check every rewritten file compiles and its
tests still assert what they did, write the files atomically, re-run the finding's evidence (with
the audit's per-test timeouts), and keep the rewrite only when the evidence passes; otherwise
restore the files and try the fallback (:mod:`auditor.fix.apply`). Then register the ``serial``
marker if a mark was added, and run the whole selection in random orders on one and two workers.
Each step takes what the one before returned (a :class:`Fixed`); Ctrl-C stops a step where it is
(the files under verification restored) and the report says so.
"""

from __future__ import annotations

import random
import shlex
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from auditor import quarantine, report, select
from auditor.exits import FixExit
from auditor.findings import load_findings, load_latent
from auditor.fix.apply import (
    Applied,
    Applier,
    Marker,
    changed_files,
    register_serial,
    serial_added,
)
from auditor.fix.plan import Plan, plan
from auditor.fix.workspace import Workspace
from auditor.report import fix as fix_report
from auditor.runner import child_env
from auditor.verify import (
    Run,
    Verifier,
    closing_calls,
    closing_failures,
    read_limits,
    watchdog_args,
)


@dataclass(frozen=True)
class FixOptions:
    root: Path
    selection: select.Selection
    report_dir: Path
    audit: Path  #: the audit.json to apply
    dry_run: bool = False  #: print the diffs, write nothing, run nothing
    force: bool = False  #: also rewrite files with uncommitted changes
    closing_seeds: int = 2  #: random orders of the closing campaign (each on 1 and 2 workers)
    seed: int | None = None
    pytest_args: tuple[str, ...] = ()
    pytest_major: int | None = None  #: the project's pytest (None: the one installed here)


@dataclass(frozen=True)
class FixResult:
    """What ``auditor fix`` did, where the report is, and its exit code."""

    files_changed: tuple[str, ...]  #: by kept fixes (or proposed ones, in a dry run)
    kept: tuple[tuple[str, str], ...]  #: (test, fix summary) of each fix kept
    remaining: tuple[tuple[str, str], ...]  #: (test, why) of each finding left unfixed
    quarantine: tuple[str, ...]  #: non-deterministic tests, never rewritten
    marker: str | None  #: the configuration file where the serial marker was added
    dry_run: bool
    interrupted: bool
    report: Path  #: fix.json
    exit_code: FixExit
    closing: tuple[Run, ...] = ()  #: the closing campaign's runs


@dataclass(frozen=True)
class Fixed:
    """What the fix has done so far: each step returns a new one."""

    applied: tuple[Applied, ...] = ()  #: every attempt, fallbacks included, in order
    marker: Marker | None = None  #: None: no serial mark was added
    closing: tuple[Run, ...] = ()
    interrupted: bool = False
    unquarantined: tuple[str, ...] = ()  #: quarantine entries removed: their tests are fixed


def fix(options: FixOptions, out: IO[str] | None = None, quarantines: bool = False) -> FixResult:
    """Apply the audit's fixes; write fix.json and fix.md. UsageError for an unusable audit.

    ``out`` (default: stdout, as it is at the call) receives the progress and the summary;
    ``quarantines``: the caller quarantines what is left (migrate), so the summary does not
    say how to.
    """
    out = out or sys.stdout
    findings = load_findings(options.audit)
    limits = read_limits(options.audit)
    planned = plan(findings, load_latent(options.audit))
    options.report_dir.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(options.root, options.force)
    with (
        open(options.report_dir / "fix.log", "w", encoding="utf-8") as log,
        tempfile.TemporaryDirectory(prefix="auditor-fix-") as scratch,
    ):
        watchdog = watchdog_args(limits, Path(scratch))
        verifier = Verifier(options.root, child_env(), options.pytest_args, log, watchdog)
        fixed = _apply(planned, Applier(workspace, verifier, options.dry_run, out))
        fixed = _register(fixed, workspace, options, out)
        fixed = _close(fixed, planned, verifier, options, out)
    fixed = _unquarantine(fixed, options, out)
    if fixed.interrupted:
        print("auditor: interrupted; every file is either as it was or fully fixed", file=out)
    result = _report(options, planned, workspace, fixed)
    _summary(result, fixed.marker, out, None if quarantines else _quarantine_command(options))
    return result


def _apply(planned: Plan, applier: Applier) -> Fixed:
    """Each planned fix, proven or restored, in the audit's order."""
    applied: list[Applied] = []
    try:
        for each in planned.fixes:
            applied.extend(applier.attempt(each))
    except KeyboardInterrupt:  # the fix under verification has restored its files
        return Fixed(tuple(applied), interrupted=True)
    return Fixed(tuple(applied))


def _register(fixed: Fixed, workspace: Workspace, options: FixOptions, out: IO[str]) -> Fixed:
    """The ``serial`` marker in the project's configuration, once a mark was added."""
    if fixed.interrupted or not serial_added(fixed.applied):
        return fixed
    try:
        marker = register_serial(workspace, options.pytest_major, options.dry_run, out)
    except KeyboardInterrupt:  # the configuration is written in one step: as it was, or added
        return replace(fixed, interrupted=True)
    return replace(fixed, marker=marker)


def _close(
    fixed: Fixed, planned: Plan, verifier: Verifier, options: FixOptions, out: IO[str]
) -> Fixed:
    """The whole selection in random orders on one process and two workers, quarantine left out."""
    if fixed.interrupted or options.dry_run or not options.closing_seeds:
        return fixed
    if not changed_files(fixed.applied):  # nothing changed: the audit's runs still stand
        return fixed
    rng = random.Random(options.seed)
    seeds = [rng.randrange(2**32) for _ in range(options.closing_seeds)]
    print(
        f"closing campaign: {len(seeds)} random orders x 1 and 2 workers on the whole selection",
        file=out,
        flush=True,
    )
    runs: list[Run] = []
    try:
        for call in closing_calls(verifier, options.selection.args, seeds, planned.quarantine):
            runs.append(verifier.run(call))
            verdict = "passed" if runs[-1].passed else f"FAILED {' '.join(runs[-1].failed)}"
            print(f"  {verdict.rstrip()}: {runs[-1].command}", file=out, flush=True)
    except KeyboardInterrupt:
        return replace(fixed, closing=tuple(runs), interrupted=True)
    return replace(fixed, closing=tuple(runs))


def _unquarantine(fixed: Fixed, options: FixOptions, out: IO[str]) -> Fixed:
    """The quarantine entries of the tests now fixed (their evidence passes, and the closing
    campaign did not fail them) go, in the same change as the fix."""
    if fixed.interrupted or options.dry_run:
        return fixed
    failing = {test for test, _ in closing_failures(fixed.closing)}
    settled = {a.fix.test for a in fixed.applied if a.settled} - failing
    path = quarantine.path_of(options.root)
    gone = tuple(quarantine.remove(path, sorted(settled))) if settled else ()
    for test in gone:
        print(f"quarantine entry removed (fixed): {test}", file=out)
    return replace(fixed, unquarantined=gone)


def _report(options: FixOptions, planned: Plan, workspace: Workspace, fixed: Fixed) -> FixResult:
    """fix.json and fix.md, and the result."""
    remaining = _remaining(planned, fixed)
    data = fix_report.build(
        source=options.audit,
        dry_run=options.dry_run,
        interrupted=fixed.interrupted,
        applied=fixed.applied,
        skipped_files=workspace.skipped(),
        marker=fixed.marker,
        quarantine=planned.quarantine,
        remaining=remaining,
        closing=fixed.closing,
        unquarantined=fixed.unquarantined,
    )
    path = options.report_dir / "fix.json"
    report.write_json(path, data)
    report.write_text(options.report_dir / "fix.md", fix_report.markdown(data))
    entries = quarantine.path_of(options.root).relative_to(options.root).as_posix()
    result = FixResult(
        files_changed=(*changed_files(fixed.applied), *([entries] if fixed.unquarantined else [])),
        kept=tuple((a.fix.test, a.fix.summary) for a in fixed.applied if a.status == "kept"),
        remaining=tuple((test, why) for _, test, why in remaining),
        quarantine=planned.quarantine,
        marker=fixed.marker.file if fixed.marker and fixed.marker.status == "added" else None,
        dry_run=options.dry_run,
        interrupted=fixed.interrupted,
        report=path,
        exit_code=_exit_code(fixed, remaining, planned.quarantine),
        closing=fixed.closing,
    )
    return result


def _quarantine_command(options: FixOptions) -> str:
    """How the user quarantines a test fix leaves: its audit, when not the default one."""
    default = options.root / "reports" / "audit.json"
    same = options.audit.resolve() == default.resolve()
    return "auditor quarantine add" + ("" if same else f" --from {shlex.quote(str(options.audit))}")


def _remaining(planned: Plan, fixed: Fixed) -> tuple[tuple[str, str, str], ...]:
    """(kind, test, why): findings without a fix, fixes not proven (fallback included), and the
    tests that failed in the closing campaign."""
    settled = {a.fix.test for a in fixed.applied if a.settled}
    unproven = tuple(
        (a.fix.kind, a.fix.test, a.reason or a.status)
        for a in fixed.applied
        if a.fix.test not in settled and a.fix.fallback is None
    )
    closing = tuple(("closing-run", test, why) for test, why in closing_failures(fixed.closing))
    return (*planned.remaining, *unproven, *closing)


def _exit_code(fixed: Fixed, remaining: tuple[object, ...], quarantine: tuple[str, ...]) -> FixExit:
    if fixed.interrupted:
        return FixExit.INTERRUPTED
    left = changed_files(fixed.applied) or fixed.unquarantined or remaining or quarantine
    return FixExit.CHANGED if left else FixExit.CLEAN


def _summary(
    result: FixResult, marker: Marker | None, out: IO[str], quarantine: str | None
) -> None:
    changed = list(result.files_changed)
    if marker is not None and marker.status in ("added", "proposed"):
        changed.append(f"{marker.file} (the serial marker)")
    verb = "would change" if result.dry_run else "changed"
    print(f"{len(changed)} files {verb}: {', '.join(changed) or 'none'}", file=out)
    for test in result.quarantine:
        # fix writes no quarantine file (migrate does): say how, rather than "quarantined"
        how = f" (to quarantine it: {quarantine} {shlex.quote(test)})" if quarantine else ""
        print(f"non-deterministic, never rewritten: {test}{how}", file=out)
    for test, why in result.remaining:
        print(f"remains: {test}: {why}", file=out)
