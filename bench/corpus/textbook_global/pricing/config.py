"""Pricing settings (module globals, set at start-up by the application)."""

from __future__ import annotations

DISCOUNT_RATE = 0.0
CURRENCY = "EUR"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
TAX_RATES = {"standard": 0.20, "reduced": 0.05, "zero": 0.0}
