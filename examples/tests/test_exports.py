"""Catalog CSV exports."""

import os

from shop import catalog
from shop.catalog import Product


def test_export_in_build_dir() -> None:
    # planted: changes the working directory (chdir into build/exports and never changes back)
    os.makedirs("build/exports", exist_ok=True)
    os.chdir("build/exports")
    products = [Product("apple", "Granny Smith Apple", 150), Product("pear", "Conference Pear", 200)]
    path = catalog.export_csv(products, "catalog.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == ["sku,name,price_cents", "apple,Granny Smith Apple,150", "pear,Conference Pear,200"]
