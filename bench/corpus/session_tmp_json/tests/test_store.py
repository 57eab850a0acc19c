from __future__ import annotations

import pytest
from jsonstore import Store, StoreError


def test_new_store_is_empty(store_path):
    assert Store(store_path).all() == []


def test_missing_file_reads_as_empty(tmp_path):
    assert Store(tmp_path / "nope.json").all() == []


def test_add_assigns_increasing_ids(store):
    assert [store.add({"n": i}) for i in range(3)] == [1, 2, 3]


def test_ids_continue_after_remove(store):
    store.add({})
    second = store.add({})
    store.remove(second)
    assert store.add({}) == 2


def test_remove_missing_raises(store):
    with pytest.raises(StoreError):
        store.remove(1)


def test_clear(store):
    store.add({})
    store.clear()
    assert store.count() == 0


def test_no_temporary_files_left(store, tmp_path):
    store.add({"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entries.json"]


def test_add_to_shared_store(store_path):
    shared = Store(store_path)
    shared.add({"title": "remember the milk"})
    assert shared.find(title="remember the milk")


def test_add_then_remove_on_shared_store(store_path):
    shared = Store(store_path)
    new_id = shared.add({"title": "temporary"})
    shared.remove(new_id)
    assert shared.find(title="temporary") == []
