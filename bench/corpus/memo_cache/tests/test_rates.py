from __future__ import annotations

import pytest
from geodata import convert, rate, rates


def test_rate_eur():
    assert rate("EUR") == 0.92


def test_convert_usd_to_eur():
    assert convert(100, "USD", "EUR") == 92.0


def test_convert_gbp_to_usd():
    assert convert(79, "GBP", "USD") == 100.0


def test_convert_same_currency():
    assert convert(12.5, "JPY", "JPY") == 12.5


def test_unknown_currency_raises():
    with pytest.raises(KeyError):
        rate("XYZ")


def test_rate_uses_provider(monkeypatch):
    rates.clear_cache()
    monkeypatch.setattr(rates, "_fetch_rate", lambda currency: 2.0)
    assert rate("EUR") == 2.0


def test_rates_are_kept():
    rate("CHF")
    assert "CHF" in rates._RATES


def test_clear_cache():
    rate("CAD")
    rates.clear_cache()
    assert rates._RATES == {}
