"""Snapshots of the state a test can leave changed, and the names of what differs between two.

A snapshot (:meth:`Snapshots.take`) holds the working directory, ``sys.path``, the environment
(names and values, compared in the process only), ``sys.modules``, the standard library's
process-wide state (:mod:`auditor.plugin.stdlib_state`) and the globals of every project module
(under the root, outside virtual environments, test modules aside but the running test's own).
:meth:`Snapshots.changed` names what differs between a snapshot taken before a test's setup and
one taken after its teardown: ``cwd:PATH``, ``global:sys.path``, ``env:NAME``,
``global:sys.modules[NAME]`` (a module replaced or removed: imports only add), the standard
library's names, ``global:MODULE.NAME`` (a global rebound, added or removed; a container or a
memoised function's cache changed in place) and ``global:MODULE.NAME.ATTR`` (an attribute of an
object or of a project class rebound, or a container there changed in place). How values
compare, and which names are never state (pytest's and unittest's machinery): see
:mod:`auditor.plugin.prints`.

**Named once, with its aliases.** An object that several modules bind is compared once; a change
inside it is named under its canonical binding (:mod:`auditor.plugin.owners`: the module that
binds it by other than an import), the others being its aliases. A logger is the logging
module's: a change of ``pkg.log.logger.level`` is named ``global:logging.getLogger('pkg').level``,
with each module binding of the logger as an alias.

**A test class is its tests' shared fixture.** The running test's class's attributes count when
they change while the test runs (its call phase, where a TestCase's ``setUp``, ``tearDown`` and
cleanups run too), not when class-level setup (``setUpClass``, ``setup_class``, class-scoped
fixtures: in the first test's setup) or teardown (in the last test's) changes them — as a
class-scoped fixture's value is no change when it is created.

:func:`fixture_prints` prints the values of the wider-scoped fixtures a test requested, the same
way, and :func:`fixtures_changed` compares two.
"""

from __future__ import annotations

import hashlib
import os
import sys
import types
from collections.abc import Mapping
from pathlib import PurePath
from stat import S_ISREG
from typing import TYPE_CHECKING, Any, NamedTuple

from auditor.plugin import effects as effect
from auditor.plugin.owners import Binding, Owners, holders
from auditor.plugin.prints import (
    ObjectPrint,
    Reading,
    Shape,
    Watch,
    attributes_changed,
    contents_of,
    equal,
    module_deep,
    rebound,
    still,
    unchanged,
)
from auditor.plugin.stdlib_state import ProcessState
from auditor.plugin.tags import Copier, Seen

if TYPE_CHECKING:
    import pytest

#: state names; canonical name → aliases; name → how it changed (:mod:`auditor.plugin.effects`)
Changes = tuple[list[str], dict[str, list[str]], dict[str, tuple[str, ...]]]
#: a wider-scoped fixture's file larger than this is printed by its size and time, not its bytes
FILE_PRINT_BYTES = 1 << 20


class Part(NamedTuple):
    """What a snapshot holds of some modules (see :meth:`Snapshots._part`)."""

    modules: dict[str, types.ModuleType]
    namespaces: dict[str, dict[str, Any]]
    objects: dict[int, tuple[Any, Any]]  #: an object's id → it and its print
    where: dict[int, list[Binding]]  #: an object's bindings: to name it, and its aliases
    watch: Watch


def _joined(a: dict[int, list[Binding]], b: dict[int, list[Binding]]) -> dict[int, list[Binding]]:
    joined = dict(a)
    for key, bindings in b.items():
        joined[key] = [*joined.get(key, ()), *bindings]
    return joined


#: pytest's own variable: set for each test and removed after it (present before when auditor
#: itself runs under pytest)
_PYTEST_ENV = frozenset(
    # the key as os.environ's own dict holds it (bytes on POSIX): never a str beside a bytes
    # of the same hash, which compares them (a BytesWarning, an error under ``python -bb``)
    {os.environ.encodekey("PYTEST_CURRENT_TEST")}
    if isinstance(getattr(os.environ, "_data", None), dict) and hasattr(os.environ, "encodekey")
    else {"PYTEST_CURRENT_TEST"}
)


