"""Benchmark ``auditor run`` against bare pytest-xdist on a generated, CI-shaped test selection.

What it measures
    The wall time of one 81-file selection (40 fast unit-test files, 41 "e2e" files whose tests
    mostly wait on sleeps, small files and short subprocesses), run seven ways:

    - ``pytest -n 0`` (sequential), ``pytest -n auto``, ``pytest -n 2×cores``, ``pytest -n 4×cores``
      (bare ``python -m pytest -p xdist -p no:randomly -q <selection>``);
    - ``auditor run -n auto``, ``auditor run -n adaptive`` and ``auditor run`` without ``-n``
      (its default: the count chosen from its previous run) on the same selection file;

    then a small suite (the first 8 unit files, about a hundred fast tests) three ways:
    sequential, bare ``-n auto`` and ``auditor run`` without ``-n``.

    Each time is taken around the whole subprocess (interpreter start-up included). The variants
    are interleaved round-robin within each repetition (the starting variant rotates) and the
    median of the repetitions is reported. Every process gets the same environment:
    PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 plus the other variables ``auditor run`` sets for its pytest.

    Before timing, one untimed ``auditor run -n auto`` checks that every generated test passes and
    leaves the history (reports/run.json) that the first adaptive run sizes itself from; later
    adaptive runs read their own predecessor's run.json, as in CI. ``auditor run -n auto`` writes
    to reports/auto/ so that it never feeds adaptive.

    The selection file is sorted, as CI lists usually are, so the 41 e2e files come first. xdist
    hands each worker a contiguous first chunk (a quarter of its share), so at -n auto one worker
    gets mostly e2e tests: expect -n auto to gain much less than 2× over sequential here.

    It prints the machine facts, a table per suite (median seconds, ratio to sequential,
    run-to-run spread as (slowest - fastest) / median) and the figures the project promises,
    with PASS/FAIL: ``auditor run -n auto`` vs bare ``pytest -n auto`` (target: at most +3 %);
    adaptive vs the best of bare ``-n auto`` / 2×auto / 4×auto (target: at most +5 %); on each
    suite, ``auditor run`` without ``-n`` vs the better of sequential and bare ``-n auto``
    (target: at most +5 %); and how far the default's predictions were from the pytest time.
    With 3 repetitions the spread on a shared 2-core machine can exceed those targets: raise
    --repeats to resolve them.

How to run (from the repository root, with the project venv)
    .venv/bin/python bench/bench_run.py [--repeats 3] [--out bench/out]

    OUT/suite/ holds the generated suite, OUT/logs/ every run's output, OUT/bench_run.json the
    results. Standard library only; about 1.5 min per repetition on 2 cores, plus a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEED = 20_240_611
UNIT_FILES = 40
E2E_FILES = 41
SELECTION_FILE = "tools/ci/test_selection.txt"
AUTO_REPORTS = "reports/auto"  #: auditor run -n auto writes here, never into adaptive's history
ADAPTIVE_REPORTS = "reports"  #: auditor's default: adaptive reads and writes run.json here
SEQUENTIAL = "pytest -n 0"
BARE_AUTO = "pytest -n auto"
AUDITOR_AUTO = "auditor run -n auto"
ADAPTIVE = "auditor run -n adaptive"
DEFAULT = "auditor run (no -n)"
DEFAULT_REPORTS = "reports/default"  #: the default reads and writes its own previous run here
SMALL_UNIT_FILES = 8  #: the small suite: the first unit files only, no e2e
OVERHEAD_TARGET_PCT = 3.0
ADAPTIVE_TARGET_PCT = 5.0
DEFAULT_TARGET_PCT = 5.0
#: For every variant. PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 is why bare pytest needs -p xdist; the
#: others mirror what auditor.run.command.ENV_DEFAULTS adds for its pytest when unset, so that
#: every pytest process sees exactly the same environment.
BENCH_ENV = {
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "TZ": "UTC",
    "LC_ALL": "C",
    "LANG": "C",
    "CI_QUARANTINE": "1",
}

PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = ["--strict-markers"]
markers = ["e2e: end-to-end tests that mostly wait on sleeps, files and subprocesses"]
xfail_strict = true
"""

UNIT_HEADER = '''\
"""Unit tests {index:02d}: small pure computations."""

from __future__ import annotations

import pytest
'''

