"""What each campaign run is, and why it was chosen.

The campaign runs, in the order in which they most likely find something (so that a budget that
cuts it short keeps the most telling runs):

1. the **default order**: the baseline, and the footprint of every test;
2. **every test alone**, each from the collected state in a fork of its own: a test that fails
   alone but passes in some order is brittle, whatever the orders drawn (a brittle test with a
   hundred state-setters almost never runs first in an order);
3. **orders chosen from the footprints** (:func:`guided`): tests that leave state changed run
   first, then every test that does not write that state, so that each victim meets its polluter
   with no cleaner between (the default order and its reverse put every *pair* in both orders,
   but a cleaner may sit between them in both);
4. the default order **reversed**, then **random orders** interleaved with **xdist runs** at
   several worker counts: what footprints cannot see (state outside Python, shared resources);
5. last, each test alone right after the writers (``after``, from :func:`guided`): a fork per
   test, so a budget cuts it first. On a large suite that forks, where an order is a long run,
   each of up to ``LARGE_AFTERS`` sets of writers gets an ``after`` run of every test instead
   of orders (it covers its writers before every test, an order in one direction behind other
   tests), and the first one runs where the orders would have.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from auditor.locate.footprints import churn, removes, slot
from auditor.model import RunPlan

GUIDED_ORDERS = 4  #: at most this many orders chosen from footprints…
SMALL_SUITE = 500  #: …twice as many for a selection of at most this many tests (cheap orders)
#: With forking, a larger selection gets no such order, and each of up to this many sets of
#: writers an ``after`` run of every test: as dear as an order, and it covers its writers for
#: every test with nothing between (an order covers them in one direction, behind other tests)
LARGE_AFTERS = 4
#: State that more than this share of the tests (and more than a handful) leaves changed is
#: everywhere (``random.state``…): any order exercises it.
_EVERYWHERE = 0.5
_HANDFUL = 8


def first(collected: Sequence[str], alone: bool) -> list[RunPlan]:
    """The runs before the footprints are known: the default order, then every test alone."""
    plans = [RunPlan("sequential", why="the default order: the baseline and every footprint")]
    if alone:
        why = "every test alone, from the collected state: fails alone, passes in order = brittle"
        plans.append(RunPlan("alone", ids=tuple(collected), why=why))
    return plans


def rest(
    master_seed: int,
    collected: Sequence[str],
    orders: int,
    seeds_per_count: int,
    worker_counts: tuple[int, ...],
) -> list[RunPlan]:
    """The reversed order, then random orders interleaved with xdist runs.

    Random orders and xdist runs alternate, so a budget that cuts the campaign short keeps both.
    """
    rng = random.Random(master_seed)
    randoms = [
        RunPlan("random", seed=rng.randrange(2**32), why="a random order (pytest-randomly)")
        for _ in range(orders)
    ]
    xdists = [
        RunPlan(
            "xdist",
            seed=rng.randrange(2**32),
            workers=count,
            why=f"{count} xdist workers at once: shared files, ports and databases",
        )
        for _ in range(seeds_per_count)
        for count in worker_counts
    ]
    why = "the default order reversed: every pair of tests in both orders"
    plans = [RunPlan("reversed", ids=tuple(reversed(collected)), why=why)]
    for k in range(max(len(randoms), len(xdists))):
        plans += randoms[k : k + 1] + xdists[k : k + 1]
    return plans


def guided(
    order: Sequence[str],
    writes: Mapping[str, frozenset[str]],
    leaves: Mapping[str, frozenset[str]],
    limit: int | None = None,
    forking: bool = False,
) -> list[RunPlan]:
    """Orders in which tests that leave state changed run directly before the tests that do not
    put that state back.

    ``leaves``: per test, the marks (:attr:`~auditor.locate.footprints.Footprints.marks`) of the
    state it left changed when run from the collected state (alone). ``writes``: per test, every
    mark it was seen to leave in any run. A test that changed a state in some run but leaves it
    as it found it when alone puts it back, and so does a test seen to remove anything from it
    (a cleaner: it must not sit between a polluter and its victims); it is left out of that
    order. A test that leaves it changed even alone stays (a victim may write what it reads).
    The rarest marks come first: hundreds of tests fill a cache with the same default values,
    one test overrides one of them. Writers of disjoint slots (a state, or a key of it) share an
    order, so that a few orders cover every mark; each comes twice, the tests after the writers
    in the default order and reversed (a cleaner that only ever ran on clean state changed
    nothing the footprint could see: it is between a polluter and a victim in at most one of
    the two). With ``forking``, each test then runs right after each set of writers, in a fork
    of its own (``after``): a victim that cleans up after itself, or sits behind a cleaner no
    footprint saw, meets its polluter with nothing between. On a small suite the writers of a
    set run apart from those of their class that may clean up after them unseen
    (:func:`_apart`).

    ``limit``: at most this many orders (default: ``GUIDED_ORDERS``, twice as many for a small
    suite, where a key may hold several values each of which fails another victim). A larger
    suite, with ``forking``, gets no order but, for each of up to ``LARGE_AFTERS`` sets of
    writers, an ``after`` run of every test: each order is a long run there, and an ``after``
    run costs about as much (its children run side by side) but covers its writers before
    every test (on the corpus's large suite, the first ``after`` run failed each of its 43
    victims; the pair of orders before it, which cost as much again, found nothing more).
    """
    large = forking and len(order) > SMALL_SUITE
    if limit is None:
        limit = 0 if large else GUIDED_ORDERS * (2 if len(order) <= SMALL_SUITE else 1)
    after_limit = LARGE_AFTERS if large else len(order)
    writers: dict[str, list[str]] = {}
    for test in order:
        for mark in leaves.get(test, ()):
            writers.setdefault(mark, []).append(test)
    position = {test: i for i, test in enumerate(order)}
    # Among marks as rare, the state fewest tests write first: one test pauses deliveries (a
    # flag nobody else sets), while the background threads' counters hold a rare value after
    # each of dozens of tests, and whoever leads an order with one conflicts with the rest.
    state_writers = Counter(
        state for test in order for state in {slot(mark)[0] for mark in leaves.get(test, ())}
    )
    uncovered = sorted(
        _telling(writers, leaves, len(order)),
        key=lambda mark: (
            len(writers[mark]),
            state_writers[slot(mark)[0]],
            position[writers[mark][0]],
            mark,
        ),
    )
    cleared = _states_by_class(writes, removes)
    near = _states_by_class(writes)
    small = len(order) <= SMALL_SUITE
    plans: list[RunPlan] = []
    afters: list[RunPlan] = []
    while uncovered and (len(plans) < limit or (large and len(afters) < after_limit)):
        chosen, covered = _disjoint_writers(uncovered, writers, leaves)
        if not chosen:
            break
        # Writers that also clear (a TestCase whose setUp empties the cache, then fills one
        # key) first: after the others, they would wipe what those left. A test of a class one
        # of whose tests was seen clearing a state clears it too: their setUp is one, and it
        # empties an empty cache unseen (the class's first test always left it empty).
        states = {slot(mark)[0] for test in chosen for mark in leaves[test]}
        first = {
            t
            for t in chosen
            if _puts_back(t, writes, leaves) or cleared.get(_class_of(t), set()) & states
        }
        chosen.sort(key=lambda test: test not in first)
        written = {slot(mark) for test in chosen for mark in leaves[test]}
        back = {t for t in order if _conflict(_puts_back(t, writes, leaves), written)}
        after = [t for t in order if t not in chosen and t not in back]
        # The rest in the default order, then reversed: a cleaner the footprints never saw
        # (it always ran when the state was clean) sits before a victim in at most one of them.
        both = ((after, "in the default order"), (after[::-1], "reversed"))
        for rest, how in both[: 1 + (len(after) > 1)] if len(plans) < limit else ():
            why = _why(covered, len(after), how)
            plans.append(RunPlan("guided", ids=(*chosen, *rest), why=why))
        # Every test right after the writers, in a fork of its own (about the cost of the
        # alone run): every victim of that state meets it with nothing between (a TestCase
        # whose tearDown clears what it reads always ran on clean state and changed nothing a
        # footprint sees). On a small suite, the writers apart from any of their class that
        # may clean up after another unseen (:func:`_apart`).
        for group in _apart(chosen, leaves, near) if small else [chosen]:
            others = tuple(t for t in order if t not in group)
            if forking and others and len(afters) < after_limit:
                shown = _shown([m for m in covered if any(m in leaves[t] for t in group)])
                why = f"each test alone right after the tests that leave {shown} changed"
                afters.append(RunPlan("after", ids=others, prefix=tuple(group), why=why))
        uncovered = [mark for mark in uncovered if mark not in covered]
    return plans[:limit] + afters


def _telling(
    writers: Mapping[str, list[str]], leaves: Mapping[str, frozenset[str]], tests: int
) -> list[str]:
    """The marks worth an order: not a state most tests leave changed (``random.state``…: any
    order exercises it), not the usual value of a key that many tests leave (a cache's
    default, filled by every test that reads it), not a key that most tests leave each with a
    value of its own (a counter or a clock that background threads move on during every test:
    every value is rare, and none says anything)."""
    everywhere = max(_HANDFUL, _EVERYWHERE * tests)
    usual: dict[tuple[str, str | None], int] = {}
    for mark, found in writers.items():
        where = slot(mark)
        usual[where] = max(usual.get(where, 0), len(found))
    counters = churn(leaves, tests)
    return [
        mark
        for mark, found in writers.items()
        if len(found) <= everywhere
        and slot(mark) not in counters
        and not (
            slot(mark)[1] is not None and len(found) > _HANDFUL and len(found) == usual[slot(mark)]
        )
    ]


def _class_of(test: str) -> str | None:
    """The node id of a test's class (``path::Class``), None for a module's function."""
    parts = test.split("::")
    return "::".join(parts[:-1]) if len(parts) > 2 else None


def _states_by_class(
    writes: Mapping[str, frozenset[str]], only: Callable[[str], bool] = bool
) -> dict[str | None, frozenset[str]]:
    """Per test class, the states its tests were seen leaving changed in any run (with
    ``only``, those of the marks it keeps: :func:`removes`, the states cleared)."""
    found: dict[str | None, set[str]] = {}
    for test, marks in writes.items():
        cls = _class_of(test)
        if cls is not None:
            found.setdefault(cls, set()).update(slot(m)[0] for m in marks if only(m))
    return {cls: frozenset(states) for cls, states in found.items()}


def _conflict(slots: set[tuple[str, str | None]], written: set[tuple[str, str | None]]) -> bool:
    return any(
        state == other and (key is None or key_w is None or key == key_w)
        for state, key in slots
        for other, key_w in written
    )


def _puts_back(
    test: str, writes: Mapping[str, frozenset[str]], leaves: Mapping[str, frozenset[str]]
) -> set[tuple[str, str | None]]:
    """The slots a test puts back: the states it changed in some run but leaves as it found
    them alone, and every state it was seen to remove something from (whole: ``clear()``
    empties every key, though a run saw it remove only those that were there)."""
    mine, alone = writes.get(test, frozenset()), leaves.get(test, frozenset())
    left = {slot(mark)[0] for mark in alone}
    slots = {(slot(mark)[0], None) for mark in mine if removes(mark)}
    return slots | {(slot(mark)[0], None) for mark in mine - alone if slot(mark)[0] not in left}


def _disjoint_writers(
    marks: list[str], writers: Mapping[str, list[str]], leaves: Mapping[str, frozenset[str]]
) -> tuple[list[str], list[str]]:
    """Writers whose slots do not overlap, covering as many of ``marks`` as they can."""
    chosen: list[str] = []
    written: set[tuple[str, str | None]] = set()
    left: set[str] = set()
    covered: list[str] = []
    for mark in marks:
        if mark in left:
            covered.append(mark)
            continue
        writer = next(
            (w for w in writers[mark] if not _conflict({slot(m) for m in leaves[w]}, written)),
            None,
        )
        if writer is None:
            continue
        chosen.append(writer)
        written |= {slot(m) for m in leaves[writer]}
        left |= leaves[writer]
        covered.append(mark)
    return chosen, covered


def _apart(
    chosen: Sequence[str],
    leaves: Mapping[str, frozenset[str]],
    near: Mapping[str | None, frozenset[str]],
) -> list[list[str]]:
    """``chosen`` in groups, in their order, none holding a test whose class was seen writing a
    state (not its own) that another test of the group leaves changed: tests of one class
    configure one object, and one that sets a flag to the value it already holds changes
    nothing a footprint sees, yet cleans up after the sibling that left it otherwise (crom:
    ``test_int`` sets ``auto_assign_id = True``, unseen, after ``test_no_ident`` left it False;
    behind both, ``test_collapse_json`` passed)."""
    groups: list[tuple[list[str], set[str], set[str]]] = []  # tests, states left, states near
    for test in chosen:
        mine = {slot(m)[0] for m in leaves.get(test, ())}
        reach = set(near.get(_class_of(test), ())) - mine
        for tests, left, close in groups:
            if not (reach & left or mine & close):
                tests.append(test)
                left |= mine
                close |= reach
                break
        else:
            groups.append(([test], mine, reach))
    return [tests for tests, _, _ in groups]


def _shown(covered: Sequence[str]) -> str:
    states = list(dict.fromkeys(slot(mark)[0] for mark in covered))
    return ", ".join(states[:3]) + (f" and {len(states) - 3} more" if len(states) > 3 else "")


def _why(covered: Sequence[str], after: int, how: str) -> str:
    return (
        f"chosen from footprints: tests that leave {_shown(covered)} changed first, then {after} "
        f"tests that do not put it back, {how}"
    )


def worker_counts(cores: int) -> tuple[int, ...]:
    """At least 2 and 4 workers; 2 × cores as well where the machine has more cores."""
    return tuple(sorted({2, 4, 2 * cores}))
