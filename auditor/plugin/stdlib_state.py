"""The standard library's process-wide state in a snapshot, and the names of what differs.

A test can leave the process changed outside any module of the project: a logger's level, a
signal handler, the umask. Each kind is named under ``global:`` by what reads it, so that a
fixer can save it when a test starts and restore it when the test ends (name: how to restore):

- ``global:logging.root.level``, ``global:logging.getLogger('app.db').level``:
  ``logger.setLevel(saved)``; ``….handlers``: ``logger.handlers[:] = saved``;
  ``….propagate``, ``….disabled``: assign the attribute back;
- ``global:logging.disable`` (read ``logging.root.manager.disable``): ``logging.disable(saved)``;
- ``global:warnings.filters``: ``warnings.filters[:] = saved`` (or ``warnings.catch_warnings()``);
- ``global:os.umask``: ``os.umask(saved)``;
- ``global:locale`` (read ``locale.setlocale(locale.LC_ALL, None)``):
  ``locale.setlocale(locale.LC_ALL, saved)``;
- ``global:socket.defaulttimeout``: ``socket.setdefaulttimeout(saved)``;
- ``global:signal[SIGTERM]`` (read ``signal.getsignal(signal.SIGTERM)``):
  ``signal.signal(signal.SIGTERM, saved)``;
- ``global:random.state``: ``random.setstate(saved)`` (read ``random.getstate()``);
- ``global:decimal.context``: ``decimal.setcontext(saved)`` (read ``decimal.getcontext().copy()``);
- ``global:sys.recursionlimit``: ``sys.setrecursionlimit(saved)``.

The rule: an attribute that can be assigned back is named by the expression that reaches it
(a logger by ``logging.getLogger(NAME)``, the root logger by ``logging.root``); state behind a
getter and a setter by ``MODULE.THING`` (``socket.getdefaulttimeout`` / ``setdefaulttimeout`` →
``socket.defaulttimeout``); state behind one function by that function (``os.umask``,
``logging.disable``, ``locale`` for ``locale.setlocale``); a signal's handler by the signal's
name (its number for a real-time signal without one).

What each compares: a logger's level, propagate and disabled by value and its handlers by
identity (a logger a test merely created compares as a fresh one: no change); the decimal
context's precision, rounding, Emin, Emax, capitals, clamp and traps (not its flags, which any
arithmetic sets); every signal's handler (only the main thread can set one, but any thread
reads them).

Two kinds are compared only when pytest leaves them to the tests: ``warnings.filters`` not while
pytest's ``warnings`` plugin runs (it copies them before a test's setup and puts them back after
its teardown, so a test's filter cannot reach the next test), ``random.state`` not while
pytest-randomly reseeds ``random`` before every test. pytest's other changes around a test (the
logging plugin's capture handlers and levels, ``caplog``'s) are made after the first snapshot of a
footprint and undone before the second, in every phase, so they never show.
"""

from __future__ import annotations

import locale
import logging
import os
import random
import signal
import socket
import sys
import warnings
from operator import attrgetter, countOf
from typing import Any, NamedTuple

from auditor.plugin import effects, tags

_SCALARS = (
    "global:os.umask",
    "global:locale",
    "global:socket.defaulttimeout",
    "global:sys.recursionlimit",
    "global:decimal.context",
    "global:random.state",
    "global:warnings.filters",
    "global:logging.disable",
)
#: compared whole: no value token tells two changes of them apart cheaply
_WHOLE = frozenset({"global:decimal.context", "global:random.state", "global:warnings.filters"})
_UNSETTABLE = {getattr(signal, name, None) for name in ("SIGKILL", "SIGSTOP")}
_SIGNALS = tuple(sorted(s for s in signal.valid_signals() if s not in _UNSETTABLE))
_SIGNAL_NAMES = tuple(s.name if isinstance(s, signal.Signals) else str(int(s)) for s in _SIGNALS)
#: signal.getsignal without its conversion of the result to an enum member (most of its cost)
_getsignal = getattr(sys.modules.get("_signal"), "getsignal", signal.getsignal)
#: locale.setlocale without its Python wrapper, which only converts a locale given as a tuple
_setlocale = getattr(locale, "_setlocale", locale.setlocale)
_LOGGER_FIELDS = attrgetter("level", "propagate", "disabled")
_FIELD_NAMES = ("level", "propagate", "disabled")
_HANDLERS = attrgetter("handlers")
_FRESH_LOGGER = ((logging.NOTSET, True, False), ())


class Changed(NamedTuple):
    """One changed kind of state; ``owner`` and ``attr`` when it is an object's attribute (a
    logger's), so that the modules holding that object can name it too."""

    name: str
    owner: object = None
    attr: str = ""
    #: how it changed (:mod:`auditor.plugin.effects`): the new value's token; None for state
    #: too large to tell by value (random's state, the warnings filters, the decimal context)
    effect: tuple[str, ...] | None = None


