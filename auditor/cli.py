"""Command line: ``auditor run`` today; each subcommand is one stage of the pipeline.

Heavy imports (libcst) stay inside the commands that need them: ``auditor run`` is a CI entry
point and starts without them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from auditor import __version__, interpreter, runner, select
from auditor.campaign.limits import DEFAULT_TIMEOUT_S
from auditor.exits import (
    AuditExit,
    FixExit,
    InternalError,
    NothingCollected,
    RunExit,
    UsageError,
)

if TYPE_CHECKING:
    from auditor.commands.fix import FixOptions

DEFAULT_SCAN_BUDGET_S = 30 * 60.0  #: ``auditor scan``: a nightly job's audit


def _workers(value: str) -> str:
    if value in ("auto", "logical", "adaptive", "default") or (value.isdigit()):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a worker count; use a number, 'auto' or 'adaptive'"
    )


def _count(value: str) -> int:
    if value.isdigit():
        return int(value)
    raise argparse.ArgumentTypeError(f"{value!r} is not a count; use 0, 1, 2...")


def _positive(value: str) -> int:
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise argparse.ArgumentTypeError(f"{value!r} is not a positive count; use 1, 2, 3...")


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds > 0:
        return seconds
    raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds above 0")


def _budget(value: str) -> float:
    from auditor.progress import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    """argparse, with the exit code of the command for usage errors (pytest's 4 for run)."""

    usage_exit_code: int = 2

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit_code, f"{self.prog}: error: {message}\n")


