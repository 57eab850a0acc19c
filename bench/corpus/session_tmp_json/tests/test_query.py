from __future__ import annotations

import pytest
from jsonstore import Store, StoreError


def test_count_on_shared_store_is_zero(store_path):
    assert Store(store_path).count() == 0


def test_find_by_field(store):
    store.add({"kind": "note", "title": "a"})
    store.add({"kind": "task", "title": "b"})
    assert [e["title"] for e in store.find(kind="task")] == ["b"]


def test_find_by_two_fields(store):
    store.add({"kind": "note", "title": "a"})
    store.add({"kind": "note", "title": "b"})
    assert store.find(kind="note", title="b") == [{"kind": "note", "title": "b", "id": 2}]


def test_find_nothing(store):
    assert store.find(kind="none") == []


def test_get_by_id(store):
    new_id = store.add({"title": "x"})
    assert store.get(new_id)["title"] == "x"


def test_get_missing_raises(store):
    with pytest.raises(StoreError):
        store.get(99)
