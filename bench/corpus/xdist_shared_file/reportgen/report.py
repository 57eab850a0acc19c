"""Reports: counts and failures of a run, as a JSON document."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any


def build_report(name: str, results: Mapping[str, str]) -> dict[str, Any]:
    """``results``: test id → "passed" / "failed" / "skipped"."""
    counts = {outcome: 0 for outcome in ("passed", "failed", "skipped")}
    for outcome in results.values():
        if outcome not in counts:
            raise ValueError(f"unknown outcome {outcome!r}")
        counts[outcome] += 1
    return {
        "name": name,
        "counts": counts,
        "failures": sorted(t for t, o in results.items() if o == "failed"),
        "ok": counts["failed"] == 0,
    }


def write_report(report: Mapping[str, Any], path: str) -> str:
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    return path


def read_report(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return dict(json.load(f))
