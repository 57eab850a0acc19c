"""The lab: where the audit's runs are made, kept, reused and paid for.

Triage (:mod:`auditor.classify`) and locate (:mod:`auditor.locate.cause`) ask their questions
through the narrow interface they declare (``alone``, ``replay``, ``order``, ``corun``,
``context``); the lab answers each with a run, from its caches where it can, and refuses with
:class:`~auditor.locate.search.OutOfRuns` once the budget is spent. Every run it makes is kept, in
order, for the report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from auditor.campaign.execute import Executor
from auditor.campaign.limits import Limits, learn
from auditor.locate import footprints as fp
from auditor.locate.search import OutOfRuns
from auditor.model import Observation, RunOutcome, RunPlan, shell_command
from auditor.plugin.world import World


class Lab:
    """Runs plans through an executor within a budget; ``left()`` says the seconds left."""

    def __init__(
        self,
        executor: Executor,
        root: Path,
        reruns: int,
        left: Callable[[], float | None],
        limits: Limits,
        world: World | None = None,
        say: Callable[[str], None] = lambda line: None,
    ) -> None:
        self._executor = executor
        self._executor.limits = limits
        self._root = root
        self._reruns = reruns
        self._left = left
        self._world = world  #: the project's files, put back after every run
        self._say = say
        self.outcomes: list[RunOutcome] = []  #: every run so far, in order
        self._replays: list[RunOutcome] = []
        self._coruns: dict[tuple[frozenset[str] | tuple[str, str], bool], RunOutcome] = {}
        self._importers: list[str] = []  #: modules whose collection failed a test, found so far

    @property
    def forking(self) -> bool:
        """Whether runs are forked from one collected pytest (else each starts its own)."""
        return self._executor.server is not None

    @property
    def limits(self) -> Limits:
        return self._executor.limits

    def run(self, plan: RunPlan, fork: bool = True) -> RunOutcome:
        """Run ``plan`` now, whatever the budget (``fork=False``: in a pytest of its own); keep
        its outcome. The files it left are put back, whether it finished or not (Ctrl-C, an
        error): the next run starts from the same world."""
        try:
            outcome = self._executor(plan, fork)
        except BaseException:
            self._put_back(plan, ())
            raise
        restored = self._put_back(plan, _created_outside(outcome))
        if restored:
            outcome = replace(outcome, restored=restored)
        self.outcomes.append(outcome)
        return outcome

    def _put_back(self, plan: RunPlan, created: tuple[str, ...]) -> tuple[str, ...]:
        if self._world is None:
            return ()
        done = self._world.restore(extra_created=created).describe()
        if done:
            more = f" and {len(done) - 3} more" if len(done) > 3 else ""
            self._say(f"-> put back after {plan.describe()}: {', '.join(done[:3])}{more}")
        return done

    def stop_forking(self, forked: RunOutcome) -> None:
        """Forking changes outcomes: forget ``forked`` and start a pytest for every run."""
        self.outcomes.remove(forked)
        self._executor.stop_forking()

    def learn(self, outcome: RunOutcome) -> None:
        """Timeouts and exclusions for the runs to come, from a campaign run."""
        self._executor.limits = learn(self._executor.limits, outcome, self._reruns)

    def affordable(self, plan: RunPlan) -> bool:
        """Whether ``plan`` fits the budget left, judged by the runs so far."""
        left = self._left()
        if left is None or not self.outcomes:
            return True
        same = [o.result.wall_s for o in self.outcomes if o.plan.sequential == plan.sequential]
        return max(same or [o.result.wall_s for o in self.outcomes]) <= left

    def command(self, plan: RunPlan) -> str:
        """The command a user pastes to run ``plan``."""
        return shell_command(self._executor.call(plan).user_argv())

    # -- what triage and locate ask ------------------------------------------------------------

    def alone(self, test: str) -> RunOutcome:
        return self.run(RunPlan("isolated", ids=(test,), repeats=self._reruns))

    def fresh(self, test: str) -> RunOutcome | None:
        """The test alone in a pytest of its own, which collects its module only: None when
        runs are not forked (then :meth:`alone` was one) or the budget is spent."""
        if not self.forking or self._spent():
            return None
        plan = RunPlan("isolated", ids=(test,), why="triage: alone, uncollected")
        return self.run(plan, fork=False)

    def importer(self, test: str, modules: Sequence[str]) -> tuple[str, ...] | None:
        """The fewest of ``modules`` whose collection fails ``test`` (run first, in a pytest of
        its own that collects them too): the modules found for earlier tests tried first, then
        halving while one half alone does it. () when all of them together do not; None when
        the budget is spent before they are tried."""

        def fails(group: Sequence[str]) -> bool:
            why = f"triage: {test} first, {len(group)} modules collected"
            plan = RunPlan("isolated", ids=(test, *group), why=why)
            return test in self.run(plan, fork=False).failed()

        for known in self._importers:
            if known in modules and not self._spent() and fails((known,)):
                return (known,)
        group = tuple(modules)
        if not group:
            return ()
        if self._spent():
            return None
        if not fails(group):
            return ()
        while len(group) > 1 and not self._spent():
            half, rest = group[: len(group) // 2], group[len(group) // 2 :]
            if fails(half):
                group = half
            elif not self._spent() and fails(rest):
                group = rest
            else:
                break  # it takes modules of both halves together
        if len(group) == 1:
            self._importers.append(group[0])
        return group

    def replay(self, source: RunOutcome, test: str) -> RunOutcome:
        prefix = source.prefix(test)
        # No checkpoints, or an ``after`` run's failure: its children share what its writers
        # made outside the project, and so would reruns from one checkpoint (classify.triage):
        # the whole prefix again each time, in a fresh child (with no rerun from a checkpoint
        # in it: see Executor.request).
        if not self.forking or source.plan.kind == "after":
            plan = RunPlan("replay", seed=source.plan.seed, ids=prefix, repeats=self._reruns)
            return self.run(plan)
        for done in self._replays:
            if done.plan.ids[: len(prefix)] == prefix and test in done.plan.targets:
                return done
        # One replay serves every suspect without other evidence that failed further along the
        # same worker sequence: those that failed only in xdist runs.
        sequence = next(s for s in source.sequences().values() if test in s)
        evidenced = {t for o in self.outcomes if o.plan.sequential for t in o.failed()}
        failed = source.failed() - evidenced
        targets = tuple(t for t in sequence if t == test or t in failed)
        longest = sequence[: sequence.index(targets[-1]) + 1]
        outcome = self.run(RunPlan("replay", seed=source.plan.seed, ids=longest, targets=targets))
        self._replays.append(outcome)
        return outcome

    def order(self, ids: tuple[str, ...], target: str) -> tuple[Observation, ...]:
        self._spend()
        if not self.forking:  # no checkpoints: each observation replays the order
            plan = RunPlan("bisect", ids=ids, repeats=self._reruns)
        else:
            plan = RunPlan("bisect", ids=ids, targets=(target,))
        return self.run(plan).observations(target)

    @property
    def staggers(self) -> bool:
        """Whether a co-run can start its second test later (forked children can; the
        ``pytest -n 2`` of a lab without a fork server starts both at once)."""
        return self.forking

    def corun(self, a: str, b: str, again: bool = False, staggered: bool = False) -> RunOutcome:
        """``a`` and ``b`` side by side, started together, or (``staggered``) ``b`` halfway
        through ``a``'s passing time: then ``a``'s teardown meets ``b``'s call (a folder a
        module fixture removes while the other test writes in it)."""
        key = ((a, b) if staggered else frozenset((a, b)), again)
        if key not in self._coruns:
            self._spend()
            stagger = _stagger_s(self.limits.passed_s.get(a)) if staggered else 0.0
            why = (
                f"locate: {b} started {stagger:g} s after {a}, until both pass" if staggered else ""
            )
            plan = RunPlan(
                "corun", workers=2, ids=(a, b), repeats=self._reruns, stagger_s=stagger, why=why
            )
            self._coruns[key] = self.run(plan)
        return self._coruns[key]

    def context(self, test: str, reason: str | None) -> str:
        path, _, rest = test.partition("::")
        function = rest.split("::")[-1].split("[")[0]
        try:
            source = (self._root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            source = ""
        return fp.context_of(source, function, reason)

    def _spend(self) -> None:
        if self._spent():
            raise OutOfRuns

    def _spent(self) -> bool:
        left = self._left()
        return left is not None and left <= 0


def _created_outside(outcome: RunOutcome) -> tuple[str, ...]:
    """The absolute paths the run's footprints say tests wrote or created (``file:/…`` written,
    or a folder made): outside the root, since the footprint names those under it relatively."""
    return tuple(
        sorted(
            {
                name[5:]
                for record in outcome.result.tests
                for name, uses in record.resources
                if name.startswith("file:") and os.path.isabs(name[5:]) and set(uses) & {"w", "d"}
            }
        )
    )


#: a staggered co-run's delay: half the first test's passing time, within these bounds (seconds)
STAGGER_S = (0.05, 5.0)


def _stagger_s(passing_s: float | None) -> float:
    low, high = STAGGER_S
    return round(min(max((passing_s or 0.0) / 2, low), high), 3)
