"""Reads records back from the factory's base directory."""

from __future__ import annotations

import json
import os

from factorylib.factory import Factory, Record


class Reader:
    def __init__(self) -> None:
        self.factory = Factory.instance()

    @property
    def root(self) -> str:
        return self.factory.root()

    def encode(self, record: Record) -> str:
        return json.dumps({"kind": record.kind, "id": record.id, "fields": record.fields})

    def decode(self, text: str) -> Record:
        data = json.loads(text)
        return Record(data["kind"], data["id"], data.get("fields", {}))

    def save(self, record: Record, root: str) -> str:
        path = os.path.join(root, record.kind, f"{record.id}.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.encode(record))
        return path

    def load(self, path: str) -> Record:
        with open(path, encoding="utf-8") as f:
            return self.decode(f.read())
