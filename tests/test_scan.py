"""``auditor scan`` over time on a real git repository: a finding new, then fixed and
resolved while another defect lands; the quarantine entry of the fixed test goes with the fix;
``run`` and ``scan`` recorded in the history (``audit``: test_quarantine's migrate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor import quarantine
from auditor.history import store
from tests.helpers import auditor, git, write_suite

VICTIM = "tests/test_mode.py::test_default_mode"
CACHE_VICTIM = "tests/test_cache.py::test_starts_empty"

SUITE = {
    "shop/__init__.py": "",
    "shop/state.py": "CACHE: dict[str, int] = {}\n",
    "tests/test_mode.py": """\
import os


def test_default_mode():
    assert os.environ.get("SHOP_MODE") is None
""",
    "tests/test_settings.py": """\
import os


def test_override_mode():
    os.environ["SHOP_MODE"] = "test"
    assert os.environ["SHOP_MODE"] == "test"
""",
    "tests/test_plain.py": "def test_arithmetic():\n    assert 1 + 1 == 2\n",
}

# Lands between the two scans: a cache one test fills and the next expects empty.
CACHE_TESTS = """\
from shop import state


def test_fills():
    state.CACHE["apple"] = 12
    assert state.CACHE["apple"] == 12


def test_starts_empty():
    assert state.CACHE == {}
"""


def scan(root: Path, seed: int) -> tuple[int, dict[str, Any]]:
    done = auditor(root, "scan", "--seed", str(seed))
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads((root / "reports" / "scan.json").read_text())


def changes(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["status"], c["kind"], c["test"]) for c in report["changes"]]


def test_a_scan_reports_new_then_resolved_and_fix_lifts_the_quarantine(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "shop", SUITE)
    (root / "pytest.ini").write_text("[pytest]\nconsole_output_style = classic\npythonpath = .\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")

    code, first = scan(root, seed=1)
    assert code == 1
    assert changes(first) == [("new", "order-dependent", VICTIM)]
    assert first["changes"][0]["cause"] == (
        "fails after tests/test_settings.py::test_override_mode (env:SHOP_MODE)"
    )
    assert (
        (root / "reports" / "scan.md")
        .read_text()
        .startswith("# auditor scan: 1 new, 0 persisting, 0 resolved, 0 unconfirmed")
    )

    # Quarantined from the audit's finding, then fixed: the entry goes in the same change.
    added = auditor(root, "quarantine", "add", VICTIM)
    assert added.returncode == 0, added.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "quarantine the mode test")
    fixed = auditor(root, "fix", "--closing-orders", "0")
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    report = json.loads((root / "reports" / "fix.json").read_text())
    assert report["unquarantined"] == [VICTIM]
    assert "quarantine.toml" in git(root, "status", "--porcelain")
    assert quarantine.load(root / "quarantine.toml") == []
    assert f"quarantine entry removed (fixed): {VICTIM}" in fixed.stdout

    # A new defect lands with the fix.
    (root / "tests" / "test_cache.py").write_text(CACHE_TESTS)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fix the mode test; cache tests")
    code, second = scan(root, seed=2)
    assert code == 1
    assert changes(second) == [
        ("new", "order-dependent", CACHE_VICTIM),
        ("resolved", "order-dependent", VICTIM),
    ]
    resolved = second["changes"][1]
    assert resolved["first_seen"] == first["changes"][0]["first_seen"]

    # Nothing new since: exit 0 (and 1 with --fail-on any, which counts what persists).
    code, third = scan(root, seed=3)
    assert code == 0 and changes(third) == [("persisting", "order-dependent", CACHE_VICTIM)]
    assert auditor(root, "scan", "--seed", "3", "--fail-on", "any").returncode == 1

    # Every command left its session (an audit's: test_quarantine's migrate); the scans'
    # campaign runs count in the flake rates.
    assert auditor(root, "run", "-n", "0").returncode == 1
    with store.opened(store.default_path(root)) as history:
        kinds = [s.kind for s in history.sessions()]
        rates = history.outcomes(("run",))
    assert kinds == ["scan"] * 4 + ["run"]
    assert rates[CACHE_VICTIM] == [(rates[CACHE_VICTIM][0][0], True)]
    assert git(root, "status", "--porcelain", "--ignored", ".auditor") == "!! .auditor/\n"
    flaky = {r["test"]: r for r in third["flake_rates"]["tests"]}
    assert flaky[CACHE_VICTIM]["runs"] >= 3 and 0 < flaky[CACHE_VICTIM]["rate"] < 1
