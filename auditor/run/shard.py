"""``auditor run --shard I/N``: this machine's share of the selection, balanced by duration.

Every shard collects the same selection in pytest's default order (randomly off), so every shard
computes the same split; the split does not depend on any seed, so the union of the shards is
exactly the selection whatever order each then runs its tests in. The units of the split are the
test modules: a module's module-scoped fixtures set up once, on one shard. A module longer than a
shard's fair share is split by class, then by test, and the run says so (its module-scoped
fixtures then set up on each shard that has a part). Units whose tests share a ``serial`` key go
to the same shard. Then longest processing time first: the longest unit to the least loaded
shard. Durations come from the history (each test's median over its last recorded CI runs); a
test never recorded counts as the median of those that were, or 1 s when none was. All shards
must read the same history (restore one cache key in every job), or the merge reports holes.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from auditor.exits import UsageError

_SPEC = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Shard:
    index: int  #: 1-based
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def parse(text: str) -> Shard:
    """``I/N`` with 1 ≤ I ≤ N; UsageError with the form otherwise."""
    found = _SPEC.match(text.strip())
    if found:
        index, total = int(found[1]), int(found[2])
        if 1 <= index <= total:
            return Shard(index, total)
    raise UsageError(f"--shard {text!r}: write I/N with 1 <= I <= N, e.g. --shard 2/4")


@dataclass(frozen=True)
class Split:
    shards: tuple[tuple[str, ...], ...]  #: each shard's tests, in collection order
    seconds: tuple[float, ...]  #: each shard's expected seconds
    notes: tuple[str, ...]  #: modules split across shards


def split(
    collected: Sequence[str],
    durations: Mapping[str, float],
    serial_keys: Mapping[str, Sequence[str]],
    total: int,
) -> Split:
    """The selection in ``total`` shards (see the module docstring)."""
    known = [durations[t] for t in collected if t in durations]
    default = statistics.median(known) if known else 1.0
    cost = {t: durations.get(t, default) for t in collected}
    fair = sum(cost.values()) / total
    units, notes = _units(collected, cost, fair)
    units = _joined_by_serial_keys(units, serial_keys)
    loads = [0.0] * total
    members: list[list[str]] = [[] for _ in range(total)]
    for unit in sorted(units, key=lambda u: (-sum(cost[t] for t in u), u[0])):
        target = min(range(total), key=lambda i: (loads[i], i))
        loads[target] += sum(cost[t] for t in unit)
        members[target].extend(unit)
    order = {test: position for position, test in enumerate(collected)}
    shards = tuple(tuple(sorted(m, key=order.__getitem__)) for m in members)
    return Split(shards, tuple(round(load, 3) for load in loads), tuple(notes))


def _units(
    collected: Sequence[str], cost: Mapping[str, float], fair: float
) -> tuple[list[list[str]], list[str]]:
    modules: dict[str, list[str]] = {}
    for test in collected:
        modules.setdefault(test.partition("::")[0], []).append(test)
    units: list[list[str]] = []
    notes: list[str] = []
    for module, tests in modules.items():
        if sum(cost[t] for t in tests) <= fair or len(tests) == 1:
            units.append(tests)
            continue
        classes: dict[str, list[str]] = {}
        for test in tests:
            parts = test.split("::")
            classes.setdefault("::".join(parts[:2]) if len(parts) > 2 else test, []).append(test)
        for group in classes.values():
            if sum(cost[t] for t in group) <= fair:
                units.append(group)
            else:
                units.extend([t] for t in group)
        notes.append(
            f"{module} is longer than a shard's share: split by class and test (its "
            "module-scoped fixtures set up on each shard that has a part)"
        )
    return units, notes


def _joined_by_serial_keys(
    units: list[list[str]], serial_keys: Mapping[str, Sequence[str]]
) -> list[list[str]]:
    """Units whose tests share a serial key, merged into one."""
    owner: dict[str, int] = {}
    parent = list(range(len(units)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index, unit in enumerate(units):
        for test in unit:
            for key in serial_keys.get(test, ()):
                if key in owner:
                    parent[root(index)] = root(owner[key])
                else:
                    owner[key] = index
    merged: dict[int, list[str]] = {}
    for index, unit in enumerate(units):
        merged.setdefault(root(index), []).extend(unit)
    return list(merged.values())
