"""What the names a test spells mean: ``cfg.RATE`` is ``shop.config.RATE`` after ``from shop import
config as cfg``, whether that import is at the top of the module, under ``try:``, or inside the test
function itself (libcst's ``QualifiedNameProvider``, which follows Python's scopes); and how code
that a codemod writes at the module level can spell an imported name.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import ClassVar

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ProviderT,
    QualifiedName,
    QualifiedNameProvider,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

_IMPORT = QualifiedNameSource.IMPORT
_BUILTIN = QualifiedNameSource.BUILTIN


def code_of(node: cst.CSTNode) -> str:
    """The code of ``node`` as written, without the blanks and the ``;`` around it."""
    return cst.Module(body=[]).code_for_node(node).strip().rstrip(";").rstrip()


def short(code: str) -> str:
    """The first line of ``code``, with ``…`` when there is more."""
    first, *rest = code.splitlines() or [""]
    return f"{first} …" if rest else first


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


class Names(cst.MetadataDependent):
    """What the name chains of one module mean where they are spelled.

    libcst's scope analysis is run on the first question, on the module's own nodes: ask about
    nodes of ``module`` itself, not of a copy or a rewritten tree.
    """

    # the scopes are what the qualified names are read from: resolved with them at no extra cost.
    # Subclasses add none: libcst caches the first class's dependencies where its subclasses
    # inherit them
    METADATA_DEPENDENCIES: ClassVar[Collection[ProviderT]] = (QualifiedNameProvider, ScopeProvider)

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        #: the names the module's imports bind at its top when it runs → what they name
        self.top_imports = imported_names(module)
        #: the same, and the imports an annotation can use though they never run
        self.annotation_imports = imported_names(module, annotations=True)

    def _resolved(self) -> None:
        if not self.metadata:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self.metadata = wrapper.resolve_many(self.get_inherited_dependencies())

    def scope(self, node: cst.CSTNode) -> Scope | None:
        """The scope ``node`` is in."""
        self._resolved()
        return self.get_metadata(ScopeProvider, node, None)

    def _names(self, node: cst.CSTNode) -> set[QualifiedName]:
        self._resolved()
        return set(self.get_metadata(QualifiedNameProvider, node, set()))

    def imports(self, node: cst.BaseExpression) -> set[str]:
        """Every imported name the chain ``node`` may be: two for ``json`` after ``try: import
        json`` / ``except ImportError: import simplejson as json``; none for a local variable, a
        parameter, a builtin, or a name nothing binds."""
        if dotted(node) is None:
            return set()
        return {q.name for q in self._names(node) if q.source is _IMPORT}

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The imported name the chain ``node`` spells (``osp.join`` → ``os.path.join``), or None
        when it is not one imported name. What the module assigns where an import fails
        (``except ImportError: pt = None``) is no other meaning; another import is."""
        imports = self.imports(node)
        return imports.pop() if len(imports) == 1 else None

    def own(self, node: cst.BaseExpression) -> bool:
        """Is the chain ``node`` a function's own (a parameter, a local variable) or a builtin?"""
        names = self._names(node) if dotted(node) is not None else set()
        return any(q.source is _BUILTIN or ".<locals>." in q.name for q in names)

    def why_not(self, node: cst.BaseExpression) -> str:
        """What the chain ``node`` is instead of an import, naming the name that decides it:
        "`os` is not imported or defined", "`environ` is myenv.environ"."""
        chain = dotted(node) or code_of(node)
        head = chain.split(".")[0]
        names = self._names(node)
        if not names:
            return f"`{head}` is not imported or defined"
        imports = sorted(q.name for q in names if q.source is _IMPORT)
        if imports:
            return f"`{chain}` is {' or '.join(imports)}"
        other = names.pop()
        if other.source is _BUILTIN:
            return f"`{head}` is the builtin"
        scope, local, _ = other.name.partition(".<locals>.")
        if local:
            return f"`{head}` is a parameter or a local variable of {scope}"
        return f"`{head}` is assigned in the module, not imported"


