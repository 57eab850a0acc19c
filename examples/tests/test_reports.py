"""Daily sales report."""

import time

from shop import reports

REPORT_PATH = "build/report.json"


def test_daily_report() -> None:
    # planted: shared hard-coded file (build/report.json is also written by test_reports_weekly.py)
    data = reports.summarize("daily", [1250, 990, 4300])
    reports.write_report(REPORT_PATH, data)
    time.sleep(0.3)  # simulate the rest of the reporting pipeline
    assert reports.read_report(REPORT_PATH) == data
