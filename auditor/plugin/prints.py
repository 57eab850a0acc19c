"""Prints: what identifies a value's contents for change detection, cheaply.

How values compare: globals and attributes by identity (simple values by value); the contents of
containers (dict, list, set) and the attributes of objects and classes, one level deeper, by
C-level copies taken before a test and compared with ``==`` after it (identical items first: an
item replaced by an equal one is no change); a container of more than ``WIDE`` (1,000) items by
its size only (an item added or removed shows, one replaced does not: large caches cost nothing
while untouched); an ``functools.lru_cache`` by its misses and size (a call that fills it or a
``cache_clear()`` changes it, a cache hit does not). A :class:`Watch` holds every copy beside
what it copied and tells, with a few C-level comparisons, whether anything changed at all; a
namespace whose bindings all still compare equal keeps its copy (:class:`Shape`).

**The test machinery is never state** (:func:`is_machinery`): names that pytest and unittest set
on test modules, classes and instances to run them — pytest's marks (``pytestmark``) and the
fixtures it injects (name-mangled ``…__pytest_…``), unittest.TestCase's bookkeeping
(``MACHINERY``) — and dunder names. Loggers are left to :mod:`auditor.plugin.stdlib_state`.
"""

from __future__ import annotations

import functools
import logging
import types
from collections.abc import Mapping
from itertools import compress
from operator import getitem, is_, ne
from typing import Any, NamedTuple

from auditor.plugin import tags

_SIMPLE = (type(None), bool, int, float, complex, str, bytes)
_MUTABLE = (dict, list, set)
_IMMUTABLE = (tuple, frozenset)
WIDE = 1_000  #: containers longer than this are compared by their size
_LRU = getattr(functools, "_lru_cache_wrapper", None)
#: Held by the logging module and named by it (:mod:`auditor.plugin.stdlib_state`).
_LOGGING = (logging.Logger, logging.PlaceHolder, logging.Manager)
#: What unittest.TestCase's own code sets on a test class (``__init_subclass__``,
#: ``addClassCleanup``, ``doClassCleanups``) or instance (``__init__``, ``run``, ``subTest``).
MACHINERY = frozenset(
    {
        "pytestmark",
        "_classSetupFailed",
        "_class_cleanups",
        "tearDown_exceptions",
        "_outcome",
        "_cleanups",
        "_testMethodName",
        "_testMethodDoc",
        "_subtest",
        "_type_equality_funcs",
    }
)
_MISSING = object()


class Shape:
    """A namespace's copy and its bindings whose contents count: (name, value, own), ``own``
    False for a class seen outside its home module (compared there, listed for its aliases)."""

    __slots__ = ("copy", "deep", "key")

    def __init__(self, copy: dict[str, Any], deep: tuple[tuple[str, Any, bool], ...]) -> None:
        self.copy = copy
        self.deep = deep
        self.key = 0  #: the namespace's id, for a module's shape


class ObjectPrint(NamedTuple):
    """An object's (or a class's) attributes, and the contents of those that are containers."""

    copy: dict[str, Any]
    inner: tuple[tuple[str, Any], ...]


def is_machinery(name: str) -> bool:
    return name.startswith("__") or name in MACHINERY or "__pytest" in name


def module_deep(module: str, namespace: dict[str, Any]) -> tuple[tuple[str, Any, bool], ...]:
    """The bindings of a module whose contents are compared: containers, memoised functions,
    objects, classes (compared in their home module)."""
    deep = []
    for name, value in namespace.items():
        kind = type(value)
        if kind in _SIMPLE or kind in _IMMUTABLE or is_machinery(name):
            continue
        if kind in _MUTABLE or kind is _LRU:
            deep.append((name, value, True))
        elif isinstance(value, type):
            deep.append((name, value, value.__module__ == module))
        elif not (
            callable(value)  # functions, fixtures, methods: compared by identity
            or isinstance(value, (types.ModuleType, *_LOGGING))
            or _attributes(value) is None
        ):
            deep.append((name, value, True))
    return tuple(deep)


def contents_of(
    value: Any, shapes: dict[int, Shape] | None = None, seen: dict[int, Shape] | None = None
) -> Any:
    """What changes when ``value`` changes in place: a container's copy (its size when wide),
    an lru_cache's misses and size, an object's attributes and the contents of those that are
    containers; None for anything else."""
    kind = type(value)
    if kind in _MUTABLE:
        return value.copy() if len(value) <= WIDE else len(value)
    if kind is _LRU:
        info = value.cache_info()
        return (info.misses, info.currsize)
    attrs = _attributes(value)
    if attrs is None or len(attrs) > WIDE:
        return None
    key = id(value)
    shape = shapes.get(key) if shapes is not None else None
    if shape is None or not still(shape, attrs):
        copy = dict(attrs)
        inner = tuple((k, v, True) for k, v in copy.items() if type(v) in _MUTABLE)
        shape = Shape(copy, inner)
    if seen is not None:
        seen[key] = shape
    return ObjectPrint(
        shape.copy,
        tuple((k, v.copy() if len(v) <= WIDE else len(v)) for k, v, _ in shape.deep),
    )


