"""A brittle test, which passes only after its state-setter ran → the state-setter's setup as a
fixture that the brittle test requests.

The setup is what the state-setter does before its first check (``auditor.fix.setter``). It is
copied, comments and all, into a fixture named for the state-setter without its ``test_`` prefix,
right before the brittle test (before its class, for a method); the state-setter is left as it
is. The brittle test requests the fixture as a parameter, or with ``@pytest.mark.usefixtures``
when it is a ``unittest.TestCase`` method. Nothing moves that would mean something else in its new
place: a setup that uses the state-setter's fixtures, ``self``, its other local variables, or a
name the brittle test's module does not import or define the same way (``auditor.fix.closure``)
is reported, with the statements to move by hand.
"""

from __future__ import annotations

import builtins
import keyword
import posixpath
from collections.abc import Sequence
from dataclasses import replace

import libcst as cst

from auditor.fix.closure import ModuleNames, every_node, foreign
from auditor.fix.imports import with_pytest
from auditor.fix.names import code_of, short, spelling
from auditor.fix.setter import Setup, parametrized, setup_of, statements
from auditor.fix.source import (
    Found,
    Outcome,
    Target,
    find,
    not_found,
    param_names,
    parse,
    with_decorator,
    with_param,
)

FIXTURE = "pytest.fixture"
USEFIXTURES = "pytest.mark.usefixtures"
_TAKEN = frozenset(dir(builtins)) | frozenset(keyword.kwlist)


def rewrite(
    code: str, brittle: Target, setter_code: str, setter: Target, cleaner: bool = False
) -> Outcome:
    """Make the setup of ``setter`` (in ``setter_code``, the same text as ``code`` when both tests
    are in one file) a fixture in ``code`` that ``brittle`` requests. ``cleaner``: ``setter``
    is a victim's cleaner, whose setup undoes what a polluter leaves (the fixture says so)."""
    if brittle == setter:
        return Outcome(code, "unfixable", f"{brittle} is its own state-setter")
    module = parse(code)
    if isinstance(module, Outcome):
        return module
    setter_module = parse(setter_code)
    if isinstance(setter_module, Outcome):
        return Outcome(code, "unfixable", f"{setter.path} {setter_module.reason}")
    shown = str(setter) if setter.path != brittle.path else "::".join(str(setter).split("::")[1:])
    setup = setup_of(setter_module, setter, shown)
    if cleaner:
        setup = replace(setup, said=f"What {shown} resets, before this test")
    if setup.problem and not setup.statements:
        # Nothing in its body: the state comes from the fixtures it requests (a conftest
        # fixture that initialises a global context). The test requests them too.
        through = _through_fixtures(code, module, brittle, setter_module, setter, shown)
        if through is not None:
            return through
    if setup.problem:
        return _unfixable(code, setup.problem, setup, brittle)
    if setter.path != brittle.path:  # its annotations may name what the other module imports
        bare = tuple(p.with_changes(annotation=None) for p in setup.fixtures)
        setup = replace(setup, fixtures=bare)
    hidden = _hidden(setup, setter_module, setter, brittle)
    if hidden:
        problem = (
            f"the setup of {shown} uses the fixture `{hidden}` of {setter.path}, "
            f"which {brittle.path} does not see"
        )
        return _unfixable(code, problem, setup, brittle)
    found = find(module, brittle)
    if found is None:
        return not_found(code, brittle)
    names = ModuleNames(module, brittle.path)
    problem = _elsewhere(names, setup, setter, shown)
    if problem:
        return _unfixable(code, problem, setup, brittle)
    return _request(code, module, names, found, setup, brittle, _base(setter.function))


