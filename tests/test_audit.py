"""``auditor audit`` end to end on a throwaway suite: classification, report, reproduce commands."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import auditor, clean_env, write_suite

# The default order runs the polluter first, so the baseline itself fails the victim: the
# classification of the victim does not depend on which random orders the seed draws.
AUDIT_SUITE = {
    "app.py": "MODE = 'prod'\nWAREHOUSES = set()\n",
    "test_a_polluter.py": "import app\ndef test_polluter():\n    app.MODE = 'debug'\n",
    "test_b_victim.py": "import app\ndef test_victim():\n    assert app.MODE == 'prod'\n",
    "test_c_setter.py": "import app\ndef test_setter():\n    app.WAREHOUSES.add('main')\n",
    "test_d_brittle.py": "import app\ndef test_brittle():\n    assert 'main' in app.WAREHOUSES\n",
    "test_e_failing.py": "def test_failing():\n    assert 1 + 1 == 3\n",
    "test_f_clean.py": "import pytest\n@pytest.mark.parametrize('n', range(4))\n"
    "def test_clean(n):\n    assert n * 0 == 0\n",
}


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """One audit of AUDIT_SUITE, shared by the tests below (each audit starts ~20 pytests)."""
    root = write_suite(tmp_path_factory.mktemp("audit") / "project", AUDIT_SUITE)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    result = auditor(root, "audit", "--seed", "7", "--orders", "4", "--xdist-seeds", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    return root, json.loads((root / "reports" / "audit.json").read_text()), result.stdout


def by_test(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["test"].split("::")[1]: f for f in report["findings"]}


def test_each_kind_is_classified_and_clean_tests_are_not(audited) -> None:  # type: ignore[no-untyped-def]
    _, report, stdout = audited
    assert {name: f["kind"] for name, f in by_test(report).items()} == {
        "test_victim": "order-dependent",
        "test_brittle": "brittle",
        "test_failing": "failing",
    }
    assert report["schema"] == "auditor.audit/1" and report["partial"] is False
    assert report["tests"] == 9
    assert "-> collected 9 tests" in stdout


def test_report_carries_evidence_and_cost(audited) -> None:  # type: ignore[no-untyped-def]
    root, report, _ = audited
    victim = by_test(report)["test_victim"]
    assert victim["sequence"][-2:] == [
        "test_a_polluter.py::test_polluter",
        "test_b_victim.py::test_victim",
    ]
    assert {"kind": "sequential", "seed": None, "workers": 0} in victim["failed_in"]
    assert victim["reruns"] == 6 and victim["reason"].startswith("AssertionError")
    kinds = [run["kind"] for run in report["runs"]]
    assert kinds[:5] == ["sequential"] + ["random"] * 4
    assert kinds.count("xdist") == 2
    xdist = next(run for run in report["runs"] if run["kind"] == "xdist")
    assert sum(len(s) for s in xdist["sequences"].values()) == 9
    assert report["cost"]["runs"] == len(report["runs"])
    assert report["cost"]["sequential_runs"] > 1
    assert (
        "## order-dependent: `test_b_victim.py::test_victim`"
        in (root / "reports" / "audit.md").read_text()
    )


@pytest.mark.parametrize("name", ["test_victim", "test_brittle", "test_failing"])
def test_every_reproduce_command_reproduces(audited, name: str) -> None:  # type: ignore[no-untyped-def]
    root, report, _ = audited
    command = by_test(report)[name]["reproduce"]
    assert command.startswith("pytest ")
    env = clean_env(PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    result = subprocess.run(
        shlex.split(command), cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout
    assert f"FAILED {by_test(report)[name]['test']}" in result.stdout


def test_selection_errors_behave_as_in_run(tmp_path: Path) -> None:
    result = auditor(tmp_path, "audit", "--selection", "tools/ci/test_selection.txt")
    assert result.returncode == 2
    assert "ERROR: tools/ci/test_selection.txt not found" in result.stderr


def test_interrupt_writes_the_report_so_far(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "project", {"test_a.py": "def test_a(): pass\n"})
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", "audit", "--seed", "3"],
        cwd=root,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # interrupt as soon as the first campaign run has finished
        if line.startswith("run 1:"):
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=120)[0]
    assert process.returncode == 2, rest
    report = json.loads((root / "reports" / "audit.json").read_text())
    assert report["partial"] is True
    assert 1 <= len(report["runs"]) < 9
