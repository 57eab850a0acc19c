"""Cheap "did it change?" reads of CPython objects: a dict's version tag, random's state bytes.

A footprint asks, after every test, whether any of the project's namespaces, attribute dicts
and containers changed at all; comparing each with its copy costs a few hundred microseconds a
test on a project with many modules, as much as a small test itself. CPython gives every dict a
version tag (PEP 509: ``ma_version_tag``, after the object's header and its size), set anew
from a process-wide counter by every change of the dict — an item added, replaced by another
object, or removed, whatever the path (``d[k] = v``, ``setattr(module, …)``, an instance's
specialised attribute store, ``update``, ``clear``). Reading that word tells in one C-level
read per dict that nothing changed since a snapshot; a changed tag sends the footprint to its
comparisons, which name what changed (an item replaced by an equal one changes the tag and is
still no change). Likewise ``random``'s Mersenne Twister state is fingerprinted by the bytes
of its ``index`` and the first eight words of its ``state`` instead of :func:`random.getstate`,
which builds 625 ints: every draw moves the index, the draw that brings it back to where it was
(624 words later) regenerates every word, and ``seed``/``setstate`` rewrite them all — two states
alike in those 36 bytes and different elsewhere are made on purpose or not at all.

Neither field is public API: each is read only when a self-test at import proves it behaves
as described on this interpreter (CPython, the GIL, every kind of change moving the tag, the
bytes matching :func:`random.getstate`), else :data:`DICT_TAGS` / :func:`random_bytes` are
unavailable (None) and the callers compare copies as before: on another implementation, a
free-threaded build, or a release where the deprecated tag no longer moves with every change.
"""

from __future__ import annotations

import functools
import gc
import os
import random
import struct
import sys
import types
from collections.abc import Callable
from operator import attrgetter
from typing import Any

try:  # ctypes' own base classes: importing ctypes itself costs each pytest process 1–2 ms
    from _ctypes import Array as _Array
    from _ctypes import _SimpleCData
except ImportError:  # pragma: no cover - CPython always has it
    from ctypes import Array as _Array
    from ctypes import _SimpleCData


class _UInt64(_SimpleCData):  # type: ignore[type-arg]  # ctypes.c_uint64
    _type_ = "Q"


class _Char(_SimpleCData):  # type: ignore[type-arg]  # ctypes.c_char: arrays of it have ``raw``
    _type_ = "c"


def _bytes_at(address: int, size: int) -> Any:
    """A view of ``size`` bytes at ``address`` (``(ctypes.c_char * size).from_address``)."""
    kind: Any = type("_Bytes", (_Array,), {"_type_": _Char, "_length_": size})
    return kind.from_address(address)


_WORD = struct.calcsize("n")
#: ob_refcnt, ob_type, ma_used come first in a PyDictObject
_TAG_OFFSET = 3 * _WORD
#: ob_refcnt, ob_type, then RandomObject's ``int index; uint32_t state[624]``
_RANDOM_OFFSET = 2 * _WORD
_RANDOM_SIZE = 4 + 4 * 624
_RANDOM_PRINT = 4 + 4 * 8  #: the index and the first eight words


def words(tags: bytes) -> memoryview:
    """Tags read as the bytes of their views (``b"".join(views)``), one int each."""
    return memoryview(tags).cast("Q")


def dict_tag(mapping: dict[Any, Any]) -> Any:
    """A view of ``mapping``'s version tag: its ``value`` is the tag now. Valid while the dict
    lives: keep the dict beside it."""
    return _UInt64.from_address(id(mapping) + _TAG_OFFSET)


