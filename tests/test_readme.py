"""The README documents what the code does: the exit-code tables are the enums."""

from __future__ import annotations

import enum
import inspect
import re
from pathlib import Path

import pytest

from auditor.exits import AuditExit, FixExit, RunExit, ScanExit

README = Path(__file__).parent.parent / "README.md"


def exit_table(codes: type[enum.IntEnum]) -> str:
    """The Markdown table of an exit-code enum, from its members' ``#:`` comments."""
    source = inspect.getsource(codes)
    rows = ["| code | name | meaning |", "| --- | --- | --- |"]
    for name, value, meaning in re.findall(r"^\s+(\w+) = (\d+)\s+#: (.+)$", source, re.M):
        assert codes[name] == int(value)
        rows.append(f"| {value} | `{name}` | {meaning} |")
    assert len(rows) == 2 + len(codes)
    return "\n".join(rows)


@pytest.mark.parametrize("codes", [RunExit, AuditExit, FixExit, ScanExit])
def test_the_readme_lists_every_exit_code(codes: type[enum.IntEnum]) -> None:
    assert exit_table(codes) in README.read_text(encoding="utf-8")