def _through_fixtures(
    code: str,
    module: cst.Module | Outcome,
    brittle: Target,
    setter_module: cst.Module,
    setter: Target,
    shown: str,
) -> Outcome | None:
    """``brittle`` requesting the fixtures ``setter`` requests (not its parametrized
    arguments); None when it requests none."""
    found_setter = find(setter_module, setter)
    if found_setter is None or isinstance(module, Outcome):
        return None
    arguments = parametrized(found_setter.function)
    wanted = [
        name
        for name in param_names(found_setter.function)
        if name not in ("self", "cls", "request") and name not in arguments
    ]
    found = find(module, brittle)
    if not wanted or found is None:
        return None
    names = ModuleNames(module, brittle.path)
    missing = [name for name in wanted if name not in _requested(found, names)]
    if not missing:
        reason = f"{brittle} already requests {', '.join(wanted)}, the fixtures of {shown}"
        return Outcome(code, "already", reason)
    imports = names.top_imports
    pytest = spelling(imports, "pytest") or "pytest"
    testcase = found.testcase(names)
    mark = spelling(imports, "pytest.mark")
    function = found.function
    for name in missing:
        function = _requesting(function, name, testcase, mark, pytest)
    written = module.deep_replace(found.function, function)
    assert isinstance(written, cst.Module)
    if testcase and not mark:
        written = with_pytest(written)[0]
    reason = f"{brittle} requests {', '.join(missing)}, through which {shown} sets the state"
    return Outcome(written.code, "changed", reason)


def _hidden(setup: Setup, setter_module: cst.Module, setter: Target, brittle: Target) -> str:
    """A fixture the setup uses that only the state-setter's module defines, if any."""
    if setter.path == brittle.path or not setup.fixtures:
        return ""
    defined = _fixtures(setter_module, ModuleNames(setter_module, setter.path))
    return next((p.name.value for p in setup.fixtures if p.name.value in defined), "")


def _elsewhere(names: ModuleNames, setup: Setup, setter: Target, shown: str) -> str:
    """Why the setup would do something else in the brittle test's module, if it would."""
    here = names.path
    if setup.relative and posixpath.dirname(here) != posixpath.dirname(setter.path):
        return f"`{setup.relative}` in the setup of {shown} would import another module in {here}"
    return foreign(names, setup.meanings, setter.path)


def _unfixable(code: str, problem: str, setup: Setup, brittle: Target) -> Outcome:
    if not setup.statements:
        return Outcome(code, "unfixable", problem)
    listed = "; ".join(f"`{short(s)}`" for s in setup.statements)
    remedy = f"move {listed} by hand into a fixture that {brittle.function} requests"
    return Outcome(code, "unfixable", f"{problem}: {remedy}", setup.statements)


def _request(
    code: str,
    module: cst.Module,
    names: ModuleNames,
    found: Found,
    setup: Setup,
    brittle: Target,
    base: str,
) -> Outcome:
    """``brittle`` requesting the setup's fixture ``base`` (or ``base_state``, when the module
    uses that name for something else), written into the module unless it is there."""
    candidates = (base, f"{base}_state")
    fixtures = _fixtures(module, names)
    requested = _requested(found, names)
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
    new = _written(module, names, found, setup, name, name not in fixtures)
    return Outcome(new.code, "changed", statements=setup.statements)


def _written(
    module: cst.Module, names: ModuleNames, found: Found, setup: Setup, name: str, new: bool
) -> cst.Module:
    """The module with its test requesting the fixture ``name``, written before it if ``new``.

    What the new code spells is read at the module's top, where the defs and decorators run.
    """
    imports = names.top_imports
    pytest = spelling(imports, "pytest") or "pytest"
    testcase = found.testcase(names)
    function = _requesting(found.function, name, testcase, spelling(imports, "pytest.mark"), pytest)
    written = module.deep_replace(found.function, function)
    assert isinstance(written, cst.Module)
    if new:
        decorator = spelling(imports, FIXTURE) or f"{pytest}.fixture"
        fixture = _fixture(name, setup, decorator, written.default_indent)
        written = _insert(written, found.index, fixture)
    needs_pytest = (new and not spelling(imports, FIXTURE)) or (
        testcase and not spelling(imports, "pytest.mark")
    )
    return with_pytest(written)[0] if needs_pytest else written


