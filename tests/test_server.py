"""The fork server: orders identical to fresh pytest runs, checkpoint reruns, dead children."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.campaign.execute import SERVER_ARGS
from auditor.model import RunResult
from auditor.plugin.protocol import CorunRequest, ProtocolError, RunRequest, parse_request
from auditor.runner import PLUGIN_ARGS, PytestCall, Server, child_env, run_pytest
from tests.helpers import clean_env, read_jsonl, write_suite

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


@contextlib.contextmanager
def serving(root: Path) -> Iterator[Server]:
    """A fork server on the project at ``root``, as an audit starts it; closed after."""
    call = PytestCall(args=(), seed=0, reorganize=False, extra_plugin_args=SERVER_ARGS)
    with open(os.devnull, "w") as sink:
        served = Server(call, cwd=root, env=child_env() | clean_env(), output=sink)
        try:
            yield served
        finally:
            served.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    root = write_suite(tmp_path_factory.mktemp("server") / "project", SUITE)
    with serving(root) as served:
        yield root, served


@pytest.mark.parametrize("seed", [1, 12345])
def test_a_seeded_order_is_the_one_a_fresh_randomly_run_executes(server, seed: int) -> None:  # type: ignore[no-untyped-def]
    root, served = server
    forked = served.run(RunRequest(seed=seed, exclude=("test_state.py::test_die",)))
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
    result = served.run(RunRequest(exclude=("test_state.py::test_die",)))
    expected = [i for i in served.hello.collected if i != "test_state.py::test_die"]
    assert order(result) == expected


def test_a_failure_is_rerun_from_a_checkpoint_of_the_same_run(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = (
        "test_alpha.py::test_alpha_one",
        "test_state.py::test_set",
        "test_state.py::test_needs_empty",
    )
    # One checkpoint, before the first test: on a loaded machine 50 ms of tests could pass
    # before test_needs_empty and move it there.
    result = served.run(RunRequest(ids=ids, reruns=3, checkpoint_s=60.0))
    assert [r.outcome for r in result.tests] == ["passed", "passed", "failed"]
    probes = [(p.target, p.outcome) for p in result.probes]
    assert probes == [("test_state.py::test_needs_empty", "failed")] * 3
    # the checkpoint was taken before test_set: its replay put the state back
    assert all(p.replayed == 2 for p in result.probes)


def test_no_checkpoint_is_taken_while_a_test_left_a_thread_running(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ("test_thread.py::test_leak", "test_thread.py::test_fails_after")
    result = served.run(RunRequest(ids=ids, reruns=3, checkpoint_s=0))
    assert [r.outcome for r in result.tests] == ["passed", "failed"]
    # a checkpoint was due before every test; the one before test_fails_after would have
    # copied the locks of test_leak's thread, so the reruns replay from the one before test_leak
    assert [(p.outcome, p.replayed) for p in result.probes] == [("failed", 1)] * 3


def test_targets_are_rerun_from_just_before_them_even_when_they_pass(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ("test_state.py::test_needs_empty", "test_alpha.py::test_alpha_one")
    result = served.run(RunRequest(ids=ids, reruns=2, targets=ids[:1], rerun_failures=False))
    assert [(p.target, p.outcome, p.replayed) for p in result.probes] == [
        (ids[0], "passed", 0),
        (ids[0], "passed", 0),
    ]


def test_a_dead_child_is_a_crash_and_the_run_goes_on_in_a_new_one(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ("test_state.py::test_set", "test_state.py::test_die", "test_state.py::test_after_death")
    result = served.run(RunRequest(ids=ids))
    records = {r.nodeid: r for r in result.tests}
    died = records["test_state.py::test_die"]
    assert (died.outcome, died.worker) == ("crashed", "r0")
    assert died.reason == "the process running it exited with status 9"
    after = records["test_state.py::test_after_death"]
    assert (after.outcome, after.worker) == ("passed", "r0.1")  # from a fresh state


def test_repeats_run_in_fresh_children(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    test = "test_alpha.py::test_alpha_one"
    result = served.run(RunRequest(ids=(test,), repeats=3, stop_when_mixed=test))
    assert [r.worker for r in result.tests] == ["r0", "r1", "r2"]


def test_an_unknown_id_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    from auditor.runner import ServerError

    _, served = server
    with pytest.raises(ServerError, match=r"not collected: test_nope\.py::test_x"):
        served.run(RunRequest(ids=("test_nope.py::test_x",)))


def test_coruns_start_each_test_in_a_child_of_its_own_until_both_pass(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ("test_alpha.py::test_alpha_one", "test_beta.py::test_beta_one")
    result = served.run(CorunRequest(ids=ids, repeats=3))
    # both passed side by side in the first attempt: no second one
    assert sorted((r.nodeid, r.worker, r.outcome) for r in result.tests) == [
        (ids[0], "c0.0", "passed"),
        (ids[1], "c0.1", "passed"),
    ]


SHARED_FOLDER = """\
import os, shutil, time
import pytest