class Copier:
    """Copies of one dict: the last copy again while the dict's tag has not moved, or while
    the dict still equals it, so that two snapshots share the copy and compare at once.
    ``ignore``: keys left out of the copies (the environment's ``PYTEST_CURRENT_TEST``, which
    pytest sets to another value in every phase of every test: kept, it made a new copy, and a
    comparison of the whole environment, after every test). The dict is compared with a
    second copy that holds its ignored keys' values of the moment: one C-level comparison, no
    copy, where a copy without them took 7 µs a test in a large-caches run (line-profiled)."""

    def __init__(self, ignore: frozenset[Any] = frozenset()) -> None:
        self._ignore = ignore
        self._live: dict[Any, Any] | None = None
        self._view: Any = None
        self._tag = 0
        self._copy: dict[Any, Any] = {}
        self._probe: dict[Any, Any] = {}  #: the copy, with the ignored keys as ``_live`` has them

    def copy(self, live: dict[Any, Any]) -> dict[Any, Any]:
        if live is self._live:
            tag = self._view.value  # read before comparing: a change after it moves it
            if tag != self._tag:
                self._tag = tag
                if not self._still(live):
                    self._take(live)
            return self._copy
        if DICT_TAGS and type(live) is dict:
            self._live, self._view = live, dict_tag(live)
            self._tag = self._view.value
        else:  # copied every time (a dict subclass's tag need not move with it)
            self._live = self._view = None
        self._take(live)
        return self._copy

    def _still(self, live: dict[Any, Any]) -> bool:
        """Whether ``live`` holds what the copy does, its ignored keys aside."""
        probe = self._probe
        for key in self._ignore:
            if key in live:
                probe[key] = live[key]
            else:
                probe.pop(key, None)
        return _equal(probe, live)

    def _take(self, live: dict[Any, Any]) -> None:
        probe = dict(live)  # never changed without ignored keys: then the copy itself
        self._copy = (
            {k: v for k, v in probe.items() if k not in self._ignore} if self._ignore else probe
        )
        self._probe = probe


