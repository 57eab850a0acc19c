"""Money helpers. Amounts are always integer cents."""

from __future__ import annotations

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_cents(cents: int, currency: str = "EUR") -> str:
    """Render an amount such as ``1234`` as ``'€12.34'`` (negative amounts get a leading '-')."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    symbol = _SYMBOLS.get(currency, currency + " ")
    return f"{sign}{symbol}{whole}.{frac:02d}"


def round_half_up(value: float) -> int:
    """Round a fractional cent amount to whole cents, halves away from zero."""
    magnitude = int(abs(value) + 0.5)
    return -magnitude if value < 0 else magnitude
