"""``git`` as auditor asks it things: one place that starts it, its output captured."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """``git ARGS`` run in ``cwd`` (never raising on its exit code); None when git cannot start."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None


def answer(cwd: Path, *args: str) -> str | None:
    """The stripped output of a git query that succeeded, or None (no git, not a repository,
    an empty answer)."""
    done = git(cwd, *args)
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None
