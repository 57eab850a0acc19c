"""Every exit code of every command, from a real invocation of ``main()``.

``main()`` runs in this process (so that a test can inject a bug or a Ctrl-C into a stage); the
pytest runs it makes are real subprocesses, as always.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.exits import AuditExit, FixExit, RunExit
from tests.helpers import write_suite

FILES: dict[str, dict[str, str]] = {
    "clean": {"test_ok.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n"},
    "failing": {"test_bad.py": "def test_ok():\n    pass\n\ndef test_bad():\n    assert False\n"},
    "collection error": {"test_ok.py": "def test_one():\n    pass\n", "test_syntax.py": "def (:\n"},
    "pytest internal error": {
        "test_ok.py": "def test_one():\n    pass\n",
        "conftest.py": "def pytest_collection_modifyitems(items):\n    raise RuntimeError('x')\n",
    },
    "no tests": {"helpers.py": "X = 1\n"},
    "no audit": {"test_ok.py": "def test_one():\n    pass\n"},
}


@pytest.fixture(autouse=True)
def quiet_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a user's shell would have: none of this pytest run's own variables."""
    for name in list(os.environ):
        if name.startswith(("PYTEST_", "GITHUB_")) or name == "CI_QUARANTINE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "2")


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    made: dict[str, Path] = {}

    def project(name: str) -> Path:
        if name not in made:
            root = write_suite(tmp_path_factory.mktemp("exits") / "project", FILES[name])
            (root / "empty.txt").write_text("# selects nothing\n")
            made[name] = root
        return made[name]

    return project


def _main(root: Path, *args: str) -> int:
    command, *rest = args
    return main([command, "-C", str(root), *rest])


