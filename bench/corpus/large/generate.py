"""Generate the large corpus suite: a project shaped like a real large test suite.

What it writes (into OUT, replacing it; default ``bench/out/corpus-large/``, git-ignored)
    - ``atlas/``: a library package of a few dozen modules (``library.py``), among them a
      process-global manager (a cache of looked-up settings and exchange rates, and a registry of
      format handlers) and modules building caches of tens of thousands of entries at import;
    - ``tests/``: about 2,600 tests in 114 modules, mixing functions, parametrized tests,
      pytest classes, ``unittest.TestCase`` classes and fixtures; most tests take a millisecond,
      a few hundred take 50-750 ms (``bulk.py``); one sequential run takes over a minute on 2 cores;
    - the planted tests around the manager (``planted.py``): ~40 victims that assume a fresh
      manager, ~10 polluters that leave entries in it, and ``unittest.TestCase`` cleaners whose
      ``setUp`` clears it, placed so that the default order passes;
    - ``expected.json`` (every victim with all its polluters), ``pytest.ini``.

    The output is the same on every run (a fixed seed).

``--check`` proves the expectations with plain pytest (``-p no:randomly``): the collection holds
every planted test; the default order passes; each of a sample of victims (``--sample N``, or
``--all``) passes alone; and after each polluter, exactly the sampled victims it pollutes fail.

How to run (from the repository root, with the project venv)
    .venv/bin/python bench/corpus/large/generate.py [OUT] [--check [--sample 10 | --all]]
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import bulk
import library
import planted

REPO = Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO / "bench" / "out" / "corpus-large"
SEED = 20_240_917
SHAPE = (
    "A large generated suite (~2,600 tests in 114 modules, over a minute sequentially): dozens of "
    "victims of one process-global manager's cache and registry, a handful of polluters, "
    "unittest setUp cleaners keeping the default order green, and modules holding large caches."
)
PYTEST_INI = "[pytest]\ntestpaths = tests\npythonpath = .\n"
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider")


# -- writing the project -------------------------------------------------------------------------


def project_files() -> dict[str, str]:
    """Every file of the project: path → text."""
    files = dict(library.package())
    tests = {
        **bulk.modules(random.Random(SEED)),
        **{module.path: module.source for module in planted.MODULES},
    }
    for path in tests:
        for parent in Path(path).parents:
            if parent.parts:
                files[(parent / "__init__.py").as_posix()] = ""
    files.update(tests)
    files["tests/conftest.py"] = bulk.conftest()
    files["pytest.ini"] = PYTEST_INI
    files["expected.json"] = json.dumps(expected(), indent=2) + "\n"
    return dict(sorted(files.items()))


def expected() -> dict[str, object]:
    findings = [
        {
            "kind": "order-dependent",
            "test": victim,
            "polluters": planted.polluters_of(tags),
            "state": planted.state_of(tags),
        }
        for victim, tags in sorted(planted.victims().items())
    ]
    return {"shape": SHAPE, "findings": findings}


def write(root: Path) -> dict[str, str]:
    shutil.rmtree(root, ignore_errors=True)
    files = project_files()
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return files


def count_tests(source: str) -> int:
    """Tests in a module as pytest collects them: functions and methods named ``test*`` in the
    module and in ``Test*`` classes, times the cases of each ``parametrize``."""
    tree = ast.parse(source)
    count = 0
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            count += sum(_cases(item) for item in node.body if _is_test(item))
        elif _is_test(node):
            count += _cases(node)
    return count


def _is_test(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef) and node.name.startswith("test")


def _cases(node: ast.stmt) -> int:
    cases = 1
    for decorator in getattr(node, "decorator_list", []):
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize"):
            values = decorator.args[1]
            cases *= len(values.elts) if isinstance(values, (ast.List, ast.Tuple)) else 1
    return cases


def summary(files: dict[str, str]) -> str:
    tests = {p: count_tests(t) for p, t in files.items() if Path(p).name.startswith("test_")}
    package = [p for p in files if p.startswith("atlas/")]
    victims, polluters = planted.victims(), planted.polluters()
    caches = ", ".join(f"{name} ({size:,})" for name, size in library.CACHES.items())
    return (
        f"{sum(tests.values())} tests in {len(tests)} test modules; {len(package)} files in the "
        f"atlas package; {len(victims)} victims of {len(polluters)} polluters; caches: {caches}"
    )


# -- the proof -----------------------------------------------------------------------------------


def pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [*PYTEST, "-q", *args]
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)


def failed(root: Path, *args: str) -> set[str]:
    """The tests that failed or errored in one run, read from its JUnit XML report, as
    ``classname::name`` (``tests.a.test_b.TestC::test_d[x]``)."""
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        pytest(root, f"--junitxml={junit}", *args)
        cases = ElementTree.parse(junit).iter("testcase")
        return {
            f"{case.get('classname')}::{case.get('name')}"
            for case in cases
            if case.find("failure") is not None or case.find("error") is not None
        }


def junit_name(node_id: str) -> str:
    """A node id as ``failed`` names it."""
    path, *names = node_id.split("::")
    return ".".join([path.removesuffix(".py").replace("/", "."), *names[:-1]]) + "::" + names[-1]


def check_collection(root: Path, files: dict[str, str]) -> list[str]:
    result = pytest(root, "--collect-only")
    ids = {line for line in result.stdout.splitlines() if "::" in line}
    wanted = sum(count_tests(t) for p, t in files.items() if Path(p).name.startswith("test_"))
    problems = [f"collected {len(ids)} tests, counted {wanted}"] if len(ids) != wanted else []
    planted_ids = {*planted.victims(), *planted.polluters()}
    problems += [f"{node} was not collected" for node in sorted(planted_ids - ids)]
    return problems


def check_default_order(root: Path) -> tuple[float, list[str]]:
    started = time.perf_counter()
    red = failed(root)
    seconds = time.perf_counter() - started
    return seconds, [f"{test} failed in the default order" for test in sorted(red)]


def check_alone(root: Path, sample: list[str]) -> list[str]:
    return [f"{victim} fails alone" for victim in sample if failed(root, victim)]


def check_polluters(root: Path, sample: list[str]) -> list[str]:
    """After each polluter, exactly the sampled victims sharing a tag with it fail."""
    problems = []
    victims = planted.victims()
    for polluter, left in sorted(planted.polluters().items()):
        red = failed(root, polluter, *sample)
        if junit_name(polluter) in red:
            problems.append(f"{polluter} failed itself")
        for victim in sample:
            wanted, got = bool(set(victims[victim]) & set(left)), junit_name(victim) in red
            if wanted != got:
                problems.append(f"{victim} {'failed' if got else 'passed'} after {polluter}")
    return problems


def check_caches(root: Path) -> tuple[dict[str, int], list[str]]:
    probe = (
        "import importlib, json, sys\n"
        "sizes = {}\n"
        "for name in sys.argv[1:]:\n"
        "    module, attr = name.rsplit('.', 1)\n"
        "    sizes[name] = len(getattr(importlib.import_module(module), attr))\n"
        "print(json.dumps(sizes))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *library.CACHES],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    sizes: dict[str, int] = json.loads(result.stdout)
    small = [
        f"{name} holds only {n} entries" for name, n in sizes.items() if n < library.CACHES[name]
    ]
    return sizes, small


def check(root: Path, files: dict[str, str], sample_size: int | None) -> int:
    victims = sorted(planted.victims())
    sample = victims if sample_size is None else random.Random(SEED).sample(victims, sample_size)
    problems = check_collection(root, files)
    sizes, small = check_caches(root)
    print("caches: " + ", ".join(f"{name} {n:,}" for name, n in sizes.items()))
    seconds, red = check_default_order(root)
    print(f"default order: {seconds:.1f} s sequential, {'failed' if red else 'passed'}")
    problems += small + red
    problems += check_alone(root, sample)
    problems += check_polluters(root, sample)
    polluters = len(planted.polluters())
    print(f"checked {len(sample)} victims alone and after each of the {polluters} polluters")
    for problem in problems:
        print(f"PROBLEM {problem}")
    print("CHECK " + ("FAILED" if problems else "PASSED"))
    return 1 if problems else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="prove the expectations with pytest")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sample", type=int, default=10, metavar="N", help="victims to check")
    which.add_argument("--all", action="store_true", help="check every victim")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    root = args.out.resolve()
    files = write(root)
    print(f"wrote {root}: {summary(files)}")
    if not args.check:
        return 0
    return check(root, files, None if args.all else args.sample)


if __name__ == "__main__":
    raise SystemExit(main())
