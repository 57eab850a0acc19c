"""The pytest plugin in real pytest subprocesses: inert by default, serial marks, records."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

from auditor.model import RunOutcome, RunPlan, read_results
from tests.helpers import clean_env, read_jsonl, run_pytest
from tests.suites import OUTCOMES_SUITE, SERIAL_SUITE

ORDER_SUITE = {
    "conftest.py": """
import pathlib
def pytest_configure(config):
    loaded = config.pluginmanager.hasplugin("auditor")
    (pathlib.Path(__file__).parent / "loaded.txt").write_text(str(loaded))
""",
    "test_b.py": "def test_b2(): pass\ndef test_b1(): pass\n",
    "test_a.py": "def test_a3(): pass\ndef test_a1(): pass\ndef test_a2(): pass\n",
}


def executed(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines() if line.endswith("PASSED")]


def test_inert_without_options_or_serial_marks(suite, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = suite(ORDER_SUITE)
    # A temporary folder of their own: other runs on the machine may leave locks in the shared one.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**clean_env(), "TMPDIR": str(scratch)}
    args = ("-p", "no:randomly", "-p", "no:cacheprovider")
    with_plugin = run_pytest(root, "-v", *args, env=env)
    assert (root / "loaded.txt").read_text() == "True"
    without = run_pytest(root, "-v", *args, "-p", "no:auditor", env=env)
    assert (root / "loaded.txt").read_text() == "False"
    assert executed(with_plugin.stdout) == executed(without.stdout)
    assert len(executed(with_plugin.stdout)) == 5
    distributed = run_pytest(root, "-n", "2", *args, env=env)
    assert distributed.returncode == 0
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [*ORDER_SUITE, "loaded.txt", "pytest.ini"]
    )
    assert not list(scratch.glob("auditor-serial-*"))  # no serial lock without a serial mark


def test_serial_marker_is_registered_for_strict_markers(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite(
        {
            "test_m.py": "import pytest\n@pytest.mark.serial\ndef test_m(): pass\n"
            "@pytest.mark.serial('file:x')\ndef test_k(): pass\n"
        }
    )
    assert run_pytest(root, "--strict-markers", "-p", "no:xdist").returncode == 0
    # With autoload off, the plugin loads by its entry-point name, like -p xdist.
    no_autoload = clean_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    assert run_pytest(root, "--strict-markers", "-p", "auditor", env=no_autoload).returncode == 0
    unknown = run_pytest(root, "--strict-markers", "-p", "no:auditor", "-p", "no:xdist")
    assert "'serial' not found in `markers` configuration option" in unknown.stdout


def test_bad_serial_arguments_fail_the_test_with_the_fix(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite(
        {
            "test_m.py": "import pytest\n@pytest.mark.serial(18765)\ndef test_m(): pass\n"
            "def test_ok(): pass\n"
        }
    )
    for workers in ("0", "2"):
        result = run_pytest(root, "-n", workers)
        assert result.returncode == 1
        assert (
            "test_m.py::test_m: serial() resource keys must be non-empty strings, "
            "e.g. @pytest.mark.serial('port:18765'); got 18765"
        ) in result.stdout
        assert "1 passed, 1 error" in result.stdout


def intervals(root: Path) -> dict[str, tuple[float, float]]:
    rows = [json.loads(line) for line in (root / "intervals.log").read_text().splitlines()]
    return {name: (start, stop) for name, start, stop in rows}


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def assert_serial_semantics(spans: dict[str, tuple[float, float]]) -> None:
    assert len(spans) == 9
    exclusive = spans.pop("exclusive")
    assert [name for name, span in spans.items() if overlap(span, exclusive)] == []
    assert not overlap(spans["keyed_a"], spans["keyed_b"])
    # Keys exclude only each other: unmarked tests ran beside the keyed ones. (Deterministic
    # enough: xdist's first batch hands both keyed tests to one worker, plain ones to the other.)
    beside = [
        name
        for name, span in spans.items()
        if name.startswith("plain")
        and (overlap(span, spans["keyed_a"]) or overlap(span, spans["keyed_b"]))
    ]
    assert beside


def test_serial_marks_are_honoured_by_plain_pytest_n(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite(SERIAL_SUITE)
    result = run_pytest(root, "-n", "3", "-p", "no:randomly")
    assert result.returncode == 0, result.stdout
    assert_serial_semantics(intervals(root))


def test_records_every_outcome_in_execution_order(suite, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = suite(OUTCOMES_SUITE)
    results = tmp_path / "results.jsonl"
    run_pytest(root, "-p", "no:randomly", "-p", "no:xdist", f"--auditor-results={results}")
    records = read_jsonl(results)
    assert [r["type"] for r in records] == (
        ["session_start", "collected"] + ["test"] * 7 + ["worker", "session_finish"]
    )
    tests = {r["nodeid"].split("::")[1]: r for r in records if r["type"] == "test"}
    assert [f"test_outcomes.py::{name}" for name in tests] == records[1]["ids"]
    assert {name: r["outcome"] for name, r in tests.items()} == {
        "test_pass": "passed",
        "test_fail": "failed",
        "test_setup_error": "error",
        "test_teardown_error": "error",
        "test_skip": "skipped",
        "test_xfail": "xfailed",
        "test_xpass": "xpassed",
    }
    assert tests["test_fail"]["reason"].startswith("AssertionError: one is not two")
    assert tests["test_setup_error"]["reason"] == "RuntimeError: fixture exploded"
    assert tests["test_skip"]["reason"] == "Skipped: not today"
    assert tests["test_pass"]["reason"] is None
    assert all(r["worker"] == "main" and r["start"] <= r["stop"] for r in tests.values())
    worker = records[-2]
    assert worker["worker"] == "main" and worker["tests"] == 7 and worker["maxrss_kb"] > 0
    assert records[-1]["exitstatus"] == 1


def test_records_under_xdist_name_the_worker(suite, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = suite(OUTCOMES_SUITE)
    results = tmp_path / "results.jsonl"
    run_pytest(root, "-n", "2", f"--auditor-results={results}")
    records = read_jsonl(results)
    tests = [r for r in records if r["type"] == "test"]
    assert len(tests) == 7
    assert {r["worker"] for r in tests} <= {"gw0", "gw1"}
    workers = [r for r in records if r["type"] == "worker"]
    assert sorted(w["worker"] for w in workers) == ["gw0", "gw1"]
    assert sum(w["tests"] for w in workers) == 7
    assert all(w["startup_s"] >= w["collect_s"] > 0 for w in workers)


def test_replicas_one_worker_at_a_time_never_overlap(suite) -> None:  # type: ignore[no-untyped-def]
    # How the audit reruns a test K times in one start-up: --dist each gives every worker the
    # whole order; the option makes the workers take turns, so a test never meets its replica.
    root = suite(
        {
            "test_r.py": SERIAL_SUITE["test_serial.py"].split("@pytest.mark")[0]
            + "def test_port():\n    hold('port')\n"
        }
    )
    result = run_pytest(root, "-n", "3", "--dist", "each", "--auditor-one-worker-at-a-time")
    assert result.returncode == 0, result.stdout
    rows = [json.loads(line) for line in (root / "intervals.log").read_text().splitlines()]
    spans = sorted((start, stop) for _, start, stop in rows)
    assert len(spans) == 3
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_a_test_past_its_timeout_on_a_worker_is_recorded_as_a_hang(suite, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hang = "import time\ndef test_hang():\n    time.sleep(60)\n"
    root = suite({"test_h.py": hang + "def test_ok():\n    pass\n"})
    results = tmp_path / "results.jsonl"
    timeouts = tmp_path / "timeouts.json"
    timeouts.write_text(json.dumps({"test_h.py::test_ok": 30}))
    args = (f"--auditor-results={results}", "--auditor-timeout=1", f"--auditor-timeouts={timeouts}")
    run_pytest(root, "-n", "2", "-p", "no:randomly", *args)
    result = read_results(results, 0, 0.0, 0.0, ())
    outcomes = {r.nodeid: (r.outcome, r.reason) for r in result.tests}
    assert outcomes["test_h.py::test_ok"] == ("passed", None)
    outcome, reason = outcomes["test_h.py::test_hang"]
    assert outcome == "hang"
    assert reason is not None
    assert reason.startswith("no result after its 1 s timeout; it was at test_h.py:3 in test_hang")


def test_a_hang_that_ends_its_process_keeps_its_place_in_the_order(suite, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # One process, no xdist: the watchdog ends it, and its record is all that says where the
    # test ran (the tests before it may have caused the hang).
    root = suite(
        {
            "test_a.py": "def test_first():\n    pass\n",
            "test_b.py": "import time\ndef test_hang():\n    time.sleep(60)\n",
        }
    )
    results = tmp_path / "results.jsonl"
    run_pytest(root, "-p", "no:randomly", f"--auditor-results={results}", "--auditor-timeout=1")
    outcome = RunOutcome(RunPlan("sequential"), read_results(results, 0, 0.0, 0.0, ()))
    assert {r.nodeid: r.outcome for r in outcome.result.tests} == {
        "test_a.py::test_first": "passed",
        "test_b.py::test_hang": "hang",
    }
    assert outcome.prefix("test_b.py::test_hang") == (
        "test_a.py::test_first",
        "test_b.py::test_hang",
    )


def imported_beyond_the_standard_library(*modules: str) -> set[str]:
    """The top-level packages outside the standard library that importing ``modules`` loads."""
    probe = (
        "import sys; before = set(sys.modules); "
        f"[__import__(name) for name in {list(modules)!r}]; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(' '.join(sorted(n for n in new if n not in sys.stdlib_module_names)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split()) - {"auditor"}


def test_every_plugin_module_imports_only_the_standard_library_and_pytest() -> None:
    """Importing the package loads none of its modules (pytest's configure does), so each one is
    checked: they all reach a foreign interpreter that lacks auditor's own dependencies."""
    folder = Path(__file__).parent.parent / "auditor" / "plugin"
    modules = [f"auditor.plugin.{path.stem}" for path in sorted(folder.glob("[!_]*.py"))]
    assert "auditor.plugin.server" in modules
    # pytest's own dependencies vary by version (py, pygments, exceptiongroup, tomli, packaging...)
    pytests = {"_pytest", "pytest", "pluggy", "iniconfig", "py", "pygments", "packaging"}
    assert imported_beyond_the_standard_library(*modules) <= pytests | {"exceptiongroup", "tomli"}


def test_the_modules_auditor_itself_imports_do_not_load_pytest() -> None:
    """auditor's own side reads results and talks to the fork server through these: importing
    pytest would slow the start-up of every command."""
    shared = ("auditor.plugin.protocol", "auditor.plugin.jsonlines", "auditor.plugin.children")
    assert imported_beyond_the_standard_library("auditor.plugin", *shared) == set()
