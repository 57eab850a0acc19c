"""Stage 5, locate: from a verdict to its cause.

- a victim (``order-dependent``): its **polluters** among the tests that ran before it in the
  failing order, the **state** they leave changed, and its **cleaners**: tests that, run between
  the polluters and the victim, make it pass again;
- a ``brittle`` test: its **state-setters** among the tests that ran before it in an order where
  it passed;
- a failure seen only under xdist whose replay passed: the **co-runner** that makes it fail when
  both run at the same time, and the **resources** they share; no co-runner → it was chance, so
  it is non-deterministic;
- tests whose footprints share a file, SQLite database or port, even where nothing failed:
  co-run, a confirmed pair is a ``shared-resource`` finding, an unconfirmed one a :class:`Latent`.

Every question is one pytest run over an exact order (see :mod:`auditor.locate.search`); the
footprint ranks the candidates so that the usual case takes one or two. Pure: the runs are made
by the ``lab``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from auditor.findings import Finding, SearchCost
from auditor.locate import footprints as fp
from auditor.locate.search import Answer, OutOfRuns, Search, culprits
from auditor.model import Command, Observation, RunOutcome, RunPlan

MAX_CORUNNERS = 8  #: co-runners tried for a failure seen only under xdist
GUESSES = 3  #: ranked candidates tried alone before a search bisects a long prefix
LONG_PREFIX = 32  #: …a prefix longer than this (one more guess per this many tests of it)
MAX_GUESSES = 16  #: at most this many guesses, before a bisection
MORE_POLLUTERS = 8  #: other writers of a victim's state run before it, a run of two tests each


class Lab(Protocol):
    """Where the searches run their experiments."""

    def order(self, ids: tuple[str, ...], target: str) -> tuple[Observation, ...]:
        """The exact order once, with ``target`` rerun from the state just before it."""

    @property
    def staggers(self) -> bool:
        """Whether :meth:`corun` can start the second test later."""

    def corun(self, a: str, b: str, again: bool = False, staggered: bool = False) -> RunOutcome:
        """The two tests at the same time in two processes, a few times (``again``: another
        set of attempts, not the one kept from the first call; ``staggered``: ``b`` started
        halfway through ``a``)."""

    def context(self, test: str, reason: str | None) -> str:
        """The test's code and failure, for ranking (see :func:`footprints.context_of`)."""


@dataclass(frozen=True)
class Latent:
    """Tests that share a resource but never failed when co-run: a conflict waiting to happen."""

    resource: str
    tests: tuple[str, ...]
    coruns: int  #: co-run attempts (they stop at the first in which both pass)


#: kinds whose failures a co-run can attribute to a resource (the others fail alone, or at random)
ATTRIBUTABLE = frozenset({"order-dependent", "shared-resource"})


@dataclass(frozen=True)
class Learnt:
    """What the searches so far found, as (test, times found), most found first: the next
    searches try those first.

    Real suites have dozens of victims of one polluter (a process-global manager): once one
    search found it, each other victim's search confirms it in two short runs, instead of bisecting
    its own failing order again.
    """

    polluters: tuple[tuple[str, int], ...] = ()
    cleaners: tuple[tuple[str, int], ...] = ()
    state_setters: tuple[tuple[str, int], ...] = ()

    def after(self, finding: Finding) -> Learnt:
        return Learnt(
            _count(self.polluters, finding.polluters),
            _count(self.cleaners, finding.cleaners),
            _count(self.state_setters, finding.state_setters),
        )


def _count(
    known: tuple[tuple[str, int], ...], found: tuple[str, ...]
) -> tuple[tuple[str, int], ...]:
    counts = dict(known)
    for test in found:
        counts[test] = counts.get(test, 0) + 1
    return tuple(sorted(counts.items(), key=lambda item: -item[1]))  # stable: ties keep order


def _first(learnt: tuple[tuple[str, int], ...], ranked: Sequence[str]) -> list[str]:
    """What earlier searches found, then the footprint's ranking."""
    known = [test for test, _ in learnt]
    return [*known, *(test for test in ranked if test not in known)]


