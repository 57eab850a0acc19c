"""Cart totals with the default configuration (no promotion running)."""

from shop.cart import Cart


def test_total_without_discount() -> None:
    # planted: victim of test_promotions.py::test_discount_enabled (relies on the default DISCOUNT_RATE = 0.0)
    cart = Cart()
    cart.add("apple", 150, quantity=2)
    cart.add("pear", 200)
    assert cart.total() == 500
