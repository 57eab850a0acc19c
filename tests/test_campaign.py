"""The campaign's plan and the limits its runs teach: pure, whatever the machine."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.campaign.execute import Executor
from auditor.campaign.limits import Limits, learn
from auditor.campaign.plan import first, guided, rest, worker_counts
from auditor.model import Probe, RunOutcome, RunPlan, RunResult, TestRecord
from auditor.run.workers import auto_workers
from tests.helpers import clean_env, write_suite

IDS = tuple(f"t{i}" for i in range(6))


@pytest.mark.parametrize(
    ("cores", "counts"),
    [(1, (2, 4)), (2, (2, 4)), (4, (2, 4, 8)), (8, (2, 4, 16))],
)
def test_worker_counts_are_2_4_and_twice_the_cores(cores: int, counts: tuple[int, ...]) -> None:
    assert worker_counts(cores) == counts


def campaign(*args: object, alone: bool = False) -> list[RunPlan]:
    """Every run planned before the footprints are known, as the audit runs them."""
    return first(IDS, alone) + rest(7, IDS, *args)  # type: ignore[arg-type]


def test_the_campaign_for_8_cores() -> None:
    plans = campaign(2, 2, worker_counts(8))
    assert [p.kind for p in plans[:2]] == ["sequential", "reversed"]
    assert plans[1].ids == tuple(reversed(IDS))
    randoms = [p for p in plans if p.kind == "random"]
    xdists = [p for p in plans if p.kind == "xdist"]
    assert len(randoms) == 2 and len(xdists) == 2 * 3
    assert [p.workers for p in xdists] == [2, 4, 16, 2, 4, 16]
    # Random orders and xdist runs alternate, so that a budget cut keeps both kinds.
    assert [p.kind for p in plans[2:6]] == ["random", "xdist", "random", "xdist"]
    seeds = [p.seed for p in plans if p.seed is not None]
    assert len(set(seeds)) == len(seeds) == 8
    assert campaign(2, 2, worker_counts(8)) == plans  # the seed repeats it exactly
    assert all(plan.why for plan in plans)  # the report says why each run was chosen


def test_every_test_alone_comes_second_when_runs_can_fork() -> None:
    plans = campaign(1, 1, (2, 4), alone=True)
    assert [p.kind for p in plans[:3]] == ["sequential", "alone", "reversed"]
    assert plans[1].ids == IDS


S = frozenset({"global:app.REGISTRY"})
T = frozenset({"env:APP_MODE"})


READERS = tuple(f"r{i}" for i in range(10))
CACHE_USD = frozenset({"global:app.CACHE#c0ffee=0001"})  # KEY=VALUE: see auditor.plugin.effects
CACHE_EUR = frozenset({"global:app.CACHE#c0ffee=0002"})
CACHE_GBP = frozenset({"global:app.CACHE#c0ffee=0003"})
CLEARS = frozenset({"global:app.CACHE#c0ffee=0001", "global:app.CACHE#d00d-"})  # clear(), then read


def _ids(plans: list[RunPlan]) -> list[tuple[str, ...]]:
    return [plan.ids for plan in plans]


@pytest.mark.parametrize(
    ("order", "writes", "leaves", "expected"),
    [
        pytest.param(
            ["p", "c1", "v", "c2"],
            {"p": S, "c1": S, "c2": S},  # the cleaners changed it only after the polluter
            {"p": S},
            [("p", "v")],
            id="cleaners in both orders are left out",
        ),
        pytest.param(
            ["p", "c1", "c2", "v"],
            {"p": S, "c1": S},  # c2 always ran after c1: on clean state, changing nothing
            {"p": S},
            [("p", "c2", "v"), ("p", "v", "c2")],  # the reversed one has no cleaner between
            id="a cleaner never seen writing is between them in one order only",
        ),
        pytest.param(
            ["p", "c", "v", "x"],
            {"p": S, "c": S, "v": S},
            {"p": S, "v": S},  # the victim registers too: it writes what it reads
            [("p", "v", "x"), ("p", "x", "v")],
            id="a victim that writes the state stays",
        ),
        pytest.param(
            ["x", "p1", "p2", "v"],
            {"p1": S, "p2": T},
            {"p1": S, "p2": T},
            [("p1", "p2", "x", "v"), ("p1", "p2", "v", "x")],
            id="writers of disjoint state share an order",
        ),
        pytest.param(
            ["p1", "p2", "v"],
            {"p1": S | T, "p2": T | {"c"}},
            {"p1": S | T, "p2": T | {"c"}},
            [("p1", "p2", "v"), ("p1", "v", "p2"), ("p2", "p1", "v"), ("p2", "v", "p1")],
            id="overlapping writers need another order",
        ),
        pytest.param(
            [f"t{i}" for i in range(12)],
            {f"t{i}": {"global:random.state"} for i in range(10)},
            {f"t{i}": {"global:random.state"} for i in range(10)},
            [],
            id="state most tests leave changed is everywhere already",
        ),
        pytest.param(
            [*READERS, "c", "p", "v"],
            {**{r: CACHE_USD for r in READERS}, "p": CACHE_EUR, "v": CACHE_USD, "c": CLEARS},
            {**{r: CACHE_USD for r in READERS}, "p": CACHE_EUR, "v": CACHE_USD, "c": CACHE_USD},
            [("p", *READERS, "v"), ("p", "v", *reversed(READERS))],
            id="a cache's usual value is no order; its overrider is, without its clearer",
        ),
        pytest.param(
            ["p1", "p2", "p3", "v"],
            {"p1": CACHE_EUR, "p2": CACHE_EUR, "p3": CACHE_GBP},
            {"p1": CACHE_EUR, "p2": CACHE_EUR, "p3": CACHE_GBP},
            [
                ("p3", "p1", "p2", "v"),
                ("p3", "v", "p2", "p1"),
                ("p1", "p2", "p3", "v"),
                ("p1", "v", "p3", "p2"),
            ],
            id="two values of one key: one order each, the rarer first",
        ),
        pytest.param(
            ["p1", "p2", "v"],
            {"p1": CACHE_EUR, "p2": frozenset({"global:app.CACHE#f00d=beef"})},
            {"p1": CACHE_EUR, "p2": frozenset({"global:app.CACHE#f00d=beef"})},
            [("p1", "p2", "v")],
            id="writers of different keys of one state share an order",
        ),
        pytest.param(
            ["p", "c", "v"],
            {"p": CACHE_EUR, "c": CLEARS | {"global:app.CACHE#f00d=beef"}},
            {"p": CACHE_EUR, "c": frozenset({"global:app.CACHE#f00d=beef"})},
            [("c", "p", "v")],
            id="a writer that also clears runs first among the writers",
        ),
        pytest.param(["a", "b"], {}, {}, [], id="nothing leaves state: no order"),
    ],
)
def test_orders_chosen_from_footprints(
    order: list[str],
    writes: dict[str, frozenset[str]],
    leaves: dict[str, frozenset[str]],
    expected: list[tuple[str, ...]],
) -> None:
    writes = {k: frozenset(v) for k, v in writes.items()}
    leaves = {k: frozenset(v) for k, v in leaves.items()}
    plans = guided(order, writes, leaves)
    assert _ids(plans) == expected
    assert all(p.kind == "guided" and "chosen from footprints" in p.why for p in plans)


def test_a_writer_whose_class_has_a_clearer_leads_the_writers() -> None:
    # TestManager's setUp empties the cache: its first test was seen removing entries, the
    # next one only adds its own key (the cache was empty already). Behind the tax override,
    # it would wipe it: it runs first.
    clears, answer = "m.py::TestManager::test_cleared", "m.py::TestManager::test_answer"
    order = ["p", clears, answer, "v"]
    tax = frozenset({"global:app.CACHE#7a7a=0007"})
    mine = frozenset({"global:app.CACHE#a1a1=0042"})
    writes = {"p": tax, clears: frozenset({"global:app.CACHE#7a7a-"}), answer: mine}
    leaves = {"p": tax, answer: mine}
    plans = guided(order, writes, leaves)
    assert plans[0].ids[:2] == (answer, "p")


def test_a_writer_runs_apart_from_its_class_before_every_test() -> None:
    # crom: TestAutoIdentifiers configures one factory. test_no_ident leaves auto_assign_id
    # False; test_int sets it True (its default: no change any footprint sees) and leaves
    # auto_id_type changed. Writers of different states, they led one order, test_int between
    # test_no_ident and its victim test_collapse_json, cleaning up unseen: the victim passed.
    cls = "tests/test_model.py::TestAutoIdentifiers"
    no_ident, counts = f"{cls}::test_no_ident", f"{cls}::test_int"
    victim = "tests/test_model.py::TestSerialization::test_collapse_json"
    order = [counts, victim, no_ident, "tests/test_other.py::test_reads"]
    leaves = {
        no_ident: frozenset({"global:model.factory.auto_assign_id#=00000000"}),
        counts: frozenset({"global:model.factory.auto_id_type#=00000001"}),
        victim: frozenset({"global:model.factory.auto_id_type#=00000002"}),
    }
    writes = {**leaves, f"{cls}::test_other": frozenset()}
    plans = guided(order, writes, leaves, forking=True)
    afters = [plan for plan in plans if plan.kind == "after"]
    assert (no_ident,) in [plan.prefix for plan in afters]  # apart from test_int
    assert all(not {no_ident, counts} <= set(plan.prefix) for plan in afters)
    alone = next(plan for plan in afters if plan.prefix == (no_ident,))
    assert victim in alone.ids and "auto_assign_id" in alone.why
    # Two writers of one class that no sibling state links share their run, as before.
    apart = {no_ident: leaves[no_ident], "tests/test_x.py::TestY::test_z": leaves[counts]}
    together = guided([*apart, victim], apart, apart, forking=True)
    assert [plan.prefix for plan in together if plan.kind == "after"] == [tuple(apart)]


def test_a_counter_most_tests_move_gets_no_order() -> None:
    # Background threads bump a counter during every test: each leaves a value of its own.
    # The one test that pauses deliveries is the order worth running.
    order = [f"t{i}" for i in range(10)] + ["p", "v"]
    leaves = {t: frozenset({f"global:sdk.stats#a1b2c3d4={i:08}"}) for i, t in enumerate(order)}
    leaves["p"] = leaves["p"] | {"global:sdk._paused._flag#=00000001"}
    plans = guided(order, leaves, leaves)
    assert [p.ids[0] for p in plans] == ["p", "p"]
    assert all("sdk.stats" not in p.why for p in plans)


def test_a_state_few_tests_write_leads_before_values_as_rare_of_a_busy_state() -> None:
    # The background threads' counters move during some tests only (fewer than half: no
    # counter), each to a value of its own; the pause, late in the order, writes a flag that
    # only it sets. Led by a counter's writer, an order could not take the pause (its counters
    # overlap): the flag's writer leads the first order.
    order = [f"t{i}" for i in range(20)] + ["p", "v"]
    leaves = {f"t{i}": frozenset({f"global:sdk.stats#0000beef={i:08}"}) for i in range(8)}
    leaves["p"] = frozenset({"global:sdk.stats#0000beef=00000099", "global:sdk._paused._flag#=01"})
    plans = guided(order, leaves, leaves)
    assert plans[0].ids[0] == "p" and "sdk._paused._flag" in plans[0].why


def test_orders_chosen_from_footprints_are_limited() -> None:
    # Each polluter's state overlaps the next one's: one order each, at most the limit.
    order = [f"p{i}" for i in range(6)] + ["v"]
    leaves = {f"p{i}": frozenset({f"s{i}", f"s{i + 1}"}) for i in range(6)}
    plans = guided(order, leaves, leaves, limit=3)
    assert len(plans) == 3


def test_a_small_suite_gets_an_order_for_each_of_more_values() -> None:
    # Three levels of one logger (quiet, default, verbose), each failing another victim.
    level = "global:logging.getLogger('app').level"
    leaves = {f"w{i}": frozenset({f"{level}#={i:04}"}) for i in range(3)}
    small = [*leaves, "v1", "v2", "v3"]
    assert len(guided(small, leaves, leaves)) == 6  # each value first, both directions
    large = [*small, *(f"t{i}" for i in range(600))]
    assert len(guided(large, leaves, leaves)) == 4  # each order costs a long run


def test_a_large_suite_that_forks_gets_every_test_after_each_set_of_writers() -> None:
    # Five values of one key (five sets of writers), 600 tests besides: no order (each is a
    # long run), each test right after each of the first four values' writers instead.
    level = "global:logging.getLogger('app').level"
    leaves = {f"w{i}": frozenset({f"{level}#={i:04}"}) for i in range(5)}
    large = [*leaves, *(f"t{i}" for i in range(600))]
    afters = guided(large, leaves, leaves, forking=True)
    assert [p.kind for p in afters] == ["after"] * 4
    assert [p.prefix for p in afters] == [("w0",), ("w1",), ("w2",), ("w3",)]
    assert all(len(p.ids) == len(large) - 1 for p in afters)  # every other test, each time


def test_auto_workers_follows_xdists_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "8")
    assert auto_workers() == 8
    assert worker_counts(auto_workers()) == (2, 4, 16)
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "lots")  # xdist ignores it too
    assert auto_workers() >= 1


def _run(kind: str, *records: tuple[str, str, float], probes: tuple[Probe, ...] = ()) -> RunOutcome:
    tests = tuple(
        TestRecord(nodeid, outcome, duration, "main", None, None, None)  # type: ignore[arg-type]
        for nodeid, outcome, duration in records
    )
    return RunOutcome(RunPlan(kind), RunResult(0, 1.0, 1.0, None, (), tests, (), probes=probes))  # type: ignore[arg-type]


def test_the_default_order_sets_timeouts_above_the_floor() -> None:
    learnt = learn(
        Limits(timeout=60.0),
        _run("sequential", ("fast", "passed", 0.1), ("slow", "passed", 9.0)),
        3,
    )
    assert learnt.timeouts == {"slow": 90.0}
    again = learn(learnt, _run("random", ("slow", "passed", 30.0)), 3)
    assert again.timeouts == {"slow": 90.0}  # only the default order measures


def test_a_test_that_passed_then_hung_gets_a_short_timeout_from_its_pass() -> None:
    baseline = learn(Limits(), _run("sequential", ("v", "passed", 0.1), ("s", "passed", 3.0)), 3)
    hung = learn(baseline, _run("random", ("v", "hang", 60.0), ("s", "hang", 60.0)), 3)
    assert hung.timeouts == {"v": 10.0, "s": 30.0}  # 10 x its pass, at least HUNG_AGAIN_S
    assert hung.exclude == {"v", "s"}  # left out of the campaign, but studied by triage
    never = learn(Limits(), _run("sequential", ("h", "hang", 60.0)), 3)
    assert never.timeouts == {}  # never passed: the floor


def test_alone_runs_put_side_by_side_only_tests_seen_passing_without_shared_resources() -> None:
    def with_resources(outcome: RunOutcome, **uses: str) -> RunOutcome:
        tests = tuple(
            replace(r, resources=((uses[r.nodeid], "w"),) if r.nodeid in uses else ())
            for r in outcome.result.tests
        )
        return replace(outcome, result=replace(outcome.result, tests=tests))

    default = _run("sequential", ("a", "passed", 0.1), ("b", "passed", 0.1), ("c", "failed", 0.1))
    default = with_resources(default, b="file:out.json")
    learnt = learn(Limits(), default, 3)
    assert learnt.beside == {"a"}  # b writes a shared file, c failed
    reversed_ = with_resources(_run("reversed", ("a", "passed", 0.1)), a="port:8080")
    assert learn(learnt, reversed_, 3).beside == frozenset()  # a footprint shows one: not now


def test_hung_and_crashed_tests_leave_the_runs_to_come() -> None:
    run = _run("random", ("a", "hang", 60.0), ("b", "crashed", 0.0), ("c", "failed", 0.1))
    assert learn(Limits(), run, 3).exclude == {"a", "b"}
    assert Limits().exclude == frozenset()  # learning returns new limits, never changes them


@pytest.mark.parametrize(
    ("outcomes", "enough"),
    [
        (("failed", "failed"), True),  # the run's own and two reruns: 3 observations
        (("passed",), True),  # mixed: conclusive at once
        (("failed",), False),  # two observations of 3
    ],
)
def test_a_failure_rerun_enough_is_not_rerun_again(outcomes: tuple[str, ...], enough: bool) -> None:
    probes = tuple(Probe("v", i, 0, o, None) for i, o in enumerate(outcomes))  # type: ignore[arg-type]
    run = _run("sequential", ("v", "failed", 0.1), probes=probes)
    assert ("v" in learn(Limits(), run, 3).rerun_enough) is enough


def test_a_crash_in_every_replica_of_a_repeated_order_is_seen_in_each(tmp_path: Path) -> None:
    # Without fork server, repeats are --dist each replicas; the watchdog ends a worker whose
    # test hangs. Each replica must still run and report (xdist's each-scheduler cannot take a
    # replacement worker: it failed with INTERNALERROR, and a later replica reported a pass).
    write_suite(
        tmp_path,
        {
            "test_a.py": "def test_first():\n    pass\n",
            "test_b.py": "import time\ndef test_hang():\n    time.sleep(60)\n",
        },
    )
    log = tmp_path / "audit.log"
    with log.open("w") as output:
        executor = Executor((), tmp_path, clean_env(), output, reruns=3)
        executor.limits = Limits(timeout=1.0)
        try:
            ids = ("test_a.py::test_first", "test_b.py::test_hang")
            outcome = executor(RunPlan("replay", ids=ids, repeats=3), fork=False)
        finally:
            executor.close()
    observed = outcome.observations("test_b.py::test_hang")
    assert len(observed) == 3 and all(o.failed for o in observed), log.read_text()[-2000:]
    assert "INTERNALERROR" not in log.read_text()


def test_a_test_left_out_still_runs_where_it_is_studied(tmp_path: Path) -> None:
    executor = Executor((), tmp_path, {}, io.StringIO(), reruns=3)
    executor.limits = Limits(exclude=frozenset({"v", "c"}))
    try:
        bisect = executor.request(RunPlan("bisect", ids=("c", "p", "v"), targets=("v",)))
        guided = executor.request(RunPlan("guided", ids=("p", "v", "x")))
    finally:
        executor.close()
    assert bisect.ids == ("p", "v") and bisect.exclude == ("c",)
    assert guided.ids == ("p", "x") and guided.exclude == ("c", "v")


def test_cleaners_run_each_right_after_the_writers_when_runs_fork() -> None:
    order = ["p", "c1", "v", "c2"]
    writes = {"p": S, "c1": S, "c2": S}
    leaves = {"p": S}
    plans = guided(order, writes, leaves, forking=True)
    assert [p.kind for p in plans] == ["guided", "after"]
    assert plans[-1].prefix == ("p",) and plans[-1].ids == ("c1", "v", "c2")
    assert plans[-1].describe() == "after, 3 tests, each after 1"
    assert guided(order, writes, leaves) == plans[:1]  # a pytest per run: too dear