def _base(setter: str) -> str:
    """``test_register_warehouse`` → ``register_warehouse``; ``testWarehouse`` → ``Warehouse``."""
    base = setter.removeprefix("test").lstrip("_")
    return base if base.isidentifier() else f"{setter}_state"


def _fixtures(module: cst.Module, names: ModuleNames) -> dict[str, cst.FunctionDef]:
    """The module's top-level fixture functions, by name."""
    fixtures: dict[str, cst.FunctionDef] = {}
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and any(
            _called(d.decorator, names) == FIXTURE for d in statement.decorators
        ):
            fixtures[statement.name.value] = statement
    return fixtures


def _called(expression: cst.BaseExpression, names: ModuleNames) -> str | None:
    """What ``expression`` names, or what it calls: ``pytest.fixture(scope=…)`` → pytest.fixture."""
    if isinstance(expression, cst.Call):
        expression = expression.func
    return names.qualified(expression)


def _requested(found: Found, names: ModuleNames) -> set[str]:
    """The fixtures the function requests: its parameters, and usefixtures on it or its classes."""
    requested = set(param_names(found.function))
    nodes: tuple[cst.ClassDef | cst.FunctionDef, ...] = (*found.classes, found.function)
    for node in nodes:
        for decorator in node.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Call) and _called(expression, names) == USEFIXTURES:
                requested.update(
                    str(a.value.evaluated_value)
                    for a in expression.args
                    if isinstance(a.value, cst.SimpleString)
                )
    return requested


def _taken(module: cst.Module) -> set[str]:
    """Names a new top-level fixture must not take: every name the module spells, in code or in
    a string (``usefixtures("db")``), since a module's fixture overrides a conftest's."""
    nodes = every_node(module)
    names = {n.value for n in nodes if isinstance(n, cst.Name)}
    strings = {str(n.evaluated_value) for n in nodes if isinstance(n, cst.SimpleString)}
    return names | strings | _TAKEN


def _body(function: cst.FunctionDef | None) -> tuple[str, ...] | None:
    """The code of a function's statements, its docstring left out."""
    if function is None:
        return None
    codes: list[str] = []
    for statement in statements(function):
        if isinstance(statement, cst.SimpleStatementLine):
            codes.extend(code_of(small) for small in statement.body)
        else:  # a block, whole, as the setup holds it
            codes.append(code_of(statement))
    return tuple(codes)


def _requesting(
    function: cst.FunctionDef, name: str, testcase: bool, mark: str | None, pytest: str
) -> cst.FunctionDef:
    if not testcase:
        return with_param(function, name, "None")
    # TestCase methods take no fixture parameters; a usefixtures mark does work on them
    usefixtures = f'{mark or f"{pytest}.mark"}.usefixtures("{name}")'
    return with_decorator(function, cst.Decorator(cst.parse_expression(usefixtures)))


def _fixture(name: str, setup: Setup, decorator: str, indent: str) -> cst.FunctionDef:
    said = setup.said or f"The state that {setup.shown} used to leave behind"
    # black's line length: where most projects' linters start complaining
    end = " " if len(f'{indent}"""{said} (extracted by auditor)."""') <= 88 else f"\n{indent}"
    doc = f'"""{said}{end}(extracted by auditor)."""'
    lines = list(setup.lines)
    first = lines[0]
    assert isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
    lines[0] = first.with_changes(leading_lines=first.leading_lines[_blanks(first.leading_lines) :])
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    params = [p.with_changes(comma=comma) for p in setup.fixtures[:-1]] + list(setup.fixtures[-1:])
    return cst.FunctionDef(
        name=cst.Name(name),
        params=cst.Parameters(params=params),
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
