"""The fork server: orders identical to fresh pytest runs, checkpoint reruns, dead children."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.campaign.execute import SERVER_ARGS
from auditor.model import RunResult
from auditor.runner import PytestCall, Server, child_env, run_pytest
from tests.helpers import clean_env, write_suite

MODULE = """\
import pytest

class TestGroup:
    @pytest.mark.parametrize("n", range(3))
    def test_param(self, n):
        pass

    def test_method(self):
        pass

def test_{name}_one():
    pass

def test_{name}_two():
    pass
"""
SUITE = {f"test_{name}.py": MODULE.format(name=name) for name in ("alpha", "beta", "gamma")}
SUITE["test_state.py"] = (
    "STATE = []\n"
    "def test_set():\n    STATE.append(1)\n"
    "def test_needs_empty():\n    assert not STATE\n"
    "def test_die():\n    import os; os._exit(9)\n"
    "def test_after_death():\n    assert not STATE\n"
)

SUITE["test_thread.py"] = (
    "import threading, time\n"
    "def test_leak():\n"
    "    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
    "def test_fails_after():\n    assert False\n"
)


def order(result: RunResult) -> list[str]:
    return [r.nodeid for r in sorted(result.tests, key=lambda r: r.start or 0.0)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    root = write_suite(tmp_path_factory.mktemp("server") / "project", SUITE)
    call = PytestCall(args=(), seed=0, reorganize=False, extra_plugin_args=SERVER_ARGS)
    env = child_env() | clean_env()
    with open(os.devnull, "w") as sink:
        served = Server(call, cwd=root, env=env, output=sink)
        try:
            yield root, served
        finally:
            served.close()


@pytest.mark.parametrize("seed", [1, 12345])
def test_a_seeded_order_is_the_one_a_fresh_randomly_run_executes(server, seed: int) -> None:  # type: ignore[no-untyped-def]
    root, served = server
    forked = served.run({"seed": seed, "exclude": ["test_state.py::test_die"]})
    with open(os.devnull, "w") as sink:
        fresh = run_pytest(
            PytestCall(args=("--deselect", "test_state.py::test_die"), seed=seed),
            cwd=root,
            env=clean_env(),
            output=sink,
        )
    assert order(forked) == order(fresh)
    assert len(order(forked)) == 3 * 6 + 3 + 2
    assert forked.forked and not fresh.forked


def test_the_default_order_is_collection_order(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    result = served.run({"exclude": ["test_state.py::test_die"]})
    expected = [i for i in served.hello.collected if i != "test_state.py::test_die"]
    assert order(result) == expected


def test_a_failure_is_rerun_from_a_checkpoint_of_the_same_run(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = [
        "test_alpha.py::test_alpha_one",
        "test_state.py::test_set",
        "test_state.py::test_needs_empty",
    ]
    result = served.run({"ids": ids, "reruns": 3})
    assert [r.outcome for r in result.tests] == ["passed", "passed", "failed"]
    probes = [(p.target, p.outcome) for p in result.probes]
    assert probes == [("test_state.py::test_needs_empty", "failed")] * 3
    # the checkpoint was taken before test_set or earlier: its replay put the state back
    assert all(p.replayed >= 1 for p in result.probes)


def test_no_checkpoint_is_taken_while_a_test_left_a_thread_running(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ["test_thread.py::test_leak", "test_thread.py::test_fails_after"]
    result = served.run({"ids": ids, "reruns": 3, "checkpoint_s": 0})
    assert [r.outcome for r in result.tests] == ["passed", "failed"]
    # a checkpoint was due before every test; the one before test_fails_after would have
    # copied the locks of test_leak's thread, so the reruns replay from the one before test_leak
    assert [(p.outcome, p.replayed) for p in result.probes] == [("failed", 1)] * 3


def test_targets_are_rerun_from_just_before_them_even_when_they_pass(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ["test_state.py::test_needs_empty", "test_alpha.py::test_alpha_one"]
    result = served.run({"ids": ids, "reruns": 2, "targets": [ids[0]], "rerun_failures": False})
    assert [(p.target, p.outcome, p.replayed) for p in result.probes] == [
        (ids[0], "passed", 0),
        (ids[0], "passed", 0),
    ]


def test_a_dead_child_is_a_crash_and_the_run_goes_on_in_a_new_one(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ["test_state.py::test_set", "test_state.py::test_die", "test_state.py::test_after_death"]
    result = served.run({"ids": ids})
    records = {r.nodeid: r for r in result.tests}
    died = records["test_state.py::test_die"]
    assert (died.outcome, died.worker) == ("crashed", "r0")
    assert died.reason == "the process running it exited with status 9"
    after = records["test_state.py::test_after_death"]
    assert (after.outcome, after.worker) == ("passed", "r0.1")  # from a fresh state


def test_repeats_run_in_fresh_children(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    test = "test_alpha.py::test_alpha_one"
    result = served.run({"ids": [test], "repeats": 3, "stop_when_mixed": test})
    assert [r.worker for r in result.tests] == ["r0", "r1", "r2"]


def test_an_unknown_id_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    from auditor.runner import ServerError

    _, served = server
    with pytest.raises(ServerError, match=r"not collected: test_nope\.py::test_x"):
        served.run({"ids": ["test_nope.py::test_x"]})
