"""Warehouse inventory."""

from shop import inventory


def test_register_main_warehouse() -> None:
    # planted: state-setter; the next test silently depends on the warehouse registered here
    inventory.register_warehouse("main")
    assert inventory.is_registered("main")


def test_stock_in_main_warehouse() -> None:
    # planted: brittle (never registers "main" itself, so it fails with KeyError when run alone)
    assert inventory.stock("main", "apple") == 12
