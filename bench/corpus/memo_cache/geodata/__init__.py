"""geodata: country names and currencies, and currency conversion."""

from __future__ import annotations

from geodata.countries import Country, codes, currency_for, name_for
from geodata.rates import convert, rate

__all__ = ["Country", "codes", "convert", "currency_for", "name_for", "rate"]
