"""Benchmark ``auditor audit``: its cost as a multiple of one sequential run, and its verdicts.

What it measures
    Two suites, each audited with a few campaign seeds:

    - ``examples``: a copy of the bundled example (26 tests; every defect of DESIGN.md planted);
    - ``planted``: the 81-file, 1,019-test suite of ``bench_run.py`` with the example's package,
      data and test files planted in it (``tests/shop/``): 1,045 tests, the same defects.

    For each suite: the median of 3 sequential runs (``python -m pytest -p xdist -p no:randomly
    -n 0 -q <selection>``, interpreter start-up included), then one ``auditor audit --seed S``
    per seed, timed around the whole process. The figure is audit seconds / sequential seconds;
    the target is at most 8.

    Verdicts are checked against the planted defects: every victim ``order-dependent`` with its
    polluter named, the brittle test ``brittle`` with its state-setter, the non-deterministic
    test ``non-deterministic`` when it failed anywhere (it fails about one run in four), the
    shared file and port pairs ``shared-resource`` naming the resource (their footprints predict
    them, co-runs confirm them), and no finding on any other test. It also prints how many runs
    each search for a cause took.

How to run (from the repository root, with the project venv)
    .venv/bin/python bench/bench_audit.py [--seeds 1 2] [--out bench/out]

    OUT/audit-*/ hold the suites and their reports (reports/audit.json, audit.md, audit.log),
    OUT/bench_audit.json the results. Standard library only; about 2 minutes per seed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_run

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
TARGET = 8.0
#: The planted defects, by file::test (the same in both suites).
REQUIRED = {
    "test_cart.py::test_total_without_discount": "order-dependent",
    "test_currency.py::test_default_currency": "order-dependent",
    "test_catalog.py::test_load_catalog": "order-dependent",
    "test_inventory.py::test_stock_in_main_warehouse": "brittle",
}
#: The located causes: finding key → the tests it must name.
CAUSES = {
    "test_cart.py::test_total_without_discount": (
        "polluters",
        ["test_promotions.py::test_discount_enabled"],
    ),
    "test_currency.py::test_default_currency": (
        "polluters",
        ["test_settings.py::test_currency_override"],
    ),
    "test_catalog.py::test_load_catalog": (
        "polluters",
        ["test_exports.py::test_export_in_build_dir"],
    ),
    "test_inventory.py::test_stock_in_main_warehouse": (
        "state_setters",
        ["test_inventory.py::test_register_main_warehouse"],
    ),
}
#: The shared resources, found by footprint and confirmed by co-runs whether or not they collided.
SHARED = {
    frozenset(
        {"test_reports.py::test_daily_report", "test_reports_weekly.py::test_weekly_report"}
    ): ("file:build/report.json"),
    frozenset(
        {"test_server.py::test_health_endpoint", "test_server_admin.py::test_admin_endpoint"}
    ): ("port:18765"),
}
OPTIONAL = {  # reported only when the campaign saw them fail
    "test_flaky.py::test_eventually_consistent": "non-deterministic",
    "test_reports.py::test_daily_report": "shared-resource",
    "test_reports_weekly.py::test_weekly_report": "shared-resource",
    "test_server.py::test_health_endpoint": "shared-resource",
    "test_server_admin.py::test_admin_endpoint": "shared-resource",
}


@dataclass(frozen=True)
class Suite:
    name: str
    root: Path
    files: tuple[str, ...]
    tests: int


@dataclass(frozen=True)
class Audit:
    suite: str
    seed: int
    seconds: float
    sequential_s: float
    ratio: float
    runs: int
    processes: int
    findings: dict[str, str]  #: file::test → kind
    problems: list[str]  #: wrong, missing or unexpected verdicts
    searches: dict[str, list[int]]  #: what a search looked for → runs each took

    @property
    def passed(self) -> bool:
        return self.ratio <= TARGET and not self.problems


def _ignore(_: str, names: list[str]) -> list[str]:
    return [n for n in names if n in {"reports", "build", "__pycache__", ".pytest_cache"}]


def examples_suite(out: Path) -> Suite:
    root = out / "audit-examples"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(EXAMPLES, root, ignore=_ignore)
    files = tuple(sorted(p.relative_to(root).as_posix() for p in root.glob("tests/test_*.py")))
    return Suite("examples", root, files, 26)


def planted_suite(out: Path) -> Suite:
    """bench_run's generated suite, plus the example's package, data and tests."""
    root = out / "audit-planted"
    generated = bench_run.write_suite(root)
    shutil.copytree(EXAMPLES / "shop", root / "shop", ignore=_ignore)
    shutil.copytree(EXAMPLES / "data", root / "data")
    planted = []
    for test_file in sorted((EXAMPLES / "tests").glob("test_*.py")):
        target = root / "tests" / "shop" / test_file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(test_file, target)
        planted.append(target.relative_to(root).as_posix())
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.pytest.ini_options]\n", '[tool.pytest.ini_options]\npythonpath = ["."]\n'
        )
    )
    files = tuple(sorted((*generated.files, *planted)))
    selection = root / bench_run.SELECTION_FILE
    selection.write_text("# CI selection: every test file\n" + "\n".join(files) + "\n")
    return Suite("planted", root, files, generated.tests + 26)


def sequential_seconds(suite: Suite, repeats: int = 3) -> float:
    argv = [sys.executable, "-m", "pytest", "-p", "xdist", "-p", "no:randomly", "-n", "0", "-q"]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            [*argv, *suite.files],
            cwd=suite.root,
            env=bench_run.bench_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def audit(suite: Suite, seed: int, sequential_s: float) -> Audit:
    argv = [*bench_run.auditor_command(), "audit", "-C", str(suite.root), "--seed", str(seed)]
    argv += list(suite.files)
    started = time.perf_counter()
    result = subprocess.run(
        argv, cwd=suite.root, env=bench_run.bench_env(), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    report_path = suite.root / "reports" / "audit.json"
    if result.returncode not in (0, 1) or not report_path.exists():
        raise SystemExit(
            f"auditor audit exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    shutil.copy(report_path, suite.root / "reports" / f"audit-seed-{seed}.json")
    findings = {f["test"].split("/")[-1]: f["kind"] for f in report["findings"]}
    searches: dict[str, list[int]] = {}
    for finding in report["findings"]:
        for looked_for, cost in finding.get("search", {}).items():
            searches.setdefault(looked_for, []).append(cost["runs"])
    return Audit(
        suite=suite.name,
        seed=seed,
        seconds=seconds,
        sequential_s=sequential_s,
        ratio=seconds / sequential_s,
        runs=report["cost"]["runs"],
        processes=report["cost"]["processes"],
        findings=findings,
        problems=judge(findings, report),
        searches=searches,
    )


def judge(findings: dict[str, str], report: dict[str, Any]) -> list[str]:
    problems = []
    located = {f["test"].split("/")[-1]: f for f in report["findings"]}
    for test, (key, expected) in CAUSES.items():
        got = [t.split("/")[-1] for t in located.get(test, {}).get(key, [])]
        if test in located and located[test]["kind"] == REQUIRED.get(test) and got != expected:
            problems.append(f"{test}: expected {key} {expected}, got {got}")
    shared = {
        frozenset(t.split("/")[-1] for t in f["tests"]): f["resources"]
        for f in report["findings"]
        if f["kind"] == "shared-resource"
    }
    for pair, resource in SHARED.items():
        if shared.get(pair) != [resource]:
            problems.append(f"{' and '.join(sorted(pair))}: expected shared {resource}")
    for test, kind in REQUIRED.items():
        if findings.get(test) != kind:
            problems.append(f"{test}: expected {kind}, got {findings.get(test, 'no finding')}")
    for test, kind in findings.items():
        expected = REQUIRED.get(test) or OPTIONAL.get(test)
        if expected is None:
            problems.append(f"{test}: a clean test got a {kind} finding")
        elif kind != expected and test in OPTIONAL:
            problems.append(f"{test}: expected {expected}, got {kind}")
    return problems


def print_table(audits: Sequence[Audit]) -> None:
    print(
        f"\n{'suite':<9} {'seed':>5} {'sequential':>10} {'audit':>8} {'ratio':>6} "
        f"{'runs':>5} {'pytests':>7}  verdicts"
    )
    for a in audits:
        verdicts = "all correct" if not a.problems else "; ".join(a.problems)
        print(
            f"{a.suite:<9} {a.seed:>5} {a.sequential_s:>9.1f}s {a.seconds:>7.1f}s "
            f"{a.ratio:>5.1f}× {a.runs:>5} {a.processes:>7}  {verdicts}"
        )
    print("\nruns per search for a cause (one number per finding):")
    for a in audits:
        per = "; ".join(
            f"{k.replace('_', '-')} {', '.join(map(str, v))}" for k, v in a.searches.items()
        )
        print(f"  {a.suite} seed {a.seed}: {per or 'none'}")
    print()
    for a in audits:
        seen = sorted(t for t in a.findings if t in OPTIONAL)
        status = "PASS" if a.passed else "FAIL"
        print(
            f"{status} {a.suite} seed {a.seed}: {a.ratio:.1f}× one sequential run (target ≤ "
            f"{TARGET:g}×); optional defects seen: {', '.join(seen) or 'none'}"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2], metavar="S")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--suites", nargs="+", default=["examples", "planted"])
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    makers = {"examples": examples_suite, "planted": planted_suite}
    facts = bench_run.machine_facts()
    print(
        f"{facts['cpu_count']} cores, Python {facts['python']}, pytest {facts['pytest']}, "
        f"commit {bench_run.git_state(REPO)}",
        file=sys.stderr,
    )
    audits = []
    for name in args.suites:
        suite = makers[name](args.out)
        for seed in args.seeds:
            sequential = sequential_seconds(suite)
            audits.append(audit(suite, seed, sequential))
            print(f"{name} seed {seed}: {audits[-1].seconds:.1f} s", file=sys.stderr)
    print_table(audits)
    (args.out / "bench_audit.json").write_text(
        json.dumps({"facts": facts, "audits": [asdict(a) for a in audits]}, indent=2) + "\n"
    )
    return 0 if all(a.passed for a in audits) else 1


if __name__ == "__main__":
    raise SystemExit(main())