class Snapshots:
    """Takes and compares snapshots in this process, for the project under ``root``.

    ``warnings`` / ``random``: whether ``warnings.filters`` / random's state are compared (not
    when pytest's warnings plugin / pytest-randomly resets them around every test).
    """

    def __init__(self, root: str, *, warnings: bool = True, random: bool = True) -> None:
        self.root = root
        self.process = ProcessState(warnings=warnings, random=random)
        self.modules: dict[str, types.ModuleType] = {}
        self._known_modules = -1
        self._shapes: dict[str, Shape] = {}  #: module name → its namespace's last shape
        self._objects: dict[int, Shape] = {}  #: id → an object's attributes' last shape
        self._version = 0  #: counts the changes of the project's modules
        self._next: dict[str, Any] | None = None  #: the last test's snapshot after it, if clean
        self._ready: dict[str | None, dict[str, Any]] = {}  #: test module → :meth:`ready`'s
        self.owners = Owners()
        self._environ, self._sys_modules = Copier(_PYTEST_ENV), Copier()  # copied anew once changed
        self._seen = Seen()  #: the dicts copied or compared, by their tags then
        self._printed: dict[int, Any] = {}  #: a dict's id → its last copy (see :meth:`_print`)
        self._project: tuple[int, Part] | None = None  #: the project modules' part, by version
        self._last_where: tuple[Any, tuple[Any, Any]] | None = None  #: see :meth:`_where`

    def take(self, item: pytest.Item, *, live: bool = False) -> dict[str, Any]:
        """A snapshot before or after ``item``. ``live``: without the project's modules, for a
        :meth:`changed` that follows at once and compares them as they are (after a test).

        A snapshot before a test is the one after the previous test when :meth:`changed` found
        that test's modules untouched and the same modules are compared: nothing runs between
        two tests but pytest's reporting (a change made there counts in the next test)."""
        own = self._where(item)[0]
        modules = self._project_modules()
        key = (self._version, own.__name__ if isinstance(own, types.ModuleType) else None)
        reuse, self._next = self._next, None
        if reuse is not None and not live and reuse["key"] == key:
            return reuse
        environ = getattr(os.environ, "_data", None)  # the bytes mapping: copied without decoding
        state: dict[str, Any] = {
            "key": key,
            "cwd": os.getcwd(),
            "sys.path": tuple(sys.path),
            "env": self._environ.copy(environ if isinstance(environ, dict) else dict(os.environ)),
            "sys.modules": self._sys_modules.copy(sys.modules),
            "process": self.process.take(),
        }
        if live:
            return state
        project = self._project_part(modules)
        if isinstance(own, types.ModuleType) and own.__name__ not in modules:
            # Test modules are many and alike: only the running test's own is compared. Its part
            # is taken for each test module; the project's is kept while nothing changes it.
            mine = self._part({own.__name__: own}, project.objects, self._objects)
            project = Part(
                {**project.modules, **mine.modules},
                {**project.namespaces, **mine.namespaces},
                {**project.objects, **mine.objects},
                _joined(project.where, mine.where),
                Watch.joined(project.watch, mine.watch),
            )
        state.update(project._asdict())
        return state

    def _project_part(self, modules: dict[str, types.ModuleType]) -> Part:
        """The project modules' part of a snapshot: the last one while nothing in it changed
        (refreshed when only containers' contents did), else taken anew."""
        last = self._project
        if last is not None and last[0] == self._version:
            now = last[1].watch.read()
            if last[1].watch.untouched(now):
                return last[1]
            refreshed = self._refreshed_part(last[1], None, now)
            if refreshed is not None:
                self._project = (self._version, refreshed)
                return refreshed
        shapes, self._objects = self._objects, {}  # forget the shapes of objects none holds now
        part = self._part(modules, {}, shapes)
        self._printed = {key: self._printed[key] for key in part.objects if key in self._printed}
        self._seen.forget()
        self._project = (self._version, part)
        return part

    def _where(self, item: pytest.Item) -> tuple[Any, Any]:
        """``item``'s module and class (None when it has none): pytest finds each by walking
        the item's parents, three times a test here; items under one parent share them."""
        key = (type(item), getattr(item, "parent", None))
        last = self._last_where
        if last is None or last[0] != key:
            last = self._last_where = (
                key,
                (getattr(item, "module", None), getattr(item, "cls", None)),
            )
        return last[1]

    def _part(
        self, modules: dict[str, types.ModuleType], known: dict[int, Any], shapes: dict[int, Shape]
    ) -> Part:
        """What a snapshot holds of ``modules``: their namespaces, the objects they bind whose
        contents count (but those ``known`` already), those objects' bindings, and a watch.
        ``shapes``: objects' attribute shapes seen before (kept in ``_objects`` if still used)."""
        watch, objects = Watch(), dict[int, tuple[Any, Any]]()
        where: dict[int, list[Binding]] = {}
        namespaces = {}
        # A namespace that a module binds (``NS = vars(other)``) is compared as that module's
        # globals, and named so, not also as a container: two prints of one dict, one of them
        # left out of date by the other's copy.
        spaces = {id(vars(module)) for module in (*self.modules.values(), *modules.values())}
        for name, module in modules.items():
            shape = self._module_shape(name, module)
            namespaces[name] = shape.copy
            watch.namespace(vars(module), shape, name)
            for attr, value, deep in shape.deep:
                ident = id(value)
                where.setdefault(ident, []).append((name, attr))
                if deep and ident not in objects and ident not in known and ident not in spaces:
                    objects[ident] = (value, self._print(value, shapes))
                    watch.contents(value, objects[ident][1])
        return Part(modules, namespaces, objects, where, watch)

    def ready(self, item: pytest.Item) -> None:
        """Take the snapshot before ``item`` now, for the next :meth:`take` (in this process or
        a child forked from it). A fork server's alone children each start a test from the same
        state: the snapshot is taken once per test module, not once per child."""
        own = self._where(item)[0]
        self._project_modules()
        key = (self._version, own.__name__ if isinstance(own, types.ModuleType) else None)
        taken = self._ready.get(key[1])
        if taken is None or taken["key"] != key:
            self._next = None
            taken = self._ready[key[1]] = self.take(item)
        self._next = taken

    def forked(self) -> None:
        """In a child forked after :meth:`ready`: the process-wide state taken again, as the
        fork itself changes it (:mod:`random` reseeds every child)."""
        if self._next is not None:
            self._next = {**self._next, "process": self.process.take()}

    def test_class(self, item: pytest.Item) -> tuple[type, ObjectPrint] | None:
        """The running test's class and the print of its attributes (see :meth:`during`)."""
        cls = self._where(item)[1]
        return (cls, contents_of(cls)) if isinstance(cls, type) else None

    def during(
        self, item: pytest.Item, start: tuple[type, ObjectPrint] | None
    ) -> dict[int, set[str]]:
        """The attributes of the test's class that its call phase changed, by the class's id."""
        if start is None:  # not a class's test (or its setup failed)
            return {}
        end = self.test_class(item)
        if end is None or start[0] is not end[0]:
            return {}
        same = equal(start[1], end[1])  # the usual case, in one C-level comparison
        return {id(start[0]): set() if same else set(attributes_changed(start[1], end[1]))}

    def changed(
        self, before: dict[str, Any], after: dict[str, Any], during: Mapping[int, set[str]]
    ) -> Changes:
        """The ``TYPE:NAME`` entries that differ between two snapshots, the aliases of those that
        have some, and how the project's globals among them changed (their effects).
        ``during``: for the test's class, the attributes changed by the test itself
        (:meth:`during`); its other changes are its class fixture's."""
        changed: list[str] = []
        aliases: dict[str, list[str]] = {}
        effects: dict[str, tuple[str, ...]] = {}
        # The usual case: the live state as it was, in a few C-level comparisons.
        same = (
            before["cwd"] == after["cwd"]
            and before["sys.path"] == after["sys.path"]
            and before["env"] is after["env"]
            and before["sys.modules"] is after["sys.modules"]
            and before["process"] == after["process"]
        )
        if not same:
            changed = self._live_changed(before, after, aliases, effects)
        now = before["watch"].read()
        if before["watch"].untouched(now):
            if before["key"] == after["key"]:  # the next test's snapshot starts from here
                self._next = before if same else {**before, **after}
            return changed, aliases, effects
        names, more, moved = self._globals_changed(before, during, aliases, now)
        if before["key"] == after["key"]:
            self._next = self._refreshed(before, after, moved, now)
        return changed + sorted(dict.fromkeys(names)), aliases, {**effects, **more}

    def _live_changed(
        self,
        before: dict[str, Any],
        after: dict[str, Any],
        aliases: dict[str, list[str]],
        effects: dict[str, tuple[str, ...]],
    ) -> list[str]:
        """What differs in the state a live snapshot holds (all but the project's globals)."""
        changed: list[str] = []
        if before["cwd"] != after["cwd"]:
            cwd = after["cwd"]
            relative = os.path.relpath(cwd, self.root) if under(cwd, self.root) else cwd
            changed.append(f"cwd:{relative}")
        if before["sys.path"] != after["sys.path"]:
            changed.append("global:sys.path")
        if before["env"] is not after["env"] and before["env"] != after["env"]:
            changed += [f"env:{os.fsdecode(name)}" for name in _differ(before["env"], after["env"])]
        modules_before, modules_after = before["sys.modules"], after["sys.modules"]
        # Imports add modules (no change); a test that replaces or removes one pollutes.
        if modules_before is not modules_after and modules_before != modules_after:
            changed += [
                f"global:sys.modules[{name}]"
                for name, module in modules_before.items()
                if modules_after.get(name) is not module
            ]
        for entry in self.process.changed(before["process"], after["process"]):
            changed.append(entry.name)
            if entry.effect is not None:
                effects[entry.name] = entry.effect
            if entry.owner is not None:
                held = holders(before["namespaces"], entry.owner)
                if held:
                    aliases[entry.name] = [f"global:{m}.{n}.{entry.attr}" for m, n in held]
        return changed

    def _refreshed(
        self, before: dict[str, Any], after: dict[str, Any], moved: set[int], now: Reading
    ) -> dict[str, Any] | None:
        """The next test's snapshot before it, from ``before`` when the test changed only the
        contents of containers (the usual pollution: a registry or cache filled): what it
        changed (``moved``: the objects' ids) printed again, the rest kept. None when it
        rebound something."""
        part = self._refreshed_part(Part(*(before[k] for k in Part._fields)), moved, now)
        return None if part is None else {**after, **part._asdict()}

    def _refreshed_part(self, part: Part, moved: set[int] | None, now: Reading) -> Part | None:
        """``part`` as it is now, when only containers' contents changed in it; ``moved``: the
        ids of its objects that changed, when the caller knows them; ``now``: its watch's
        :meth:`~Watch.read`."""
        watch = part.watch.refreshed(now)
        if watch is None:
            return None
        objects = part.objects
        if moved is None:
            moved = {
                key
                for key in part.watch.suspects(now)  # the old watch's tags against the dicts now
                if key in objects and not self._still(key, *objects[key])
            }
        if moved:
            objects = dict(objects)
            for key in moved:
                value = objects[key][0]
                objects[key] = (value, self._print(value, self._objects))
        return part._replace(objects=objects, watch=watch)

    def _still(self, key: int, value: Any, old: Any) -> bool:
        """Whether ``value`` still has the contents printed as ``old``."""
        if self._seen.same(value, key) and self._printed.get(key) is old:
            return True  # a dict whose tag has not moved since ``old`` was printed
        return unchanged(old, value)

    def _globals_changed(
        self,
        before: dict[str, Any],
        during: Mapping[int, set[str]],
        aliases: dict[str, list[str]],
        now: Reading,
    ) -> tuple[list[str], dict[str, tuple[str, ...]], set[int]]:
        """The module globals that changed since ``before``, as they are now, their effects,
        and the ids of the objects whose contents differ from their prints; ``now``: the
        watch's :meth:`~Watch.read`."""
        names: list[str] = []
        moved: set[int] = set()
        effects: dict[str, tuple[str, ...]] = {}
        spaces = before["watch"].moved(now)  # the others' bindings are as they were copied
        for module, old in before["namespaces"].items():
            if module not in spaces:
                continue
            namespace = self._module_shape(module, before["modules"][module]).copy
            if old is not namespace:
                for name in rebound(old, namespace):
                    names.append(f"global:{module}.{name}")
                    effects[names[-1]] = effect.rebound(namespace.get(name, effect.MISSING))
        objects = before["objects"]
        suspects = before["watch"].suspects(now)  # the others are as they were printed
        for key in [key for key in objects if key in suspects]:  # in the objects' order
            value, old = objects[key]
            if self._still(key, value, old):
                continue
            moved.add(key)
            contents = contents_of(value)
            how: dict[str, tuple[str, ...] | None] = {}
            if isinstance(old, ObjectPrint) and isinstance(contents, ObjectPrint):
                for attr in attributes_changed(old, contents):
                    if key not in during or attr in during[key]:
                        how[f".{attr}"] = _attribute_effect(old, contents, attr)
            elif not equal(old, contents):  # a container, a memoised function: the binding
                how[""] = effect.changed(old, contents)
            if not how:
                continue
            (module, name), *others = self.owners.canonical(value, before["where"][key])
            for suffix, items in how.items():
                canonical = f"global:{module}.{name}{suffix}"
                names.append(canonical)
                if items is not None:
                    effects[canonical] = items
                if others:
                    aliases[canonical] = sorted(f"global:{m}.{n}{suffix}" for m, n in others)
        return names, effects, moved

    def _print(self, value: Any, shapes: dict[int, Shape]) -> Any:
        """:func:`contents_of`, or a dict's copy taken before when the dict has not changed
        since (:class:`~auditor.plugin.tags.Seen`)."""
        if type(value) is dict:
            key = id(value)
            if self._seen.same(value, key) and key in self._printed:
                return self._printed[key]
            self._seen.mark(value)
            printed = self._printed[key] = contents_of(value, shapes, self._objects)
            return printed
        return contents_of(value, shapes, self._objects)

    def _module_shape(self, name: str, module: types.ModuleType) -> Shape:
        namespace = vars(module)
        shape = self._shapes.get(name)
        if shape is not None and self._seen.same(namespace, shape.key):
            return shape
        self._seen.mark(namespace)
        if shape is None or not still(shape, namespace):
            copy = namespace.copy()
            shape = self._shapes[name] = Shape(copy, module_deep(name, copy))
        shape.key = id(namespace)
        return shape

    def _project_modules(self) -> dict[str, types.ModuleType]:
        """The project's modules but its test modules (conftests included)."""
        if len(sys.modules) != self._known_modules:
            self._known_modules = len(sys.modules)
            self._version += 1
            self.modules = {
                name: module
                for name, module in list(sys.modules.items())
                if _is_project_file(getattr(module, "__file__", None), self.root)
                and not name.startswith("auditor.")
                and not _is_test_module(name)
            }
        return self.modules


