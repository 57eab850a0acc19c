"""Apply one planned fix: rewrite, check, write, prove; restore what is not proven.

:func:`rewrite` runs a fix's codemods on the workspace's texts and keeps an edit only when the
file still compiles and the test still asserts what it did. :class:`Applier` writes the result,
re-runs the finding's evidence, and keeps the rewrite only when every run passes; otherwise (or
on Ctrl-C) it restores the files byte for byte, then tries the fix's fallback. A restore whose
evidence failed on an attribute it saves (``AttributeError: … has no attribute 'a'``: the
polluter creates it) is made once more first, saving that attribute's absence; a restore (or a
victim's reset) of a ``TestCase`` whose evidence failed is made once more in its class's
``setUpClass`` (``cls.addClassCleanup``), and kept only when that passes. A finding whose
evidence passes before its rewrite, after a fix kept earlier in the run on a test or state in
common, is settled by that fix. Each attempt is an :class:`Applied` record, as ``fix.json``
lists it. :func:`register_serial` registers the
marker once a ``serial`` mark was added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Literal

from auditor.fix import chdir, environ, files, hoist, module_globals, serial, state, tmp_path
from auditor.fix.plan import Edit, Evidence, Fix
from auditor.fix.source import Outcome, Target
from auditor.fix.workspace import Workspace
from auditor.verify import Run, Verifier, assertions_kept, same_tests

#: the reasons of a fix's edits said at most, the rest counted
_REASONS = 5
Status = Literal["kept", "reverted", "already", "unfixable", "skipped", "proposed"]
SETTLED: frozenset[Status] = frozenset({"kept", "already", "proposed"})


@dataclass(frozen=True)
class EditResult:
    """What one codemod did to one test."""

    edit: Edit
    status: str  #: changed | already | unfixable | skipped
    reason: str = ""
    statements: tuple[str, ...] = ()  #: the statements rewritten, as they were written


@dataclass(frozen=True)
class Applied:
    """One attempted fix."""

    fix: Fix
    status: Status
    reason: str = ""
    edits: tuple[EditResult, ...] = ()
    changed: Mapping[str, tuple[str, str]] = field(default_factory=dict)  #: path → (before, after)
    runs: tuple[Run, ...] = ()  #: the verification runs
    instead_of: str = ""  #: the summary of the fix this one is the fallback of

    @property
    def settled(self) -> bool:
        """The finding needs nothing more (fixed, already fixed, or fixed in the proposal)."""
        return self.status in SETTLED


@dataclass(frozen=True)
class Marker:
    """Where the ``serial`` marker is registered, and whether this fix did it."""

    file: str | None  #: relative to the project; None when no file could be edited
    status: Literal["present", "added", "proposed", "skipped"]
    reason: str | None = None


class Applier:
    """Applies fixes to a workspace, each one proven by its evidence or restored."""

    def __init__(self, workspace: Workspace, verifier: Verifier, dry_run: bool, out: IO[str]):
        self.workspace = workspace
        self.verifier = verifier
        self.dry_run = dry_run  #: propose (print the diff), write and run nothing
        self.out = out
        #: each finding's evidence run as the files were: None when it failed, else the command
        self._before: dict[Evidence, str | None] = {}
        self._kept: list[Fix] = []  #: the fixes kept so far in this run

    def attempt(self, fix: Fix) -> tuple[Applied, ...]:
        """The fix, then its fallback when the fix ended as its ``fallback_on`` says (could not
        be made or proven), and so on down the chain. The last attempt is recorded without the
        fallback it did not try: it is the last word on the finding.

        A fallback an earlier ``auditor fix`` kept is where it starts (``already``, rechecked by
        its evidence): the fixes before it in the chain failed then, and may pass now only
        thanks to it (a restore beside the cleaner's fixture the victim already requests)."""
        fix = self._kept_before(fix) or fix
        tried = [self._attempt(fix)]
        _say(tried[0], self.out)
        after = self._fallback(fix, tried[0].status)
        while after is not None:
            tried.append(replace(self._attempt(after), instead_of=fix.summary))
            _say(tried[-1], self.out)
            fix, after = after, self._fallback(after, tried[-1].status)
        last = tried[-1]
        tried[-1] = replace(last, fix=replace(last.fix, fallback=None))
        return tuple(tried)

    def _kept_before(self, fix: Fix) -> Fix | None:
        """The first fallback of ``fix`` whose rewrite is already in place, if any; the texts
        are left as they were."""
        link = fix.fallback
        while link is not None:
            paths = {Target.of(edit.test).path for edit in link.edits}
            saved = {
                path: self.workspace.text(path) for path in paths if not self.workspace.usable(path)
            }
            probe = rewrite(link, self.workspace)
            for path, text in saved.items():
                self.workspace.propose(path, text)
            if probe.status == "already":
                return link
            link = link.fallback
        return None

    def _fallback(self, fix: Fix, status: str) -> Fix | None:
        """The fallback to try after ``fix`` ended with ``status``, passing over those whose
        files are all left alone (they would be skipped); none when the finding did not
        reproduce (:meth:`_reproduced`)."""
        if self._before.get(fix.evidence):
            return None
        while fix.fallback is not None and status in fix.fallback_on:
            fix = fix.fallback
            paths = {Target.of(edit.test).path for edit in fix.edits}
            if not all(self.workspace.usable(path) for path in paths):
                return fix
            status = "skipped"
        return None

    def _attempt(self, fix: Fix) -> Applied:
        applied = rewrite(fix, self.workspace)
        if self.dry_run:
            return applied
        if applied.status == "already":
            return self._recheck(applied)
        if not applied.changed:
            return applied
        passing = self._reproduced(fix)
        if passing is not None:
            for path, (before, _) in applied.changed.items():
                self.workspace.propose(path, before)  # nothing was written: the texts back
            earlier = next((kept for kept in self._kept if _overlap(kept, fix)), None)
            if earlier is not None:  # config-better: one class's restore fixed 12 victims
                why = f"its evidence passes after an earlier fix of this run: {earlier.summary}"
                return replace(applied, status="already", reason=why, changed={}, runs=())
            return replace(applied, status="skipped", reason=passing, changed={}, runs=())
        proven = self._prove(applied)
        absent = _absent(proven, fix)
        if absent:
            # The save itself failed: an attribute the polluter creates, absent as it starts.
            # Once more, saving its absence (only now: most attributes exist, and the plain
            # form is the shorter one).
            return self._attempt(replace(fix, absent=fix.absent | absent))
        if proven.status == "reverted" and not fix.whole_class and _restores(fix):
            # Saved in setUp, the state may have been changed already: by the class's
            # setUpClass, which runs first. Once more, in setUpClass, for the whole class
            # (only now: a restore around each test is the finer one).
            wider = self._attempt(replace(fix, whole_class=True))
            if wider.status == "kept":
                return wider
        if proven.status == "kept":
            self._kept.append(proven.fix)
        return proven

    def _reproduced(self, fix: Fix) -> str | None:
        """None when ``fix``'s evidence fails as the files are (what a rewrite that makes it
        pass proves something by); else why nothing is rewritten. Run once for a finding
        (its fallbacks have its evidence); a clash on two workers depends on timing, and is
        not run first."""
        evidence = fix.evidence
        if evidence.kind == "corun":
            return None
        if evidence not in self._before:
            runs = self.verifier.prove(evidence)
            passed = all(run.passed for run in runs)
            self._before[evidence] = runs[-1].command if passed and runs else None
        command = self._before[evidence]
        if command is None:
            return None
        return (
            f"its evidence passes before any rewrite ({command}): the finding does not reproduce "
            "now (an earlier fix of this run, or a change since the audit); audit again"
        )

    def _prove(self, applied: Applied) -> Applied:
        try:
            self.workspace.write(applied.changed)
            runs = tuple(self.verifier.prove(applied.fix.evidence))
        except BaseException:  # Ctrl-C included: every file back to what it was
            self.workspace.restore(applied.changed)
            raise
        failed = next((run for run in runs if not run.passed), None)
        if failed is None:
            return replace(applied, status="kept", runs=runs)
        self.workspace.restore(applied.changed)
        return replace(applied, status="reverted", reason=_unproven(failed), runs=runs)

    def _recheck(self, applied: Applied) -> Applied:
        """An "already fixed" claim stands only if the evidence passes (the leak may be in a
        helper the rewritten test still calls)."""
        runs = tuple(self.verifier.prove(applied.fix.evidence))
        failed = next((run for run in runs if not run.passed), None)
        if failed is None:
            return replace(applied, runs=runs)
        why = f"already rewritten, yet {_unproven(failed)}"
        return replace(applied, status="unfixable", reason=why, runs=runs)


def _overlap(a: Fix, b: Fix) -> bool:
    """Whether two fixes rewrite or prove on a test in common, or put back the same state."""
    tests = {e.test for e in a.edits} | set(a.evidence.tests)
    states = {name for e in a.edits for name in e.state}
    return bool(
        tests & ({e.test for e in b.edits} | set(b.evidence.tests))
        or states & {name for e in b.edits for name in e.state}
    )


def _restores(fix: Fix) -> bool:
    """Whether ``fix`` saves or resets named state (what ``setUpClass`` may change first)."""
    return any(edit.codemod in ("restore", "defend") for edit in fix.edits)


_NO_ATTRIBUTE = re.compile(r"has no attribute '([A-Za-z_]\w*)'")


def _absent(applied: Applied, fix: Fix) -> frozenset[str]:
    """The attributes whose absence as the test started made ``fix``'s evidence fail
    (``AttributeError: … has no attribute 'a'``), which its edits set or save and may set or
    save absence-aware, not already so."""
    failed = next((run for run in applied.runs if not run.passed), None)
    if applied.status != "reverted" or failed is None:
        return frozenset()
    missing = set(_NO_ATTRIBUTE.findall(failed.reason or ""))
    saved = set()
    for edit in fix.edits:
        if edit.codemod == "module_globals":  # monkeypatch.setattr(o, "a", v) of any attribute
            saved |= missing
        elif edit.codemod == "restore":
            slots = [state.slot(name) for name in edit.state]
            saved |= {s.attr for s in slots if not isinstance(s, str) and s.kind == "attr"}
    return frozenset((missing & saved) - fix.absent)


def _unproven(run: Run) -> str:
    """Why a rewrite is not proven: ``hung: …`` first when a test of the evidence hung."""
    detail = run.reason.splitlines()[0] if run.reason else ""
    if run.hung:
        return f"{detail}; the evidence: {run.command}"
    return f"the evidence still fails: {run.command}" + (f" ({detail})" if detail else "")


def rewrite(fix: Fix, workspace: Workspace) -> Applied:
    """Run the fix's codemods on the workspace's texts (which then hold the rewrite).

    ``proposed`` when files changed; otherwise ``already`` when every edit that can be made was
    in place, else ``skipped`` or ``unfixable``, with the edits' reasons.
    """
    results: list[EditResult] = []
    before: dict[str, str] = {}
    for edit in fix.edits:
        result, code = _edit(edit, workspace, fix.absent, fix.whole_class)
        results.append(result)
        if result.status == "changed":
            path = Target.of(edit.test).path
            before.setdefault(path, workspace.text(path))
            workspace.propose(path, code)
    changed = {p: (b, workspace.text(p)) for p, b in before.items() if b != workspace.text(p)}
    if changed:
        return Applied(_chosen(fix, results), "proposed", edits=tuple(results), changed=changed)
    statuses = {result.status for result in results}
    # Every edit that can be made is in place (the others have nothing to rewrite): as when
    # they were made, the evidence decides (a second fix must do what the first one kept).
    done = "already" in statuses and statuses <= {"already", "unfixable"}
    status: Status = "already" if done else "unfixable"
    if "skipped" in statuses:
        status = "skipped"
    # one reason per file left alone, not one per edit of it (a fix edits several polluters)
    reasons = list(dict.fromkeys(result.reason for result in results if result.reason))
    # a serial fix of every test a resource's footprints name: 138 reasons on knack
    more = f"; and {len(reasons) - _REASONS} more" if len(reasons) > _REASONS else ""
    reason = "; ".join(reasons[:_REASONS]) + more
    return Applied(fix, status, reason, tuple(results))


def _chosen(fix: Fix, results: Sequence[EditResult]) -> Fix:
    """The fix, its summary saying what the restore codemods chose (a binding, a container's
    content too…)."""
    told = dict.fromkeys(
        result.reason
        for result in results
        if result.edit.codemod in ("restore", "defend") and result.status == "changed"
    )
    told.pop("", None)
    return replace(fix, summary=f"{fix.summary} ({'; '.join(told)})") if told else fix


def _edit(
    edit: Edit,
    workspace: Workspace,
    absent: frozenset[str] = frozenset(),
    whole_class: bool = False,
) -> tuple[EditResult, str]:
    """One codemod on the workspace's text: its result and the text to keep."""
    target = Target.of(edit.test)
    why = workspace.usable(target.path)
    if why:
        return EditResult(edit, "skipped", why), ""
    text = workspace.text(target.path)
    outcome = _codemod(edit, target, text, workspace, absent, whole_class)
    result = EditResult(edit, outcome.status, outcome.reason, outcome.statements)
    if outcome.status != "changed":
        return result, text
    lost = assertions_kept(text, outcome.code, target) or same_tests(text, outcome.code)
    if lost or not _compiles(outcome.code, target.path):
        return replace(result, status="unfixable", reason=lost or "does not compile"), text
    return result, outcome.code


def _codemod(
    edit: Edit,
    target: Target,
    text: str,
    workspace: Workspace,
    absent: frozenset[str],
    whole_class: bool = False,
) -> Outcome:
    rewrites: dict[str, Callable[[], Outcome]] = {
        "environ": lambda: environ.rewrite(text, target),
        "chdir": lambda: chdir.rewrite(text, target),
        "module_globals": lambda: module_globals.rewrite(text, target, edit.fixtures, absent),
        "tmp_path": lambda: tmp_path.rewrite(text, target, edit.path),
        "serial": lambda: serial.rewrite(text, target, edit.keys),
        "fixture": lambda: _fixture(edit, target, text, workspace),
        "cleanup": lambda: _fixture(edit, target, text, workspace, cleaner=True),
        "restore": lambda: _restore(edit, target, text, workspace, absent, whole_class),
        "defend": lambda: _restore(edit, target, text, workspace, whole_class=whole_class),
        "hoist": lambda: hoist.rewrite(text, target, Target.of(edit.setter), edit.state),
    }
    return rewrites[edit.codemod]()


def _restore(
    edit: Edit,
    target: Target,
    text: str,
    workspace: Workspace,
    absent: frozenset[str] = frozenset(),
    whole_class: bool = False,
) -> Outcome:
    from auditor.fix import library, restore

    chains = [entry.split(":", 1)[1] for entry in edit.state if entry.startswith("global:")]
    known = library.read(workspace.root, chains, target.path)
    if edit.codemod == "defend":
        return restore.defend(text, target, edit.state, known, whole_class)
    return restore.rewrite(text, target, edit.state, known, absent, whole_class)


def _fixture(
    edit: Edit, target: Target, text: str, workspace: Workspace, cleaner: bool = False
) -> Outcome:
    setter = Target.of(edit.setter)
    if setter.path != target.path and workspace.usable(setter.path):
        return Outcome(text, "unfixable", f"cannot read {setter.path}")
    setter_code = text if setter.path == target.path else workspace.text(setter.path)
    from auditor.fix import fixture  # the largest codemod: only when a brittle test needs it

    return fixture.rewrite(text, target, setter_code, setter, cleaner=cleaner)


def _compiles(code: str, path: str) -> bool:
    try:
        compile(code, path, "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def _say(applied: Applied, out: IO[str]) -> None:
    if applied.status == "proposed":
        for path, (before, after) in applied.changed.items():
            print(files.diff(path, before, after), end="", file=out)
        return
    if applied.status == "kept":
        for path in applied.changed:
            print(f"Rewriting {path}", file=out)
    detail = f" ({applied.reason})" if applied.reason and applied.status != "kept" else ""
    print(f"-> {applied.status}: {applied.fix.test}: {applied.fix.summary}{detail}", file=out)


def changed_files(applied: Sequence[Applied]) -> tuple[str, ...]:
    """The files the kept (or proposed) fixes rewrite, by path."""
    settled = (a for a in applied if a.status in ("kept", "proposed"))
    return tuple(sorted({path for each in settled for path in each.changed}))


def serial_added(applied: Sequence[Applied]) -> bool:
    """Whether a kept (or proposed) fix added a ``serial`` mark."""
    return any(
        result.edit.codemod == "serial" and result.status == "changed"
        for each in applied
        if each.status in ("kept", "proposed")
        for result in each.edits
    )


def register_serial(
    workspace: Workspace, pytest_major: int | None, dry_run: bool, out: IO[str]
) -> Marker:
    """Register ``serial`` in the project's pytest configuration (see :mod:`markers`)."""
    from auditor.fix import markers

    try:
        registration = markers.serial_registration(workspace.root, pytest_major)
    except markers.ConfigError as exc:
        return Marker(None, "skipped", str(exc))
    name = str(registration.path.relative_to(workspace.root))
    if not registration.changed:
        return Marker(name, "present")
    if dry_run:
        print(files.diff(name, registration.before or "", registration.after), file=out)
        return Marker(name, "proposed")
    why = workspace.uncommitted(name)
    if why:
        return Marker(name, "skipped", f"{why}; register by hand")
    files.write_atomically(registration.path, registration.after)
    workspace.claim(name)
    print(f"Registering the serial marker in {name}", file=out)
    return Marker(name, "added")
