"""``auditor audit`` end to end on throwaway suites: classification, faults, report, reproduce."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import auditor, clean_env, write_suite

# The default order runs the polluter first, so the baseline itself fails the victim; the
# reversed order runs the brittle test before its state-setter. The verdicts therefore do not
# depend on which random orders the seed draws.
AUDIT_SUITE = {
    "app.py": "MODE = 'prod'\nWAREHOUSES = set()\n",
    "test_a_polluter.py": "import app\ndef test_polluter():\n    app.MODE = 'debug'\n",
    "test_b_victim.py": "import app\ndef test_victim():\n    assert app.MODE == 'prod'\n",
    "test_c_setter.py": "import app\ndef test_setter():\n    app.WAREHOUSES.add('main')\n",
    "test_d_brittle.py": "import app\ndef test_brittle():\n    assert 'main' in app.WAREHOUSES\n",
    "test_e_failing.py": "def test_failing():\n    assert 1 + 1 == 3\n",
    "test_f_clean.py": "import pytest\n@pytest.mark.parametrize('n', range(4))\n"
    "def test_clean(n):\n    assert n * 0 == 0\n",
    # Fails on every other execution, whatever ran before: the very same order flips.
    "test_g_flaky.py": "from pathlib import Path\n"
    "def test_flaky():\n"
    "    counter = Path(__file__).with_name('flaky.count')\n"
    "    n = int(counter.read_text()) + 1 if counter.exists() else 1\n"
    "    counter.write_text(str(n))\n"
    "    assert n % 2 == 0, f'execution {n}'\n",
    "test_h_hang.py": "import time\ndef test_hang():\n    time.sleep(600)\n",
    "test_i_crash.py": "import os\ndef test_crash():\n    os._exit(3)\n",
    "test_j_broken.py": "import not_a_module\ndef test_never():\n    pass\n",
    # Hangs only after a test that leaves a lock held: the reversed order runs that one first.
    "lockmod.py": "import threading\nLOCK = threading.Lock()\n",
    "test_k_wait.py": "import lockmod\ndef test_wait():\n    with lockmod.LOCK:\n        pass\n",
    "test_l_hold.py": "import lockmod\ndef test_hold():\n"
    "    lockmod.LOCK.acquire(blocking=False)\n",
}
CLEAN = {"test_polluter", "test_setter", "test_clean", "test_hold"}


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """One audit of AUDIT_SUITE, shared by the tests below."""
    root = write_suite(tmp_path_factory.mktemp("audit") / "project", AUDIT_SUITE)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    result = auditor(root, "audit", "--seed", "7", "--timeout", "2")
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
        "test_flaky": "non-deterministic",
        "test_hang": "hang",
        "test_crash": "crash",
        "test_wait": "order-dependent",
    }
    assert not CLEAN & set(by_test(report))
    assert report["schema"] == "auditor.audit/1" and report["partial"] is False
    assert report["tests"] == 14
    assert "-> collected 14 tests" in stdout


def test_report_carries_evidence_and_cost(audited) -> None:  # type: ignore[no-untyped-def]
    root, report, _ = audited
    victim = by_test(report)["test_victim"]
    assert victim["sequence"][-2:] == [
        "test_a_polluter.py::test_polluter",
        "test_b_victim.py::test_victim",
    ]
    assert {"kind": "sequential", "seed": None, "workers": 0} in victim["failed_in"]
    # its failure and two reruns from the state it failed in; three alone
    assert victim["reruns"] == 5 and victim["reason"].startswith("AssertionError")
    campaign = len(victim["failed_in"]) + len(victim["passed_in"])
    assert (victim["failures"], victim["runs"]) == (len(victim["failed_in"]) + 2, campaign + 5)
    kinds = [run["kind"] for run in report["runs"]]
    # the default order, every test alone, orders chosen from the footprints (the polluter and
    # the state-setter first, the rest in the default order and reversed), the reverse, a random
    # order and the xdist runs; last, each test alone right after the writers
    assert kinds[:9] == [
        "sequential",
        "alone",
        "guided",
        "guided",
        "reversed",
        "random",
        "xdist",
        "xdist",
        "after",
    ]
    assert all(run["why"] for run in report["runs"])
    xdist = next(run for run in report["runs"] if run["kind"] == "xdist")
    # the hung and crashed tests left the campaign after the baseline (and after the run in
    # which test_wait hung behind test_hold)
    assert sum(len(s) for s in xdist["sequences"].values()) == 11
    cost = report["cost"]
    # the fork server, 2 xdist runs, and a pytest of its own for each test that failed alone in
    # a fork (brittle, failing): its reproduce command, which collects its module only
    fresh = [run for run in report["runs"] if run["why"] == "triage: alone, uncollected"]
    alone = sorted(f["test"] for f in report["findings"] if f["kind"] in ("brittle", "failing"))
    assert alone and sorted(run["ids"][0] for run in fresh) == alone
    assert cost["runs"] == len(report["runs"]) and cost["processes"] == 3 + len(fresh)
    assert cost["sequential_runs"] > 1
    assert (
        "## order-dependent: `test_b_victim.py::test_victim`"
        in (root / "reports" / "audit.md").read_text()
    )


def test_a_hang_after_another_test_is_its_victim(audited) -> None:  # type: ignore[no-untyped-def]
    _, report, _ = audited
    wait = by_test(report)["test_wait"]
    assert wait["reason"].startswith("no result after its 2 s timeout")
    assert wait["polluters"] == ["test_l_hold.py::test_hold"]
    assert wait["sequence"][-2:] == ["test_l_hold.py::test_hold", "test_k_wait.py::test_wait"]


def test_the_flaky_verdict_rests_on_a_rerun_of_the_same_order(audited) -> None:  # type: ignore[no-untyped-def]
    _, report, _ = audited
    flaky = by_test(report)["test_flaky"]
    assert flaky["reason"].startswith("AssertionError: execution")
    assert flaky["reruns"] >= 1 and 0 < flaky["failures"] < flaky["runs"]
    baseline = report["runs"][0]
    assert baseline["reruns"]["test_g_flaky.py::test_flaky"] == {"failed": 0, "runs": 1}


def test_hang_and_crash_are_findings_and_the_campaign_goes_on(audited) -> None:  # type: ignore[no-untyped-def]
    _, report, _ = audited
    hang, crash = by_test(report)["test_hang"], by_test(report)["test_crash"]
    assert hang["reason"].startswith("no result after its 2 s timeout; it was at test_h_hang.py")
    assert "exited with status 3" in crash["reason"]
    baseline = report["runs"][0]
    # the tests after the hang and the crash still ran in the baseline
    assert "test_j_broken.py::test_never" not in baseline["order"]
    assert baseline["order"][-3:] == [
        "test_i_crash.py::test_crash",
        "test_k_wait.py::test_wait",
        "test_l_hold.py::test_hold",
    ]
    assert len(baseline["order"]) == 14


def test_a_collection_error_is_reported_and_the_rest_audited(audited) -> None:  # type: ignore[no-untyped-def]
    root, report, stdout = audited
    assert [e["nodeid"] for e in report["collect_errors"]] == ["test_j_broken.py"]
    assert "not_a_module" in report["collect_errors"][0]["reason"]
    assert "auditor: collection error in test_j_broken.py" in stdout
    assert "## collection error: `test_j_broken.py`" in (root / "reports" / "audit.md").read_text()


def test_progress_is_plain_when_not_a_terminal(audited) -> None:  # type: ignore[no-untyped-def]
    _, _, stdout = audited
    assert "\r" not in stdout and "\x1b" not in stdout
    assert "run 1: sequential: 5 failed" in stdout
    assert "run 8: xdist, seed" in stdout


@pytest.mark.parametrize("name", ["test_victim", "test_brittle", "test_failing", "test_crash"])
def test_every_reproduce_command_reproduces(audited, name: str) -> None:  # type: ignore[no-untyped-def]
    root, report, _ = audited
    command = by_test(report)[name]["reproduce"]
    assert command.startswith("pytest ")
    env = clean_env(PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    result = subprocess.run(
        shlex.split(command), cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    if name == "test_crash":
        assert result.returncode == 3, result.stdout
        return
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
    assert process.returncode == 130, rest  # the shell's code for Ctrl-C
    report = json.loads((root / "reports" / "audit.json").read_text())
    assert report["partial"] is True and report["stopped"] == "interrupted"
    assert 1 <= len(report["runs"]) < 7


def test_sigterm_stops_the_audit_and_its_pytests_as_ctrl_c_does(tmp_path: Path) -> None:
    # A CI runner cancelling a job sends SIGTERM to auditor: it must stop as for Ctrl-C, and the
    # pytest it runs must not go on in the background (it leads a process group of its own).
    sleeper = (
        "import os, time\n"
        "def test_sleeps():\n"
        "    with open('pid.txt', 'w') as out:\n"
        "        out.write(str(os.getpid()))\n"
        "    time.sleep(600)\n"
    )
    root = write_suite(
        tmp_path / "project", {"test_a.py": "def test_a(): pass\n", "test_s.py": sleeper}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", "audit", "--seed", "3", "--timeout", "300"],
        cwd=root,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pid_file = root / "pid.txt"
    for _ in range(600):  # the sleeping test has started (at most a minute)
        if pid_file.is_file() and pid_file.read_text():
            break
        assert process.poll() is None, process.communicate()[0]
        time.sleep(0.1)
    sleeping = int(pid_file.read_text())
    process.send_signal(signal.SIGTERM)
    rest = process.communicate(timeout=120)[0]
    assert process.returncode == 130, rest
    report = json.loads((root / "reports" / "audit.json").read_text())
    assert report["partial"] is True and report["stopped"] == "interrupted"
    for _ in range(300):  # the test's process got the interruption too (it would sleep 600 s)
        if not _alive(sleeping):
            break
        time.sleep(0.1)
    assert not _alive(sleeping)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:  # an orphan nobody reaped yet has ended too
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def test_a_budget_leaves_runs_and_triage_out_and_says_so(tmp_path: Path) -> None:
    root = write_suite(
        tmp_path / "project",
        {
            "test_a.py": "import time\ndef test_slow():\n    time.sleep(1)\n"
            "def test_failing():\n    assert False\n"
        },
    )
    result = auditor(root, "audit", "--seed", "3", "--budget", "1s")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((root / "reports" / "audit.json").read_text())
    assert report["partial"] is True and report["stopped"] == "budget"
    assert [run["kind"] for run in report["runs"]] == ["sequential"]
    assert len(report["skipped_runs"]) == 5  # alone, reversed, random and two xdist runs
    assert report["untriaged"] == ["test_a.py::test_failing"]
    assert "the budget left 5 planned runs out" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--budget", "soon"), "'soon' is not a duration; write e.g. 90s, 20m or 1h30m"),
        (("--timeout", "0"), "'0' is not a number of seconds above 0"),
        (("--reruns", "0"), "'0' is not a positive count"),
    ],
)
def test_bad_options_say_what_to_write(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = auditor(tmp_path, "audit", *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_failure_rerun_enough_is_not_rerun_in_later_runs(audited) -> None:  # type: ignore[no-untyped-def]
    _, report, _ = audited
    failing = "test_e_failing.py::test_failing"
    one_process = ("sequential", "reversed", "random")
    sequential = [r for r in report["runs"] if r["kind"] in one_process and failing in r["failed"]]
    assert len(sequential) == 3  # the default order, the reverse and the random one
    assert [failing in r.get("reruns", {}) for r in sequential] == [True, False, False]
