"""Command line: ``auditor run`` today; each subcommand is one stage of the pipeline.

Heavy imports (libcst) stay inside the commands that need them: ``auditor run`` is a CI entry
point and starts without them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from auditor import __version__
from auditor.model import ExitCode


def _workers(value: str) -> str:
    if value in ("auto", "logical", "adaptive") or (value.isdigit()):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a worker count; use a number, 'auto' or 'adaptive'"
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with the exit code of the command for usage errors (pytest's 4 for run)."""

    usage_exit_code = 2

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit_code, f"{self.prog}: error: {message}\n")


class _RunParser(_Parser):
    usage_exit_code = ExitCode.USAGE_ERROR


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
        "--selection",
        metavar="FILE",
        help="a file with one test path or node id per line (# comments)",
    )
    run.add_argument(
        "-n",
        "--workers",
        type=_workers,
        default="auto",
        metavar="N",
        help="xdist workers: a number, 'auto' (one per core, the default) or "
        "'adaptive' (chosen from the previous run's profile)",
    )
    run.add_argument(
        "-C",
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="run in DIR, as if started there (default: the current folder)",
    )
    run.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where run.json goes, relative to the project (default: reports)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``auditor`` console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in args:
        split = args.index("--")
        args, passthrough = args[:split], args[split + 1 :]
    parser = _parser()
    options = parser.parse_args(args)
    if options.command == "run":
        return _run(options, passthrough)
    raise AssertionError(f"unreachable: command {options.command!r}")  # pragma: no cover


def _run(options: argparse.Namespace, passthrough: list[str]) -> int:
    from auditor.run.command import RunOptions, run

    root = options.project.resolve()
    if not root.is_dir():
        print(
            f"ERROR: {options.project} is not a folder; -C takes the project folder",
            file=sys.stderr,
        )
        return ExitCode.USAGE_ERROR
    report_dir = (
        options.report_dir if options.report_dir.is_absolute() else root / options.report_dir
    )
    return run(
        RunOptions(
            root=root,
            paths=tuple(options.paths),
            selection_file=options.selection,
            workers=options.workers,
            report_dir=report_dir,
            pytest_args=tuple(passthrough),
        )
    )
