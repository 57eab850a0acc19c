"""What every codemod needs: the test function a node id names, found in the module; a fixture
parameter added without breaking the signature; a decorator added above the others.

Codemods return values, never raise for a test they cannot fix: an ``Outcome`` says whether the
code changed, was already fixed, or cannot be fixed, and why.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from auditor.fix.names import Names, dotted

Status = Literal["changed", "already", "unfixable"]


@dataclass(frozen=True)
class Target:
    """One test function: its file (relative to the project), its class if any, its name."""

    path: str
    cls: str | None
    function: str

    @classmethod
    def of(cls, nodeid: str) -> Target:
        """``tests/a.py::TestX::test_y[1]`` → ``Target("tests/a.py", "TestX", "test_y")``."""
        path, *names = nodeid.split("::")
        if not names:
            raise ValueError(f"{nodeid!r} names a file, not a test")
        names = [name.split("[", 1)[0] for name in names]
        return cls(path, names[-2] if len(names) > 1 else None, names[-1])

    def __str__(self) -> str:
        return "::".join(p for p in (self.path, self.cls, self.function) if p)


@dataclass(frozen=True)
class Outcome:
    """A codemod's answer for one module."""

    code: str
    status: Status
    reason: str = ""  #: why it is already fixed or cannot be fixed
    statements: tuple[str, ...] = ()  #: the statements rewritten, as they were written


def param_names(function: cst.FunctionDef) -> list[str]:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return [p.name.value for p in every]


def annotated(function: cst.FunctionDef) -> bool:
    """Does the function carry type annotations (so a new parameter should too)?"""
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return function.returns is not None or any(p.annotation is not None for p in every)


def with_param(
    function: cst.FunctionDef, name: str, annotation: str | None = None
) -> cst.FunctionDef:
    """``function`` requesting the fixture ``name``: before the first defaulted parameter (a
    parameter without a default cannot follow one), so ``*args`` and defaults keep working.
    ``annotation`` is given to the new parameter when the function is annotated."""
    if name in param_names(function):
        return function
    params = list(function.params.params)
    at = next((i for i, p in enumerate(params) if p.default is not None), len(params))
    new = cst.Param(cst.Name(name))
    if annotation and annotated(function):
        new = new.with_changes(annotation=cst.Annotation(cst.parse_expression(annotation)))
    comma = _separator(function)
    if at == len(params) and params:
        # the new last parameter takes over what closed the list: a trailing comma stays
        # trailing, the line break before ``)`` stays there: (self, capsys,) -> (self, capsys, x,)
        last, closing = params[-1], params[-1].comma
        broken = _lines(closing) if isinstance(closing, cst.Comma) else None
        if isinstance(closing, cst.Comma) and broken and _lines(comma):
            # the comment ending the last parameter's line stays with it
            comma = comma.with_changes(whitespace_after=_lines(comma, broken.first_line))
            closing = closing.with_changes(
                whitespace_after=_lines(closing, cst.TrailingWhitespace())
            )
        params[-1] = last.with_changes(comma=comma, whitespace_after_param=cst.SimpleWhitespace(""))
        new = new.with_changes(comma=closing, whitespace_after_param=last.whitespace_after_param)
    elif at < len(params):
        new = new.with_changes(comma=comma)
    params.insert(at, new)
    return function.with_changes(params=function.params.with_changes(params=params))


def _separator(function: cst.FunctionDef) -> cst.Comma:
    """The comma between two parameters as the signature writes it: one per line or not."""
    params = function.params.params
    if len(params) > 1 and isinstance(params[0].comma, cst.Comma):
        comma = params[0].comma
    else:
        comma = cst.Comma(whitespace_after=function.whitespace_before_params)
    if _lines(comma):
        # one per line; the copy leaves behind the comment ending the line it came from
        return comma.with_changes(whitespace_after=_lines(comma, cst.TrailingWhitespace()))
    return comma if len(params) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _lines(
    comma: cst.Comma, first_line: cst.TrailingWhitespace | None = None
) -> cst.ParenthesizedWhitespace | None:
    """The line break after ``comma``, if it is followed by one (with ``first_line`` put in)."""
    after = comma.whitespace_after
    if not isinstance(after, cst.ParenthesizedWhitespace):
        return None
    return after if first_line is None else after.with_changes(first_line=first_line)


