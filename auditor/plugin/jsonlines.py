"""JSON-lines files as the plugin writes them and auditor reads them back.

:func:`append_json_line` adds one record with a single ``O_APPEND`` write, so the line lands whole
even while another process (the controller, a child, a watchdog) writes to the same file.
:func:`read_json_lines` returns every record a file holds, skipping lines that are not a JSON
object: the last line of a process killed while writing may be cut short. A missing file holds
none.

Standard library only, and cheap to import: auditor's own side reads results with it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any


def read_json_lines(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The JSON objects in ``path``, one a line; a line cut short by a kill is left out."""
    records = []
    try:
        with open(path, encoding="utf-8") as file:
            for line in file:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
    except FileNotFoundError:
        pass
    return records


def append_json_line(path: str, record: Mapping[str, Any]) -> None:
    """Append ``record`` to ``path`` as one line, in one write."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(dict(record)) + "\n").encode())
    finally:
        os.close(fd)
