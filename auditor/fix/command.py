"""``auditor fix``: apply the fixes of an audit, prove each one, revert what is not proven.

For each finding of ``audit.json``: run its codemods, check every rewritten file compiles and its
tests still assert what they did, write the files atomically, re-run the finding's evidence, and
keep the rewrite only when the evidence passes; otherwise restore the files and try the fallback
(a keyed ``serial`` mark for a shared file the tests do not spell themselves). Then register the
``serial`` marker if a mark was added, and run the whole selection in random orders on one and two
workers. Everything goes to ``fix.json``.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from auditor import select
from auditor.fix import chdir, environ, files, module_globals, serial, tmp_path
from auditor.fix.plan import Edit, Fix, Plan, plan
from auditor.fix.source import Outcome, Target, parse
from auditor.report import write_json
from auditor.runner import child_env
from auditor.verify import Run, Verifier, assertions_kept, closing_runs, same_tests

SCHEMA = "auditor.fix/1"


class FixExit:
    """``auditor fix`` / ``migrate`` exit codes (pre-commit's convention for changed files)."""

    OK = 0  #: nothing left to fix, no file changed
    CHANGED = 1  #: files changed, or findings remain
    USAGE = 2  #: bad arguments or no usable audit; also an interrupted fix
    INTERNAL = 3  #: a bug in auditor


class UsageError(Exception):
    """What the user must change before ``fix`` can run; the message says what."""


@dataclass(frozen=True)
class FixOptions:
    root: Path
    selection: select.Selection
    report_dir: Path
    audit: Path  #: the audit.json to apply
    dry_run: bool = False  #: print the diffs, write nothing, run nothing
    force: bool = False  #: also rewrite files with uncommitted changes
    closing_seeds: int = 2  #: random orders of the closing campaign (each on 1 and 2 workers)
    seed: int | None = None
    pytest_args: tuple[str, ...] = ()
    pytest_major: int | None = None  #: the project's pytest (None: the one installed here)


@dataclass
class _Applied:
    """One attempted fix, as fix.json lists it."""

    fix: Fix
    status: str = "unfixable"  #: kept | reverted | already | unfixable | skipped | proposed
    reason: str = ""
    edits: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  #: path → (before, after)
    runs: list[Run] = field(default_factory=list)
    instead_of: str = ""

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kind": self.fix.kind,
            "test": self.fix.test,
            "fix": self.fix.summary,
            "status": self.status,
            "reason": self.reason or None,
            "files": sorted(self.changed),
            "edits": self.edits,
            "verification": {
                "evidence": self.fix.evidence.describe(),
                "runs": [run.entry() for run in self.runs],
            },
        }
        if self.instead_of:
            entry["instead_of"] = self.instead_of
        return entry


