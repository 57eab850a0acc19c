"""``--auditor-only=FILE``: run only the node ids listed in FILE (one per line), the others
deselected after collection. ``auditor run --shard I/N`` hands each shard its share this way:
a command line of ten thousand node ids would not fit, and every xdist worker must deselect the
same tests to agree on the collection.
"""

from __future__ import annotations

from pathlib import Path

import pytest


class OnlyListed:
    def __init__(self, path: str) -> None:
        self.wanted = frozenset(Path(path).read_text(encoding="utf-8").splitlines())

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        kept = [item for item in items if item.nodeid in self.wanted]
        dropped = [item for item in items if item.nodeid not in self.wanted]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
