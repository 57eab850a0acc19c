"""Flake rates from the history: failures over recorded runs, with a Wilson score interval.

A rate alone misleads on few runs: 1 failure in 2 runs and 50 in 100 are both 50 %, but the
first could well be 5 % or 95 %. The Wilson interval (95 %) says how sure the rate is and stays
inside [0, 1] at 0 or all failures, where the normal approximation does not. A test that failed
every recorded run is **broken**, not flaky: no rate describes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Z_95 = 1.959964  #: the normal quantile of a two-sided 95 % interval


@dataclass(frozen=True)
class FlakeRate:
    test: str
    failures: int
    runs: int  #: recorded runs that ran the test (skips and outage runs left out)
    low: float  #: the 95 % Wilson interval
    high: float
    last_failure: float | None  #: epoch seconds

    @property
    def rate(self) -> float:
        return self.failures / self.runs

    @property
    def broken(self) -> bool:
        return self.failures == self.runs


def wilson(failures: int, runs: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``failures / runs``."""
    if runs <= 0:
        return 0.0, 1.0
    p = failures / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    spread = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


def flake_rates(
    outcomes: Mapping[str, Sequence[tuple[float, bool]]], last: int | None = None
) -> list[FlakeRate]:
    """Tests that failed at least once among their ``last`` recorded runs (all when None), the
    highest rate first; ``outcomes``: per test, (time, failed) oldest first."""
    rates = []
    for test, seen in outcomes.items():
        window = list(seen[-last:] if last else seen)
        failures = sum(failed for _, failed in window)
        if not failures:
            continue
        low, high = wilson(failures, len(window))
        latest = max(when for when, failed in window if failed)
        rates.append(FlakeRate(test, failures, len(window), low, high, latest))
    rates.sort(key=lambda r: (-r.rate, -r.runs, r.test))
    return rates


def clean_streak(seen: Sequence[tuple[float, bool]]) -> int:
    """How many of the latest recorded runs passed in a row."""
    streak = 0
    for _, failed in reversed(seen):
        if failed:
            break
        streak += 1
    return streak
