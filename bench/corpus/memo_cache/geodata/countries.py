"""Countries, read once from the bundled CSV file and memoised."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("countries.csv")


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    currency: str


def _read_source() -> list[tuple[str, str, str]]:
    with SOURCE.open(newline="", encoding="utf-8") as f:
        return [(row["code"], row["name"], row["currency"]) for row in csv.DictReader(f)]


@functools.cache
def _table() -> dict[str, Country]:
    return {code: Country(code, name, currency) for code, name, currency in _read_source()}


def clear_cache() -> None:
    _table.cache_clear()


def lookup(code: str) -> Country:
    try:
        return _table()[code.upper()]
    except KeyError:
        raise KeyError(f"unknown country code {code!r}") from None


def name_for(code: str) -> str:
    return lookup(code).name


def currency_for(code: str) -> str:
    return lookup(code).currency


def codes() -> list[str]:
    return sorted(_table())