class _RunParser(_Parser):
    usage_exit_code: int = RunExit.USAGE_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="auditor",
        description="Audit and fix pytest test isolation, then run the suite with -n auto safely.",
        epilog="exit codes: 0 ok, 1 tests failed, 2 interrupted or bad selection, "
        "3 internal error, 4 usage error, 5 no tests",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_RunParser)
    commands.required = True

    run = commands.add_parser(
        "run",
        help="run the selection in parallel (the CI entry point)",
        description="Run the selection with pytest-xdist, keeping @pytest.mark.serial tests "
        "safe, and profile where the time goes. Arguments after -- go to pytest.",
        usage="auditor run [options] [PATHS ...] [-- PYTEST_ARGS ...]",
    )
    run.add_argument(
        "paths",
        nargs="*",
        metavar="PATHS",
        help="test paths or node ids (default: --selection, then "
        "[tool.auditor] selection in pyproject.toml, then pytest's defaults)",
    )
    run.add_argument(
        "-n",
        "--workers",
        type=_workers,
        default="default",
        metavar="N",
        help="xdist workers: a number (0: one process), 'auto' (one per core) or 'adaptive' "
        "(chosen from the recorded runs' timings, with --dist worksteal unless you chose a "
        "--dist); without -n, adaptive when a run was recorded, else auto",
    )
    run.add_argument(
        "--quarantine",
        action="store_true",
        default=os.environ.get("CI_QUARANTINE") == "1",
        help="failures of tests in the quarantine file do not fail the run until their entry "
        "expires (default: on when CI_QUARANTINE=1)",
    )
    run.add_argument(
        "--junitxml",
        type=Path,
        metavar="PATH",
        help="write JUnit XML with file and line for every test, relative to the project "
        "(default: [tool.auditor] junitxml, else none)",
    )
    run.add_argument(
        "--shard",
        metavar="I/N",
        help="run the I-th of N duration-balanced shards of the selection (1-based), e.g. in "
        "a CI matrix; then `auditor merge` the shards' report folders",
    )
    run.add_argument(
        "--check-new",
        metavar="REF",
        help="first audit the tests added or changed since the git ref REF (with the other "
        "tests of their files); exit 1 without the main run when one is not isolated",
    )
    run.add_argument(
        "--check-new-orders",
        type=_count,
        default=2,
        metavar="N",
        help="random orders of that audit, beside the default and reversed ones (default: 2)",
    )
    _add_selection_options(run)

    audit = commands.add_parser(
        "audit",
        help="find and classify tests that are not isolated",
        description="Run the selection under random orders and several xdist seeds and worker "
        "counts, then classify every test that failed anywhere, with evidence and a reproduce "
        "command. Writes audit.json and audit.md.",
    )
    cast(_Parser, audit).usage_exit_code = 2  # audit: 2 for any usage error
    _add_audit_options(audit)
    _add_selection_options(audit)

    fix = commands.add_parser(
        "fix",
        help="rewrite the tests an audit found, keeping each rewrite only if proven",
        description="Apply the fixes for the findings of an audit (monkeypatch, tmp_path, "
        "explicit fixtures, keyed serial marks), re-run each finding's evidence, revert what it "
        "does not prove, then run the selection in random orders. Writes fix.json. "
        "Exit codes: 0 nothing left to fix, 1 files changed or findings remain, 2 usage error "
        "or interrupted, 3 internal error.",
    )
    cast(_Parser, fix).usage_exit_code = 2
    fix.add_argument("paths", nargs="*", metavar="PATHS", help="test paths or node ids")
    fix.add_argument(
        "--from",
        dest="audit",
        type=Path,
        metavar="FILE",
        help="the audit report to apply (default: audit.json in the report folder)",
    )
    _add_fix_options(fix)
    _add_selection_options(fix)

    migrate = commands.add_parser(
        "migrate",
        help="audit, fix, verify, then run with -n auto: the move to parallel CI in one command",
        description="Audit the selection, fix what can be fixed (each rewrite proven), run the "
        "selection with -n auto, and print what changed, what remains and the CI command to use. "
        "Exit codes: 0 nothing left to fix, 1 files changed or findings remain, 2 usage error "
        "or interrupted, 3 internal error.",
    )
    cast(_Parser, migrate).usage_exit_code = 2
    migrate.add_argument("paths", nargs="*", metavar="PATHS", help="test paths or node ids")
    migrate.add_argument("--seed", type=int, metavar="N", help="the audit's seed (default: random)")
    migrate.add_argument(
        "--budget",
        type=_budget,
        metavar="DURATION",
        help="the audit's time budget, e.g. 20m (default: no limit)",
    )
    _add_fix_options(migrate)
    _add_selection_options(migrate)

    scan = commands.add_parser(
        "scan",
        help="the periodic flakiness scan: an audit compared with the history",
        description="Audit the selection within a budget, record it in the history, and compare "
        "it with the scans before: findings new, persisting and resolved, flake rates with 95 %% "
        "intervals, quarantine entries ready to leave. Writes scan.json and scan.md. Exit codes: "
        "0 nothing new, 1 new findings (--fail-on any: any finding), 2 usage error, 3 internal "
        "error, 130 interrupted.",
    )
    cast(_Parser, scan).usage_exit_code = 2
    _add_audit_options(scan, budget=DEFAULT_SCAN_BUDGET_S, budget_text="30m")
    scan.add_argument(
        "--fail-on",
        choices=("new", "any"),
        default="new",
        help="exit 1 on findings new since the last scan (the default), or on any finding",
    )
    _add_selection_options(scan)

    held = commands.add_parser(
        "quarantine",
        help="list, add or remove quarantine entries",
        description="The quarantine file (quarantine.toml, or [tool.auditor] quarantine): tests "
        "that still run, whose failures do not fail `auditor run --quarantine` (or "
        "CI_QUARANTINE=1) until their entry expires. Exit codes: 0 done, 2 usage error.",
    )
    cast(_Parser, held).usage_exit_code = 2
    held.add_argument("action", choices=("list", "add", "remove"))
    held.add_argument("tests", nargs="*", metavar="NODEID", help="exact node ids")
    held.add_argument(
        "--reason",
        metavar="TEXT",
        help="add: the cause, for a test the audit report has no finding of",
    )
    held.add_argument(
        "--days", type=_positive, default=30, metavar="N", help="add: days until the entry expires"
    )
    held.add_argument("--owner", metavar="WHO", help="add: who looks after it")
    held.add_argument("--issue", metavar="URL", help="add: the issue that tracks it")
    held.add_argument(
        "--from",
        dest="audit",
        type=Path,
        metavar="FILE",
        help="add: the audit report whose findings give the cause (default: reports/audit.json)",
    )
    _add_project_option(held)

    merge = commands.add_parser(
        "merge",
        help="merge the report folders of `auditor run --shard I/N` jobs into one run",
        description="Check that the shards' reports are one split of one collection and that "
        "every test ran exactly once, then write one run.json, junit.xml (from the shards' "
        "JUnit files) and report.html. Exit codes as `auditor run`: 0 every test passed, 1 a "
        "test failed or never ran or ran twice, 4 a folder that is not a shard's report.",
    )
    merge.add_argument(
        "folders", nargs="+", type=Path, metavar="DIR", help="a shard's report folder"
    )
    merge.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("reports/merged"),
        metavar="DIR",
        help="where the merged reports go (default: reports/merged)",
    )

    past = commands.add_parser(
        "history",
        help="export or import the history as JSON lines (a CI artifact)",
        description="Export every recorded session as JSON lines, or import such a file (a "
        "session already recorded is skipped). Exit codes: 0 done, 2 usage error.",
    )
    cast(_Parser, past).usage_exit_code = 2
    past.add_argument("action", choices=("export", "import"))
    past.add_argument("file", type=Path, metavar="FILE", help="the JSON-lines file")
    _add_project_option(past)
    _add_history_option(past)
    return parser


