"""The names a piece of code depends on, and whether they mean the same in another module: what
lets the fixture codemod copy a state-setter's setup into another test's module and know it still
calls the same things.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import libcst as cst
from libcst.metadata import (
    Access,
    Assignment,
    BaseAssignment,
    BuiltinAssignment,
    GlobalScope,
    Scope,
    ScopeProvider,
)

from auditor.fix.names import Names, bound_by, code_of, dotted


class ModuleNames(Names):
    """What the names at the top of one module are bound to, and which of them code uses."""

    def __init__(self, module: cst.Module, path: str) -> None:
        super().__init__(module)
        self.path = path
        self.star = any(
            isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar)
            for statement in module.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
        )

    @cached_property
    def globals(self) -> GlobalScope:
        scope = self.scope(self.module)
        assert isinstance(scope, GlobalScope)
        return scope

    @cached_property
    def accesses(self) -> list[Access]:
        """Every use of a name in the module, in order."""
        self._resolved()
        every = self.metadata[ScopeProvider].values()
        scopes = dict.fromkeys(s for s in every if isinstance(s, Scope))  # in order
        return [access for scope in scopes for access in scope.accesses]

    def meaning(self, name: str) -> tuple[str, ...]:
        """How the module binds ``name``: the names it imports, or the binding statements' code;
        empty for a builtin or an unbound name."""
        bindings = (
            a
            for a in self.globals.assignments[name]
            if isinstance(a, Assignment) and a.scope is self.globals
        )
        return tuple(sorted({self._binding(a.node, name) for a in bindings}))

    def _binding(self, node: cst.CSTNode, name: str) -> str:
        if isinstance(node, cst.ImportFrom) and node.relative:
            # the same text means the same module only from the same package
            return f"{posixpath.dirname(self.path)}: {code_of(node)}"
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name) or ""
                # `import a.b` binds `a` and `a.b`, and loads `a.b`: unlike `import a`
                plain = alias.asname is None and "." in full
                if plain and (full == name or full.startswith(f"{name}.")):
                    return f"import {full}"
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            return f"= {bound_by(node).get(name)}"
        return code_of(self._statement(node).with_changes(leading_lines=[]))

    def _statement(self, node: cst.CSTNode) -> cst.BaseStatement:
        """The top-level statement ``node`` is in."""
        return self._statements[id(node)]

    @cached_property
    def _statements(self) -> dict[int, cst.BaseStatement]:
        return {id(n): top for top in self.module.body for n in every_node(top)}

    def closure(self, names: set[str]) -> set[str]:
        """``names`` and the module-level names their definitions use, and theirs: a helper
        defined the same way in two modules still differs when the globals it reads do."""
        todo, seen = list(names), set(names)
        while todo:
            name = todo.pop()
            for binding in self.globals.assignments[name]:
                if not isinstance(binding, Assignment) or isinstance(
                    binding.node, (cst.Import, cst.ImportFrom)
                ):
                    continue
                new = self.uses(self._statement(binding.node)) - seen
                seen |= new
                todo.extend(new)
        return seen

    def uses(self, *nodes: cst.CSTNode) -> set[str]:
        """The module-level and builtin names used in ``nodes``."""
        inside = {id(node) for node in every_node(*nodes)}
        return {
            r.name
            for access in self.accesses
            if id(access.node) in inside
            for r in access.referents
            if isinstance(r, BuiltinAssignment) or r.scope is self.globals
        }


@dataclass(frozen=True)
class Free:
    """What the statements of a state-setter's setup use from outside them."""

    names: set[str]  #: module-level and builtin names
    params: set[str]  #: the state-setter's parameters: its fixtures, or parametrized arguments
    #: variables the setup sets that only the state-setter's later statements read (a copy of
    #: the setup needs the call, not the name)
    unread: set[str]


def free_names(names: ModuleNames, smalls: Sequence[cst.CSTNode], shown: str) -> Free | str:
    """What the statements of ``shown`` use, or why they use something that cannot go with
    them: ``self``, its variables set later, a name nothing binds."""
    inside = {id(node) for node in every_node(*smalls)}
    local = names.scope(smalls[0])
    assert local is not None
    free = Free(set(), set(), set())
    for access in (a for a in names.accesses if id(a.node) in inside):
        if any(not _outer(r, local, names.globals) for r in access.referents):
            continue  # a comprehension's or a lambda's own variable
        name = code_of(access.node).split(".")[0]
        for binding in local.assignments[name]:
            assert isinstance(binding, Assignment)
            if isinstance(binding.node, cst.Param):
                if name in ("self", "cls"):
                    return f"the setup of {shown} uses {name}"
                free.params.add(name)
            elif id(binding.node) not in inside:
                return f"the setup of {shown} uses `{name}`, which {shown} sets later"
        if not access.referents:
            return f"the setup of {shown} uses `{name}`, which nothing defines (a * import?)"
        free.names.update(r.name for r in access.referents if r.scope is not local)
    read: dict[str, bool] = {}  # a name the setup sets → whether the setup reads any binding
    for assignment in local.assignments:
        if not isinstance(assignment, Assignment) or id(assignment.node) not in inside:
            continue
        if isinstance(assignment.node, (cst.Import, cst.ImportFrom)):
            continue  # copied, not moved: the state-setter's own import still binds it
        seen = any(id(access.node) in inside for access in assignment.references)
        read[assignment.name] = read.get(assignment.name, False) or seen
    free.unread.update(name for name, seen in read.items() if not seen)
    return free


def _outer(referent: BaseAssignment, local: Scope, top: GlobalScope) -> bool:
    return isinstance(referent, BuiltinAssignment) or referent.scope in (local, top)


def foreign(names: ModuleNames, meanings: dict[str, tuple[str, ...]], setter_path: str) -> str:
    """Why a name the setup uses (``meanings``: what each is bound to in the state-setter's
    module) would mean something else in the module of ``names``, if so."""
    path = names.path
    if names.star and setter_path != path and meanings:
        return f"{path} has a * import: cannot tell what {', '.join(meanings)} would be there"
    for name, meaning in meanings.items():
        there = names.meaning(name)
        if there == meaning:
            continue
        if not there:
            return f"`{name}` is not imported or defined in {path}"
        return f"`{name}` in {path} is not what it is in {setter_path}"
    return ""


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return True


def every_node(*roots: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node under ``roots``, themselves included."""
    collect = _Collect()
    for root in roots:
        root.visit(collect)
    return collect.nodes