def load_audit(path: Path) -> list[dict[str, Any]]:
    """The findings of an audit report; UsageError when it is missing or not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path} does not exist: run `auditor audit` first, or name the report with --from"
        ) from None
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{path} is not a readable audit report ({exc}); rerun `auditor audit`"
        ) from None
    if not isinstance(data, dict) or data.get("schema") != "auditor.audit/1":
        raise UsageError(f"{path} is not an auditor.audit/1 report; rerun `auditor audit`")
    return list(data.get("findings", []))


class Fixer:
    """Applies a plan's fixes to the project, one verified fix at a time."""

    def __init__(self, options: FixOptions, verifier: Verifier, out: IO[str]) -> None:
        self.options = options
        self.root = options.root
        self.verifier = verifier
        self.out = out
        self.texts: dict[str, str] = {}  # path → current text (what is on disk, or proposed)
        self.ours: set[str] = set()  # files this fix wrote: their changes are ours
        self.blocked: dict[str, str] = {}  # path → why it is left alone
        self.applied: list[_Applied] = []
        self.marker: dict[str, Any] | None = None

    # -- one fix -----------------------------------------------------------------------------

    def attempt(self, fix: Fix) -> _Applied:
        applied = self._attempt(fix)
        self.applied.append(applied)
        self._say(applied)
        if applied.status in ("reverted", "unfixable") and fix.fallback is not None:
            fallback = self._attempt(fix.fallback)
            fallback.instead_of = fix.summary
            self.applied.append(fallback)
            self._say(fallback)
            return fallback
        return applied

    def _attempt(self, fix: Fix) -> _Applied:
        applied = _Applied(fix)
        before: dict[str, str] = {}
        for edit in fix.edits:
            target = Target.of(edit.test)
            why = self._usable(target.path)
            if why:
                applied.edits.append(_edit(edit, "skipped", why))
                continue
            text = self.texts[target.path]
            outcome = self._codemod(edit, target, text)
            applied.edits.append(_edit(edit, outcome.status, outcome.reason, outcome.statements))
            if outcome.status != "changed":
                continue
            lost = assertions_kept(text, outcome.code, target) or same_tests(text, outcome.code)
            if lost or not _compiles(outcome.code, target.path):
                applied.edits[-1].update(status="unfixable", reason=lost or "does not compile")
                continue
            before.setdefault(target.path, text)
            self.texts[target.path] = outcome.code
        applied.changed = {p: (b, self.texts[p]) for p, b in before.items() if b != self.texts[p]}
        statuses = {e["status"] for e in applied.edits}
        if not applied.changed:
            applied.status = "already" if statuses == {"already"} else _worst(statuses)
            applied.reason = "; ".join(e["reason"] for e in applied.edits if e["reason"])
            if applied.status == "already" and not self.options.dry_run:
                self._recheck(applied)
            return applied
        if self.options.dry_run:
            applied.status = "proposed"
            return applied
        return self._prove(applied)

    def _prove(self, applied: _Applied) -> _Applied:
        try:
            for path, (_, after) in applied.changed.items():
                files.write_atomically(self.root / path, after)
                self.ours.add(path)
            applied.runs = self.verifier.prove(applied.fix.evidence)
        except BaseException:  # Ctrl-C included: every file back to what it was
            self._restore(applied)
            raise
        failed = next((run for run in applied.runs if not run.passed), None)
        if failed is None:
            applied.status = "kept"
            return applied
        self._restore(applied)
        applied.status = "reverted"
        applied.reason = f"the evidence still fails: {failed.command}" + (
            f" ({failed.reason.splitlines()[0]})" if failed.reason else ""
        )
        return applied

    def _recheck(self, applied: _Applied) -> None:
        """An "already fixed" claim stands only if the evidence passes (the leak may be in a
        helper the rewritten test still calls)."""
        applied.runs = self.verifier.prove(applied.fix.evidence)
        failed = next((run for run in applied.runs if not run.passed), None)
        if failed is not None:
            applied.status = "unfixable"
            applied.reason = f"already rewritten, yet the evidence still fails: {failed.command}"

    def _restore(self, applied: _Applied) -> None:
        for path, (old, _) in applied.changed.items():
            files.write_atomically(self.root / path, old)
            self.texts[path] = old

    def _codemod(self, edit: Edit, target: Target, text: str) -> Outcome:
        rewrite: dict[str, Callable[[], Outcome]] = {
            "environ": lambda: environ.rewrite(text, target),
            "chdir": lambda: chdir.rewrite(text, target),
            "module_globals": lambda: module_globals.rewrite(text, target, edit.fixtures),
            "tmp_path": lambda: tmp_path.rewrite(text, target, edit.path),
            "serial": lambda: serial.rewrite(text, target, edit.keys),
            "fixture": lambda: self._fixture(edit, target, text),
        }
        return rewrite[edit.codemod]()

    def _fixture(self, edit: Edit, target: Target, text: str) -> Outcome:
        setter = Target.of(edit.setter)
        if setter.path != target.path and self._usable(setter.path):
            return Outcome(text, "unfixable", f"cannot read {setter.path}")
        setter_code = self.texts.get(setter.path, text)
        from auditor.fix import fixture as fixture_codemod

        return fixture_codemod.rewrite(text, target, setter_code, setter)

    def _usable(self, path: str) -> str:
        """Why the file ``path`` is left alone, or "" when it may be rewritten."""
        if path in self.texts:
            return ""
        if path not in self.blocked:
            self.blocked[path] = self._check(path)
        return self.blocked[path]

    def _check(self, path: str) -> str:
        full = self.root / path
        if not full.is_file():
            return f"{path} does not exist (moved since the audit?)"
        if not self.options.force and path not in self.ours:
            why = files.uncommitted(full)
            if why:
                return f"{path}: {why}; commit it first, or pass --force"
        text = files.read(full)
        if isinstance(parse(text), Outcome):
            return f"{path} does not parse: fix its syntax, then rerun"
        self.texts[path] = text
        return ""

    # -- after the fixes -----------------------------------------------------------------------

    def register_marker(self) -> None:
        """Register ``serial`` in the project's pytest configuration if a mark was added."""
        marked = any(
            e["codemod"] == "serial" and e["status"] == "changed"
            for a in self.applied
            if a.status in ("kept", "proposed")
            for e in a.edits
        )
        if not marked:
            return
        from auditor.fix import markers

        try:
            registration = markers.serial_registration(self.root, self.options.pytest_major)
        except markers.ConfigError as exc:
            self.marker = {"file": None, "status": "skipped", "reason": str(exc)}
            return
        name = str(registration.path.relative_to(self.root))
        self.marker = {"file": name, "status": "present", "reason": None}
        if not registration.changed:
            return
        self.marker["status"] = "proposed" if self.options.dry_run else "added"
        if self.options.dry_run:
            print(files.diff(name, registration.before or "", registration.after), file=self.out)
            return
        if registration.before is not None and not self.options.force:
            why = files.uncommitted(registration.path)
            if why:
                self.marker.update(status="skipped", reason=f"{name}: {why}; register by hand")
                return
        files.write_atomically(registration.path, registration.after)
        self.ours.add(name)
        print(f"Registering the serial marker in {name}", file=self.out)

    def changed_files(self) -> list[str]:
        kept = (a for a in self.applied if a.status in ("kept", "proposed"))
        return sorted({path for applied in kept for path in applied.changed})

    def _say(self, applied: _Applied) -> None:
        fix = applied.fix
        if applied.status == "proposed":
            for path, (before, after) in applied.changed.items():
                print(files.diff(path, before, after), end="", file=self.out)
            return
        if applied.status == "kept":
            for path in applied.changed:
                print(f"Rewriting {path}", file=self.out)
        detail = f" ({applied.reason})" if applied.reason and applied.status != "kept" else ""
        print(f"-> {applied.status}: {fix.test}: {fix.summary}{detail}", file=self.out)


