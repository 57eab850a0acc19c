"""Fixtures shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write_suite


@pytest.fixture
def suite(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a throwaway suite under tmp_path: ``suite({"test_a.py": "..."})``."""
    return lambda files: write_suite(tmp_path / "project", files)
