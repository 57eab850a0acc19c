"""``auditor quarantine list|add|remove`` and ``auditor history export|import``: the records
people and CI jobs edit or carry between machines."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import IO, Any

from auditor import quarantine
from auditor.exits import UsageError
from auditor.history import store
from auditor.history.rates import clean_streak
from auditor.model import shell_command


def main(options: argparse.Namespace, out: IO[str] | None = None) -> int:
    """The chosen action; 0 when done (errors are :class:`UsageError`)."""
    out = out or sys.stdout
    root = options.project.resolve()
    if not root.is_dir():
        raise UsageError(f"{options.project} is not a folder; -C takes the project folder")
    if options.command == "history":
        return _history(options, root, out)
    path = quarantine.path_of(root)
    if options.action == "list":
        return _list(path, root, out)
    if not options.tests:
        raise UsageError(f"quarantine {options.action} needs the node ids of the tests")
    if options.action == "remove":
        gone = quarantine.remove(path, options.tests)
        for test in options.tests:
            said = "removed" if test in gone else "not quarantined"
            print(f"{said}: {test}", file=out)
        return 0
    return _add(options, path, root, out)


def _add(options: argparse.Namespace, path: Path, root: Path, out: IO[str]) -> int:
    findings = _findings(options.audit or root / "reports" / "audit.json")
    today = dt.date.today()
    entries = []
    for test in options.tests:
        if test in findings:
            entry = quarantine.entry_of(findings[test], today, options.days)
        elif options.reason:
            entry = quarantine.Entry(
                test=test,
                kind="manual",
                cause=options.reason,
                added=today,
                expires=today + dt.timedelta(days=options.days),
                reproduce=shell_command([test]),
            )
        else:
            raise UsageError(
                f"the audit report has no finding for {test}: give the cause with --reason, or "
                "run `auditor audit` first"
            )
        entries.append(dataclasses.replace(entry, owner=options.owner, issue=options.issue))
    added = {entry.test for entry in quarantine.add(path, entries)}
    for entry in entries:
        said = f"added (until {entry.expires})" if entry.test in added else "already quarantined"
        print(f"{said}: {entry.test}: {entry.cause}", file=out)
    return 0


def _findings(report: Path) -> dict[str, dict[str, Any]]:
    """The audit report's findings by test; none when there is no report."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"{report} is not a readable audit report ({exc})") from None
    return {f["test"]: f for f in data.get("findings", []) if isinstance(f, dict) and "test" in f}


def _list(path: Path, root: Path, out: IO[str]) -> int:
    entries = quarantine.load(path)
    if not entries:
        print(f"no test is quarantined ({path.name} has no entry)", file=out)
        return 0
    recorded: dict[str, list[tuple[float, bool]]] = {}
    history = store.default_path(root)
    if history.exists():
        with store.opened(history) as opened:
            recorded = opened.outcomes(tests=[e.test for e in entries])
    today = dt.date.today()
    for entry in entries:
        state = "EXPIRED" if entry.expired(today) else f"until {entry.expires}"
        streak = clean_streak(recorded.get(entry.test, ()))
        ready = "; ready to leave" if streak >= quarantine.READY_AFTER else ""
        who = "".join(f"; {v}" for v in (entry.owner, entry.issue) if v)
        print(f"{entry.test}: {entry.kind}, {state}{ready}{who}", file=out)
        print(f"    {entry.cause} (passed the last {streak} recorded runs)", file=out)
    return 0


def _history(options: argparse.Namespace, root: Path, out: IO[str]) -> int:
    path = root / options.history if options.history else store.default_path(root)
    target = Path.cwd() / options.file
    with store.opened(path, say=lambda line: print(line, file=out)) as history:
        if options.action == "export":
            count = store.export_lines(history, target)
            print(f"exported {count} sessions to {options.file}", file=out)
        else:
            added, known = store.import_lines(history, target)
            print(f"imported {added} sessions ({known} already recorded) into {path}", file=out)
    return 0
