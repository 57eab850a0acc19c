"""The project's files as the fixes see them: what each holds now (on disk, or proposed in a dry
run), which are left alone and why, and which this fix wrote itself.

A file is left alone when it is missing, does not parse, or has uncommitted changes (unless
``force``): the user's work is never mixed with a rewrite. Writes are atomic (:mod:`files`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from auditor.fix import files
from auditor.fix.source import Outcome, parse

Changed = Mapping[str, tuple[str, str]]  #: path → (text before, text after)


class Workspace:
    """The test files one ``auditor fix`` reads and rewrites, by path relative to ``root``."""

    def __init__(self, root: Path, force: bool = False) -> None:
        self.root = root
        self.force = force  #: also rewrite files with uncommitted changes
        self._texts: dict[str, str] = {}  # path → current text (on disk, or proposed)
        self._ours: set[str] = set()  # files this fix wrote: their changes are ours
        self._blocked: dict[str, str] = {}  # path → why it is left alone ("" when usable)

    def usable(self, path: str) -> str:
        """Why the file ``path`` is left alone, or "" when it may be rewritten."""
        if path in self._texts:
            return ""
        if path not in self._blocked:
            self._blocked[path] = self._check(path)
        return self._blocked[path]

    def text(self, path: str) -> str:
        """The current text of a usable file."""
        return self._texts[path]

    def propose(self, path: str, text: str) -> None:
        """``text`` is the file's text from now on (written by :meth:`write`)."""
        self._texts[path] = text

    def write(self, changed: Changed) -> None:
        """Write the new texts."""
        for path, (_, after) in changed.items():
            files.write_atomically(self.root / path, after)
            self._ours.add(path)

    def restore(self, changed: Changed) -> None:
        """Put the old texts back, on disk and here."""
        for path, (before, _) in changed.items():
            files.write_atomically(self.root / path, before)
            self._texts[path] = before

    def uncommitted(self, path: str) -> str | None:
        """Why ``path`` must not be written (changes not committed, and no ``--force``)."""
        if self.force or path in self._ours or not (self.root / path).exists():
            return None
        why = files.uncommitted(self.root / path)
        return f"{path}: {why}" if why else None

    def claim(self, path: str) -> None:
        """A file written outside :meth:`write` (the configuration): its changes are ours."""
        self._ours.add(path)

    def skipped(self) -> tuple[tuple[str, str], ...]:
        """(path, why) of every file left alone, by path."""
        return tuple((path, why) for path, why in sorted(self._blocked.items()) if why)

    def _check(self, path: str) -> str:
        full = self.root / path
        if not full.is_file():
            return f"{path} does not exist (moved since the audit?)"
        why = self.uncommitted(path)
        if why:
            return f"{why}; commit it first, or pass --force"
        text = files.read(full)
        if isinstance(parse(text), Outcome):
            return f"{path} does not parse: fix its syntax, then rerun"
        self._texts[path] = text
        return ""
