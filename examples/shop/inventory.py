"""Warehouse inventory, kept in a module-level registry."""

from __future__ import annotations

OPENING_STOCK: dict[str, int] = {"apple": 12, "pear": 4}
"""Stock a warehouse starts with when it is registered."""

_warehouses: dict[str, dict[str, int]] = {}


def register_warehouse(name: str) -> None:
    """Register ``name`` with the opening stock (idempotent)."""
    _warehouses.setdefault(name, dict(OPENING_STOCK))


def is_registered(name: str) -> bool:
    return name in _warehouses


def stock(warehouse: str, sku: str) -> int:
    """Units of ``sku`` in ``warehouse``; raises KeyError for an unregistered warehouse."""
    return _warehouses[warehouse].get(sku, 0)
