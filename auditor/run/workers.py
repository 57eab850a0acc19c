"""How many xdist workers a run uses: a count, ``auto``, or ``adaptive``.

``-n auto`` counts cores. Suites whose tests mostly wait (I/O, sleeps, subprocesses, servers)
finish sooner with more workers, and tiny suites sooner with fewer: every worker starts an
interpreter and collects the whole selection. ``adaptive`` reads the previous run's measurements
from run.json and picks the count whose predicted wall time is lowest:

    predicted(n) = start-up(n) + max(busy / n, cpu / cores)

``busy`` is the wall time the tests took in all workers together, ``cpu`` the CPU time they used;
start-up is one worker's collection time, stretched when more workers than cores compete for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

ADAPTIVE_MAX_FACTOR = 4  #: adaptive tries up to 4 × cores workers


@dataclass(frozen=True)
class WorkerChoice:
    """The ``-n`` value to pass to pytest, and why."""

    arg: str  #: "auto", or a count ("0" runs without workers)
    reason: str
    predicted_s: float | None = None


@dataclass(frozen=True)
class History:
    """What adaptive needs from the previous run."""

    tests: int
    busy_s: float  #: total wall seconds inside tests, all workers
    cpu_s: float  #: total CPU seconds inside tests, all workers
    startup_s: float  #: one worker's collection time, as measured
    workers: int  #: how many workers measured it

    @classmethod
    def from_run_json(cls, data: dict[str, Any]) -> History | None:
        per_worker = data.get("per_worker") or []
        if not per_worker or not data.get("tests", {}).get("collected"):
            return None
        return cls(
            tests=int(data["tests"]["collected"]),
            busy_s=sum(w["busy_s"] for w in per_worker),
            cpu_s=sum(w["cpu_s"] for w in per_worker),
            startup_s=max(w["collect_s"] for w in per_worker),
            workers=len(per_worker),
        )


def cpu_count() -> int:
    """Usable cores, as xdist counts them without psutil (honours CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def predict(n: int, history: History, cores: int) -> float:
    """Predicted wall seconds of a run with ``n`` workers (0: no xdist, one process)."""
    # Undo the stretch of the run that measured it: with more workers than cores, start-up and
    # busy time include waiting for a CPU (at most the CPU time once more per extra worker/core).
    measured_stretch = max(1.0, history.workers / cores)
    startup = history.startup_s / measured_stretch
    busy = max(history.cpu_s, history.busy_s - history.cpu_s * (measured_stretch - 1))
    processes = max(n, 1)
    stretch = max(1.0, processes / cores)
    return startup * stretch + max(busy / processes, history.cpu_s / cores)


def choose(request: str, history: History | None, cores: int, source: str) -> WorkerChoice:
    """Resolve ``-n`` (a count, ``auto`` or ``adaptive``) into the value pytest gets."""
    if request != "adaptive":
        if request == "auto":
            return WorkerChoice("auto", f"-n auto: xdist starts one worker per core ({cores})")
        return WorkerChoice(request, f"-n {request}: as requested")
    if history is None:
        return WorkerChoice("auto", f"adaptive: no previous run in {source}, so -n auto ({cores})")
    candidates = range(0, min(ADAPTIVE_MAX_FACTOR * cores, max(history.tests, 1)) + 1)
    predictions = {n: predict(n, history, cores) for n in candidates}
    best = min(predictions, key=lambda n: (round(predictions[n], 2), n))
    cpu_share = history.cpu_s / history.busy_s if history.busy_s else 1.0
    others = ", ".join(
        f"-n {n}: {predictions[n]:.1f} s" for n in sorted({0, cores, 2 * cores, 4 * cores} - {best})
        if n in predictions
    )
    reason = (
        f"adaptive: -n {best}, predicted {predictions[best]:.1f} s ({others}); previous run in "
        f"{source}: {history.tests} tests busy {history.busy_s:.1f} s, {cpu_share:.0%} of it on "
        f"the CPU, worker start-up {history.startup_s:.1f} s"
    )
    return WorkerChoice(str(best), reason, predictions[best])
