"""Discount arithmetic (pure function, explicit rate: no shared configuration)."""

import pytest

from shop.cart import apply_discount


def test_apply_discount_rounds_half_up() -> None:
    assert apply_discount(995, 0.1) == 896  # 895.5 -> 896


def test_full_discount_is_free() -> None:
    assert apply_discount(4200, 1.0) == 0


def test_invalid_rate_rejected() -> None:
    with pytest.raises(ValueError):
        apply_discount(100, 1.5)
