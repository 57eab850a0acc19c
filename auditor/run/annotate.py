"""GitHub Actions annotations of a run's failures (only when ``GITHUB_ACTIONS=true``).

One ``::error file=…,line=…,title=…::message`` per failed test, at the line of its own file
where it failed (the traceback's last entry there), else at its definition; ``::warning`` for a
quarantined test's failure. Paths are relative to the repository's root (``GITHUB_WORKSPACE``),
so a project in a subfolder annotates the right file. GitHub shows at most 10 error annotations
per step and 50 per job: past ``LIMIT``, one line says how many more failed.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from auditor.git import answer
from auditor.model import RunResult
from auditor.report.junit import relative_file

LIMIT = 50


def lines(result: RunResult, base: Path, quarantined: Collection[str]) -> list[str]:
    """The workflow commands for the run's failures, the quarantined ones last."""
    failures = sorted(result.failures, key=lambda r: (r.nodeid in quarantined, r.nodeid))
    said = []
    for record in failures[:LIMIT]:
        level = "warning" if record.nodeid in quarantined else "error"
        line = record.failed_line or record.line or 1
        title = f"{record.nodeid} {record.outcome}" + (
            " (quarantined)" if record.nodeid in quarantined else ""
        )
        said.append(
            f"::{level} file={_property(relative_file(record, result, base))},line={line},"
            f"title={_property(title)}::{_data(record.reason or record.outcome)}"
        )
    for nodeid in result.missing[: max(0, LIMIT - len(said))]:
        said.append(
            f"::error title={_property(nodeid)}::{_data('never reported: its worker died')}"
        )
    left = len(failures) + len(result.missing) - len(said)
    if left > 0:
        said.append(f"::warning title=auditor::{left} more failed tests are not annotated")
    return said


def repository_root(root: Path) -> Path:
    """Where CI paths start: ``GITHUB_WORKSPACE`` when the project is in it, else the git
    repository's top folder, else the project."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace and root.resolve().is_relative_to(Path(workspace).resolve()):
        return Path(workspace)
    top = answer(root, "rev-parse", "--show-toplevel")
    return Path(top) if top else root


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
