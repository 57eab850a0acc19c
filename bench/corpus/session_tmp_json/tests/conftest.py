from __future__ import annotations

import pytest
from jsonstore import Store


@pytest.fixture(scope="session")
def store_path(tmp_path_factory):
    """One store file for the whole session: creating it is slow on CI's network disks."""
    path = tmp_path_factory.mktemp("store") / "entries.json"
    path.write_text("[]")
    return path


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "entries.json")