def _add_audit_options(
    command: argparse.ArgumentParser, budget: float | None = None, budget_text: str = "no limit"
) -> None:
    command.add_argument("paths", nargs="*", metavar="PATHS", help="test paths or node ids")
    command.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="the campaign's seed, to repeat an audit exactly (default: random)",
    )
    command.add_argument(
        "--orders",
        type=_count,
        default=1,
        metavar="N",
        help="random orders to run, beside the default order and its reverse (default: 1)",
    )
    command.add_argument(
        "--xdist-seeds",
        type=_count,
        default=1,
        metavar="N",
        help="xdist runs per worker count (2, 4, and 2 x cores), each with its own seed "
        "(default: 1)",
    )
    command.add_argument(
        "--reruns",
        type=_positive,
        default=3,
        metavar="N",
        help="reruns per triage step, stopping early once the outcome differs (default: 3)",
    )
    command.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help="a test running longer than max(SECONDS, 10 x its baseline duration) is stopped "
        "and reported as a hang (default: 60)",
    )
    command.add_argument(
        "--budget",
        type=_budget,
        metavar="DURATION",
        default=budget,
        help="stop starting runs when they would not fit, e.g. 90s, 20m, 1h30m; what was left "
        f"out is listed in the report (default: {budget_text})",
    )


def _add_fix_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--diff",
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="print the rewrites as a unified diff; write nothing, run nothing",
    )
    command.add_argument(
        "--force",
        action="store_true",
        help="also rewrite files with uncommitted changes (or outside git)",
    )
    command.add_argument(
        "--closing-orders",
        type=_count,
        default=2,
        metavar="N",
        help="random orders of the closing run of the whole selection, each on 1 and 2 "
        "workers (default: 2; 0 skips it)",
    )


def _add_selection_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--python",
        metavar="PATH",
        help="the Python that runs the project's pytest (default: the project's .venv or venv "
        "interpreter if there is one, else auditor's own); auditor need not be installed there",
    )
    command.add_argument(
        "--selection",
        metavar="FILE",
        help="a file with one test path or node id per line (# comments)",
    )
    _add_project_option(command)
    command.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where reports go, relative to the project (default: reports)",
    )
    _add_history_option(command)


def _add_history_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--history",
        type=Path,
        metavar="FILE",
        help="the history database, relative to the project (default: "
        ".auditor/history.sqlite, git-ignored)",
    )


def _add_project_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-C",
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="run in DIR, as if started there (default: the current folder)",
    )


@dataclass(frozen=True)
class _Codes:
    """What one command family exits with for each exception ``main()`` catches."""

    usage: int
    nothing: int  #: the selection collected no test
    interrupted: int
    internal: int


_RUN_CODES = _Codes(
    RunExit.USAGE_ERROR, RunExit.NO_TESTS, RunExit.INTERRUPTED, RunExit.INTERNAL_ERROR
)
_CODES = {
    "run": _RUN_CODES,
    "audit": _Codes(
        AuditExit.USAGE_ERROR,
        AuditExit.USAGE_ERROR,
        AuditExit.INTERRUPTED,
        AuditExit.INTERNAL_ERROR,
    ),
    "fix": _Codes(
        FixExit.USAGE_ERROR, FixExit.USAGE_ERROR, FixExit.INTERRUPTED, FixExit.INTERNAL_ERROR
    ),
}
_CODES["migrate"] = _CODES["fix"]
_CODES["scan"] = _CODES["audit"]
_CODES["quarantine"] = _CODES["audit"]
_CODES["history"] = _CODES["audit"]
_CODES["merge"] = _RUN_CODES


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``auditor`` console script; returns the exit code.

    The one place where exceptions become exit codes: a :class:`UsageError` is the user's to fix
    (``ERROR:`` and the remedy on stderr), Ctrl-C is an interruption, and anything else is a bug
    in auditor (the traceback, and exit 3; the command wrote its report so far first).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    passthrough: tuple[str, ...] = ()
    if "--" in args:
        split = args.index("--")
        args, passthrough = args[:split], tuple(args[split + 1 :])
    options = _parser().parse_args(args)
    codes = _CODES[options.command]
    try:
        with _interruptions():
            return int(_command(options, passthrough))
    except NothingCollected as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return codes.nothing
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return codes.usage
    except InternalError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return codes.internal
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return codes.interrupted
    except Exception:  # a bug: say so, with the traceback to report
        traceback.print_exc()
        print("auditor: internal error; please report it with the traceback above", file=sys.stderr)
        return codes.internal


