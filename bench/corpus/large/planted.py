"""The tests around the process-global manager: its victims, its polluters, and the cleaners.

Every planted module is written out here with, beside it, what each of its tests is: a victim
sensitive to some *tags*, or a polluter leaving some tags' state behind in the manager. A victim's
polluters are the polluters that share a tag with it. The tags are finer than the state (the two
precision polluters leave different values, and a victim may notice only one of them).

Cleaners keep the default order green, as in a real suite: every polluter is followed, in its own
module, by a ``unittest.TestCase`` whose ``setUp`` clears the manager's cache (or forgets the
settings, ``reset()``) before any victim of it runs; the registry's polluter runs after its only
victim. Cleaners are not scored, so they are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PRICE = ("currency", "locale", "precision=0", "precision=4")
NUMBER = ("locale", "precision=0", "precision=4")
CACHE = "global:atlas.runtime.manager._manager._cache"
REGISTRY = "global:atlas.runtime.manager._manager._handlers"
#: The state a tag lives in, as DESIGN.md names state.
STATE = {"registry": REGISTRY}


@dataclass(frozen=True)
class Planted:
    path: str
    source: str
    victims: dict[str, tuple[str, ...]] = field(default_factory=dict)  #: test → tags it notices
    polluters: dict[str, tuple[str, ...]] = field(default_factory=dict)  #: test → tags it leaves


OVERRIDES = Planted(
    "tests/settings/test_overrides.py",
    '''\
"""Overriding settings at run time, and the defaults they fall back to."""

from __future__ import annotations

import unittest

import pytest

from atlas.money import currency_symbol, format_price
from atlas.numbers import format_number
from atlas.runtime.manager import get_manager
from atlas.settings import DEFAULTS, override, setting


def test_defaults_cover_display() -> None:
    assert {"currency", "locale", "precision"} <= set(DEFAULTS)


def test_unknown_setting_is_rejected() -> None:
    with pytest.raises(KeyError, match="colour"):
        override("colour", "blue")


def test_override_currency() -> None:
    override("currency", "EUR")
    assert setting("currency") == "EUR"
    assert currency_symbol() == "€"


@pytest.mark.parametrize("places", [0, 2, 4])
def test_precision_override(places: int) -> None:
    override("precision", places)
    assert setting("precision") == places


class TestDefaults(unittest.TestCase):
    """Each test starts from the defaults: the manager forgets what earlier tests looked up."""

    def setUp(self) -> None:
        get_manager().clear_cache()

    def test_currency(self) -> None:
        self.assertEqual(setting("currency"), "USD")

    def test_precision(self) -> None:
        self.assertEqual(setting("precision"), 2)

    def test_price(self) -> None:
        self.assertEqual(format_price(1234.5), "$1,234.50")


def test_currency_symbol() -> None:
    assert currency_symbol() == "$"


def test_number_display() -> None:
    assert format_number(1234.5) == "1,234.50"
''',
    victims={"test_currency_symbol": ("currency",), "test_number_display": NUMBER},
    polluters={
        "test_override_currency": ("currency",),
        "test_precision_override[0]": ("precision=0",),
        "test_precision_override[4]": ("precision=4",),
    },
)

PROFILES = Planted(
    "tests/settings/test_profiles.py",
    '''\
"""Named profiles: several settings at once."""

from __future__ import annotations

import unittest

import pytest

from atlas.money import format_price
from atlas.settings import PROFILES, apply_profile, reset, setting


class TestProfiles:
    def test_profile_names(self) -> None:
        assert sorted(PROFILES) == ["german", "swiss", "us"]

    def test_swiss_profile(self) -> None:
        apply_profile("swiss")
        assert setting("currency") == "CHF"
        assert setting("locale") == "de_CH"

    def test_unknown_profile(self) -> None:
        with pytest.raises(KeyError):
            apply_profile("martian")


class TestProfileReset(unittest.TestCase):
    def setUp(self) -> None:
        reset()

    def test_currency_is_back(self) -> None:
        self.assertEqual(setting("currency"), "USD")

    def test_locale_is_back(self) -> None:
        self.assertEqual(setting("locale"), "en_US")


def test_price_with_default_profile() -> None:
    assert format_price(2500.25) == "$2,500.25"
''',
    victims={"test_price_with_default_profile": PRICE},
    polluters={"TestProfiles::test_swiss_profile": ("currency", "locale")},
)

MANAGER = Planted(
    "tests/settings/test_manager.py",
    '''\
"""The manager itself: lookups, the cache, the handler registry."""

from __future__ import annotations

import unittest

import atlas.formats  # noqa: F401  (registers the format handlers)
from atlas.runtime.manager import get_manager


class TestManager(unittest.TestCase):
    def setUp(self) -> None:
        self.manager = get_manager()
        self.manager.clear_cache()

    def test_cleared_cache_is_empty(self) -> None:
        self.assertEqual(self.manager.cached(), [])

    def test_handlers_registered(self) -> None:
        self.assertIn("csv", self.manager.handlers())

    def test_lookup_computes_once(self) -> None:
        calls = []

        def compute() -> int:
            calls.append(1)
            return 42

        self.assertEqual(self.manager.lookup("test:answer", compute), 42)
        self.assertEqual(self.manager.lookup("test:answer", compute), 42)
        self.assertEqual(calls, [1])

    def test_remember_and_forget(self) -> None:
        self.manager.remember("test:key", 1)
        self.assertIn("test:key", self.manager.cached())
        self.manager.forget("test:key")
        self.assertNotIn("test:key", self.manager.cached())


def test_one_manager() -> None:
    assert get_manager() is get_manager()
''',
)

LOCALES = Planted(
    "tests/i18n/test_locales.py",
    '''\
"""Locales: separators, parsing, switching."""

from __future__ import annotations

import unittest

from atlas.numbers import SEPARATORS, format_number, parse_number
from atlas.settings import override, reset, setting


def test_known_locales() -> None:
    assert sorted(SEPARATORS) == ["de_CH", "de_DE", "en_GB", "en_US", "fr_FR"]


class TestGermanLocale:
    def test_parse_german(self) -> None:
        assert parse_number("1.234,5", "de_DE") == 1234.5

    def test_decimal_comma(self) -> None:
        override("locale", "de_DE")
        assert format_number(1234.5, places=2) == "1.234,50"


class TestLocaleDefaults(unittest.TestCase):
    def setUp(self) -> None:
        reset()

    def test_default_locale(self) -> None:
        self.assertEqual(setting("locale"), "en_US")

    def test_default_grouping(self) -> None:
        self.assertEqual(format_number(1234.5, places=1), "1,234.5")
''',
    polluters={"TestGermanLocale::test_decimal_comma": ("locale",)},
)

NUMBER_DISPLAY = Planted(
    "tests/i18n/test_number_display.py",
    '''\
"""Numbers as users see them."""

from __future__ import annotations

import pytest

from atlas.numbers import format_number, parse_number


def test_format_number() -> None:
    assert format_number(98765.4321) == "98,765.43"


def test_format_number_one_place() -> None:
    assert format_number(1234.56, places=1) == "1,234.6"


@pytest.mark.parametrize(
    "value, expected",
    [(1000.5, "1,000.50"), (123456.75, "123,456.75"), (1000000.25, "1,000,000.25")],
    ids=["thousand", "hundred-thousands", "million"],
)
def test_grouping(value: float, expected: str) -> None:
    assert format_number(value) == expected


class TestParsing:
    def test_parse_plain(self) -> None:
        assert parse_number("1,234.5") == 1234.5

    def test_parse_swiss(self) -> None:
        assert parse_number("1'234.5", "de_CH") == 1234.5

    def test_display_round_trip(self) -> None:
        assert parse_number(format_number(4321.5)) == 4321.5
''',
    victims={
        "test_format_number": NUMBER,
        "test_format_number_one_place": ("locale",),
        "test_grouping[thousand]": NUMBER,
        "test_grouping[hundred-thousands]": NUMBER,
        "test_grouping[million]": NUMBER,
        # Four decimals still parse back to 4321.5; none round it to 4322.
        "TestParsing::test_display_round_trip": ("locale", "precision=0"),
    },
)

PRICES = Planted(
    "tests/money/test_prices.py",
    '''\
"""Prices and tax."""

from __future__ import annotations

import unittest

import pytest

from atlas.money import currency_symbol, format_price, split_evenly, with_tax


@pytest.mark.parametrize(
    "amount, expected",
    [(1234.5, "$1,234.50"), (2500.25, "$2,500.25"), (1000000.75, "$1,000,000.75")],
    ids=["small", "medium", "large"],
)
def test_format_price(amount: float, expected: str) -> None:
    assert format_price(amount) == expected


def test_currency_symbol() -> None:
    assert currency_symbol() == "$"


class TestPriceDisplay:
    def test_negative_amount(self) -> None:
        assert format_price(-1234.5) == "$-1,234.50"

    def test_price_in_label(self) -> None:
        assert f"Total: {format_price(1999.99)}" == "Total: $1,999.99"

    def test_split_evenly(self) -> None:
        assert split_evenly(10.0, 3) == [3.34, 3.33, 3.33]


class TestTax(unittest.TestCase):
    def setUp(self) -> None:
        self.basket = [19.99, 5.01, 75.0]

    def test_basket_with_tax(self) -> None:
        self.assertEqual(with_tax(round(sum(self.basket), 2)), 120.0)

    def test_tax_on_zero(self) -> None:
        self.assertEqual(with_tax(0), 0.0)

    def test_with_tax(self) -> None:
        self.assertEqual(with_tax(100), 120.0)
''',
    victims={
        "test_format_price[small]": PRICE,
        "test_format_price[medium]": PRICE,
        "test_format_price[large]": PRICE,
        "test_currency_symbol": ("currency",),
        "TestPriceDisplay::test_negative_amount": PRICE,
        "TestPriceDisplay::test_price_in_label": PRICE,
        "TestTax::test_basket_with_tax": ("tax",),
        "TestTax::test_with_tax": ("tax",),
    },
)

TAX_RULES = Planted(
    "tests/money/test_tax_rules.py",
    '''\
"""Tax rates."""

from __future__ import annotations

import unittest

from atlas.money import with_tax
from atlas.runtime.manager import get_manager
from atlas.settings import DEFAULTS, override


class TestReducedRates(unittest.TestCase):
    def test_reduced_rate(self) -> None:
        override("tax.rate", 0.07)
        self.assertEqual(with_tax(100), 107.0)

    def test_zero_amount(self) -> None:
        self.assertEqual(with_tax(0), 0.0)


class TestStandardRate(unittest.TestCase):
    def setUp(self) -> None:
        get_manager().clear_cache()

    def test_rounding(self) -> None:
        self.assertEqual(with_tax(0.05), 0.06)

    def test_standard_rate(self) -> None:
        self.assertEqual(with_tax(50), 60.0)


def test_rate_is_a_fraction() -> None:
    assert 0 < DEFAULTS["tax.rate"] < 1
''',
    polluters={"TestReducedRates::test_reduced_rate": ("tax",)},
)

RATES = Planted(
    "tests/money/test_rates.py",
    '''\
"""Exchange rates and conversion."""

from __future__ import annotations

import unittest

import pytest

from atlas import rates
from atlas.rates import convert, rate
from atlas.runtime.manager import get_manager


def test_convert_gbp() -> None:
    assert convert(100, "GBP") == 127.0


def test_convert_usd() -> None:
    assert convert(100, "USD") == 100.0


def test_rate_is_cached() -> None:
    rate("EUR")
    assert "rate:EUR" in get_manager().cached()


def test_refresh_uses_fetched_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rates, "fetch_rate", lambda code: 2.0)
    assert convert(100, "GBP", refresh=True) == 200.0


class TestConversion(unittest.TestCase):
    def setUp(self) -> None:
        get_manager().clear_cache()

    def test_convert_eur(self) -> None:
        self.assertEqual(convert(50, "EUR"), 54.0)

    def test_convert_gbp(self) -> None:
        self.assertEqual(convert(10, "GBP"), 12.7)


@pytest.mark.parametrize(
    "code, expected", [("GBP", 254.0), ("EUR", 216.0), ("CHF", 222.0)], ids=["GBP", "EUR", "CHF"]
)
def test_convert_200(code: str, expected: float) -> None:
    assert convert(200, code) == expected
''',
    victims={"test_convert_gbp": ("rate",), "test_convert_200[GBP]": ("rate",)},
    polluters={"test_refresh_uses_fetched_rate": ("rate",)},
)

DISTANCE_DISPLAY = Planted(
    "tests/geo/test_distance_display.py",
    '''\
"""Distances as users see them, and unit conversions."""

from __future__ import annotations

import pytest

from atlas.units import celsius_to_fahrenheit, convert_length, format_distance


def test_format_distance_km() -> None:
    assert format_distance(12.5) == "12.5 km"


@pytest.mark.parametrize(
    "km, expected",
    [(1.0, "1.0 km"), (42.195, "42.2 km"), (0.4, "0.4 km")],
    ids=["one", "marathon", "short"],
)
def test_distances(km: float, expected: str) -> None:
    assert format_distance(km) == expected


class TestConversions:
    def test_miles(self) -> None:
        assert abs(convert_length(1, "mi", "km") - 1.609344) < 1e-12

    def test_feet(self) -> None:
        assert abs(convert_length(3, "ft", "in") - 36) < 1e-9

    def test_boiling_point(self) -> None:
        assert celsius_to_fahrenheit(100) == 212
''',
    victims={
        "test_format_distance_km": ("units",),
        "test_distances[one]": ("units",),
        "test_distances[marathon]": ("units",),
        "test_distances[short]": ("units",),
    },
)

IMPERIAL = Planted(
    "tests/geo/test_imperial.py",
    '''\
"""Imperial units."""

from __future__ import annotations

import unittest

from atlas.settings import override, reset
from atlas.units import LENGTH, format_distance


def test_imperial_display() -> None:
    override("units", "imperial")
    assert format_distance(1.609344) == "1.0 mi"


def test_mile_in_metres() -> None:
    assert LENGTH["mi"] == 1609.344


class TestMetricDefault(unittest.TestCase):
    def setUp(self) -> None:
        reset()

    def test_metric(self) -> None:
        self.assertEqual(format_distance(2), "2.0 km")
''',
    polluters={"test_imperial_display": ("units",)},
)

DATE_DISPLAY = Planted(
    "tests/dates/test_date_display.py",
    '''\
"""Dates as users see them."""

from __future__ import annotations

import datetime as dt

import pytest

from atlas.dates import format_date, parse_iso


def test_format_date() -> None:
    assert format_date(dt.date(2024, 3, 9)) == "2024-03-09"


class TestReportDates:
    def test_month_start(self) -> None:
        assert format_date(dt.date(2024, 2, 1)) == "2024-02-01"

    def test_year_end(self) -> None:
        assert format_date(dt.date(2023, 12, 31)) == "2023-12-31"

    def test_parse_iso(self) -> None:
        assert parse_iso("2024-02-29") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    "day, expected",
    [(dt.date(2024, 2, 29), "2024-02-29"), (dt.date(2025, 1, 1), "2025-01-01")],
    ids=["leap-day", "new-year"],
)
def test_display_days(day: dt.date, expected: str) -> None:
    assert format_date(day) == expected
''',
    victims={
        "test_format_date": ("date",),
        "TestReportDates::test_month_start": ("date",),
        "TestReportDates::test_year_end": ("date",),
        "test_display_days[leap-day]": ("date",),
        "test_display_days[new-year]": ("date",),
    },
)

US_DATES = Planted(
    "tests/dates/test_us_dates.py",
    '''\
"""US date formats."""

from __future__ import annotations

import datetime as dt
import unittest

from atlas.dates import format_date
from atlas.runtime.manager import get_manager
from atlas.settings import override


class TestUSDates(unittest.TestCase):
    def test_us_format(self) -> None:
        override("date.format", "%m/%d/%Y")
        self.assertEqual(format_date(dt.date(2024, 3, 9)), "03/09/2024")


class TestISODates(unittest.TestCase):
    def setUp(self) -> None:
        get_manager().clear_cache()

    def test_iso(self) -> None:
        self.assertEqual(format_date(dt.date(2024, 3, 9)), "2024-03-09")
''',
    polluters={"TestUSDates::test_us_format": ("date",)},
)

INVOICES = Planted(
    "tests/reports/test_invoice.py",
    '''\
"""Invoices."""

from __future__ import annotations

import datetime as dt

import pytest

from atlas.rates import convert
from atlas.reports.invoice import render_line, total_line

Line = tuple[str, float, dt.date]


@pytest.fixture
def invoice() -> list[Line]:
    return [("Widget", 1250.5, dt.date(2024, 3, 9)), ("Gadget", 2000.25, dt.date(2024, 3, 11))]


def test_invoice_line(invoice: list[Line]) -> None:
    assert render_line(*invoice[0]) == "2024-03-09  " + "Widget".ljust(12) + "$1,250.50".rjust(16)


def test_invoice_total(invoice: list[Line]) -> None:
    expected = "Total (incl. tax)".ljust(24) + "$3,900.90".rjust(16)
    assert total_line([amount for _, amount, _ in invoice]) == expected


def test_invoice_in_pounds(invoice: list[Line]) -> None:
    assert convert(invoice[0][1], "GBP") == 1588.135


def test_line_mentions_item(invoice: list[Line]) -> None:
    assert "Gadget" in render_line(*invoice[1])
''',
    victims={
        "test_invoice_line": ("date", *PRICE),
        "test_invoice_total": ("tax", *PRICE),
        "test_invoice_in_pounds": ("rate",),
    },
)

LOCALIZED_INVOICES = Planted(
    "tests/reports/test_localized_invoice.py",
    '''\
"""Invoices in other profiles."""

from __future__ import annotations

import datetime as dt
import unittest

import pytest

from atlas.reports.invoice import render_line
from atlas.settings import apply_profile, reset


@pytest.fixture
def german_profile() -> None:
    apply_profile("german")


def test_german_invoice_line(german_profile: None) -> None:
    assert "€" in render_line("Widget", 1250.5, dt.date(2024, 3, 9))


class TestDefaultInvoice(unittest.TestCase):
    def setUp(self) -> None:
        reset()

    def test_dollar_line(self) -> None:
        self.assertIn("$", render_line("Widget", 1.5, dt.date(2024, 1, 1)))
''',
    polluters={"test_german_invoice_line": ("currency", "locale")},
)

SUMMARY = Planted(
    "tests/reports/test_summary.py",
    '''\
"""The regional summary report."""

from __future__ import annotations

import datetime as dt
import unittest

from atlas.dates import format_date
from atlas.money import format_price
from atlas.units import format_distance


class TestSummary(unittest.TestCase):
    def setUp(self) -> None:
        self.rows = [("north", 1200.5), ("south", 3400.25)]

    def test_row_count(self) -> None:
        self.assertEqual(len(self.rows), 2)

    def test_summary_date(self) -> None:
        self.assertEqual(format_date(dt.date(2024, 12, 31)), "2024-12-31")

    def test_summary_distance(self) -> None:
        self.assertEqual(format_distance(120), "120.0 km")

    def test_summary_lines(self) -> None:
        lines = [f"{region}: {format_price(amount)}" for region, amount in self.rows]
        self.assertEqual(lines, ["north: $1,200.50", "south: $3,400.25"])

    def test_summary_total(self) -> None:
        self.assertEqual(format_price(sum(amount for _, amount in self.rows)), "$4,600.75")
''',
    victims={
        "TestSummary::test_summary_date": ("date",),
        "TestSummary::test_summary_distance": ("units",),
        "TestSummary::test_summary_lines": PRICE,
        "TestSummary::test_summary_total": PRICE,
    },
)

RECEIPTS = Planted(
    "tests/reports/test_receipts.py",
    '''\
"""Receipts."""

from __future__ import annotations

import datetime as dt

import pytest

from atlas.dates import format_date
from atlas.money import currency_symbol, format_price, with_tax
from atlas.rates import convert


@pytest.mark.parametrize(
    "items, expected",
    [
        ([1000.5], "$1,000.50"),
        ([999.99, 0.01], "$1,000.00"),
        ([1500.25, 2500.5], "$4,000.75"),
        ([12000.1], "$12,000.10"),
    ],
    ids=["single", "rounding", "pair", "large"],
)
def test_receipt_total(items: list[float], expected: str) -> None:
    assert format_price(round(sum(items), 2)) == expected


class TestReceiptHeader:
    def test_header_date(self) -> None:
        assert f"Receipt {format_date(dt.date(2024, 7, 4))}" == "Receipt 2024-07-04"

    def test_header_currency(self) -> None:
        assert f"Amounts in {currency_symbol()}" == "Amounts in $"

    def test_footer(self) -> None:
        assert "thank you".title() == "Thank You"


def test_receipt_in_euros() -> None:
    assert convert(1000, "EUR") == 1080.0


def test_receipt_tax() -> None:
    assert with_tax(250) == 300.0
''',
    victims={
        "test_receipt_total[single]": PRICE,
        "test_receipt_total[rounding]": PRICE,
        "test_receipt_total[pair]": PRICE,
        "test_receipt_total[large]": PRICE,
        "TestReceiptHeader::test_header_date": ("date",),
        "TestReceiptHeader::test_header_currency": ("currency",),
        "test_receipt_tax": ("tax",),
    },
)

REGISTRY_TESTS = Planted(
    "tests/formats/test_registry.py",
    '''\
"""The format registry."""

from __future__ import annotations

from atlas.formats import parse
from atlas.runtime.manager import get_manager


def test_default_handlers() -> None:
    assert get_manager().handlers() == ["csv", "ini", "jsonl"]


def test_parse_csv_through_registry() -> None:
    assert parse("csv", "a,b\\n1,2\\n") == [{"a": "1", "b": "2"}]


def test_register_tsv() -> None:
    get_manager().register("tsv", lambda text: [line.split("\\t") for line in text.splitlines()])
    assert parse("tsv", "a\\tb") == [["a", "b"]]
''',
    victims={"test_default_handlers": ("registry",)},
    polluters={"test_register_tsv": ("registry",)},
)

MODULES = (
    OVERRIDES,
    PROFILES,
    MANAGER,
    LOCALES,
    NUMBER_DISPLAY,
    PRICES,
    TAX_RULES,
    RATES,
    DISTANCE_DISPLAY,
    IMPERIAL,
    DATE_DISPLAY,
    US_DATES,
    INVOICES,
    LOCALIZED_INVOICES,
    SUMMARY,
    RECEIPTS,
    REGISTRY_TESTS,
)


def victims() -> dict[str, tuple[str, ...]]:
    """Every victim's node id → the tags it notices."""
    return {f"{m.path}::{t}": tags for m in MODULES for t, tags in m.victims.items()}


def polluters() -> dict[str, tuple[str, ...]]:
    """Every polluter's node id → the tags it leaves behind."""
    return {f"{m.path}::{t}": tags for m in MODULES for t, tags in m.polluters.items()}


def polluters_of(tags: tuple[str, ...]) -> list[str]:
    return sorted(p for p, left in polluters().items() if set(left) & set(tags))


def state_of(tags: tuple[str, ...]) -> list[str]:
    return sorted({STATE.get(tag, CACHE) for tag in tags})