def locate(
    finding: Finding,
    collected: Sequence[str],
    prints: fp.Footprints,
    outcomes: Sequence[RunOutcome],
    lab: Lab,
    command: Command,
    learnt: Learnt = Learnt(),
    fails_alone: Collection[str] = frozenset(),
) -> Finding:
    """The finding with its cause, searched for as its kind asks; ``outcomes``: the runs so
    far; ``learnt``: what earlier searches found; ``fails_alone``: tests that fail without any
    co-runner (brittle, failing or non-deterministic ones)."""
    if finding.kind == "order-dependent":
        return locate_victim(finding, collected, prints, lab, command, learnt)
    if finding.kind == "brittle":
        passed = passed_after(outcomes, finding.test)
        return locate_brittle(finding, passed, prints, lab, learnt) if passed else finding
    if finding.kind == "shared-resource":
        return locate_corunner(finding, prints, lab, command, fails_alone)
    return finding


def passed_after(outcomes: Sequence[RunOutcome], test: str) -> tuple[str, ...]:
    """The shortest order, a sequential one if any, in which the test passed."""
    passed = [o for o in outcomes if test in o.ran() - o.failed()]
    passed.sort(key=lambda o: (not o.plan.sequential, len(o.prefix(test))))
    return passed[0].prefix(test) if passed else ()


def one_per_pair(findings: Sequence[Finding]) -> list[Finding]:
    """Both tests of a conflict may have failed under xdist: one finding per pair."""
    seen: set[frozenset[str]] = set()
    kept = []
    for finding in findings:
        pair = frozenset(finding.tests)
        if finding.kind == "shared-resource" and pair in seen:
            continue
        seen.add(pair)
        kept.append(finding)
    return kept


def unconfirmed(
    findings: Sequence[Finding], prints: fp.Footprints, collected: Sequence[str]
) -> list[fp.Conflict]:
    """Pairs whose footprints share a resource, but no finding names yet."""
    confirmed = {frozenset(f.tests) for f in findings if f.kind == "shared-resource"}
    return [c for c in fp.conflicts(prints, collected) if frozenset(c.tests) not in confirmed]


def locate_victim(
    finding: Finding,
    selection: Sequence[str],
    prints: fp.Footprints,
    lab: Lab,
    command: Command,
    learnt: Learnt = Learnt(),
) -> Finding:
    """Polluters, their state, and cleaners of an ``order-dependent`` finding."""
    victim, before = finding.test, finding.sequence[:-1]
    if not before:
        return finding

    search = _search_before(
        victim, before, finding.reason, prints, lab, fails=True, learnt=learnt.polluters
    )
    costs = (_cost("polluters", search),)
    if not search.found:
        if search.noisy:  # the same order both failed and passed it
            return _non_deterministic(
                finding, costs, "its polluter search saw the same order both fail and pass it"
            )
        if search.complete:  # the whole failing prefix, replayed, let it pass
            return _non_deterministic(
                finding, costs, "its failing order, replayed, passed: the order does not cause it"
            )
        return replace(finding, searches=costs)
    polluters = tuple(test for test in before if test in search.found)
    state = _state_of(polluters, prints)
    cleaners = _cleaners(victim, polluters, state, selection, prints, lab, learnt.cleaners)
    return replace(
        finding,
        polluters=polluters,
        state=state,
        cleaners=cleaners.found,
        searches=(*costs, _cost("cleaners", cleaners)),
        reproduce=command(RunPlan("replay", ids=(*polluters, victim))),
    )


def more_polluters(
    finding: Finding, selection: Sequence[str], prints: fp.Footprints, lab: Lab
) -> Finding:
    """The victim's other polluters among the tests that write its state, each run alone
    before it (at most ``MORE_POLLUTERS``; those that leave a change a found polluter leaves
    first). Its failing order showed one polluter; a logger's level, a registry or a settings
    object is often set by several tests, in other modules, and a fix must restore every one.

    The reproduce command keeps the polluters the search found; the runs count in the
    polluter search's cost, which is incomplete when writers were left untried.
    """
    if finding.kind != "order-dependent" or not finding.polluters or not finding.state:
        return finding
    victim, polluters = finding.test, finding.polluters
    linked = set(finding.state)
    changes = frozenset(
        mark for test in polluters for mark in prints.marks.get(test, ()) if "#" in mark
    )
    writers = [
        test
        for test in selection
        if test not in (victim, *polluters, *finding.cleaners)
        and prints.state.get(test, frozenset()) & linked
    ]
    alike = [test for test in writers if prints.marks.get(test, frozenset()) & changes]
    # Among many writers (a cache every test fills), only those that leave the same change.
    ranked = (
        alike if len(writers) > LONG_PREFIX else [*alike, *(t for t in writers if t not in alike)]
    )
    if not ranked:
        return finding
    found: list[str] = []
    runs, complete = 0, len(ranked) <= MORE_POLLUTERS
    try:
        for test in ranked[:MORE_POLLUTERS]:
            runs += 1
            if _answer(lab.order((test, victim), victim), effect_is_failure=True) is Answer.EFFECT:
                found.append(test)
    except OutOfRuns:
        runs, complete = runs - 1, False
    costs = tuple(
        replace(cost, runs=cost.runs + runs, complete=cost.complete and complete)
        if cost.looked_for == "polluters"
        else cost
        for cost in finding.searches
    )
    return replace(finding, polluters=(*polluters, *found), searches=costs)


