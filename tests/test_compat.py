"""The supported range: installing auditor next to a project's old pytest keeps that pytest.

.ci/run's second leg installs the oldest supported releases (.ci/oldest.txt), then auditor without
constraints, as a user would, then runs this suite with ``AUDITOR_EXPECT_OLDEST`` set: every
audit, fix and run test of the suite then runs on those releases, and this test checks that the
install changed none of them.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

from tests.helpers import auditor, write_suite

PINS = os.environ.get("AUDITOR_EXPECT_OLDEST")


@pytest.mark.skipif(not PINS, reason="the oldest-release leg of .ci/run sets AUDITOR_EXPECT_OLDEST")
def test_installing_auditor_kept_the_oldest_releases() -> None:
    assert PINS is not None
    pinned = dict(
        line.split("==")
        for line in Path(PINS).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    installed = {name: importlib.metadata.version(name) for name in pinned}
    assert installed == pinned
    assert installed["pytest"].startswith("7.4.")


def test_the_declared_ranges_admit_the_oldest_releases() -> None:
    """pyproject.toml's lower bounds are the versions the oldest leg installs."""
    root = Path(__file__).resolve().parent.parent
    declared = (root / "pyproject.toml").read_text()
    for line in (root / ".ci" / "oldest.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            bound = version.removesuffix(".0")
            assert f'"{name}>={bound}' in declared, name


@pytest.mark.parametrize(("command", "code"), [("run", 4), ("audit", 2)])
def test_a_plugin_pytest_cannot_load_is_a_usage_error(
    tmp_path: Path, command: str, code: int
) -> None:
    """pytest 9.2 exits 4 for ``-p missing``; pytest 7.4 to 9.1 exit 1 with a traceback. Both legs
    of .ci/run run this: auditor answers the same on each."""
    root = write_suite(tmp_path / "p", {"tests/test_a.py": "def test_a():\n    pass\n"})
    result = auditor(root, command, "--", "-p", "auditor_no_such_plugin")
    assert result.returncode == code, result.stdout + result.stderr