@contextlib.contextmanager
def _interruptions() -> Iterator[None]:
    """Ctrl-C and SIGTERM (a CI runner cancelling the job, ``timeout``, ``kill``) both stop
    auditor as an interruption: the pytests running get a Ctrl-C (each runs in a process group
    of its own, so a terminal's Ctrl-C reaches auditor alone), and the command stops as it does
    for Ctrl-C, its report so far written and every file either as it was or fully fixed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    stopping: list[int] = []

    def interrupted(signum: int, frame: object) -> None:
        runner.interrupt_pytests()
        if not stopping:  # once: a second signal must not break the clean-up of the first
            stopping.append(signum)
            raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupted) for number in _STOPPING}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


_STOPPING = (signal.SIGINT, signal.SIGTERM)


def _command(options: argparse.Namespace, passthrough: tuple[str, ...]) -> int:
    """Run the chosen command; its exit code."""
    if options.command in ("quarantine", "history"):
        from auditor.commands import records

        return records.main(options)
    if options.command == "merge":
        from auditor.commands.merge import merge

        return int(merge(options.folders, options.out))
    root, selection = _project(options)
    audits = options.command != "run" or options.check_new is not None
    chosen = interpreter.choose(root, options.python, needs_randomly=audits)
    print(f"auditor: python {chosen.describe()}", file=sys.stderr)
    runner.use_interpreter(chosen.python, None if chosen.own else interpreter.plugin_path())
    report_dir = root / options.report_dir  # an absolute --report-dir stays as it is
    if options.command == "run":
        from auditor.commands.run import RunOptions, run
        from auditor.run.shard import parse as parse_shard

        history = root / options.history if options.history else None
        run_options = RunOptions(
            root,
            selection,
            options.workers,
            report_dir,
            passthrough,
            quarantine=options.quarantine,
            history=history,
            junitxml=root / options.junitxml if options.junitxml else None,
            shard=parse_shard(options.shard) if options.shard else None,
            check_new=options.check_new,
            check_new_orders=options.check_new_orders,
        )
        return run(run_options).exit_code
    if options.command in ("audit", "scan"):
        from auditor.commands.audit import AuditOptions, audit

        audit_options = AuditOptions(
            root,
            selection,
            report_dir,
            seed=options.seed,
            orders=options.orders,
            seeds=options.xdist_seeds,
            reruns=options.reruns,
            timeout=options.timeout,
            budget_s=options.budget,
            pytest_args=passthrough,
            history=root / options.history if options.history else None,
        )
        if options.command == "scan":
            from auditor.commands.scan import scan

            return scan(audit_options, options.fail_on).exit_code
        return audit(audit_options).exit_code
    fixing = _fix_options(options, root, selection, report_dir, passthrough, chosen.pytest_major)
    if options.command == "fix":
        from auditor.commands.fix import fix

        return fix(fixing).exit_code
    from auditor.commands.migrate import migrate

    return migrate(fixing, budget_s=options.budget).exit_code


def _fix_options(
    options: argparse.Namespace,
    root: Path,
    selection: select.Selection,
    report_dir: Path,
    passthrough: tuple[str, ...],
    pytest_major: int,
) -> FixOptions:
    from auditor.commands.fix import FixOptions

    audit_path = getattr(options, "audit", None)
    return FixOptions(
        root,
        selection,
        report_dir,
        audit=(Path.cwd() / audit_path) if audit_path else report_dir / "audit.json",
        dry_run=options.dry_run,
        force=options.force,
        closing_seeds=options.closing_orders,
        seed=getattr(options, "seed", None),
        pytest_args=passthrough,
        pytest_major=pytest_major,
    )


def _project(options: argparse.Namespace) -> tuple[Path, select.Selection]:
    """The project folder and the selection; UsageError when either is unusable."""
    root = options.project.resolve()
    if not root.is_dir():
        raise UsageError(f"{options.project} is not a folder; -C takes the project folder")
    return root, select.resolve(list(options.paths), options.selection, root)
