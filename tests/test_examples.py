"""``auditor audit`` on the bundled example: every planted defect classified and its cause named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import auditor

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GENERATED = {"reports", "build", "__pycache__", ".pytest_cache"}


def test_audit_names_every_planted_cause(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=lambda _, names: [n for n in names if n in GENERATED])
    result = auditor(root, "audit", "--seed", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((root / "reports" / "audit.json").read_text())
    found = {f["test"]: f for f in report["findings"]}
    causes = {
        test: (f["kind"], f.get("polluters") or f.get("state_setters"), f.get("state"))
        for test, f in found.items()
        if f["kind"] in ("order-dependent", "brittle")
    }
    assert causes == {
        "tests/test_cart.py::test_total_without_discount": (
            "order-dependent",
            ["tests/test_promotions.py::test_discount_enabled"],
            ["global:shop.config.DISCOUNT_RATE"],
        ),
        "tests/test_currency.py::test_default_currency": (
            "order-dependent",
            ["tests/test_settings.py::test_currency_override"],
            ["env:SHOP_CURRENCY"],
        ),
        "tests/test_catalog.py::test_load_catalog": (
            "order-dependent",
            ["tests/test_exports.py::test_export_in_build_dir"],
            ["cwd:build/exports"],
        ),
        "tests/test_inventory.py::test_stock_in_main_warehouse": (
            "brittle",
            ["tests/test_inventory.py::test_register_main_warehouse"],
            ["global:shop.inventory._warehouses"],
        ),
    }
    shared = sorted(
        (sorted(f["tests"]), f["resources"])
        for f in report["findings"]
        if f["kind"] == "shared-resource"
    )
    assert shared == [
        (
            [
                "tests/test_reports.py::test_daily_report",
                "tests/test_reports_weekly.py::test_weekly_report",
            ],
            ["file:build/report.json"],
        ),
        (
            [
                "tests/test_server.py::test_health_endpoint",
                "tests/test_server_admin.py::test_admin_endpoint",
            ],
            ["port:18765"],
        ),
    ]
    # The flaky test fails about one run in four: when it is seen, it is non-deterministic.
    flaky_id = "tests/test_flaky.py::test_eventually_consistent"
    flaky = found.get(flaky_id)
    assert flaky is None or (flaky["kind"], flaky.get("polluters")) == ("non-deterministic", None)
    # And no other test has a finding.
    assert set(found) <= {*causes, *(test for tests, _ in shared for test in tests), flaky_id}
