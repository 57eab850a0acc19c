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

from auditor.fix.imports import with_pytest
from auditor.fix.names import Names, names_of, spelling
from auditor.fix.source import Outcome, Target, located, with_decorator

MARK = "pytest.mark.serial"


def rewrite(code: str, target: Target, keys: Sequence[str] = ()) -> Outcome:
    """Mark ``target`` serial for ``keys`` (exclusive when there are none)."""
    where = located(code, target)
    if isinstance(where, Outcome):
        return where
    module, found = where
    names = names_of(module)
    have = _serial_keys(found.function, names)
    if have is not None and (not have or set(keys) <= set(have)):
        return Outcome(code, "already", f"{target} is already marked serial")
    decorator, imported = _mark(names, [k for k in keys if k not in (have or ())])
    function = with_decorator(found.function, cst.Decorator(cst.parse_expression(decorator)))
    new = module.deep_replace(found.function, function)
    assert isinstance(new, cst.Module)
    if not imported:
        new, _ = with_pytest(new)
    return Outcome(new.code, "changed", statements=(f"@{decorator}",))


def _mark(names: Names, keys: list[str]) -> tuple[str, bool]:
    """The serial mark for ``keys`` as the module spells pytest, and whether it imports pytest.

    The mark is read where the def runs, at the module's top: a name the test imports for itself
    does not reach it.
    """
    mark = spelling(names.top_imports, "pytest.mark")
    pytest = spelling(names.top_imports, "pytest")
    prefix = mark or f"{pytest or 'pytest'}.mark"
    arguments = ", ".join(f'"{k}"' for k in keys)
    return f"{prefix}.serial({arguments})" if keys else f"{prefix}.serial", bool(mark or pytest)


def _serial_keys(function: cst.FunctionDef, names: Names) -> tuple[str, ...] | None:
    """The keys of the function's serial marks (empty for a bare one), None when it has none."""
    keys: list[str] = []
    marked = False
    for decorator in function.decorators:
        expression = decorator.decorator
        called = expression if isinstance(expression, cst.Call) else None
        if names.qualified(called.func if called else expression) != MARK:
            continue
        marked = True
        if called is None or not called.args:
            return ()
        for arg in called.args:
            if isinstance(arg.value, cst.SimpleString):
                keys.append(str(arg.value.evaluated_value))
    return tuple(keys) if marked else None
