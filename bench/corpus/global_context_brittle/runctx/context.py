"""The runtime context: which system we run on. Initialised once, read everywhere."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class ContextError(RuntimeError):
    """The runtime is used before ``init()``, or initialised with a bad configuration."""


@dataclass(frozen=True)
class Context:
    system: str
    partitions: tuple[str, ...]
    environs: tuple[str, ...]
    prefix: str
    options: Mapping[str, str] = field(default_factory=dict)

    def partition(self, name: str | None = None) -> str:
        if name is None:
            return self.partitions[0]
        if name not in self.partitions:
            raise ContextError(f"system {self.system} has no partition {name!r}")
        return name


_current: Context | None = None


def init(
    system: str = "generic",
    *,
    partitions: tuple[str, ...] = ("default",),
    environs: tuple[str, ...] = ("builtin",),
    prefix: str = "/tmp/runctx",
    **options: str,
) -> Context:
    """Initialise (or re-initialise) the runtime for ``system``."""
    global _current
    if not _NAME.match(system):
        raise ContextError(f"invalid system name {system!r}")
    if not partitions:
        raise ContextError("a system needs at least one partition")
    if not environs:
        raise ContextError("a system needs at least one programming environment")
    _current = Context(system, tuple(partitions), tuple(environs), prefix, dict(options))
    return _current


def current() -> Context:
    if _current is None:
        raise ContextError("the runtime is not initialised: call runctx.init() first")
    return _current


def is_initialised() -> bool:
    return _current is not None


def reset() -> None:
    global _current
    _current = None