def unchanged(contents: Any, value: Any) -> bool:
    """Whether ``value`` still has the ``contents`` printed before: one C-level comparison."""
    if isinstance(contents, ObjectPrint):
        attrs = _attributes(value)
        copy = contents.copy
        return (
            attrs is not None
            and equal(copy, attrs)
            and all(
                attrs.get(name) is copy[name] and unchanged(inner, copy[name])
                for name, inner in contents.inner
            )
        )
    kind = type(value)
    if kind in _MUTABLE:
        return equal(contents, value) if type(contents) is kind else contents == len(value)
    return bool(contents == contents_of(value))  # an lru_cache's counts; None for the rest


class Reading(NamedTuple):
    """A watch's tags and sizes, read at once (:meth:`Watch.read`): the tags as one string of
    bytes, each tag's eight in the watch's order (:func:`~auditor.plugin.tags.words` reads
    them one by one)."""

    tags: bytes
    sizes: list[int]


class Watch:
    """Every copy a snapshot made, beside what it copied, so that one check at C speed tells
    whether anything changed since (:meth:`untouched`): the names of what did come from a
    slower comparison, made only then."""

    def __init__(self) -> None:
        self.live: list[Any] = []  #: namespaces, attribute mappings, containers
        self.copies: list[Any] = []  #: their copies
        self.dicts: list[dict[Any, Any]] = []  #: …or, when they are dicts, their tags' views
        self.views: list[Any] = []
        self.tags = b""  #: the views' bytes when the watch began (see :class:`Reading`)
        self.frames: list[int] = []  #: the views of namespaces' and objects' attribute dicts
        #: each view's object (its id: see :meth:`suspects`), 0 for a namespace's
        self.owners: list[int] = []
        #: the objects with something watched by neither a tag nor a size
        self.untagged: set[int] = set()
        self.holders: list[Mapping[str, Any]] = []  #: …whose ``names`` still bind ``held``
        self.names: list[str] = []
        self.held: list[Any] = []
        self.sized: list[Any] = []  #: wide containers, their ``sizes`` and their objects' ids
        self.sizes: list[int] = []
        self.sized_owners: list[int] = []
        self.memos: list[Any] = []  #: lru_caches, and their ``counts``
        self.counts: list[Any] = []
        #: the modules whose namespaces are watched by their tags: name, and the tag's index
        self.spaces: list[tuple[str, int]] = []
        self.unspaced: list[str] = []  #: …and by their copies

    def namespace(self, live: dict[str, Any], shape: Shape, module: str) -> None:
        if self._tag(live, 0, frame=True):
            self.spaces.append((module, len(self.views) - 1))
        else:
            self.unspaced.append(module)
            self.live.append(live)
            self.copies.append(shape.copy)
            for name, value, _ in shape.deep:  # a tagged namespace's tag tells of these too
                self._held(live, name, value)

    def contents(self, value: Any, printed: Any, owner: int = 0) -> None:
        """Watch ``value``, printed as ``printed`` by :func:`contents_of`; ``owner``: the id of
        the object it belongs to (``value``'s own by default)."""
        owner = owner or id(value)
        if isinstance(printed, ObjectPrint):
            attrs = _attributes(value)
            assert attrs is not None
            tagged = self._tag(tags.attributes_dict(attrs), owner, frame=True)
            if not tagged:
                self.live.append(attrs)
                self.copies.append(printed.copy)
                self.untagged.add(owner)
            for name, inner in printed.inner:
                if not tagged:
                    self._held(attrs, name, printed.copy[name])
                self.contents(printed.copy[name], inner, owner)
        elif type(value) in _MUTABLE:
            if type(printed) is type(value):
                if not self._tag(value, owner):
                    self.live.append(value)
                    self.copies.append(printed)
                    self.untagged.add(owner)
            else:
                self.sized.append(value)
                self.sizes.append(printed)
                self.sized_owners.append(owner)
        elif type(value) is _LRU:
            if not self._tag(tags.lru_cache_dict(value), owner):
                self.memos.append(value)
                self.counts.append(printed)
                self.untagged.add(owner)
        else:  # printed by nothing that moves (None): compared when asked
            self.untagged.add(owner)

    def read(self) -> Reading:
        """The tags and sizes now, for :meth:`untouched`, :meth:`suspects`, :meth:`moved` and
        :meth:`refreshed` to share while nothing runs between them."""
        # One C-level copy of every view's bytes (each view is a buffer): a third of what
        # reading each tag's value as an int costs, and compared as a whole.
        return Reading(b"".join(self.views), list(map(len, self.sized)))

    def untouched(self, now: Reading) -> bool:
        """Whether every copy still equals what it copied (identical items first), every
        binding of an object whose contents count still binds it, every size is the same."""
        try:  # items compare with their own __eq__ when not identical: it may raise
            return (
                self.tags == now.tags
                and self.copies == self.live
                and self.sizes == now.sizes
                and all(map(is_, map(getitem, self.holders, self.names), self.held))
                and self.counts == list(map(contents_of, self.memos))
            )
        except Exception:
            return False

    def suspects(self, now: Reading) -> set[int]:
        """The ids of the objects that may have changed since the watch began: those with a
        tag that moved or a wide container whose size did, and those watched by neither (an
        object of none of these kinds is as it was printed). A wide container is compared by
        its size: one whose size held is as it was printed."""
        moved = map(ne, tags.words(self.tags), tags.words(now.tags))
        resized = map(ne, self.sizes, now.sizes)
        return self.untagged.union(
            compress(self.owners, moved), compress(self.sized_owners, resized)
        )

    def moved(self, now: Reading) -> set[str]:
        """The modules whose namespaces may have changed: their tags moved, or they have none."""
        then, tags_now = tags.words(self.tags), tags.words(now.tags)
        return {module for module, i in self.spaces if then[i] != tags_now[i]}.union(self.unspaced)

    @classmethod
    def joined(cls, *watches: Watch) -> Watch:
        """One watch of what all of ``watches`` watch."""
        joined = cls()
        for name, items in vars(joined).items():
            if name == "frames":
                offset = 0
                for watch in watches:
                    items += [offset + i for i in watch.frames]
                    offset += len(watch.views)
            elif name == "spaces":
                offset = 0
                for watch in watches:
                    items += [(module, offset + i) for module, i in watch.spaces]
                    offset += len(watch.views)
            elif name == "untagged":
                items.update(*(watch.untagged for watch in watches))
            elif name == "tags":
                joined.tags = b"".join(watch.tags for watch in watches)
            else:
                for watch in watches:
                    items += getattr(watch, name)
        return joined

    def refreshed(self, now: Reading) -> Watch | None:
        """This watch's things as they are now, when only containers' contents changed (no
        binding of a namespace or an object): the copies of the changed ones taken again, all
        tags, sizes and counts read again. None when more changed, or tags cannot be read."""
        if not self.views or self.holders:
            return None
        then, tags_now = tags.words(self.tags), tags.words(now.tags)
        if any(tags_now[i] != then[i] for i in self.frames):
            return None
        if any(len(value) > WIDE for value in self.live):
            return None  # now compared by its size: watched anew
        new = Watch()
        vars(new).update(vars(self))
        new.tags = now.tags
        new.copies = [
            c if equal(c, v) else v.copy() for c, v in zip(self.copies, self.live, strict=True)
        ]
        new.sizes = now.sizes
        new.counts = list(map(contents_of, self.memos))
        return new

    def _tag(self, live: Any, owner: int, *, frame: bool = False) -> bool:
        """Watch a dict by its version tag (:mod:`auditor.plugin.tags`), if tags can be read;
        ``owner``: the id of the object it belongs to (0: a namespace); ``frame``: a
        namespace's or an object's attributes (what binds the other things)."""
        if not tags.DICT_TAGS or type(live) is not dict:
            return False
        if frame:
            self.frames.append(len(self.views))
        self.owners.append(owner)
        view = tags.dict_tag(live)
        self.dicts.append(live)  # the view reads the dict's memory: the dict must live on
        self.views.append(view)
        self.tags += bytes(view)  # (a watch is made once a test module, or less)
        return True

    def _held(self, holder: Mapping[str, Any], name: str, value: Any) -> None:
        self.holders.append(holder)
        self.names.append(name)
        self.held.append(value)


