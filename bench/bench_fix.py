"""Benchmark ``auditor fix`` on the corpus: per shape, how many known defects the fix repairs.

What it measures
    Every corpus suite (``bench/corpus/*/expected.json``; the large generated suite only with
    ``--large``) is copied to a work folder and committed to a fresh git repository there, with
    ``bench_corpus.prepare_copy``. Then, in the copy:

    1. the judged findings of ``expected.json`` are run with plain pytest BEFORE any fix (see
       below), then the whole suite once in its default order, and whatever those runs leave is
       put back;
    2. ``python -m auditor audit --seed S [--budget B]``, timed (``bench_corpus.audit``; its
       report is ``reports/audit.json``);
    3. ``python -m auditor fix``, timed; its ``reports/fix.json`` is kept as ``fix-1.json``, and
       the diff it made (``git diff`` against the committed copy, and any new file) as
       ``reports/fix-1.diff``;
    4. the judged findings and the whole suite are run again, AFTER the fix (and what they
       leave is put back, the fix's rewrites kept);
    5. ``python -m auditor fix --force`` a second time (``--force``: the first fix's rewrites are
       uncommitted changes, which a plain second run would leave alone without looking at them);
       its report is kept as ``fix-2.json``. The copy's ``git status --porcelain``, ``git diff``
       and new files' contents must be the same before and after it.

    The judged findings are checked independently of auditor's reports, with
    ``python -m pytest -p no:randomly -p no:cacheprovider -q --junitxml=F <ids>`` (the exact
    node ids in that order, ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` as in ``bench/corpus/check.py``,
    so only pytest is loaded; outcomes read from the JUnit XML; a run past ``--timeout`` seconds
    is killed and a test that never reported counts as hung):

    - ``order-dependent``: one run ``polluter victim`` per expected polluter. The victim is
      "known" when at least one pair failed before the fix, and "fixed" when it passes in every
      pair after (the fix may be in the polluter or in the victim). A victim whose pairs all
      passed before the fix is a corpus problem: listed apart, not counted;
    - ``brittle``: the test alone. Known when it failed alone before the fix (else a corpus
      problem), fixed when it passes alone after;
    - ``shared-resource`` and ``non-deterministic``: not judged, only listed.

    Also, per suite:

    - found: the known findings that audit.json reports with the same kind and test;
    - kept: the entries of fix-1.json with status ``kept`` (fixes plus fallbacks);
    - non-idiomatic: lines the first fix added that match ``mark.serial``, ``mark.skip``,
      ``.skip(``, ``skipTest(`` or ``xfail`` (``@pytest.mark.serial``, ``@pytest.mark.skip``,
      ``pytest.skip(``, however pytest is imported) on a test that is an order-dependent victim
      or polluter or a brittle test (by node id, parameters aside; a line on a class counts for
      its tests, a line outside any test — ``pytestmark``, a helper, a fixture — for every test
      of its file). Such lines on other tests (a shared port's keyed ``serial``) are listed as
      notes only;
    - broken: a test of a judged run that passed before the fix and fails after it (a polluter
      the fix broke), and a test that fails in one plain run of the whole suite in its default
      order after the fix but not before (that run is made before and after the fix, next to
      the judging runs), listed as notes; they do not change the exit status.

    It prints a table per shape (known, found, fixed, kept, whether the second fix changed
    anything, non-idiomatic lines, the audit's and the fixes' seconds and exit codes), a TOTAL
    row with fixed / known as a percentage, then one line per miss: the test, what still fails
    after the fix, and what fix-1.json said about it (each fix's status, what it does and its
    reason, and ``remaining``'s why), then the corpus problems and the notes.

How to run (from the repository root, with the project venv)
    .venv/bin/python bench/bench_fix.py [--seed 1] [--budget 30m] [--only NAME ...] [--large]
        [--work DIR] [--json PATH] [--timeout SECONDS]

    The copies stay in the work folder (default: a new temporary folder, printed first), each
    with its reports (``reports/audit.json``, ``fix-1.json``, ``fix-1.diff``, ``fix-2.json``,
    ``fix.md``, ``fix.log``) and the first fix's rewrites as uncommitted changes (``git diff``).
    Exits 0 when fixed / known is at least 90 %, no second fix changed anything and no line is
    non-idiomatic, else 1. Standard library only. An audit takes 20–40 s per small suite on two
    busy cores, each fix about as long; the whole small corpus about 10–20 minutes.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_corpus import (
    Expected,
    Suite,
    audit,
    find_suites,
    git,
    left_behind,
    matches,
    prepare_copy,
)

TARGET = 0.9  #: fixed / known at or above which the fix passes
TIMEOUT = 30.0  #: seconds after which a judging run is killed (a victim that hangs)
SUITE_TIMEOUT = 600.0  #: seconds after which a run of the whole suite is killed
JUDGED = ("order-dependent", "brittle")
#: Added lines that make a test stop failing without isolating it.
NOT_IDIOMATIC = re.compile(r"mark\.serial|mark\.skip|\.skip\(|skipTest\(|xfail")
HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


# -- plain pytest runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One plain pytest run of exact node ids: the outcome of each."""

    ids: tuple[str, ...]
    outcomes: tuple[str, ...]  #: passed, failed, error, skipped, hung, did not run
    seconds: float

    @property
    def last(self) -> str:
        """The outcome of the judged test (the last one)."""
        return self.outcomes[-1]


