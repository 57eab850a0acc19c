"""What the project's own source says about a state name the audit gave: which part of
``lib.factory.FACTORY.base_dir`` is the module, and whether the value is a container (whose
content, not only its binding, must be put back).

Read from the files, never imported: a module is a ``.py`` file or a package folder under the
project (at its root, in ``src/``, or beside the test, as pytest's rootdir import mode finds
them), or a module of the standard library. A container is a name (or an attribute of an
instance or a class of the same module) first bound to a ``{}``, ``[]``, ``set()``,
``defaultdict(list)`` or the like. A logger is a name bound to ``logging.getLogger(…)``: its
level is set back through ``setLevel`` (which clears the loggers' cache), not assigned.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: the constructors of containers, by the name called (``collections.`` or not)
_CONTAINERS = {
    "dict": "dict",
    "defaultdict": "dict",
    "OrderedDict": "dict",
    "Counter": "dict",
    "WeakValueDictionary": "dict",
    "WeakKeyDictionary": "dict",
    "list": "list",
    "deque": "deque",
    "set": "set",
    "WeakSet": "set",
}
_DISPLAYS: dict[type[ast.expr], str] = {
    ast.Dict: "dict",
    ast.DictComp: "dict",
    ast.List: "list",
    ast.ListComp: "list",
    ast.Set: "set",
    ast.SetComp: "set",
}


@dataclass(frozen=True)
class Library:
    """What is known of the names a fix restores."""

    modules: frozenset[str] = frozenset()  #: dotted names that are modules
    containers: Mapping[str, str] = field(default_factory=dict)  #: chain → "dict", "list"…
    loggers: frozenset[str] = frozenset()  #: chains bound to ``logging.getLogger(…)``

    def module_of(self, chain: str) -> str | None:
        """The longest prefix of ``chain`` that is a module (never the whole chain)."""
        parts = chain.split(".")
        for size in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:size])
            if prefix in self.modules:
                return prefix
        return None


def read(root: Path, chains: Iterable[str], test_path: str) -> Library:
    """What the sources under ``root`` say about ``chains`` (qualified names, as the audit
    gave them), for a test in ``test_path`` (relative to ``root``)."""
    folders = _folders(root, test_path)
    modules: set[str] = set()
    containers: dict[str, str] = {}
    loggers: set[str] = set()
    for chain in chains:
        parts = chain.split(".")
        for size in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:size])
            source = _source(prefix, folders)
            if source is None and not _stdlib(prefix):
                continue
            modules.add(prefix)
            kind = _container(source, parts[size:]) if source else None
            if kind:
                containers[chain] = kind
            if source and len(parts) - size == 2 and _logger(source, parts[size]):
                loggers.add(".".join(parts[:-1]))
            break
    return Library(frozenset(modules), containers, frozenset(loggers))


def _folders(root: Path, test_path: str) -> list[Path]:
    """Where the project's modules are imported from: the test's folders up to the root (the
    rootdir import mode puts the first without an ``__init__.py`` on sys.path), the root, src."""
    folders = []
    folder = (root / test_path).parent
    while folder != root and root in folder.parents:
        folders.append(folder)
        folder = folder.parent
    return [*folders, root, root / "src"]


def _source(module: str, folders: Iterable[Path]) -> Path | None:
    relative = Path(*module.split("."))
    for folder in folders:
        for candidate in (folder / f"{relative}.py", folder / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _stdlib(module: str) -> bool:
    if module.split(".")[0] not in sys.stdlib_module_names:
        return False
    try:  # the standard library's own packages: importing their parents is harmless
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _container(source: Path, names: list[str]) -> str | None:
    """What ``NAME`` (or ``NAME.ATTR``) is first bound to in the module at ``source``, when
    that is a container."""
    try:
        tree = ast.parse(source.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    if len(names) == 1:
        return _kind(_bound(tree.body, names[0]))
    if len(names) == 2:
        cls = _class_of(tree, names[0])
        return _kind(_attribute(cls, names[1])) if cls else None
    return None


def _logger(source: Path, name: str) -> bool:
    """Is ``name`` bound to ``logging.getLogger(…)`` in the module at ``source``?"""
    try:
        value = _bound(ast.parse(source.read_bytes()).body, name)
    except (OSError, SyntaxError, ValueError):
        return False
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    return (
        func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    ) == "getLogger"


def _bound(body: Iterable[ast.stmt], name: str) -> ast.expr | None:
    """The first value ``name`` is bound to at this level (``X = …``, ``X: T = …``)."""
    for node in body:
        if isinstance(node, ast.Assign) and any(_is(t, name) for t in node.targets):
            return node.value
        if isinstance(node, ast.AnnAssign) and _is(node.target, name) and node.value:
            return node.value
    return None


def _is(target: ast.expr, name: str) -> bool:
    return isinstance(target, ast.Name) and target.id == name


def _class_of(tree: ast.Module, name: str) -> ast.ClassDef | None:
    """The class ``name`` is (``class NAME``) or is an instance of (``NAME = Cls(…)``)."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    if name in classes:
        return classes[name]
    value = _bound(tree.body, name)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return classes.get(value.func.id)
    return None


def _attribute(cls: ast.ClassDef, name: str) -> ast.expr | None:
    """What the class body, or a method's ``self.NAME = …``, first binds ``name`` to."""
    found = _bound(cls.body, name)
    if found is not None:
        return found
    for method in cls.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or not method.args.args:
            continue
        me = method.args.args[0].arg
        for node in ast.walk(method):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and target.attr == name
                        and _is(target.value, me)
                    ):
                        return node.value
    return None


def _kind(value: ast.expr | None) -> str | None:
    if value is None:
        return None
    display = _DISPLAYS.get(type(value))
    if display:
        return display
    if isinstance(value, ast.Call):
        func = value.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return _CONTAINERS.get(called)
    return None