@pytest.mark.parametrize(
    ("suite", "args", "code", "message"),
    [
        ("clean", ("run",), RunExit.OK, ""),
        ("failing", ("run",), RunExit.TESTS_FAILED, ""),
        ("collection error", ("run",), RunExit.INTERRUPTED, ""),
        ("pytest internal error", ("run",), RunExit.INTERNAL_ERROR, ""),
        # one worker, work stealing: pytest itself exits 0 after the worker's INTERNALERROR
        ("pytest internal error", ("run", "-n", "1"), RunExit.INTERNAL_ERROR, "internal error"),
        ("clean", ("run", "-C", "missing"), RunExit.USAGE_ERROR, "-C takes the project folder"),
        ("clean", ("run", "--selection", "nope.txt"), RunExit.USAGE_ERROR, "nope.txt not found"),
        ("clean", ("run", "--", "--no-such-option"), RunExit.USAGE_ERROR, ""),
        ("clean", ("run", "--selection", "empty.txt"), RunExit.NO_TESTS, "lists no test paths"),
        ("no tests", ("run",), RunExit.NO_TESTS, ""),
        ("clean", ("audit",), AuditExit.CLEAN, ""),
        ("failing", ("audit",), AuditExit.FINDINGS, ""),
        ("clean", ("audit", "-C", "missing"), AuditExit.USAGE_ERROR, "-C takes the project"),
        ("clean", ("audit", "--selection", "nope.txt"), AuditExit.USAGE_ERROR, "not found"),
        ("clean", ("audit", "--selection", "empty.txt"), AuditExit.USAGE_ERROR, "no test"),
        ("no tests", ("audit",), AuditExit.USAGE_ERROR, "collected no test"),
        ("clean", ("fix", "-C", "missing"), FixExit.USAGE_ERROR, "-C takes the project folder"),
        ("no audit", ("fix",), FixExit.USAGE_ERROR, "run `auditor audit` first"),
        ("clean", ("migrate", "-C", "missing"), FixExit.USAGE_ERROR, "-C takes the project"),
        ("clean", ("migrate", "--selection", "empty.txt"), FixExit.USAGE_ERROR, "no test"),
    ],
)
def test_exit_codes(
    projects: Callable[[str], Path],
    capfd: pytest.CaptureFixture[str],
    suite: str,
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    root = projects(suite)
    args = tuple(str(root / "missing") if a == "missing" else a for a in args)
    assert _main(root, *args) == code
    err = capfd.readouterr().err
    assert message in err
    if code in (AuditExit.USAGE_ERROR, RunExit.USAGE_ERROR) and message:
        assert f"ERROR: {message}" in err or "ERROR: " in err  # a sentence, never a traceback
        assert "Traceback" not in err


def _audit_json(root: Path, findings: list[Any]) -> Path:
    path = root / "reports" / "audit.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"schema": "auditor.audit/1", "findings": findings}))
    return path


FAILING = {"kind": "failing", "test": "test_bad.py::test_bad", "reproduce": "pytest x"}


@pytest.mark.parametrize(
    ("findings", "code"),
    [([], FixExit.CLEAN), ([FAILING], FixExit.CHANGED)],
    ids=["nothing to fix", "a finding no fix addresses"],
)
def test_fix_exit_codes_from_the_report(
    projects: Callable[[str], Path], findings: list[Any], code: int
) -> None:
    root = projects("failing")
    _audit_json(root, findings)
    assert _main(root, "fix", "--closing-orders", "0") == code


@pytest.mark.parametrize(
    ("finding", "field"),
    [
        ({"kind": "failing"}, "findings[0] has no 'test'"),
        ({**FAILING, "kind": "odd"}, "findings[0].kind is 'odd'"),
        ({**FAILING, "polluters": "test_a.py::test_p"}, "findings[0].polluters is a string"),
        ({**FAILING, "test": 3}, "findings[0].test is a number, not a string"),
        ("order-dependent", "findings[0] is a string, not an object"),
    ],
)
def test_a_malformed_audit_report_names_the_field(
    projects: Callable[[str], Path],
    capfd: pytest.CaptureFixture[str],
    finding: Any,
    field: str,
) -> None:
    root = projects("failing")
    path = _audit_json(root, [finding])
    assert _main(root, "fix") == FixExit.USAGE_ERROR
    err = capfd.readouterr().err
    assert f"ERROR: {path}: {field}" in err
    assert "Traceback" not in err


def _raise(exception: BaseException) -> Callable[..., Any]:
    def boom(*args: object, **kwargs: object) -> Any:
        raise exception

    return boom


def test_a_bug_in_audit_exits_3_with_the_report_so_far(
    projects: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    root = projects("failing")
    monkeypatch.setattr("auditor.commands.audit.triage", _raise(RuntimeError("a bug")))
    assert _main(root, "audit", "--seed", "1") == AuditExit.INTERNAL_ERROR
    err = capfd.readouterr().err
    assert "RuntimeError: a bug" in err and "please report it" in err
    report = json.loads((root / "reports" / "audit.json").read_text())
    assert report["partial"] is True and report["stopped"] == "internal error"
    kinds = [run["kind"] for run in report["runs"]]
    # The whole campaign had run (no test leaves state: no order chosen from footprints); triage
    # broke.
    assert kinds == ["sequential", "alone", "reversed", "random", "xdist", "xdist"]


def test_ctrl_c_in_audit_exits_130_with_the_report_so_far(
    projects: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = projects("failing")
    monkeypatch.setattr("auditor.commands.audit.triage", _raise(KeyboardInterrupt()))
    assert _main(root, "audit", "--seed", "1") == AuditExit.INTERRUPTED
    report = json.loads((root / "reports" / "audit.json").read_text())
    assert report["partial"] is True and report["stopped"] == "interrupted"
    assert report["untriaged"] == ["test_bad.py::test_bad"]


@pytest.mark.parametrize(
    ("command", "target", "exception", "code"),
    [
        ("run", "auditor.commands.run.judge", RuntimeError("a bug"), RunExit.INTERNAL_ERROR),
        ("run", "auditor.commands.run.judge", KeyboardInterrupt(), RunExit.INTERRUPTED),
        ("fix", "auditor.commands.fix.plan", RuntimeError("a bug"), FixExit.INTERNAL_ERROR),
        ("fix", "auditor.commands.fix.plan", KeyboardInterrupt(), FixExit.INTERRUPTED),
        ("migrate", "auditor.commands.audit.collect", RuntimeError("a bug"), 3),
        ("migrate", "auditor.commands.audit.collect", KeyboardInterrupt(), 130),
    ],
)
def test_bugs_and_interruptions(
    projects: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    target: str,
    exception: BaseException,
    code: int,
) -> None:
    root = projects("clean")
    _audit_json(root, [])
    monkeypatch.setattr(target, _raise(exception))
    assert _main(root, command) == code


def test_migrate_of_a_clean_suite_exits_0(projects: Callable[[str], Path]) -> None:
    root = projects("clean")
    assert _main(root, "migrate", "--seed", "1") == FixExit.CLEAN
