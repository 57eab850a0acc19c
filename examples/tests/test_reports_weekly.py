"""Weekly sales report."""

import time

from shop import reports

REPORT_PATH = "build/report.json"


def test_weekly_report() -> None:
    # planted: shared hard-coded file (build/report.json is also written by test_reports.py)
    data = reports.summarize("weekly", [1250, 990, 4300, 780, 15200, 600, 2210])
    reports.write_report(REPORT_PATH, data)
    time.sleep(0.3)  # simulate the rest of the reporting pipeline
    assert reports.read_report(REPORT_PATH) == data
