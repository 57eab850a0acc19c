from __future__ import annotations

import pytest

from auditor.exits import RunExit
from auditor.model import RunResult, TestRecord
from auditor.run.verdict import judge


def record(nodeid: str, outcome: str = "passed", reason: str | None = None) -> TestRecord:
    return TestRecord(nodeid, outcome, 0.1, "gw0", 1.0, 1.1, reason)  # type: ignore[arg-type]


def result(
    rc: int,
    collected: tuple[str, ...] | None,
    *tests: TestRecord,
    collect_errors: tuple[tuple[str, str], ...] = (),
    session_start: float | None = 1.0,
) -> RunResult:
    return RunResult(
        rc, 1.0, 1.0, collected, collect_errors, tests, (), session_start=session_start
    )


def test_all_passed() -> None:
    assert judge(result(0, ("a", "b"), record("a"), record("b"))).code == RunExit.OK


def test_maxfail_under_xdist_exits_2_but_tests_failed() -> None:
    run = result(2, ("a", "b", "c"), record("a", "failed"), record("b"))
    verdict = judge(run, ("-x",))
    assert verdict.code == RunExit.TESTS_FAILED
    assert verdict.notes == ("1 collected test(s) never reported (the run stopped early): c",)


def test_crashed_worker_is_named() -> None:
    crash = record(
        "t.py::test_die", "crashed", "worker 'gw0' crashed while running 't.py::test_die'"
    )
    verdict = judge(result(1, ("t.py::test_die", "t.py::ok"), crash, record("t.py::ok")))
    assert verdict.code == RunExit.TESTS_FAILED
    assert verdict.notes[0] == "t.py::test_die: worker 'gw0' crashed while running 't.py::test_die'"


def test_tests_never_reported_fail_a_run_that_pytest_called_green() -> None:
    verdict = judge(result(0, ("a", "b"), record("a")))
    assert verdict.code == RunExit.TESTS_FAILED
    assert "never reported (a worker died): b" in verdict.notes[0]


def test_collection_error_interrupts() -> None:
    run = result(2, ("a",), record("a"), collect_errors=(("t_bad.py", "SyntaxError"),))
    assert judge(run).code == RunExit.INTERRUPTED


@pytest.mark.parametrize(
    ("rc", "expected"),
    [(3, RunExit.INTERNAL_ERROR), (4, RunExit.USAGE_ERROR), (-9, RunExit.INTERNAL_ERROR)],
)
def test_pytest_errors_pass_through(rc: int, expected: RunExit) -> None:
    assert judge(result(rc, None)).code == expected


def test_no_tests() -> None:
    assert judge(result(5, ())).code == RunExit.NO_TESTS


def test_exit_1_before_the_session_began_is_a_usage_error() -> None:
    """pytest < 9.2 exits 1 when a -p plugin cannot be loaded; 9.2 exits 4."""
    verdict = judge(result(1, None, session_start=None))
    assert verdict.code == RunExit.USAGE_ERROR
    assert "before its session began" in verdict.notes[0]


def test_exit_1_without_failed_records_is_not_hidden() -> None:
    verdict = judge(result(1, None))
    assert verdict.code == RunExit.TESTS_FAILED
    assert "without reporting a failed test" in verdict.notes[0]
