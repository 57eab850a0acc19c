"""Money formatting and rounding."""

import pytest

from shop.money import format_cents, round_half_up


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (1234, "EUR", "€12.34"),
        (5, "USD", "$0.05"),
        (-250, "GBP", "-£2.50"),
    ],
)
def test_format_cents(cents: int, currency: str, expected: str) -> None:
    assert format_cents(cents, currency) == expected


def test_round_half_up() -> None:
    assert [round_half_up(v) for v in (0.5, 1.49, 2.5, -2.5)] == [1, 1, 3, -3]
