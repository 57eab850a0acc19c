"""The rewriter the statement codemods share (environ, chdir, module globals, tmp_path): it rewrites
what is written directly in one test function, adds the fixture the rewrite uses as a parameter,
and says what it rewrote, or what it looked for and did not find.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import cast

import libcst as cst

from auditor.fix.imports import with_pytest, with_stdlib_import
from auditor.fix.names import Names, code_of, dotted, names_of, short, spelling
from auditor.fix.source import (
    Outcome,
    Target,
    annotated,
    find,
    not_found,
    param_names,
    parse,
    with_param,
)

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


class FunctionRewriter(cst.CSTTransformer):
    """Rewrites the statements of one test function; subclasses say how.

    It visits the test function only. ``statement`` gets each small statement written directly in
    the function (not in a nested function, class or lambda), as parsed, so that ``names`` can
    tell what it spells, and returns its replacements, or None to keep it. ``finish`` then gets
    the rewritten function, to add parameters.
    """

    what = "statement"  #: what it rewrites, for the reasons it gives
    sought = ""  #: what it looks for, in full (``what`` when empty)
    fixture = ""  #: the fixture its replacements use

    def __init__(self, target: Target, names: Names) -> None:
        super().__init__()
        self.target = target
        self.names = names
        self.rewritten: list[str] = []  #: the statements rewritten, as written
        self.missed: list[str] = []  #: statements that looked like candidates, and why left
        self.requested = False  #: the target already requests the fixture the rewrite needs
        self.needs: set[str] = set()  #: modules the rewrite uses: "pytest", "pathlib"
        self._depth = 0  # 1 directly in the test function, more in the scopes nested in it

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        return None

    def finish(self, node: cst.FunctionDef) -> cst.FunctionDef:
        return node

    def means(self, statement: cst.CSTNode, node: cst.BaseExpression, wanted: str) -> bool:
        """Does the chain ``node`` name ``wanted`` (``os.environ``)? A chain that only looks
        like it (``os.environ`` where ``os`` is not imported, ``environ`` imported from another
        module) is noted as missed; the test's own variables are not (``ftp.chdir``)."""
        if self.names.qualified(node) == wanted:
            return True
        spelled = dotted(node)
        looks = spelled is not None and spelled.split(".")[-1] == wanted.split(".")[-1]
        if looks and not self.names.own(node):
            self.miss(statement, self.names.why_not(node))
        return False

    def miss(self, statement: cst.CSTNode, why: str) -> None:
        """Note a statement left as it is although it looked like one to rewrite."""
        self.missed.append(f"in `{short(code_of(statement))}`, {why}")

    def idle(self, code: str) -> Outcome:
        """The outcome when nothing was rewritten: already fixed, or nothing this codemod can do."""
        if self.requested:
            return Outcome(code, "already", self.done())
        return Outcome(code, "unfixable", self.missing())

    def done(self) -> str:
        """Why a test that requests the fixture and has nothing left to rewrite is fixed."""
        left = f" (left as written: {'; '.join(self.missed)})" if self.missed else ""
        return f"{self.target} has no {self.what} left to rewrite{left}"

    def missing(self) -> str:
        """What it looked for in the test and did not find, or found in a form it cannot rewrite."""
        if self.missed:
            found = "; ".join(self.missed)
            return f"no {self.what} in {self.target} that can be rewritten: {found}"
        looked = self.sought or self.what
        return f"no {looked} in {self.target} (the leak may be in a fixture or a helper it calls)"

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _SCOPES):
            if not self._depth and isinstance(node, cst.FunctionDef):
                self.requested = bool(self.fixture) and self.fixture in param_names(node)
            self._depth += 1
        return super().on_visit(node)

    def on_leave(
        self, original_node: cst.CSTNodeT, updated_node: cst.CSTNodeT
    ) -> cst.CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNodeT]:
        left = super().on_leave(original_node, updated_node)
        if isinstance(original_node, _SCOPES):
            self._depth -= 1
            if not self._depth and self.rewritten and isinstance(left, cst.FunctionDef):
                return cast(cst.CSTNodeT, self.finish(left))  # the test function it left
        return left

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        if self._depth != 1:
            return updated
        smalls, dropped = self._replaced(original.body, updated.body, room=True)
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
        smalls, _ = self._replaced(original.body, updated.body, room=False)
        return updated.with_changes(body=[s for group in smalls for s in group])

    def _replaced(
        self,
        originals: Sequence[cst.BaseSmallStatement],
        body: Sequence[cst.BaseSmallStatement],
        room: bool,
    ) -> tuple[list[list[cst.BaseSmallStatement]], list[str]]:
        """Each statement's replacements, and the comments they dropped. Without ``room`` for
        those comments, a statement whose replacements would drop some is kept as it is."""
        smalls: list[list[cst.BaseSmallStatement]] = []
        dropped: list[str] = []
        for original, small in zip(originals, body, strict=True):
            replaced = self.statement(original)
            lost = [] if replaced is None else _dropped(original, replaced)
            if replaced is not None and lost and not room:
                self.miss(original, "a one-line block has no room for the comments it holds")
            if replaced is None or (lost and not room):
                smalls.append([small])
            else:
                self.rewritten.append(code_of(original))
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


class MonkeypatchRewriter(FunctionRewriter):
    """A rewriter whose replacements call the ``monkeypatch`` fixture, requested as a parameter
    (annotated ``pytest.MonkeyPatch`` in an annotated test)."""

    fixture = "monkeypatch"

    def finish(self, node: cst.FunctionDef) -> cst.FunctionDef:
        pytest = spelling(self.names.annotation_imports, "pytest")
        if pytest is None and annotated(node) and self.fixture not in param_names(node):
            self.needs.add("pytest")
        return with_param(node, self.fixture, f"{pytest or 'pytest'}.MonkeyPatch")


def apply(code: str, rewriter_for: Callable[[Names], FunctionRewriter]) -> Outcome:
    """Run the rewriter built for the module's names over its test function; say what happened."""
    module = parse(code)
    if isinstance(module, Outcome):
        return module
    names = names_of(module)
    rewriter = rewriter_for(names)
    found = find(module, rewriter.target)
    if found is None:
        return not_found(code, rewriter.target)
    function = found.function.visit(rewriter)
    assert isinstance(function, cst.FunctionDef)
    if not rewriter.rewritten:
        return rewriter.idle(code)
    if found.testcase(names):
        return Outcome(
            code,
            "unfixable",
            f"{rewriter.target} is a unittest.TestCase method, which cannot take pytest fixtures",
            tuple(rewriter.rewritten),
        )
    new = module.deep_replace(found.function, function)
    assert isinstance(new, cst.Module)
    if "pytest" in rewriter.needs:
        new, _ = with_pytest(new)
    if "pathlib" in rewriter.needs:
        new = with_stdlib_import(new, "pathlib")
    return Outcome(new.code, "changed", statements=tuple(rewriter.rewritten))
