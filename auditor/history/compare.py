"""What a scan found compared with the scans before it: new, persisting and resolved findings.

A finding is the same finding when its kind and its test are (a victim whose polluter changed
is still the same problem to its owner); a shared-resource conflict, when its pair of tests is
(either may be the one that failed first). **new**: not in the last scan; **persisting**: in both
(first seen: the earliest audit or scan that had it); **resolved**: in the last scan, not in
this one, and this one ran to the end; a scan cut short by its budget cannot tell, so those are
**unconfirmed** (still listed, not counted as resolved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from auditor.history.store import Session

Status = Literal["new", "persisting", "resolved", "unconfirmed"]


@dataclass(frozen=True)
class Change:
    status: Status
    finding: dict[str, Any]  #: this scan's finding; the last scan's when resolved
    first_seen: float  #: epoch seconds
    last_seen: float


def key(finding: dict[str, Any]) -> tuple[str, str]:
    if finding["kind"] == "shared-resource" and finding.get("tests"):
        return "shared-resource", " + ".join(sorted(finding["tests"]))
    return str(finding["kind"]), str(finding["test"])


def compare(
    findings: Sequence[dict[str, Any]], now: float, partial: bool, earlier: Sequence[Session]
) -> list[Change]:
    """This scan's ``findings`` against ``earlier`` audits and scans (oldest first): the last
    complete-or-not scan is the one compared with."""
    scans = [s for s in earlier if s.kind == "scan"]
    previous = {key(f): f for f in scans[-1].findings} if scans else {}
    first: dict[tuple[str, str], float] = {}
    last: dict[tuple[str, str], float] = {}
    for session in earlier:
        for finding in session.findings:
            first.setdefault(key(finding), session.time)
            last[key(finding)] = session.time
    changes = []
    current = {key(f): f for f in findings}
    for name, finding in current.items():
        status: Status = "persisting" if name in previous else "new"
        changes.append(Change(status, finding, first.get(name, now), now))
    for name, finding in previous.items():
        if name not in current:
            gone: Status = "unconfirmed" if partial else "resolved"
            changes.append(Change(gone, finding, first.get(name, now), last.get(name, now)))
    order = {"new": 0, "persisting": 1, "unconfirmed": 2, "resolved": 3}
    changes.sort(key=lambda c: (order[c.status], key(c.finding)))
    return changes