def _cleaners(
    victim: str,
    polluters: tuple[str, ...],
    state: tuple[str, ...],
    selection: Sequence[str],
    prints: fp.Footprints,
    lab: Lab,
    learnt: tuple[tuple[str, int], ...] = (),
) -> Search:
    """Among tests that change the polluters' state (a cleaner must; every test when the
    footprint did not see theirs), those that undo it (the first group only among more than
    ``LONG_PREFIX``)."""
    linked = set(state)
    # A cleaner must change the state, so it has a footprint of it; when the footprint did not
    # see the polluters' state (a library's internals outside the project), every test may be.
    candidates = [
        test
        for test in selection
        if (not linked or prints.state.get(test, frozenset()) & linked)
        and test not in (*polluters, victim)
    ]

    def cleaned(subset: tuple[str, ...]) -> Answer:
        return _answer(lab.order((*polluters, *subset, victim), victim), effect_is_failure=False)

    ranked = _first(learnt, fp.rank_by_state(candidates, prints, state))
    # Among many candidates (a cache every test fills, cleared by dozens of TestCase setUps),
    # the first cleaner found: each further one costs a bisection, per victim.
    narrow = _visible(prints) if len(candidates) <= LONG_PREFIX else _no_more
    return culprits(candidates, cleaned, ranked, known=False, narrow=narrow)


def locate_brittle(
    finding: Finding,
    passed_after: tuple[str, ...],
    prints: fp.Footprints,
    lab: Lab,
    learnt: Learnt = Learnt(),
) -> Finding:
    """State-setters of a ``brittle`` test, among what ran before it where it passed: the first
    group found (a brittle test may have a hundred; its fix needs one)."""
    brittle, before = finding.test, passed_after[:-1]
    if not before:
        return finding

    search = _search_before(
        brittle, before, finding.reason, prints, lab, fails=False, learnt=learnt.state_setters
    )
    costs = (_cost("state_setters", search),)
    if not search.found:
        # A test that fails at random can fail every time it was run alone by chance (three
        # reruns fail together once in 64 for a test that fails one run in four).
        if search.noisy:
            return _non_deterministic(
                finding, costs, "its state-setter search saw the same order both pass and fail it"
            )
        if search.complete:
            return _non_deterministic(
                finding, costs, "its passing order, replayed, failed it: no test makes it pass"
            )
        return replace(finding, searches=costs)
    setters = tuple(test for test in before if test in search.found)
    return replace(finding, state_setters=setters, state=_state_of(setters, prints), searches=costs)


def locate_corunner(
    finding: Finding,
    prints: fp.Footprints,
    lab: Lab,
    command: Command,
    fails_alone: Collection[str] = frozenset(),
) -> Finding:
    """The co-runner of a failure seen only under xdist: first those that overlapped it in
    time sharing a resource with it, then the other tests sharing one (a module fixture's
    teardown runs when its worker leaves the module: after its last test there, which need
    not be the one that used it), then the others that overlapped it. A co-runner in
    ``fails_alone`` fails its co-runs whatever the test does: only the test's own failures
    count then."""
    test, overlapping = finding.test, [t for t in finding.tests if t != finding.test]
    shared = fp.rank_by_resources(test, overlapping, prints)
    elsewhere = [t for t in prints.resources if t != test and t not in overlapping]
    shared += fp.rank_by_resources(test, elsewhere, prints)
    candidates = [*shared, *(t for t in overlapping if t not in shared)][:MAX_CORUNNERS]
    runs = 0
    for other in candidates:
        resources = prints.shared(test, other)
        blamed = frozenset((test, other)) - frozenset(fails_alone) | {test}
        collided, spent = _collide(test, other, lab, not resources, blamed)
        runs += spent
        if collided is not None:
            return replace(
                finding,
                tests=(test, other),
                resources=resources,
                reproduce=command(RunPlan("corun", workers=2, ids=(test, other))),
                searches=(SearchCost("corunners", runs),),
                note=_staggered(collided) if collided.plan.stagger_s else finding.note,
            )
    return _non_deterministic(
        finding,
        (SearchCost("corunners", runs),),
        f"it failed only under xdist, passed its replay, and no co-run with the "
        f"{len(candidates)} tests that overlapped it made it fail",
    )


