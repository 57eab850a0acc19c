"""The project's files as the audit found them, put back after every run.

Every run of an audit must start from the same world: a test that creates ``out/`` and relies
on a module teardown to remove it leaves ``out/`` behind when its run is cut short (a timeout,
a crash, a bisection prefix that stops before the teardown), and the next run of the very same
order then fails where the previous one passed.

:meth:`World.take` records the tree under the project root (for every path its type, mode, size,
times and inode) and backs up its files (:mod:`auditor.plugin.backup`: copies of those up to
:data:`~auditor.plugin.backup.FILE_CAP` bytes, git's blobs for larger ones that git tracks
unchanged). :meth:`World.restore` compares the tree with the record after a run and puts it back:
what the run created is removed, what it changed or removed is written again (content, mode and
modification time, through a temporary file in the same folder and :func:`os.replace`: never
seen half-written), removed folders are made again. A file that cannot be written back (neither
copied nor in git) is reported in ``not_restorable``, once, and the record takes it as it is.
Outside the root, paths the run's footprints say tests created are removed when new
(:mod:`auditor.plugin.outside`).

Not recorded, at any depth, and so left alone: :data:`EXCLUDED_NAMES` (``.git``, auditor's
history, pytest's, mypy's, ruff's and hypothesis's caches, ``__pycache__``, tox's and nox's
environments, ``node_modules``), ``*.egg-info``, virtual environments (a folder holding
``pyvenv.cfg``), the paths given as ``exclude`` (the audit's report folder, and the files the
audit's own output goes to: :func:`own_outputs`), and any file this process's standard output
or error is writing (a shell's ``auditor audit > audit.out`` in the project: put back after
every run, it lost what the audit had printed).

Rules kept whatever happens: a path that existed at take is never deleted, but to put back what
was there (a folder where a file was, say); links are never followed, in walking or in deleting;
a file a run moved elsewhere in the tree is moved back, not deleted; an error on one path is
reported for that path and the rest goes on. The audit assumes that nobody edits the project
while it runs: an edit made meanwhile is undone like a run's.

Standard library only: the fork server uses it too, between the children of one request.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from auditor.plugin.backup import FILE_CAP, TOTAL_CAP, Backup
from auditor.plugin.outside import Outside
from auditor.plugin.snapshot import under

#: Folder (and file) names the world never records, at any depth: tools' own.
EXCLUDED_NAMES = frozenset(
    {
        ".git",
        ".auditor",  # auditor's own history: written after the runs, never by a test
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".tox",
        ".nox",
        "node_modules",
    }
)
EXCLUDED_SUFFIXES = (".egg-info",)
VENV_MARKER = "pyvenv.cfg"  #: a folder holding this is a virtual environment: not recorded


@dataclass(frozen=True)
class Restored:
    """What :meth:`World.restore` did. Paths are relative to the root (absolute outside it); a
    folder's ends with ``/``."""

    created_removed: tuple[str, ...] = ()  #: created by the run, removed
    changed_restored: tuple[str, ...] = ()  #: changed by the run, written back
    removed_restored: tuple[str, ...] = ()  #: removed (or moved) by the run, put back
    not_restorable: tuple[str, ...] = ()  #: changed, removed or created, and left as it is

    def __bool__(self) -> bool:
        return any(
            (
                self.created_removed,
                self.changed_restored,
                self.removed_restored,
                self.not_restorable,
            )
        )

    def describe(self) -> tuple[str, ...]:
        """One ``VERB PATH`` per path: ``removed out/``, ``restored data/seed.json``,
        ``recreated data/``, ``unrestorable: big.bin``."""
        return (
            *(f"removed {p}" for p in self.created_removed),
            *(f"restored {p}" for p in self.changed_restored),
            *(f"recreated {p}" for p in self.removed_restored),
            *(f"unrestorable: {p}" for p in self.not_restorable),
        )


