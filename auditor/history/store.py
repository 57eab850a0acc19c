"""The history database: ``.auditor/history.sqlite`` in the project (git-ignored by default).

One **session** per command (``run``, ``audit``, ``scan``): its kind, time, commit and exit
code, and the findings of an audit or scan. A session has **runs** (one for ``run``; an audit's
campaign runs: its default, reversed, random and xdist orders), each with its worker count and
seed, and each run a **result** per test: outcome, duration, worker, start and stop. The tests
that overlapped a test are those whose start-stop interval crossed its own on another worker
(:meth:`History.overlapping`): stored once as intervals, not as lists, so recording a run of
a thousand tests is one insert of a thousand rows.

Concurrent writers (shards, parallel jobs) each write a session in one ``BEGIN IMMEDIATE``
transaction, in WAL mode, waiting up to ``LOCK_TIMEOUT_S`` for each other. A database that is
corrupt is moved aside (``history.sqlite.corrupt-<time>``), never overwritten; one from a newer
auditor is refused. :func:`export_lines` / :func:`import_lines` carry sessions as JSON lines (a
CI artifact), and importing the same session twice keeps one copy.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from typing import Any, Literal

from auditor.exits import UsageError
from auditor.git import answer
from auditor.model import FAILED_OUTCOMES, RunOutcome, RunResult

#: bumped when a table changes; an older auditor refuses a newer database. A table added (as
#: ``timings`` was) leaves it: older auditors read the others and never see it.
SCHEMA = 1
LINES_SCHEMA = "auditor.history/1"  #: the JSON-lines export's ``schema``
FOLDER = ".auditor"  #: under the project: the history and nothing one commits
FILE = "history.sqlite"
LOCK_TIMEOUT_S = 30.0

SessionKind = Literal["run", "audit", "scan"]
#: campaign runs recorded for an audit or scan: the whole selection in one order
RECORDED_PLANS = frozenset({"sequential", "reversed", "random", "xdist", "guided", "alone"})

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, time REAL NOT NULL,
    git_commit TEXT, exit_code INTEGER, partial INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions(id),
    plan TEXT NOT NULL, time REAL NOT NULL, workers INTEGER NOT NULL, seed INTEGER,
    ran INTEGER NOT NULL, failed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tests (id INTEGER PRIMARY KEY, nodeid TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS results (
    run INTEGER NOT NULL REFERENCES runs(id), test INTEGER NOT NULL REFERENCES tests(id),
    outcome TEXT NOT NULL, duration REAL NOT NULL, worker TEXT, start REAL, stop REAL,
    PRIMARY KEY (run, test)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timings (
    run INTEGER PRIMARY KEY REFERENCES runs(id), selection TEXT NOT NULL, cores INTEGER NOT NULL,
    tests INTEGER NOT NULL, wall_s REAL NOT NULL, busy_s REAL NOT NULL, cpu_s REAL NOT NULL,
    collect_s REAL NOT NULL, spawn_s REAL NOT NULL, longest_s REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    session INTEGER NOT NULL REFERENCES sessions(id), test TEXT NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


class HistoryError(UsageError):
    """A history that cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class Result:
    """One test in one recorded run."""

    nodeid: str
    outcome: str
    duration: float
    worker: str | None = None
    start: float | None = None
    stop: float | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


@dataclass(frozen=True)
class Timing:
    """Where an ``auditor run``'s time went: what its worker-count model learns from."""

    selection: str  #: which selection ran (its entries, and the shard)
    cores: int  #: the cores it had
    tests: int
    wall_s: float  #: pytest's wall time
    busy_s: float  #: in tests, all workers together
    cpu_s: float  #: CPU in tests, all workers together
    collect_s: float  #: the slowest worker's collection
    spawn_s: float  #: starting one worker
    longest_s: float  #: the longest test


@dataclass(frozen=True)
class Run:
    """One pytest run of a session: the whole selection in one order."""

    plan: str  #: "run" for ``auditor run``; the campaign plan's description for an audit
    time: float
    workers: int
    seed: int | None
    results: tuple[Result, ...]
    timing: Timing | None = None  #: recorded for ``auditor run``


@dataclass(frozen=True)
class Session:
    """One command's record."""

    kind: SessionKind
    time: float
    commit: str | None
    exit_code: int | None
    runs: tuple[Run, ...] = ()
    findings: tuple[dict[str, Any], ...] = ()  #: audit.json's findings (kind, test, cause…)
    partial: bool = False  #: an audit or scan stopped early: what it did not find is unknown
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)


