"""Verification: a rewrite must keep its tests' assertions and tests, every run has the audit's
per-test timeouts, and Ctrl-C during the evidence runs leaves every file as it was."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from auditor.campaign.limits import Limits
from auditor.commands.fix import FixOptions, fix
from auditor.exits import FixExit
from auditor.findings import ReportError
from auditor.fix.source import Target
from auditor.select import Selection
from auditor.verify import assertions_kept, read_limits, same_tests, watchdog_args
from tests.helpers import write_suite

TARGET = Target("tests/test_a.py", None, "test_a")
BEFORE = """\
import pytest

def test_a(x):
    assert x == 1
    with pytest.raises(ValueError):
        int("x")
"""


@pytest.mark.parametrize(
    ("after", "why"),
    [
        pytest.param(BEFORE.replace("x == 1", "x == 2"), None, id="same-checks"),
        pytest.param(
            BEFORE.replace("    assert x == 1\n", ""),
            "lost assertions (2 before, 1 after)",
            id="assert",
        ),
        pytest.param(
            BEFORE.replace("with pytest.raises(ValueError)", "if True"),
            "lost assertions",
            id="raises",
        ),
        pytest.param(
            BEFORE.replace("def test_a", "@pytest.mark.skip\ndef test_a"),
            "gained a skip or xfail",
            id="skip-mark",
        ),
        pytest.param(
            BEFORE.replace("    assert x", "    pytest.xfail()\n    assert x"),
            "gained a skip or xfail",
            id="xfail-call",
        ),
        pytest.param(BEFORE.replace("def test_a", "def test_b"), "is gone", id="renamed"),
    ],
)
def test_assertions_kept(after: str, why: str | None) -> None:
    found = assertions_kept(BEFORE, after, TARGET)
    assert found is None if why is None else why in (found or "")


def test_tests_kept() -> None:
    assert same_tests(BEFORE, BEFORE + "\n\n@pytest.fixture\ndef state():\n    pass\n") is None
    gone = same_tests(BEFORE + "\nclass TestB:\n    def test_c(self): pass\n", BEFORE)
    assert gone is not None and "TestB::test_c" in gone


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        pytest.param(None, Limits(60.0, {}), id="older report: 60 s"),
        pytest.param(
            {"timeout_s": 5, "timeouts": {"t.py::test_slow": 40.5}},
            Limits(5.0, {"t.py::test_slow": 40.5}),
            id="as the audit wrote them",
        ),
        pytest.param({"timeout_s": 0}, "limits.timeout_s is not a number", id="zero"),
        pytest.param({"timeout_s": True}, "limits.timeout_s is not a number", id="a boolean"),
        pytest.param({"timeouts": []}, "limits.timeouts is not an object", id="a list"),
        pytest.param(
            {"timeouts": {"t.py::test_a": "1"}},
            "limits.timeouts['t.py::test_a'] is not a number",
            id="a string",
        ),
    ],
)
def test_read_limits(tmp_path: Path, limits: object, expected: Limits | str) -> None:
    path = tmp_path / "audit.json"
    report = {"schema": "auditor.audit/1", "findings": []}
    path.write_text(json.dumps(report if limits is None else {**report, "limits": limits}))
    if isinstance(expected, Limits):
        assert read_limits(path) == expected
        return
    with pytest.raises(ReportError) as error:
        read_limits(path)
    assert str(error.value).startswith(f"{path}: {expected}")


def test_the_watchdog_options_carry_both_timeouts(tmp_path: Path) -> None:
    options = watchdog_args(Limits(7.5, {"t.py::test_a": 80.0}), tmp_path)
    assert options[0] == "--auditor-timeout=7.5"
    name, _, path = options[1].partition("=")
    assert name == "--auditor-timeouts"
    assert json.loads(Path(path).read_text()) == {"t.py::test_a": 80.0}


def test_ctrl_c_during_verification_restores_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = 'import os\n\ndef test_a():\n    os.environ["K"] = "v"\n\ndef test_b():\n    pass\n'
    root = write_suite(tmp_path / "project", {"tests/test_a.py": original})
    audit = tmp_path / "audit.json"
    finding = {
        "kind": "order-dependent",
        "test": "tests/test_a.py::test_b",
        "polluters": ["tests/test_a.py::test_a"],
        "state": ["env:K"],
    }
    audit.write_text(json.dumps({"schema": "auditor.audit/1", "findings": [finding]}))

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # while the evidence runs, the rewrite on disk

    monkeypatch.setattr("auditor.verify.run_pytest", ctrl_c)
    options = FixOptions(root, Selection((), "test"), root / "reports", audit, force=True)
    out = io.StringIO()
    result = fix(options, out)
    assert (result.exit_code, result.interrupted) == (FixExit.INTERRUPTED, True)
    assert (root / "tests" / "test_a.py").read_text() == original
    assert not list(root.rglob("*.auditor"))  # no temporary file left behind
    report = json.loads(result.report.read_text())
    assert report["interrupted"] is True
    assert (report["fixes"], report["files_changed"]) == ([], [])
    assert "every file is either as it was or fully fixed" in out.getvalue()
