"""Fixtures shared by the tests."""

from __future__ import annotations

from pathlib import Path

import libcst
import pytest

from tests.helpers import write_suite

# libcst's native parser is a PyO3 module, which a process can initialise only once. Imported for
# the first time inside a test that uses ``pytester``, it left ``sys.modules`` with the rest of
# what that test imported (pytester puts ``sys.modules`` back), and every later parse in the
# session failed with "PyO3 modules may only be initialized once per interpreter process"
# (libcst 1.1, in one random order of the oldest leg). Parsing once here imports it first.
libcst.parse_module("")


@pytest.fixture
def suite(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a throwaway suite under tmp_path: ``suite({"test_a.py": "..."})``."""
    return lambda files: write_suite(tmp_path / "project", files)
