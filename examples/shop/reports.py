"""Sales reports written as JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def summarize(period: str, orders: list[int]) -> dict[str, Any]:
    """Summary of a list of order totals (in cents) for a reporting period."""
    return {"period": period, "orders": len(orders), "revenue_cents": sum(orders)}


def write_report(path: str | Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as JSON to ``path``, creating the parent directory if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    return path


def read_report(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
