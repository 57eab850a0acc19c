"""Snapshots of the state a test can leave changed, and the names of what differs between two.

A snapshot (:meth:`Snapshots.take`) holds the working directory, ``sys.path``, the environment
(names and values, compared in the process only), ``sys.modules``, and a print of the globals of
every project module (under the root, outside virtual environments, test modules aside but the
running test's own). :meth:`Snapshots.changed` names what differs between a snapshot taken
before a test's setup and one taken after its teardown: ``cwd:PATH``, ``global:sys.path``,
``env:NAME``, ``global:sys.modules[NAME]`` (a module replaced or removed: imports only add),
``global:MODULE.NAME`` and ``global:MODULE.NAME.ATTR``.

A print identifies a value for change detection without copying it: simple values by value,
containers by the identities they hold (one level deep), instances and classes by identity and
the prints of their attributes, anything else by identity. :func:`fixture_prints` prints the
values of the wider-scoped fixtures a test requested, the same way.
"""

from __future__ import annotations

import os
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

_SIMPLE = (type(None), bool, int, float, complex, str, bytes)
_CONTAINERS = (dict, list, set, frozenset, tuple)
_WIDE = 10_000  #: containers longer than this are compared by identity and length only


class Snapshots:
    """Takes and compares snapshots in this process, for the project under ``root``."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.modules: dict[str, types.ModuleType] = {}
        self._known_modules = -1

    def take(self, item: pytest.Item) -> dict[str, Any]:
        """A snapshot before or after ``item``: cheap where nothing changed (C-level copies,
        compared as a whole first)."""
        environ = getattr(os.environ, "_data", None)  # the bytes mapping: copied without decoding
        state: dict[str, Any] = {
            "cwd": os.getcwd(),
            "sys.path": tuple(sys.path),
            "env": dict(environ) if isinstance(environ, dict) else dict(os.environ),
            "sys.modules": dict(sys.modules),
        }
        own = getattr(item, "module", None)
        modules = self._project_modules()
        if isinstance(own, types.ModuleType) and own.__name__ not in modules:
            # Test modules are many and alike: only the running test's own is compared.
            modules = {**modules, own.__name__: own}
        for name, module in modules.items():
            state[f"module:{name}"] = _module_print(name, module)
        return state

    def _project_modules(self) -> dict[str, types.ModuleType]:
        """The project's modules but its test modules (conftests included)."""
        if len(sys.modules) != self._known_modules:
            self._known_modules = len(sys.modules)
            self.modules = {
                name: module
                for name, module in list(sys.modules.items())
                if _is_project_file(getattr(module, "__file__", None), self.root)
                and not name.startswith("auditor.")
                and not _is_test_module(name)
            }
        return self.modules

    def changed(self, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
        """The ``TYPE:NAME`` entries that differ between two snapshots."""
        changed: list[str] = []
        if before["cwd"] != after["cwd"]:
            cwd = after["cwd"]
            relative = os.path.relpath(cwd, self.root) if under(cwd, self.root) else cwd
            changed.append(f"cwd:{relative}")
        if before["sys.path"] != after["sys.path"]:
            changed.append("global:sys.path")
        if before["env"] != after["env"]:
            changed += [f"env:{os.fsdecode(name)}" for name in _differ(before["env"], after["env"])]
        modules_before, modules_after = before["sys.modules"], after["sys.modules"]
        if modules_before != modules_after:  # imports add modules; a test replacing one pollutes
            changed += [
                f"global:sys.modules[{name}]"
                for name, module in modules_before.items()
                if modules_after.get(name) is not module
            ]
        for key, prints in after.items():
            if key.startswith("module:") and key in before:
                module = key[len("module:") :]
                changed += [f"global:{module}.{name}" for name in _differ(before[key], prints)]
        return changed


def fixture_prints(item: pytest.Item) -> dict[str, Any]:
    """Prints of the values of the wider-scoped fixtures the test requested."""
    info = getattr(item, "_fixtureinfo", None)
    funcargs = getattr(item, "funcargs", {})
    prints: dict[str, Any] = {}
    for name, defs in (getattr(info, "name2fixturedefs", None) or {}).items():
        if not defs or name not in funcargs or name == "request":
            continue
        if str(getattr(defs[-1], "scope", "function")) in ("session", "package", "module", "class"):
            value = funcargs[name]
            prints[name] = _print(value) if type(value) in _CONTAINERS else _object_print(value)
    return prints


def under(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or a path below it."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _differ(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names whose print differs, was added or was removed; for object prints, their attributes."""
    names: list[str] = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if (
            isinstance(old, _ObjectPrint)
            and isinstance(new, _ObjectPrint)
            and old.ident == new.ident
        ):
            names += [f"{name}.{attr}" for attr in _differ(old.attrs, new.attrs)]
        else:
            names.append(name)
    return names


class _ObjectPrint:
    """An object's identity and, one level deep, the prints of its attributes."""

    __slots__ = ("attrs", "ident")

    def __init__(self, ident: int, attrs: dict[str, Any]) -> None:
        self.ident = ident
        self.attrs = attrs

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _ObjectPrint)
            and self.ident == other.ident
            and self.attrs == other.attrs
        )

    __hash__ = None  # type: ignore[assignment]


def _print(value: Any) -> Any:
    """What identifies a value for change detection: simple values by value, containers by the
    identities they hold (one level), anything else by identity."""
    kind = type(value)
    if kind in _SIMPLE:
        return (kind, value) if kind is not float or value == value else (kind, "nan")
    if kind in _CONTAINERS:
        if len(value) > _WIDE:
            return (kind, id(value), len(value))
        if kind is dict:
            return (kind, id(value), tuple((id(k), _shallow(v)) for k, v in value.items()))
        if kind in (set, frozenset):
            return (kind, id(value), frozenset(map(id, value)))
        return (kind, id(value), tuple(map(_shallow, value)))
    return ("id", id(value))


def _shallow(value: Any) -> Any:
    return (type(value), value) if type(value) in _SIMPLE and value == value else id(value)


def _object_print(value: Any) -> Any:
    """Instances and classes: their attributes too (``settings.debug = True`` is a change)."""
    attrs = getattr(value, "__dict__", None)
    if isinstance(attrs, (dict, types.MappingProxyType)) and len(attrs) <= _WIDE:
        return _ObjectPrint(
            id(value), {k: _print(v) for k, v in attrs.items() if not k.startswith("__")}
        )
    return _print(value)


def _module_print(name: str, module: types.ModuleType) -> dict[str, Any]:
    prints: dict[str, Any] = {}
    for attr, value in list(vars(module).items()):
        if attr.startswith("__") or isinstance(value, types.ModuleType):
            continue
        if callable(value) and not isinstance(value, type):  # functions, fixtures: rebinding
            prints[attr] = ("id", id(value))
        elif isinstance(value, type):
            own = getattr(value, "__module__", None) == name
            prints[attr] = _object_print(value) if own else ("id", id(value))
        elif type(value) in _SIMPLE or type(value) in _CONTAINERS:
            prints[attr] = _print(value)
        else:
            prints[attr] = _object_print(value)
    return prints


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last.endswith("_test")


def _is_project_file(path: str | None, root: str) -> bool:
    if not path or not under(path, root):
        return False
    return "site-packages" not in path and f"{os.sep}.venv{os.sep}" not in path
