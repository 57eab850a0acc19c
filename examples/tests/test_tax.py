"""VAT calculations."""

import pytest

from shop.tax import gross, tax_for


@pytest.mark.parametrize(("net", "rate", "expected"), [(1000, 0.2, 1200), (999, 0.055, 1054)])
def test_gross(net: int, rate: float, expected: int) -> None:
    assert gross(net, rate) == expected


def test_negative_rate_rejected() -> None:
    with pytest.raises(ValueError):
        tax_for(1000, -0.1)
