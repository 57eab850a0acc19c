"""The synchronisation itself."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field

from syncer.log import logger


@dataclass
class SyncResult:
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.copied)} copied, {len(self.skipped)} unchanged, "
            f"{len(self.conflicts)} conflicts, {len(self.deleted)} deleted"
        )


def digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def sync(
    source: Mapping[str, str],
    target: MutableMapping[str, str],
    *,
    protected: frozenset[str] = frozenset(),
    delete: bool = False,
) -> SyncResult:
    """Make ``target`` hold ``source``'s files; ``protected`` names are never overwritten."""
    result = SyncResult()
    for name in sorted(source):
        content = source[name]
        if name in target and digest(target[name]) == digest(content):
            logger.debug("unchanged %s", name)
            result.skipped.append(name)
        elif name in target and name in protected:
            logger.warning("conflict on protected file %s: left as it is", name)
            result.conflicts.append(name)
        else:
            logger.debug("copy %s (%d bytes)", name, len(content))
            target[name] = content
            result.copied.append(name)
    if delete:
        for name in sorted(set(target) - set(source) - protected):
            logger.debug("delete %s", name)
            del target[name]
            result.deleted.append(name)
    logger.info("sync done: %s", result.summary())
    return result
