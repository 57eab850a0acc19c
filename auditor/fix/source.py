"""What every codemod needs: the test function a node id names, the names a module imports,
a fixture parameter added without breaking the signature, ``import pytest`` only when missing.

Codemods return values, never raise for a test they cannot fix: an ``Outcome`` says whether the
code changed, was already fixed, or cannot be fixed, and why.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst

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


def imported_names(module: cst.Module) -> dict[str, str]:
    """Names bound by the module's top-level imports → what they name.

    ``import a.b`` binds ``a``; ``import a.b as x`` binds ``x`` → ``a.b``; ``from a import b``
    binds ``b`` → ``a.b``. Relative and star imports are left out.
    """
    names: dict[str, str] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = dotted(alias.name) or ""
                    if alias.asname is not None:
                        names[code_of(alias.asname.name)] = full
                    else:
                        head = full.split(".")[0]
                        names[head] = head
            elif isinstance(small, cst.ImportFrom) and not small.relative and small.module:
                if isinstance(small.names, cst.ImportStar):
                    continue
                base = dotted(small.module)
                for alias in small.names:
                    name = code_of(alias.name)
                    local = code_of(alias.asname.name) if alias.asname else name
                    names[local] = f"{base}.{name}"
    return names


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def qualified(node: cst.BaseExpression, imports: dict[str, str]) -> str | None:
    """What a name chain means through the module's imports: ``config.X`` → ``shop.config.X``."""
    chain = dotted(node)
    if chain is None:
        return None
    head, _, rest = chain.partition(".")
    if head not in imports:
        return None
    return f"{imports[head]}.{rest}" if rest else imports[head]


def pytest_alias(imports: dict[str, str]) -> str | None:
    """The local name of the ``pytest`` module (``pt`` after ``import pytest as pt``), if any."""
    return next((local for local, full in imports.items() if full == "pytest"), None)


def with_pytest(module: cst.Module) -> tuple[cst.Module, str]:
    """The module with ``import pytest`` added when pytest is not imported, and its local name.

    The import goes where isort would put a third-party import: its own group after the
    standard library's imports and before the next group (first-party, usually).
    """
    alias = pytest_alias(imported_names(module))
    if alias is not None:
        return module, alias
    body = list(module.body)
    at = _third_party_slot(body)
    blank = cst.EmptyLine()
    leading: list[cst.EmptyLine] = [blank] if at else []
    if at < len(body) and _is_import(body[at]):
        # a group of its own, before the next group, whose comments stay with it
        nxt = body[at]
        body[at] = nxt.with_changes(leading_lines=[blank, *_comments(nxt)])
    line = cst.SimpleStatementLine(
        body=[cst.Import(names=[cst.ImportAlias(cst.Name("pytest"))])], leading_lines=leading
    )
    return module.with_changes(body=[*body[:at], line, *body[at:]]), "pytest"


def with_stdlib_import(module: cst.Module, name: str) -> cst.Module:
    """The module with ``import name`` (a standard-library module) at the end of its
    standard-library imports, unless the module imports it already."""
    if name in imported_names(module).values():
        return module
    body = list(module.body)
    at = _third_party_slot(body)
    # isort's place: among the plain imports of the group, in alphabetical order
    while at > 0 and _is_import(body[at - 1]) and not _plain_before(body[at - 1], name):
        at -= 1
    after_import = at > 0 and _is_import(body[at - 1])
    if at < len(body) and _is_import(body[at]) and body[at].leading_lines:
        # taking the first place of the group: its blank lines move up with it
        line_lead = list(body[at].leading_lines)
        same_group = _top_module(body[at]) in _STDLIB
        rest = [] if same_group else [cst.EmptyLine(), *_comments(body[at])]
        body[at] = body[at].with_changes(leading_lines=rest)
        line = cst.SimpleStatementLine(
            body=[cst.Import(names=[cst.ImportAlias(cst.Name(name))])], leading_lines=line_lead
        )
        return module.with_changes(body=[*body[:at], line, *body[at:]])
    line = cst.SimpleStatementLine(
        body=[cst.Import(names=[cst.ImportAlias(cst.Name(name))])],
        leading_lines=[] if after_import or not at else [cst.EmptyLine()],
    )
    return module.with_changes(body=[*body[:at], line, *body[at:]])


def _plain_before(statement: cst.BaseStatement, name: str) -> bool:
    """Does an ``import name`` go after this import statement, as isort orders a group?"""
    assert isinstance(statement, cst.SimpleStatementLine)
    first = statement.body[0]
    return isinstance(first, cst.Import) and _top_module(statement) <= name


def path_annotation(imports: dict[str, str]) -> tuple[str, bool]:
    """How to spell ``pathlib.Path`` in this module, and whether ``import pathlib`` is needed."""
    for local, full in imports.items():
        if full == "pathlib.Path":
            return local, False
    for local, full in imports.items():
        if full == "pathlib":
            return f"{local}.Path", False
    return "pathlib.Path", True


_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


def _comments(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    return [line for line in _leading(statement) if line.comment is not None]


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and isinstance(
        statement.body[0], (cst.Import, cst.ImportFrom)
    )


def _leading(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    return getattr(statement, "leading_lines", ())


def _top_module(statement: cst.BaseStatement) -> str:
    assert isinstance(statement, cst.SimpleStatementLine)
    first = statement.body[0]
    if isinstance(first, cst.Import):
        return (dotted(first.names[0].name) or "").split(".")[0]
    if isinstance(first, cst.ImportFrom):
        if first.relative or first.module is None:
            return "."
        return (dotted(first.module) or "").split(".")[0]
    return ""


def _third_party_slot(body: Sequence[cst.BaseStatement]) -> int:
    """Index before which a third-party import goes: after the docstring and the standard
    library's imports, at the start of the first other group of the top import block."""
    at = 0
    if body and isinstance(body[0], cst.SimpleStatementLine):
        first = body[0].body[0]
        if isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString):
            at = 1
    while at < len(body) and _is_import(body[at]) and _top_module(body[at]) in _STDLIB:
        at += 1
    return at


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
