"""A brittle test, which passes only after its state-setter ran → the state-setter's setup as a
fixture that the brittle test requests.

The setup is what the state-setter does before its first check (``assert``, ``pytest.raises``,
``self.assertEqual``, ``mock.assert_called``): calls, and assignments to names that only the setup
uses. It is copied, comments and all, into a fixture named for the state-setter without its
``test_`` prefix, right before the brittle test (before its class, for a method); the state-setter
is left as it is. The brittle test requests the fixture as a parameter, or with
``@pytest.mark.usefixtures`` when it is a ``unittest.TestCase`` method. Nothing moves that would
mean something else in its new place: a setup that uses the state-setter's fixtures, ``self``, its
other local variables, or a name the brittle test's module does not import or define the same way
is reported, with the statements to move by hand.
"""

from __future__ import annotations

import builtins
import keyword
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import libcst as cst
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    BuiltinAssignment,
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    Scope,
    ScopeProvider,
)

from auditor.fix.imports import dotted, imported_names, pytest_alias, qualified, with_pytest
from auditor.fix.source import (
    Outcome,
    Target,
    annotated,
    code_of,
    is_testcase,
    param_names,
    parse,
    with_param,
)

FIXTURE = "pytest.fixture"
USEFIXTURES = "pytest.mark.usefixtures"
#: calls that check rather than set up, besides ``assert*`` methods and functions
_CHECKS = frozenset({"pytest.raises", "pytest.warns", "pytest.fail", "pytest.deprecated_call"})
_TAKEN = frozenset(dir(builtins)) | frozenset(keyword.kwlist)


def rewrite(code: str, brittle: Target, setter_code: str, setter: Target) -> Outcome:
    """Make the setup of ``setter`` (in ``setter_code``, the same text as ``code`` when both tests
    are in one file) a fixture in ``code`` that ``brittle`` requests."""
    if brittle == setter:
        return Outcome(code, "unfixable", f"{brittle} is its own state-setter")
    module = parse(code)
    if isinstance(module, Outcome):
        return module
    setter_module = parse(setter_code)
    if isinstance(setter_module, Outcome):
        return Outcome(code, "unfixable", f"{setter.path} {setter_module.reason}")
    shown = str(setter) if setter.path != brittle.path else "::".join(str(setter).split("::")[1:])
    setup = _setup(setter_module, setter, shown)
    if setup.problem:
        return _unfixable(code, setup.problem, setup, brittle)
    found = _find(module, brittle)
    if found is None:
        reason = f"{brittle} is not in the file (changed since the audit?)"
        return Outcome(code, "unfixable", reason)
    problem = _foreign(_Names(module, brittle.path), setup, brittle.path, setter.path)
    if problem:
        return _unfixable(code, problem, setup, brittle)
    return _request(module, code, found, setup, brittle, _base(setter.function), shown)


@dataclass(frozen=True)
class _Setup:
    """The statements a state-setter runs before its first check, or why they cannot move."""

    problem: str = ""
    statements: tuple[str, ...] = ()  #: as written in the state-setter
    lines: tuple[cst.SimpleStatementLine, ...] = ()
    #: every module-level or builtin name the setup uses → what it is bound to there
    meanings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    annotated: bool = False


@dataclass(frozen=True)
class _Found:
    index: int  #: of the top-level statement holding the function
    classes: tuple[cst.ClassDef, ...]
    function: cst.FunctionDef


def _setup(module: cst.Module, setter: Target, shown: str) -> _Setup:
    found = _find(module, setter)
    if found is None:
        return _Setup(
            f"the state-setter {setter} is not in {setter.path} (changed since the audit?)"
        )
    function = found.function
    imports = imported_names(module)
    lines: list[cst.SimpleStatementLine] = []
    smalls: list[cst.BaseSmallStatement] = []
    for statement in _statements(function):
        if isinstance(statement, cst.SimpleStatementLine):
            before = list(takewhile(lambda s: not _checks(s, imports), statement.body))
            smalls.extend(before)
            if before:
                lines.append(_cut(statement, before))
            if len(before) < len(statement.body):
                break
        elif _checks(statement, imports):
            break
        else:
            statements = (*(code_of(s) for s in smalls), code_of(statement))
            why = f"{shown} runs `{_short(statements[-1])}` before its first assert"
            return _Setup(f"{why}; only calls and assignments can move into a fixture", statements)
    statements = tuple(code_of(s) for s in smalls)
    if not smalls:
        return _Setup(f"{shown} does nothing before its first assert: no setup to move")
    problem = _unmovable(function, smalls, shown) or ""
    if problem:
        return _Setup(problem, statements)
    names = _Names(module, setter.path)
    used = _free_names(names, smalls, shown)
    if isinstance(used, str):
        return _Setup(used, statements)
    meanings = {name: names.meaning(name) for name in sorted(names.closure(used))}
    return _Setup("", statements, tuple(lines), meanings, annotated(function))