def _equal(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
    try:  # values compare with their own __eq__ when not identical: it may raise
        return bool(a == b)
    except Exception:
        return False


class Seen:
    """The tag each dict had when it was last copied, or compared equal to its copy: while it
    has not moved, the copy still holds and need not be taken or compared again. Only the
    dicts marked since :meth:`forget` was last called are kept (each entry keeps its dict
    alive: its view reads the dict's memory)."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[dict[Any, Any], Any, int]] = {}
        self._kept: dict[int, tuple[dict[Any, Any], Any, int]] = {}

    def same(self, live: Any, key: int | None = None) -> bool:
        """Whether ``live`` is unchanged since :meth:`mark` (False when never marked). ``key``:
        ``id(live)``, when the caller has it (each call of :func:`id` is an audit event, which
        the footprint's own hook then sees)."""
        if key is None:
            key = id(live)
        entry = self._seen.get(key)
        if entry is None or entry[0] is not live or entry[1].value != entry[2]:
            return False
        self._kept[key] = entry
        return True

    def mark(self, live: Any) -> None:
        """Note ``live``'s tag now: call it *before* copying or comparing the dict."""
        if not DICT_TAGS or type(live) is not dict:
            return
        key = id(live)
        entry = self._seen.get(key)
        view = entry[1] if entry is not None and entry[0] is live else dict_tag(live)
        self._seen[key] = self._kept[key] = (live, view, view.value)

    def forget(self) -> None:
        """Keep only the dicts marked or found the same since the last call."""
        self._seen, self._kept = self._kept, {}


def _cpython() -> bool:
    gil = getattr(sys, "_is_gil_enabled", None)
    return sys.implementation.name == "cpython" and (gil is None or gil())


class _Probe:
    def __init__(self) -> None:
        self.attr = 0


def _store(probe: _Probe, value: int) -> None:
    probe.attr = value  # a store the interpreter specialises once it has run a few times


def _echo(value: object) -> object:
    return value


def _dict_tags_work() -> bool:
    """Whether every kind of change moves a dict's tag, and reads without one do not."""
    if not _cpython():
        return False
    try:
        plain: dict[str, Any] = {"a": 1}
        tag = dict_tag(plain)
        changes: list[Callable[[], object]] = [
            lambda: plain.__setitem__("b", 2),
            lambda: plain.__setitem__("a", object()),  # same size: not ma_used
            lambda: plain.__delitem__("b"),
            lambda: plain.update(c=3),
            lambda: plain.setdefault("d", 4),
            lambda: plain.pop("d"),
            lambda: plain.clear(),
        ]
        probe = _Probe()
        attrs = object.__getattribute__(probe, "__dict__")
        attrs_tag = dict_tag(attrs)
        cls = type("_Tagged", (), {"x": 1})
        class_dict = attributes_dict(cls.__dict__)
        if class_dict is None:
            return False
        cls_tag = dict_tag(class_dict)
        for change in changes:
            seen = tag.value
            if tag.value != seen:
                return False
            change()
            if tag.value == seen:
                return False
        for value in range(1, 40):  # the specialised store (3.11+) as well as the generic one
            seen = attrs_tag.value
            _store(probe, value)
            if attrs_tag.value == seen or attrs["attr"] != value:
                return False
        seen = cls_tag.value
        setattr(cls, "x", 2)  # noqa: B010
        return bool(cls_tag.value != seen)
    except Exception:
        return False


def attributes_dict(attrs: Any) -> dict[str, Any] | None:
    """The dict whose tag stands for an object's attributes (a class's proxy: the dict behind
    it), or None."""
    if type(attrs) is dict:
        return attrs
    referents = gc.get_referents(attrs) if type(attrs) is types.MappingProxyType else ()
    return referents[0] if len(referents) == 1 and type(referents[0]) is dict else None


def _random_view(generator: random.Random, size: int = _RANDOM_SIZE) -> Callable[[], bytes]:
    """Reads ``size`` bytes of ``generator``'s state, from a view made once (not
    ``ctypes.string_at``, a foreign call and an audit event per read)."""
    view = _bytes_at(id(generator) + _RANDOM_OFFSET, size)
    return lambda: view.raw


def _random_bytes_work(generator: random.Random) -> bool:
    """Whether the bytes read are random's ``index`` and ``state``, as getstate() has them."""
    if not _cpython() or type(generator) is not random.Random:
        return False
    try:
        read = _random_view(generator)
        saved = generator.getstate()
        for _ in range(3):
            _, state, _ = generator.getstate()
            index, *words = struct.unpack(f"=i{624}I", read())
            if tuple(words) != state[:624] or index != state[624]:
                return False
            before = read()
            generator.random()
            if read() == before:
                return False
        fingerprint = _random_view(generator, _RANDOM_PRINT)
        before = fingerprint()
        generator.getrandbits(32 * 624)  # the index back where it was, every word regenerated
        if fingerprint() == before:
            return False
        generator.setstate(saved)
        return bool(read() == struct.pack(f"=i{624}I", saved[1][624], *saved[1][:624]))
    except Exception:
        return False


def _lru_position() -> int | None:
    """Where, among a C ``functools.lru_cache`` wrapper's referents (counted from the end: the
    cached calls' keys and results come first in a bounded one), its cache dict is; None when
    no one place holds in both kinds, or its tag does not move with every miss and clear."""
    found = set()
    for maxsize in (None, 4):
        probe = functools.lru_cache(maxsize=maxsize)(_echo)
        probe(-7)
        referents = gc.get_referents(probe)
        places = [
            i - len(referents)
            for i, ref in enumerate(referents)
            if type(ref) is dict and list(ref) == [-7]
        ]
        if len(places) != 1:
            return None
        tag = dict_tag(referents[places[0]])
        for argument, moves in ((-7, False), (8, True), (None, True)):  # a hit, a miss, a clear
            seen = tag.value
            if argument is None:
                probe.cache_clear()
            else:
                probe(argument)
            if (tag.value != seen) != moves:
                return None
        found.add(places[0])
    return found.pop() if len(found) == 1 else None


def lru_cache_dict(wrapper: Any) -> dict[Any, Any] | None:
    """The dict a ``functools.lru_cache`` wrapper caches its calls in, or None when it cannot
    be told for sure (then its :meth:`cache_info` counts are compared)."""
    if _LRU_AT is None or wrapper.cache_parameters().get("maxsize") == 0:
        return None  # a cache of size 0 keeps nothing: only its misses count
    referents = gc.get_referents(wrapper)
    if len(referents) < -_LRU_AT:
        return None
    cache = referents[_LRU_AT]
    if type(cache) is not dict or referents[_LRU_AT + 1] is not wrapper.__wrapped__:
        return None
    return cache if len(cache) == wrapper.cache_info().currsize else None


#: ``AUDITOR_TAGS=0`` turns the reads off: the footprint then compares copies only (its tests
#: compare the records of both ways)
_WANTED = os.environ.get("AUDITOR_TAGS", "1") != "0"
#: whether :func:`dict_tag` reads a tag that every change of a dict moves
DICT_TAGS = _WANTED and _dict_tags_work()
try:
    _LRU_AT = _lru_position() if DICT_TAGS else None
except Exception:
    _LRU_AT = None
_RANDOM = getattr(random, "_inst", None)
#: random's global generator's fingerprint (bytes), with ``gauss_next``; None: use getstate()
random_bytes: Callable[[], tuple[bytes, Any]] | None = None
if _WANTED and isinstance(_RANDOM, random.Random) and _random_bytes_work(_RANDOM):
    _read_random = _random_view(_RANDOM, _RANDOM_PRINT)
    _gauss = attrgetter("gauss_next")

    def random_bytes() -> tuple[bytes, Any]:
        return _read_random(), _gauss(_RANDOM)
