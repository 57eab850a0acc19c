"""Prove every corpus suite's ``expected.json`` with plain pytest runs, independently of auditor.

Each suite under ``bench/corpus/<shape>/`` is a small standalone project (a library package,
``tests/``, ``pytest.ini``) and an ``expected.json`` listing every isolation defect in it. This
script checks each listed defect with ``python -m pytest -p no:randomly -p no:cacheprovider -q
<ids>`` subprocesses run in the suite's folder (with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``; only
pytest, and xdist where a check needs it, are loaded):

- the whole suite in default order passes (its ``non-deterministic`` tests deselected: they fail
  now and then in any order);
- ``order-dependent``: the victim passes alone and fails (or hangs past the timeout) right after
  each listed polluter;
- ``brittle``: the test fails alone and passes right after a state-setter (up to 5 of them, spread
  over the list; ``--exhaustive`` tries every one);
- ``shared-resource``: the tests pass one after the other in both orders, and fail at least once
  in 5 ``-p xdist -n 2`` runs of just those tests;
- ``non-deterministic``: the test, run alone again and again (at most 40 times), both passes and
  fails.

``--exhaustive`` also proves the lists complete: every test passes alone (but brittle and
non-deterministic ones), every victim fails after exactly its listed polluters among all the
suite's tests, every brittle test passes after exactly its listed state-setters, and in the
reversed order and 5 shuffled ones no test fails that ``expected.json`` does not name.

Outcomes are read from a ten-line recorder plugin (``-p _corpus_recorder``, written to a temporary
directory), never from pytest's terminal output. Every run happens in a copy of the suite in a
temporary directory, put back to the original file list after each run, so the suite folders are
left as they were.

How to run (from the repository root, with the project venv)
    .venv/bin/python bench/corpus/check.py [--exhaustive] [--jobs N] [SHAPE ...]

It prints one line per check and a final ``N passed, M failed`` line, and exits 1 if any check
failed. Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import itertools
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent
#: A run that takes longer than this is killed and counts as hung (a failure of its last test).
TIMEOUT = 10.0
XDIST_TRIES = 5
NOD_TRIES = 40
SETTER_SAMPLE = 5
SHUFFLE_SEEDS = (1, 2, 3, 4, 5)
#: Checks particular to a shape, beyond what its expected.json lists (SuiteChecker methods).
EXTRA_CHECKS = {
    # Cleaners sit between the polluter and the victim in both orders: neither exposes it.
    "cleaner_sandwich": ("reversed_order",),
    # The directory is removed only by a module teardown: a run killed before it leaves it.
    "checkout_dir": ("cut_short",),
}

RECORDER = """\
import json
import os


def _write(entry):
    with open(os.environ["CORPUS_CHECK_RECORD"], "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\\n")


def pytest_collection_finish(session):
    if os.environ.get("CORPUS_CHECK_COLLECT"):
        _write({"collected": [item.nodeid for item in session.items]})


def pytest_runtest_logreport(report):
    if report.when == "call" or report.failed or report.skipped:
        _write({"test": report.nodeid, "outcome": report.outcome})
"""


@dataclass(frozen=True)
class Run:
    """What one pytest run did: each test's outcome, and whether it finished in time."""

    outcomes: dict[str, str]  #: node id → "passed" / "failed" / "skipped"
    timed_out: bool
    seconds: float  #: the whole run, interpreter start-up included
    collected: tuple[str, ...] = ()

    def failed(self, test: str) -> bool:
        """The test failed, or the run hung before the test reported."""
        outcome = self.outcomes.get(test)
        return outcome == "failed" or (outcome is None and self.timed_out)

    def passed(self, test: str) -> bool:
        return self.outcomes.get(test) == "passed"

    def describe(self, test: str) -> str:
        outcome = self.outcomes.get(test)
        if outcome is None:
            return f"hung (killed after {TIMEOUT:g}s)" if self.timed_out else "did not run"
        return outcome