def plain_pytest(copy: Path, ids: Sequence[str], timeout: float) -> Run:
    """``python -m pytest -p no:randomly -p no:cacheprovider -q --junitxml=F <ids>`` in the copy,
    with no plugin autoloaded; each test's outcome from the JUnit XML report."""
    started = time.perf_counter()
    reported, timed_out = junit_run(copy, ids, timeout)
    missing = "hung" if timed_out else "did not run"
    outcomes = tuple(reported.get(junit_name(node), missing) for node in ids)
    return Run(tuple(ids), outcomes, time.perf_counter() - started)


def junit_run(copy: Path, args: Sequence[str], timeout: float) -> tuple[dict[str, str], bool]:
    """The outcomes of one plain pytest run (JUnit names), and whether it was killed."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    with tempfile.TemporaryDirectory(prefix="bench-fix-junit-") as folder:
        junit = Path(folder) / "junit.xml"
        argv = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider"]
        argv += ["-q", f"--junitxml={junit}", *args]
        try:
            subprocess.run(argv, cwd=copy, env=env, capture_output=True, timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        return (junit_outcomes(junit) if junit.exists() else {}), timed_out


def default_order(copy: Path, timeout: float) -> tuple[str, ...]:
    """The tests that fail in one plain run of the whole suite in its default order (JUnit
    names), and "killed after N s" when it did not end."""
    outcomes, timed_out = junit_run(copy, [], timeout)
    failed = [name for name, outcome in outcomes.items() if outcome in ("failed", "error")]
    return (*failed, *([f"killed after {timeout:g} s"] if timed_out else []))


def junit_outcomes(junit: Path) -> dict[str, str]:
    """``classname::name`` → passed / failed / error / skipped (an error in teardown too)."""
    outcomes = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        outcome = "passed"
        for child, name in (("skipped", "skipped"), ("failure", "failed"), ("error", "error")):
            if case.find(child) is not None:
                outcome = name
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return outcomes


def junit_name(node_id: str) -> str:
    """A node id as the JUnit XML report names it (``tests.test_a.TestB::test_c[x]``)."""
    path, *names = node_id.split("::")
    return ".".join([path.removesuffix(".py").replace("/", "."), *names[:-1]]) + "::" + names[-1]


# -- judged findings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """One order-dependent victim or brittle test of expected.json, judged by plain pytest."""

    kind: str
    test: str
    before: tuple[Run, ...]  #: one run per polluter (the pair), or the brittle test alone
    after: tuple[Run, ...] = ()
    found: bool = False  #: audit.json has a finding of the same kind for the test

    @property
    def known(self) -> bool:
        """It failed before the fix as expected.json says it does."""
        if self.kind == "brittle":
            return self.before[0].last != "passed"
        return any(run.last != "passed" for run in self.before)

    @property
    def fixed(self) -> bool:
        return bool(self.after) and all(run.last == "passed" for run in self.after)

    def still_failing(self) -> list[str]:
        """What fails after the fix, as "outcome after P" / "outcome alone"."""
        return [describe(run) for run in self.after if run.last != "passed"]

    def broken(self) -> list[str]:
        """The tests of its runs that passed before the fix and do not after (a polluter the fix
        broke, or a victim that failed with another polluter only)."""
        return [
            f"{test} {now} in `{' '.join(run.ids)}`"
            for old, run in zip(self.before, self.after, strict=True)
            for test, was, now in zip(run.ids, old.outcomes, run.outcomes, strict=True)
            if was == "passed" and now != "passed"
        ]


def describe(run: Run) -> str:
    if len(run.ids) == 1:
        return f"{run.last} alone"
    return f"{run.last} after {', '.join(run.ids[:-1])}"


def judged_runs(expected: Expected) -> list[tuple[str, ...]]:
    """The node id sequences that judge one finding: each polluter then the victim, or the
    brittle test alone."""
    test = expected.tests[0]
    if expected.kind == "brittle":
        return [(test,)]
    return [(polluter, test) for polluter in sorted(expected.causes)]


def judge(copy: Path, expected: Sequence[Expected], timeout: float) -> list[tuple[Run, ...]]:
    """The judging runs of each finding, in expected's order."""
    return [tuple(plain_pytest(copy, ids, timeout) for ids in judged_runs(e)) for e in expected]


