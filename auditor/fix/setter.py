"""A state-setter's setup: the statements it runs before its first check (``assert``,
``pytest.raises``, ``self.assertEqual``, ``mock.assert_called``), and whether they can run as a
fixture's body: calls, imports, assignments (to names that only the setup uses, to an item or
an attribute: ``os.environ["MODE"] = …``), and blocks holding no check — ``with``, ``for``,
``if``, ``try``, nested functions and classes — none of which uses a parameter of the
state-setter or anything it sets later, or returns from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import libcst as cst
from libcst.metadata import Assignment

from auditor.fix.closure import ModuleNames, every_node, free_names
from auditor.fix.names import Names, code_of, dotted, short
from auditor.fix.source import Target, annotated, find

#: calls that check rather than set up, besides ``assert*`` methods and functions
_CHECKS = frozenset({"pytest.raises", "pytest.warns", "pytest.fail", "pytest.deprecated_call"})


@dataclass(frozen=True)
class Setup:
    """The statements a state-setter runs before its first check, or why they cannot move."""

    problem: str = ""
    statements: tuple[str, ...] = ()  #: as written in the state-setter
    lines: tuple[cst.BaseStatement, ...] = ()  #: the setup's lines, blocks whole
    #: every module-level or builtin name the setup uses → what it is bound to there
    meanings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    annotated: bool = False
    relative: str = ""  #: a relative import the setup makes, as written
    shown: str = ""  #: the state-setter, as the reasons name it
    said: str = ""  #: what the fixture's docstring says it is (default: the state it leaves)
    #: the state-setter's fixtures the setup uses, as its parameters spell them: the fixture
    #: requests them too
    fixtures: tuple[cst.Param, ...] = ()


def setup_of(module: cst.Module, setter: Target, shown: str) -> Setup:
    """The setup of the state-setter ``setter`` in ``module``; ``shown`` is how reasons name it."""
    found = find(module, setter)
    if found is None:
        return Setup(
            f"the state-setter {setter} is not in {setter.path} (changed since the audit?)"
        )
    names = ModuleNames(module, setter.path)
    before = _before_check(found.function, names, shown)
    if isinstance(before, Setup):
        return before
    lines, smalls = _unused_imports_left_out(names, *before)
    codes = tuple(code_of(s) for s in smalls)
    if not smalls:
        return Setup(f"{shown} does nothing before its first assert: no setup to move")
    problem = _unmovable(found.function, smalls, shown)
    if problem:
        return Setup(problem, codes)
    free = free_names(names, smalls, shown)
    if isinstance(free, str):
        return Setup(free, codes)
    arguments = sorted(free.params & parametrized(found.function))
    if arguments:
        why = f"the setup of {shown} uses its parametrized argument `{arguments[0]}`"
        return Setup(why, codes)
    if free.unread:  # ``reply = client.send(…)``, read by the checks: the call alone
        lines = _calls_only(lines, free.unread)
        smalls = [_call_only(small, free.unread) for small in smalls]
        codes = tuple(code_of(s) for s in smalls)
    meanings = {name: names.meaning(name) for name in sorted(names.closure(free.names))}
    relative = (code_of(s) for s in smalls if isinstance(s, cst.ImportFrom) and s.relative)
    signature = found.function.params
    named = {p.name.value: p for p in (*signature.posonly_params, *signature.params)}
    named |= {p.name.value: p for p in signature.kwonly_params}
    for name in sorted(free.params):
        param = named.get(name)
        if param is None or param.default is not None:  # *args, **kwargs, a default value
            return Setup(f"the setup of {shown} uses `{name}`, an argument, not a fixture", codes)
    params = tuple(
        p.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        for n, p in named.items()
        if n in free.params
    )
    return Setup(
        "",
        codes,
        tuple(lines),
        meanings,
        annotated(found.function),
        next(relative, ""),
        shown,
        fixtures=params,
    )


def parametrized(function: cst.FunctionDef) -> set[str]:
    """The argument names of the function's ``parametrize`` marks."""
    names: set[str] = set()
    for decorator in function.decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call) or not call.args:
            continue
        if not code_of(call.func).endswith("parametrize"):
            continue
        first = call.args[0].value
        strings = first.elements if isinstance(first, (cst.List, cst.Tuple)) else [first]
        for each in strings:
            value = each.value if isinstance(each, cst.Element) else each
            if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                names.update(part.strip() for part in value.evaluated_value.split(","))
    return names


def _call_only(small: Piece, unread: set[str]) -> Piece:
    """``name = call(…)`` → ``call(…)`` when nothing in the setup reads ``name``."""
    if (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and small.targets[0].target.value in unread
        and isinstance(small.value, cst.Call)
    ):
        return cst.Expr(small.value, semicolon=small.semicolon)
    return small


def _calls_only(lines: list[cst.BaseStatement], unread: set[str]) -> list[cst.BaseStatement]:
    return [
        line.with_changes(body=[_call_only(s, unread) for s in line.body])
        if isinstance(line, cst.SimpleStatementLine)
        else line
        for line in lines
    ]


#: a setup's element: one small statement of a line, or a whole block
Piece = cst.BaseSmallStatement | cst.BaseCompoundStatement
_BLOCKS = (cst.With, cst.For, cst.If, cst.Try, cst.While, cst.FunctionDef, cst.ClassDef)


