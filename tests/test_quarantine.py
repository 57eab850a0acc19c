"""The quarantine file, and ``auditor run`` honouring it: real ``auditor`` subprocesses."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from pytest import MonkeyPatch

from auditor import quarantine
from auditor.history import store
from tests.helpers import auditor, clean_env, git, write_suite

TODAY = dt.date.today()
LATER = TODAY + dt.timedelta(days=10)
EARLIER = TODAY - dt.timedelta(days=1)

SUITE = {
    "tests/test_shop.py": """\
import os

def test_flaky():
    assert False, "the replica was stale"

def test_clean():
    pass

def test_sometimes_broken():
    assert os.environ.get("BREAK_IT") != "1"
""",
}


def entry(test: str, expires: dt.date = LATER, **extra: str) -> str:
    lines = [
        "[[test]]",
        f'id = "{test}"',
        'kind = "non-deterministic"',
        'cause = "failed 1 of 4 runs"',
        f"added = {TODAY - dt.timedelta(days=20)}",
        f"expires = {expires}",
        *(f'{key} = "{value}"' for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n\n"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "shop", SUITE)


def run(root: Path, *args: str, **env: str) -> tuple[int, dict[str, object], str]:
    done = auditor(root, "run", "-n", "0", *args, env=clean_env(**env))
    return done.returncode, done.run_json(), done.stderr


def test_a_run_whose_only_failure_is_quarantined_passes_with_ci_quarantine(shop: Path) -> None:
    (shop / "quarantine.toml").write_text(entry("tests/test_shop.py::test_flaky"))
    code, report, err = run(shop, CI_QUARANTINE="1")
    assert code == 0, err
    assert report["exit_code"] == 0 and report["failed_count"] == 1
    assert report["quarantine"] == {
        "active": True,
        "file": "quarantine.toml",
        "failed": ["tests/test_shop.py::test_flaky"],
        "passed": [],
        "expired": [],
        "not_collected": [],
        "ready_to_leave": [],
    }
    assert "1 quarantined test(s) failed, not failing the run" in err
    # Off (no CI_QUARANTINE, no --quarantine): the quarantined test fails the run like any.
    code, report, err = run(shop)
    assert code == 1 and report["quarantine"]["active"] is False  # type: ignore[index]
    assert "failing the run: quarantine is off" in err
    # Any other failure still fails the run.
    code, report, _ = run(shop, "--quarantine", BREAK_IT="1")
    assert code == 1 and report["exit_code"] == 1


def test_an_expired_entry_fails_like_any_test(shop: Path) -> None:
    (shop / "quarantine.toml").write_text(
        entry("tests/test_shop.py::test_flaky", expires=EARLIER)
        + entry("tests/test_shop.py::test_renamed_long_ago")
    )
    code, report, err = run(shop, "--quarantine")
    assert code == 1
    held = report["quarantine"]
    assert held["expired"] == ["tests/test_shop.py::test_flaky"]  # type: ignore[index]
    assert held["failed"] == []  # type: ignore[index]
    assert held["not_collected"] == ["tests/test_shop.py::test_renamed_long_ago"]  # type: ignore[index]
    assert "expired, their tests count like any: tests/test_shop.py::test_flaky" in err


def test_an_entry_clean_in_the_last_recorded_runs_is_ready_to_leave(shop: Path) -> None:
    clean = "tests/test_shop.py::test_clean"
    (shop / "quarantine.toml").write_text(entry(clean))
    with store.opened(store.default_path(shop)) as history:
        for index in range(quarantine.READY_AFTER - 2):
            outcome = store.Result(clean, "passed", 0.01)
            run_ = store.Run("run", 1000.0 + index, 0, None, (outcome,))
            history.record(store.Session("run", 1000.0 + index, None, 0, (run_,)))
    _, report, _ = run(shop, "--quarantine", "tests/test_shop.py::test_clean")
    assert report["quarantine"]["ready_to_leave"] == []  # type: ignore[index]
    _, report, err = run(shop, "--quarantine", "tests/test_shop.py::test_clean")  # the 20th
    assert report["quarantine"]["ready_to_leave"] == [clean]  # type: ignore[index]
    assert f"ready to leave quarantine (passed the last 20 recorded runs): {clean}" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[test]]\nid = 'x'\nkind = \n", "quarantine.toml: not valid TOML"),
        (
            entry("t.py::a") + entry("t.py::b", owner="me").replace("owner", "ownr"),
            "quarantine.toml:14: unknown key 'ownr'",
        ),
        (
            entry("t.py::a").replace(f"expires = {LATER}", "expires = 'next week'"),
            "quarantine.toml:6: expires = 'next week' is not a date",
        ),
        (entry("t.py::a") + entry("t.py::a"), "quarantine.toml:8: t.py::a is quarantined twice"),
        ("[settings]\ndays = 3\n", "quarantine.toml:1: unknown table or key 'settings'"),
        ("[[test]]\nid = 'x'\n", "quarantine.toml:1: the entry has no 'kind'"),
    ],
)
def test_a_bad_quarantine_file_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "quarantine.toml").write_text(text)
    with pytest.raises(quarantine.QuarantineError) as raised:
        quarantine.load(tmp_path / "quarantine.toml")
    assert message in str(raised.value)


def test_a_bad_file_stops_an_active_quarantine_with_exit_4(shop: Path) -> None:
    (shop / "quarantine.toml").write_text("[[test]]\nid = 'x'\n")
    done = auditor(shop, "run", "-n", "0", env=clean_env(CI_QUARANTINE="1"))
    assert done.returncode == 4
    assert "ERROR: " in done.stderr and "quarantine.toml:1: the entry has no 'kind'" in done.stderr
    off = auditor(shop, "run", "-n", "0")  # off: said, and the run goes on
    assert off.returncode == 1 and "quarantine not read (it is off)" in off.stderr


def test_people_add_list_and_remove_entries_keeping_their_comments(shop: Path) -> None:
    path = shop / "quarantine.toml"
    path.write_text("# Owned by the shop team.\n\n" + entry("tests/test_shop.py::test_flaky"))
    report = shop / "reports" / "audit.json"
    report.parent.mkdir()
    victim = {
        "kind": "order-dependent",
        "test": "tests/test_shop.py::test_clean",
        "polluters": ["tests/test_shop.py::test_sometimes_broken"],
        "state": ["env:BREAK_IT"],
        "reproduce": "pytest tests/test_shop.py::test_sometimes_broken "
        "tests/test_shop.py::test_clean",
    }
    report.write_text(json.dumps({"findings": [victim]}))
    added = auditor(shop, "quarantine", "add", victim["test"], "--owner", "@shop", "--days", "7")
    assert added.returncode == 0, added.stderr
    assert f"added (until {TODAY + dt.timedelta(days=7)})" in added.stdout
    (flaky, clean) = quarantine.load(path)
    assert clean.cause == ("fails after tests/test_shop.py::test_sometimes_broken (env:BREAK_IT)")
    assert clean.owner == "@shop"
    assert clean.causes == (
        ("polluters", ("tests/test_shop.py::test_sometimes_broken",)),
        ("state", ("env:BREAK_IT",)),
    )
    unknown = auditor(shop, "quarantine", "add", "tests/test_shop.py::test_other")
    assert unknown.returncode == 2 and "give the cause with --reason" in unknown.stderr
    listed = auditor(shop, "quarantine", "list")
    assert listed.stdout.splitlines()[0].startswith(f"{flaky.test}: non-deterministic, until")
    removed = auditor(shop, "quarantine", "remove", flaky.test)
    assert removed.stdout == f"removed: {flaky.test}\n"
    assert path.read_text().startswith("# Owned by the shop team.\n")
    assert [e.test for e in quarantine.load(path)] == [victim["test"]]


def test_a_locked_history_is_said_with_the_file(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    path = store.default_path(tmp_path)
    with store.opened(path):
        pass
    monkeypatch.setattr(store, "LOCK_TIMEOUT_S", 0.1)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    locked = r"history\.sqlite: database is locked"
    try:
        with pytest.raises(store.HistoryError, match=locked), store.opened(path):
            pass
    finally:
        blocker.rollback()
        blocker.close()


# Fails on every other execution, whatever the order: non-deterministic, reliably.
ALTERNATING = """\
import os
import pathlib


