"""Stage 7, verify: a rewrite is kept only when its evidence passes and its tests still test.

* The evidence of a finding is re-run in fresh pytest processes (the fixed files are re-imported):
  the polluters then the victim in that order, the brittle test alone, or the tests that clashed
  together on two workers, :data:`CORUN_REPEATS` times since a clash depends on timing.
* ``assertions_kept`` compares the rewritten test with the original: no assertion removed, no
  skip or xfail added; ``same_tests``: the file defines the same tests.
* ``closing_calls`` run the whole selection in random orders on one and on two workers.
* Every run has the audit's per-test timeouts (``read_limits``, ``watchdog_args``): a test that
  hangs is stopped and recorded as ``hang``, and its run fails with a reason starting ``hung:``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from auditor.campaign.limits import Limits
from auditor.findings import ReportError
from auditor.fix.plan import Evidence
from auditor.fix.source import Target
from auditor.model import RunResult, shell_command
from auditor.redact import redact
from auditor.runner import PytestCall, run_pytest

CORUN_REPEATS = 3  #: the audit confirmed a clash only when every co-run failed; 3 clean runs
_GIVE_UP = ("skip", "skipif", "xfail", "importorskip")


@dataclass(frozen=True)
class Run:
    """One verification run: the command a user can paste, whether it passed, what failed."""

    command: str
    passed: bool
    failed: tuple[str, ...]
    reason: str | None  #: the first failure's; ``hung: …`` when a test outlived its timeout
    duration_s: float

    @property
    def hung(self) -> bool:
        return bool(self.reason and self.reason.startswith("hung:"))


@dataclass(frozen=True)
class Verifier:
    """Runs evidence in fresh pytest processes in the project."""

    root: Path
    env: Mapping[str, str]
    pytest_args: tuple[str, ...]
    log: IO[str]
    watchdog: tuple[str, ...] = ()  #: the plugin's timeout options, for every run

    def run(self, call: PytestCall, expected: Iterable[str] = ()) -> Run:
        """Run once; passed when pytest passed and every ``expected`` test ran and passed."""
        call = replace(call, extra_plugin_args=(*call.extra_plugin_args, *self.watchdog))
        result = run_pytest(call, cwd=self.root, env=self.env, output=self.log)
        failed = tuple(r.nodeid for r in result.tests if r.failed)
        missing = [t for t in expected if not _passed(result, t)]
        passed = result.returncode == 0 and not missing and not failed
        why = _why(result, missing)
        reason = redact(why, self.env) if why else None  # it goes into fix.json
        return Run(shell_command(call.user_argv()), passed, failed, reason, result.wall_s)

    def prove(self, evidence: Evidence) -> list[Run]:
        """The runs of ``evidence``, stopping at the first that fails."""
        args = (*evidence.tests, *self.pytest_args)
        if evidence.kind == "corun":
            calls = [PytestCall(args=args, workers=2)] * CORUN_REPEATS
        else:
            calls = [PytestCall(args=args)]
        runs: list[Run] = []
        for call in calls:
            runs.append(self.run(call, evidence.tests))
            if not runs[-1].passed:
                break
        return runs


def _why(result: RunResult, missing: Sequence[str]) -> str | None:
    """A hang first (``hung: ID gave no result after its 5 s timeout``), else the first
    failure's reason (or collection error's), else the expected tests that did not pass."""
    hung = next((r for r in result.tests if r.outcome == "hang"), None)
    if hung is not None:
        return f"hung: {hung.nodeid} gave {hung.reason or 'no result before its timeout'}"
    if result.failures:
        return next((r.reason for r in result.failures if r.reason), None)
    broken = next((f"collection error in {n}: {e.strip()}" for n, e in result.collect_errors), None)
    if missing:
        return f"did not run and pass: {', '.join(missing)}" + (f" ({broken})" if broken else "")
    return broken


def _passed(result: RunResult, test: str) -> bool:
    outcomes = [r.outcome for r in result.tests if r.nodeid == test]
    return bool(outcomes) and all(o == "passed" for o in outcomes)


def watchdog_args(limits: Limits, folder: Path) -> tuple[str, ...]:
    """The plugin's timeout options (see :mod:`auditor.plugin.watchdog`) for ``limits``: a hung
    test becomes a ``hang`` record instead of a stuck fix. The per-test timeouts are written to
    ``folder``."""
    timeouts = folder / "timeouts.json"
    timeouts.write_text(json.dumps(dict(limits.timeouts)), encoding="utf-8")
    return (f"--auditor-timeout={limits.timeout}", f"--auditor-timeouts={timeouts}")


def read_limits(path: Path) -> Limits:
    """The per-test timeouts of the audit report at ``path`` (its ``limits``); the default
    :class:`Limits` for a report older than them. ReportError names a malformed field."""
    data = json.loads(path.read_text(encoding="utf-8"))
    limits = data.get("limits") if isinstance(data, dict) else None
    if limits is None:
        return Limits()
    if not isinstance(limits, dict):
        raise _bad_limits(path, "limits", "an object")
    timeout = limits.get("timeout_s", Limits().timeout)
    if not _seconds(timeout):
        raise _bad_limits(path, "limits.timeout_s", "a number of seconds above 0")
    timeouts = limits.get("timeouts", {})
    if not isinstance(timeouts, dict):
        raise _bad_limits(path, "limits.timeouts", "an object (node id: seconds)")
    for nodeid, seconds in timeouts.items():
        if not _seconds(seconds):
            raise _bad_limits(path, f"limits.timeouts[{nodeid!r}]", "a number of seconds above 0")
    return Limits(float(timeout), {str(k): float(v) for k, v in timeouts.items()})


def _seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _bad_limits(path: Path, field: str, expected: str) -> ReportError:
    return ReportError(f"{path}: {field} is not {expected}; rerun `auditor audit`")


def closing_calls(
    verifier: Verifier,
    selection: Sequence[str],
    seeds: Sequence[int],
    deselect: Sequence[str],
) -> list[PytestCall]:
    """The whole selection in random orders (one per seed) on one process and on two workers,
    for :meth:`Verifier.run`."""
    args = (*selection, *(f"--deselect={t}" for t in deselect), *verifier.pytest_args)
    return [
        PytestCall(args=args, workers=workers, seed=seed) for seed in seeds for workers in (0, 2)
    ]


def closing_failures(closing: Sequence[Run]) -> list[tuple[str, str]]:
    """(test, why) for each test that failed in the closing runs, or for a run failing as a
    whole: the closing campaign found what the audit did not."""
    failures: dict[str, list[Run]] = {}
    for run in closing:
        if not run.passed:
            whole = f"(the run itself: {run.reason or 'pytest failed'})"
            for test in run.failed or (whole,):
                failures.setdefault(test, []).append(run)
    return [
        (
            test,
            f"failed in {len(runs)} of {len(closing)} closing runs, e.g. `{runs[0].command}`; "
            "audit it again (`auditor audit`)",
        )
        for test, runs in failures.items()
    ]


def assertions_kept(before: str, after: str, target: Target) -> str | None:
    """Why the rewritten ``target`` no longer tests what it did, or None when it still does."""
    old, new = _function(before, target), _function(after, target)
    if new is None:
        return f"{target} is gone from the file"
    if old is None:
        return None  # nothing to compare with (the caller found it; be safe)
    if _checks(new) < _checks(old):
        return f"{target} lost assertions ({_checks(old)} before, {_checks(new)} after)"
    if _give_ups(new) > _give_ups(old):
        return f"{target} gained a skip or xfail"
    return None


def same_tests(before: str, after: str) -> str | None:
    """Why the rewritten file would not collect the same tests, or None when it would."""
    old, new = _test_names(before), _test_names(after)
    if old == new:
        return None
    lost, gained = sorted(old - new), sorted(new - old)
    return f"the tests in the file would change (lost {lost}, gained {gained})"


def _test_names(code: str) -> set[str]:
    """``test*`` functions and ``Test*`` classes' ``test*`` methods, as pytest collects them."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}::{m.name}"
                for m in node.body
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                and m.name.startswith("test")
            }
    return names


def _function(code: str, target: Target) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    scope: Sequence[ast.stmt] = tree.body
    if target.cls:
        cls = next((n for n in scope if isinstance(n, ast.ClassDef) and n.name == target.cls), None)
        if cls is None:
            return None
        scope = cls.body
    return next(
        (
            n
            for n in scope
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == target.function
        ),
        None,
    )


def _called(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Name):
            return func.id
    return ""


def _checks(function: ast.AST) -> int:
    """Assertions: ``assert``, ``pytest.raises`` / ``warns``, ``self.assert*`` calls."""
    count = 0
    for node in ast.walk(function):
        name = _called(node)
        if (
            isinstance(node, ast.Assert)
            or name in ("raises", "warns", "deprecated_call")
            or name.startswith("assert")
        ):
            count += 1
    return count


def _give_ups(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Skips and xfails, in the body or as marks."""
    count = 0
    for node in [*ast.walk(function)]:
        if _called(node) in _GIVE_UP or (isinstance(node, ast.Attribute) and node.attr in _GIVE_UP):
            count += 1
    return count
