"""The user's files: atomic writes, uncommitted changes, diffs. Nothing the user owns is lost.

A write goes to a temporary file in the same folder, is flushed to disk, and replaces the old
file in one ``os.replace``: an interruption leaves the old file or the new one, never half of one.
The reports are written the same way (:mod:`auditor.report`).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

from auditor.git import git


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` in one step, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".auditor", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(scratch, mode)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def read(path: Path) -> str:
    """The file's text exactly (newlines as they are)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def uncommitted(path: Path) -> str | None:
    """Why ``path`` may hold work that is not committed, or None when git says it is clean."""
    status = git(path.parent, "status", "--porcelain", "--", path.name)
    if status is None:
        return "git is not available to tell whether it has uncommitted changes"
    if status.returncode != 0:
        return "it is not in a git repository, so its uncommitted changes cannot be told apart"
    if status.stdout.strip():
        return "it has uncommitted changes"
    return None


def diff(path: str, before: str, after: str) -> str:
    """A unified diff, ``a/PATH`` → ``b/PATH``, as git prints it."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
