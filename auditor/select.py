"""Stage 1, select: which tests a run covers.

A selection comes from CLI paths, a selection file (``--selection``), ``[tool.auditor] selection``
in the project's pyproject.toml, or, with none of these, pytest's own defaults (``testpaths``…).
A selection file has one path or node id per line; blank lines and ``#`` comments are skipped;
it is read as UTF-8 with or without a byte-order mark. Paths are relative to the project folder.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from auditor.exits import NothingCollected, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on the oldest supported Python only
    import tomli as tomllib


class SelectionError(UsageError):
    """A selection that cannot be used; the message says what is wrong and what to do."""


class NothingSelected(SelectionError, NothingCollected):
    """The selection is valid but names no test."""


@dataclass(frozen=True)
class Selection:
    """The pytest arguments that select the tests, and where they came from."""

    args: tuple[str, ...]  #: paths or node ids; empty means pytest's defaults
    source: str  #: "command line", the selection file's path, or "pytest defaults"


def read_selection_file(name: str, root: Path) -> tuple[str, ...]:
    """The entries of the selection file ``name`` (relative to ``root``), each checked to exist.

    A line holds one path or node id; blank lines, lines starting with ``#`` and trailing
    `` # comments`` are skipped.
    """
    path = root / name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, IsADirectoryError):
        raise SelectionError(f"{name} not found") from None
    except UnicodeDecodeError as exc:
        raise SelectionError(
            f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    entries = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        entry = raw.split(" #", 1)[0].strip()
        if not entry or entry.startswith("#"):
            continue
        if not (root / _path_part(entry)).exists():
            raise SelectionError(f"{name}:{lineno}: {_path_part(entry)} does not exist")
        entries.append(entry)
    if not entries:
        raise NothingSelected(
            f"nothing selected: {name} lists no test paths, only blank lines and comments"
        )
    return tuple(entries)


def _path_part(entry: str) -> str:
    return entry.split("::", 1)[0]


def configured_selection(root: Path) -> str | None:
    """``[tool.auditor] selection`` from ``root/pyproject.toml``, if set."""
    return tool_setting(root, "selection")


def tool_setting(root: Path, key: str) -> str | None:
    """``[tool.auditor] KEY`` (a file path) from ``root/pyproject.toml``, if set."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SelectionError(f"{pyproject} is not valid TOML: {exc}") from None
    value = data.get("tool", {}).get("auditor", {}).get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise SelectionError(
            f"{pyproject}: [tool.auditor] {key} must be a file path string, got {value!r}"
        )
    return value


def resolve(paths: list[str], selection_file: str | None, root: Path) -> Selection:
    """The selection for a run in ``root``: CLI paths, else a selection file, else the defaults."""
    if paths and selection_file:
        raise SelectionError("give test paths or --selection, not both")
    if paths:
        for entry in paths:
            if not (root / _path_part(entry)).exists():
                raise SelectionError(f"{_path_part(entry)} does not exist (under {root})")
        return Selection(tuple(paths), "command line")
    name = selection_file or configured_selection(root)
    if name is None:
        return Selection((), "pytest defaults")
    return Selection(read_selection_file(name, root), name)