def names_of(module: cst.Module) -> Names:
    """``Names(module)``, made once for the edits that read one module (:func:`parse` gives
    them the same tree): resolving its qualified names took most of a serial fix that marks
    dozens of tests in one file."""
    made = _NAMES.get(id(module))
    if made is None or made.module is not module:
        if len(_NAMES) >= 8:
            _NAMES.pop(next(iter(_NAMES)))
        made = _NAMES[id(module)] = Names(module)
    return made


_NAMES: dict[int, Names] = {}  #: module's id → its names, the last few modules


def imported_names(module: cst.Module, annotations: bool = False) -> dict[str, str]:
    """Names the module's imports bind when it runs → what they name.

    The imports at its top, and in its ``try:`` and ``if`` blocks, but not under ``if
    TYPE_CHECKING:``, which never runs: where a decorator that a codemod writes can use them. With
    ``annotations``, those too when the module postpones its annotations (``from __future__
    import annotations``): where an annotation can use them. ``import a.b`` binds ``a``; ``import
    a.b as x`` binds ``x`` → ``a.b``; ``from a import b`` binds ``b`` → ``a.b``. Relative and star
    imports are left out.
    """
    typing = annotations and "__future__.annotations" in imported_names(module).values()
    names: dict[str, str] = {}
    for statement in _runtime_imports(module, typing):
        names.update(bound_by(statement))
    return names


def imported_modules(module: cst.Module) -> set[str]:
    """The dotted modules the module's ``import a.b`` statements (without ``as``) make reachable
    as ``a.b`` when it runs (``imported_names`` records only the ``a`` they bind)."""
    return {
        full
        for statement in _runtime_imports(module)
        if isinstance(statement, cst.Import)
        for alias in statement.names
        if alias.asname is None and "." in (full := dotted(alias.name) or "")
    }


def bound_by(statement: cst.Import | cst.ImportFrom) -> dict[str, str]:
    """The names one import statement binds → what they name (see ``imported_names``)."""
    if isinstance(statement, cst.Import):
        names: dict[str, str] = {}
        for alias in statement.names:
            full = dotted(alias.name) or ""
            if alias.asname is not None:
                names[code_of(alias.asname.name)] = full
            else:
                head = full.split(".")[0]
                names[head] = head
        return names
    if statement.relative or not statement.module or isinstance(statement.names, cst.ImportStar):
        return {}
    base = dotted(statement.module)
    return {
        code_of(alias.asname.name if alias.asname else alias.name): f"{base}.{code_of(alias.name)}"
        for alias in statement.names
    }


def spelling(imports: dict[str, str], full: str) -> str | None:
    """The module's name for ``full``: ``pt`` for pytest after ``import pytest as pt``,
    ``fixture`` for pytest.fixture after ``from pytest import fixture``."""
    return next((local for local, name in imports.items() if name == full), None)


# the blocks whose imports run with the module: its top, try and if statements
_RUNS = (
    cst.Module,
    cst.SimpleStatementLine,
    cst.SimpleStatementSuite,
    cst.IndentedBlock,
    cst.If,
    cst.Else,
    cst.Try,
    cst.TryStar,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
)


def _runtime_imports(
    node: cst.CSTNode, typing: bool = False
) -> Iterator[cst.Import | cst.ImportFrom]:
    """The imports that run with the module; with ``typing``, those under TYPE_CHECKING too."""
    if isinstance(node, (cst.Import, cst.ImportFrom)):
        yield node
    elif isinstance(node, cst.If) and not typing and _typing_only(node.test):
        if node.orelse is not None:
            yield from _runtime_imports(node.orelse)
    elif isinstance(node, _RUNS):
        for child in node.children:
            yield from _runtime_imports(child, typing)


def _typing_only(test: cst.BaseExpression) -> bool:
    """Is ``test`` ``TYPE_CHECKING`` (``typing.TYPE_CHECKING``), false whenever the code runs?"""
    return (dotted(test) or "").split(".")[-1] == "TYPE_CHECKING"