def _attributes(value: Any) -> Mapping[str, Any] | None:
    try:  # never the object's own __getattr__: a lazy proxy must not be woken up
        attrs = object.__getattribute__(value, "__dict__")
    except Exception:
        return None
    return attrs if type(attrs) in (dict, types.MappingProxyType) else None


def attributes_changed(before: ObjectPrint, after: ObjectPrint) -> list[str]:
    """Attributes rebound, added or removed, or whose container changed in place."""
    copy, copy_after = before.copy, after.copy
    names = set(rebound(copy, copy_after)) if copy is not copy_after else set()
    contents_after = dict(after.inner)
    for name, contents in before.inner:
        if (
            name in contents_after
            and copy[name] is copy_after.get(name)
            and not is_machinery(name)
            and not equal(contents, contents_after[name])
        ):
            names.add(name)
    return sorted(names)


def rebound(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Names bound to another object (simple values: to another value), added or removed."""
    names = []
    for name in before.keys() | after.keys():
        old, new = before.get(name, _MISSING), after.get(name, _MISSING)
        if old is new or is_machinery(name):
            continue
        if (
            type(old) is type(new)
            and type(old) in _SIMPLE
            and (old == new or (old != old and new != new))
        ):
            continue  # the same value (NaN too)
        if isinstance(old, types.ModuleType) or isinstance(new, types.ModuleType):
            continue  # a submodule imported binds itself in its package
        names.append(name)
    return sorted(names)


def still(shape: Shape, live: Mapping[str, Any]) -> bool:
    """Whether ``live`` still binds what ``shape`` copied: equal values (one C-level pass,
    identical ones first), and the very objects whose contents count."""
    return equal(shape.copy, live) and all(live.get(k) is v for k, v, _ in shape.deep)


def equal(a: Any, b: Any) -> bool:
    try:  # items compare with their own __eq__ when not identical: it may raise
        return bool(a == b)
    except Exception:
        return False
