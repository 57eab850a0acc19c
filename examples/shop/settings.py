"""Settings that come from the process environment."""

from __future__ import annotations

import os

DEFAULT_CURRENCY = "EUR"


def currency() -> str:
    """Return the shop currency: ``$SHOP_CURRENCY`` if set, else EUR (read on every call)."""
    return os.environ.get("SHOP_CURRENCY", DEFAULT_CURRENCY)
