"""A hard-coded file, folder or SQLite path that tests share → a path under ``tmp_path``.

Every use of the path in the test is rewritten the same way: the string literal itself, and a
module-level constant holding it (``REPORT_PATH = "build/report.json"``) where the test reads it.
The new path keeps the file's name, so messages and extensions stay the same: a direct argument of
a call becomes ``tmp_path / "report.json"`` (open, sqlite3.connect and pathlib all take paths);
anywhere else ``str(tmp_path / "report.json")``, keeping the type the code had.

A path the test does not spell itself (built by a fixture, a helper or the code under test) cannot
be rewritten here: the fix falls back to a ``serial`` mark keyed by the resource.
"""

from __future__ import annotations

import os.path
from collections.abc import Iterable

import libcst as cst

from auditor.fix.imports import path_annotation
from auditor.fix.names import Names, code_of
from auditor.fix.rewriter import FunctionRewriter, apply
from auditor.fix.source import Outcome, Target, annotated, param_names, with_param


def rewrite(code: str, target: Target, path: str) -> Outcome:
    """Rewrite ``target``'s uses of ``path`` (as the audit recorded it) under ``tmp_path``."""
    return apply(
        code, lambda names: _TmpPath(target, names, path, _constants(names.module.body, path))
    )


def _same(literal: cst.BaseExpression, path: str) -> bool:
    if not isinstance(literal, cst.SimpleString) or "b" in literal.prefix.lower():
        return False
    value = literal.evaluated_value
    return isinstance(value, str) and os.path.normpath(value) == os.path.normpath(path)


def _constants(body: Iterable[cst.CSTNode], path: str) -> set[str]:
    """Module-level names assigned exactly ``path``."""
    names = set()
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and _same(small.value, path):
                names |= {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
            elif (
                isinstance(small, cst.AnnAssign)
                and small.value is not None
                and isinstance(small.target, cst.Name)
                and _same(small.value, path)
            ):
                names.add(small.target.value)
    return names


class _TmpPath(FunctionRewriter):
    what = "use of the path"
    fixture = "tmp_path"

    def __init__(self, target: Target, names: Names, path: str, constants: set[str]) -> None:
        super().__init__(target, names)
        self.path = path
        self.constants = set(constants)
        self._arguments: set[int] = set()  # ids of nodes that are a call's direct argument
        self._not_values: set[int] = set()  # ids of names that are not expressions read
        self._under: set[int] = set()  # ids of literals already under tmp_path: ours

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._depth == 1:
            # a name the test binds itself is not the module's constant any more
            self.constants -= set(param_names(node)) | _bound(node)
        self._not_values.add(id(node.name))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._not_values.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        self._arguments.add(id(node.value))
        if node.keyword is not None:
            self._not_values.add(id(node.keyword))

    def visit_Param(self, node: cst.Param) -> None:
        self._not_values.add(id(node.name))

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        # ``tmp_path / "out"``, as an earlier fix wrote it: when the path is a bare name, its
        # literal there is the same string, and must not be moved under tmp_path again
        left = node.left
        divided = isinstance(node.operator, cst.Divide)
        if divided and isinstance(left, cst.Name) and left.value == self.fixture:
            self._under.add(id(node.right))

    def _replacement(self, original: cst.CSTNode) -> cst.BaseExpression:
        name = os.path.basename(os.path.normpath(self.path)) or "data"
        new = cst.parse_expression(f'tmp_path / "{name}"')
        self.rewritten.append(code_of(original))
        if id(original) in self._arguments:
            return new
        return cst.parse_expression(f'str(tmp_path / "{name}")')

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.BaseExpression:
        if self._depth == 1 and id(original) not in self._under and _same(original, self.path):
            return self._replacement(original)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        reads = id(original) not in self._not_values and original.value in self.constants
        if self._depth == 1 and reads:
            return self._replacement(original)
        return updated

    def finish(self, node: cst.FunctionDef) -> cst.FunctionDef:
        spelled, needs_import = path_annotation(self.names.annotation_imports)
        if needs_import and annotated(node) and self.fixture not in param_names(node):
            self.needs.add("pathlib")
        return with_param(node, self.fixture, spelled)

    def done(self) -> str:
        return f"{self.target} no longer uses {self.path!r}"

    def missing(self) -> str:
        return (
            f"{self.target} neither spells {self.path!r} nor reads a module constant holding it"
            " (a fixture, a helper or the code under test builds it)"
        )


def _bound(function: cst.FunctionDef) -> set[str]:
    """Names assigned in the function (its locals), nested scopes included: cheap and safe."""
    names: set[str] = set()

    class _Targets(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Name):
                names.add(node.target.value)

        def visit_AsName(self, node: cst.AsName) -> None:
            if isinstance(node.name, cst.Name):
                names.add(node.name.value)

        def visit_For(self, node: cst.For) -> None:
            if isinstance(node.target, cst.Name):
                names.add(node.target.value)

    function.body.visit(_Targets())
    return names
