"""``report.html``: built from the folder's reports by every command, and rendered in headless
Chromium (``.ci/run`` installs Debian's chromium and sets ``AUDITOR_REQUIRE_CHROMIUM=1``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.report import html
from tests.helpers import auditor, git, write_suite

SUITE = {
    "tests/test_region.py": """\
import os


def test_default_region():
    assert os.environ.get("SHOP_REGION") is None


def test_sets_region():
    os.environ["SHOP_REGION"] = "eu"
""",
    "tests/test_plain.py": """\
import pytest


@pytest.mark.parametrize("n", range(6))
def test_numbers(n):
    assert n + 0 == n
""",
}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("AUDITOR_REQUIRE_CHROMIUM") == "1":
        pytest.fail("chromium is not installed, and .ci/run asked for it")
    pytest.skip("chromium is not installed (.ci/run installs it)")


def render(browser: str, page: Path, *args: str) -> str:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_page_of_a_folder_without_reports_says_so(tmp_path: Path) -> None:
    assert "No report in this folder yet." in (html.write(tmp_path)).read_text()
    # A report edited by hand is named on the page; the command that writes the page goes on.
    (tmp_path / "audit.json").write_text('{"schema": "auditor.audit/1", "findings": []}')
    (tmp_path / "scan.json").write_text('{"schema": "auditor.scan/0"}')  # another version's
    text = html.write(tmp_path).read_text()
    assert "audit.json could not be shown (KeyError: &#x27;cost&#x27;)" in text
    assert "scan.json" not in text


def test_a_scan_and_a_run_render_their_findings_and_charts(tmp_path: Path) -> None:
    browser = chromium()
    root = write_suite(tmp_path / "shop", SUITE)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    assert auditor(root, "scan", "--seed", "1").returncode == 1
    assert auditor(root, "run", "-n", "2").returncode == 0
    page = root / "reports" / "report.html"
    dom = render(browser, page, "--dump-dom")
    # The scan: the finding, its cause and reproduce command, the trend and the flake rates.
    assert '<section id="scan">' in dom and '<section id="audit">' in dom
    assert "tests/test_region.py::test_default_region" in dom
    assert "fails after tests/test_region.py::test_sets_region (env:SHOP_REGION)" in dom
    assert len(re.findall(r'<rect class="scan"', dom)) == 1  # one scan, one kind
    assert re.search(r'<rect class="rate" [^>]*width="[1-9]', dom)  # a failure rate above 0
    # The run: one bar per test on the workers' timeline.
    bars = re.findall(r'<rect class="test (\w+)"', dom)
    assert sorted(bars) == ["passed"] * 8
    assert re.search(r'<svg id="timeline"[^>]*>.*gw0.*gw1', dom, re.S)
    shot = tmp_path / "report.png"
    render(browser, page, f"--screenshot={shot}", "--window-size=1100,1400")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
