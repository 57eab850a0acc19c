"""Tests sharing a resource that cannot be rewritten (a fixed port the code under test needs, an
external service) → ``@pytest.mark.serial("port:18765")`` on each of them.

Keyed, so that only the tests sharing the key wait for each other and the rest of the suite keeps
running in parallel; a bare ``@pytest.mark.serial`` (the test runs alone) only when no key is known.
``auditor run`` and any xdist run with auditor's plugin honour the mark; the marker is registered in
the project's pytest configuration by ``auditor.fix.markers``.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from auditor.fix.imports import imported_names, qualified, with_pytest
from auditor.fix.source import Outcome, Target, parse

MARK = "pytest.mark.serial"


def rewrite(code: str, target: Target, keys: Sequence[str] = ()) -> Outcome:
    """Mark ``target`` serial for ``keys`` (exclusive when there are none)."""
    module = parse(code)
    if isinstance(module, Outcome):
        return module
    imports = imported_names(module)
    finder = _Find(target)
    module.visit(finder)
    if finder.function is None:
        return Outcome(code, "unfixable", f"{target} is not in the file (changed since the audit?)")
    have = _serial_keys(finder.function, imports)
    if have is not None and (not have or set(keys) <= set(have)):
        return Outcome(code, "already", f"{target} is already marked serial")
    missing = [k for k in keys if k not in (have or ())]
    prefix = next((local for local, full in imports.items() if full == "pytest.mark"), None)
    if prefix is None:
        module, alias = with_pytest(module)
        prefix = f"{alias}.mark"
    arguments = ", ".join(f'"{k}"' for k in missing)
    mark = f"{prefix}.serial({arguments})" if missing else f"{prefix}.serial"
    decorator = cst.Decorator(cst.parse_expression(mark))
    new = module.visit(_Decorate(target, decorator))
    return Outcome(new.code, "changed", statements=(f"@{mark}",))


def _serial_keys(function: cst.FunctionDef, imports: dict[str, str]) -> tuple[str, ...] | None:
    """The keys of the function's serial marks (empty for a bare one), None when it has none."""
    keys: list[str] = []
    marked = False
    for decorator in function.decorators:
        expression = decorator.decorator
        called = expression if isinstance(expression, cst.Call) else None
        if qualified(called.func if called else expression, imports) != MARK:
            continue
        marked = True
        if called is None or not called.args:
            return ()
        for arg in called.args:
            if isinstance(arg.value, cst.SimpleString):
                keys.append(str(arg.value.evaluated_value))
    return tuple(keys) if marked else None


class _Find(cst.CSTVisitor):
    def __init__(self, target: Target) -> None:
        self.target = target
        self.function: cst.FunctionDef | None = None
        self._classes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        cls = self._classes[-1] if self._classes else None
        if node.name.value == self.target.function and cls == self.target.cls:
            self.function = node
        return False  # nested functions are not tests


class _Decorate(cst.CSTTransformer):
    def __init__(self, target: Target, decorator: cst.Decorator) -> None:
        super().__init__()
        self.target = target
        self.decorator = decorator
        self._classes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        cls = self._classes[-1] if self._classes else None
        if updated.name.value != self.target.function or cls != self.target.cls:
            return updated
        # the mark goes right above the def, below the decorators already there; the def's
        # leading comments move up with the first decorator
        if updated.decorators:
            return updated.with_changes(decorators=[*updated.decorators, self.decorator])
        return updated.with_changes(
            decorators=[self.decorator.with_changes(leading_lines=updated.leading_lines)],
            leading_lines=[],
        )