def confirm_conflicts(
    candidates: Sequence[fp.Conflict],
    lab: Lab,
    command: Command,
    skip: Callable[[str], bool],
) -> tuple[list[Finding], list[Latent]]:
    """Co-run each pair that shares a resource: ``shared-resource`` findings and latent notes.

    ``skip``: tests whose failures a co-run could not attribute (they fail alone, or at random).
    """
    findings: list[Finding] = []
    latent: dict[str, Latent] = {}
    for conflict in candidates:
        a, b = conflict.tests
        if skip(a) or skip(b):
            continue
        tried = 0
        for runs, (first, second, staggered) in enumerate(_schedules(a, b, lab), 1):
            outcome = lab.corun(first, second, staggered=staggered)
            attempts = _attempts(outcome, a, b)
            tried += len(attempts)
            if not all(attempts):
                continue
            failed = outcome.failed() & {a, b}
            findings.append(
                Finding(
                    kind="shared-resource",
                    test=a if a in failed else b,
                    tests=(a, b),
                    resources=conflict.resources,
                    reproduce=command(RunPlan("corun", workers=2, ids=(a, b))),
                    failures=len(attempts),
                    runs=len(attempts),
                    reason=next(r.reason for r in outcome.result.tests if r.failed),
                    searches=(SearchCost("corunners", runs),),
                    note=_staggered(outcome) if staggered else None,
                )
            )
            break
        else:
            for resource in conflict.resources:
                seen = latent.get(resource)
                tests = tuple(dict.fromkeys((*(seen.tests if seen else ()), a, b)))
                coruns = (seen.coruns if seen else 0) + tried
                latent[resource] = Latent(resource, tests, coruns)
    return findings, list(latent.values())


