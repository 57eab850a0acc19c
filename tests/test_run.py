"""``auditor run`` end to end, as real subprocesses: selection, serial, crashes, exit codes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import auditor
from tests.helpers import auditor as run_auditor
from tests.helpers import clean_env
from tests.suites import CRASH_SUITE, OUTCOMES_SUITE, SERIAL_SUITE
from tests.test_plugin import assert_serial_semantics, intervals


def test_version_help_and_module_entry(tmp_path: Path) -> None:
    version = run_auditor(tmp_path, "--version")
    assert version.stdout.strip() == f"auditor {auditor.__version__}"
    help_text = run_auditor(tmp_path, "run", "--help").stdout
    assert "--selection FILE" in help_text and "adaptive" in help_text


def test_serial_under_auditor_run_without_plugin_autoload(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite(SERIAL_SUITE)
    result = run_auditor(root, "run", "-n", "2", env=clean_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert_serial_semantics(intervals(root))
    summary = result.run_json()
    assert summary["tests"] == {"collected": 9, "passed": 9}
    assert summary["profile"]["workers_used"] == 2
    assert {"-p", "xdist", "no:randomly", "auditor.plugin"} <= set(summary["command"])
    for key in ("collection", "execution", "total"):
        assert re.search(rf"^\[PROFILE\] {key} \d+\.\d\d s$", result.stdout, re.M)
    assert "[PROFILE] busy per worker: gw0" in result.stdout

    # The next run can size its workers from this one's profile.
    adaptive = run_auditor(root, "run", "-n", "adaptive", "--", "-q")
    assert adaptive.returncode == 0
    reason = adaptive.run_json()["profile"]["workers_reason"]
    assert reason.startswith("adaptive: -n ")
    assert f"[PROFILE] workers: {reason}" in adaptive.stdout


def test_adaptive_without_history_falls_back_to_auto(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite({"test_one.py": "def test_one(): pass\n"})
    result = run_auditor(root, "run", "-n", "adaptive")
    assert result.returncode == 0
    assert result.run_json()["workers_arg"] == "auto"
    assert "adaptive: no previous run in" in result.stdout


def test_crashed_worker_is_named_and_fails_the_run(suite, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = suite(CRASH_SUITE)
    step_summary = tmp_path / "summary.md"
    result = run_auditor(
        root, "run", "-n", "2", env=clean_env(GITHUB_STEP_SUMMARY=str(step_summary))
    )
    assert result.returncode == 1
    assert "auditor: test_crash.py::test_dies: worker 'gw" in result.stderr
    summary = result.run_json()
    assert [(f["nodeid"], f["outcome"]) for f in summary["failures"]] == [
        ("test_crash.py::test_dies", "crashed")
    ]
    assert summary["tests"]["passed"] == 3
    markdown = step_summary.read_text()
    assert markdown.startswith("## auditor run: failed (exit 1)")
    assert "| `test_crash.py::test_dies` | crashed |" in markdown


def test_tests_lost_with_a_worker_are_named(suite) -> None:  # type: ignore[no-untyped-def]
    # Without restarts, xdist drops what the dead worker still had to run and pytest's summary
    # does not mention it; the collected-vs-reported check does.
    root = suite(CRASH_SUITE)
    result = run_auditor(
        root, "run", "-n", "1", "--", "--max-worker-restart=0", "-p", "no:cacheprovider"
    )
    assert result.returncode == 1
    summary = result.run_json()
    assert set(summary["missing"]) == {"test_crash.py::test_after_1", "test_crash.py::test_after_2"}
    assert "2 collected test(s) never reported (a worker died)" in result.stderr


def test_exitfirst_under_xdist_is_a_test_failure(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite(OUTCOMES_SUITE)
    result = run_auditor(root, "run", "-n", "2", "--", "-x")
    summary = result.run_json()
    assert summary["pytest_exit_code"] == 2  # xdist's -x ends "interrupted"
    assert result.returncode == summary["exit_code"] == 1


def test_selection_file_from_pyproject(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite(
        {
            "pyproject.toml": '[tool.auditor]\nselection = "tools/ci/test_selection.txt"\n',
            "tools/ci/test_selection.txt": "\ufeff# CI selection\ntests/test_a.py\n\n"
            "tests/test_b.py::test_b1\n",
            "tests/test_a.py": "def test_a(): pass\n",
            "tests/test_b.py": "def test_b1(): pass\ndef test_b2(): pass\n",
            "tests/test_c.py": "def test_c(): pass\n",
        }
    )
    result = run_auditor(root, "run", "-n", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.run_json()
    assert summary["selection"] == {
        "source": "tools/ci/test_selection.txt",
        "entries": ["tests/test_a.py", "tests/test_b.py::test_b1"],
    }
    assert summary["tests"] == {"collected": 2, "passed": 2}


@pytest.mark.parametrize(
    ("files", "args", "code", "message"),
    [
        (
            {},
            ["--selection", "tools/ci/test_selection.txt"],
            4,  # a usage error, as pytest's own for a path that does not exist
            "ERROR: tools/ci/test_selection.txt not found",
        ),
        (
            {"sel.txt": "# ok\ntest_a.py\nmissing.py\n", "test_a.py": ""},
            ["--selection", "sel.txt"],
            4,
            "ERROR: sel.txt:3: missing.py does not exist",
        ),
        (
            {"sel.txt": "# nothing here\n"},
            ["--selection", "sel.txt"],
            5,
            "ERROR: nothing selected: sel.txt lists no test paths, only blank lines and comments",
        ),
        ({}, ["-n", "many"], 4, "'many' is not a worker count; use a number, 'auto' or 'adaptive'"),
    ],
    ids=["missing file", "bad line", "empty", "bad -n"],
)
def test_bad_input(suite, files, args, code, message) -> None:  # type: ignore[no-untyped-def]
    result = run_auditor(suite(files), "run", *args)
    assert result.returncode == code
    assert message in result.stderr


def test_zero_tests_exit_5(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite({"test_empty.py": "# no tests yet\n"})
    result = run_auditor(root, "run", "-n", "2")
    assert result.returncode == 5
    assert "auditor: no tests ran: the selection collected no test" in result.stderr
    assert result.run_json()["exit_code"] == 5


def test_python_dash_m_matches_the_console_script(tmp_path: Path) -> None:
    import subprocess

    script = Path(sys.executable).with_name("auditor")
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout == run_auditor(tmp_path, "--version").stdout


SLEEPING = {
    "test_waits.py": (
        "import time\n\nimport pytest\n\n@pytest.mark.parametrize('n', range(12))\n"
        "def test_waits(n):\n    time.sleep(0.3)\n"
    )
}


#: the --dist each run's controller ended with, one line per run
DISTS = {
    "conftest.py": (
        "def pytest_sessionfinish(session):\n"
        "    if not hasattr(session.config, 'workerinput'):\n"
        "        with open('dists.txt', 'a') as handle:\n"
        "            handle.write(session.config.option.dist + '\\n')\n"
    )
}


@pytest.mark.parametrize(
    ("files", "expect"),
    [({"test_one.py": "def test_one(): pass\n"}, "0"), (SLEEPING, "more than the cores")],
)
def test_without_n_the_second_run_takes_its_count_from_the_first(suite, files, expect) -> None:  # type: ignore[no-untyped-def]
    root = suite({**files, **DISTS})
    first = run_auditor(root, "run")
    assert first.returncode == 0 and first.run_json()["workers_arg"] == "auto"
    second = run_auditor(root, "run")
    assert second.returncode == 0
    chosen = second.run_json()["workers_arg"]
    reason = second.run_json()["profile"]["workers_reason"]
    if expect == "0":  # a tiny suite: starting a worker costs more than its test
        assert chosen == "0"
    else:  # tests that sleep: more workers than the 2 cores the tests pin
        assert int(chosen) > 2
    assert f"[PROFILE] workers: default, adaptive: -n {chosen}, predicted" in second.stdout
    # learnt from the history: the first run's -n auto (2 workers) against its own prediction
    assert "from the previous run in .auditor/history.sqlite" in reason
    assert "corrected by the model's error in the recorded runs (-n 2 +" in reason
    if expect == "0":
        return
    # A --dist of the project's own wins over the worksteal auditor picks with the count.
    third = run_auditor(root, "run", "--", "--dist", "loadfile")
    assert third.returncode == 0
    assert "from the newest of 2 recorded runs" in third.run_json()["profile"]["workers_reason"]
    dists = (root / "dists.txt").read_text().split()
    assert dists == ["worksteal", "worksteal", "loadfile"]
