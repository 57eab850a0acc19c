"""Settings read from the environment."""

import os

from shop import settings


def test_currency_override() -> None:
    # planted: pollutes the environment (never restores SHOP_CURRENCY)
    os.environ["SHOP_CURRENCY"] = "USD"
    assert settings.currency() == "USD"
