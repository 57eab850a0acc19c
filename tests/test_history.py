"""The history database, flake rates and scan comparisons: real SQLite files, no pytest runs
(``test_scan.py`` records real ones)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from auditor.history import store
from auditor.history.compare import compare
from auditor.history.rates import clean_streak, flake_rates, wilson


def session(
    kind: store.SessionKind,
    when: float,
    outcomes: dict[str, str],
    findings: tuple[dict[str, object], ...] = (),
    partial: bool = False,
) -> store.Session:
    results = tuple(
        store.Result(test, outcome, 0.1, f"gw{i % 2}", when + i * 0.1, when + i * 0.1 + 0.25)
        for i, (test, outcome) in enumerate(outcomes.items())
    )
    run = store.Run("run" if kind == "run" else "random, seed 1", when, 2, None, results)
    return store.Session(kind, when, "abc123", 0, (run,), findings, partial)


def test_a_session_is_read_back_and_the_folder_is_git_ignored(tmp_path: Path) -> None:
    path = store.default_path(tmp_path)
    recorded = session("run", 1000.0, {"t::a": "passed", "t::b": "failed", "t::c": "skipped"})
    with store.opened(path) as history:
        assert history.record(recorded)
        assert not history.record(recorded)  # the same session twice: kept once
    assert (tmp_path / ".auditor" / ".gitignore").read_text().splitlines()[-1] == "*"
    with store.opened(path) as history:
        (again,) = history.sessions()
        assert (again.uid, again.kind, again.commit) == (recorded.uid, "run", "abc123")
        assert history.runs_of(recorded.uid) == list(recorded.runs)
        # a: gw0 1000.0-1000.25; b: gw1 1000.1-1000.35; c: gw0 1000.2-1000.45
        assert history.overlapping(recorded.uid, "t::b") == ["t::a", "t::c"]
        assert history.overlapping(recorded.uid, "t::a") == ["t::b"]
        assert history.outcomes() == {"t::a": [(1000.0, False)], "t::b": [(1000.0, True)]}
        assert history.run_count() == 1


def _write_many(path: str, writer: int) -> None:
    with store.opened(Path(path)) as history:
        for index in range(20):
            outcomes = {f"t::w{writer}_{n}": "passed" for n in range(50)}
            history.record(session("run", 1000.0 + index, outcomes))


def test_two_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = store.default_path(tmp_path)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(path), w)) for w in (1, 2)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
    assert [p.exitcode for p in writers] == [0, 0]
    with store.opened(path) as history:
        assert len(history.sessions()) == 40
        outcomes = history.outcomes()
        assert len(outcomes) == 100 and all(len(seen) == 20 for seen in outcomes.values())
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_writers_opening_a_new_history_at_once_all_get_it(tmp_path: Path) -> None:
    # Two connections that both read a new database before switching it to WAL are told
    # "locked" at once (SQLite will not let them wait for each other): before the switch was
    # retried, 1 to 4 in 100 such starts of six writers failed.
    failed: list[BaseException] = []

    def open_it(path: Path, start: threading.Barrier) -> None:
        start.wait()
        try:
            with store.opened(path) as history:
                history.record(session("run", 1.0, {"t::a": "passed"}))
        except BaseException as exc:  # counted, then shown by the assert
            failed.append(exc)

    for attempt in range(300):
        path = store.default_path(tmp_path / str(attempt))
        start = threading.Barrier(6)
        threads = [threading.Thread(target=open_it, args=(path, start)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failed == []


def test_a_corrupt_history_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    path = store.default_path(tmp_path)
    path.parent.mkdir()
    path.write_bytes(b"this is not a database, but it is the user's" * 100)
    said: list[str] = []
    with store.opened(path, say=said.append) as history:
        history.record(session("run", 1.0, {"t::a": "passed"}))
    (aside,) = path.parent.glob("history.sqlite.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not a database")
    assert "moved to history.sqlite.corrupt-" in said[0]


def test_a_history_from_a_newer_auditor_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = store.default_path(tmp_path)
    with store.opened(path) as history:
        history.record(session("run", 1.0, {"t::a": "passed"}))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    newer = r"newer auditor \(history schema 99"
    with pytest.raises(store.HistoryError, match=newer), store.opened(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM sessions").fetchone() == (1,)


def test_export_and_import_carry_sessions_once(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "h.sqlite", tmp_path / "b" / "h.sqlite"
    exported = tmp_path / "history.jsonl"
    finding = {"kind": "order-dependent", "test": "t::v", "polluters": ["t::p"]}
    with store.opened(first) as history:
        history.record(session("run", 1.0, {"t::a": "passed"}))
        history.record(session("scan", 2.0, {"t::v": "failed"}, (finding,)))
        assert store.export_lines(history, exported) == 2
    with store.opened(second) as history:
        assert store.import_lines(history, exported) == (2, 0)
        assert store.import_lines(history, exported) == (0, 2)
        assert [s.findings for s in history.sessions()] == [(), (finding,)]
    exported.write_text('{"schema": "something else"}\n')
    with store.opened(second) as history, pytest.raises(store.HistoryError, match=":1: not a"):
        store.import_lines(history, exported)


def timed(when: float, workers: int, wall: float, selection: str = "tests", cores: int = 2):  # type: ignore[no-untyped-def]
    timing = store.Timing(selection, cores, 1, wall, 1.0, 0.5, 0.3, 0.1, 0.2)
    run = store.Run("run", when, workers, None, (store.Result("t::a", "passed", 0.1),), timing)
    return store.Session("run", when, "abc", 0, (run,))


def test_timings_are_read_newest_first_per_selection_and_cores_and_exported(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a" / "h.sqlite", tmp_path / "b" / "h.sqlite"
    exported = tmp_path / "history.jsonl"
    with store.opened(first) as history:
        for when, workers, wall in [(1.0, 2, 3.0), (3.0, 0, 2.0), (2.0, 4, 5.0)]:
            history.record(timed(when, workers, wall))
        history.record(timed(4.0, 2, 9.0, selection="other"))
        history.record(timed(5.0, 2, 9.0, cores=8))
        history.record(session("run", 6.0, {"t::a": "passed"}))  # an untimed run: left out
        newest = history.timings("tests", 2, last=2)
        assert [(n, t.wall_s) for n, t in newest] == [(0, 2.0), (4, 5.0)]
        store.export_lines(history, exported)
    with store.opened(second) as history:
        store.import_lines(history, exported)
        assert history.timings("tests", 2, last=10) == [
            (n, timed(0.0, n, wall).runs[0].timing) for n, wall in [(0, 2.0), (4, 5.0), (2, 3.0)]
        ]


def test_runs_where_most_tests_failed_are_an_outage_and_not_counted(tmp_path: Path) -> None:
    with store.opened(tmp_path / "h.sqlite") as history:
        history.record(session("run", 1.0, {"t::a": "passed", "t::b": "failed", "t::c": "passed"}))
        history.record(session("run", 2.0, {"t::a": "error", "t::b": "failed", "t::c": "error"}))
        outcomes = history.outcomes()
    assert outcomes == {"t::a": [(1.0, False)], "t::b": [(1.0, True)], "t::c": [(1.0, False)]}


@pytest.mark.parametrize(
    ("failures", "runs", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (1, 2, 0.0945, 0.9055),
        (50, 100, 0.4038, 0.5962),
        (10, 10, 0.7225, 1.0),
        (1, 50, 0.0035, 0.1050),
    ],
)
def test_wilson_intervals(failures: int, runs: int, low: float, high: float) -> None:
    assert wilson(failures, runs) == pytest.approx((low, high), abs=1e-4)


def test_flake_rates_rest_on_the_last_runs_and_broken_is_not_flaky() -> None:
    seen = {
        "t::flaky": [(float(i), i % 4 == 0) for i in range(40)],
        "t::broken": [(float(i), True) for i in range(5)],
        "t::clean": [(float(i), False) for i in range(40)],
        "t::fixed": [(0.0, True), *((float(i), False) for i in range(1, 30))],
    }
    rates = {r.test: r for r in flake_rates(seen, last=20)}
    assert set(rates) == {"t::flaky", "t::broken"}  # t::fixed's failure is older than 20 runs
    assert (rates["t::flaky"].failures, rates["t::flaky"].runs) == (5, 20)
    assert rates["t::flaky"].low < 0.25 < rates["t::flaky"].high
    assert rates["t::broken"].broken and not rates["t::flaky"].broken
    assert clean_streak(seen["t::fixed"]) == 29 and clean_streak(seen["t::broken"]) == 0


def test_scan_changes_against_the_last_scan() -> None:
    victim = {"kind": "order-dependent", "test": "t::v", "polluters": ["t::p"]}
    pair = {"kind": "shared-resource", "test": "t::a", "tests": ["t::a", "t::b"]}
    same_pair = {**pair, "test": "t::b", "tests": ["t::b", "t::a"]}
    flaky = {"kind": "non-deterministic", "test": "t::f"}
    earlier = [
        store.Session("audit", 10.0, None, 1, findings=(victim,)),
        store.Session("scan", 20.0, None, 1, findings=(victim, pair)),
    ]
    changes = compare([same_pair, flaky], 30.0, False, earlier)
    assert [(c.status, c.finding["test"], c.first_seen, c.last_seen) for c in changes] == [
        ("new", "t::f", 30.0, 30.0),
        ("persisting", "t::b", 20.0, 30.0),  # either test of the pair may fail first
        ("resolved", "t::v", 10.0, 20.0),
    ]
    # A scan cut short by its budget cannot say the victim is gone.
    cut = compare([same_pair], 30.0, True, earlier)
    assert [c.status for c in cut] == ["persisting", "unconfirmed"]
