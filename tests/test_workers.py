from __future__ import annotations

import pytest

from auditor.run.workers import History, Past, choose, correction, errors, predict


def history(
    busy: float,
    cpu: float,
    collect: float = 1.0,
    tests: int = 80,
    workers: int = 2,
    spawn: float = 0.4,
) -> History:
    return History(
        tests=tests, busy_s=busy, cpu_s=cpu, collect_s=collect, spawn_s=spawn, workers=workers
    )


def test_auto_and_counts_pass_through() -> None:
    assert choose("auto", None, 2, "reports/run.json").arg == "auto"
    assert choose("3", None, 2, "reports/run.json").arg == "3"


def test_adaptive_without_history_falls_back_to_auto() -> None:
    choice = choose("adaptive", None, 2, "reports/run.json")
    assert choice.arg == "auto"
    assert "no previous run in reports/run.json" in choice.reason


def test_waiting_suite_gets_more_workers_than_cores() -> None:
    # 20 s of tests of which 2 s on the CPU: the CPU is idle most of the time.
    choice = choose("adaptive", history(busy=20.0, cpu=2.0), 2, "reports/run.json")
    assert int(choice.arg) > 2
    assert choice.reason.startswith(f"adaptive: -n {choice.arg}, predicted")
    assert "10% of it on the CPU" in choice.reason


def test_cpu_bound_suite_gets_no_more_workers_than_cores() -> None:
    choice = choose("adaptive", history(busy=20.0, cpu=19.5), 2, "reports/run.json")
    assert choice.arg == "2"


def test_tiny_suite_runs_without_workers() -> None:
    # 0.2 s of tests cannot pay for starting a worker.
    choice = choose("adaptive", history(busy=0.2, cpu=0.2), 2, "r.json")
    assert choice.arg == "0"


def test_never_more_workers_than_tests() -> None:
    choice = choose("adaptive", history(busy=30.0, cpu=0.1, tests=3), 2, "r.json")
    assert int(choice.arg) <= 3


@pytest.mark.parametrize("workers", [2, 8])
def test_prediction_undoes_the_stretch_of_an_oversubscribed_measure(workers: int) -> None:
    # The same CPU-bound suite, measured at -n 2 and at -n 8 on 2 cores: at -n 8 each test
    # waited for a CPU, so busy time and start-up were stretched 4 times.
    stretch = max(1, workers // 2)
    measured = history(busy=10.0 * stretch, cpu=10.0, collect=1.0 * stretch, workers=workers)
    assert predict(2, measured, 2) == pytest.approx(2 * 0.4 + 1.0 + 5.0)


def test_seed_shaped_suite() -> None:
    # Close to the 81-file suite of the issue (sequential 19.4 s, -n 2 12.7 s, -n 4 10.4 s,
    # -n 8 18.0 s on 2 cores): adaptive must land between the cores and 4 × cores.
    measured = history(busy=16.5, cpu=5.0, collect=2.5, spawn=0.5, workers=2)
    assert 2 < int(choose("adaptive", measured, 2, "r.json").arg) < 8


def test_history_from_a_run_profile() -> None:
    profile = {
        "per_worker": [
            {"worker": "gw0", "busy_s": 4.0, "cpu_s": 1.0, "collect_s": 1.0, "startup_s": 1.5},
            {"worker": "gw1", "busy_s": 5.0, "cpu_s": 1.0, "collect_s": 1.2, "startup_s": 2.0},
        ]
    }
    measured = History.from_profile(profile, tests=10)
    assert measured == History(
        tests=10, busy_s=9.0, cpu_s=2.0, collect_s=1.2, spawn_s=0.4, workers=2
    )
    assert History.from_profile({"per_worker": []}, tests=10) is None


def test_the_default_is_adaptive_with_history_and_auto_without() -> None:
    tiny = choose("default", history(busy=0.2, cpu=0.2), 2, "r.json")
    assert tiny.arg == "0" and tiny.reason.startswith("default, adaptive: -n 0, predicted")
    waiting = choose("default", history(busy=20.0, cpu=2.0), 2, "r.json")
    assert int(waiting.arg) > 2
    first = choose("default", None, 2, "reports/run.json")
    assert first.arg == "auto"
    assert first.reason == "default: no previous run in reports/run.json, so -n auto (2)"


def test_the_model_learns_its_error_at_each_count_from_the_recorded_runs() -> None:
    # Raw, the model sends this suite to 2 workers (predicted 3.2 s against 4.5 s alone)...
    newest = history(busy=4.0, cpu=3.9, collect=0.5, spawn=0.1, workers=0)
    assert choose("default", newest, 2, "h").arg == "2"
    # ...but the recorded runs say -n 2 took 3 s more than predicted, and one process what it
    # predicted: the default learns to stay in one process.
    at_two = history(busy=4.2, cpu=3.9, collect=0.5, spawn=0.1, workers=2)
    past = [
        Past(newest, predict(0, newest, 2)),
        Past(at_two, predict(2, at_two, 2) + 2.8),
        Past(at_two, predict(2, at_two, 2) + 3.2),
    ]
    assert errors(past, 2) == {0: pytest.approx(0.0), 2: pytest.approx(3.0)}
    learnt = choose("default", newest, 2, "h", past)
    assert learnt.arg == "0"
    assert learnt.reason.startswith("default, adaptive: -n 0, predicted 4.5 s")
    assert "from the newest of 3 recorded runs in h" in learnt.reason
    assert learnt.reason.endswith("(-n 0 +0.00 s, -n 2 +3.00 s)")


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, 0.1), (2, 0.5), (3, 0.5), (6, 0.9), (8, 0.9), (1, 0.5)],
)
def test_a_count_never_run_borrows_the_nearest_counts_error(count: int, expected: float) -> None:
    assert correction(count, {0: 0.1, 2: 0.5, 6: 0.9}) == expected


def test_start_up_learnt_on_one_side_of_0_workers_is_borrowed_by_the_other() -> None:
    # Only distributed runs recorded: one process pays pytest's start-up too, so it is not
    # favoured for being the only count left uncorrected.
    assert correction(0, {2: 0.6, 4: 0.9}) == 0.6
    assert correction(4, {0: 0.3}) == 0.3
    assert correction(4, {}) == 0.0


def test_no_count_is_predicted_below_the_longest_test() -> None:
    long_tail = History(
        tests=40, busy_s=20.0, cpu_s=1.0, collect_s=0.5, spawn_s=0.1, workers=2, longest_s=9.0
    )
    assert predict(8, long_tail, 2) == pytest.approx(0.1 * 8 + 0.5 * 4 + 9.0)


def test_auditor_picks_the_distribution_only_when_it_picks_the_count() -> None:
    assert choose("default", None, 2, "r").dist == "worksteal"
    assert choose("adaptive", history(busy=20.0, cpu=2.0), 2, "r").dist == "worksteal"
    assert choose("auto", None, 2, "r").dist is None
    assert choose("3", None, 2, "r").dist is None
