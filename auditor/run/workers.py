"""How many xdist workers a run uses: a count, ``auto``, or ``adaptive``.

``-n auto`` counts cores. Suites whose tests mostly wait (I/O, sleeps, subprocesses, servers)
finish sooner with more workers, and small suites sooner with fewer: xdist starts its workers one
after the other, and each collects the whole selection. ``adaptive`` reads the previous run's
measurements from run.json and picks the count whose predicted wall time is lowest:

    predicted(n) = spawn × n + collect × max(1, n / cores) + max(busy / n, cpu / cores)
    predicted(0) = collect + busy                                    (no xdist: one process)

``busy`` is the wall time the tests took in all workers together, ``cpu`` the CPU time they used,
``collect`` one worker's collection time and ``spawn`` the time xdist took to start one worker.
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
    """What adaptive needs from the previous run, as measured by it."""

    tests: int
    busy_s: float  #: total wall seconds inside tests, all workers
    cpu_s: float  #: total CPU seconds inside tests, all workers
    collect_s: float  #: the slowest worker's collection
    spawn_s: float  #: starting one worker (0 when the run had no workers)
    workers: int  #: how many workers measured it (0: no xdist)

    @classmethod
    def from_profile(cls, profile: dict[str, Any], tests: int) -> History | None:
        per_worker = profile.get("per_worker") or []
        if not per_worker or not tests:
            return None
        distributed = [w for w in per_worker if w["worker"] != "main"]
        collect = max(w["collect_s"] for w in per_worker)
        startup = max(w["startup_s"] for w in per_worker)
        return cls(
            tests=tests,
            busy_s=sum(w["busy_s"] for w in per_worker),
            cpu_s=sum(w["cpu_s"] for w in per_worker),
            collect_s=collect,
            spawn_s=max(0.0, startup - collect) / len(distributed) if distributed else 0.0,
            workers=len(distributed),
        )


def cpu_count() -> int:
    """Usable cores, as xdist counts them without psutil (honours CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def auto_workers() -> int:
    """What ``-n auto`` means here: ``PYTEST_XDIST_AUTO_NUM_WORKERS`` when set (xdist reads it
    too, so a CI script or a test can pin it), else the usable cores."""
    pinned = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    return int(pinned) if pinned.isdigit() and int(pinned) > 0 else cpu_count()


def predict(n: int, history: History, cores: int) -> float:
    """Predicted wall seconds of a run with ``n`` workers (0: no xdist, one process)."""
    # Undo the stretch of the run that measured it: with more workers than cores, collection and
    # busy time include waiting for a CPU (at most the CPU time once more per extra worker/core).
    measured_stretch = max(1.0, history.workers / cores)
    collect = history.collect_s / measured_stretch
    busy = max(history.cpu_s, history.busy_s - history.cpu_s * (measured_stretch - 1))
    if n == 0:
        return collect + busy
    spawn = history.spawn_s if history.workers else collect / 2  # a guess until measured
    return spawn * n + collect * max(1.0, n / cores) + max(busy / n, history.cpu_s / cores)


def choose(request: str, history: History | None, cores: int, source: str) -> WorkerChoice:
    """Resolve ``-n`` (a count, ``auto``, ``adaptive``, or ``default``: no ``-n`` given) into
    the value pytest gets. The default is adaptive's choice when a previous run of the same
    selection was measured (0 workers included), else ``auto``."""
    if request == "default":
        if history is None:
            return WorkerChoice(
                "auto", f"default: no previous run in {source}, so -n auto ({cores})"
            )
        chosen = choose("adaptive", history, cores, source)
        return WorkerChoice(chosen.arg, "default, " + chosen.reason, chosen.predicted_s)
    if request != "adaptive":
        if request in ("auto", "logical"):
            return WorkerChoice(
                request, f"-n {request}: xdist starts one worker per core ({cores})"
            )
        return WorkerChoice(request, f"-n {request}: as requested")
    if history is None:
        return WorkerChoice("auto", f"adaptive: no previous run in {source}, so -n auto ({cores})")
    candidates = range(0, min(ADAPTIVE_MAX_FACTOR * cores, history.tests) + 1)
    predictions = {n: predict(n, history, cores) for n in candidates}
    best = min(predictions, key=lambda n: (round(predictions[n], 2), n))
    cpu_share = history.cpu_s / history.busy_s if history.busy_s else 1.0
    others = ", ".join(
        f"-n {n}: {predictions[n]:.1f} s"
        for n in sorted({0, cores, 2 * cores, 4 * cores} - {best})
        if n in predictions
    )
    reason = (
        f"adaptive: -n {best}, predicted {predictions[best]:.1f} s ({others}); from the previous "
        f"run in {source}: {history.tests} tests busy {history.busy_s:.1f} s, {cpu_share:.0%} of "
        f"it on the CPU, collection {history.collect_s:.1f} s, {history.spawn_s:.2f} s to start "
        "a worker"
    )
    return WorkerChoice(str(best), reason, predictions[best])