@dataclass(frozen=True)
class Check:
    suite: str
    ok: bool
    text: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'} {self.suite}: {self.text}"


class Lab:
    """Runs pytest in copies of one suite; a pool of copies lets runs go on side by side."""

    def __init__(
        self, suite: Path, scratch: Path, copies: int, plugin_dir: Path, serial: bool
    ) -> None:
        self.suite = suite
        # Copies keep files apart, not TCP ports: a suite with a fixed port runs one run at a time.
        self.serial = threading.Lock() if serial else contextlib.nullcontext()
        self.plugin_dir = plugin_dir
        self.files = _listing(suite)
        self.copies: queue.Queue[Path] = queue.Queue()
        for n in range(copies):
            copy = scratch / suite.name / str(n)
            shutil.copytree(suite, copy, ignore=shutil.ignore_patterns("__pycache__", ".*cache"))
            self.copies.put(copy)
        self.counter = itertools.count()

    def run(self, ids: Sequence[str], *, xdist: bool = False, collect: bool = False) -> Run:
        """``python -m pytest -p no:randomly -p no:cacheprovider -q [-p xdist -n 2] <ids>``
        in a copy of the suite, put back as it was afterwards."""
        with self.serial, self._copy() as copy:
            return self._pytest(copy, ids, xdist=xdist, collect=collect)

    def cut_short(self, first: str, then: str, leftover: str) -> tuple[bool, Run]:
        """Kill a run of ``first`` once it created ``leftover``, then run ``then`` in the same
        copy: whether the leftover was there, and the second run."""
        with self.serial, self._copy() as copy:
            argv, env = self._command(copy, [first], record=copy.parent / "cut-short.jsonl")
            process = subprocess.Popen(
                argv, cwd=copy, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + TIMEOUT
            while not (copy / leftover).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            process.kill()
            process.wait()
            left = (copy / leftover).exists()
            return left, self._pytest(copy, [then])

    @contextlib.contextmanager
    def _copy(self) -> Iterator[Path]:
        copy = self.copies.get()
        try:
            yield copy
        finally:
            _restore(copy, self.suite, self.files)
            self.copies.put(copy)

    def _command(
        self,
        copy: Path,
        ids: Sequence[str],
        *,
        record: Path,
        xdist: bool = False,
        collect: bool = False,
    ) -> tuple[list[str], dict[str, str]]:
        basetemp = record.with_suffix(".tmp")
        argv = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider"]
        argv += ["-q", "-p", "_corpus_recorder", f"--basetemp={basetemp}"]
        argv += ["-p", "xdist", "-n", "2"] if xdist else []
        argv += ["--collect-only"] if collect else []
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(
            PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=str(self.plugin_dir),
            CORPUS_CHECK_RECORD=str(record),
            CORPUS_CHECK_COLLECT="1" if collect else "",
        )
        return [*argv, *ids], env

    def _pytest(
        self, copy: Path, ids: Sequence[str], *, xdist: bool = False, collect: bool = False
    ) -> Run:
        record = copy.parent / f"record-{next(self.counter)}.jsonl"
        argv, env = self._command(copy, ids, record=record, xdist=xdist, collect=collect)
        started = time.monotonic()
        timed_out = False
        try:
            subprocess.run(argv, cwd=copy, env=env, capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            timed_out = True
        run = _read_record(record, timed_out, time.monotonic() - started)
        record.unlink(missing_ok=True)
        shutil.rmtree(record.with_suffix(".tmp"), ignore_errors=True)
        return run


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    """Relative path → (size, mtime) of every file, caches aside."""
    files = {}
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            files[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return files


def _restore(copy: Path, source: Path, files: dict[str, tuple[int, int]]) -> None:
    """Put the copy back to the source's files: what a run created goes, what it changed or
    removed comes back."""
    dirs = {str(Path(f).parent) for f in files}
    dirs |= {str(parent) for f in files for parent in Path(f).parents}
    for path in sorted(copy.rglob("*"), reverse=True):
        relative = str(path.relative_to(copy))
        if path.is_dir() and not path.is_symlink():
            if relative not in dirs:
                shutil.rmtree(path, ignore_errors=True)
        elif relative not in files:
            path.unlink(missing_ok=True)
    for relative, (size, mtime) in files.items():
        target = copy / relative
        stat = target.stat() if target.exists() else None
        if stat is None or (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, target)


def _read_record(record: Path, timed_out: bool, seconds: float) -> Run:
    outcomes: dict[str, str] = {}
    collected: tuple[str, ...] = ()
    lines = record.read_text(encoding="utf-8").splitlines() if record.exists() else []
    for line in lines:
        entry = json.loads(line)
        if "collected" in entry:
            collected = tuple(entry["collected"])
        elif outcomes.get(entry["test"]) != "failed":  # a failed teardown stays failed
            outcomes[entry["test"]] = entry["outcome"]
    return Run(outcomes, timed_out, seconds, collected)


def _spread(items: Sequence[str], count: int) -> list[str]:
    """Up to ``count`` items, first and last included, evenly spread."""
    if len(items) <= count:
        return list(items)
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


class Pending:
    """A check waiting for its runs: ``finish`` turns their results into the check."""

    def __init__(self, futures: list[Future[Any]], finish: Callable[[list[Any]], Check]) -> None:
        self.futures = futures
        self.finish = finish

    def result(self) -> Check:
        return self.finish([future.result() for future in self.futures])


class SuiteChecker:
    """The checks of one suite, from its ``expected.json``; each run goes to the pool."""

    def __init__(self, lab: Lab, expected: dict[str, Any], pool: Executor) -> None:
        self.lab = lab
        self.name = lab.suite.name
        self.findings: list[dict[str, Any]] = expected["findings"]
        self.pool = pool

    def _of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["kind"] == kind]

    def _check(self, ok: bool, text: str) -> Check:
        return Check(self.name, ok, text)

    def _runs(self, orders: list[list[str]], finish: Callable[[list[Run]], Check]) -> Pending:
        return Pending([self.pool.submit(self.lab.run, order) for order in orders], finish)

    def _task(self, function: Callable[..., Check], *args: Any) -> Pending:
        return Pending([self.pool.submit(function, *args)], lambda results: results[0])

    def checks(self, exhaustive: bool) -> list[Pending]:
        collected = list(self.lab.run([], collect=True).collected)
        pending = [self.default_order(collected)]
        for finding in self._of("order-dependent"):
            pending.append(self.victim_alone(finding["test"]))
            pending += [self.victim_after(finding["test"], p) for p in finding["polluters"]]
        for finding in self._of("brittle"):
            pending.append(self.brittle_alone(finding["test"]))
            setters = finding["state_setters"]
            for setter in setters if exhaustive else _spread(setters, SETTER_SAMPLE):
                pending.append(self.brittle_after(finding["test"], setter))
        for finding in self._of("shared-resource"):
            pending.append(self.sequential(finding["tests"]))
            pending.append(self._task(self.parallel, finding["tests"]))
        for finding in self._of("non-deterministic"):
            pending.append(self._task(self.nondeterministic, finding["test"]))
        for extra in EXTRA_CHECKS.get(self.name, ()):
            pending.append(getattr(self, extra)(collected))
        if exhaustive:
            pending += self.completeness(collected)
        return pending

    def default_order(self, collected: list[str]) -> Pending:
        flaky = {f["test"] for f in self._of("non-deterministic")}
        tests = [t for t in collected if t not in flaky]

        def finish(runs: list[Run]) -> Check:
            (run,) = runs
            failed = sorted(t for t in tests if not run.passed(t))
            deselected = f", {len(flaky)} non-deterministic deselected" if flaky else ""
            text = f"default order: all {len(tests)} tests pass{deselected} ({run.seconds:.1f}s)"
            if failed:
                text = f"default order: {len(failed)} of {len(tests)} did not pass: {failed[:5]}"
            return self._check(not failed and not run.timed_out, text)

        return Pending([self.pool.submit(self.lab.run, tests)], finish)

    def victim_alone(self, victim: str) -> Pending:
        def finish(runs: list[Run]) -> Check:
            return self._check(
                runs[0].passed(victim), f"{victim} alone: {runs[0].describe(victim)}"
            )

        return self._runs([[victim]], finish)

    def victim_after(self, victim: str, polluter: str) -> Pending:
        def finish(runs: list[Run]) -> Check:
            text = f"{victim} after {polluter}: {runs[0].describe(victim)}"
            return self._check(runs[0].failed(victim), text)

        return self._runs([[polluter, victim]], finish)

    def brittle_alone(self, test: str) -> Pending:
        def finish(runs: list[Run]) -> Check:
            return self._check(runs[0].failed(test), f"{test} alone: {runs[0].describe(test)}")

        return self._runs([[test]], finish)

    def brittle_after(self, test: str, setter: str) -> Pending:
        def finish(runs: list[Run]) -> Check:
            return self._check(
                runs[0].passed(test), f"{test} after {setter}: {runs[0].describe(test)}"
            )

        return self._runs([[setter, test]], finish)

    def sequential(self, tests: list[str]) -> Pending:
        def finish(runs: list[Run]) -> Check:
            bad = [f"{t}: {run.describe(t)}" for run in runs for t in tests if not run.passed(t)]
            return self._check(not bad, f"{' + '.join(tests)} one after the other: {bad or 'pass'}")

        return self._runs([tests, tests[::-1]], finish)

    def parallel(self, tests: list[str]) -> Check:
        for attempt in range(1, XDIST_TRIES + 1):
            run = self.lab.run(tests, xdist=True)
            failed = [t for t in tests if run.failed(t)]
            if failed:
                text = f"{' + '.join(tests)} under -n 2: {failed} failed (attempt {attempt})"
                return self._check(True, text)
        return self._check(False, f"{' + '.join(tests)} under -n 2: passed {XDIST_TRIES} times")

    def nondeterministic(self, test: str) -> Check:
        seen: dict[str, int] = {}
        for attempt in range(1, NOD_TRIES + 1):
            outcome = self.lab.run([test]).describe(test)
            seen[outcome] = seen.get(outcome, 0) + 1
            if "passed" in seen and "failed" in seen:
                return self._check(True, f"{test} alone, {attempt} runs: {seen}")
        return self._check(False, f"{test} alone, {NOD_TRIES} runs: {seen}")

    # EXTRA_CHECKS ----------------------------------------------------------------------------

    def reversed_order(self, collected: list[str]) -> Pending:
        def finish(runs: list[Run]) -> Check:
            failed = sorted(t for t in collected if not runs[0].passed(t))
            return self._check(not failed, f"reversed order: {failed or 'all pass'}")

        return self._runs([collected[::-1]], finish)

    def cut_short(self, collected: list[str]) -> Pending:
        finding = self._of("shared-resource")[0]
        first, then = finding["tests"]
        leftover = finding["resources"][0].removeprefix("file:")

        def check() -> Check:
            left, run = self.lab.cut_short(first, then, leftover)
            text = f"{then} after a run of {first} killed before its module teardown: "
            text += f"{leftover} {'left behind' if left else 'not left'}, {run.describe(then)}"
            return self._check(left and run.failed(then), text)

        return self._task(check)

    # --exhaustive: the lists are complete -------------------------------------------------

    def completeness(self, collected: list[str]) -> list[Pending]:
        pending = [self.all_alone(collected), self.other_orders(collected)]
        for finding in self._of("order-dependent"):
            pending.append(self.predecessors(finding["test"], finding["polluters"], collected))
        for finding in self._of("brittle"):
            pending.append(self.predecessors(finding["test"], finding["state_setters"], collected))
        return pending

    def all_alone(self, collected: list[str]) -> Pending:
        exempt = {f["test"] for f in self._of("brittle") + self._of("non-deterministic")}
        tests = [t for t in collected if t not in exempt]

        def finish(runs: list[Run]) -> Check:
            bad = [
                f"{t}: {r.describe(t)}" for t, r in zip(tests, runs, strict=True) if not r.passed(t)
            ]
            text = f"each of the other {len(tests)} tests passes alone: {bad or 'yes'}"
            return self._check(not bad, text)

        return self._runs([[t] for t in tests], finish)

    def other_orders(self, collected: list[str]) -> Pending:
        """The reversed order and a few shuffled ones: only listed tests may fail."""
        listed = {f["test"] for f in self.findings if "test" in f}
        listed |= {t for f in self._of("shared-resource") for t in f["tests"]}
        orders = [collected[::-1]]
        for seed in SHUFFLE_SEEDS:
            order = list(collected)
            random.Random(seed).shuffle(order)
            orders.append(order)

        def finish(runs: list[Run]) -> Check:
            bad = {t for r in runs for t, o in r.outcomes.items() if o == "failed"} - listed
            hung = sum(r.timed_out for r in runs)
            text = f"reversed and {len(SHUFFLE_SEEDS)} shuffled orders: no unlisted test fails"
            text += f" ({hung} of {len(runs)} runs hung)" if hung else ""
            if bad:
                text = f"reversed and shuffled orders: unlisted tests failed: {sorted(bad)}"
            return self._check(not bad, text)

        return self._runs(orders, finish)

    def predecessors(self, test: str, listed: list[str], collected: list[str]) -> Pending:
        """Every other test right before ``test``: those that flip its outcome (a victim's to
        failed, a brittle test's to passed) must be exactly ``listed``."""
        others = [t for t in collected if t != test]
        brittle = test in {f["test"] for f in self._of("brittle")}
        role = "state-setters" if brittle else "polluters"

        def finish(runs: list[Run]) -> Check:
            flips = [
                b
                for b, r in zip(others, runs, strict=True)
                if (r.passed(test) if brittle else r.failed(test))
            ]
            missing, extra = sorted(set(listed) - set(flips)), sorted(set(flips) - set(listed))
            text = f"{test}: exactly its {len(flips)} listed {role} among {len(others)} tests"
            if missing or extra:
                text = f"{test}: {role} not as listed: missing {missing}, not listed {extra}"
            return self._check(not missing and not extra, text)

        return self._runs([[b, test] for b in others], finish)


def _suites(names: Sequence[str]) -> list[Path]:
    available = sorted(p.parent for p in CORPUS.glob("*/expected.json"))
    if not names:
        return available
    by_name = {p.name: p for p in available}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"ERROR: no suite named {', '.join(unknown)} under {CORPUS}")
    return [by_name[n] for n in names]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shapes", nargs="*", metavar="SHAPE", help="suites to check (all)")
    parser.add_argument("--exhaustive", action="store_true", help="also prove the lists complete")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="runs at a time")
    args = parser.parse_args(argv)

    started = time.monotonic()
    results: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="corpus-check-") as scratch_name:
        scratch = Path(scratch_name)
        plugin_dir = scratch / "plugins"
        plugin_dir.mkdir()
        (plugin_dir / "_corpus_recorder.py").write_text(RECORDER, encoding="utf-8")
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            pending: list[Pending] = []
            for suite in _suites(args.shapes):
                expected = json.loads((suite / "expected.json").read_text(encoding="utf-8"))
                ports = [r for f in expected["findings"] for r in f.get("resources", [])]
                serial = any(r.startswith("port:") for r in ports)
                lab = Lab(suite, scratch, args.jobs, plugin_dir, serial)
                pending += SuiteChecker(lab, expected, pool).checks(args.exhaustive)
            for check in pending:
                results.append(check.result())
                print(results[-1].line(), flush=True)
    failed = sum(not c.ok for c in results)
    seconds = time.monotonic() - started
    print(f"{len(results) - failed} passed, {failed} failed in {seconds:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
