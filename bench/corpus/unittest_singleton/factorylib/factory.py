"""The process-wide factory.

``Factory`` is configured once for the whole process through its class methods
(``set_base_dir``, ``set_id_type``, ``set_debug_level``); every instance and every reader sees
the same settings.
"""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

ID_TYPES = ("uuid", "int", "hex")
MAX_DEBUG_LEVEL = 2


class FactoryError(ValueError):
    """A setting the factory cannot accept."""


@dataclass(frozen=True)
class Record:
    kind: str
    id: str
    fields: dict[str, Any] = field(default_factory=dict)


class Factory:
    """Builds records. One instance per process: use :meth:`instance`."""

    base_dir: str = os.path.join("~", ".factorylib")
    id_type: str = "uuid"
    debug_level: int = 0
    _instance: Factory | None = None
    _counter = itertools.count(1)

    @classmethod
    def instance(cls) -> Factory:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    @classmethod
    def set_base_dir(cls, path: str | os.PathLike[str]) -> None:
        path = os.fspath(path)
        if not path:
            raise FactoryError("the base directory cannot be empty")
        cls.base_dir = path

    @classmethod
    def set_id_type(cls, id_type: str) -> None:
        if id_type not in ID_TYPES:
            raise FactoryError(f"unknown id type {id_type!r}; expected one of {ID_TYPES}")
        cls.id_type = id_type

    @classmethod
    def set_debug_level(cls, level: int) -> None:
        if not 0 <= level <= MAX_DEBUG_LEVEL:
            raise FactoryError(f"debug level must be between 0 and {MAX_DEBUG_LEVEL}")
        cls.debug_level = level

    def new_id(self) -> str:
        if self.id_type == "int":
            return str(next(self._counter))
        if self.id_type == "hex":
            return uuid.uuid4().hex
        return str(uuid.uuid4())

    def build(self, kind: str, **fields: Any) -> Record:
        if not kind.isidentifier():
            raise FactoryError(f"invalid record kind {kind!r}")
        return Record(kind, self.new_id(), dict(fields))

    def root(self) -> str:
        return os.path.expanduser(self.base_dir)

    def path_for(self, record: Record) -> str:
        return os.path.join(self.root(), record.kind, f"{record.id}.json")

    def describe(self, record: Record) -> str:
        text = f"{record.kind}#{record.id}"
        if self.debug_level >= 1:
            text += " " + ", ".join(f"{k}={v!r}" for k, v in sorted(record.fields.items()))
        if self.debug_level >= 2:
            text += f" @ {self.path_for(record)}"
        return text