def _statements(function: cst.FunctionDef) -> list[cst.BaseStatement]:
    """The function's statements, its docstring left out; ``def f(): a(); b()`` as one line."""
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        assert isinstance(body, cst.SimpleStatementSuite)
        return [cst.SimpleStatementLine(body=body.body)]
    statements = list(body.body)
    first = statements[0] if statements else None
    if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1:
        expression = first.body[0]
        if isinstance(expression, cst.Expr) and isinstance(
            expression.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            statements.pop(0)
    return statements


def _cut(
    line: cst.SimpleStatementLine, smalls: list[cst.BaseSmallStatement]
) -> cst.SimpleStatementLine:
    """The line with only ``smalls``, its leading statements (``a(); assert b`` → ``a()``)."""
    if len(smalls) == len(line.body):
        return line
    last = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    # the line's trailing comment may be about what was cut: it stays behind
    return cst.SimpleStatementLine(body=[*smalls[:-1], last], leading_lines=line.leading_lines)


def _checks(node: cst.CSTNode, imports: dict[str, str]) -> bool:
    """Does ``node`` hold a check: an ``assert``, ``pytest.raises`` and kin, an ``assert*`` call?"""
    for inner in _nodes(node):
        if isinstance(inner, cst.Assert):
            return True
        if isinstance(inner, cst.Call):
            name = qualified(inner.func, imports) or dotted(inner.func) or ""
            if name in _CHECKS or name.split(".")[-1].startswith("assert"):
                return True
    return False


def _unmovable(
    function: cst.FunctionDef, smalls: Sequence[cst.BaseSmallStatement], shown: str
) -> str | None:
    """Why the setup cannot run unchanged as a fixture's body, if it cannot."""
    if function.asynchronous is not None:
        return f"{shown} is a coroutine: its setup needs an async fixture"
    if _has(function, (cst.Global, cst.Nonlocal)):
        return f"{shown} declares global or nonlocal names"
    for small in smalls:
        if _has(small, (cst.Await, cst.Yield)):
            return f"`{code_of(small)}` in the setup of {shown} awaits or yields"
        if not _movable(small):
            what = "neither a call nor an assignment to a name"
            return f"`{code_of(small)}` in the setup of {shown} is {what}"
    return None


def _movable(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Expr):
        return isinstance(small.value, cst.Call)
    if isinstance(small, cst.Assign):
        return all(_plain_target(t.target) for t in small.targets)
    if isinstance(small, cst.AnnAssign):
        return small.value is not None and isinstance(small.target, cst.Name)
    return False


def _plain_target(target: cst.BaseExpression) -> bool:
    if isinstance(target, (cst.Tuple, cst.List)):
        return all(isinstance(e.value, cst.Name) for e in target.elements)
    return isinstance(target, cst.Name)


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return True


def _nodes(*roots: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node under ``roots``, themselves included."""
    collect = _Collect()
    for root in roots:
        root.visit(collect)
    return collect.nodes


def _has(node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> bool:
    return any(isinstance(inner, kinds) for inner in _nodes(node))


class _Names:
    """What the names at the top of one module are bound to."""

    def __init__(self, module: cst.Module, path: str) -> None:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.scopes = wrapper.resolve(ScopeProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        top = self.scopes[module]
        assert isinstance(top, GlobalScope)
        self.top = top
        self.path = path
        scopes = dict.fromkeys(s for s in self.scopes.values() if s is not None)  # in order
        self.accesses = [access for scope in scopes for access in scope.accesses]
        self.star = any(
            isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar)
            for statement in module.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
        )

    def meaning(self, name: str) -> tuple[str, ...]:
        """How the module binds ``name``: the names it imports, or the binding statements' code;
        empty for a builtin or an unbound name."""
        bindings = (
            a
            for a in self.top.assignments[name]
            if isinstance(a, Assignment) and a.scope is self.top
        )
        return tuple(sorted({self._binding(a.node, name) for a in bindings}))

    def _binding(self, node: cst.CSTNode, name: str) -> str:
        if isinstance(node, cst.ImportFrom) and node.relative:
            # the same text means the same module only from the same package
            return f"{posixpath.dirname(self.path)}: {code_of(node)}"
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name) or ""
                # `import a.b` binds `a` and `a.b`, and loads `a.b`: unlike `import a`
                plain = alias.asname is None and "." in full
                if plain and (full == name or full.startswith(f"{name}.")):
                    return f"import {full}"
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            imports = imported_names(cst.Module(body=[cst.SimpleStatementLine(body=[node])]))
            return f"= {imports.get(name)}"
        return code_of(self._statement(node).with_changes(leading_lines=[]))

    def _statement(self, node: cst.CSTNode) -> cst.BaseStatement:
        """The top-level statement ``node`` is in."""
        while not isinstance(self.parents[node], cst.Module):
            node = self.parents[node]
        assert isinstance(node, cst.BaseStatement)
        return node

    def closure(self, names: set[str]) -> set[str]:
        """``names`` and the module-level names their definitions use, and theirs: a helper
        defined the same way in two modules still differs when the globals it reads do."""
        todo, seen = list(names), set(names)
        while todo:
            name = todo.pop()
            for binding in self.top.assignments[name]:
                if not isinstance(binding, Assignment) or isinstance(
                    binding.node, (cst.Import, cst.ImportFrom)
                ):
                    continue
                new = self.uses(self._statement(binding.node)) - seen
                seen |= new
                todo.extend(new)
        return seen

    def uses(self, *nodes: cst.CSTNode) -> set[str]:
        """The module-level and builtin names used in ``nodes``."""
        inside = {id(node) for node in _nodes(*nodes)}
        return {
            r.name
            for access in self.accesses
            if id(access.node) in inside
            for r in access.referents
            if isinstance(r, BuiltinAssignment) or r.scope is self.top
        }


def _free_names(
    names: _Names, smalls: Sequence[cst.BaseSmallStatement], shown: str
) -> set[str] | str:
    """The module-level and builtin names the setup uses, or why it uses something else."""
    inside = {id(node) for node in _nodes(*smalls)}
    local = names.scopes[smalls[0]]
    assert local is not None
    used: set[str] = set()
    for access in (a for a in names.accesses if id(a.node) in inside):
        if any(not _outer(r, local, names.top) for r in access.referents):
            continue  # a comprehension's or a lambda's own variable
        name = code_of(access.node).split(".")[0]
        for binding in local.assignments[name]:
            assert isinstance(binding, Assignment)
            if isinstance(binding.node, cst.Param):
                what = "self" if name == "self" else f"its fixture `{name}`"
                return f"the setup of {shown} uses {what}"
            if id(binding.node) not in inside:
                return f"the setup of {shown} uses `{name}`, which {shown} sets later"
        if not access.referents:
            return f"the setup of {shown} uses `{name}`, which nothing defines (a * import?)"
        used.update(r.name for r in access.referents if r.scope is not local)
    for assignment in local.assignments:
        if not isinstance(assignment, Assignment) or id(assignment.node) not in inside:
            continue
        if any(id(access.node) not in inside for access in assignment.references):
            return f"`{assignment.name}`, set in the setup of {shown}, is used after it"
    return used


def _outer(referent: BaseAssignment, local: Scope, top: GlobalScope) -> bool:
    return isinstance(referent, BuiltinAssignment) or referent.scope in (local, top)


def _foreign(names: _Names, setup: _Setup, path: str, setter_path: str) -> str:
    """Why a name the setup uses would mean something else in the module at ``path``, if so."""
    if names.star and setter_path != path and setup.meanings:
        return f"{path} has a * import: cannot tell what {', '.join(setup.meanings)} would be there"
    for name, meaning in setup.meanings.items():
        there = names.meaning(name)
        if there == meaning:
            continue
        if not there:
            return f"`{name}` is not imported or defined in {path}"
        return f"`{name}` in {path} is not what it is in {setter_path}"
    return ""


def _unfixable(code: str, problem: str, setup: _Setup, brittle: Target) -> Outcome:
    if not setup.statements:
        return Outcome(code, "unfixable", problem)
    listed = "; ".join(f"`{_short(s)}`" for s in setup.statements)
    remedy = f"move {listed} by hand into a fixture that {brittle.function} requests"
    return Outcome(code, "unfixable", f"{problem}: {remedy}", setup.statements)


def _short(statement: str) -> str:
    first, *rest = statement.splitlines()
    return f"{first} …" if rest else first


def _find(module: cst.Module, target: Target) -> _Found | None:
    for index, statement in enumerate(module.body):
        found = _within(statement, target, ())
        if found is not None:
            return _Found(index, *found)
    return None


def _within(
    statement: cst.BaseStatement, target: Target, classes: tuple[cst.ClassDef, ...]
) -> tuple[tuple[cst.ClassDef, ...], cst.FunctionDef] | None:
    if isinstance(statement, cst.FunctionDef):
        cls = classes[-1].name.value if classes else None
        if statement.name.value == target.function and cls == target.cls:
            return classes, statement
    if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
        for inner in statement.body.body:
            found = _within(inner, target, (*classes, statement))
            if found is not None:
                return found
    return None


def _request(
    module: cst.Module,
    code: str,
    found: _Found,
    setup: _Setup,
    brittle: Target,
    base: str,
    shown: str,
) -> Outcome:
    """``brittle`` requesting the setup's fixture ``base`` (or ``base_state``, when the module
    uses that name for something else), written into the module unless it is there."""
    imports = imported_names(module)
    candidates = (base, f"{base}_state")
    fixtures = _fixtures(module, imports)
    requested = _requested(found, imports)
    for candidate in candidates:
        if candidate in requested and candidate in fixtures:
            reason = f"{brittle} already requests the fixture {candidate}"
            return Outcome(code, "already", reason)
    taken = _taken(module)
    free = (n for n in candidates if n not in taken or _body(fixtures.get(n)) == setup.statements)
    name = next(free, None)
    if name is None:
        problem = f"{' and '.join(candidates)} are taken in {brittle.path}"
        return _unfixable(code, problem, setup, brittle)
    alias = pytest_alias(imports)
    testcase = bool(found.classes) and is_testcase(found.classes[-1], imports)
    function = _requesting(found.function, name, testcase, imports, alias or "pytest")
    new = module.deep_replace(found.function, function)
    assert isinstance(new, cst.Module)
    if name not in fixtures:
        decorator = _local(imports, FIXTURE) or f"{alias or 'pytest'}.fixture"
        new = _insert(new, found.index, _fixture(name, setup, decorator, shown, new.default_indent))
    needs_pytest = (name not in fixtures and not _local(imports, FIXTURE)) or (
        testcase and not _local(imports, "pytest.mark")
    )
    if needs_pytest:
        new, _ = with_pytest(new)
    return Outcome(new.code, "changed", statements=setup.statements)


def _base(setter: str) -> str:
    """``test_register_warehouse`` → ``register_warehouse``; ``testWarehouse`` → ``Warehouse``."""
    base = setter.removeprefix("test").lstrip("_")
    return base if base.isidentifier() else f"{setter}_state"


def _local(imports: dict[str, str], full: str) -> str | None:
    """The module's name for ``full`` (``fixture`` after ``from pytest import fixture``)."""
    return next((local for local, name in imports.items() if name == full), None)


def _fixtures(module: cst.Module, imports: dict[str, str]) -> dict[str, cst.FunctionDef]:
    """The module's top-level fixture functions, by name."""
    fixtures: dict[str, cst.FunctionDef] = {}
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and any(
            _called(d.decorator, imports) == FIXTURE for d in statement.decorators
        ):
            fixtures[statement.name.value] = statement
    return fixtures


def _called(expression: cst.BaseExpression, imports: dict[str, str]) -> str | None:
    """What ``expression`` names, or what it calls: ``pytest.fixture(scope=…)`` → pytest.fixture."""
    if isinstance(expression, cst.Call):
        expression = expression.func
    return qualified(expression, imports)


def _requested(found: _Found, imports: dict[str, str]) -> set[str]:
    """The fixtures the function requests: its parameters, and usefixtures on it or its classes."""
    names = set(param_names(found.function))
    nodes: tuple[cst.ClassDef | cst.FunctionDef, ...] = (*found.classes, found.function)
    for node in nodes:
        for decorator in node.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Call) and _called(expression, imports) == USEFIXTURES:
                names.update(
                    str(a.value.evaluated_value)
                    for a in expression.args
                    if isinstance(a.value, cst.SimpleString)
                )
    return names


