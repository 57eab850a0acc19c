"""What each campaign run is: its kind, seed, worker count and, for replays, its exact order."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

RunKind = Literal[
    "sequential", "random", "xdist", "isolated", "replay", "bisect", "corun", "verify"
]


@dataclass(frozen=True)
class RunPlan:
    """One pytest run of a campaign or a triage."""

    kind: RunKind
    seed: int | None = None  #: pytest-randomly seed; None: default order
    workers: int = 0  #: 0: one process
    ids: tuple[str, ...] = ()  #: an exact order to run; () runs the whole selection
    repeats: int = 1  #: > 1: the order runs once in each of that many fresh processes

    def describe(self) -> str:
        parts: list[str] = [self.kind]
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        if self.workers and self.repeats == 1:
            parts.append(f"-n {self.workers}")
        if self.repeats > 1:
            parts.append(f"× {self.repeats}")
        if self.ids:
            parts.append(f"{len(self.ids)} tests")
        return ", ".join(parts)


def campaign(
    master_seed: int, orders: int, seeds_per_count: int, worker_counts: tuple[int, ...]
) -> list[RunPlan]:
    """The baseline, ``orders`` random orders, then each worker count with several seeds."""
    rng = random.Random(master_seed)
    plans = [RunPlan("sequential")]
    plans += [RunPlan("random", seed=rng.randrange(2**32)) for _ in range(orders)]
    plans += [
        RunPlan("xdist", seed=rng.randrange(2**32), workers=count)
        for _ in range(seeds_per_count)
        for count in worker_counts
    ]
    return plans


def worker_counts(cores: int) -> tuple[int, ...]:
    """At least 2 and 4 workers; 2 × cores as well where the machine has more cores."""
    return tuple(sorted({2, 4, 2 * cores}))
