"""jsonstore: a tiny document store kept in one JSON file."""

from __future__ import annotations

from jsonstore.store import Store, StoreError

__all__ = ["Store", "StoreError"]
