from __future__ import annotations

import pytest
import runctx


@pytest.fixture
def ctx():
    """A runtime for a two-partition test system."""
    return runctx.init("testsys", partitions=("gpu", "mc"), environs=("gnu", "cray"))