class ProcessState:
    """Takes and compares the standard library's process-wide state, cheaply: C-level reads,
    compared as a whole first."""

    def __init__(self, *, warnings: bool = True, random: bool = True) -> None:
        self.warnings = warnings  #: compare warnings.filters (no plugin restores them)
        self.random = random  #: compare random's state (pytest-randomly does not reseed it)
        self._mask = _read_umask(0o022)
        self._key: tuple[int, int] | None = None
        self._names: tuple[str, ...] = ()
        self._loggers: tuple[logging.Logger, ...] = ()
        self._prints: dict[str, tuple[Any, ...]] = {}  #: the last logger prints, and how to
        self._watched: tuple[Any, ...] | None = None  #: …tell they still hold

    def take(self) -> tuple[Any, ...]:
        decimal = sys.modules.get("decimal")
        scalars = (
            self._umask(),
            _setlocale(locale.LC_ALL, None),
            socket.getdefaulttimeout(),
            sys.getrecursionlimit(),
            _decimal_print(decimal.getcontext()) if decimal else None,
            _random_state() if self.random else None,
            tuple(warnings.filters) if self.warnings else None,
            logging.root.manager.disable,
        )
        return scalars, tuple(map(_getsignal, _SIGNALS)), self._logger_prints()

    def changed(self, before: tuple[Any, ...], after: tuple[Any, ...]) -> list[Changed]:
        if before == after:
            return []
        (scalars, signals, loggers), (scalars2, signals2, loggers2) = before, after
        found = []
        if scalars != scalars2:
            decimal = sys.modules.get("decimal")
            fresh = _decimal_print(decimal.Context()) if decimal else None
            for name, old, new in zip(_SCALARS, scalars, scalars2, strict=True):
                if name == "global:decimal.context":  # first imported during the test
                    old, new = old or fresh, new or fresh
                if old != new:
                    how = effects.rebound(new) if name not in _WHOLE else None
                    found.append(Changed(name, effect=how))
        if signals != signals2:
            found += [
                Changed(f"global:signal[{name}]", effect=effects.rebound(new))
                for name, old, new in zip(_SIGNAL_NAMES, signals, signals2, strict=True)
                if old != new
            ]
        if loggers != loggers2:
            found += _logger_changes(loggers, loggers2)
        return found

    def _umask(self) -> int:
        # Reading the umask sets it. Setting the value seen last makes the read a no-op when it
        # did not change (nearly always), so no other thread ever sees a wrong umask then.
        current = os.umask(self._mask)
        if current != self._mask:
            os.umask(current)
            self._mask = current
        return current

    def _logger_prints(self) -> dict[str, tuple[Any, ...]]:
        """Logger name ("" for the root) → ((level, propagate, disabled), handlers): the last
        prints again while no logger's attributes, handler list or the loggers' table moved."""
        if self._loggers_still():
            return self._prints
        root = logging.root
        table = root.manager.loggerDict
        views = tags.dict_tag(table) if tags.DICT_TAGS and type(table) is dict else None
        tag = bytes(views) if views is not None else b""  # before the loggers: see _loggers_still
        key = (len(table), countOf(map(type, table.values()), logging.PlaceHolder))
        if key != self._key:  # loggers were created, or a placeholder became one
            self._key = key
            pairs = [(n, lg) for n, lg in list(table.items()) if isinstance(lg, logging.Logger)]
            self._names = ("", *(name for name, _ in pairs))
            self._loggers = (logging.root, *(lg for _, lg in pairs))
        loggers = (root, *self._loggers[1:])
        attributes: list[Any] = [getattr(logger, "__dict__", None) for logger in loggers]
        if views is not None and all(type(a) is dict for a in attributes):
            # The attributes' tags, then the handler lists, then the prints: a change after
            # a read moves what was read.
            views = (views, *map(tags.dict_tag, attributes))
            tags_then = tag + b"".join(views[1:])
            lists = list(map(_HANDLERS, loggers))
            copies = [list(handlers) for handlers in lists]
            self._watched = (root, table, attributes, views, tags_then, lists, copies)
        else:
            self._watched = None
        prints = zip(map(_LOGGER_FIELDS, loggers), map(tuple, map(_HANDLERS, loggers)), strict=True)
        self._prints = dict(zip(self._names, prints, strict=True))
        return self._prints

    def _loggers_still(self) -> bool:
        """Whether the loggers printed last are as they were: the same root and table, no
        tag of the table or of a logger's attributes moved (a level, ``propagate``,
        ``disabled``, ``handlers`` rebound; a logger or placeholder added), every handler list
        equal to its copy."""
        watched = self._watched
        if watched is None:
            return False
        root, table, _, views, tags_then, lists, copies = watched
        return (
            logging.root is root
            and root.manager.loggerDict is table
            and b"".join(views) == tags_then  # each view's bytes (see tags.words)
            and lists == copies
        )


def _logger_changes(
    before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]
) -> list[Changed]:
    found = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, _FRESH_LOGGER), after.get(name, _FRESH_LOGGER)
        if old == new:
            continue
        logger = logging.root.manager.loggerDict.get(name) if name else logging.root
        where = "logging.root" if not name else f"logging.getLogger({name!r})"
        how: dict[str, tuple[str, ...] | None] = {
            attr: effects.rebound(n)
            for attr, o, n in zip(_FIELD_NAMES, old[0], new[0], strict=True)
            if o != n
        }
        if old[1] != new[1]:
            how["handlers"] = effects.changed(list(old[1]), list(new[1]))
        found += [
            Changed(f"global:{where}.{attr}", logger, attr, how[attr]) for attr in sorted(how)
        ]
    return found


def _random_state() -> Any:
    """random's global state: a fingerprint of its bytes when they can be read
    (:mod:`auditor.plugin.tags`), not :func:`random.getstate`, which builds 625 ints."""
    return tags.random_bytes() if tags.random_bytes is not None else random.getstate()


def _decimal_print(context: Any) -> tuple[Any, ...]:
    """prec, rounding, Emin, Emax, capitals, clamp, and the traps set in the order decimal
    lists them (the flags left out)."""
    args = context.__reduce__()[1]
    return args[:6], args[7]


def _read_umask(guess: int) -> int:
    mask = os.umask(guess)
    os.umask(mask)
    return mask