def run_of(
    result: RunResult, plan: str, workers: int, seed: int | None, timing: Timing | None = None
) -> Run:
    """A pytest run's records as a history run."""
    started = result.session_start or min((r.start for r in result.tests if r.start), default=0.0)
    return Run(
        plan,
        started or time.time(),
        workers,
        seed,
        tuple(
            Result(r.nodeid, r.outcome, r.duration, r.worker, r.start, r.stop) for r in result.tests
        ),
        timing,
    )


def campaign_runs(outcomes: Iterable[RunOutcome]) -> tuple[Run, ...]:
    """An audit's campaign runs (each order of the whole selection), not its searches."""
    return tuple(
        run_of(o.result, o.plan.describe(), o.plan.workers, o.plan.seed)
        for o in outcomes
        if o.plan.kind in RECORDED_PLANS and o.result.tests
    )


def head_commit(root: Path) -> str | None:
    """The checked-out commit, or None outside git; ``GITHUB_SHA`` first, as CI checks out."""
    return os.environ.get("GITHUB_SHA") or answer(root, "rev-parse", "HEAD")


def default_path(root: Path) -> Path:
    return root / FOLDER / FILE


class History:
    """An open history database (:func:`opened`)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    def record(self, session: Session) -> bool:
        """Append one session in one transaction; False when its uid is already there."""
        with self._write():
            if self._db.execute("SELECT 1 FROM sessions WHERE uid = ?", (session.uid,)).fetchone():
                return False
            cursor = self._db.execute(
                "INSERT INTO sessions (uid, kind, time, git_commit, exit_code, partial) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session.uid,
                    session.kind,
                    session.time,
                    session.commit,
                    session.exit_code,
                    int(session.partial),
                ),
            )
            key = cursor.lastrowid
            ids = self._test_ids({r.nodeid for run in session.runs for r in run.results})
            for run in session.runs:
                ran = [r for r in run.results if r.outcome != "skipped"]
                run_key = self._db.execute(
                    "INSERT INTO runs (session, plan, time, workers, seed, ran, failed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        run.plan,
                        run.time,
                        run.workers,
                        run.seed,
                        len(ran),
                        sum(r.failed for r in ran),
                    ),
                ).lastrowid
                rows = {  # a test reported twice (a rerun) keeps its last record
                    ids[r.nodeid]: (
                        run_key,
                        ids[r.nodeid],
                        r.outcome,
                        r.duration,
                        r.worker,
                        r.start,
                        r.stop,
                    )
                    for r in run.results
                }
                self._db.executemany(  # in key order: appended to the table's B-tree
                    "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [rows[key] for key in sorted(rows)],
                )
                if run.timing is not None:
                    self._db.execute(
                        "INSERT INTO timings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (run_key, *astuple(run.timing)),
                    )
            self._db.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?)",
                [(key, f["test"], f["kind"], json.dumps(f)) for f in session.findings],
            )
        return True

    def _test_ids(self, nodeids: set[str]) -> dict[str, int]:
        """The key of each node id, new ones added (inside the caller's transaction)."""
        known = dict(self._db.execute("SELECT nodeid, id FROM tests"))
        new = sorted(nodeids - known.keys())
        if new:
            self._db.executemany("INSERT INTO tests (nodeid) VALUES (?)", [(n,) for n in new])
            known = dict(self._db.execute("SELECT nodeid, id FROM tests"))
        return known

    def sessions(self, kinds: Sequence[SessionKind] = ("run", "audit", "scan")) -> list[Session]:
        """Sessions of those kinds, oldest first, with their findings but not their runs."""
        marks = ", ".join("?" * len(kinds))
        rows = self._db.execute(
            f"SELECT id, uid, kind, time, git_commit, exit_code, partial FROM sessions "
            f"WHERE kind IN ({marks}) ORDER BY time, id",
            tuple(kinds),
        ).fetchall()
        return [
            Session(
                kind,
                started,
                commit,
                code,
                findings=tuple(
                    json.loads(detail)
                    for (detail,) in self._db.execute(
                        "SELECT detail FROM findings WHERE session = ? ORDER BY rowid", (key,)
                    )
                ),
                partial=bool(partial),
                uid=uid,
            )
            for key, uid, kind, started, commit, code, partial in rows
        ]

    def outcomes(
        self,
        kinds: Sequence[SessionKind] = ("run", "scan"),
        outage: float = 0.5,
        tests: Sequence[str] | None = None,
    ) -> dict[str, list[tuple[float, bool]]]:
        """Per test (those ``tests`` only, when given), (run time, failed) for each recorded run
        of those kinds that ran it, oldest first; skipped tests left out, and runs where more
        than ``outage`` of the tests failed (an infrastructure outage) left out whole."""
        marks = ", ".join("?" * len(kinds))
        only, wanted = "", ()
        if tests is not None:  # the keys first: each run's results are found by (run, test)
            wanted = tuple(
                key
                for (key,) in self._db.execute(
                    f"SELECT id FROM tests WHERE nodeid IN ({', '.join('?' * len(tests))})",
                    tuple(tests),
                )
            )
            only = f"AND results.test IN ({', '.join('?' * len(wanted))})"
        failed = ", ".join(f"'{outcome}'" for outcome in sorted(FAILED_OUTCOMES))
        rows = self._db.execute(
            f"""
            SELECT tests.nodeid, runs.time, results.outcome IN ({failed})
            FROM sessions CROSS JOIN runs ON runs.session = sessions.id
            CROSS JOIN results ON results.run = runs.id JOIN tests ON tests.id = results.test
            WHERE sessions.kind IN ({marks}) AND results.outcome != 'skipped'
              AND runs.failed <= ? * runs.ran {only}
            ORDER BY runs.time, runs.id
            """,
            (*kinds, outage, *wanted),
        ).fetchall()
        per_test: dict[str, list[tuple[float, bool]]] = {}
        for nodeid, started, was_failed in rows:
            per_test.setdefault(nodeid, []).append((started, bool(was_failed)))
        return per_test

    def durations(self, commit: str | None, last: int = 5) -> dict[str, float]:
        """Per test, the median duration of its last ``last`` recorded CI runs (not the
        audits': their runs repeat set-ups in ways CI does not), leaving out the shards of
        ``commit``: the shards of one CI run, recording one after another into one history,
        must all split by the same durations."""
        rows = self._db.execute(
            """
            SELECT tests.nodeid, results.duration FROM sessions
            JOIN runs ON runs.session = sessions.id JOIN results ON results.run = runs.id
            JOIN tests ON tests.id = results.test
            WHERE sessions.kind = 'run' AND results.outcome != 'skipped'
              AND NOT (runs.plan LIKE 'run, shard %' AND sessions.git_commit IS ?)
            ORDER BY runs.time DESC, runs.id DESC
            """,
            (commit,),
        ).fetchall()
        seen: dict[str, list[float]] = {}
        for nodeid, duration in rows:
            kept = seen.setdefault(nodeid, [])
            if len(kept) < last:
                kept.append(duration)
        return {nodeid: statistics.median(values) for nodeid, values in seen.items()}

    def timings(self, selection: str, cores: int, last: int) -> list[tuple[int, Timing]]:
        """The ``last`` newest timed ``auditor run`` runs of ``selection`` on as many cores,
        newest first: (workers, timing)."""
        rows = self._db.execute(
            "SELECT runs.workers, timings.* FROM timings JOIN runs ON runs.id = timings.run "
            "WHERE timings.selection = ? AND timings.cores = ? "
            "ORDER BY runs.time DESC, runs.id DESC LIMIT ?",
            (selection, cores, last),
        ).fetchall()
        return [(row[0], Timing(*row[2:])) for row in rows]

    def run_count(self, kinds: Sequence[SessionKind] = ("run", "scan")) -> int:
        """Recorded runs of sessions of those kinds."""
        marks = ", ".join("?" * len(kinds))
        row = self._db.execute(
            f"SELECT COUNT(*) FROM runs JOIN sessions ON sessions.id = runs.session "
            f"WHERE sessions.kind IN ({marks})",
            tuple(kinds),
        ).fetchone()
        return int(row[0])

    def overlapping(self, session_uid: str, nodeid: str) -> list[str]:
        """The tests that ran at the same time as ``nodeid`` on another worker, in the
        session's runs."""
        rows = self._db.execute(
            """
            SELECT DISTINCT theirs.nodeid FROM results AS mine
            JOIN tests AS me ON me.id = mine.test
            JOIN runs ON runs.id = mine.run JOIN sessions ON sessions.id = runs.session
            JOIN results AS other ON other.run = mine.run
            JOIN tests AS theirs ON theirs.id = other.test
            WHERE sessions.uid = ? AND me.nodeid = ? AND other.test != mine.test
              AND other.worker IS NOT mine.worker
              AND other.start < mine.stop AND mine.start < other.stop
            ORDER BY theirs.nodeid
            """,
            (session_uid, nodeid),
        ).fetchall()
        return [nodeid for (nodeid,) in rows]

    def runs_of(self, session_uid: str) -> list[Run]:
        """A session's runs with their results."""
        runs = self._db.execute(
            "SELECT runs.id, plan, runs.time, workers, seed FROM runs "
            "JOIN sessions ON sessions.id = runs.session WHERE sessions.uid = ? ORDER BY runs.id",
            (session_uid,),
        ).fetchall()
        timed = {
            row[0]: Timing(*row[1:])
            for row in self._db.execute(
                "SELECT timings.* FROM timings JOIN runs ON runs.id = timings.run "
                "JOIN sessions ON sessions.id = runs.session WHERE sessions.uid = ?",
                (session_uid,),
            )
        }
        return [
            Run(
                plan,
                started,
                workers,
                seed,
                tuple(
                    Result(*row)
                    for row in self._db.execute(
                        "SELECT nodeid, outcome, duration, worker, start, stop FROM results "
                        "JOIN tests ON tests.id = results.test WHERE run = ? "
                        "ORDER BY start, nodeid",
                        (key,),
                    )
                ),
                timed.get(key),
            )
            for key, plan, started, workers, seed in runs
        ]

    @contextmanager
    def _write(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _locked(self.path, exc) from None
        try:
            yield
        except BaseException:
            self._db.rollback()
            raise
        self._db.commit()


@contextmanager
def opened(path: Path, *, say: Any = None) -> Iterator[History]:
    """The history at ``path``, created (with a ``.gitignore`` in a new ``.auditor`` folder)
    when missing; a corrupt one is set aside first and ``say`` told where it went."""
    _make_folder(path.parent)
    try:
        connection = _connect(path)
    except sqlite3.DatabaseError as exc:
        if not _corrupt(exc):
            raise _locked(path, exc) from None
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        if say:
            say(f"auditor: {path} was not a readable SQLite database; moved to {aside.name}")
        connection = _connect(path)
    with closing(connection):
        yield History(path, connection)


def _connect(path: Path) -> sqlite3.Connection:
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    pause = 0.005
    while True:
        connection = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
        try:
            # Switching a new database to WAL takes its exclusive lock, and SQLite answers
            # "locked" at once, without waiting, to two connections that both read it first
            # (each would wait for the other): try again until the same deadline.
            connection.execute("PRAGMA journal_mode=WAL")
            break
        except BaseException as exc:
            connection.close()
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)
    try:
        # In WAL mode, NORMAL syncs at checkpoints, not at every commit: a power cut may lose
        # the last run recorded, never the database.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        for statement in _TABLES.split(";"):
            if statement.strip():
                connection.execute(statement)
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            connection.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        connection.execute("COMMIT")
    except BaseException:
        connection.close()
        raise
    if row is not None and int(row[0]) > SCHEMA:
        connection.close()
        raise HistoryError(
            f"{path}: written by a newer auditor (history schema {row[0]}, this one reads "
            f"{SCHEMA}); upgrade auditor, or move the file away to start a new history"
        )
    return connection


def _make_folder(folder: Path) -> None:
    if folder.name != FOLDER:
        folder.mkdir(parents=True, exist_ok=True)
        return
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        return  # made before, or by a concurrent writer, which writes the .gitignore
    (folder / ".gitignore").write_text(
        "# Created by auditor: its history stays out of git (keep it as a CI artifact).\n*\n",
        encoding="utf-8",
    )


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc)
    return "not a database" in text or "malformed" in text


