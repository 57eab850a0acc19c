"""Benchmark ``auditor audit`` on the corpus: per shape, how much of ``expected.json`` it found.

What it measures
    Every corpus suite (``bench/corpus/*/expected.json``, plus the large generated suite, made in
    ``bench/out/corpus-large/`` by ``bench/corpus/large/generate.py`` when missing or stale) is
    copied to a work folder and committed to a fresh git repository there (the corpus stays
    untouched, and a later benchmark can run ``auditor fix`` on the same copy). Then, in the copy:

    - ONE sequential run, ``python -m pytest -p no:randomly -q``, timed around the whole process
      (interpreter start-up included);
    - ``python -m auditor audit --seed S`` for seeds 1..N, each timed the same way; its
      ``reports/audit.json`` is kept as ``reports/audit-seed-S.json``. Files an audit leaves
      changed in the copy are reported and put back before the next seed.

    Each audit is scored against the suite's ``expected.json``:

    - detected: an expected finding whose test got a finding of the same kind (shared-resource:
      a finding naming the same pair);
    - cause named: order-dependent, at least one polluter reported and all of them expected ones;
      brittle, likewise with state-setters; shared-resource, the pair and at least one expected
      resource; non-deterministic, the kind itself;
    - false positives: findings on tests expected.json does not name, and findings of a kind it
      does not expect for their test;
    - cost: audit seconds / sequential seconds, and audit.json's own ``cost`` numbers.

    It prints a table per shape (detected and cause named as the worst seed / expected, false
    positives as the worst seed, cost as the median over seeds), a TOTAL row and a verdict, then
    what was missed, in which seed, and what the audit said instead.

How to run (from the repository root, with the project venv)
    .venv/bin/python bench/bench_corpus.py [--seeds 5] [--first-seed 1] [--budget 30m]
        [--only NAME ...] [--no-large] [--work DIR] [--json PATH]

    Exits 0 when every audit found everything with its cause and no false positive, else 1.
    Standard library only. The large suite takes about a minute per sequential run and up to
    fifteen per audit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "bench" / "corpus"
LARGE = "large"
LARGE_OUT = REPO / "bench" / "out" / "corpus-large"
GENERATOR = CORPUS / "large" / "generate.py"
#: What the copies ignore and git does not track: the audits' own output (the top-level
#: ``reports/`` only: a suite may have a ``tests/reports/`` package) and caches.
IGNORED = ("__pycache__", ".pytest_cache")
REPORTS = "reports"
CAUSE_KEY = {"order-dependent": "polluters", "brittle": "state_setters"}


@dataclass(frozen=True)
class Expected:
    """One finding expected.json lists."""

    kind: str
    tests: tuple[str, ...]  #: the test, or the shared-resource pair
    causes: frozenset[str]  #: polluters, state-setters or resources

    @property
    def label(self) -> str:
        return " + ".join(self.tests)


@dataclass(frozen=True)
class Suite:
    name: str
    source: Path
    expected: tuple[Expected, ...]


@dataclass(frozen=True)
class Miss:
    expected: str  #: the expected finding's test(s)
    kind: str
    why: str  #: "not detected: got …", "cause not named: reported …"


@dataclass(frozen=True)
class Score:
    """One audit of one suite, against its expected.json."""

    suite: str
    seed: int
    expected: int
    detected: int
    cause_named: int
    false_positives: tuple[str, ...]  #: "kind test" of each
    misses: tuple[Miss, ...]
    audit_s: float
    sequential_s: float
    exit_code: int
    cost: dict[str, Any] = field(default_factory=dict)  #: audit.json's own cost numbers
    left_behind: tuple[str, ...] = ()  #: files the audit left changed in the copy
    tracebacks: tuple[str, ...] = ()  #: "N× <exception>" of tracebacks through auditor's code
    error: str = ""  #: the end of stderr when the audit crashed (no report, or exit 2, 3, 130)
    stopped: str = ""  #: why a partial report stopped early (audit.json "stopped": budget, …)
    left_out: tuple[str, ...] = ()  #: the runs it did not start (audit.json "skipped_runs")
    untriaged: tuple[str, ...] = ()  #: tests it saw fail but did not classify

    @property
    def ratio(self) -> float:
        return self.audit_s / self.sequential_s if self.sequential_s else float("nan")


# -- the suites ----------------------------------------------------------------------------------


def read_expected(path: Path) -> tuple[Expected, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(_expected(finding) for finding in data["findings"])


def _expected(finding: dict[str, Any]) -> Expected:
    kind = finding["kind"]
    if kind == "shared-resource":
        return Expected(kind, tuple(sorted(finding["tests"])), frozenset(finding["resources"]))
    causes = finding.get(CAUSE_KEY.get(kind, ""), [])
    return Expected(kind, (finding["test"],), frozenset(causes))


def find_suites(only: Sequence[str], large: bool) -> list[Suite]:
    """The corpus suites, by name; the large one generated first (when missing or stale)."""
    folders = {p.parent.name: p.parent for p in sorted(CORPUS.glob("*/expected.json"))}
    if large and (not only or LARGE in only):
        generate_large()  # written anew only when the generator's output changed
        folders[LARGE] = LARGE_OUT
    unknown = sorted(set(only) - set(folders))
    if unknown:
        raise SystemExit(f"ERROR: no corpus suite named {', '.join(unknown)}: {', '.join(folders)}")
    names = [name for name in folders if not only or name in only]
    return [Suite(n, folders[n], read_expected(folders[n] / "expected.json")) for n in names]


def generate_large() -> None:
    subprocess.run([sys.executable, str(GENERATOR), str(LARGE_OUT)], check=True, stdout=sys.stderr)


def prepare_copy(suite: Suite, work: Path) -> Path:
    """A copy of the suite in ``work/<name>``, committed to a fresh git repository."""
    root = work / suite.name
    shutil.rmtree(root, ignore_errors=True)

    def ignored(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == suite.source
        return shutil.ignore_patterns(*IGNORED)(folder, names) | ({REPORTS} if top else set())

    shutil.copytree(suite.source, root, ignore=ignored)
    gitignore = "".join(f"{name}/\n" for name in IGNORED) + f"/{REPORTS}/\n"
    (root / ".gitignore").write_text(gitignore, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", f"corpus suite {suite.name}")
    return root


def git(root: Path, *args: str) -> str:
    identity = ("-c", "user.name=bench", "-c", "user.email=bench@localhost")
    done = subprocess.run(
        ["git", *identity, *args], cwd=root, capture_output=True, text=True, check=True
    )
    return done.stdout


def left_behind(copy: Path, source: Path) -> tuple[str, ...]:
    """Files an audit changed, removed or added in the copy, put back as they were in the suite."""
    changed = git(copy, "ls-files", "--modified", "--deleted").split()
    added = git(copy, "ls-files", "--others", "--exclude-standard").split()
    for path in changed:
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / path, copy / path)
    for path in added:
        (copy / path).unlink()
    return tuple(sorted({*changed, *added}))


# -- running -------------------------------------------------------------------------------------


def timed(argv: Sequence[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done


def sequential_run(copy: Path) -> tuple[float, int]:
    """Seconds and exit code of one ``pytest -p no:randomly -q`` in the copy."""
    seconds, done = timed([sys.executable, "-m", "pytest", "-p", "no:randomly", "-q"], copy)
    return seconds, done.returncode


@dataclass(frozen=True)
class AuditRun:
    seconds: float
    exit_code: int
    report: dict[str, Any]  #: audit.json; empty when none was written
    error: str  #: the end of stderr when the audit crashed
    tracebacks: tuple[str, ...]  #: in audit.log, through auditor's code


def audit(copy: Path, seed: int, budget: str | None) -> AuditRun:
    report = copy / "reports" / "audit.json"
    report.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "auditor", "audit", "-C", str(copy), "--seed", str(seed)]
    seconds, done = timed([*argv, *(["--budget", budget] if budget else [])], copy)
    tracebacks = auditor_tracebacks(report.with_name("audit.log"))
    if not report.exists():
        error = _tail(done.stderr or done.stdout)
        return AuditRun(seconds, done.returncode, {}, error, tracebacks)
    shutil.copy(report, report.with_name(f"audit-seed-{seed}.json"))
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    error = _tail(done.stderr) if done.returncode not in (0, 1) else ""
    return AuditRun(seconds, done.returncode, data, error, tracebacks)


def auditor_tracebacks(log: Path) -> tuple[str, ...]:
    """The tracebacks in audit.log that pass through auditor's own code, as "N× <exception>"
    (a plugin error inside the runs does not stop the audit, but spoils its verdicts)."""
    if not log.exists():
        return ()
    counts: dict[str, int] = {}
    inside, ours = False, False
    for raw in log.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.removeprefix("INTERNALERROR> ")
        if line.endswith("Traceback (most recent call last):"):
            inside, ours = True, False
        elif inside and line.startswith(" "):
            ours = ours or f"{os.sep}auditor{os.sep}" in line
        elif inside:
            inside = False
            if ours:
                counts[line] = counts.get(line, 0) + 1
    return tuple(f"{n}× {exception}" for exception, n in counts.items())


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# -- scoring -------------------------------------------------------------------------------------


def _tests_of(finding: dict[str, Any]) -> tuple[str, ...]:
    return tuple(finding.get("tests") or [finding.get("test", "")])


def matches(expected: Expected, finding: dict[str, Any]) -> bool:
    """Whether a reported finding is this expected finding (the same kind and test, or pair)."""
    if finding.get("kind") != expected.kind:
        return False
    return set(expected.tests) <= set(_tests_of(finding))


def cause_named(expected: Expected, finding: dict[str, Any]) -> bool:
    if expected.kind == "shared-resource":
        return bool(expected.causes & set(finding.get("resources", [])))
    if expected.kind in CAUSE_KEY:
        reported = set(finding.get(CAUSE_KEY[expected.kind], []))
        return bool(reported) and reported <= expected.causes
    return True


def judge(expected: Expected, findings: list[dict[str, Any]]) -> tuple[bool, bool, str]:
    """Detected, cause named, and why not."""
    found = [f for f in findings if matches(expected, f)]
    if not found:
        said = [f["kind"] for f in findings if set(_tests_of(f)) & set(expected.tests)]
        return False, False, f"not detected: got {', '.join(said) or 'no finding'}"
    if any(cause_named(expected, f) for f in found):
        return True, True, ""
    return True, False, "cause not named: reported " + _causes(expected, found[0])


def _causes(expected: Expected, finding: dict[str, Any]) -> str:
    key = "resources" if expected.kind == "shared-resource" else CAUSE_KEY.get(expected.kind, "")
    return f"{key} {finding.get(key, [])}"


def false_positives(suite: Suite, findings: list[dict[str, Any]]) -> tuple[str, ...]:
    wrong = []
    for finding in findings:
        if not any(matches(e, finding) for e in suite.expected):
            wrong.append(f"{finding.get('kind')} {' + '.join(_tests_of(finding))}")
    return tuple(wrong)


def score(suite: Suite, seed: int, sequential_s: float, run: AuditRun) -> Score:
    findings = run.report.get("findings", [])
    verdicts = [(e, *judge(e, findings)) for e in suite.expected]
    return Score(
        suite=suite.name,
        seed=seed,
        expected=len(suite.expected),
        detected=sum(1 for _, detected, _, _ in verdicts if detected),
        cause_named=sum(1 for _, _, named, _ in verdicts if named),
        false_positives=false_positives(suite, findings),
        misses=tuple(Miss(e.label, e.kind, why) for e, _, named, why in verdicts if not named),
        audit_s=run.seconds,
        sequential_s=sequential_s,
        exit_code=run.exit_code,
        cost=run.report.get("cost", {}),
        error=run.error,
        stopped=str(run.report.get("stopped") or "") if run.report.get("partial") else "",
        left_out=tuple(run.report.get("skipped_runs", [])),
        untriaged=tuple(run.report.get("untriaged", [])),
    )


def audit_suite(suite: Suite, work: Path, seeds: range, budget: str | None) -> list[Score]:
    """The copy, its sequential run, then one scored audit per seed."""
    copy = prepare_copy(suite, work)
    sequential, code = sequential_run(copy)
    print(f"{suite.name}: sequential run {sequential:.1f} s, exit {code}", file=sys.stderr)
    if stray := left_behind(copy, suite.source):
        print(f"  note: the sequential run left {', '.join(stray)} (put back)", file=sys.stderr)
    scores = []
    for seed in seeds:
        run = audit(copy, seed, budget)
        scored = score(suite, seed, sequential, run)
        stray = left_behind(copy, suite.source)
        scores.append(replace(scored, left_behind=stray, tracebacks=run.tracebacks))
        print(f"{suite.name} seed {seed}: {progress(scores[-1])}", file=sys.stderr)
    return scores


def progress(s: Score) -> str:
    failed = "; AUDIT FAILED" if s.error else f"; stopped early ({s.stopped})" if s.stopped else ""
    failed += "; TRACEBACKS FROM AUDITOR in audit.log" if s.tracebacks else ""
    return (
        f"{s.audit_s:.1f} s ({s.ratio:.1f}×), {s.detected}/{s.expected} detected, "
        f"{s.cause_named} with cause, {len(s.false_positives)} false positives{failed}"
    )


# -- printing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    shape: str
    expected: int
    detected: int  #: in the worst seed
    cause_named: int  #: in the worst seed
    false_positives: int  #: in the worst seed
    ratio: float  #: audit / sequential seconds, median over seeds
    sequential_s: float
    audit_s: float  #: median over seeds
    runs: float  #: audit.json's cost.runs, median over seeds

    @classmethod
    def of(cls, shape: str, scores: Sequence[Score]) -> Row:
        return cls(
            shape,
            scores[0].expected,
            min(s.detected for s in scores),
            min(s.cause_named for s in scores),
            max(len(s.false_positives) for s in scores),
            statistics.median(s.ratio for s in scores),
            scores[0].sequential_s,
            statistics.median(s.audit_s for s in scores),
            statistics.median(s.cost.get("runs", 0) for s in scores),
        )


def total_row(scores: Sequence[Score]) -> Row:
    """Sums over the suites within each seed, then the worst seed (the median for costs)."""
    seeds = sorted({s.seed for s in scores})
    per_seed = [[s for s in scores if s.seed == seed] for seed in seeds]
    return Row(
        "TOTAL",
        sum(s.expected for s in per_seed[0]),
        min(sum(s.detected for s in group) for group in per_seed),
        min(sum(s.cause_named for s in group) for group in per_seed),
        max(sum(len(s.false_positives) for s in group) for group in per_seed),
        statistics.median(s.ratio for s in scores),
        sum(s.sequential_s for s in per_seed[0]),
        statistics.median(sum(s.audit_s for s in group) for group in per_seed),
        statistics.median(sum(s.cost.get("runs", 0) for s in group) for group in per_seed),
    )


def print_table(rows: Sequence[Row]) -> None:
    print(
        f"\n{'shape':<24} {'expected':>8} {'detected':>9} {'cause':>9} {'false+':>6} "
        f"{'cost':>7} {'sequential':>10} {'audit':>8} {'runs':>5}"
    )
    for r in rows:
        print(
            f"{r.shape:<24} {r.expected:>8} {f'{r.detected}/{r.expected}':>9} "
            f"{f'{r.cause_named}/{r.expected}':>9} {r.false_positives:>6} {r.ratio:>6.1f}× "
            f"{r.sequential_s:>9.1f}s {r.audit_s:>7.1f}s {r.runs:>5.0f}"
        )
    print(
        "(detected, cause: the worst seed / expected; false+: the worst seed; cost: audit / "
        "sequential run; runs: audit.json's cost.runs; medians over seeds)"
    )


def print_audits(scores: Sequence[Score]) -> None:
    """One line per audit (time, exit code, audit.json's cost), then what went wrong in it."""
    print()
    for s in scores:
        own = (
            f"; audit.json: {s.cost.get('runs')} runs, {s.cost.get('processes')} pytest "
            f"start-ups, {s.cost.get('sequential_runs')}× its own sequential run"
            if s.cost
            else ""
        )
        print(f"{s.suite} seed {s.seed}: {progress(s)}; exit {s.exit_code}{own}")
        if s.error:
            print("  AUDIT FAILED:\n    " + s.error.replace("\n", "\n    "))
        if s.stopped:
            print(f"  stopped early ({s.stopped}); runs left out: {'; '.join(s.left_out)}")
        if s.untriaged:
            print(f"  {len(s.untriaged)} failing tests left untriaged: {', '.join(s.untriaged)}")
        for wrong in s.false_positives:
            print(f"  false positive: {wrong}")
        if s.left_behind:
            print(f"  left behind in the copy (put back): {', '.join(s.left_behind)}")
        for traceback in s.tracebacks:
            print(f"  audit.log: traceback through auditor/: {traceback}")


def print_misses(scores: Sequence[Score]) -> None:
    """Each expected finding missed (or found without its cause), with the seeds and why."""
    misses: dict[tuple[str, str, str], list[str]] = {}
    for s in scores:
        for miss in s.misses:
            key = (s.suite, miss.kind, miss.expected)
            misses.setdefault(key, []).append(f"seed {s.seed}: {miss.why}")
    suite = ""
    for (name, kind, test), whys in misses.items():
        if name != suite:
            print(f"\n{name}: missed, or found without its cause")
            suite = name
        print(f"  {kind} {test}\n    " + "\n    ".join(whys))


def perfect(total: Row, scores: Sequence[Score]) -> bool:
    return (
        total.cause_named == total.expected
        and not total.false_positives
        and not any(s.error or s.stopped or s.tracebacks for s in scores)
    )


def verdict(total: Row, scores: Sequence[Score]) -> str:
    crashed = sum(1 for s in scores if s.error)
    stopped = sum(1 for s in scores if s.stopped)
    spoiled = sum(1 for s in scores if s.tracebacks)
    good = perfect(total, scores)
    head = "VERDICT: all found, causes named, no false positive" if good else "VERDICT: gaps"
    return (
        f"{head} — worst seed: {total.detected}/{total.expected} detected, {total.cause_named} "
        f"with their cause, {total.false_positives} false positives; of {len(scores)} audits "
        f"{crashed} crashed, {stopped} stopped early, {spoiled} logged auditor tracebacks; "
        f"audits cost {total.ratio:.1f}× a sequential run (median)"
    )


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=5, metavar="N", help="audit seeds 1..N")
    parser.add_argument(
        "--first-seed", type=int, default=1, metavar="K", help="start at seed K (K..N)"
    )
    parser.add_argument("--budget", help="passed to auditor audit --budget (e.g. 30m)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="these suites")
    parser.add_argument("--no-large", action="store_true", help="skip the large generated suite")
    parser.add_argument("--work", type=Path, help="where the copies go (default: a temp folder)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the raw scores here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    suites = find_suites(args.only, large=not args.no_large)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    seeds = range(args.first_seed, args.seeds + 1)
    if not seeds:
        print(f"--first-seed {args.first_seed} is after --seeds {args.seeds}", file=sys.stderr)
        return 2
    print(f"{len(suites)} suites, seeds {seeds[0]}..{seeds[-1]}; copies in {work}", file=sys.stderr)
    scores = [x for suite in suites for x in audit_suite(suite, work, seeds, args.budget)]
    rows = [Row.of(s.name, [x for x in scores if x.suite == s.name]) for s in suites]
    total = total_row(scores)
    print_table([*rows, total])
    print(verdict(total, scores))
    print_audits(scores)
    print_misses(scores)
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=2) + "\n")
    return 0 if perfect(total, scores) else 1


if __name__ == "__main__":
    raise SystemExit(main())
