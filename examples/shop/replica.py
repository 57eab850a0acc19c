"""A simulated primary/replica key-value store with replication lag.

Writes go to the primary; a replica applies them asynchronously, so a read made
right after a write is sometimes served from a stale copy (about 1 read in 4).
"""

from __future__ import annotations

import os

STALE_READ_PROBABILITY = 0.25


def _replica_lagging(probability: float) -> bool:
    # Real lag depends on the network, not on any seed: use OS entropy, not `random`.
    return int.from_bytes(os.urandom(2), "big") / 65536 < probability


class Primary:
    def __init__(self) -> None:
        self._data: dict[str, int] = {}
        self._replicas: list[Replica] = []

    def write(self, key: str, value: int) -> None:
        self._data[key] = value
        for replica in self._replicas:
            replica._pending.append((key, value))

    def replica(self) -> Replica:
        replica = Replica(dict(self._data))
        self._replicas.append(replica)
        return replica


class Replica:
    def __init__(self, snapshot: dict[str, int]) -> None:
        self._data = snapshot
        self._pending: list[tuple[str, int]] = []

    def read(self, key: str) -> int | None:
        """Read ``key``; the pending log is applied only if replication has caught up."""
        if not _replica_lagging(STALE_READ_PROBABILITY):
            self.sync()
        return self._data.get(key)

    def sync(self) -> None:
        """Apply all pending writes (what waiting for replication would do)."""
        for key, value in self._pending:
            self._data[key] = value
        self._pending.clear()