def _before_check(
    function: cst.FunctionDef, names: Names, shown: str
) -> tuple[list[cst.BaseStatement], list[Piece]] | Setup:
    """The lines before the function's first check, and their pieces; or a Setup saying which
    block comes first when it cannot move (it returns from the state-setter)."""
    lines: list[cst.BaseStatement] = []
    smalls: list[Piece] = []
    for statement in statements(function):
        if isinstance(statement, cst.SimpleStatementLine):
            before = list(takewhile(lambda s: not _checks(s, names), statement.body))
            smalls.extend(before)
            if before:
                lines.append(_cut(statement, before))
            if len(before) < len(statement.body):
                break
        elif _checks(statement, names):
            break
        elif isinstance(statement, _BLOCKS) and not _returns(statement):
            smalls.append(statement)
            lines.append(statement)
        else:
            codes = (*(code_of(s) for s in smalls), code_of(statement))
            why = f"{shown} runs `{short(codes[-1])}` before its first assert"
            what = "a block that returns from the test cannot move into a fixture"
            return Setup(f"{why}; {what}", codes)
    return lines, smalls


def _returns(block: cst.CSTNode) -> bool:
    """Whether ``block`` returns from the function it is in (not from a function it defines)."""
    if isinstance(block, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
        return False
    if isinstance(block, cst.Return):
        return True
    return any(_returns(child) for child in block.children)


def _unused_imports_left_out(
    names: ModuleNames, lines: list[cst.BaseStatement], smalls: list[Piece]
) -> tuple[list[cst.BaseStatement], list[Piece]]:
    """The setup without the imports that only the checks use: they would sit unused in the
    fixture (``import pytest`` for the ``pytest.raises`` that ends the setup)."""
    imports = [s for s in smalls if isinstance(s, (cst.Import, cst.ImportFrom))]
    local = names.scope(smalls[0]) if imports else None
    if local is None:
        return lines, smalls
    rest = {id(node) for node in every_node(*(s for s in smalls if s not in imports))}
    used = {
        id(a.node)
        for a in local.assignments
        if isinstance(a, Assignment) and any(id(r.node) in rest for r in a.references)
    }
    kept = [s for s in smalls if s not in imports or id(s) in used]
    if len(kept) == len(smalls):
        return lines, smalls
    cut = [
        _cut(line, [s for s in line.body if s in kept])
        if isinstance(line, cst.SimpleStatementLine)
        else line
        for line in lines
    ]
    return [
        line for line in cut if not isinstance(line, cst.SimpleStatementLine) or line.body
    ], kept


def statements(function: cst.FunctionDef) -> list[cst.BaseStatement]:
    """The function's statements, its docstring left out; ``def f(): a(); b()`` as one line."""
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        assert isinstance(body, cst.SimpleStatementSuite)
        return [cst.SimpleStatementLine(body=body.body)]
    every = list(body.body)
    first = every[0] if every else None
    if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1:
        expression = first.body[0]
        if isinstance(expression, cst.Expr) and isinstance(
            expression.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            every.pop(0)
    return every


def _cut(
    line: cst.SimpleStatementLine, smalls: list[cst.BaseSmallStatement]
) -> cst.SimpleStatementLine:
    """The line with only ``smalls`` (``a(); assert b`` → ``a()``); none when there are none."""
    if len(smalls) == len(line.body) or not smalls:
        return line.with_changes(body=smalls)
    last = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    # the line's trailing comment may be about what was cut: it stays behind
    return cst.SimpleStatementLine(body=[*smalls[:-1], last], leading_lines=line.leading_lines)


def _checks(node: cst.CSTNode, names: Names) -> bool:
    """Does ``node`` hold a check: an ``assert``, ``pytest.raises`` and kin, an ``assert*`` call?"""
    for inner in every_node(node):
        if isinstance(inner, cst.Assert):
            return True
        if isinstance(inner, cst.Call):
            name = names.qualified(inner.func) or dotted(inner.func) or ""
            if name in _CHECKS or name.split(".")[-1].startswith("assert"):
                return True
    return False


def _unmovable(function: cst.FunctionDef, smalls: Sequence[Piece], shown: str) -> str | None:
    """Why the setup cannot run unchanged as a fixture's body, if it cannot."""
    if function.asynchronous is not None:
        return f"{shown} is a coroutine: its setup needs an async fixture"
    if _has(function, (cst.Global, cst.Nonlocal)):
        return f"{shown} declares global or nonlocal names"
    for small in smalls:
        if _has(small, (cst.Await, cst.Yield)):
            return f"`{code_of(small)}` in the setup of {shown} awaits or yields"
        if not _movable(small):
            what = "neither a call, an import nor an assignment to a name"
            return f"`{code_of(small)}` in the setup of {shown} is {what}"
    return None


def _movable(small: Piece) -> bool:
    if isinstance(small, _BLOCKS):
        return True
    if isinstance(small, cst.Expr):
        return isinstance(small.value, cst.Call)
    if isinstance(small, cst.Assign):
        return all(_plain_target(t.target) for t in small.targets)
    if isinstance(small, cst.AnnAssign):
        return small.value is not None and isinstance(small.target, cst.Name)
    if isinstance(small, cst.ImportFrom):
        return not isinstance(small.names, cst.ImportStar)
    return isinstance(small, cst.Import)


def _plain_target(target: cst.BaseExpression) -> bool:
    """A name, names, or an item or attribute of something (``os.environ["MODE"]``)."""
    if isinstance(target, (cst.Tuple, cst.List)):
        return all(isinstance(e.value, cst.Name) for e in target.elements)
    return isinstance(target, (cst.Name, cst.Subscript, cst.Attribute))


def _has(node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> bool:
    return any(isinstance(inner, kinds) for inner in every_node(node))
