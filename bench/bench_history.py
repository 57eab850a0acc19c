"""Benchmark the history: what recording one ``auditor run`` costs, per thousand tests.

What it measures
    ``auditor run`` appends its session to ``.auditor/history.sqlite`` after pytest ends: open
    the database, one transaction, one row per test. This script records runs of 1,000, 10,000
    and 50,000 tests (real-shaped node ids, outcomes, workers, start and stop times), into a new
    database and into one that already holds ``--sessions`` earlier runs (default 200: months of
    nightly CI of a 2,000-test suite), ``--repeats`` times each (default 5), and prints the
    median milliseconds per thousand tests of the whole step (open, record, close). It also times
    reading the quarantine's recorded outcomes (20 quarantined tests) from the full database, the
    other thing ``auditor run`` does with the history. The goal is a few milliseconds per
    thousand tests.

    With ``--suite DIR`` it also runs a real-shaped suite once (``-n 2``, auditor's plugin
    recording, as ``auditor run`` does), and times recording that very run, its real node ids,
    workers and timings, into a new history and into the full one: e.g. the corpus's large
    suite, which ``bench_corpus.py --only large`` generates into bench/out/corpus-large.

How to run (from the repository root, with the project venv)
    .venv/bin/python bench/bench_history.py [--repeats 5] [--sessions 200] [--suite DIR]

    Standard library only; under a minute (plus one run of the suite). The databases live in a
    temporary folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.history import store
from auditor.runner import PytestCall, child_env, run_pytest

SIZES = (1_000, 10_000, 50_000)


def session(tests: int, when: float) -> store.Session:
    results = tuple(
        store.Result(
            f"tests/unit/test_module_{i // 40:03d}.py::TestThing::test_case_{i % 40}[param-{i}]",
            "failed" if i % 997 == 0 else "passed",
            0.012,
            f"gw{i % 4}",
            when + i * 0.003,
            when + i * 0.003 + 0.012,
        )
        for i in range(tests)
    )
    run = store.Run("run", when, 4, None, results)
    return store.Session("run", when, "0123456789abcdef0123456789abcdef01234567", 0, (run,))


def record_ms(path: Path, tests: int | store.Session) -> float:
    # Built before the clock starts: run.py has it.
    recorded = session(tests, time.time()) if isinstance(tests, int) else tests
    recorded = store.Session(recorded.kind, recorded.time, recorded.commit, 0, recorded.runs)
    started = time.perf_counter()
    with store.opened(path) as history:
        history.record(recorded)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--suite", type=Path, help="a suite to run once and record for real")
    options = parser.parse_args()
    real = None
    if options.suite:
        with open(Path(tempfile.gettempdir()) / "bench-history-suite.log", "w") as log:
            result = run_pytest(
                PytestCall(args=(), workers=2), cwd=options.suite, env=child_env(), output=log
            )
        real = store.Session("run", time.time(), None, 0, (store.run_of(result, "run", 2, None),))
        print(f"{options.suite}: {len(result.tests)} tests ran in {result.wall_s:.0f} s")
    with tempfile.TemporaryDirectory(prefix="bench-history-") as scratch:
        full = Path(scratch) / "full.sqlite"
        with store.opened(full) as history:
            for index in range(options.sessions):
                history.record(session(2_000, 1_000_000.0 + index * 86_400))
        print(
            f"a history of {options.sessions} runs of 2,000 tests: "
            f"{full.stat().st_size / 2**20:.1f} MiB"
        )
        for tests in SIZES:
            fresh = [
                record_ms(Path(scratch) / f"new-{tests}-{n}.sqlite", tests)
                for n in range(options.repeats)
            ]
            grown = [record_ms(full, tests) for _ in range(options.repeats)]
            per = 1000 / tests
            print(
                f"record a run of {tests:>6,} tests: new database "
                f"{statistics.median(fresh) * per:6.2f} ms per 1,000 tests, existing history "
                f"{statistics.median(grown) * per:6.2f} ms per 1,000 tests"
            )
        if real is not None:
            tests = len(real.runs[0].results)
            fresh = [
                record_ms(Path(scratch) / f"real-{n}.sqlite", real) for n in range(options.repeats)
            ]
            grown = [record_ms(full, real) for _ in range(options.repeats)]
            per = 1000 / tests
            print(
                f"record that real run of {tests:,} tests: new database "
                f"{statistics.median(fresh) * per:6.2f} ms per 1,000 tests, existing history "
                f"{statistics.median(grown) * per:6.2f} ms per 1,000 tests"
            )
        quarantined = [
            session(1, 0).runs[0].results[0].nodeid.replace("[param-0]", f"[param-{i}]")
            for i in range(0, 800, 40)
        ]
        timings = []
        for _ in range(options.repeats):
            started = time.perf_counter()
            with store.opened(full) as history:
                history.outcomes(tests=quarantined)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"read 20 quarantined tests' outcomes: {statistics.median(timings):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