@pytest.fixture(scope="module")
def out():
    yield "shared_out"
    time.sleep(0.2)
    shutil.rmtree("shared_out", ignore_errors=True)

def _write_then_read(out, name):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    with open(path, "w") as f:
        f.write(name)
    time.sleep(0.5)
    with open(path) as f:
        assert f.read() == name

def test_first(out):
    _write_then_read(out, "first")

def test_second(out):
    _write_then_read(out, "second")
"""


def test_a_staggered_corun_starts_the_second_test_during_the_first(tmp_path: Path) -> None:
    # The first test's module teardown removes the folder while the second still uses it:
    # started together, both have read their file back by then.
    root = write_suite(tmp_path / "project", {"test_shared.py": SHARED_FOLDER})
    ids = ("test_shared.py::test_first", "test_shared.py::test_second")
    with serving(root) as served:
        together = served.run(CorunRequest(ids=ids, repeats=2))
        result = served.run(CorunRequest(ids=ids, repeats=2, stagger_s=0.4))
    assert {r.outcome for r in together.tests} == {"passed"}
    # Every attempt fails the second test (so there is a second attempt); the first passes.
    assert sorted((r.nodeid, r.worker, r.outcome) for r in result.tests) == [
        (ids[0], "c0.0", "passed"),
        (ids[0], "c1.0", "passed"),
        (ids[1], "c0.1", "failed"),
        (ids[1], "c1.1", "failed"),
    ]
    starts = {r.worker: r.start or 0.0 for r in result.tests}
    assert starts["c0.1"] > starts["c0.0"] and starts["c1.1"] > starts["c1.0"]


def test_a_request_reads_back_as_it_was_sent() -> None:
    full = RunRequest(
        ids=("a.py::test_a", "b.py::test_b"),
        seed=7,
        exclude=("c.py::test_c",),
        repeats=2,
        stop_when_mixed="b.py::test_b",
        reruns=3,
        targets=("b.py::test_b",),
        checkpoint_s=0.5,
        rerun_failures=False,
        no_rerun=("a.py::test_a",),
        timeout=12.5,
        timeouts=(("a.py::test_a", 3.0),),
        footprint=True,
        results="/tmp/results.jsonl",
    )
    corun = CorunRequest(
        ids=("a.py::test_a", "b.py::test_b"), repeats=4, stagger_s=0.25, results="r.jsonl"
    )
    assert [parse_request(r.to_json()) for r in (full, corun)] == [full, corun]
    assert parse_request('{"op": "run", "results": "r"}') == RunRequest(results="r")
    assert parse_request('{"op": "quit"}') is None


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("run please", "malformed request: not JSON"),
        ('["run"]', "malformed request: not a JSON object"),
        ('{"op": "rerun", "results": "r"}', "unknown request 'rerun': expected run, corun or quit"),
        (
            '{"op": "run", "seeds": 1, "results": "r"}',
            "malformed run request: unknown fields seeds",
        ),
        ('{"op": "run", "ids": "a.py::test_a", "results": "r"}', "malformed run request: expected"),
        ('{"op": "run", "repeats": "2", "results": "r"}', "malformed run request: expected int"),
        (
            '{"op": "run", "timeouts": {"a": "1"}, "results": "r"}',
            "malformed run request: expected",
        ),
        ('{"op": "corun", "results": "r"}', "malformed corun request: "),
        ('{"op": "run"}', "malformed run request: no results file"),
    ],
)
def test_a_malformed_request_is_refused_saying_why(line: str, error: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_request(line)
    assert str(refused.value).startswith(error)


def test_the_server_answers_a_line_it_cannot_read_with_an_error_and_goes_on(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "project", {"test_one.py": "def test_one():\n    pass\n"})
    ours, theirs = socket.socketpair()
    serve = f"--auditor-serve={theirs.fileno()}"
    command = [sys.executable, "-m", "pytest", *PLUGIN_ARGS, "-p", "no:randomly", serve]
    with subprocess.Popen(
        command, cwd=root, env=clean_env(), stdout=subprocess.DEVNULL, pass_fds=(theirs.fileno(),)
    ) as process:
        theirs.close()
        replies = ours.makefile("r", encoding="utf-8")

        def ask(line: str) -> dict[str, Any]:
            ours.sendall(line.encode() + b"\n")
            reply: dict[str, Any] = json.loads(replies.readline())
            return reply

        assert json.loads(replies.readline())["collected"] == ["test_one.py::test_one"]
        assert ask('{"op": "rerun"}') == {
            "op": "done",
            "error": "unknown request 'rerun': expected run, corun or quit",
        }
        results = tmp_path / "results.jsonl"
        run = RunRequest(ids=("test_one.py::test_one",), results=str(results))
        assert ask(run.to_json())["statuses"] == [0]
        ours.sendall(b'{"op": "quit"}\n')
        assert process.wait(timeout=60) == 0
        replies.close()
        ours.close()
    assert [r["outcome"] for r in read_jsonl(results) if r["type"] == "test"] == ["passed"]


def test_alone_runs_each_test_from_the_collected_state(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = (
        "test_state.py::test_set",
        "test_state.py::test_needs_empty",  # passes: test_set's append died with its child
        "test_state.py::test_die",
        "test_thread.py::test_fails_after",
    )
    result = served.run(RunRequest(ids=ids, alone=True, reruns=2))
    outcomes = {r.nodeid: r.outcome for r in result.tests}
    assert outcomes == dict(zip(ids, ["passed", "passed", "crashed", "failed"], strict=True))
    assert result.collected == ids
    assert len({r.worker for r in result.tests}) == 4  # a child, and a sequence, per test
    # A failure is rerun from the collected state, as probes: alone again.
    probes = sorted((p.target, p.outcome, p.replayed) for p in result.probes)
    assert (
        probes
        == [("test_state.py::test_die", "crashed", 0)] * 2
        + [("test_thread.py::test_fails_after", "failed", 0)] * 2
    )


def test_alone_footprints_name_what_each_test_leaves_side_by_side_or_not(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = (
        "test_state.py::test_set",
        "test_state.py::test_needs_empty",
        "test_alpha.py::test_alpha_one",
        "test_alpha.py::test_alpha_two",
    )
    for width in (1, 2):
        request = RunRequest(ids=ids, alone=True, footprint=True, width=width, beside=ids)
        result = served.run(request)
        # The snapshot before each test is taken once per module in the server; each child's
        # own process state (random reseeds after a fork) is taken again: nothing else shows.
        assert {r.nodeid: r.state for r in result.tests} == {
            "test_state.py::test_set": ("global:test_state.STATE",),
            "test_state.py::test_needs_empty": (),
            "test_alpha.py::test_alpha_one": (),
            "test_alpha.py::test_alpha_two": (),
        }
        assert [r.nodeid for r in result.tests] == list(ids)  # in order, whichever ended first


def test_alone_side_by_side_runs_a_test_that_failed_beside_another_again_alone(
    tmp_path: Path,
) -> None:
    # Each test waits for the other's marker: side by side, both see it. The second one fails
    # then (a collision); alone again, it waits in vain and passes: only that run counts.
    wait_for = (
        "import os, time\n"
        "def meet(mine, other):\n"
        "    open(mine, 'w').close()\n"
        "    deadline = time.monotonic() + 3\n"
        "    while time.monotonic() < deadline and not os.path.exists(other):\n"
        "        time.sleep(0.01)\n"
        "    met = os.path.exists(other)\n"
        "    time.sleep(0.2)\n"
        "    os.remove(mine)\n"
        "    return met\n"
    )
    files = {
        "meeting.py": wait_for,
        "test_pair.py": "from meeting import meet\n"
        "def test_first():\n    meet('first.here', 'second.here')\n"
        "def test_second():\n"
        "    if meet('second.here', 'first.here'):\n"
        "        open('collided', 'w').close()\n"
        "        raise AssertionError('ran beside test_first')\n",
    }
    root = write_suite(tmp_path / "project", files)
    ids = ("test_pair.py::test_first", "test_pair.py::test_second")
    with serving(root) as served:
        result = served.run(RunRequest(ids=ids, alone=True, width=2, beside=ids, reruns=2))
        one_at_a_time = served.run(RunRequest(ids=ids, alone=True, width=2, beside=ids[:1]))
    assert (root / "collided").exists()  # they did run side by side
    assert [(r.nodeid, r.outcome) for r in result.tests] == [(i, "passed") for i in ids]
    assert result.returncode == 0 and not result.probes
    (root / "collided").unlink()
    # A test not in ``beside`` runs with no child beside it.
    assert [r.outcome for r in one_at_a_time.tests] == ["passed", "passed"]
    assert not (root / "collided").exists()


def test_alone_puts_the_files_back_after_a_test_that_did_not_pass(tmp_path: Path) -> None:
    files = {
        "test_files.py": "import os\n"
        "def test_leaves_a_file_and_fails():\n"
        "    open('left.txt', 'w').write('x')\n"
        "    assert False\n"
        "def test_needs_no_file():\n"
        "    assert not os.path.exists('left.txt')\n",
    }
    root = write_suite(tmp_path / "project", files)
    ids = ("test_files.py::test_leaves_a_file_and_fails", "test_files.py::test_needs_no_file")
    with serving(root) as served:
        kept = served.run(RunRequest(ids=ids, alone=True, keep=()))
        left = served.run(RunRequest(ids=ids, alone=True))  # keep=None: nothing put back
    assert [r.outcome for r in kept.tests] == ["failed", "passed"]
    assert [r.outcome for r in left.tests] == ["failed", "failed"]
    assert (root / "left.txt").exists()  # the second request's, as it was told


def test_alone_after_a_prefix_runs_each_test_right_after_it(server) -> None:  # type: ignore[no-untyped-def]
    _, served = server
    ids = ("test_state.py::test_needs_empty", "test_state.py::test_after_death")
    result = served.run(RunRequest(ids=ids, alone=True, prefix=("test_state.py::test_set",)))
    outcomes = [(r.nodeid, r.outcome, r.worker) for r in result.tests]
    assert outcomes == [
        ("test_state.py::test_set", "passed", "a0"),
        ("test_state.py::test_needs_empty", "failed", "a0"),
        ("test_state.py::test_set", "passed", "a1"),
        ("test_state.py::test_after_death", "failed", "a1"),
    ]


@pytest.mark.parametrize("width", [1, 2])
def test_a_prefix_runs_once_and_each_test_forks_from_where_it_left(
    tmp_path: Path, width: int
) -> None:
    files = {
        "test_slow_writer.py": "import pytest\n\n"
        "@pytest.fixture(scope='module')\ndef table():\n    yield {}\n"
        "    open('torn_down.txt', 'a').write('table\\n')\n\n"
        "def test_fills(table):\n    open('prefix_ran.txt', 'a').write('ran\\n')\n"
        "    import sys; sys.modules['pkg_state'] = table; table['k'] = 1\n",
        "test_readers.py": "import sys\n\n"
        "def test_sees_it():\n    assert sys.modules['pkg_state'] == {'k': 1}\n\n"
        "def test_also_sees_it():\n    assert sys.modules['pkg_state']['k'] == 1\n",
    }
    root = write_suite(tmp_path / "project", files)
    ids = ("test_readers.py::test_sees_it", "test_readers.py::test_also_sees_it")
    with serving(root) as served:
        prefix = ("test_slow_writer.py::test_fills",)
        request = RunRequest(ids=ids, alone=True, prefix=prefix, width=width, beside=ids)
        result = served.run(request)
    assert (root / "prefix_ran.txt").read_text() == "ran\n"  # once, not once per test
    # Each test's process ran the prefix: its records come first, under the test's worker.
    assert [(r.nodeid, r.outcome, r.worker) for r in result.tests] == [
        ("test_slow_writer.py::test_fills", "passed", "a0"),
        ("test_readers.py::test_sees_it", "passed", "a0"),
        ("test_slow_writer.py::test_fills", "passed", "a1"),
        ("test_readers.py::test_also_sees_it", "passed", "a1"),
    ]
    # The prefix's module fixture, torn down before each test of another module, as in a run.
    assert (root / "torn_down.txt").read_text() == "table\ntable\n"
