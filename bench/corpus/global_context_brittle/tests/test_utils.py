from __future__ import annotations

import pytest
from runctx.utils import chunks, deep_merge, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("1m", 60),
        ("1h", 3600),
        ("1d", 86400),
        ("1h30m", 5400),
        ("2h5s", 7205),
        ("1d1h1m1s", 90061),
        ("0s", 0),
        ("90m", 5400),
        ("10m30s", 630),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "h1", "1.5h", "-1m", "1m1h", "abc", "1 h"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00:00"),
        (59, "00:00:59"),
        (60, "00:01:00"),
        (3599, "00:59:59"),
        (3600, "01:00:00"),
        (5400, "01:30:00"),
        (86399, "23:59:59"),
        (90061, "25:01:01"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [0, 61, 3600, 5400, 90061])
def test_duration_roundtrip(seconds):
    hours, minutes, secs = (int(part) for part in format_duration(seconds).split(":"))
    assert parse_duration(f"{hours}h{minutes}m{secs}s") == seconds


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, [[1], [2], [3], [4], [5]]),
        (2, [[1, 2], [3, 4], [5]]),
        (3, [[1, 2, 3], [4, 5]]),
        (5, [[1, 2, 3, 4, 5]]),
        (9, [[1, 2, 3, 4, 5]]),
    ],
)
def test_chunks(size, expected):
    assert [list(c) for c in chunks([1, 2, 3, 4, 5], size)] == expected


@pytest.mark.parametrize("size", [0, -1])
def test_chunks_rejects_bad_size(size):
    with pytest.raises(ValueError):
        list(chunks([1], size))


def test_chunks_of_nothing():
    assert list(chunks([], 3)) == []


@pytest.mark.parametrize(
    ("base", "override", "merged"),
    [
        ({}, {}, {}),
        ({"a": 1}, {}, {"a": 1}),
        ({}, {"a": 1}, {"a": 1}),
        ({"a": 1}, {"a": 2}, {"a": 2}),
        ({"a": {"x": 1}}, {"a": {"y": 2}}, {"a": {"x": 1, "y": 2}}),
        ({"a": {"x": 1}}, {"a": 3}, {"a": 3}),
    ],
)
def test_deep_merge(base, override, merged):
    assert deep_merge(base, override) == merged


def test_deep_merge_leaves_inputs_alone():
    base = {"a": {"x": 1}}
    deep_merge(base, {"a": {"x": 2}})
    assert base == {"a": {"x": 1}}
