"""What each campaign run is: its kind, seed, worker count and, for replays, its exact order."""

from __future__ import annotations

import random
from collections.abc import Sequence

from auditor.model import RunPlan


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
