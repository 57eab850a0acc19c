"""The store: a JSON list of entries, each with an integer ``id``."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

Entry = dict[str, Any]


class StoreError(KeyError):
    """No entry with that id."""


class Store:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def all(self) -> list[Entry]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return list(json.load(f))

    def _write(self, entries: list[Entry]) -> None:
        # Write then rename, so that a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(entries, f, indent=1)
        os.replace(tmp, self.path)

    def add(self, entry: Entry) -> int:
        entries = self.all()
        new_id = max((e["id"] for e in entries), default=0) + 1
        entries.append({**entry, "id": new_id})
        self._write(entries)
        return new_id

    def get(self, entry_id: int) -> Entry:
        for entry in self.all():
            if entry["id"] == entry_id:
                return entry
        raise StoreError(entry_id)

    def remove(self, entry_id: int) -> None:
        entries = self.all()
        kept = [e for e in entries if e["id"] != entry_id]
        if len(kept) == len(entries):
            raise StoreError(entry_id)
        self._write(kept)

    def find(self, **criteria: Any) -> list[Entry]:
        return [e for e in self.all() if all(e.get(k) == v for k, v in criteria.items())]

    def count(self) -> int:
        return len(self.all())

    def clear(self) -> None:
        self._write([])