def test_replica_read():
    counter = pathlib.Path(os.environ["SHOP_COUNTER"])
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    assert seen % 2 == 1, "the replica was stale"


def test_clean():
    pass
"""


# Passes while the audit runs, fails once its report exists: in the fix's closing campaign
# (which runs when a fix changed a file: the environment's polluter here).
LATE = """\
import os
import pathlib


def test_after_the_audit():
    assert not pathlib.Path("reports/audit.json").exists()


def test_reads_the_mode():
    assert "SHOP_MODE" not in os.environ


def test_sets_the_mode():
    os.environ["SHOP_MODE"] = "replica"
"""


def test_migrate_quarantines_what_it_cannot_fix_and_ci_runs_it(tmp_path: Path) -> None:
    files = {"tests/test_replica.py": ALTERNATING, "tests/test_late.py": LATE}
    root = write_suite(tmp_path / "shop", files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    env = clean_env(SHOP_COUNTER=str(tmp_path / "counter"))
    done = auditor(root, "migrate", "--seed", "1", "--closing-orders", "1", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    entry, late = quarantine.load(root / "quarantine.toml")
    assert (entry.test, entry.kind) == (
        "tests/test_replica.py::test_replica_read",
        "non-deterministic",
    )
    assert entry.cause.startswith("failed ") and entry.expires == TODAY + dt.timedelta(days=30)
    # unseen by the audit, failed in the closing campaign: quarantined with that run's command
    assert (late.test, late.kind) == ("tests/test_late.py::test_after_the_audit", "closing-run")
    assert late.cause == "failed in a closing run of auditor fix, unseen by the audit"
    assert late.reproduce.startswith("pytest ") and "tests/test_late.py" not in late.cause
    for test in (entry.test, late.test):
        assert f"quarantine entry added: quarantine.toml: {test}" in done.stdout
    assert "--quarantine\n" in done.stdout.split("CI command from now on: auditor run -n ")[1]
    held = json.loads((root / "reports" / "run.json").read_text())["quarantine"]
    assert held["active"] and sorted(held["failed"] + held["passed"]) == [late.test, entry.test]
    assert late.test in held["failed"]
    with store.opened(store.default_path(root)) as history:  # migrate's audit, then its runs
        assert [s.kind for s in history.sessions()] == ["audit", "run", "run"]
