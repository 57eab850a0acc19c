from __future__ import annotations

import time

from reportgen import build_report, read_report, write_report

REPORT = "build/report.json"


def test_daily_report():
    write_report(build_report("daily", {"t::a": "passed"}), REPORT)
    time.sleep(0.4)  # the dashboard picks the report up, stubbed
    assert read_report(REPORT)["name"] == "daily"


def test_daily_report_counts():
    assert build_report("daily", {})["counts"]["passed"] == 0
