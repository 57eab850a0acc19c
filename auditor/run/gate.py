"""``auditor run --check-new REF``: the tests added or changed since REF are audited before
the main run, and a finding that involves one of them fails the run.

What keeps isolation debt from coming back after the migration. The changed tests come from the
diff through collection (:mod:`auditor.run.changed`); the audit covers them and the other tests
of their files (a polluter or a victim next door), in the default and reversed orders, ``orders``
random ones, every test alone, and xdist runs on 2 and more workers, and locates each cause as
``auditor audit`` does. A finding blocks when a changed test is its test, one of its polluters or
state-setters, or one of a conflicting pair; older findings in those files are said, not held
against the change. Its report goes to ``REPORT_DIR/check-new/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from auditor import select
from auditor.run.changed import changed_lines, changed_tests
from auditor.runner import collect_only

SUBFOLDER = "check-new"


@dataclass(frozen=True)
class Gate:
    changed: tuple[str, ...]  #: the tests added or changed since the ref
    blocking: tuple[dict[str, Any], ...]  #: audit.json findings that involve one of them
    report: Path | None  #: the gate's audit.json (None when nothing changed)


def check_new(
    root: Path,
    selection: select.Selection,
    ref: str,
    report_dir: Path,
    pytest_args: tuple[str, ...],
    orders: int,
    out: IO[str],
) -> Gate:
    """Audit the tests changed since ``ref`` (see the module docstring)."""
    from auditor.commands.audit import AuditOptions, audit

    changes = changed_lines(root, ref)
    collected = _collected(root, selection, pytest_args, out) if changes else ()
    changed = tuple(changed_tests(collected, changes, root))
    if not changed:
        print(f"check-new: no test added or changed since {ref}", file=out)
        return Gate((), (), None)
    files = {test.partition("::")[0] for test in changed}
    scope = tuple(test for test in collected if test.partition("::")[0] in files)
    print(
        f"check-new: {len(changed)} tests added or changed since {ref}; auditing them with the "
        f"other tests of their files ({len(scope)} tests)",
        file=out,
        flush=True,
    )
    options = AuditOptions(
        root,
        select.Selection(scope, f"--check-new {ref}"),
        report_dir / SUBFOLDER,
        orders=orders,
        pytest_args=pytest_args,
    )
    audited = audit(options, out)
    blocking = tuple(f for f in audited.data["findings"] if _involves(f, set(changed)))
    for finding in audited.data["findings"]:
        verdict = "NOT ISOLATED" if finding in blocking else "older, not blocking"
        print(f"check-new: {verdict}: {finding['kind']}: {finding['test']}", file=out)
        if finding in blocking:
            print(f"  reproduce: {finding['reproduce']}", file=out)
    return Gate(changed, blocking, audited.report)


def _involves(finding: dict[str, Any], changed: set[str]) -> bool:
    named = {finding["test"]}
    for key in ("polluters", "state_setters", "tests"):
        named.update(finding.get(key) or ())
    return bool(named & changed)


def _collected(
    root: Path, selection: select.Selection, pytest_args: Sequence[str], out: IO[str]
) -> tuple[str, ...]:
    result = collect_only(root, (*pytest_args, *selection.args))
    if result.collected is None:
        print("check-new: the selection did not collect; the main run will say why", file=out)
    return result.collected or ()
