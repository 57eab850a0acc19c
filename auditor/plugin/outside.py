"""Paths outside the project that tests created: removed when they are new since the audit began.

:mod:`auditor.plugin.world` puts the project's tree back from a record of it; outside the tree
there is no record, only the paths a run's footprints say tests wrote or created (``/tmp/app.lock``;
pytest's and :mod:`tempfile`'s temporary directories are not among them). One of those is removed
only when :class:`Outside` can tell it did not exist when the audit began:

- its status last changed before then: it existed (kept, whatever a test did to it later);
- it lies in a shared temporary folder (:data:`TEMP_PLACES`) under an entry that folder did not
  hold then: new;
- the platform reports a birth time (macOS, the BSDs): that says.

Otherwise it is left alone, and said once. A folder is removed only when everything in it changed
since then too; the root, the home folder, the temporary folders and their parents never are;
links are removed, never followed. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable

from auditor.plugin.snapshot import under

#: Shared temporary folders, listed when the world is taken: a path in one under a new entry is new.
TEMP_PLACES = (tempfile.gettempdir(), "/tmp", "/var/tmp")


class Outside:
    """The paths outside ``roots`` that tests created, since this object was made."""

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = tuple(roots)  #: the tree and its spellings: handled by the world
        self._taken_ns = time.time_ns()
        self._listings = _list_temp_places()
        self._new: dict[str, bool | None] = {}  #: path → new since take (None: cannot tell)

    def sweep(self, created: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Remove the new paths among ``created`` and those seen in earlier sweeps that are back;
        the paths removed, and those first seen now that it cannot tell about."""
        unknown = []
        for given in created:
            path = _canonical(given)
            if path in self._new or any(under(path, root) for root in self.roots):
                continue
            if os.path.lexists(path):  # decided when first seen there
                self._new[path] = self._is_new(path)
                if self._new[path] is None:
                    unknown.append(path)
        removed = tuple(
            path
            for path, new in sorted(self._new.items())
            if new and os.path.lexists(path) and self._remove(path)
        )
        return removed, tuple(unknown)

    def _is_new(self, path: str) -> bool | None:
        """Whether ``path`` did not exist at take: True, False, or None when it cannot tell."""
        try:
            st = os.lstat(path)
        except OSError:
            return None
        kept = (*(place for place, _ in self._listings), os.path.expanduser("~"))
        if any(under(place, path) for place in kept):
            return False  # a temporary folder, the home folder or a parent: there before
        if st.st_ctime_ns < self._taken_ns:
            return False  # untouched since before take (file-system clocks lag, never lead)
        for place, names in self._listings:
            if under(path, place) and path != place:
                first, _, rest = os.path.relpath(path, place).partition(os.sep)
                if first not in names:
                    return True
                if not rest:
                    return False
                break
        birth = getattr(st, "st_birthtime", None)
        return None if birth is None else birth * 1e9 >= self._taken_ns

    def _remove(self, path: str) -> bool:
        guarded = (*self.roots, os.path.expanduser("~"), *(p for p, _ in self._listings))
        if any(under(keep, path) for keep in guarded):
            return False
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                for folder, folders, files in os.walk(path):
                    for name in (*folders, *files):
                        if os.lstat(os.path.join(folder, name)).st_ctime_ns < self._taken_ns:
                            return False  # something older was moved in: leave it all
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError:
            return False
        return True


def _canonical(path: str) -> str:
    """``path`` absolute, its folder's links resolved (the path itself is not followed)."""
    absolute = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))


def _list_temp_places() -> tuple[tuple[str, frozenset[str]], ...]:
    listings = {}
    for place in TEMP_PLACES:
        real = os.path.realpath(place)
        if real not in listings:
            try:
                listings[real] = frozenset(os.listdir(real))
            except OSError:
                continue
    return tuple(listings.items())
