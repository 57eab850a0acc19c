"""What :mod:`auditor.plugin.world` writes a file back from.

:meth:`Backup.take` copies every regular file up to ``file_cap`` bytes (:data:`FILE_CAP`) into
one pack file in a private temporary folder, while the copies stay under ``total_cap`` bytes
(:data:`TOTAL_CAP`) in all. For a file it does not copy (too large, or past the total), it notes
git's blob when git tracks exactly the file's bytes: they are hashed as git hashes a blob and
compared with the index's, so that no clean or smudge filter comes between; ``git cat-file``
gives them back. A file with neither cannot be written back.

Standard library only, like the rest of the plugin package.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping

FILE_CAP = 1 << 20  #: bytes: larger regular files are not copied (git may still hold them)
TOTAL_CAP = 256 << 20  #: bytes: the copies of one backup, in all


class Backup:
    """The bytes of the files of one tree, as they were when :meth:`take` read them."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._folder = tempfile.mkdtemp(prefix="auditor-world-")
        self._pack = os.path.join(self._folder, "pack")
        self._copies: dict[str, tuple[int, int]] = {}  #: file → (offset, length) in the pack
        self._blobs: dict[str, str] = {}  #: file → its git blob id

    @classmethod
    def take(
        cls,
        root: str,
        sizes: Mapping[str, int],
        file_cap: int = FILE_CAP,
        total_cap: int = TOTAL_CAP,
    ) -> Backup:
        """Back up the files ``sizes`` names (``a/b`` under ``root`` → size in bytes)."""
        backup = cls(root)
        total = 0
        others = []
        with open(backup._pack, "wb") as pack:
            for rel, size in sizes.items():
                if size > file_cap or total + size > total_cap:
                    others.append(rel)
                    continue
                try:
                    with open(backup._path(rel), "rb") as source:
                        data = source.read()
                except OSError:
                    others.append(rel)
                    continue
                backup._copies[rel] = (pack.tell(), len(data))
                pack.write(data)
                total += len(data)
        if others:
            backup._blobs = _git_blobs(root, others)
        return backup

    def holds(self, rel: str) -> bool:
        return rel in self._copies or rel in self._blobs

    def content(self, rel: str) -> bytes:
        """The bytes of ``rel`` when it was backed up (OSError or SubprocessError if lost)."""
        if rel in self._copies:
            offset, length = self._copies[rel]
            with open(self._pack, "rb") as pack:
                pack.seek(offset)
                return pack.read(length)
        command = ["git", "cat-file", "blob", self._blobs[rel]]
        return subprocess.run(command, cwd=self.root, capture_output=True, check=True).stdout

    def matches(self, rel: str) -> bool:
        """Whether the file at ``rel`` holds the bytes backed up."""
        if rel in self._blobs:
            blob = self._blobs[rel]
            return _blob_id(self._path(rel), len(blob)) == blob
        try:
            with open(self._path(rel), "rb") as current:
                return current.read() == self.content(rel)
        except OSError:
            return False

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))


def _git_blobs(root: str, wanted: list[str]) -> dict[str, str]:
    """For the files in ``wanted`` that git tracks with exactly their bytes: file → blob id."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--stage", "-z"], cwd=root, capture_output=True, check=True
        ).stdout.decode("utf-8", "surrogateescape")
    except (OSError, subprocess.SubprocessError):
        return {}
    index = {}
    for line in listing.split("\0"):  # "MODE BLOB STAGE\tPATH", relative to the cwd
        meta, _, name = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[2] == "0":
            index[name] = parts[1]
    return {
        rel: index[rel]
        for rel in wanted
        if rel in index and _blob_id(os.path.join(root, rel), len(index[rel])) == index[rel]
    }


def _blob_id(path: str, digits: int) -> str | None:
    """git's blob id of the file's bytes (SHA-1, or SHA-256 for a 64-digit id)."""
    try:
        size = os.path.getsize(path)
        digest = hashlib.sha256() if digits == 64 else hashlib.sha1(usedforsecurity=False)
        digest.update(b"blob %d\0" % size)
        with open(path, "rb") as source:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
