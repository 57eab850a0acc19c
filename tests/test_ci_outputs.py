"""What CI systems read from ``auditor run``: JUnit XML and GitHub annotations, for a project in
a subfolder of its repository (paths relative to the repository's root)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import Completed, auditor, clean_env, git, write_suite

MODULE = """\
import os

import pytest


def test_passes():
    assert True


def test_fails():
    total = 1 + 1
    assert total == 3, "arithmetic, broken"


@pytest.mark.parametrize("n", [1, 2])
def test_cases(n):
    assert n


class TestShop:
    def test_method(self):
        assert True


def test_quarantined():
    assert False, "the replica was stale"


def test_kills_its_worker():
    os._exit(1)
"""

NODE = "tests/test_ci.py::"
LATER = dt.date.today() + dt.timedelta(days=10)
ENTRY = f"""\
[[test]]
id = "tests/test_ci.py::test_quarantined"
kind = "non-deterministic"
cause = "failed 1 of 4 runs"
added = 2026-11-01
expires = {LATER}
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Completed]:
    repo = tmp_path_factory.mktemp("ci") / "repo"
    app = write_suite(repo / "app", {"tests/test_ci.py": MODULE, "quarantine.toml": ENTRY})
    git(repo, "init", "-q")
    env = clean_env(GITHUB_ACTIONS="true")
    return app, auditor(app, "run", "-n", "2", "--quarantine", "--junitxml", "junit.xml", env=env)


def test_junit_has_file_and_line_and_marks_quarantined_and_crashed_tests(
    ran: tuple[Path, Completed],
) -> None:
    app, done = ran
    assert done.returncode == 1, done.stdout + done.stderr  # test_fails and the crash
    root = ET.parse(app / "junit.xml").getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = {f"{c.get('classname')}::{c.get('name')}": c for c in suite.findall("testcase")}
    assert set(cases) == {
        "tests.test_ci::test_passes",
        "tests.test_ci::test_fails",
        "tests.test_ci::test_cases[1]",
        "tests.test_ci::test_cases[2]",
        "tests.test_ci.TestShop::test_method",
        "tests.test_ci::test_quarantined",
        "tests.test_ci::test_kills_its_worker",
    }
    assert {c.get("file") for c in cases.values()} == {"app/tests/test_ci.py"}
    assert cases["tests.test_ci::test_fails"].get("line") == "10"
    assert cases["tests.test_ci.TestShop::test_method"].get("line") == "21"
    failure = cases["tests.test_ci::test_fails"].find("failure")
    assert failure is not None and "arithmetic, broken" in (failure.get("message") or "")
    error = cases["tests.test_ci::test_kills_its_worker"].find("error")
    assert error is not None and error.get("type") == "crashed"
    held = cases["tests.test_ci::test_quarantined"]
    skipped = held.find("skipped")
    assert skipped is not None and skipped.get("type") == "quarantined"
    assert "the replica was stale" in (skipped.get("message") or "")
    properties = {p.get("name"): p.get("value") for p in held.iter("property")}
    assert properties["quarantined"] == "true" and properties["worker"] in ("gw0", "gw1")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "1", "1")
    assert suite.get("skipped") == "1"
    assert all(float(c.get("time") or -1) >= 0 for c in cases.values())


def test_annotations_point_at_the_failing_line_from_the_repository_root(
    ran: tuple[Path, Completed],
) -> None:
    _, done = ran
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations[0] == (
        f"::error file=app/tests/test_ci.py,line=12,title={NODE.replace(':', '%3A')}"
        "test_fails failed::AssertionError: arithmetic, broken%0Aassert 2 == 3"
    )
    assert annotations[1].startswith(  # a crash has no traceback: the test's definition
        "::error file=app/tests/test_ci.py,line=29,title=tests/test_ci.py%3A%3A"
        "test_kills_its_worker crashed::"
    )
    assert annotations[2].startswith(
        "::warning file=app/tests/test_ci.py,line=26,"
        "title=tests/test_ci.py%3A%3Atest_quarantined failed (quarantined)::"
    )
    assert len(annotations) == 3


def test_no_annotation_outside_github_actions(tmp_path: Path) -> None:
    app = write_suite(tmp_path / "app", {"tests/test_ci.py": "def test_fails():\n    assert 0\n"})
    done = auditor(app, "run", "-n", "0")
    assert done.returncode == 1 and "::error" not in done.stdout
    assert not (app / "junit.xml").exists()


SERIAL = """\
import time

import pytest


@pytest.mark.serial("port:8000")
def test_server():
    time.sleep(0.5)


@pytest.mark.serial("port:8000")
def test_admin():
    time.sleep(0.5)
"""


def test_a_wait_for_serial_locks_is_on_the_timeline_and_in_junit(tmp_path: Path) -> None:
    app = write_suite(tmp_path / "app", {"tests/test_serial.py": SERIAL})
    done = auditor(app, "run", "-n", "2", "--junitxml", "junit.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    waits = {row[0]: row[5] for row in done.run_json()["timeline"]}
    # Each test ran on its own worker (two tests, two workers): the second to ask waited for the
    # first to finish (about its 0.5 s, less the time between their starts).
    assert sorted(waits.values())[0] == 0 and sorted(waits.values())[1] >= 0.1
    cases = ET.parse(app / "junit.xml").getroot().iter("testcase")
    recorded = {
        c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")} for c in cases
    }
    assert sorted("serial_wait" in props for props in recorded.values()) == [False, True]
    assert 'class="wait"' in (app / "reports" / "report.html").read_text()