def own_outputs() -> tuple[str, ...]:
    """The files under any folder that this process's standard output and error write to
    (redirected by a shell), by their paths: for a world taken in another process (the fork
    server's), which cannot tell them by its own descriptors."""
    found = []
    for fd in (1, 2):
        opened = _regular(fd)
        path = _descriptor_path(fd) if opened is not None else None
        if path is not None and _regular(path) == opened:
            found.append(path)
    return tuple(dict.fromkeys(found))


def _regular(target: int | str) -> tuple[int, int] | None:
    """The device and inode of the regular file open as descriptor ``target``, or at path
    ``target``; None for anything else."""
    try:
        st = os.stat(target)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _descriptor_path(fd: int) -> str | None:
    """The path ``fd`` was opened by: ``/proc`` on Linux, ``F_GETPATH`` on macOS."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
    try:
        import fcntl

        getpath = getattr(fcntl, "F_GETPATH", None)
        if getpath is None:
            return None
        raw = fcntl.fcntl(fd, getpath, bytes(1024))
    except (ImportError, OSError):
        return None
    return os.fsdecode(raw.split(b"\0", 1)[0]) or None


class _Entry(NamedTuple):
    """One path of the tree, as :func:`os.lstat` saw it; a folder by its mode alone (its times
    change with what it holds, which is compared path by path)."""

    mode: int  #: type and permission bits
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int


def _entry(st: os.stat_result) -> _Entry:
    if stat.S_ISDIR(st.st_mode):
        return _Entry(st.st_mode, 0, 0, 0, 0)
    return _Entry(st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class World:
    """The tree under ``root`` as :meth:`take` (the way to make one) recorded it; :meth:`restore`
    puts it back."""

    def __init__(self, root: str, exclude: Iterable[str]) -> None:
        self.root = os.path.abspath(root)
        self._real_root = os.path.realpath(self.root)
        self._excluded = frozenset(r for r in map(self._relative, exclude) if r)
        #: this process's output files (device, inode): being written while the audit runs
        self._outputs = frozenset(filter(None, map(_regular, (1, 2))))
        self._outside = Outside((self.root, self._real_root))
        self._entries: dict[str, _Entry] = {}
        self._existed: frozenset[str] = frozenset()  #: the paths at take: never deleted
        self._links: dict[str, str] = {}  #: symbolic link → its target
        self._backup: Backup  # taken with the record
        self._reported: set[str] = set()  #: not restorable, said once

    @classmethod
    def take(
        cls,
        root: str | os.PathLike[str],
        exclude: Iterable[str | os.PathLike[str]] = (),
        *,
        file_cap: int = FILE_CAP,
        total_cap: int = TOTAL_CAP,
    ) -> World:
        """Record the tree under ``root`` now, but ``exclude`` (paths, absolute or relative to
        the current directory) and the excluded names; back up its files within the caps."""
        world = cls(os.fspath(root), (os.fspath(p) for p in exclude))
        world._entries, _ = world._walk()
        world._existed = frozenset(world._entries)
        world._links = {
            rel: _readlink(world._path(rel))
            for rel, entry in world._entries.items()
            if stat.S_ISLNK(entry.mode)
        }
        sizes = {rel: e.size for rel, e in world._entries.items() if stat.S_ISREG(e.mode)}
        world._backup = Backup.take(world.root, sizes, file_cap, total_cap)
        return world

    def close(self) -> None:
        """Remove the world's private copies."""
        self._backup.close()

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _relative(self, path: str) -> str | None:
        real = os.path.realpath(path)
        if not under(real, self._real_root):
            return None
        relative = os.path.relpath(real, self._real_root)
        return "" if relative == os.curdir else relative.replace(os.sep, "/")

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def _walk(self) -> tuple[dict[str, _Entry], list[str]]:
        """Every path under the root but the excluded (``a/b``), and the folders it could not
        read. An lstat per path: most of what a restore costs."""
        found: dict[str, _Entry] = {}
        blind: list[str] = []
        stack = [("", self.root)]
        while stack:
            rel, path = stack.pop()
            try:
                with os.scandir(path) as listing:
                    entries = list(listing)
            except OSError:
                blind.append(rel)
                continue
            if rel and any(e.name == VENV_MARKER for e in entries):
                del found[rel]
                continue
            prefix = f"{rel}/" if rel else ""
            for item in entries:
                name = item.name
                if name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES):
                    continue
                child = prefix + name
                if child in self._excluded:
                    continue
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if self._outputs and (st.st_dev, st.st_ino) in self._outputs:
                    continue
                found[child] = entry = _entry(st)
                if stat.S_ISDIR(entry.mode):
                    stack.append((child, item.path))
        return found, blind

    # -- restoring -------------------------------------------------------------------------------

    def restore(self, extra_created: Iterable[str] = ()) -> Restored:
        """Put the tree back as :meth:`take` recorded it, and remove the ``extra_created`` paths
        outside the root (absolute) that did not exist then; say what was done."""
        now, blind = self._walk()
        done = _Done()
        if now != self._entries or blind:  # else, as usual, nothing to do in the tree
            self._put_tree_back(now, tuple(blind), done)
        removed, unknown = self._outside.sweep(extra_created)
        done.created += removed
        done.lost += unknown
        return done.restored()

    def _put_tree_back(self, now: dict[str, _Entry], blind: tuple[str, ...], done: _Done) -> None:
        record = self._entries
        missing = [p for p in record if p not in now and not any(_below(p, b) for b in blind)]
        changed = [p for p, e in record.items() if p in now and now[p] != e]
        created = [p for p in now if p not in record]
        # A path that changed type: what is there now goes, and what was there comes back.
        for rel in [p for p in changed if stat.S_IFMT(now[p].mode) != stat.S_IFMT(record[p].mode)]:
            if self._restorable(rel) and self._delete(rel, now[rel], done):
                missing.append(rel)
                changed.remove(rel)
                created = [p for p in created if not _below(p, rel)]
        for rel in sorted(p for p in missing if stat.S_ISDIR(record[p].mode)):
            self._make_folder(rel, done)
        moved_back = self._move_back(missing, created, now, done)
        for rel in _topmost(created):
            if rel in self._existed:
                self._adopt(rel)  # reported lost earlier, and back: the user's, kept
            elif rel not in moved_back:
                self._delete(rel, now[rel], done, created=True)
        for rel in sorted(missing):
            if rel not in moved_back and not stat.S_ISDIR(record[rel].mode):
                self._put_back(rel, done, done.removed)
        for rel in sorted(changed):
            self._put_back(rel, done, done.changed, now[rel])

    def _restorable(self, rel: str) -> bool:
        return (
            stat.S_ISDIR(self._entries[rel].mode) or rel in self._links or self._backup.holds(rel)
        )

    def _make_folder(self, rel: str, done: _Done) -> None:
        path = self._path(rel)
        mode = stat.S_IMODE(self._entries[rel].mode)
        try:
            os.mkdir(path, mode)
            os.chmod(path, mode)  # mkdir's mode meets the umask
            self._entries[rel] = _entry(os.lstat(path))
            done.removed.append(rel + "/")
        except OSError:
            self._not_restorable(rel + "/", done)

    def _move_back(
        self, missing: list[str], created: list[str], now: dict[str, _Entry], done: _Done
    ) -> set[str]:
        """Files the run moved within the tree, renamed back to where they were: their new
        paths and their old ones."""
        lost = {
            (e.inode, e.size, e.mtime_ns): rel
            for rel in missing
            if stat.S_ISREG((e := self._entries[rel]).mode)
        }
        moved: set[str] = set()
        for rel in created if lost else ():
            entry = now[rel]
            old = lost.pop((entry.inode, entry.size, entry.mtime_ns), None)
            if old is None or not stat.S_ISREG(entry.mode):
                continue
            try:
                os.rename(self._path(rel), self._path(old))
                self._entries[old] = _entry(os.lstat(self._path(old)))
            except OSError:
                continue
            moved |= {rel, old}
            done.removed.append(old)
        return moved

    def _delete(self, rel: str, entry: _Entry, done: _Done, created: bool = False) -> bool:
        """Remove what is at ``rel`` now (a folder with all it holds), never following a link."""
        name = rel + "/" if stat.S_ISDIR(entry.mode) else rel
        try:
            if stat.S_ISDIR(entry.mode):
                # rmtree neither follows links inside nor accepts one as the folder to remove.
                shutil.rmtree(self._path(rel))
            else:
                os.unlink(self._path(rel))
        except FileNotFoundError:
            pass
        except OSError:
            self._not_restorable(name, done)
            return False
        if created:
            done.created.append(name)
        return True

    def _adopt(self, rel: str) -> None:
        """Record ``rel`` as it is now (gone: not at all)."""
        try:
            self._entries[rel] = _entry(os.lstat(self._path(rel)))
        except OSError:
            self._entries.pop(rel, None)

    def _put_back(self, rel: str, done: _Done, into: list[str], now: _Entry | None = None) -> None:
        """Write the file, link or folder mode at ``rel`` as recorded; say so in ``into`` (in
        ``not_restorable`` when it cannot be written)."""
        entry = self._entries[rel]
        path = self._path(rel)
        if stat.S_ISDIR(entry.mode):
            try:
                os.chmod(path, stat.S_IMODE(entry.mode), follow_symlinks=False)
                self._entries[rel] = _entry(os.lstat(path))
                into.append(rel + "/")
            except OSError:
                self._not_restorable(rel + "/", done)
            return
        if now is not None and self._same(rel, now):
            self._adopt(rel)  # touched, not changed (a hard link made, the same bytes rewritten)
            return
        if not self._restorable(rel) or not self._inside(os.path.dirname(path)):
            self._not_restorable(rel, done)
            self._adopt(rel)  # the world goes on from here: said once, not after every run
            return
        try:
            if rel in self._links:
                _replace_link(path, self._links[rel])
            else:
                _replace_file(path, self._backup.content(rel), entry)
            self._entries[rel] = _entry(os.lstat(path))
        except (OSError, subprocess.SubprocessError):
            self._not_restorable(rel, done)
            return
        into.append(rel)

    def _same(self, rel: str, now: _Entry) -> bool:
        """Whether ``rel`` still holds what was recorded (a file's bytes and mode)."""
        entry = self._entries[rel]
        if stat.S_ISLNK(now.mode) and rel in self._links:
            return _readlink(self._path(rel)) == self._links[rel]
        if not stat.S_ISREG(now.mode) or (now.mode, now.size) != (entry.mode, entry.size):
            return False
        if not self._backup.holds(rel):
            return now.mtime_ns == entry.mtime_ns  # nothing to compare with: trust the times
        return self._backup.matches(rel)

    def _inside(self, folder: str) -> bool:
        """Whether ``folder`` is really in the tree (no link on the way leads out of it)."""
        return under(os.path.realpath(folder), self._real_root)

    def _not_restorable(self, name: str, done: _Done) -> None:
        if name not in self._reported:
            self._reported.add(name)
            done.lost.append(name)


class _Done:
    """What one restore did, as it goes."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.changed: list[str] = []
        self.removed: list[str] = []
        self.lost: list[str] = []

    def restored(self) -> Restored:
        return Restored(
            tuple(self.created), tuple(self.changed), tuple(sorted(self.removed)), tuple(self.lost)
        )


def _below(path: str, folder: str) -> bool:
    return not folder or path.startswith(folder + "/")


def _topmost(paths: list[str]) -> list[str]:
    """The paths not below another of them, sorted."""
    given = set(paths)
    return sorted(p for p in given if not any(a in given for a in _ancestors(p)))


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _replace_file(path: str, data: bytes, entry: _Entry) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, with the recorded mode and
    modification time."""
    folder, name = os.path.split(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".auditor", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), stat.S_IMODE(entry.mode))
        os.utime(temporary, ns=(entry.mtime_ns, entry.mtime_ns))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _replace_link(path: str, target: str) -> None:
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.auditor")
    os.symlink(target, temporary)
    os.replace(temporary, path)
