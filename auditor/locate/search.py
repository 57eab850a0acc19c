"""Which candidates cause an effect: polluters, state-setters, cleaners, co-runners.

A search asks an ``effect`` oracle about subsets of the candidates (each question is one pytest
run: the subset in its order, then the test). It finds every culprit group:

1. a *ranked* candidate first (the footprint's best guess): when it alone has the effect, that is
   one run;
2. otherwise the group's members one at a time, from the back: a binary search finds the
   shortest prefix of the candidates that still has the effect; its last test is a member. The
   search repeats on the tests before it, each prefix now followed by the members found, until
   the members alone have the effect. A group of k among N takes about k·⌈log2 N⌉ + k runs,
   where delta debugging (ddmin) would need many more.

Once a group is found, the rest is asked again (or the part of it ``narrow`` keeps): if it
still has the effect, there is another culprit, and the search goes on without the group.
With one culprit among N candidates this takes at most ⌈log2 N⌉ + 4 runs (ranked guess,
bisection, check, once more, the rest), and three when the ranked guess is right. A search
may try more than one guess (``guesses``): each wrong one costs a run of two tests, where a
bisection step over a large suite costs half a sequential run.

Noise: an answer is ``MIXED`` when the same order both showed and did not show the effect
(reruns from the same state differ). A mixed answer counts as no effect, so it can never make a
test a culprit, and is remembered: a search that found nothing but saw noise says so. A group
is kept only when asked once more, in a run of its own: a victim that fails at random answers
"effect" now and then, and a bisection strings such answers into a group.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


class Answer(enum.Enum):
    EFFECT = "effect"  #: every observation showed the effect
    NONE = "none"  #: none did
    MIXED = "mixed"  #: some did: the order is non-deterministic


Oracle = Callable[[tuple[str, ...]], Answer]
Narrow = Callable[[list[str], tuple[str, ...]], list[str]]


class OutOfRuns(Exception):
    """Raised by an oracle when the audit's budget allows no more runs."""


@dataclass(frozen=True)
class Search:
    """What a search found, and what it cost."""

    groups: tuple[tuple[str, ...], ...]  #: minimal culprit groups, each in candidate order
    runs: int  #: oracle questions asked (pytest runs)
    complete: bool = True  #: False when the run limit or the budget cut it short
    noisy: bool = False  #: some order gave mixed answers

    @property
    def found(self) -> tuple[str, ...]:
        """Every culprit, group after group."""
        return tuple(dict.fromkeys(test for group in self.groups for test in group))


def run_limit(candidates: int) -> int:
    """At most this many runs per search: several bisections' worth, for groups and noise."""
    return 4 * max(1, math.ceil(math.log2(max(candidates, 2)))) + 8


def culprits(
    candidates: Sequence[str],
    effect: Oracle,
    ranked: Sequence[str] = (),
    known: bool = True,
    limit: int | None = None,
    narrow: Narrow | None = None,
    guesses: int = 1,
) -> Search:
    """Every group of ``candidates`` that has the effect (see the module docstring).

    ``known``: all the candidates together are already known to have the effect (the failing
    order a victim came from); otherwise the first run asks. ``narrow``: once a group is found,
    which of the remaining candidates to look for another among (default: all of them).
    ``guesses``: how many of the ``ranked`` candidates to try alone before bisecting.
    """
    asker = _Asker(effect, run_limit(len(candidates)) if limit is None else limit)
    remaining = list(candidates)
    groups: list[tuple[str, ...]] = []
    complete = True
    assumed = tuple(remaining) if known else None
    if assumed:
        asker.answers[assumed] = Answer.EFFECT
    try:
        while remaining:
            if asker.ask(remaining) is not Answer.EFFECT:
                break
            group = _one_group(asker, remaining, ranked, guesses)
            if group == assumed:  # every candidate: see for ourselves, noise would end here
                del asker.answers[group]
            # A group found by bisection is never asked whole when the window ran out: a test
            # that fails at random can string answers together into one. It must show the
            # effect on its own.
            if asker.ask(group) is not Answer.EFFECT:
                break
            # One answer may be luck: a bisection strings a victim's random failures into a
            # group about once in eight searches when it fails one run in four. The group must
            # show the effect again, in a run of its own.
            if asker.again(group) is not Answer.EFFECT:
                break
            groups.append(group)
            remaining = [test for test in remaining if test not in group]
            if narrow is not None:
                remaining = narrow(remaining, group)
    except OutOfRuns:
        complete = False
    return Search(tuple(groups), asker.runs, complete, asker.noisy)


def _one_group(
    asker: _Asker, candidates: list[str], ranked: Sequence[str], guesses: int
) -> tuple[str, ...]:
    """One minimal group among ``candidates``, which together have the effect."""
    if len(candidates) > 1:
        tops = [test for test in ranked if test in candidates][:guesses]
        for top in tops:
            if asker.ask([top]) is Answer.EFFECT:
                return (top,)
    return _members(asker, candidates)


def _members(asker: _Asker, candidates: list[str]) -> tuple[str, ...]:
    """The group, one member at a time, from the back: the shortest prefix of the window that,
    followed by the members found so far, has the effect, ends with a member (binary search);
    the window then shrinks to what came before it. Stops when the members alone suffice."""
    window, members = list(candidates), list[str]()
    while window:
        low, high = 1, len(window)  # window[:high] + members has the effect
        while low < high:
            middle = (low + high) // 2
            if asker.ask(window[:middle] + members) is Answer.EFFECT:
                high = middle
            else:
                low = middle + 1
        members.insert(0, window[high - 1])
        window = window[: high - 1]
        if not window or asker.ask(members) is Answer.EFFECT:
            break
    return tuple(members)


class _Asker:
    """The oracle, with a cache (an order is asked once), a run count and a limit."""

    def __init__(self, effect: Oracle, limit: int) -> None:
        self.effect = effect
        self.limit = limit
        self.runs = 0
        self.noisy = False
        self.answers: dict[tuple[str, ...], Answer] = {}

    def ask(self, subset: Sequence[str]) -> Answer:
        key = tuple(subset)
        if key not in self.answers:
            if self.runs >= self.limit:
                raise OutOfRuns
            self.runs += 1
            answer = self.effect(key)
            self.noisy = self.noisy or answer is Answer.MIXED
            self.answers[key] = answer
        return self.answers[key]

    def again(self, subset: Sequence[str]) -> Answer:
        """Ask once more, whatever the cache holds; the new answer replaces the cached one."""
        key = tuple(subset)
        self.answers.pop(key, None)
        return self.ask(key)
