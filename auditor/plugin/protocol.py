"""The fork server's requests, as :class:`auditor.runner.Server` sends them and
:class:`auditor.plugin.server.ForkServer` reads them.

One JSON object a line: ``{"op": "run", ...}`` runs an order (:class:`RunRequest`),
``{"op": "corun", ...}`` starts tests side by side (:class:`CorunRequest`), ``{"op": "quit"}``
(or the end of input) ends the server. The other keys are the record's fields, under their
names: a tuple travels as an array, a tuple of pairs as an object. A key left out takes the
field's default, but ``results`` is required. :func:`parse_request` refuses, with
:class:`ProtocolError`, a line that is not such an object: not JSON, another ``op``, a key the
record lacks, a value of another type.

The server first sends ``ready`` (once it has collected), then answers every request with one
``done``: each child's exit status (``statuses``) and their CPU seconds (``cpu_s``), or an
``error`` saying why it ran nothing.

Standard library only, and cheap to import: both sides of the socket use it.
"""

from __future__ import annotations

import dataclasses
import json
import types
from dataclasses import dataclass
from typing import Any, ClassVar, get_args, get_origin, get_type_hints


class ProtocolError(ValueError):
    """A line that is no request: the message says what is wrong with it."""


@dataclass(frozen=True)
class RunRequest:
    """Run one order in a forked child (a new child carries on after a test kills one)."""

    op: ClassVar[str] = "run"

    ids: tuple[str, ...] | None = None  #: the order; None: the seed's order, else collection order
    seed: int | None = None  #: pytest-randomly's seed: its order, its reseeding before each test
    exclude: tuple[str, ...] = ()  #: node ids left out of the order
    repeats: int = 1  #: how many times to run the order, each time in a fresh child
    stop_when_mixed: str | None = None  #: stop repeating once this test has passed and failed
    reruns: int = 0  #: reruns of a failing test (or a target) from a checkpoint before it
    targets: tuple[str, ...] = ()  #: tests rerun from a checkpoint just before them, even passing
    checkpoint_s: float = 0.05  #: seconds of tests between two checkpoints
    rerun_failures: bool = True  #: rerun every failing test (else only the targets)
    no_rerun: tuple[str, ...] = ()  #: failing tests not to rerun: their evidence is complete
    timeout: float | None = None  #: seconds a test may run before its child is ended; None: 3600
    timeouts: tuple[tuple[str, float], ...] = ()  #: per-test timeouts: (node id, seconds)
    footprint: bool = False  #: record what each test leaves changed and touches
    alone: bool = False  #: each test in a child of its own, from the collected state
    prefix: tuple[str, ...] = ()  #: alone: tests each child runs first, before its own
    #: alone: put the project's files back after a child whose test did not pass (a hang or a
    #: failure may leave what its teardown would have removed), but these paths
    keep: tuple[str, ...] | None = None
    #: alone: up to this many children at once, for the tests in ``beside`` (those seen to use
    #: no shared resource); the others run with no child beside them
    width: int = 1
    beside: tuple[str, ...] = ()
    results: str = ""  #: the file the children record to (set by ``Server.run``)

    def to_json(self) -> str:
        """The request as one line of JSON (without the newline)."""
        return _to_json(self)


@dataclass(frozen=True)
class CorunRequest:
    """Run tests side by side, each in a child of its own, all starting their test at once
    (or each ``stagger_s`` after the one before); again, up to ``repeats`` attempts, until one in
    which every test passes."""

    op: ClassVar[str] = "corun"

    ids: tuple[str, ...]  #: the tests to start together
    repeats: int = 1  #: attempts at most
    stagger_s: float = 0.0  #: each test starts this long after the one before it
    timeout: float | None = None  #: seconds a test may run before its child is ended; None: 3600
    timeouts: tuple[tuple[str, float], ...] = ()  #: per-test timeouts: (node id, seconds)
    results: str = ""  #: the file the children record to (set by ``Server.run``)

    def to_json(self) -> str:
        """The request as one line of JSON (without the newline)."""
        return _to_json(self)


Request = RunRequest | CorunRequest
_KINDS: dict[str, type[RunRequest] | type[CorunRequest]] = {
    kind.op: kind for kind in (RunRequest, CorunRequest)
}


def parse_request(line: str) -> Request | None:
    """The request on ``line``; None for ``quit``. Raises :class:`ProtocolError`."""
    try:
        message = json.loads(line)
    except json.JSONDecodeError as error:
        raise ProtocolError(f"malformed request: not JSON ({error})") from None
    if not isinstance(message, dict):
        raise ProtocolError("malformed request: not a JSON object")
    op = message.pop("op", None)
    if op == "quit":
        return None
    if op not in _KINDS:
        raise ProtocolError(f"unknown request {op!r}: expected run, corun or quit")
    kind = _KINDS[op]
    hints = _hints(kind)
    unknown = sorted(set(message) - set(hints))
    if unknown:
        raise ProtocolError(f"malformed {op} request: unknown fields {', '.join(unknown)}")
    try:
        request = kind(**{name: _decode(hints[name], value) for name, value in message.items()})
    except (TypeError, ValueError) as error:
        raise ProtocolError(f"malformed {op} request: {error}") from None
    if not request.results:
        raise ProtocolError(f"malformed {op} request: no results file")
    return request


def _to_json(request: Request) -> str:
    message: dict[str, Any] = {"op": request.op}
    for name, hint in _hints(type(request)).items():
        value = getattr(request, name)
        message[name] = dict(value) if _is_pairs(hint) else value
    return json.dumps(message)


def _hints(kind: type[Request]) -> dict[str, Any]:
    """The field types of a request record (its ``op`` aside)."""
    hints = get_type_hints(kind)
    return {field.name: hints[field.name] for field in dataclasses.fields(kind)}


def _decode(hint: Any, value: Any) -> Any:
    """``value`` as JSON gave it, checked against the field type ``hint`` and converted to it."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is types.UnionType:  # X | None
        return None if value is None else _decode(args[0], value)
    if origin is tuple:
        if _is_pairs(hint) and isinstance(value, dict):
            value = list(value.items())
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected an array, got {value!r}")
        kinds = [args[0]] * len(value) if args[-1] is Ellipsis else list(args)
        if len(kinds) != len(value):
            raise TypeError(f"expected {len(kinds)} items, got {value!r}")
        return tuple(_decode(kind, item) for kind, item in zip(kinds, value, strict=True))
    if hint is float and type(value) is int:
        return float(value)
    if type(value) is not hint:
        raise TypeError(f"expected {hint.__name__}, got {value!r}")
    return value


def _is_pairs(hint: Any) -> bool:
    """Whether ``hint`` is a tuple of pairs: an object on the wire."""
    args = get_args(hint)
    return get_origin(hint) is tuple and args[-1:] == (Ellipsis,) and get_origin(args[0]) is tuple
