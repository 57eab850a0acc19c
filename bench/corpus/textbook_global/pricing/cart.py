"""A cart of lines; totals in the configured currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pricing import config


@dataclass(frozen=True)
class Line:
    sku: str
    unit_price: Decimal
    quantity: int = 1
    tax_class: str = "standard"

    def net(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass
class Cart:
    lines: list[Line] = field(default_factory=list)

    def add(self, sku: str, price: str, quantity: int = 1, tax_class: str = "standard") -> Cart:
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        if tax_class not in config.TAX_RATES:
            raise KeyError(f"unknown tax class {tax_class!r}")
        self.lines.append(Line(sku, Decimal(price), quantity, tax_class))
        return self

    def subtotal(self) -> Decimal:
        return sum((line.net() for line in self.lines), Decimal("0"))

    def tax(self) -> Decimal:
        rates = config.TAX_RATES
        return sum(
            (line.net() * Decimal(str(rates[line.tax_class])) for line in self.lines), Decimal(0)
        )

    def total(self) -> Decimal:
        discount = Decimal("1") - Decimal(str(config.DISCOUNT_RATE))
        amount = (self.subtotal() + self.tax()) * discount
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def formatted_total(self) -> str:
        return f"{config.SYMBOLS[config.CURRENCY]}{self.total()}"
