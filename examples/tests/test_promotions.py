"""Shop-wide promotions."""

from shop import config
from shop.cart import Cart


def test_discount_enabled() -> None:
    # planted: pollutes a module global (sets shop.config.DISCOUNT_RATE and never restores it)
    config.DISCOUNT_RATE = 0.1
    cart = Cart()
    cart.add("apple", 150, quantity=2)
    cart.add("pear", 200)
    assert cart.total() == 450
