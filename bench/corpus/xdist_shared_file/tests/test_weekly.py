from __future__ import annotations

import time

from reportgen import build_report, read_report, write_report

REPORT = "build/report.json"


def test_weekly_report():
    write_report(build_report("weekly", {"t::a": "failed"}), REPORT)
    time.sleep(0.4)  # the dashboard picks the report up, stubbed
    report = read_report(REPORT)
    assert report["name"] == "weekly"
    assert report["failures"] == ["t::a"]