def _attribute_effect(old: ObjectPrint, new: ObjectPrint, attr: str) -> tuple[str, ...] | None:
    """How an object's attribute changed: its container in place, or its binding."""
    value = new.copy.get(attr, effect.MISSING)
    if old.copy.get(attr, effect.MISSING) is value:
        inner_before, inner_after = dict(old.inner), dict(new.inner)
        if attr in inner_before and attr in inner_after:
            return effect.changed(inner_before[attr], inner_after[attr])
        return None
    return effect.rebound(value)


def fixture_prints(item: pytest.Item) -> dict[str, Any]:
    """Prints of the values of the wider-scoped fixtures the test requested."""
    info = getattr(item, "_fixtureinfo", None)
    funcargs = getattr(item, "funcargs", None) or {}
    prints: dict[str, Any] = {}
    for name in _wider_scoped(info):
        if name in funcargs:
            value = funcargs[name]
            prints[name] = (value, contents_of(value))  # the value: its identity
            if isinstance(value, PurePath):  # a file every test of the session shares
                content = file_print(value)
                if content is not None:
                    prints[f"{name}.read_bytes()"] = content
    return prints


#: a fixture info's id → it and the names of its wider-scoped fixtures (the tests of one
#: function share one info, so the names are found once for all of them); 0 → the last one
_WIDER: dict[int, tuple[Any, tuple[str, ...]]] = {}
_WIDER_SCOPES = frozenset({"session", "package", "module", "class"})


