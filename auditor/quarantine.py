"""The quarantine file: known non-isolated tests that still run, but do not fail the build.

``quarantine.toml`` in the project (``[tool.auditor] quarantine`` names another), committed
with the code. One ``[[test]]`` table per test, matched by its exact node id::

    [[test]]
    id = "tests/test_flaky.py::test_eventually_consistent"
    kind = "non-deterministic"
    cause = "failed 1 of 4 runs of the same order: …"
    reproduce = "pytest -p no:randomly tests/test_flaky.py::test_eventually_consistent"
    added = 2026-11-30
    expires = 2026-12-30
    owner = "@shop-team"                          # optional
    issue = "https://github.com/org/shop/issues/7"  # optional

``polluters``, ``state_setters``, ``state`` and ``resources`` (lists of strings) carry the
cause the audit found, when it found one. With ``CI_QUARANTINE=1`` or ``auditor run
--quarantine``, a quarantined test's failure does not fail the run until its entry expires.
Reading never guesses: an unknown key, a missing one or a bad date is a :class:`QuarantineError`
naming the file and the line. Writing goes through tomlkit, so comments and layout people added
stay as they were.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.exits import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on the oldest supported Python only
    import tomli as tomllib

FILE = "quarantine.toml"
DAYS = 30  #: an entry's default life
READY_AFTER = 20  #: passes in a row, in the recorded runs, that make an entry ready to leave
HEADER = """\
# Quarantined tests (auditor): they still run; with CI_QUARANTINE=1 or `auditor run --quarantine`
# their failures do not fail the build until the entry expires. `auditor quarantine add|remove|list`
# edits this file; `auditor fix` removes the entries of the tests it fixed.
"""
_CAUSES = ("polluters", "state_setters", "state", "resources", "tests")
_KEYS = frozenset(
    {"id", "kind", "cause", "reproduce", "added", "expires", "owner", "issue", *_CAUSES}
)
_REQUIRED = ("id", "kind", "cause", "added", "expires")


class QuarantineError(UsageError):
    """A quarantine file that cannot be used; the message names the file, line and remedy."""


@dataclass(frozen=True)
class Entry:
    test: str  #: the exact node id
    kind: str  #: the finding's kind, or "manual"
    cause: str
    added: dt.date
    expires: dt.date
    reproduce: str = ""
    owner: str | None = None
    issue: str | None = None
    causes: tuple[tuple[str, tuple[str, ...]], ...] = ()  #: (polluters|state|…, names)
    line: int = field(default=0, compare=False)  #: where its table starts in the file

    def expired(self, today: dt.date) -> bool:
        return today > self.expires


def path_of(root: Path) -> Path:
    """The quarantine file: ``[tool.auditor] quarantine``, else ``quarantine.toml``."""
    from auditor.select import tool_setting

    name = tool_setting(root, "quarantine")
    if name is None:
        return root / FILE
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise QuarantineError(
            f"{root / 'pyproject.toml'}: [tool.auditor] quarantine = {name!r} is outside the "
            "project; name a file in it, committed with the tests"
        )
    return root / name


def load(path: Path) -> list[Entry]:
    """The entries of the quarantine file (none when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise QuarantineError(f"{path}: cannot be read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuarantineError(
            f"{path}: not valid TOML ({exc}); correct it, or take it from git again"
        ) from None
    unknown = sorted(set(data) - {"test"})
    if unknown:
        raise QuarantineError(
            f"{path}:{_line_of(text, unknown[0])}: unknown table or key {unknown[0]!r}; the "
            "file holds [[test]] tables only"
        )
    tables = data.get("test", [])
    if not isinstance(tables, list):
        raise QuarantineError(f"{path}: 'test' must be [[test]] tables, one per test")
    starts = [number for number, line in _lines(text) if line.strip() == "[[test]]"]
    entries = [
        _entry(table, path, starts[index] if index < len(starts) else 0, text)
        for index, table in enumerate(tables)
    ]
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.test in seen:
            raise QuarantineError(
                f"{path}:{entry.line}: {entry.test} is quarantined twice (also line "
                f"{seen[entry.test].line}); keep one entry"
            )
        seen[entry.test] = entry
    return entries


def _entry(table: Any, path: Path, line: int, text: str) -> Entry:
    where = f"{path}:{line}"
    if not isinstance(table, dict):
        raise QuarantineError(f"{where}: an entry must be a [[test]] table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        known = ", ".join(sorted(_KEYS))
        at = _line_of(text, unknown[0], after=line)
        raise QuarantineError(f"{path}:{at}: unknown key {unknown[0]!r}; an entry has {known}")
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise QuarantineError(f"{where}: the entry has no {missing[0]!r}")
    for key in ("id", "kind", "cause", "reproduce", "owner", "issue"):
        if key in table and not isinstance(table[key], str):
            at = _line_of(text, key, after=line)
            raise QuarantineError(f"{path}:{at}: {key} must be a string, got {table[key]!r}")
    for key in _CAUSES:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            at = _line_of(text, key, after=line)
            raise QuarantineError(f"{path}:{at}: {key} must be a list of strings")
    added, expires = (
        _date(table[key], path, _line_of(text, key, after=line), key)
        for key in ("added", "expires")
    )
    return Entry(
        test=table["id"],
        kind=table["kind"],
        cause=table["cause"],
        added=added,
        expires=expires,
        reproduce=table.get("reproduce", ""),
        owner=table.get("owner"),
        issue=table.get("issue"),
        causes=tuple((key, tuple(table[key])) for key in _CAUSES if table.get(key)),
        line=line,
    )


def _date(value: object, path: Path, line: int, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise QuarantineError(
        f"{path}:{line}: {key} = {value!r} is not a date; write it as {key} = 2026-12-31"
    )


def _lines(text: str) -> Iterable[tuple[int, str]]:
    return enumerate(text.splitlines(), 1)


def _line_of(text: str, key: str, after: int = 0) -> int:
    pattern = re.compile(rf"^\s*(\[+\s*)?[\"']?{re.escape(key)}[\"']?\s*[=\]]")
    for number, line in _lines(text):
        if number >= after and pattern.match(line):
            return number
    return after


def entry_of(finding: Mapping[str, Any], today: dt.date, days: int = DAYS) -> Entry:
    """The entry for an audit finding (an ``audit.json`` entry): its kind, cause and command."""
    return Entry(
        test=finding["test"],
        kind=finding["kind"],
        cause=cause_of(finding),
        added=today,
        expires=today + dt.timedelta(days=days),
        reproduce=finding.get("reproduce") or "",
        causes=tuple((key, tuple(finding[key])) for key in _CAUSES if finding.get(key)),
    )


def cause_of(finding: Mapping[str, Any]) -> str:
    """The cause in one sentence, from an ``audit.json`` finding."""
    kind = finding["kind"]
    state = ", ".join(finding.get("state") or ()) or "state the footprint did not see"
    if kind == "order-dependent" and finding.get("polluters"):
        return f"fails after {', '.join(finding['polluters'])} ({state})"
    if kind == "brittle" and finding.get("state_setters"):
        return f"passes only after {', '.join(finding['state_setters'])} ({state})"
    if kind == "shared-resource":
        others = [t for t in finding.get("tests") or () if t != finding["test"]]
        used = ", ".join(finding.get("resources") or ()) or "a resource the footprint did not see"
        return f"fails when run at the same time as {', '.join(others)} ({used})"
    tally = ""
    if finding.get("runs"):
        tally = f"failed {finding.get('failures', 0)} of {finding['runs']} observations"
    said = "; ".join(part for part in (tally, finding.get("note") or "") if part)
    return said or f"{kind}, as the audit classified it"


def add(path: Path, entries: Sequence[Entry]) -> list[Entry]:
    """Append the entries whose test is not quarantined yet; those added."""
    import tomlkit

    document = _document(path)
    known = {entry.test for entry in load(path)} if path.exists() else set()
    added = [entry for entry in entries if entry.test not in known]
    if not added:
        return []
    tables = document.get("test")
    if tables is None:
        tables = tomlkit.aot()
        document.append("test", tables)
    for entry in added:
        tables.append(_table(entry))
    _write(path, tomlkit.dumps(document))
    return added


def remove(path: Path, tests: Iterable[str]) -> list[str]:
    """Drop the entries of those tests; the tests whose entry went."""
    if not path.exists():
        return []
    import tomlkit

    load(path)  # a file that does not parse is reported, not rewritten
    document = _document(path)
    wanted = set(tests)
    tables = document.get("test", [])
    gone = [str(table["id"]) for table in tables if table["id"] in wanted]
    if not gone:
        return []
    for index in reversed(range(len(tables))):  # in place: comments and layout stay
        if tables[index]["id"] in wanted:
            del tables[index]
    if not len(tables):
        del document["test"]
    _write(path, tomlkit.dumps(document))
    return gone


def _document(path: Path) -> Any:
    import tomlkit

    if path.exists():
        return tomlkit.parse(path.read_text(encoding="utf-8-sig"))
    document = tomlkit.document()
    for line in HEADER.splitlines():
        document.add(tomlkit.comment(line.removeprefix("# ")))
    document.add(tomlkit.nl())
    return document


def _table(entry: Entry) -> Any:
    import tomlkit

    table = tomlkit.table()
    table["id"] = entry.test
    table["kind"] = entry.kind
    table["cause"] = entry.cause
    if entry.reproduce:
        table["reproduce"] = entry.reproduce
    for key, names in entry.causes:
        table[key] = list(names)
    table["added"] = entry.added
    table["expires"] = entry.expires
    for key, value in (("owner", entry.owner), ("issue", entry.issue)):
        if value:
            table[key] = value
    return table


def _write(path: Path, text: str) -> None:
    from auditor.fix.files import write_atomically  # a crash leaves the old file or the new

    write_atomically(path, text)