def is_testcase(node: cst.ClassDef, names: Names, seen: frozenset[str] = frozenset()) -> bool:
    """A ``unittest.TestCase`` subclass (by its bases' names, and the bases of a base class the
    module itself defines: ``class TestShop(ShopTest)`` after ``class ShopTest(TestCase)``):
    its methods take no fixtures."""
    for base in node.bases:
        chain = names.qualified(base.value) or dotted(base.value) or ""
        if chain.split(".")[-1].endswith("TestCase"):
            return True
        if isinstance(base.value, cst.Name) and base.value.value not in seen:
            own = _top_class(names.module, base.value.value)
            if own is not None and is_testcase(own, names, seen | {base.value.value}):
                return True
    return False


def _top_class(module: cst.Module, name: str) -> cst.ClassDef | None:
    """The class ``name`` the module defines at its top (the last definition), if any."""
    found = None
    for statement in module.body:
        if isinstance(statement, cst.ClassDef) and statement.name.value == name:
            found = statement
    return found


def with_decorator(function: cst.FunctionDef, decorator: cst.Decorator) -> cst.FunctionDef:
    """``function`` with ``decorator`` above the decorators already there (below the def's
    leading comments): a mark applied inside a decorator that returns a wrapper of its own,
    without ``functools.wraps``, marks a function pytest never sees (knack's ``@redirect_io``
    dropped 17 serial marks so)."""
    return function.with_changes(decorators=[decorator, *function.decorators])


@dataclass(frozen=True)
class Found:
    """Where the test function a ``Target`` names is in its module."""

    index: int  #: of the top-level statement holding the function
    classes: tuple[cst.ClassDef, ...]  #: the classes it is in, outermost first
    function: cst.FunctionDef

    def testcase(self, names: Names) -> bool:
        """Is it a ``unittest.TestCase`` method, which takes no fixtures?"""
        return bool(self.classes) and is_testcase(self.classes[-1], names)


def find(module: cst.Module, target: Target) -> Found | None:
    """The function ``target`` names (a test, so not one nested in another function); the last
    of two definitions, the one pytest collects."""
    found = None
    for index, statement in enumerate(module.body):
        finder = _Find(target)
        statement.visit(finder)
        if finder.found is not None:
            found = Found(index, *finder.found)
    return found


class _Find(cst.CSTVisitor):
    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.found: tuple[tuple[cst.ClassDef, ...], cst.FunctionDef] | None = None
        self._classes: list[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        cls = self._classes[-1].name.value if self._classes else None
        if (node.name.value, cls) == (self.target.function, self.target.cls):
            self.found = (tuple(self._classes), node)
        return False  # a function nested in another is not a test


def call(function: str, *args: cst.BaseExpression | cst.Arg) -> cst.Call:
    """``function(args...)`` with ``function`` a dotted name such as ``monkeypatch.setenv``."""
    return cst.Call(
        func=cst.parse_expression(function),
        args=[a if isinstance(a, cst.Arg) else cst.Arg(a) for a in args],
    )


def no_raise() -> cst.Arg:
    """``raising=False``, as black writes a keyword argument."""
    whitespace = cst.SimpleWhitespace("")
    return cst.Arg(
        cst.Name("False"),
        keyword=cst.Name("raising"),
        equal=cst.AssignEqual(whitespace, whitespace),
    )


def not_found(code: str, target: Target) -> Outcome:
    """The outcome for a test that is not in its file."""
    return Outcome(code, "unfixable", f"{target} is not in the file (changed since the audit?)")


def parse(code: str) -> cst.Module | Outcome:
    """The module, or an ``unfixable`` Outcome saying why it does not parse."""
    try:
        return _parsed(code)
    except cst.ParserSyntaxError as exc:
        return Outcome(code, "unfixable", f"does not parse: {str(exc).splitlines()[0]}")


@functools.lru_cache(maxsize=8)
def _parsed(code: str) -> cst.Module:
    """A module parsed once for the edits that read the same text (libcst's trees never
    change): a serial fix of every test a resource's footprints name edits one file dozens of
    times, and each of the findings of that resource asks again (knack: 138 tests, 61
    findings)."""
    return cst.parse_module(code)


def located(code: str, target: Target) -> tuple[cst.Module, Found] | Outcome:
    """The module and where ``target`` is in it, or the ``unfixable`` Outcome saying why not
    (it does not parse, the test is not there)."""
    module = parse(code)
    if isinstance(module, Outcome):
        return module
    found = find(module, target)
    return not_found(code, target) if found is None else (module, found)


def docstring(statement: cst.BaseStatement) -> bool:
    """Is ``statement`` a string on its own line (a function's docstring, when first)?"""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def set_up(found: Found, name: str = "setUp") -> cst.FunctionDef | None:
    """The ``setUp`` (or ``name``: ``setUpClass``) the class of a ``TestCase`` test defines
    itself, if it does."""
    block = found.classes[-1].body
    for statement in block.body if isinstance(block, cst.IndentedBlock) else ():
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return statement
    return None
