from __future__ import annotations

from decimal import Decimal

import pytest
from pricing import Cart


def test_empty_cart_total():
    assert Cart().total() == Decimal("0.00")


def test_total_without_discount():
    assert Cart().add("book", "10.00").total() == Decimal("12.00")


def test_total_with_reduced_tax():
    assert Cart().add("bread", "2.00", 3, tax_class="reduced").total() == Decimal("6.30")


def test_formatted_total():
    assert Cart().add("pen", "1.00", tax_class="zero").formatted_total() == "€1.00"


def test_subtotal_counts_quantities():
    assert Cart().add("a", "1.50", 4).add("b", "0.25").subtotal() == Decimal("6.25")


def test_quantity_must_be_positive():
    with pytest.raises(ValueError):
        Cart().add("a", "1.00", 0)


def test_unknown_tax_class():
    with pytest.raises(KeyError):
        Cart().add("a", "1.00", tax_class="luxury")


def test_lines_are_kept_in_order():
    cart = Cart().add("a", "1").add("b", "2")
    assert [line.sku for line in cart.lines] == ["a", "b"]
