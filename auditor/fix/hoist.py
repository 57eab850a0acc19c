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

from auditor.fix.closure import every_node
from auditor.fix.names import Names, code_of, dotted, names_of, short
from auditor.fix.source import Outcome, Target, docstring, located, set_up

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
    names = names_of(module)
    setup = set_up(found)
    if not found.testcase(names):
        return Outcome(code, "unfixable", f"{brittle}'s class is not a unittest.TestCase")
    if setup is None:
        return Outcome(code, "unfixable", f"{brittle}'s class has no setUp whose writes could move")
    body = setup.body
    if not isinstance(body, cst.IndentedBlock):
        return Outcome(code, "unfixable", "its setUp is written on one line")
    statements = list(body.body)
    writes = [i for i, s in enumerate(statements) if _writes(names, s, state)]
    if not writes:
        what = ", ".join(state) or "the state"
        return Outcome(code, "unfixable", f"its setUp spells no write to {what}")
    start = _start(statements)
    order = list(statements)
    moved: list[cst.BaseStatement] = []
    stuck: list[str] = []
    ours = {id(statements[i]) for i in writes}  # the writes, where they now are
    for write in (statements[i] for i in writes):
        at = next(i for i, s in enumerate(order) if s is write)
        reads = _chains(write)
        floor = _floor(order, start, at, reads)
        if all(id(s) in ours for s in order[floor:at]):
            # in place: after what it uses only (and other writes of the state); stuck: what
            # it uses comes after another statement (which may read the state)
            other = (s for s in order[start:floor] if id(s) not in ours)
            if any(not _needed(s, reads) for s in other):
                stuck.append(short(code_of(order[floor - 1])))
            continue
        # after the writes moved before it: they keep their order
        floor = max([floor, *(i + 1 for i, s in enumerate(order[:at]) if id(s) in ours)])
        hoisted = _without_blanks(write)
        del order[at]
        order.insert(floor, hoisted)
        ours.add(id(hoisted))
        moved.append(write)
    if not moved:
        if stuck:
            what = "; ".join(f"`{line}`" for line in stuck)
            reason = f"the write of {', '.join(state)} in setUp uses what {what} sets first"
            return Outcome(code, "unfixable", reason)
        reason = f"the setUp of {brittle.cls} already writes {', '.join(state)} first"
        return Outcome(code, "already", reason)
    changed = setup.with_changes(body=body.with_changes(body=order))
    result = module.deep_replace(setup, changed)
    assert isinstance(result, cst.Module)
    lines = tuple(short(code_of(s)) for s in moved)
    reason = (
        f"the setUp of {brittle.cls} writes {', '.join(state)} before the statements "
        "that read it, not after"
    )
    return Outcome(result.code, "changed", reason, lines)


def _floor(order: list[cst.BaseStatement], start: int, at: int, reads: set[str]) -> int:
    """How high the write at ``at`` (which reads ``reads``) can go: below the last statement
    before it that sets what it uses (``self.home = mkdtemp()`` for ``os.environ["HOME"] =
    self.home``) or calls ``super()`` (the base class's setUp may set it), and below ``start``."""
    floor = start
    for index in range(start, at):
        if _needed(order[index], reads):
            floor = index + 1
    return floor


def _needed(statement: cst.BaseStatement, reads: set[str]) -> bool:
    """Does ``statement`` set what a write reading ``reads`` uses, or call ``super()``?"""
    if any(_is_super(node) for node in every_node(statement)):
        return True
    return any(
        r == bound or r.startswith(bound + ".") or bound.startswith(r + ".")
        for bound in _bound(statement)
        for r in reads
    )


def _chains(node: cst.CSTNode) -> set[str]:
    """The longest name chains the node spells (``self.home``, not ``self`` too)."""
    found: set[str] = set()

    class _Chains(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            spelled = dotted(node)
            if spelled is None:
                return True
            found.add(spelled)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    node.visit(_Chains())
    return found


def _bound(statement: cst.BaseStatement) -> set[str]:
    """The names and attribute chains a statement binds (assignments, ``with … as``, ``for``)."""
    bound: set[str] = set()
    for node in every_node(statement):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For)):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        for target in targets:
            bound |= _chains(target)
    return bound


def _is_super(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "super"
    )


def _without_blanks(statement: cst.BaseStatement) -> cst.BaseStatement:
    """The statement without the blank lines above it (its comments go with it)."""
    leading = [line for line in getattr(statement, "leading_lines", ()) if line.comment is not None]
    return statement.with_changes(leading_lines=leading)


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
