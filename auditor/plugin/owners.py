"""Which module owns an object that several modules bind: one state, named once.

``from pkg.factory import factory`` in pkg.a and pkg.b binds one object in three modules; a
change inside it is named once, under its canonical binding, with the others as its aliases.
The canonical binding is the first of the object's bindings by, in turn:

1. bound in its module by something other than an import statement (an assignment, ``def`` or
   ``class`` at the module's top level, read from the module's source, once, and only when a
   shared object changed): the module that made the binding, not one that imported it;
2. in the object's home module: where a class or function is defined (``__module__``), where an
   instance's class is;
3. the module's name, then the binding's name (so the choice is the same in every run).
"""

from __future__ import annotations

import sys
import types
from typing import Any

Binding = tuple[str, str]  #: (module, name)


class Owners:
    """Orders the bindings of one object, its owner's first; reads a module's source once."""

    def __init__(self) -> None:
        self._bindings: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

    def canonical(self, value: Any, bindings: list[Binding]) -> list[Binding]:
        """``bindings``, the canonical one first."""
        if len(bindings) == 1:
            return bindings
        plain = isinstance(value, (type, types.FunctionType))
        home = getattr(value, "__module__", None) if plain else type(value).__module__

        def rank(binding: Binding) -> tuple[bool, bool, str, str]:
            module, name = binding
            return (self._imported(module, name), module != home, module, name)

        return sorted(bindings, key=rank)

    def _imported(self, module: str, name: str) -> bool:
        """Whether ``module`` binds ``name`` by an import statement (at its top level)."""
        if module not in self._bindings:
            self._bindings[module] = _top_level_bindings(sys.modules.get(module))
        imported, assigned = self._bindings[module]
        return name in imported or ("*" in imported and name not in assigned)


def holders(namespaces: dict[str, dict[str, Any]], value: object) -> list[Binding]:
    """Every binding of ``value`` in the namespaces, in their order."""
    return [
        (module, name)
        for module, namespace in namespaces.items()
        for name, bound in namespace.items()
        if bound is value
    ]


def _top_level_bindings(module: types.ModuleType | None) -> tuple[frozenset[str], frozenset[str]]:
    """The names a module's source binds at its top level (in ``if`` / ``try`` blocks too) by
    import statements only, and otherwise."""
    import ast

    try:
        with open(module.__file__, "rb") as source:  # type: ignore[arg-type, union-attr]
            tree = ast.parse(source.read())
    except (AttributeError, OSError, SyntaxError, TypeError, ValueError):
        return frozenset(), frozenset()
    imported: set[str] = set()
    assigned: set[str] = set()
    nodes: list[ast.AST] = list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assigned.add(node.name)
        else:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                assigned.update(
                    name.id
                    for target in targets
                    for name in ast.walk(target)
                    if isinstance(name, ast.Name)
                )
            nodes += [
                child
                for child in ast.iter_child_nodes(node)
                if isinstance(child, (ast.stmt, ast.excepthandler))
            ]
    return frozenset(imported - assigned), frozenset(assigned)
