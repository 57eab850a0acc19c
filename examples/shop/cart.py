"""Shopping cart."""

from __future__ import annotations

from dataclasses import dataclass, field

from shop import config
from shop.money import round_half_up


def apply_discount(cents: int, rate: float) -> int:
    """Return ``cents`` reduced by ``rate`` (0.0-1.0), rounded to whole cents."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"discount rate must be within [0, 1], got {rate}")
    return round_half_up(cents * (1.0 - rate))


@dataclass
class Cart:
    """A cart of ``sku -> (unit price, quantity)`` lines."""

    lines: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, sku: str, price_cents: int, quantity: int = 1) -> None:
        """Add ``quantity`` units of ``sku`` (merging with an existing line)."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        _, existing = self.lines.get(sku, (price_cents, 0))
        self.lines[sku] = (price_cents, existing + quantity)

    def subtotal(self) -> int:
        """Sum of all lines, before discount."""
        return sum(price * qty for price, qty in self.lines.values())

    def total(self) -> int:
        """Subtotal after the shop-wide discount currently set in :mod:`shop.config`."""
        return apply_discount(self.subtotal(), config.DISCOUNT_RATE)
