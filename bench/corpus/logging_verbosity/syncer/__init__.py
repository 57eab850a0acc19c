"""syncer: one-way synchronisation of file trees (held as name → content mappings)."""

from __future__ import annotations

from syncer.core import SyncResult, sync
from syncer.log import get_verbosity, logger, quiet, set_verbosity, verbosity

__all__ = ["SyncResult", "get_verbosity", "logger", "quiet", "set_verbosity", "sync", "verbosity"]
