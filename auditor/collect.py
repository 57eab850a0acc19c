"""Stage 2, collect: the node ids of a selection, in pytest's default order, from one run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.runner import PytestCall, run_pytest


@dataclass(frozen=True)
class Collection:
    ids: tuple[str, ...]
    errors: tuple[tuple[str, str], ...]  #: (node id, reason) of files that failed to collect


def collect(selection: tuple[str, ...], root: Path, env: Mapping[str, str]) -> Collection:
    """Collect once (``--collect-only``), without randomly, so the order is pytest's default."""
    with open(os.devnull, "w") as sink:
        result = run_pytest(
            PytestCall(args=("--collect-only", "-q", *selection)), cwd=root, env=env, output=sink
        )
    return Collection(result.collected or (), result.collect_errors)
