"""Which collected tests a change since a git ref added or changed (``run --check-new REF``).

From the diff, not from file names: ``git diff --unified=0 REF`` (the working tree, so
uncommitted edits count) gives each file's changed lines, and a file git does not track yet is
new as a whole. A collected test is changed when the lines of its function — decorators
included — hold a changed line, or when it requests, by a parameter, a fixture whose definition
changed (in its module or a ``conftest.py``). A change elsewhere (a helper module, the code under
test) changes no test by itself: the nightly scan covers the whole suite.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from auditor.exits import UsageError
from auditor.git import git

WHOLE = frozenset({0})  #: a file that is new as a whole
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(root: Path, ref: str) -> dict[str, frozenset[int]]:
    """Per Python file (relative to ``root``, POSIX), the lines changed since ``ref``."""
    diff = _git(
        root, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--relative", ref, "--", "*.py"
    )
    changes: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else changes.setdefault(name[2:], set())
        elif current is not None and (hunk := _HUNK.match(line)):
            start, count = int(hunk[1]), int(hunk[2] or 1)
            # Lines removed only (count 0): the lines around the gap changed their function.
            current.update(range(start, start + count) if count else (start, start + 1))
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", "*.py")
    result = {name: frozenset(lines) for name, lines in changes.items()}
    result.update({name: WHOLE for name in untracked.splitlines() if name})
    return result


def changed_tests(
    collected: Sequence[str], changes: dict[str, frozenset[int]], root: Path
) -> list[str]:
    """The collected tests the changes added or changed, in collection order."""
    modules: dict[Path, tuple[ast.stmt, ...]] = {}
    fixtures = _changed_fixtures(changes, root, modules)
    chosen = []
    for nodeid in collected:
        path, _, rest = nodeid.partition("::")
        lines = changes.get(path)
        if lines is WHOLE:
            chosen.append(nodeid)
            continue
        found = _function(_module(root / path, modules), tuple(rest.split("[")[0].split("::")))
        if found is None:
            continue
        first, last, parameters = found
        if (lines and any(first <= n <= last for n in lines)) or fixtures & parameters:
            chosen.append(nodeid)
    return chosen


def _changed_fixtures(
    changes: dict[str, frozenset[int]], root: Path, modules: dict[Path, tuple[ast.stmt, ...]]
) -> frozenset[str]:
    names: set[str] = set()
    for path, lines in changes.items():
        for node in _functions(_module(root / path, modules)):
            if not any(_is_fixture(d) for d in node.decorator_list):
                continue
            first, last = _span(node)
            if lines is WHOLE or any(first <= n <= last for n in lines):
                names.add(node.name)
    return frozenset(names)


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
        isinstance(target, ast.Name) and target.id == "fixture"
    )


def _function(
    module: tuple[ast.stmt, ...], names: tuple[str, ...]
) -> tuple[int, int, frozenset[str]] | None:
    """The lines and parameter names of the function a node id's names reach in a module."""
    body: Iterable[ast.stmt] = module
    node: ast.stmt | None = None
    for name in names:
        node = next(
            (
                n
                for n in body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and n.name == name
            ),
            None,
        )
        if node is None:
            return None
        body = node.body
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    arguments = node.args
    parameters = frozenset(
        a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
    )
    return (*_span(node), parameters)


def _span(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, node.end_lineno or node.lineno


def _functions(module: tuple[ast.stmt, ...]) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        n
        for n in ast.walk(ast.Module(body=list(module), type_ignores=[]))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def _module(path: Path, modules: dict[Path, tuple[ast.stmt, ...]]) -> tuple[ast.stmt, ...]:
    if path not in modules:
        try:
            modules[path] = tuple(ast.parse(path.read_text(encoding="utf-8-sig")).body)
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            modules[path] = ()
    return modules[path]


def _git(root: Path, *args: str) -> str:
    done = git(root, *args)
    if done is None:
        raise UsageError("--check-new needs git, and git cannot be started here")
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "git failed"
        raise UsageError(
            f"--check-new: git {' '.join(args[:1])} failed ({said}); name a commit of this "
            "repository (in CI, fetch it first: actions/checkout with fetch-depth: 0)"
        )
    return done.stdout
