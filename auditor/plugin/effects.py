"""Effects: *how* a test changed a state, as short tokens, so that writers can be told apart.

The footprint names the state a test leaves changed (``global:app.manager._cache``). In a real
suite hundreds of tests change a memoising cache the same way (they look up a setting and the
cache keeps its default value) and one test changes it another way (it overrides the setting):
the name alone cannot tell the polluter from the readers. An effect can:

- a dict changed in place: one item per key added, changed or removed, ``KEY=VALUE`` or
  ``KEY-`` (removed);
- a list or set changed in place: ``+VALUE`` per item added, ``-VALUE`` per item removed;
- a binding rebound (a module global, an object's attribute): ``=VALUE``.

``KEY`` and ``VALUE`` are tokens: an 8-digit hash of the ``repr`` of a simple value (numbers,
strings, bytes, None, and tuples of them), of a function's or class's qualified name, else of the
value's type. Values never leave the process, only their hashes (a cache may hold a secret).
Two tests that leave the same value under the same key have the same item, in any process.
A state with more than ``MAX_ITEMS`` items, or that cannot be compared item by item (a wide
container compared by its size, an lru_cache), has no items: then only its name counts.
"""

from __future__ import annotations

import hashlib
from typing import Any

MAX_ITEMS = 24  #: more items than this: the change is wholesale, its name says enough
_SIMPLE = (type(None), bool, int, float, complex, str, bytes)
_MISSING = object()


def token(value: Any) -> str:
    """The value's token: the same for equal simple values and for the same function or class
    in any process; otherwise its type's."""
    kind = type(value)
    if kind in _SIMPLE or (kind in (tuple, frozenset) and _simple_items(value)):
        text = f"{kind.__name__}:{value!r}"
    elif callable(value) and hasattr(value, "__qualname__"):
        text = f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    else:
        text = f"<{kind.__module__}.{kind.__qualname__}>"
    return hashlib.blake2b(text.encode(errors="replace"), digest_size=4).hexdigest()


def _simple_items(values: Any) -> bool:
    return len(values) <= 16 and all(type(v) in _SIMPLE for v in values)


def changed(before: Any, after: Any) -> tuple[str, ...] | None:
    """The items of the change from ``before`` to ``after`` (two copies of a container), or None
    when they cannot be told item by item."""
    if type(before) is not type(after):
        return None
    if type(before) is dict:
        items = _dict_items(before, after)
    elif type(before) in (list, set):
        old, new = {token(v) for v in before}, {token(v) for v in after}
        items = [f"+{t}" for t in new - old] + [f"-{t}" for t in old - new]
    else:
        return None
    return tuple(sorted(items)) if len(items) <= MAX_ITEMS else None


def rebound(value: Any) -> tuple[str, ...]:
    """The item of a binding rebound to ``value`` (or removed: ``_MISSING``)."""
    return ("-",) if value is _MISSING else (f"={token(value)}",)


def _dict_items(before: dict[Any, Any], after: dict[Any, Any]) -> list[str]:
    items = []
    for key in before.keys() | after.keys():
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old is new or (old is not _MISSING and new is not _MISSING and _same(old, new)):
            continue
        items.append(f"{token(key)}-" if new is _MISSING else f"{token(key)}={token(new)}")
        if len(items) > MAX_ITEMS:
            break
    return items


def _same(a: Any, b: Any) -> bool:
    try:  # items compare with their own __eq__: it may raise
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


MISSING = _MISSING