E2E_HEADER = '''\
"""End-to-end tests {index:02d}: they mostly wait on sleeps, files and subprocesses."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _roundtrip(folder: Path, size: int) -> int:
    path = folder / "payload.bin"
    path.write_bytes(bytes(range(256)) * (size // 256))
    return len(path.read_bytes())


def _crunch(n: int) -> int:
    return sum(k * k % 7 for k in range(n))
'''


@dataclass(frozen=True)
class Suite:
    root: Path
    files: tuple[str, ...]  #: the selection, relative to root, sorted
    tests: int


@dataclass(frozen=True)
class Variant:
    name: str
    argv: tuple[str, ...]
    report_dir: str | None = None  #: auditor variants: where their run.json goes


@dataclass(frozen=True)
class Run:
    seconds: float
    workers_arg: str | None = None  #: auditor variants: the -n pytest got (run.json)
    workers_reason: str | None = None
    pytest_s: float | None = None  #: auditor variants: the pytest run's own wall time (run.json)


@dataclass(frozen=True)
class Figure:
    label: str
    percent: float
    target_percent: float
    spread_percent: float  #: the larger run-to-run spread of the two variants compared

    @property
    def passed(self) -> bool:
        return self.percent <= self.target_percent


# -- the generated suite -------------------------------------------------------------------------


def _unit_test(rng: random.Random, name: str) -> str:
    n = rng.randint(10, 200)
    bodies = [
        f"    assert sum(range({n})) == {n * (n - 1) // 2}",
        f"    assert sorted(range({n}, 0, -1)) == list(range(1, {n + 1}))",
        f'    assert "-".join(["ab"] * {n}).count("-") == {n - 1}',
        f"    squares = {{k: k * k for k in range({n})}}\n"
        f"    assert squares[{n - 1}] == {(n - 1) ** 2}",
    ]
    return f"\n\ndef {name}() -> None:\n{rng.choice(bodies)}\n"


def _unit_param_test(rng: random.Random, name: str, count: int) -> str:
    values = rng.sample(range(1000), count)
    return (
        f'\n\n@pytest.mark.parametrize("value", {values})\n'
        f"def {name}(value: int) -> None:\n"
        "    assert int(str(value)) == value\n"
        "    assert (value * 3) % 3 == 0\n"
    )


def unit_file(rng: random.Random, index: int) -> tuple[str, int]:
    """A unit-test module of 15-25 CPU-light tests, some parametrized; and its test count."""
    target = rng.randint(15, 25)
    parts, count = [UNIT_HEADER.format(index=index)], 0
    while count < target:
        name = f"test_unit_{index:02d}_{len(parts) - 1:02d}"
        if rng.random() < 0.2:
            size = min(rng.randint(3, 5), target - count)
            parts.append(_unit_param_test(rng, name, size))
            count += size
        else:
            parts.append(_unit_test(rng, name))
            count += 1
    return "".join(parts), count


def _e2e_test(rng: random.Random, name: str) -> str:
    sleep = round(rng.uniform(0.03, 0.15), 3)
    size = 256 * rng.randint(1, 64)
    n = rng.randint(2_000, 20_000)
    lines = [
        f"    time.sleep({sleep})",
        f"    assert _roundtrip(tmp_path, {size}) == {size}",
        f"    assert _crunch({n}) == {sum(k * k % 7 for k in range(n))}",
    ]
    if rng.random() < 0.2:
        lines.append('    subprocess.run([sys.executable, "-c", "pass"], check=True)')
    return f"\n\ndef {name}(tmp_path: Path) -> None:\n" + "\n".join(lines) + "\n"


def e2e_file(rng: random.Random, index: int) -> tuple[str, int]:
    """An e2e module of 3-6 tests that mostly wait; and its test count."""
    count = rng.randint(3, 6)
    tests = [_e2e_test(rng, f"test_e2e_{index:02d}_{k}") for k in range(count)]
    return E2E_HEADER.format(index=index) + "".join(tests), count


def write_suite(root: Path, small: bool = False) -> Suite:
    """Generate the suite in ``root`` (replacing it), the same every time (seeded); ``small``:
    the first unit files only, a suite that runs in a couple of seconds."""
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(SEED)
    makers: list[tuple[str, int, Callable[[random.Random, int], tuple[str, int]]]] = [
        ("unit", SMALL_UNIT_FILES if small else UNIT_FILES, unit_file),
        ("e2e", 0 if small else E2E_FILES, e2e_file),
    ]
    files, tests = [], 0
    for kind, count, make in makers:
        for index in range(count):
            source, n = make(rng, index)
            path = Path("tests", kind, f"test_{kind}_{index:02d}.py")
            _write(root / path, source)
            files.append(path.as_posix())
            tests += n
    files.sort()
    _write(root / "pyproject.toml", PYPROJECT)
    _write(root / SELECTION_FILE, "# CI selection: every test file\n" + "\n".join(files) + "\n")
    return Suite(root, tuple(files), tests)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- the variants and running them ---------------------------------------------------------------


