"""How a test module can spell a qualified name (``lib.factory.FACTORY`` is ``factory.FACTORY``
after ``from lib import factory``) in code a codemod adds to one of its test functions: through
the module's own imports, never a name the function hides; adding ``import lib.factory`` only
when nothing reaches the module, and never over a name the module binds otherwise.
"""

from __future__ import annotations

import ast
import re
import textwrap

import libcst as cst

from auditor.fix import state
from auditor.fix.names import imported_modules, imported_names, spelling
from auditor.fix.source import Target, param_names


class Unspellable(Exception):
    """A name the test module cannot spell (the message says why and what to do)."""


class Speller:
    """How the test module spells a module or an object, through its module-level imports."""

    def __init__(self, module: cst.Module, target: Target, host: cst.FunctionDef) -> None:
        self.imports = imported_names(module)
        self.dotted = imported_modules(module)
        self.target = target
        self.bound, self.constants = _module_bindings(module)
        self.local = _local_names(host)
        self.added: list[str] = []  #: modules to import
        self.pytest = False  #: an annotation needs ``import pytest``

    def imported_prefix(self, chain: str) -> str | None:
        """The longest name the module imports that ``chain`` is an attribute of."""
        fulls = [*self.imports.values(), *self.dotted]
        inside = [f for f in fulls if chain.startswith(f + ".")]
        return max(inside, key=len, default=None)

    def chain(self, module: str, path: tuple[str, ...]) -> str:
        """``module.path…`` as the test can spell it: the longest imported prefix; else an
        ``import module`` is added. The test module itself is ``sys.modules[__name__]``."""
        if _own(self.target.path, module):
            return ".".join(path) if path else f"{self.chain('sys', ())}.modules[__name__]"
        parts = [*module.split("."), *path]
        size = len(module.split("."))
        best: tuple[int, str] | None = None
        for local, full in [*self.imports.items(), *((d, d) for d in self.dotted)]:
            got = full.split(".")
            if len(got) < size or parts[: len(got)] != got or local.split(".")[0] in self.local:
                continue
            spelled = ".".join([local, *parts[len(got) :]])
            if best is None or (len(got), -len(spelled)) > (best[0], -len(best[1])):
                best = (len(got), spelled)
        if best is not None:
            return best[1]
        head = parts[0]
        if head in self.local or self.imports.get(head, head) != head or head in self.bound:
            raise Unspellable(f"`{head}` names something else in the test; import {module} there")
        if module not in self.added:
            self.added.append(module)
        return ".".join(parts)

    def partial(self) -> str:
        local = spelling(self.imports, "functools.partial")
        if local is not None:
            return local
        functools = spelling(self.imports, "functools")
        return f"{functools or 'functools'}.partial"

    def constant(self, slot: state.Slot, expression: str) -> str:
        """The module constant holding the victim's first value: reused when the module has it."""
        if slot.kind == "cwd":
            tail = ["cwd"]
        elif slot.kind == "env":
            tail = ["env", slot.attr]
        elif slot.project:
            tail = [*slot.path[-1:], slot.attr]
        else:
            tail = [slot.name.partition(":")[2]]
        slug = re.sub(r"\W+", "_", "_".join(tail)).strip("_").upper()
        base = f"_INITIAL_{slug}"
        name, n = base, 1
        while name in self.bound and self.constants.get(name) != meaning(expression):
            n += 1
            name = f"{base}_{n}"
        self.bound.add(name)
        return name


def _own(path: str, module: str) -> bool:
    """Is ``module`` the test module at ``path`` itself (``tests.test_a`` or ``test_a``)?"""
    dotted = path.removesuffix(".py").replace("/", ".")
    return bool(module) and (dotted == module or dotted.endswith("." + module))


def _module_bindings(module: cst.Module) -> tuple[set[str], dict[str, str]]:
    """The names the module binds otherwise than by import, and its constants' expressions."""
    bound: set[str] = set()
    constants: dict[str, str] = {}
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            bound.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            bound.add(target.target.value)
                            constants[target.target.value] = meaning(small.value)
    return bound, {k: v for k, v in constants.items() if k.startswith("_INITIAL_")}


def _local_names(function: cst.FunctionDef) -> set[str]:
    """The parameters and the names the function binds (which hide the module's)."""
    try:
        tree = ast.parse(cst.Module(body=[function]).code)
    except SyntaxError:
        return set(param_names(function))
    names = set(param_names(function))
    for node in ast.walk(tree.body[0]):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def meaning(code: str | cst.CSTNode) -> str:
    """What the code does, whatever its layout and comments (to recognise code written before)."""
    text = code if isinstance(code, str) else cst.Module(body=[]).code_for_node(code)
    try:
        return ast.dump(ast.parse(textwrap.dedent(text).strip()))
    except SyntaxError:
        return text