def _edit(edit: Edit, status: str, reason: str, statements: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "codemod": edit.codemod,
        "test": edit.test,
        "status": status,
        "reason": reason or None,
        "statements": list(statements),
    }


def _worst(statuses: set[str]) -> str:
    return "skipped" if "skipped" in statuses else "unfixable"


def _compiles(code: str, path: str) -> bool:
    try:
        compile(code, path, "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def fix(options: FixOptions, out: IO[str] = sys.stdout) -> int:
    """Apply the audit's fixes; write fix.json; the exit code of :class:`FixExit`."""
    try:
        findings = load_audit(options.audit)
    except UsageError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return FixExit.USAGE
    fixes = plan(findings)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    with open(options.report_dir / "fix.log", "w", encoding="utf-8") as log:
        verifier = Verifier(options.root, child_env(), options.pytest_args, log)
        fixer = Fixer(options, verifier, out)
        closing: list[Run] = []
        interrupted = False
        try:
            for each in fixes.fixes:
                fixer.attempt(each)
            fixer.register_marker()
            if fixer.changed_files() and not options.dry_run and options.closing_seeds:
                closing = _closing(options, verifier, fixes, out)
        except KeyboardInterrupt:
            interrupted = True
            print("auditor: interrupted; every file is either as it was or fully fixed", file=out)
    report = _report(options, fixes, fixer, closing, interrupted)
    write_json(options.report_dir / "fix.json", report)
    _summary(report, out)
    if interrupted:
        return FixExit.USAGE
    left = report["files_changed"] or report["remaining"] or report["quarantine"]
    return FixExit.CHANGED if left else FixExit.OK


def _closing(options: FixOptions, verifier: Verifier, fixes: Plan, out: IO[str]) -> list[Run]:
    rng = random.Random(options.seed)
    seeds = [rng.randrange(2**32) for _ in range(options.closing_seeds)]
    print(
        f"closing campaign: {len(seeds)} random orders x 1 and 2 workers on the whole selection",
        file=out,
        flush=True,
    )
    runs = closing_runs(verifier, options.selection.args, seeds, fixes.quarantine)
    for run in runs:
        verdict = "passed" if run.passed else f"FAILED {' '.join(run.failed) or ''}".rstrip()
        print(f"  {verdict}: {run.command}", file=out, flush=True)
    return runs


def _report(
    options: FixOptions, fixes: Plan, fixer: Fixer, closing: list[Run], interrupted: bool
) -> dict[str, Any]:
    remaining = [{"kind": k, "test": t, "why": why} for k, t, why in fixes.remaining]
    settled = {a.fix.test for a in fixer.applied if a.status in ("kept", "already", "proposed")}
    for applied in fixer.applied:
        if applied.fix.test not in settled and applied.fix.fallback is None:
            why = applied.reason or applied.status
            remaining.append({"kind": applied.fix.kind, "test": applied.fix.test, "why": why})
    remaining.extend(_closing_failures(closing))
    return {
        "schema": SCHEMA,
        "from": str(options.audit),
        "dry_run": options.dry_run,
        "interrupted": interrupted,
        "files_changed": fixer.changed_files(),
        "fixes": [a.entry() for a in fixer.applied],
        "skipped_files": [{"path": p, "reason": r} for p, r in sorted(fixer.blocked.items()) if r],
        "marker": fixer.marker,
        "quarantine": list(fixes.quarantine),
        "remaining": remaining,
        "closing": {
            "runs": [run.entry() for run in closing],
            "passed": all(run.passed for run in closing) if closing else None,
        },
    }


def _closing_failures(closing: list[Run]) -> list[dict[str, Any]]:
    """One entry per test that failed in the closing campaign (or per run failing as a whole)."""
    failures: dict[str, list[Run]] = {}
    for run in closing:
        if not run.passed:
            for test in run.failed or (
                "(the run itself: " + (run.reason or "pytest failed") + ")",
            ):
                failures.setdefault(test, []).append(run)
    return [
        {
            "kind": "closing-run",
            "test": test,
            "why": f"failed in {len(runs)} of {len(closing)} closing runs, e.g. "
            f"`{runs[0].command}`; audit it again (`auditor audit`)",
        }
        for test, runs in failures.items()
    ]


def _summary(report: dict[str, Any], out: IO[str]) -> None:
    changed = list(report["files_changed"])
    marker = report["marker"] or {}
    if marker.get("status") in ("added", "proposed"):
        changed.append(f"{marker['file']} (the serial marker)")
    verb = "would change" if report["dry_run"] else "changed"
    print(f"{len(changed)} files {verb}: {', '.join(changed) or 'none'}", file=out)
    for test in report["quarantine"]:
        print(f"quarantined (non-deterministic, never rewritten): {test}", file=out)
    for item in report["remaining"]:
        print(f"remains: {item['test']}: {item['why']}", file=out)