def cores() -> int:
    """Usable cores, as xdist's -n auto counts them (CPU affinity)."""
    return len(os.sched_getaffinity(0))


def auditor_command() -> list[str]:
    """The auditor console script beside this interpreter, else ``python -m auditor``."""
    script = Path(sys.executable).with_name("auditor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "auditor"]


def bench_env() -> dict[str, str]:
    return {**os.environ, **BENCH_ENV}


def variants(suite: Suite, ncores: int) -> list[Variant]:
    """Sequential, bare -n auto / 2×auto / 4×auto, then auditor -n auto and adaptive."""
    pytest = (sys.executable, "-m", "pytest", "-p", "xdist", "-p", "no:randomly")
    bare = [
        Variant(f"pytest -n {n}", (*pytest, "-n", n, "-q", *suite.files))
        for n in ("0", "auto", str(2 * ncores), str(4 * ncores))
    ]
    return [
        *bare,
        auditor_variant(AUDITOR_AUTO, suite, "auto", AUTO_REPORTS),
        auditor_variant(ADAPTIVE, suite, "adaptive", ADAPTIVE_REPORTS),
        auditor_variant(DEFAULT, suite, None, DEFAULT_REPORTS),
    ]


def small_variants(suite: Suite) -> list[Variant]:
    """The small suite: sequential, bare -n auto, and auditor without -n."""
    pytest = (sys.executable, "-m", "pytest", "-p", "xdist", "-p", "no:randomly")
    bare = [
        Variant(f"pytest -n {n}", (*pytest, "-n", n, "-q", *suite.files)) for n in ("0", "auto")
    ]
    return [*bare, auditor_variant(DEFAULT, suite, None, DEFAULT_REPORTS)]


def auditor_variant(name: str, suite: Suite, workers: str | None, report_dir: str) -> Variant:
    """``auditor run`` on the selection file, with bare pytest's -q (``workers`` None: no -n,
    auditor's default)."""
    count = ("-n", workers) if workers else ()
    argv = (
        *auditor_command(),
        *("run", "-C", str(suite.root), "--selection", SELECTION_FILE),
        *count,
        *("--report-dir", report_dir, "--", "-q"),
    )
    return Variant(name, argv, report_dir)


def run_once(variant: Variant, suite: Suite, log: Path) -> Run:
    """Run one variant, its output appended to ``log``; stop the benchmark if it fails."""
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"\n$ {shlex.join(variant.argv)}\n")
        handle.flush()
        started = time.perf_counter()
        code = subprocess.run(
            variant.argv,
            cwd=suite.root,
            env=bench_env(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{variant.name} exited {code}: see {log}")
    if variant.report_dir is None:
        return Run(seconds)
    data = read_run_json(suite, variant.report_dir)
    profile = data["profile"]
    return Run(seconds, data["workers_arg"], profile["workers_reason"], profile["total_s"])


def read_run_json(suite: Suite, report_dir: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((suite.root / report_dir / "run.json").read_text("utf-8"))
    return result


def prime(suite: Suite, logs: Path, folders: Sequence[str] = (ADAPTIVE_REPORTS,)) -> None:
    """Untimed ``auditor run -n auto`` into each history-reading variant's report folder (its
    first timed run then has a previous run, as in CI); checks every test passes."""
    for folder in folders:
        shutil.rmtree(suite.root / folder, ignore_errors=True)
        run_once(auditor_variant("prime", suite, "auto", folder), suite, logs / "prime.log")
        counts = read_run_json(suite, folder)["tests"]
        if counts != {"collected": suite.tests, "passed": suite.tests}:
            raise SystemExit(f"expected all {suite.tests} tests to pass, got {counts}")
    print(f"check: all {suite.tests} generated tests passed", file=sys.stderr)


def measure(
    all_variants: Sequence[Variant], suite: Suite, repeats: int, logs: Path
) -> dict[str, list[Run]]:
    """Every variant ``repeats`` times, round-robin; each repetition starts one variant later."""
    runs: dict[str, list[Run]] = {variant.name: [] for variant in all_variants}
    for rep in range(repeats):
        shift = rep % len(all_variants)
        for variant in [*all_variants[shift:], *all_variants[:shift]]:
            log = logs / (variant.name.replace(" ", "_") + ".log")
            run = run_once(variant, suite, log)
            runs[variant.name].append(run)
            chose = f" (-n {run.workers_arg})" if run.workers_arg else ""
            progress = f"rep {rep + 1}/{repeats}  {variant.name:<26}{run.seconds:7.2f} s{chose}"
            print(progress, file=sys.stderr)
    return runs


# -- results -------------------------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    return {
        "cores": cores(),
        "cpu_count": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "pytest": metadata.version("pytest"),
        "pytest-xdist": metadata.version("pytest-xdist"),
        "auditor": metadata.version("auditor"),
        "auditor_source": git_state(Path(__file__).resolve().parent.parent),
    }


def git_state(repo: Path) -> str:
    """The commit auditor's source is at, "+ local changes" when the tree is dirty."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" + local changes" if git("status", "--porcelain", "auditor") else "")


def percent(value: float, reference: float) -> float:
    return (value / reference - 1.0) * 100.0


def spread(runs: Sequence[Run]) -> float:
    """Run-to-run spread of a variant: (slowest - fastest) / median, in percent."""
    seconds = [run.seconds for run in runs]
    return (max(seconds) - min(seconds)) / statistics.median(seconds) * 100.0


def chosen(runs: Sequence[Run]) -> str:
    """The -n values an auditor variant ran with, e.g. "-n 8" or "-n 6/8"."""
    values = sorted({run.workers_arg or "?" for run in runs}, key=lambda v: (len(v), v))
    return "-n " + "/".join(values)


def figures(medians: dict[str, float], runs: dict[str, list[Run]], ncores: int) -> list[Figure]:
    """The two promises: auditor's overhead over bare xdist, adaptive vs the best fixed count."""
    overhead = percent(medians[AUDITOR_AUTO], medians[BARE_AUTO])
    candidates = [BARE_AUTO, f"pytest -n {2 * ncores}", f"pytest -n {4 * ncores}"]
    best = min(candidates, key=lambda name: medians[name])
    best_n = best.removeprefix("pytest ")
    return [
        Figure(
            f"{AUDITOR_AUTO} vs bare {BARE_AUTO}",
            overhead,
            OVERHEAD_TARGET_PCT,
            max(spread(runs[AUDITOR_AUTO]), spread(runs[BARE_AUTO])),
        ),
        Figure(
            f"adaptive ({chosen(runs[ADAPTIVE])}) vs best of -n auto / 2×auto / 4×auto ({best_n})",
            percent(medians[ADAPTIVE], medians[best]),
            ADAPTIVE_TARGET_PCT,
            max(spread(runs[ADAPTIVE]), spread(runs[best])),
        ),
    ]


def default_figure(
    suite_name: str, medians: dict[str, float], runs: dict[str, list[Run]]
) -> Figure:
    """auditor without -n against the better of sequential and bare -n auto."""
    best = min((SEQUENTIAL, BARE_AUTO), key=lambda name: medians[name])
    return Figure(
        f"{suite_name}: no -n ({chosen(runs[DEFAULT])}) vs the better of -n 0 / -n auto "
        f"({best.removeprefix('pytest ')})",
        percent(medians[DEFAULT], medians[best]),
        DEFAULT_TARGET_PCT,
        max(spread(runs[DEFAULT]), spread(runs[best])),
    )


def prediction_error(runs: Sequence[Run]) -> str:
    """How far the default's predictions were from the pytest runs they predicted."""
    errors = []
    for run in runs:
        said = (run.workers_reason or "").split("predicted ", 1)
        total = run.pytest_s
        if len(said) == 2 and total:
            predicted = float(said[1].split(" s", 1)[0])
            errors.append((predicted - total) / total * 100)
    if not errors:
        return "no prediction (no previous run)"
    return f"predicted {statistics.median(errors):+.0f} % off the measured pytest time (median)"


def print_facts(facts: dict[str, Any], suite: Suite, repeats: int) -> None:
    print(
        f"machine: {facts['cores']} usable cores (os.cpu_count {facts['cpu_count']}), "
        f"{facts['python']}, pytest {facts['pytest']}, pytest-xdist {facts['pytest-xdist']}, "
        f"auditor {facts['auditor']} ({facts['auditor_source']})"
    )
    print(f"platform: {facts['platform']}")
    print(
        f"suite: {len(suite.files)} files ({UNIT_FILES} unit, {E2E_FILES} e2e), "
        f"{suite.tests} tests, seed {SEED}; {repeats} repetitions, median wall time"
    )


def print_table(medians: dict[str, float], runs: dict[str, list[Run]]) -> None:
    sequential = medians[SEQUENTIAL]
    labels = {name: name for name in medians}
    for name in (ADAPTIVE, DEFAULT):
        if name in runs:
            labels[name] = f"{name} ({chosen(runs[name])})"
    width = max(len(label) for label in labels.values()) + 2
    print(f"\n{'variant':<{width}}{'median s':>8}{'× seq':>8}{'spread':>8}   runs (s)")
    for name, median in medians.items():
        shown = " ".join(f"{run.seconds:.2f}" for run in runs[name])
        row = f"{median:8.2f}{median / sequential:8.2f}{spread(runs[name]):7.0f}%"
        print(f"{labels[name]:<{width}}{row}   {shown}")


def print_figures(results: list[Figure]) -> None:
    print()
    for figure in results:
        verdict = "PASS" if figure.passed else "FAIL"
        print(
            f"{figure.label}: {figure.percent:+.1f} % "
            f"(target ≤ +{figure.target_percent:.0f} %) {verdict}"
            f"  [run-to-run spread up to {figure.spread_percent:.0f} %]"
        )


def report_json(
    facts: dict[str, Any], suite: Suite, all_variants: Sequence[Variant], runs: dict[str, list[Run]]
) -> dict[str, Any]:
    """Everything measured, as plain data (OUT/bench_run.json)."""
    medians = {name: statistics.median(run.seconds for run in rs) for name, rs in runs.items()}
    files = set(suite.files)
    return {
        "machine": facts,
        "suite": {"root": str(suite.root), "files": len(suite.files), "tests": suite.tests},
        "seed": SEED,
        "variants": {
            variant.name: {
                "command": shlex.join(a for a in variant.argv if a not in files) + " <selection>",
                "median_s": round(medians[variant.name], 3),
                "ratio_to_sequential": round(medians[variant.name] / medians[SEQUENTIAL], 3),
                "runs": [asdict(run) for run in runs[variant.name]],
            }
            for variant in all_variants
        },
    }


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions (default: 3)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "out",
        help="output folder (default: bench/out)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    out = args.out.resolve()
    logs = out / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    facts = machine_facts()
    # auditor's modules compiled once, as `pip install` does for pytest's: with
    # PYTHONDONTWRITEBYTECODE=1 an editable install would compile them in every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "auditor")], check=True)
    suite = write_suite(out / "suite")
    print_facts(facts, suite, args.repeats)
    all_variants = variants(suite, facts["cores"])
    prime(suite, logs, (ADAPTIVE_REPORTS, DEFAULT_REPORTS))
    runs = measure(all_variants, suite, args.repeats, logs)
    data = report_json(facts, suite, all_variants, runs)
    medians = {name: entry["median_s"] for name, entry in data["variants"].items()}
    print_table(medians, runs)
    results = [*figures(medians, runs, facts["cores"]), default_figure("CI-shaped", medians, runs)]
    small = write_suite(out / "small", small=True)
    print(f"\nsmall suite: {len(small.files)} unit files, {small.tests} tests")
    small_runs_variants = small_variants(small)
    prime(small, logs, (DEFAULT_REPORTS,))
    small_runs = measure(small_runs_variants, small, args.repeats, logs)
    data["small"] = report_json(facts, small, small_runs_variants, small_runs)
    small_medians = {n: e["median_s"] for n, e in data["small"]["variants"].items()}
    print_table(small_medians, small_runs)
    results.append(default_figure("small", small_medians, small_runs))
    print_figures(results)
    for name, measured in (("CI-shaped", runs[DEFAULT]), ("small", small_runs[DEFAULT])):
        print(f"{name}: the default's worker count was {prediction_error(measured)}")
    data["figures"] = [{**asdict(f), "passed": f.passed} for f in results]
    data["benchmark_s"] = round(time.perf_counter() - started, 1)
    (out / "bench_run.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\nbenchmark took {data['benchmark_s']:.0f} s; results in {out / 'bench_run.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
