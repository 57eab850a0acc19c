"""Verification: a rewrite must keep its tests' assertions and tests, and Ctrl-C during the
evidence runs leaves every file as it was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from auditor import select
from auditor.fix.command import Fixer, FixOptions
from auditor.fix.plan import Edit, Evidence, Fix
from auditor.fix.source import Target
from auditor.verify import Run, Verifier, assertions_kept, same_tests

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


class _Interrupted(Verifier):
    """Ctrl-C while the evidence runs."""

    def prove(self, evidence: Evidence) -> list[Run]:
        raise KeyboardInterrupt


def test_ctrl_c_during_verification_restores_the_files(tmp_path: Path) -> None:
    test_file = tmp_path / "tests" / "test_a.py"
    test_file.parent.mkdir()
    original = 'import os\n\ndef test_a():\n    os.environ["K"] = "v"\n'
    test_file.write_text(original)
    options = FixOptions(
        tmp_path,
        select.Selection((), "test"),
        tmp_path / "reports",
        tmp_path / "a.json",
        force=True,
    )
    fixer = Fixer(options, _Interrupted(tmp_path, {}, (), io.StringIO()), io.StringIO())
    fix = Fix(
        "order-dependent",
        "tests/test_b.py::test_b",
        "monkeypatch",
        (Edit("environ", "tests/test_a.py::test_a"),),
        Evidence("order", ("tests/test_a.py::test_a", "tests/test_b.py::test_b")),
    )
    with pytest.raises(KeyboardInterrupt):
        fixer.attempt(fix)
    assert test_file.read_text() == original
    assert not list(test_file.parent.glob(".*auditor"))  # no temporary file left behind
