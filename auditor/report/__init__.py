"""Stage 8, report: machine-readable JSON and readable Markdown in the report folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.fix.files import write_atomically


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` atomically: readers never see half a report."""
    write_text(path, json.dumps(data, indent=2) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` atomically, creating the report folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)


def table_cell(text: str) -> str:
    """``text`` as one Markdown table cell: pipes escaped, one line, at most 200 characters."""
    return text.replace("|", "\\|").replace("\n", " ")[:200]