def _taken(module: cst.Module) -> set[str]:
    """Names a new top-level fixture must not take: every name the module spells, in code or in
    a string (``usefixtures("db")``), since a module's fixture overrides a conftest's."""
    nodes = _nodes(module)
    names = {n.value for n in nodes if isinstance(n, cst.Name)}
    strings = {str(n.evaluated_value) for n in nodes if isinstance(n, cst.SimpleString)}
    return names | strings | _TAKEN


def _body(function: cst.FunctionDef | None) -> tuple[str, ...] | None:
    """The code of a function's statements, its docstring left out."""
    if function is None:
        return None
    codes: list[str] = []
    for statement in _statements(function):
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        codes.extend(code_of(small) for small in statement.body)
    return tuple(codes)


def _requesting(
    function: cst.FunctionDef, name: str, testcase: bool, imports: dict[str, str], pytest: str
) -> cst.FunctionDef:
    if not testcase:
        return with_param(function, name, "None")
    # TestCase methods take no fixture parameters; a usefixtures mark does work on them
    mark = _local(imports, "pytest.mark") or f"{pytest}.mark"
    decorator = cst.Decorator(cst.parse_expression(f'{mark}.usefixtures("{name}")'))
    if function.decorators:
        return function.with_changes(decorators=[*function.decorators, decorator])
    # the def's leading comments move up with its first decorator
    return function.with_changes(
        decorators=[decorator.with_changes(leading_lines=function.leading_lines)],
        leading_lines=[],
    )


