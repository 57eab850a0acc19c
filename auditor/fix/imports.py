"""Names and imports in a test module: what a name means through its imports, and ``import``
statements added where isort would put them (``import pytest`` only when pytest is not imported
under any name)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import libcst as cst


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node).strip()


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
                        names[_code(alias.asname.name)] = full
                    else:
                        head = full.split(".")[0]
                        names[head] = head
            elif isinstance(small, cst.ImportFrom) and not small.relative and small.module:
                if isinstance(small.names, cst.ImportStar):
                    continue
                base = dotted(small.module)
                for alias in small.names:
                    name = _code(alias.name)
                    local = _code(alias.asname.name) if alias.asname else name
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
