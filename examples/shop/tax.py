"""VAT calculations (pure functions)."""

from __future__ import annotations

from shop.money import round_half_up


def tax_for(net_cents: int, rate: float) -> int:
    """Tax due on a net amount, rounded to whole cents."""
    if rate < 0:
        raise ValueError(f"tax rate must be >= 0, got {rate}")
    return round_half_up(net_cents * rate)


def gross(net_cents: int, rate: float) -> int:
    """Net amount plus tax."""
    return net_cents + tax_for(net_cents, rate)
