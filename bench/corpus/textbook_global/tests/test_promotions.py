from __future__ import annotations

from decimal import Decimal

from pricing import Cart, config


def test_summer_sale_discount():
    config.DISCOUNT_RATE = 0.25
    assert Cart().add("book", "10.00").total() == Decimal("9.00")


def test_reduced_rate_change():
    config.TAX_RATES["reduced"] = 0.10
    assert Cart().add("bread", "2.00", tax_class="reduced").tax() == Decimal("0.20")


def test_us_storefront():
    config.CURRENCY = "USD"
    assert Cart().add("pen", "1.00", tax_class="zero").formatted_total().startswith("$")


def test_black_friday_discount(monkeypatch):
    monkeypatch.setattr(config, "DISCOUNT_RATE", 0.5)
    assert Cart().add("tv", "100.00", tax_class="zero").total() == Decimal("50.00")


def test_new_tax_class(monkeypatch):
    monkeypatch.setitem(config.TAX_RATES, "luxury", 0.3)
    assert Cart().add("watch", "100.00", tax_class="luxury").tax() == Decimal("30.00")
