"""pricing: shopping-cart totals with discounts and taxes."""

from __future__ import annotations

from pricing.cart import Cart, Line

__all__ = ["Cart", "Line"]
