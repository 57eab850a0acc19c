"""What each campaign run is: its kind, seed, worker count and, for replays, its exact order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

RunKind = Literal[
    "sequential",
    "reversed",
    "random",
    "xdist",
    "isolated",
    "replay",
    "bisect",
    "corun",
    "verify",
]


@dataclass(frozen=True)
class RunPlan:
    """One pytest run of a campaign or a triage."""

    kind: RunKind
    seed: int | None = None  #: pytest-randomly seed; None: default order
    workers: int = 0  #: 0: one process
    ids: tuple[str, ...] = ()  #: an exact order to run; () runs the whole selection
    repeats: int = 1  #: > 1: the order runs once in each of that many fresh processes
    targets: tuple[str, ...] = ()  #: tests to rerun from the state just before them

    def describe(self) -> str:
        parts: list[str] = [self.kind]
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        if self.workers and self.repeats == 1:
            parts.append(f"-n {self.workers}")
        if self.repeats > 1:
            parts.append(f"× {self.repeats}")
        if self.ids and self.kind != "reversed":
            parts.append(f"{len(self.ids)} tests")
        return ", ".join(parts)

    @property
    def sequential(self) -> bool:
        """One process runs the whole order (what a prefix replay reproduces)."""
        return self.workers == 0


def campaign(
    master_seed: int,
    collected: Sequence[str],
    orders: int,
    seeds_per_count: int,
    worker_counts: tuple[int, ...],
) -> list[RunPlan]:
    """The default order and its reverse, then random orders interleaved with xdist runs.

    Between them, the default order and its reverse put every pair of tests in both orders: each
    victim runs after its polluter, each brittle test before its state-setter, in one of them.
    Random orders and xdist runs alternate, so a budget that cuts the campaign short keeps both.
    """
    rng = random.Random(master_seed)
    randoms = [RunPlan("random", seed=rng.randrange(2**32)) for _ in range(orders)]
    xdists = [
        RunPlan("xdist", seed=rng.randrange(2**32), workers=count)
        for _ in range(seeds_per_count)
        for count in worker_counts
    ]
    plans = [RunPlan("sequential"), RunPlan("reversed", ids=tuple(reversed(collected)))]
    for k in range(max(len(randoms), len(xdists))):
        plans += randoms[k : k + 1] + xdists[k : k + 1]
    return plans


def worker_counts(cores: int) -> tuple[int, ...]:
    """At least 2 and 4 workers; 2 × cores as well where the machine has more cores."""
    return tuple(sorted({2, 4, 2 * cores}))
