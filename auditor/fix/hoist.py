"""A brittle ``unittest.TestCase`` method whose state-setter is a test of its own class, the
state written by the class's ``setUp`` *after* the statement that reads it::

    def setUp(self):
        self.config = load_config()            # reads CLOUDCLI_REGION
        os.environ["CLOUDCLI_REGION"] = "eu"   # the write the test relies on

The method checks ``self.config.region == "eu"``: it passes only when an earlier test of the
class left the variable written (and fails alone). The state-setter's own body sets nothing up:
its setup is the class's ``setUp``, which the brittle test runs too, in the wrong order. The
writes of the named state move to the start of ``setUp`` (after its docstring and the
save-and-restore statements another fix put first), where they take effect for every test of
the class; nothing else changes, and the evidence (the test alone) must pass.

Writes recognised: ``os.environ[K] = …`` and ``os.environ.update/setdefault`` for ``env:K``;
``module.NAME = …`` (as the test module spells it) for ``global:module.NAME``.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from auditor.fix.names import Names, code_of, dotted, short
from auditor.fix.source import Found, Outcome, Target, docstring, located

#: calls a save-and-restore statement makes (another fix's, at the start of ``setUp``)
_SAVING = ("addCleanup", "addfinalizer", "monkeypatch.", "patch.dict(", "patcher.start")


def rewrite(code: str, brittle: Target, setter: Target, state: Sequence[str]) -> Outcome:
    """Move the writes of ``state`` in the ``setUp`` that ``brittle`` and ``setter`` share
    ahead of its other statements."""
    if brittle.path != setter.path or brittle.cls != setter.cls or not brittle.cls:
        return Outcome(code, "unfixable", f"{setter} is not a test of {brittle}'s class")
    where = located(code, brittle)
    if isinstance(where, Outcome):
        return where
    module, found = where
    names = Names(module)
    setup = _setup(found)
    if not found.testcase(names) or setup is None:
        return Outcome(code, "unfixable", f"{brittle}'s class is not a TestCase with a setUp")
    body = setup.body
    if not isinstance(body, cst.IndentedBlock):
        return Outcome(code, "unfixable", "its setUp is written on one line")
    statements = list(body.body)
    writes = [i for i, s in enumerate(statements) if _writes(names, s, state)]
    if not writes:
        what = ", ".join(state) or "the state"
        return Outcome(code, "unfixable", f"its setUp spells no write to {what}")
    start = _start(statements)
    late = [i for i in writes if any(j not in writes for j in range(start, i))]
    if not late:
        reason = f"the setUp of {brittle.cls} already writes {', '.join(state)} first"
        return Outcome(code, "already", reason)
    moved = [statements[i] for i in writes]
    kept = [s for i, s in enumerate(statements) if i not in writes]
    # the comment above a moved write goes with it; the line it leaves keeps its own blanks
    reordered = [*kept[:start], *moved, *kept[start:]]
    changed = setup.with_changes(body=body.with_changes(body=reordered))
    result = module.deep_replace(setup, changed)
    assert isinstance(result, cst.Module)
    lines = tuple(short(code_of(s)) for s in moved)
    reason = (
        f"the setUp of {brittle.cls} writes {', '.join(state)} before the statements "
        "that read it, not after"
    )
    return Outcome(result.code, "changed", reason, lines)


def _setup(found: Found) -> cst.FunctionDef | None:
    block = found.classes[-1].body
    for statement in block.body if isinstance(block, cst.IndentedBlock) else ():
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "setUp":
            return statement
    return None


def _start(statements: list[cst.BaseStatement]) -> int:
    """Where the setUp's own work starts: after its docstring and the save-and-restore
    statements another fix put first."""
    at = 0
    for statement in statements:
        text = code_of(statement)
        first = at == 0 and docstring(statement)
        if not (first or any(sign in text for sign in _SAVING)):
            break
        at += 1
    return at


def _writes(names: Names, statement: cst.BaseStatement, state: Sequence[str]) -> bool:
    """Is ``statement`` one line that writes one of ``state``, and nothing else?"""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return any(_writes_entry(names, small, entry) for entry in state)


def _writes_entry(names: Names, small: cst.BaseSmallStatement, entry: str) -> bool:
    kind, _, name = entry.partition(":")
    if kind == "env":
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            return _environ_key(names, small.targets[0].target) == name
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            func = small.value.func
            if not (
                isinstance(func, cst.Attribute)
                and func.attr.value in ("update", "setdefault")
                and names.qualified(func.value) == "os.environ"
                and small.value.args
            ):
                return False
            first = small.value.args[0].value
            if isinstance(first, cst.Dict):
                return any(
                    isinstance(e, cst.DictElement) and _literal(e.key) == name
                    for e in first.elements
                )
            return _literal(first) == name
        return False
    if kind == "global" and isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        spelled = dotted(target)
        if not isinstance(target, cst.Attribute) or spelled is None:
            return False
        owner = names.qualified(target.value)
        return owner is not None and f"{owner}.{target.attr.value}" == name
    return False


def _environ_key(names: Names, node: cst.BaseExpression) -> str | None:
    if not (isinstance(node, cst.Subscript) and len(node.slice) == 1):
        return None
    index = node.slice[0].slice
    if isinstance(index, cst.Index) and names.qualified(node.value) == "os.environ":
        return _literal(index.value)
    return None


def _literal(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None
