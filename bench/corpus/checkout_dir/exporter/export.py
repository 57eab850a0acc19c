"""Writing records out."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]


def prepare_output(directory: str) -> str:
    """Create the output directory (and parents) if needed."""
    os.makedirs(directory, exist_ok=True)
    return directory


def _columns(rows: Sequence[Row]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return columns


def export_csv(rows: Sequence[Row], directory: str, name: str) -> str:
    path = os.path.join(prepare_output(directory), f"{name}.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=_columns(rows), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def export_json(
    rows: Sequence[Row], directory: str, name: str, *, indent: int | None = None
) -> str:
    path = os.path.join(prepare_output(directory), f"{name}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(list(rows), f, indent=indent, default=str)
    return path
