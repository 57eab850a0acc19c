"""Findings: the records classify makes, locate completes, the report writes and fix reads back.

:meth:`Finding.from_entry` is the way back from ``audit.json`` (the report contract): a report
that is malformed or was edited by hand gives a :class:`ReportError` naming the finding and the
field, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from auditor.exits import UsageError
from auditor.model import RunPlan

FindingKind = Literal[
    "order-dependent", "brittle", "shared-resource", "non-deterministic", "failing", "crash", "hang"
]
AUDIT_SCHEMA = "auditor.audit/1"


class ReportError(UsageError):
    """An audit report that cannot be used; the message names the file, the field and the fix."""


@dataclass(frozen=True)
class SearchCost:
    """One search for a cause: what it looked for, how many runs it took, whether it finished."""

    looked_for: str  #: polluters, cleaners, state_setters, corunners
    runs: int
    complete: bool = True


@dataclass(frozen=True)
class Finding:
    """One isolation problem, with the evidence that proves it."""

    kind: FindingKind
    test: str
    reproduce: str  #: a command that shows the failure
    failed_in: tuple[RunPlan, ...] = ()  #: campaign runs where it failed
    passed_in: tuple[RunPlan, ...] = ()  #: campaign runs where it passed
    sequence: tuple[str, ...] = ()  #: the failing order, ending with the test
    tests: tuple[str, ...] = ()  #: shared-resource: the test and its co-runners
    reruns: int = 0  #: observations beyond the campaign's: from the failing state, and alone
    failures: int = 0  #: all observations that failed (campaign and reruns)
    runs: int = 0  #: all observations
    reason: str | None = None  #: the short failure reason seen first
    # Located causes (stage 5, :mod:`auditor.locate`):
    polluters: tuple[str, ...] = ()  #: order-dependent: tests that make it fail, in order
    cleaners: tuple[str, ...] = ()  #: order-dependent: tests that, between, make it pass again
    state_setters: tuple[str, ...] = ()  #: brittle: tests that make it pass
    state: tuple[str, ...] = ()  #: ``TYPE:NAME`` of the state that links them
    #: of those ``state`` entries reached through other names too: (entry, its other names)
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    resources: tuple[str, ...] = ()  #: shared-resource: ``TYPE:NAME`` both tests use
    searches: tuple[SearchCost, ...] = ()  #: what locating the cause cost
    note: str | None = None  #: what the located cause changed about the verdict

    @classmethod
    def from_entry(cls, entry: object, where: str = "finding") -> Finding:
        """The finding an ``audit.json`` entry describes; ReportError names what is wrong.

        Only the fields fix needs are read back (kind, test, causes, reproduce); the evidence
        (runs, tallies) stays in the report.
        """
        if not isinstance(entry, Mapping):
            raise ReportError(f"{where} is {_a(entry)}, not an object")
        kind = _text(entry, "kind", where)
        if kind not in get_args(FindingKind):
            known = ", ".join(get_args(FindingKind))
            raise ReportError(f"{where}.kind is {kind!r}; a finding's kind is one of {known}")
        tests = _names(entry, "tests", where)
        test = _text(entry, "test", where) if "test" in entry or not tests else tests[0]
        return cls(
            kind=kind,  # type: ignore[arg-type]  # checked against FindingKind above
            test=test,
            reproduce=_text(entry, "reproduce", where, default=""),
            tests=tests,
            polluters=_names(entry, "polluters", where),
            cleaners=_names(entry, "cleaners", where),
            state_setters=_names(entry, "state_setters", where),
            state=_names(entry, "state", where),
            resources=_names(entry, "resources", where),
            sequence=_names(entry, "sequence", where),
        )


def load_findings(path: Path) -> tuple[Finding, ...]:
    """The findings of the audit report at ``path``; ReportError when it is missing or not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(
            f"{path} does not exist: run `auditor audit` first, or name the report with --from"
        ) from None
    except (OSError, ValueError) as exc:
        raise ReportError(
            f"{path} is not a readable audit report ({exc}); rerun `auditor audit`"
        ) from None
    if not isinstance(data, dict) or data.get("schema") != AUDIT_SCHEMA:
        raise ReportError(f"{path} is not an {AUDIT_SCHEMA} report; rerun `auditor audit`")
    entries = data.get("findings", [])
    if not isinstance(entries, list):
        raise ReportError(f"{path}: findings is {_a(entries)}, not a list; rerun `auditor audit`")
    try:
        return tuple(
            Finding.from_entry(entry, f"findings[{index}]") for index, entry in enumerate(entries)
        )
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}; rerun `auditor audit` or correct the entry") from None


def load_latent(path: Path) -> dict[str, tuple[str, ...]]:
    """Per resource, the tests the audit report's ``latent`` entries say use it (their
    footprints), for a report :func:`load_findings` read; entries it cannot read are left out:
    they only widen a ``serial`` fix."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for entry in data.get("latent", []) if isinstance(data, dict) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), str):
            continue
        tests = entry.get("tests")
        if isinstance(tests, list) and all(isinstance(t, str) for t in tests):
            found[entry["resource"]] = (*found.get(entry["resource"], ()), *tests)
    return found


def _text(entry: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    if key not in entry and default is not None:
        return default
    if key not in entry:
        raise ReportError(f"{where} has no {key!r}")
    value = entry[key]
    if not isinstance(value, str):
        raise ReportError(f"{where}.{key} is {_a(value)}, not a string")
    return value


def _names(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise ReportError(f"{where}.{key} is {_a(value)}, not a list of strings")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ReportError(f"{where}.{key}[{index}] is {_a(item)}, not a string")
    return tuple(value)


def _a(value: object) -> str:
    """``a string``, ``a number``…: what a JSON value is, for a message."""
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    names.update({list: "a list", dict: "an object", type(None): "null"})
    return names.get(type(value), type(value).__name__)