def _wider_scoped(info: Any) -> tuple[str, ...]:
    """The names of the session-, package-, module- and class-scoped fixtures in ``info``."""
    if info is None:
        return ()
    last = _WIDER.get(0)  # the last one asked for: twice a test (id() is an audit event)
    if last is not None and last[0] is info:
        return last[1]
    known = _WIDER.get(id(info))
    if known is not None and known[0] is info:
        _WIDER[0] = known
        return known[1]
    names = tuple(
        name
        for name, defs in (getattr(info, "name2fixturedefs", None) or {}).items()
        if defs
        and name != "request"
        and str(getattr(defs[-1], "scope", "function")) in _WIDER_SCOPES
    )
    _WIDER[id(info)] = _WIDER[0] = (info, names)
    return names


def file_print(path: PurePath) -> tuple[Any, ...] | None:
    """What changes when the file at ``path`` is written: its size and a digest of its bytes
    (its modification time, when it is larger than ``FILE_PRINT_BYTES``); None for no file, a
    folder, or what cannot be read (a file a test creates or removes there is not recorded:
    its bytes could not be saved when the test starts, or put back)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):
        return None
    if stat.st_size > FILE_PRINT_BYTES:
        return (stat.st_size, stat.st_mtime_ns)
    try:
        with open(path, "rb") as file:
            return (stat.st_size, hashlib.blake2b(file.read(), digest_size=16).digest())
    except OSError:
        return None


def fixtures_changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fixtures whose values differ between two :func:`fixture_prints`."""
    return sorted(
        name for name, old in before.items() if name in after and not equal(old, after[name])
    )


def under(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or a path below it."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _differ(before: dict[Any, Any], after: dict[Any, Any]) -> list[Any]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last.endswith("_test")


def _is_project_file(path: str | None, root: str) -> bool:
    if not path or not under(path, root):
        return False
    return "site-packages" not in path and f"{os.sep}.venv{os.sep}" not in path