def _fixture(name: str, setup: _Setup, decorator: str, shown: str, indent: str) -> cst.FunctionDef:
    said = f"The state that {shown} used to leave behind"
    # black's line length: where most projects' linters start complaining
    end = " " if len(f'{indent}"""{said} (extracted by auditor)."""') <= 88 else f"\n{indent}"
    doc = f'"""{said}{end}(extracted by auditor)."""'
    lines = list(setup.lines)
    leading = lines[0].leading_lines
    lines[0] = lines[0].with_changes(leading_lines=leading[_blanks(leading) :])
    return cst.FunctionDef(
        name=cst.Name(name),
        params=cst.Parameters(),
        body=cst.IndentedBlock(
            body=[cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(doc))]), *lines]
        ),
        decorators=[cst.Decorator(cst.parse_expression(decorator))],
        returns=cst.Annotation(cst.Name("None")) if setup.annotated else None,
    )


def _blanks(lines: Sequence[cst.EmptyLine]) -> int:
    """How many blank lines lead ``lines``, before the first comment."""
    return next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))


def _insert(module: cst.Module, index: int, fixture: cst.FunctionDef) -> cst.Module:
    """The module with ``fixture`` right before its statement ``index``, spaced as that one is."""
    body = list(module.body)
    anchor = body[index]
    leading = getattr(anchor, "leading_lines", ())
    blanks = list(leading[: _blanks(leading)])
    two = [cst.EmptyLine(), cst.EmptyLine()]
    fixture = fixture.with_changes(leading_lines=blanks or (two if index else []))
    if not blanks:
        body[index] = anchor.with_changes(leading_lines=[*two, *leading])
    return module.with_changes(body=[*body[:index], fixture, *body[index:]])
