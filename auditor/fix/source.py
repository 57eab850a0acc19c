"""What every codemod needs: the test function a node id names, the names a module imports,
a fixture parameter added without breaking the signature, ``import pytest`` only when missing.

Codemods return values, never raise for a test they cannot fix: an ``Outcome`` says whether the
code changed, was already fixed, or cannot be fixed, and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from auditor.fix.imports import (
    dotted,
    imported_names,
    pytest_alias,
    qualified,
    with_pytest,
    with_stdlib_import,
)

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


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node).strip().rstrip(";").rstrip()


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


def is_testcase(node: cst.ClassDef, imports: dict[str, str]) -> bool:
    """A ``unittest.TestCase`` subclass (by its bases' names): its methods take no fixtures."""
    for base in node.bases:
        chain = qualified(base.value, imports) or dotted(base.value) or ""
        if chain.split(".")[-1].endswith("TestCase"):
            return True
    return False


class FunctionRewriter(cst.CSTTransformer):
    """Rewrites the statements of one test function; subclasses say how.

    ``statement`` gets each small statement written directly in the function (not in a nested
    function or class) and returns its replacements, or None to keep it. ``finish`` then gets the
    rewritten function, to add parameters. ``found`` and ``testcase`` say what was met.
    """

    def __init__(self, target: Target, imports: dict[str, str]) -> None:
        super().__init__()
        self.target = target
        self.imports = imports
        self.found = False
        self.testcase = False
        self.rewritten: list[str] = []
        self._classes: list[cst.ClassDef] = []
        self._depth = 0  # 1 directly in the target function, more in nested scopes
        self.requested = False  #: the target already requests the fixture the rewrite needs
        self.needs: set[str] = set()  #: modules the rewrite uses: "pytest", "pathlib"

    what = "statement"  #: what it rewrites, for the reason given when there is none
    fixture = ""  #: the fixture its replacements use

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        return None

    def finish(self, node: cst.FunctionDef) -> cst.FunctionDef:
        return node

    def idle(self, code: str) -> Outcome:
        """The outcome when nothing was rewritten: already fixed, or nothing this codemod can do."""
        if self.requested:
            return Outcome(code, "already", f"{self.target} has no {self.what} left to rewrite")
        return Outcome(
            code,
            "unfixable",
            f"no {self.what} in {self.target} itself (it may be in a fixture or a helper)",
        )

    def _is_target(self, node: cst.FunctionDef) -> bool:
        cls = self._classes[-1].name.value if self._classes else None
        return node.name.value == self.target.function and cls == self.target.cls

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if self._depth:
            self._depth += 1
        self._classes.append(node)
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        if self._depth:
            self._depth -= 1
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if self._depth:
            self._depth += 1
        elif self._is_target(node):
            self._depth = 1
            self.found = True
            self.testcase = bool(self._classes) and is_testcase(self._classes[-1], self.imports)
            self.requested = bool(self.fixture) and self.fixture in param_names(node)
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if self._depth == 1:
            self._depth = 0
            return self.finish(updated) if self.rewritten else updated
        if self._depth:
            self._depth -= 1
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        if self._depth:
            self._depth += 1
        return True

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda) -> cst.BaseExpression:
        if self._depth:
            self._depth -= 1
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        if self._depth != 1:
            return updated
        smalls, dropped = self._replaced(updated.body, room=True)
        # comments from inside a rewritten statement (``{"A": "1",  # why``) go above its line
        leading = [
            *updated.leading_lines,
            *(cst.EmptyLine(comment=cst.Comment(c)) for c in dropped),
        ]
        if all(len(group) == 1 for group in smalls):
            return updated.with_changes(body=[group[0] for group in smalls], leading_lines=leading)
        # one statement became several (os.environ.update): one line each, keeping the comments
        unjoined = [s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT) for g in smalls for s in g]
        lines = [cst.SimpleStatementLine(body=[small]) for small in unjoined]
        lines[0] = lines[0].with_changes(leading_lines=leading)
        lines[-1] = lines[-1].with_changes(trailing_whitespace=updated.trailing_whitespace)
        return cst.FlattenSentinel(lines)

    def leave_SimpleStatementSuite(
        self, original: cst.SimpleStatementSuite, updated: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        # the body of a one-line block: ``if x: os.chdir(d)``
        if self._depth != 1:
            return updated
        smalls, _ = self._replaced(updated.body, room=False)
        return updated.with_changes(body=[s for group in smalls for s in group])

    def _replaced(
        self, body: Sequence[cst.BaseSmallStatement], room: bool
    ) -> tuple[list[list[cst.BaseSmallStatement]], list[str]]:
        """Each statement's replacements, and the comments they dropped. Without ``room`` for
        those comments, a statement whose replacements would drop some is kept as it is."""
        smalls: list[list[cst.BaseSmallStatement]] = []
        dropped: list[str] = []
        for small in body:
            replaced = self.statement(small)
            lost = [] if replaced is None else _dropped(small, replaced)
            if replaced is None or (lost and not room):
                smalls.append([small])
            else:
                self.rewritten.append(code_of(small))
                smalls.append(replaced)
                dropped.extend(lost)
        return smalls, dropped


def _dropped(before: cst.CSTNode, after: Sequence[cst.CSTNode]) -> list[str]:
    """The comments in ``before`` that are not in ``after``."""
    kept = Counter(comment for node in after for comment in _comments_in(node))
    lost = []
    for comment in _comments_in(before):
        if kept[comment]:
            kept[comment] -= 1
        else:
            lost.append(comment)
    return lost


def _comments_in(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class _Comments(cst.CSTVisitor):
        def visit_Comment(self, node: cst.Comment) -> None:
            found.append(node.value)

    node.visit(_Comments())
    return found


def call(function: str, *args: cst.BaseExpression | cst.Arg) -> cst.Call:
    """``function(args...)`` with ``function`` a dotted name such as ``monkeypatch.setenv``."""
    return cst.Call(
        func=cst.parse_expression(function),
        args=[a if isinstance(a, cst.Arg) else cst.Arg(a) for a in args],
    )


def parse(code: str) -> cst.Module | Outcome:
    """The module, or an ``unfixable`` Outcome saying why it does not parse."""
    try:
        return cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        return Outcome(code, "unfixable", f"does not parse: {str(exc).splitlines()[0]}")


class MonkeypatchRewriter(FunctionRewriter):
    """A rewriter whose replacements call the ``monkeypatch`` fixture, requested as a parameter
    (annotated ``pytest.MonkeyPatch`` in an annotated test)."""

    fixture = "monkeypatch"

    def finish(self, node: cst.FunctionDef) -> cst.FunctionDef:
        if annotated(node) and self.fixture not in param_names(node):
            self.needs.add("pytest")
        pytest = pytest_alias(self.imports) or "pytest"
        return with_param(node, self.fixture, f"{pytest}.MonkeyPatch")


def apply(code: str, rewriter_for: Callable[[dict[str, str]], FunctionRewriter]) -> Outcome:
    """Run the rewriter built for the module's imports over ``code``; say what happened."""
    module = parse(code)
    if isinstance(module, Outcome):
        return module
    rewriter = rewriter_for(imported_names(module))
    new = module.visit(rewriter)
    if "pytest" in rewriter.needs:
        new, _ = with_pytest(new)
    if "pathlib" in rewriter.needs:
        new = with_stdlib_import(new, "pathlib")
    where = f"{rewriter.target}"
    if not rewriter.found:
        return Outcome(code, "unfixable", f"{where} is not in the file (changed since the audit?)")
    if not rewriter.rewritten:
        return rewriter.idle(code)
    if rewriter.testcase:
        return Outcome(
            code,
            "unfixable",
            f"{where} is a unittest.TestCase method, which cannot take pytest fixtures",
            tuple(rewriter.rewritten),
        )
    return Outcome(new.code, "changed", statements=tuple(rewriter.rewritten))
