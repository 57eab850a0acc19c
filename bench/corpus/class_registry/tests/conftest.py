from __future__ import annotations

import pytest
from routekit import Broker, Router


@pytest.fixture
def router():
    return Router()


@pytest.fixture
def broker():
    return Broker()
