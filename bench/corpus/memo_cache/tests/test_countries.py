from __future__ import annotations

import pytest
from geodata import codes, countries, currency_for, name_for


def test_name_for_known_code():
    assert name_for("FR") == "France"


def test_currency_for_known_code():
    assert currency_for("JP") == "JPY"


def test_lowercase_codes_accepted():
    assert name_for("de") == "Germany"


def test_codes_are_sorted():
    assert codes()[:3] == ["AR", "AU", "BR"]


def test_unknown_code_raises():
    with pytest.raises(KeyError, match="unknown country code"):
        name_for("XX")


def test_euro_countries():
    assert sorted(c for c in ("DE", "ES", "GB", "IT") if currency_for(c) == "EUR") == [
        "DE",
        "ES",
        "IT",
    ]


def test_reads_from_source(monkeypatch):
    countries.clear_cache()
    monkeypatch.setattr(countries, "_read_source", lambda: [("ZZ", "Zedland", "ZZD")])
    assert name_for("ZZ") == "Zedland"


def test_source_file_has_a_header():
    assert countries.SOURCE.read_text().splitlines()[0] == "code,name,currency"


def test_clear_cache_reloads():
    countries.clear_cache()
    assert name_for("US") == "United States"