def _locked(path: Path, exc: sqlite3.DatabaseError) -> HistoryError:
    return HistoryError(
        f"{path}: {exc} (waited {LOCK_TIMEOUT_S:.0f} s); another auditor is writing it, or "
        "the folder is read-only: try again, or move the file away"
    )


def export_lines(history: History, target: Path) -> int:
    """Every session as one JSON line (``auditor history export``); how many."""
    sessions = history.sessions()
    with open(target, "w", encoding="utf-8") as handle:
        for session in sessions:
            line = asdict(session)
            line["runs"] = [
                {**asdict(run), "results": [list(asdict(r).values()) for r in run.results]}
                for run in history.runs_of(session.uid)
            ]
            handle.write(json.dumps({"schema": LINES_SCHEMA, **line}) + "\n")
    return len(sessions)


def import_lines(history: History, source: Path) -> tuple[int, int]:
    """Sessions from a JSON-lines export: (added, already there)."""
    added = known = 0
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"{source}: cannot be read ({exc})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            session = _session_of(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise HistoryError(
                f"{source}:{number}: not a session of an auditor history export ({exc}); "
                "export it again with `auditor history export`"
            ) from None
        if history.record(session):
            added += 1
        else:
            known += 1
    return added, known


def _session_of(data: dict[str, Any]) -> Session:
    if data.get("schema") != LINES_SCHEMA:
        raise ValueError(f"schema {data.get('schema')!r}, expected {LINES_SCHEMA!r}")
    runs = tuple(
        Run(
            run["plan"],
            run["time"],
            run["workers"],
            run["seed"],
            tuple(Result(*values) for values in run["results"]),
            Timing(**run["timing"]) if run.get("timing") else None,
        )
        for run in data["runs"]
    )
    return Session(
        data["kind"],
        data["time"],
        data["commit"],
        data["exit_code"],
        runs,
        tuple(data["findings"]),
        bool(data["partial"]),
        data["uid"],
    )
