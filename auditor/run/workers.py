"""How many xdist workers a run uses: a count, ``auto``, or ``adaptive``.

``-n auto`` counts cores. Suites whose tests mostly wait (I/O, sleeps, subprocesses, servers)
finish sooner with more workers, and small suites sooner with fewer: xdist starts its workers one
after the other, and each collects the whole selection. ``adaptive`` reads the previous run's
measurements from run.json and picks the count whose predicted wall time is lowest:

    predicted(n) = spawn × n + collect × max(1, n / cores) + max(busy / n, cpu / cores)
    predicted(0) = collect + busy                                    (no xdist: one process)

``busy`` is the wall time the tests took in all workers together, ``cpu`` the CPU time they used,
``collect`` one worker's collection time and ``spawn`` the time xdist took to start one worker;
no count finishes before the longest test.

The model learns from every recorded run of the selection (the history's timings, up to
``LEARN_FROM`` runs): each run's own count, predicted from its own measurements, is compared with
the wall time it took. The difference, the model's error at that count (pytest's start-up and
wind-down, xdist's scheduling), is added to the prediction of that count from the newest run's
measurements; a count never run borrows the error of the nearest count that was, on the same
side of 0 workers first (start-up is paid by both sides alike). A count the model favours but
never ran is run once, and measured.
When auditor picks the count, xdist distributes with ``worksteal`` (unless the project chose a
``--dist``): an idle worker takes half of a busy one's queue, so the contiguous first batches of
``load`` no longer leave one worker with the slow end of a sorted selection.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ADAPTIVE_MAX_FACTOR = 4  #: adaptive tries up to 4 × cores workers
LEARN_FROM = 10  #: the newest recorded runs of a selection the model learns from
DIST = "worksteal"  #: xdist's --dist when auditor picks the count and the project chose none


@dataclass(frozen=True)
class WorkerChoice:
    """The ``-n`` value to pass to pytest, and why."""

    arg: str  #: "auto", or a count ("0" runs without workers)
    reason: str
    predicted_s: float | None = None
    dist: str | None = None  #: xdist's --dist when the project chose none (None: xdist's own)


@dataclass(frozen=True)
class History:
    """What adaptive needs from the previous run, as measured by it."""

    tests: int
    busy_s: float  #: total wall seconds inside tests, all workers
    cpu_s: float  #: total CPU seconds inside tests, all workers
    collect_s: float  #: the slowest worker's collection
    spawn_s: float  #: starting one worker (0 when the run had no workers)
    workers: int  #: how many workers measured it (0: no xdist)
    longest_s: float = 0.0  #: the longest test: no count finishes sooner

    @classmethod
    def from_profile(cls, profile: dict[str, Any], tests: int) -> History | None:
        per_worker = profile.get("per_worker") or []
        if not per_worker or not tests:
            return None
        distributed = [w for w in per_worker if w["worker"] != "main"]
        collect = max(w["collect_s"] for w in per_worker)
        startup = max(w["startup_s"] for w in per_worker)
        slowest = profile.get("slowest") or []
        return cls(
            tests=tests,
            busy_s=sum(w["busy_s"] for w in per_worker),
            cpu_s=sum(w["cpu_s"] for w in per_worker),
            collect_s=collect,
            spawn_s=max(0.0, startup - collect) / len(distributed) if distributed else 0.0,
            workers=len(distributed),
            longest_s=slowest[0]["duration_s"] if slowest else 0.0,
        )


@dataclass(frozen=True)
class Past:
    """One recorded run of the selection: its measurements and the wall time pytest took."""

    history: History
    wall_s: float


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
    tests = max(busy / n, history.cpu_s / cores, history.longest_s)
    return spawn * n + collect * max(1.0, n / cores) + tests


def errors(past: Sequence[Past], cores: int) -> dict[int, float]:
    """Per count run before, the model's error there: the median of wall time minus the run's
    own prediction of itself, in seconds."""
    misses: dict[int, list[float]] = {}
    for run in past:
        predicted = predict(run.history.workers, run.history, cores)
        misses.setdefault(run.history.workers, []).append(run.wall_s - predicted)
    return {n: statistics.median(values) for n, values in misses.items()}


def correction(n: int, errors: dict[int, float]) -> float:
    """The error to add at ``n``: its own, else the nearest measured count's, on the same side
    of 0 workers first; none without a recorded run."""
    if not errors:
        return 0.0
    return errors[min(errors, key=lambda m: ((m == 0) != (n == 0), abs(m - n), m))]


def choose(
    request: str,
    history: History | None,
    cores: int,
    source: str,
    past: Sequence[Past] = (),
) -> WorkerChoice:
    """Resolve ``-n`` (a count, ``auto``, ``adaptive``, or ``default``: no ``-n`` given) into
    the value pytest gets. The default is adaptive's choice when a previous run of the same
    selection was measured (0 workers included), else ``auto``. ``history`` is the newest run's
    measurements, ``past`` the recorded runs whose errors correct the model."""
    if request == "default":
        if history is None:
            return WorkerChoice(
                "auto", f"default: no previous run in {source}, so -n auto ({cores})", dist=DIST
            )
        chosen = choose("adaptive", history, cores, source, past)
        return WorkerChoice(chosen.arg, "default, " + chosen.reason, chosen.predicted_s, DIST)
    if request != "adaptive":
        if request in ("auto", "logical"):
            return WorkerChoice(
                request, f"-n {request}: xdist starts one worker per core ({cores})"
            )
        return WorkerChoice(request, f"-n {request}: as requested")
    if history is None:
        return WorkerChoice(
            "auto", f"adaptive: no previous run in {source}, so -n auto ({cores})", dist=DIST
        )
    candidates = range(0, min(ADAPTIVE_MAX_FACTOR * cores, history.tests) + 1)
    measured = errors(past, cores)
    predictions = {
        n: max(0.0, predict(n, history, cores) + correction(n, measured)) for n in candidates
    }
    best = min(predictions, key=lambda n: (round(predictions[n], 2), n))
    cpu_share = history.cpu_s / history.busy_s if history.busy_s else 1.0
    others = ", ".join(
        f"-n {n}: {predictions[n]:.1f} s"
        for n in sorted({0, cores, 2 * cores, 4 * cores} - {best})
        if n in predictions
    )
    runs = f"the newest of {len(past)} recorded runs" if len(past) > 1 else "the previous run"
    reason = (
        f"adaptive: -n {best}, predicted {predictions[best]:.1f} s ({others}); from {runs} "
        f"in {source}: {history.tests} tests busy {history.busy_s:.1f} s, {cpu_share:.0%} of "
        f"it on the CPU, collection {history.collect_s:.1f} s, {history.spawn_s:.2f} s to start "
        "a worker"
    )
    if measured:
        learnt = ", ".join(f"-n {n} {measured[n]:+.2f} s" for n in sorted(measured))
        reason += f"; corrected by the model's error in the recorded runs ({learnt})"
    return WorkerChoice(str(best), reason, predictions[best], DIST)
