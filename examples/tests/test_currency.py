"""Currency defaults."""

from shop import settings


def test_default_currency() -> None:
    # planted: victim of test_settings.py::test_currency_override (assumes SHOP_CURRENCY is unset)
    assert settings.currency() == "EUR"
