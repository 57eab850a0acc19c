from __future__ import annotations

import csv
import datetime
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from exporter import export_csv, export_json

OUT = "tmp_out"
ROWS = [{"id": 1, "name": "ada"}, {"id": 2, "name": "grace", "team": "navy"}]


@pytest.fixture(scope="module")
def out_dir():
    """The export directory, shared by the module's export tests; removed after the module."""
    yield OUT
    shutil.rmtree(OUT, ignore_errors=True)


def _upload(path):
    time.sleep(0.4)  # the upload to the report server, stubbed: it takes a while


def test_export_csv(out_dir):
    path = export_csv(ROWS, out_dir, "people")
    _upload(path)
    with open(path, newline="") as f:
        assert list(csv.DictReader(f)) == [
            {"id": "1", "name": "ada", "team": ""},
            {"id": "2", "name": "grace", "team": "navy"},
        ]
    assert "people.csv" in os.listdir(out_dir)


def test_export_json(out_dir):
    path = export_json(ROWS, out_dir, "people", indent=2)
    _upload(path)
    with open(path) as f:
        assert json.load(f) == ROWS
    assert "people.json" in os.listdir(out_dir)


def test_export_csv_to_tmp_path(tmp_path):
    path = export_csv([{"a": 1}], str(tmp_path), "one")
    assert Path(path).read_text().splitlines() == ["a", "1"]


def test_export_json_serialises_dates(tmp_path):
    path = export_json([{"when": datetime.date(2024, 1, 2)}], str(tmp_path), "t")
    assert json.loads(Path(path).read_text()) == [{"when": "2024-01-02"}]


def test_export_empty(tmp_path):
    path = export_csv([], str(tmp_path), "empty")
    assert Path(path).read_text() == "\n"


def test_export_creates_nested_dirs(tmp_path):
    path = export_json([], str(tmp_path / "a" / "b"), "x")
    assert os.path.exists(path)