def culprits(expected: Sequence[Expected]) -> set[str]:
    """The tests a serial mark or a skip must not touch: victims, polluters, brittle tests."""
    tests: set[str] = set()
    for e in expected:
        tests.update(e.tests)
        if e.kind == "order-dependent":
            tests.update(e.causes)
    return {base(test) for test in tests}


def base(node_id: str) -> str:
    """A node id without its parameters."""
    return node_id.split("[", 1)[0]


# -- auditor fix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixRun:
    seconds: float
    exit_code: int
    report: dict[str, Any]  #: fix.json; empty when none was written
    error: str  #: the end of stderr when it crashed (exit code 2, 3 or 130)


def fix(copy: Path, name: str, force: bool = False) -> FixRun:
    """``python -m auditor fix [--force]`` in the copy; fix.json kept as ``<name>.json``."""
    report = copy / "reports" / "fix.json"
    report.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "auditor", "fix", "-C", str(copy), *(["--force"] * force)]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=copy, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    error = tail(done.stderr or done.stdout) if done.returncode not in (0, 1) else ""
    if not report.exists():
        return FixRun(seconds, done.returncode, {}, error or tail(done.stderr or done.stdout))
    shutil.copy(report, report.with_name(f"{name}.json"))
    return FixRun(seconds, done.returncode, json.loads(report.read_text("utf-8")), error)


def tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def statuses(report: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in report.get("fixes", []):
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return counts


def what_fix_said(report: dict[str, Any], test: str) -> list[str]:
    """fix.json's entries for one finding's test: each attempt's status, what it does and why,
    the edits that did not change anything, and ``remaining``'s why."""
    said = []
    for entry in report.get("fixes", []):
        if entry.get("test") != test:
            continue
        line = f"{entry['status']} ({entry.get('fix')})"
        line += f": {entry['reason']}" if entry.get("reason") else ""
        edits = [
            _edit(e)
            for e in entry.get("edits", [])
            if e.get("status") != "changed" and (e.get("reason") or "") not in line
        ]
        said.append(line + (f"; edits: {'; '.join(edits)}" if edits else ""))
    said += [
        f"remaining ({r.get('kind')}): {r.get('why')}"
        for r in report.get("remaining", [])
        if r.get("test") == test
    ]
    said += [f"quarantined ({test})" for q in report.get("quarantine", []) if q == test]
    return said or ["nothing in fix.json"]


def _edit(edit: dict[str, Any]) -> str:
    why = f" ({edit['reason']})" if edit.get("reason") else ""
    return f"{edit.get('codemod')} on {edit.get('test')} {edit.get('status')}{why}"


# -- the copy's working tree ---------------------------------------------------------------------


def changed_paths(copy: Path) -> list[str]:
    """Tracked files changed or removed, and new files, relative to the committed copy."""
    tracked = git(copy, "ls-files", "--modified", "--deleted").split("\n")
    added = git(copy, "ls-files", "--others", "--exclude-standard").split("\n")
    return sorted({p for p in (*tracked, *added) if p})


def snapshot(copy: Path) -> str:
    """``git status --porcelain``, ``git diff`` and a hash of every new file's content."""
    added = git(copy, "ls-files", "--others", "--exclude-standard").split()
    hashes = [f"{p} {hashlib.sha256((copy / p).read_bytes()).hexdigest()}\n" for p in added]
    status = git(copy, "status", "--porcelain", "--untracked-files=all")
    return status + git(copy, "diff", "--no-color") + "".join(hashes)


def save_tree(copy: Path) -> dict[str, bytes | None]:
    """The content of every changed or new file (None: removed)."""
    return {path: _content(copy / path) for path in changed_paths(copy)}


def differing(copy: Path, saved: dict[str, bytes | None]) -> list[str]:
    """The paths whose content is not what ``save_tree`` saw."""
    paths = sorted({*changed_paths(copy), *saved})
    return [p for p in paths if _content(copy / p) != saved.get(p)]


def _content(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def put_back(copy: Path, saved: dict[str, bytes | None]) -> tuple[str, ...]:
    """Puts the working tree back as ``save_tree`` saw it; the paths that were not."""
    differ = differing(copy, saved)
    tracked = set(git(copy, "ls-files").split("\n"))
    for path in differ:
        content, target = saved.get(path), copy / path
        if content is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        elif path in saved or path not in tracked:
            target.unlink(missing_ok=True)
        else:
            git(copy, "checkout", "--", path)
    return tuple(differ)


def fix_diff(copy: Path) -> str:
    """What the first fix changed: ``git diff`` and every new file as added lines."""
    diff = git(copy, "diff", "--no-color", "--unified=0")
    for path in git(copy, "ls-files", "--others", "--exclude-standard").split():
        lines = (copy / path).read_text("utf-8", errors="replace").splitlines()
        diff += f"+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n"
        diff += "".join(f"+{line}\n" for line in lines)
    return diff


# -- idiomatic check -----------------------------------------------------------------------------


def added_lines(diff: str) -> list[tuple[str, int, str]]:
    """(path, line number in the new file, text) of each added line of a ``--unified=0`` diff."""
    added, path, number = [], "", 0
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[4:].removeprefix("b/")
        elif hunk := HUNK.match(line):
            number = int(hunk.group(1))
        elif line.startswith("+"):
            added.append((path, number, line[1:]))
            number += 1
    return added


def tests_at(source: str, path: str, line: int) -> tuple[list[str], str]:
    """The tests a line of a test module applies to (node ids), and where the line is: a test
    function (with its decorators), else the innermost class (its tests), else the module (all
    of its tests)."""
    tree = ast.parse(source)
    every = list(_tests(tree.body, path))
    scope, place = every, f"{path} outside any test"
    for prefix, node in _nodes(tree.body, path):
        if not _within(node, line):
            continue
        if prefix in every:
            return [prefix], f"test {prefix}"
        if isinstance(node, ast.ClassDef):
            scope = [test for test in every if test.startswith(prefix + "::")]
            place = f"class {prefix}"
    return scope, place


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _within(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, line: int) -> bool:
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return start <= line <= (node.end_lineno or node.lineno)


def _nodes(
    body: Iterable[ast.stmt], prefix: str
) -> Iterable[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]]:
    """Every function and class (nested ones after their class), with its node id."""
    for node in body:
        if isinstance(node, _DEFS):
            yield f"{prefix}::{node.name}", node
            if isinstance(node, ast.ClassDef):
                yield from _nodes(node.body, f"{prefix}::{node.name}")


def _tests(body: Iterable[ast.stmt], prefix: str) -> Iterable[str]:
    for name, node in _nodes(body, prefix):
        if not isinstance(node, ast.ClassDef) and node.name.startswith("test"):
            yield name


def marker_lines(copy: Path, diff: str, judged: set[str]) -> tuple[list[str], list[str]]:
    """The added skip / xfail / serial lines: on a judged test (not idiomatic), and on others."""
    bad, other = [], []
    for path, number, text in added_lines(diff):
        if not NOT_IDIOMATIC.search(text):
            continue
        where = f"{path}:{number}: {text.strip()}"
        if not path.endswith(".py"):
            other.append(where)
            continue
        try:
            tests, place = tests_at((copy / path).read_text("utf-8"), path, number)
        except (OSError, SyntaxError) as error:
            bad.append(f"{where} (cannot tell which test: {error})")
            continue
        hit = sorted({t for t in tests if base(t) in judged})
        (bad if hit else other).append(
            f"{where} [{place}{'; judged: ' if hit else ''}{', '.join(hit)}]"
        )
    return bad, other


# -- one suite -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """The fix of one suite."""

    suite: str
    copy: str
    judged: tuple[Judged, ...]
    not_judged: tuple[str, ...]  #: "kind test(s)" of shared-resource and non-deterministic
    audit_s: float
    audit_exit: int
    fix_s: float
    fix_exit: int
    second_fix_s: float
    second_fix_exit: int
    second_fix_changed: tuple[str, ...]  #: the paths whose state the second fix changed
    statuses: dict[str, int]  #: fix-1.json's fixes by status
    second_statuses: dict[str, int]  #: fix-2.json's
    files_changed: tuple[str, ...]  #: by the first fix
    non_idiomatic: tuple[str, ...]
    other_marks: tuple[str, ...]
    said: dict[str, list[str]]  #: fix-1.json's entries about each judged test
    errors: tuple[str, ...] = ()  #: audit / fix crashes
    notes: tuple[str, ...] = ()  #: files runs left behind, tests the fix broke
    closing_passed: bool | None = None
    default_before: tuple[str, ...] = ()  #: failing in one default-order run before the fix
    default_after: tuple[str, ...] = ()  #: and after it
    audit_findings: int = 0
    fix_runs: list[dict[str, Any]] = field(default_factory=list)  #: fix-1.json's fixes, raw

    @property
    def known(self) -> list[Judged]:
        return [j for j in self.judged if j.known]

    @property
    def found(self) -> int:
        return sum(1 for j in self.known if j.found)

    @property
    def fixed(self) -> int:
        return sum(1 for j in self.known if j.fixed)

    @property
    def kept(self) -> int:
        return self.statuses.get("kept", 0)


def bench_suite(suite: Suite, work: Path, seed: int, budget: str | None, timeout: float) -> Score:
    """Judge, audit, fix, judge again, fix again, in a fresh copy of the suite."""
    copy = prepare_copy(suite, work)
    expected = [e for e in suite.expected if e.kind in JUDGED]
    before = judge(copy, expected, timeout)
    default_before = default_order(copy, SUITE_TIMEOUT)
    notes = [
        f"the runs before the fix left {p} (put back)" for p in left_behind(copy, suite.source)
    ]
    progress(suite, f"{sum(len(r) for r in before)} judging runs before the fix")
    run = audit(copy, seed, budget)
    notes += [f"the audit left {p} (put back)" for p in left_behind(copy, suite.source)]
    findings = run.report.get("findings", [])
    progress(suite, f"audit {run.seconds:.1f} s, exit {run.exit_code}, {len(findings)} findings")
    first = fix(copy, "fix-1")
    diff = fix_diff(copy)
    (copy / "reports" / "fix-1.diff").write_text(diff, encoding="utf-8")
    bad, other = marker_lines(copy, diff, culprits(expected))
    progress(suite, f"fix {first.seconds:.1f} s, exit {first.exit_code}, {statuses(first.report)}")
    saved, state = save_tree(copy), snapshot(copy)
    after = judge(copy, expected, timeout)
    default_after = default_order(copy, SUITE_TIMEOUT)
    notes += [f"the runs after the fix left {p} (put back)" for p in put_back(copy, saved)]
    second = fix(copy, "fix-2", force=True)
    changed = tuple(differing(copy, saved)) if snapshot(copy) != state else ()
    if snapshot(copy) != state and not changed:
        changed = ("(git status or diff only)",)
    progress(suite, f"second fix {second.seconds:.1f} s, exit {second.exit_code}, {changed=}")
    judged = tuple(
        Judged(e.kind, e.tests[0], b, a, any(matches(e, f) for f in findings))
        for e, b, a in zip(expected, before, after, strict=True)
    )
    notes += [f"broken by the fix: {b}" for j in judged for b in j.broken()]
    notes += [
        f"broken by the fix: {test} fails in the default order (passed there before)"
        for test in default_after
        if test not in default_before
    ]
    crashes = [("audit", run.exit_code, run.error), ("fix", first.exit_code, first.error)]
    crashes.append(("second fix", second.exit_code, second.error))
    return Score(
        suite=suite.name,
        copy=str(copy),
        judged=judged,
        not_judged=tuple(f"{e.kind} {e.label}" for e in suite.expected if e.kind not in JUDGED),
        audit_s=run.seconds,
        audit_exit=run.exit_code,
        fix_s=first.seconds,
        fix_exit=first.exit_code,
        second_fix_s=second.seconds,
        second_fix_exit=second.exit_code,
        second_fix_changed=changed,
        statuses=statuses(first.report),
        second_statuses=statuses(second.report),
        files_changed=tuple(first.report.get("files_changed", [])),
        non_idiomatic=tuple(bad),
        other_marks=tuple(other),
        said={j.test: what_fix_said(first.report, j.test) for j in judged},
        errors=tuple(f"{n}: exit {code}: {error}" for n, code, error in crashes if error),
        notes=tuple(notes),
        closing_passed=first.report.get("closing", {}).get("passed"),
        default_before=default_before,
        default_after=default_after,
        audit_findings=len(findings),
        fix_runs=first.report.get("fixes", []),
    )


def progress(suite: Suite, text: str) -> None:
    print(f"{suite.name}: {text}", file=sys.stderr)


# -- printing ------------------------------------------------------------------------------------


def percent(fixed: int, known: int) -> float:
    return 100.0 * fixed / known if known else 100.0


def print_table(scores: Sequence[Score]) -> None:
    print(
        f"\n{'shape':<24} {'known':>5} {'found':>5} {'fixed':>5} {'kept':>4} {'2nd fix':>7} "
        f"{'non-idiom':>9} {'audit':>13} {'fix':>13} {'2nd fix':>13}"
    )
    for s in scores:
        print(
            f"{s.suite:<24} {len(s.known):>5} {s.found:>5} {s.fixed:>5} {s.kept:>4} "
            f"{'changed' if s.second_fix_changed else 'no':>7} {len(s.non_idiomatic):>9} "
            f"{_timed(s.audit_s, s.audit_exit)} {_timed(s.fix_s, s.fix_exit)} "
            f"{_timed(s.second_fix_s, s.second_fix_exit)}"
        )
    known = sum(len(s.known) for s in scores)
    fixed = sum(s.fixed for s in scores)
    changed = sum(1 for s in scores if s.second_fix_changed)
    print(
        f"{'TOTAL':<24} {known:>5} {sum(s.found for s in scores):>5} {fixed:>5} "
        f"{sum(s.kept for s in scores):>4} {changed:>7} "
        f"{sum(len(s.non_idiomatic) for s in scores):>9} "
        f"{_timed(sum(s.audit_s for s in scores))} {_timed(sum(s.fix_s for s in scores))} "
        f"{_timed(sum(s.second_fix_s for s in scores))}"
    )
    print(
        f"fixed / known: {fixed}/{known} = {percent(fixed, known):.1f} % (target "
        f"{TARGET:.0%}); known: judged victims and brittle tests that failed before the fix; "
        "found: with a finding of the same kind in audit.json; fixed: passing after the fix in "
        "every judging run; kept: fix-1.json entries with status kept; 2nd fix: whether "
        "`auditor fix --force` again changed the tree (TOTAL: how many suites); "
        "times: seconds, exit code"
    )


def _timed(seconds: float, exit_code: int | None = None) -> str:
    text = f"{seconds:.1f}s" + (f" exit {exit_code}" if exit_code is not None else "")
    return f"{text:>13}"


def print_misses(scores: Sequence[Score]) -> None:
    print("\nmisses (known, not fixed): the test, what still fails, what fix-1.json said")
    misses = [(s, j) for s in scores for j in s.known if not j.fixed]
    for s, j in misses:
        found = "" if j.found else "; NOT FOUND by the audit"
        print(f"  {s.suite}: {j.kind} {j.test}: {'; '.join(j.still_failing())}{found}")
        for said in s.said[j.test]:
            print(f"    fix.json: {said}")
    if not misses:
        print("  none")


def print_notes(scores: Sequence[Score]) -> None:
    problems = [
        f"  {s.suite}: {j.kind} {j.test}: passed before the fix ("
        f"{'; '.join(describe(r) for r in j.before)}), so not counted"
        for s in scores
        for j in s.judged
        if not j.known
    ]
    print("\ncorpus problems (expected failures that did not fail before the fix):")
    print("\n".join(problems) if problems else "  none")
    print("\nper suite:")
    for s in scores:
        lines = [
            f"copy {s.copy}; audit {s.audit_findings} findings; fix-1 {s.statuses}, "
            f"closing passed: {s.closing_passed}; fix-2 {s.second_statuses}"
        ]
        lines += [f"files changed by the fix: {', '.join(s.files_changed) or 'none'}"]
        lines += [
            f"default order, failing before the fix: {', '.join(s.default_before) or 'none'}; "
            f"after: {', '.join(s.default_after) or 'none'}"
        ]
        lines += [f"not judged: {x}" for x in s.not_judged]
        lines += [f"NON-IDIOMATIC: {x}" for x in s.non_idiomatic]
        lines += [f"marker line on another test: {x}" for x in s.other_marks]
        lines += [f"SECOND FIX CHANGED: {x}" for x in s.second_fix_changed]
        lines += [f"note: {x}" for x in s.notes]
        lines += [f"ERROR: {x}" for x in s.errors]
        print(f"  {s.suite}:\n    " + "\n    ".join(lines))


def passed(scores: Sequence[Score]) -> bool:
    known = sum(len(s.known) for s in scores)
    fixed = sum(s.fixed for s in scores)
    return (
        percent(fixed, known) >= 100 * TARGET
        and not any(s.second_fix_changed for s in scores)
        and not any(s.non_idiomatic for s in scores)
    )


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=1, help="auditor audit --seed (default: 1)")
    parser.add_argument("--budget", help="passed to auditor audit --budget (e.g. 30m)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="these suites")
    parser.add_argument("--large", action="store_true", help="also the large generated suite")
    parser.add_argument("--work", type=Path, help="where the copies go (default: a temp folder)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the raw scores here")
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT,
        metavar="SECONDS",
        help=f"kill a judging pytest run after this long (default: {TIMEOUT:g})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    suites = find_suites(args.only, large=args.large)
    work = (args.work or Path(tempfile.mkdtemp(prefix="bench-fix-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"{len(suites)} suites, audit seed {args.seed}; copies in {work}", file=sys.stderr)
    scores = [bench_suite(s, work, args.seed, args.budget, args.timeout) for s in suites]
    print(f"copies in {work}")
    print_table(scores)
    print_misses(scores)
    print_notes(scores)
    ok = passed(scores)
    print(f"\nVERDICT: {'pass' if ok else 'gaps'}")
    if args.json:
        raw = [
            {**asdict(s), "known": len(s.known), "found": s.found, "fixed": s.fixed} for s in scores
        ]
        args.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