def _search_before(
    test: str,
    before: tuple[str, ...],
    reason: str | None,
    prints: fp.Footprints,
    lab: Lab,
    *,
    fails: bool,
    learnt: tuple[tuple[str, int], ...] = (),
) -> Search:
    """Which of ``before``, run ahead of ``test``, make it fail (``fails``: every group of
    polluters) or pass (the first group of state-setters)."""

    def effect(subset: tuple[str, ...]) -> Answer:
        return _answer(lab.order((*subset, test), test), effect_is_failure=fails)

    context = lab.context(test, reason)
    # A test whose state the failure mentions is the best guess; then what earlier searches
    # found (a polluter of dozens of victims whose failures say nothing of it); then tests that
    # left a value few others leave (an override among a cache's defaults); then the rest.
    mentioned = fp.mentioned(before, prints, context)
    rare = fp.rank_by_rarity(before, prints) if fails else []
    ranked = _first(learnt, [*rare, *fp.rank_by_relevance(before, prints, context)])
    ranked = list(dict.fromkeys([*mentioned, *ranked]))
    # On a long prefix, guesses (a run of two tests each) before bisecting (each step about half
    # the prefix): every test the failure mentions or an earlier search found (a large suite's
    # victims have a dozen polluters between them, and those found first would crowd out the
    # right guess), and more of the ranking the longer the prefix.
    guesses = 1
    if len(before) > LONG_PREFIX:
        first = {*mentioned, *(test for test, _ in learnt)} & set(before)
        guesses = min(MAX_GUESSES, max(GUESSES, len(before) // LONG_PREFIX) + len(first))
    return culprits(
        before, effect, ranked, narrow=_more(prints) if fails else _no_more, guesses=guesses
    )


def _more(prints: fp.Footprints) -> Callable[[list[str], tuple[str, ...]], list[str]]:
    """Where to look for more polluters: the whole rest when it is short (a second polluter
    may act through other state: ``config.CURRENCY`` beside ``config.DISCOUNT_RATE``), else
    the tests the footprints link to the first (:func:`_visible`)."""
    visible = _visible(prints)

    def narrow(remaining: list[str], found: tuple[str, ...]) -> list[str]:
        return remaining if len(remaining) <= LONG_PREFIX else visible(remaining, found)

    return narrow


def _no_more(remaining: list[str], found: tuple[str, ...]) -> list[str]:
    return []


def _visible(prints: fp.Footprints) -> Callable[[list[str], tuple[str, ...]], list[str]]:
    """After a first culprit with a footprint, look for more only among tests that changed the
    same state (or, when its footprint holds resources only, among tests with a footprint; when
    it left a value few tests leave under a key, among tests leaving another such value there):
    asking the whole rest of the order again costs up to a sequential run per finding, and a
    suite with dozens of victims asks it dozens of times. A culprit the footprint did not see
    means it is blind to this kind of state: then the whole rest."""
    seen = prints.state.keys() | prints.resources.keys()
    unusual = fp.unusual_slots(prints)

    def narrow(remaining: list[str], found: tuple[str, ...]) -> list[str]:
        if not seen.issuperset(found):
            return remaining
        keys = frozenset().union(*(unusual.get(test, frozenset()) for test in found))
        if keys:  # another culprit leaves an unusual value under the same key (not a default)
            return [test for test in remaining if unusual.get(test, frozenset()) & keys]
        linked = frozenset().union(*(prints.state.get(test, frozenset()) for test in found))
        if linked:  # another culprit of the same state (one through other state may be missed)
            return [test for test in remaining if prints.state.get(test, frozenset()) & linked]
        return [test for test in remaining if test in seen]

    return narrow


def _collide(
    a: str, b: str, lab: Lab, thorough: bool, blamed: frozenset[str]
) -> tuple[RunOutcome | None, int]:
    """The co-run in whose schedule (:func:`_schedules`) every attempt of the pair failed,
    if one did, and the co-runs it took; ``thorough`` (no resource in common that the footprint
    saw): twice as many attempts. A test that fails one run in four alone fails three attempts
    in a row once in 64 pairs tried, and a suite has many such pairs; six in a row, once in
    4096."""
    runs = 0
    for first, second, staggered in _schedules(a, b, lab):
        runs += 1
        outcome = lab.corun(first, second, staggered=staggered)
        if not all(_attempts(outcome, a, b, blamed)):
            continue
        if not thorough:
            return outcome, runs
        runs += 1
        again = lab.corun(first, second, again=True, staggered=staggered)
        if all(_attempts(again, a, b, blamed)):
            return outcome, runs
    return None, runs


def _schedules(a: str, b: str, lab: Lab) -> list[tuple[str, str, bool]]:
    """How a pair is co-run, in turn: both started at the same moment (a port, a file both
    write); then, where the lab can, each started halfway through the other, so that one's
    teardown meets the other's call (a folder a module fixture removes while the other test
    still writes in it: started together, both finish before either removes it)."""
    together = [(a, b, False)]
    return [*together, (a, b, True), (b, a, True)] if lab.staggers else together


def _staggered(outcome: RunOutcome) -> str:
    first, second = outcome.plan.ids
    return (
        f"they collide when {second} starts {outcome.plan.stagger_s:g} s after {first}, "
        "not when both start together: one's teardown meets the other's test"
    )


def _attempts(
    outcome: RunOutcome, a: str, b: str, blamed: frozenset[str] | None = None
) -> list[bool]:
    """Per co-run attempt, whether either test failed (of those ``blamed``: a test that fails
    alone fails its co-runs too, and says nothing of the other). A conflict is confirmed only
    when every attempt failed: started together, real conflicts collide every time, and a test
    that fails one run in four alone must not pass for one (the attempts stop at the first
    clean one)."""
    blamed = frozenset((a, b)) if blamed is None else blamed
    pairs = zip(outcome.records_of(a), outcome.records_of(b), strict=False)
    return [
        (first.failed and a in blamed) or (second.failed and b in blamed) for first, second in pairs
    ] or [False]


def _answer(observations: Sequence[Observation], effect_is_failure: bool) -> Answer:
    shown = [o.failed == effect_is_failure for o in observations]
    if shown and all(shown):
        return Answer.EFFECT
    return Answer.MIXED if any(shown) else Answer.NONE


def _state_of(tests: Sequence[str], prints: fp.Footprints) -> tuple[str, ...]:
    """The state the tests leave changed, but a counter every test moves (when there is more)."""
    named = sorted({name for test in tests for name in prints.state.get(test, ())})
    return tuple(name for name in named if name not in prints.churn) or tuple(named)


def _cost(looked_for: str, search: Search) -> SearchCost:
    return SearchCost(looked_for, search.runs, search.complete)


def _non_deterministic(finding: Finding, costs: tuple[SearchCost, ...], why: str) -> Finding:
    return replace(finding, kind="non-deterministic", tests=(), searches=costs, note=why)
