"""Stage 7, verify: a rewrite is kept only when its evidence passes and its tests still test.

* The evidence of a finding is re-run in fresh pytest processes (the fixed files are re-imported):
  the polluters then the victim in that order, the brittle test alone, or the tests that clashed
  together on two workers, :data:`CORUN_REPEATS` times since a clash depends on timing.
* ``assertions_kept`` compares the rewritten test with the original: no assertion removed, no
  skip or xfail added; ``same_tests``: the file defines the same tests.
* ``closing_runs`` runs the whole selection in random orders on one and on two workers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor.fix.plan import Evidence
from auditor.fix.source import Target
from auditor.model import RunResult, shell_command
from auditor.runner import PytestCall, run_pytest

CORUN_REPEATS = 3  #: the audit confirmed a clash only when every co-run failed; 3 clean runs
_GIVE_UP = ("skip", "skipif", "xfail", "importorskip")


@dataclass(frozen=True)
class Run:
    """One verification run: the command a user can paste, whether it passed, what failed."""

    command: str
    passed: bool
    failed: tuple[str, ...]
    reason: str | None
    duration_s: float

    def entry(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "passed": self.passed,
            "failed": list(self.failed),
            "duration_s": round(self.duration_s, 3),
        }


class Verifier:
    """Runs evidence in fresh pytest processes in the project."""

    def __init__(
        self, root: Path, env: dict[str, str], pytest_args: Sequence[str], log: IO[str]
    ) -> None:
        self.root = root
        self.env = env
        self.pytest_args = tuple(pytest_args)
        self.log = log

    def run(self, call: PytestCall, expected: Iterable[str] = ()) -> Run:
        """Run once; passed when pytest passed and every ``expected`` test ran and passed."""
        result = run_pytest(call, cwd=self.root, env=self.env, output=self.log)
        failed = tuple(r.nodeid for r in result.tests if r.outcome in _BAD)
        missing = [t for t in expected if not _passed(result, t)]
        reason = next((r.reason for r in result.tests if r.outcome in _BAD and r.reason), None)
        if missing and not failed:
            reason = f"did not run and pass: {', '.join(missing)}"
        passed = result.returncode == 0 and not missing and not failed
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


_BAD = frozenset({"failed", "error", "crashed", "hang"})


def _passed(result: RunResult, test: str) -> bool:
    outcomes = [r.outcome for r in result.tests if r.nodeid == test]
    return bool(outcomes) and all(o == "passed" for o in outcomes)


def closing_runs(
    verifier: Verifier,
    selection: Sequence[str],
    seeds: Sequence[int],
    deselect: Sequence[str],
) -> list[Run]:
    """The whole selection in random orders (one per seed) on one process and on two workers."""
    args = (*selection, *(f"--deselect={t}" for t in deselect), *verifier.pytest_args)
    return [
        verifier.run(PytestCall(args=args, workers=workers, seed=seed))
        for seed in seeds
        for workers in (0, 2)
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
