"""``import`` statements added to a test module where isort would put them: ``import pytest`` only
when pytest is not imported under any name, and how to spell ``pathlib.Path`` in an annotation."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import libcst as cst

from auditor.fix.names import dotted, imported_modules, imported_names, spelling


def with_pytest(module: cst.Module) -> tuple[cst.Module, str]:
    """The module with ``import pytest`` added when pytest is not imported, and its local name.

    The import goes where isort would put a third-party import: its own group after the
    standard library's imports and before the next group (first-party, usually).
    """
    alias = spelling(imported_names(module), "pytest")
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
    return module.with_changes(body=[*body[:at], line, *_apart(body[at:])]), "pytest"


def with_stdlib_import(module: cst.Module, name: str) -> cst.Module:
    """The module with ``import name`` (a standard-library module) at the end of its
    standard-library imports, unless the module imports it already."""
    if name in imported_names(module).values():
        return module
    body = list(module.body)
    at = _third_party_slot(body)
    # isort's place: among the plain imports of the group, in alphabetical order (never above
    # ``from __future__``, which must come first)
    while (
        at > 0
        and _is_import(body[at - 1])
        and _top_module(body[at - 1]) != "__future__"
        and not _plain_before(body[at - 1], name)
    ):
        at -= 1
    after_future = at > 0 and _is_import(body[at - 1]) and _top_module(body[at - 1]) == "__future__"
    after_import = at > 0 and _is_import(body[at - 1]) and not after_future
    if at < len(body) and _is_import(body[at]) and body[at].leading_lines and not after_import:
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
    if at < len(body) and _is_import(body[at]) and _top_module(body[at]) not in _STDLIB:
        # the first import of the file, of another group: set apart from the new one
        body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine(), *_comments(body[at])])
    return module.with_changes(body=[*body[:at], line, *_apart(body[at:])])


def with_import(module: cst.Module, name: str) -> cst.Module:
    """The module with ``import name`` (dotted or not), unless it imports it already: a
    standard-library module as :func:`with_stdlib_import` adds it; any other among the imports
    of its own package (plain imports first, in order, as isort sorts them), else in a group of
    its own at the end of the module's top block of imports."""
    if name in _STDLIB:
        return with_stdlib_import(module, name)
    if name in imported_names(module).values() or name in imported_modules(module):
        return module
    body = list(module.body)
    end = start = _third_party_slot(body)
    while end < len(body) and _is_import(body[end]):
        end += 1
    line = cst.parse_statement(f"import {name}\n")
    assert isinstance(line, cst.SimpleStatementLine)
    top = name.split(".")[0]
    group = [i for i in range(start, end) if _top_module(body[i]) == top]
    if not group:
        if end:  # a group of its own, after the imports (or the docstring)
            line = line.with_changes(leading_lines=[cst.EmptyLine()])
        return module.with_changes(body=[*body[:end], line, *_apart(body[end:])])
    at = group[0]
    while at <= group[-1] and _plain_before(body[at], name):
        at += 1
    if at == group[0]:  # the group's first line: its blank lines and comments move up
        line = line.with_changes(leading_lines=body[at].leading_lines)
        body[at] = body[at].with_changes(leading_lines=[])
    return module.with_changes(body=[*body[:at], line, *body[at:]])


def _apart(after: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The statements after a new import, the first one set apart from it as isort and black
    leave code after the imports: two blank lines before a def or a class, one before the rest."""
    rest = list(after)
    if not rest or _is_import(rest[0]) or any(line.comment is None for line in _leading(rest[0])):
        return rest
    definition = isinstance(rest[0], (cst.FunctionDef, cst.ClassDef))
    blanks = [cst.EmptyLine() for _ in range(2 if definition else 1)]
    rest[0] = rest[0].with_changes(leading_lines=[*blanks, *_leading(rest[0])])
    return rest


def _plain_before(statement: cst.BaseStatement, name: str) -> bool:
    """Does an ``import name`` go after this import statement, as isort orders a group?"""
    assert isinstance(statement, cst.SimpleStatementLine)
    first = statement.body[0]
    return isinstance(first, cst.Import) and _top_module(statement) <= name


def path_annotation(imports: dict[str, str]) -> tuple[str, bool]:
    """How to spell ``pathlib.Path`` in this module, and whether ``import pathlib`` is needed."""
    path = spelling(imports, "pathlib.Path")
    if path is not None:
        return path, False
    pathlib = spelling(imports, "pathlib")
    if pathlib is not None:
        return f"{pathlib}.Path", False
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
