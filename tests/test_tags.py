"""The cheap change reads the footprint relies on (:mod:`auditor.plugin.tags`), in this process.

They hold on the CPython releases whose dicts carry a version tag that every change moves (3.10
to 3.13); elsewhere the module's self-test turns them off and the footprint compares copies
(``tests/test_footprint.py`` checks that both ways record the same)."""

from __future__ import annotations

import functools
import random
import sys

import pytest

from auditor.plugin import tags

pytestmark = pytest.mark.skipif(
    sys.implementation.name != "cpython" or not (3, 10) <= sys.version_info[:2] <= (3, 13),
    reason="dict version tags are read on CPython 3.10 to 3.13",
)


def test_the_self_tests_pass_here() -> None:
    assert tags.DICT_TAGS
    assert tags.random_bytes is not None


def test_a_copy_is_taken_again_only_after_a_change() -> None:
    live = {"a": 1}
    copier = tags.Copier()
    first = copier.copy(live)
    assert copier.copy(live) is first
    live["a"] = 2
    second = copier.copy(live)
    assert second is not first and second == {"a": 2}
    live["b"] = 3
    del live["b"]  # the tag moved, the contents are as copied: the same copy
    assert copier.copy(live) is second
    assert copier.copy(dict(live)) is not second  # another dict: copied


def test_a_key_left_out_of_the_copies_does_not_make_a_new_one() -> None:
    live = {"PATH": "/bin", "PYTEST_CURRENT_TEST": "t.py::a (setup)"}
    copier = tags.Copier(frozenset({"PYTEST_CURRENT_TEST"}))
    first = copier.copy(live)
    assert first == {"PATH": "/bin"}
    live["PYTEST_CURRENT_TEST"] = "t.py::b (call)"
    assert copier.copy(live) is first
    del live["PYTEST_CURRENT_TEST"]
    assert copier.copy(live) is first
    live["PYTEST_CURRENT_TEST"] = "t.py::b (teardown)"
    assert copier.copy(live) is first
    live["PATH"] = "/usr/bin"
    live["PYTEST_CURRENT_TEST"] = "t.py::c (setup)"
    second = copier.copy(live)
    assert second == {"PATH": "/usr/bin"}
    assert copier.copy({"PATH": "/usr/bin"}) == second  # another dict, without the key


def test_a_dict_subclass_is_copied_every_time() -> None:
    """A dict subclass's tag is not read (its own methods may keep it from moving): it is
    copied every time, and a dict copied before it is followed again afterwards."""

    class Registry(dict):  # type: ignore[type-arg]
        pass

    plain, copier = {"x": 1, "y": 2}, tags.Copier()
    assert copier.copy(plain) == {"x": 1, "y": 2}
    assert copier.copy(Registry(y=2)) == {"y": 2}
    assert copier.copy(plain) == {"x": 1, "y": 2}
    plain["z"] = 3
    assert copier.copy(plain) == {"x": 1, "y": 2, "z": 3}


def test_seen_tells_an_unchanged_dict() -> None:
    seen, live = tags.Seen(), {"a": 1}
    assert not seen.same(live)  # never marked
    seen.mark(live)
    assert seen.same(live)
    live.setdefault("b", 2)
    assert not seen.same(live)
    seen.mark(live)
    seen.forget()  # marked since the last forget: kept
    assert seen.same(live)
    seen.forget()  # found the same since: kept
    seen.forget()  # neither since: forgotten
    assert not seen.same(live)


def test_an_lru_cache_is_watched_through_its_dict() -> None:
    @functools.cache
    def unbounded(key: str) -> str:
        return key.upper()

    @functools.lru_cache(maxsize=2)
    def bounded(key: str) -> str:
        return key.upper()

    @functools.lru_cache(maxsize=0)
    def uncached(key: str) -> str:
        return key.upper()

    for memo in (unbounded, bounded):
        memo("a")
        cache = tags.lru_cache_dict(memo)
        assert cache is not None and len(cache) == 1
        tag = tags.dict_tag(cache)
        seen = tag.value
        memo("a")  # a hit changes nothing
        assert tag.value == seen
        memo("b")  # a miss fills it
        assert tag.value != seen
        seen = tag.value
        memo.cache_clear()
        assert tag.value != seen
    assert tags.lru_cache_dict(uncached) is None  # it keeps nothing: its counts are compared


def test_random_state_bytes_follow_draws_seeds_and_setstate() -> None:
    assert tags.random_bytes is not None
    saved, before = random.getstate(), tags.random_bytes()
    random.random()
    assert tags.random_bytes() != before
    random.setstate(saved)
    assert tags.random_bytes() == before
    random.getrandbits(32 * 624)  # the index where it was: the words all regenerated
    assert tags.random_bytes() != before
    random.seed(7)
    seeded = tags.random_bytes()
    random.setstate(saved)
    random.seed(8)
    assert tags.random_bytes() != seeded
    random.setstate(saved)
