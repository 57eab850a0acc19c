from __future__ import annotations

from pathlib import Path

import pytest
from reportgen import build_report, read_report, write_report

RESULTS = {"t::a": "passed", "t::b": "failed", "t::c": "skipped", "t::d": "passed"}


def test_counts():
    assert build_report("ci", RESULTS)["counts"] == {"passed": 2, "failed": 1, "skipped": 1}


def test_failures_listed():
    assert build_report("ci", RESULTS)["failures"] == ["t::b"]


def test_ok_when_nothing_failed():
    assert build_report("ci", {"t::a": "passed"})["ok"]


def test_not_ok_with_failures():
    assert not build_report("ci", RESULTS)["ok"]


def test_unknown_outcome_rejected():
    with pytest.raises(ValueError):
        build_report("ci", {"t::a": "xpassed"})


def test_write_read_roundtrip(tmp_path):
    path = write_report(build_report("ci", RESULTS), str(tmp_path / "out" / "r.json"))
    assert read_report(path)["name"] == "ci"


def test_write_is_sorted_json(tmp_path):
    text = Path(write_report({"b": 1, "a": 2}, str(tmp_path / "r.json"))).read_text()
    assert text.index('"a"') < text.index('"b"')
