from __future__ import annotations

import csv

import pytest
from exporter import export_csv
from exporter.export import _columns


@pytest.mark.parametrize(
    ("rows", "columns"),
    [
        ([], []),
        ([{"a": 1}], ["a"]),
        ([{"a": 1}, {"b": 2}], ["a", "b"]),
        ([{"b": 1, "a": 2}], ["b", "a"]),
        ([{"a": 1, "b": 2}, {"b": 3, "c": 4}], ["a", "b", "c"]),
    ],
)
def test_columns_in_first_seen_order(rows, columns):
    assert _columns(rows) == columns


def test_missing_values_are_empty(tmp_path):
    path = export_csv([{"a": 1}, {"b": 2}], str(tmp_path), "sparse")
    with open(path, newline="") as f:
        assert list(csv.reader(f)) == [["a", "b"], ["1", ""], ["", "2"]]


def test_commas_are_quoted(tmp_path):
    path = export_csv([{"name": "Lovelace, Ada"}], str(tmp_path), "quoted")
    with open(path, newline="") as f:
        assert f.read().splitlines()[1] == '"Lovelace, Ada"'
