from __future__ import annotations

import logging

from syncer import sync
from syncer.core import digest


def test_copies_new_files():
    target = {}
    result = sync({"a.txt": "hello"}, target)
    assert target == {"a.txt": "hello"}
    assert result.copied == ["a.txt"]


def test_skips_unchanged_files():
    result = sync({"a.txt": "hello"}, {"a.txt": "hello"})
    assert result.skipped == ["a.txt"]


def test_overwrites_changed_files():
    target = {"a.txt": "old"}
    sync({"a.txt": "new"}, target)
    assert target["a.txt"] == "new"


def test_protected_files_are_kept():
    target = {"config.ini": "mine"}
    result = sync({"config.ini": "theirs"}, target, protected=frozenset({"config.ini"}))
    assert target["config.ini"] == "mine"
    assert result.conflicts == ["config.ini"]


def test_delete_removes_extra_files():
    target = {"a.txt": "1", "stale.txt": "2"}
    result = sync({"a.txt": "1"}, target, delete=True)
    assert target == {"a.txt": "1"}
    assert result.deleted == ["stale.txt"]


def test_delete_keeps_protected_files():
    target = {"keep.txt": "x"}
    sync({}, target, delete=True, protected=frozenset({"keep.txt"}))
    assert target == {"keep.txt": "x"}


def test_summary():
    result = sync({"a": "1", "b": "2"}, {"a": "1"})
    assert result.summary() == "1 copied, 1 unchanged, 0 conflicts, 0 deleted"


def test_digest_is_short_and_stable():
    assert digest("x") == digest("x")
    assert len(digest("x")) == 12


def test_sync_is_quiet_by_default(caplog):
    sync({"a.txt": "1", "b.txt": "2"}, {})
    assert [r.getMessage() for r in caplog.records if r.levelno < logging.WARNING] == []


def test_conflict_warning_is_logged(caplog):
    sync({"db.cfg": "new"}, {"db.cfg": "old"}, protected=frozenset({"db.cfg"}))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["conflict on protected file db.cfg: left as it is"]
