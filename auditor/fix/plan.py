"""From the audit's findings to fixes: which codemod rewrites which test, and the evidence that
must pass afterwards (the fix table of DESIGN.md).

An order-dependent finding whose state the audit named gets, in turn: the codemods that rewrite
the writes its polluters spell (``os.environ[K] = V``, ``os.chdir``, ``mod.X = v``); the
polluters saving the named state when they start and putting it back when they end, wherever
they write it (``restore``: first, when no named state is one a polluter can spell); and, when
a polluter cannot be changed, the victim resetting that state in its own setup (``defend``).
Last, when the audit found a cleaner (a test that, run between them, makes the victim pass: it
resets the state through the library's own API, ``container.clear()``), the victim requests
the cleaner's setup as a fixture (``cleanup``): the only fix when the footprint could not name
the state (a library's internals outside the project), and the one every fix before it falls
back to when unproven (a reverted restore too: the state was more than its name).
Never a ``serial`` mark, a skip or an xfail for an order dependence.

Pure: it takes the findings of ``audit.json`` as records (:func:`auditor.findings.load_findings`
validated them) and returns records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from auditor.findings import Finding, FindingKind
from auditor.fix.state import slot

Codemod = Literal[
    "environ",
    "chdir",
    "module_globals",
    "tmp_path",
    "serial",
    "fixture",
    "restore",
    "defend",
    "cleanup",
    "hoist",
]
EvidenceKind = Literal["order", "alone", "corun"]

#: state types → the codemods that undo them in a polluter
_BY_STATE: dict[str, tuple[Codemod, ...]] = {
    "env": ("environ",),
    "cwd": ("chdir",),
    "global": ("module_globals",),
    "fixture": ("module_globals",),
}
_REWRITABLE_RESOURCES = ("file", "sqlite")  # a path the test may spell: tmp_path
_RESTORABLE = ("env", "cwd", "global")  #: state types the restore codemod saves and puts back
#: when a fix is not proven (or cannot be made), its fallback is tried
_UNPROVEN = ("reverted", "unfixable")


@dataclass(frozen=True)
class Edit:
    """One codemod applied to one test."""

    codemod: Codemod
    test: str  #: node id of the test rewritten
    path: str = ""  #: tmp_path: the path to move under tmp_path
    keys: tuple[str, ...] = ()  #: serial: resource keys (none: exclusive)
    fixtures: tuple[str, ...] = ()  #: module_globals: shared fixtures the test mutates
    setter: str = ""  #: fixture, cleanup: the state-setter (cleaner) whose setup becomes a fixture
    state: tuple[str, ...] = ()  #: restore, defend: the ``TYPE:NAME`` entries to put back


@dataclass(frozen=True)
class Evidence:
    """What must pass once the fix is in: an order, a test alone, or tests run together."""

    kind: EvidenceKind
    tests: tuple[str, ...]

    def describe(self) -> str:
        if self.kind == "order":
            return "in order: " + " ".join(self.tests)
        if self.kind == "alone":
            return f"alone: {self.tests[0]}"
        return "together on 2 workers: " + " ".join(self.tests)


@dataclass(frozen=True)
class Fix:
    """The fix for one finding: edits, the evidence that proves them, a fallback if unproven."""

    kind: FindingKind  #: the finding's kind
    test: str  #: the finding's test
    summary: str  #: what the fix does, for people
    edits: tuple[Edit, ...]
    evidence: Evidence
    fallback: Fix | None = field(default=None)
    #: the statuses of this fix after which the fallback is tried
    fallback_on: tuple[str, ...] = _UNPROVEN
    #: attributes its evidence found absent as a polluter started (restored absence-aware)
    absent: frozenset[str] = frozenset()
    #: a TestCase's restore (or a victim's reset) made in its class's ``setUpClass``
    #: (``cls.addClassCleanup``): its evidence failed with the statements in ``setUp`` or the
    #: test, which run after the class's setup
    whole_class: bool = False


@dataclass(frozen=True)
class Plan:
    fixes: tuple[Fix, ...]
    quarantine: tuple[str, ...]  #: non-deterministic tests: reported, never rewritten
    remaining: tuple[tuple[str, str, str], ...]  #: (kind, test, why) findings no fix addresses


def plan(findings: Sequence[Finding], latent: Mapping[str, Sequence[str]] | None = None) -> Plan:
    """The fixes for the findings of an audit, in the report's order. ``latent``: per resource,
    every test whose footprint uses it (the report's ``latent`` entries): a ``serial`` fix marks
    them too."""
    fixes: list[Fix] = []
    quarantine: list[str] = []
    remaining: list[tuple[str, str, str]] = []
    for finding in findings:
        if finding.kind == "non-deterministic":
            quarantine.append(finding.test)
            continue
        made = _fix(finding, latent or {})
        if isinstance(made, Fix):
            fixes.append(made)
        else:
            remaining.append((finding.kind, finding.test, made))
    return Plan(tuple(fixes), tuple(quarantine), tuple(remaining))


def _fix(finding: Finding, latent: Mapping[str, Sequence[str]]) -> Fix | str:
    """A fix for one finding, or why there is none."""
    kind, test = finding.kind, finding.test
    if kind == "order-dependent":
        if not finding.polluters and finding.sequence == (test,):
            return (
                "fails once another module is collected, whose import changes what it reads (the "
                "audit's note and reproduce command name the module): no test to rewrite; move "
                "that change out of the import, into a fixture of the tests that need it"
            )
        made = _order_dependent(test, finding.polluters, finding.state)
        return _then_cleanup(made, test, finding.polluters, finding.cleaners)
    if kind == "brittle":
        return _brittle(test, finding.state_setters, finding.state)
    if kind == "shared-resource":
        return _shared(test, finding.tests or (test,), finding.resources, latent)
    if kind == "failing":
        return "fails in every run, alone too: not an isolation problem (never rewritten)"
    return f"no fix for {kind!r} findings"


def _order_dependent(test: str, polluters: Sequence[str], state: Sequence[str]) -> Fix | str:
    if not polluters:
        return "its polluter was not found; rerun the audit with a larger --budget"
    spelled = [entry for entry in state if _spelled(entry)]
    codemods: list[Codemod] = []
    for kind in {entry.split(":", 1)[0] for entry in spelled}:
        codemods.extend(c for c in _BY_STATE.get(kind, ()) if c not in codemods)
    if not state:  # the footprint did not see the state: try every monkeypatch codemod
        codemods = ["environ", "chdir", "module_globals"]
    named = tuple(e for e in state if _restorable(e))
    restore = _restore(test, polluters, named) if named else None
    if not codemods:
        if restore is not None:
            return restore
        leaked = ", ".join(state)
        return f"no codemod undoes {leaked}; restore it in the polluter (serial does not help)"
    fixtures = tuple(e.split(":", 1)[1] for e in state if e.startswith("fixture:"))
    edits = tuple(Edit(c, p, fixtures=fixtures) for p in polluters for c in sorted(codemods))
    what = ", ".join(state) or "the state it changes"
    return Fix(
        "order-dependent",
        test,
        f"the polluter restores {what} through monkeypatch",
        edits,
        Evidence("order", (*polluters, test)),
        fallback=restore,
        # a polluter's file that is left alone (it does not parse): the victim defends itself
        fallback_on=(*_UNPROVEN, "skipped"),
    )


def _then_cleanup(
    made: Fix | str, test: str, polluters: Sequence[str], cleaners: Sequence[str]
) -> Fix | str:
    """``made``, with the cleaner's setup as the victim's fixture at the end of its fallbacks
    (or instead of it, when nothing else fixes it)."""
    if not cleaners or not polluters:
        return made
    cleanup = Fix(
        "order-dependent",
        test,
        f"the victim runs the setup of {cleaners[0]}, which undoes the leak, as a fixture first",
        (Edit("cleanup", test, setter=cleaners[0]),),
        Evidence("order", (*polluters, test)),
    )
    if isinstance(made, str):
        return cleanup
    return _last(made, cleanup)


def _last(fix: Fix, fallback: Fix) -> Fix:
    """``fix`` with ``fallback`` tried after its last fallback, every link of the chain falling
    back on every unproven status (a restore of the named state that does not make the victim
    pass: the state is more than its name, as a memo cache's content behind a binding)."""
    on = tuple(dict.fromkeys((*fix.fallback_on, *_UNPROVEN, "skipped")))
    after = fallback if fix.fallback is None else _last(fix.fallback, fallback)
    return replace(fix, fallback=after, fallback_on=on)


def _spelled(entry: str) -> bool:
    """Can a polluter write this state in a statement a codemod rewrites (``os.environ[K] =``,
    ``os.chdir``, ``mod.X =``)? Not the standard library's state (a logger's level, sys.path)."""
    kind, _, name = entry.partition(":")
    if kind == "fixture":  # its value, not the file at its path (``NAME.read_bytes()``)
        return name.isidentifier()
    if kind != "global":
        return kind in _BY_STATE
    named = slot(entry)
    return not isinstance(named, str) and not named.module  # a project's name


def _restorable(entry: str) -> bool:
    """Can the restore codemod save this state and put it back: the process's, and the file
    at a wider-scoped fixture's path (``fixture:NAME.read_bytes()``)?"""
    kind = entry.split(":", 1)[0]
    return kind in _RESTORABLE or (kind == "fixture" and not _spelled(entry))


def _restore(test: str, polluters: Sequence[str], state: tuple[str, ...]) -> Fix:
    """The polluters save ``state`` and put it back; if they cannot change, the victim resets it."""
    what = ", ".join(state)
    evidence = Evidence("order", (*polluters, test))
    victim = Fix(
        "order-dependent",
        test,
        f"the victim resets {what} to its value before any test ran, in its own setup",
        (Edit("defend", test, state=state),),
        evidence,
    )
    return Fix(
        "order-dependent",
        test,
        f"the polluter saves {what} when it starts and puts it back when it ends",
        tuple(Edit("restore", p, state=state) for p in polluters),
        evidence,
        fallback=victim,
        # only when a polluter cannot be changed: reverted, the state named was not all of it
        fallback_on=("unfixable", "skipped"),
    )


def _brittle(test: str, setters: Sequence[str], state: Sequence[str]) -> Fix | str:
    if not setters:
        return "its state-setter was not found: nothing says what the test relies on"
    alone = Evidence("alone", (test,))
    # A state-setter of the same class sets the state up in the setUp they share, too late.
    same_class = test.rsplit("::", 1)[0] == setters[0].rsplit("::", 1)[0] and test.count("::") > 1
    hoist = (
        Fix(
            "brittle",
            test,
            f"the setUp of its class writes {', '.join(state)} first, before what reads it",
            (Edit("hoist", test, setter=setters[0], state=tuple(state)),),
            alone,
        )
        if same_class and state
        else None
    )
    return Fix(
        "brittle",
        test,
        f"the setup of {setters[0]} becomes a fixture the test requests",
        (Edit("fixture", test, setter=setters[0]),),
        alone,
        fallback=hoist,
    )


def _shared(
    test: str,
    tests: Sequence[str],
    resources: Sequence[str],
    latent: Mapping[str, Sequence[str]],
) -> Fix:
    together = Evidence("corun", tuple(tests))
    keys = tuple(resources)
    # Every test whose footprint uses the resource holds its key too, not only the pair that
    # clashed: under xdist any two of them can (knack: 138 tests remake /tmp/knack_temp; the
    # 61 pairs the audit saw clash marked 67, and -n 2 still failed 8 to 13 of the rest).
    marked = tuple(dict.fromkeys([*tests, *(t for key in keys for t in latent.get(key, ()))]))
    more = len(marked) - len(tests)
    also = f", and {more} more tests whose footprints use it" if more else ""
    serial = Fix(
        "shared-resource",
        test,
        f"serial({', '.join(keys)}): never run at the same time{also}"
        if keys
        else "serial: each runs alone (the shared resource is unknown)",
        tuple(Edit("serial", t, keys=keys) for t in marked),
        together,
    )
    paths = [r.split(":", 1)[1] for r in resources if r.split(":", 1)[0] in _REWRITABLE_RESOURCES]
    if not paths or len(paths) != len(resources):
        return serial
    edits = tuple(Edit("tmp_path", t, path=p) for p in paths for t in tests)
    return Fix(
        "shared-resource",
        test,
        f"each test writes its own copy of {', '.join(paths)} under tmp_path",
        edits,
        together,
        fallback=serial,
    )
