"""Loading the product catalog shipped in data/."""

from shop import catalog


def test_load_catalog() -> None:
    # planted: victim of test_exports.py::test_export_in_build_dir (opens a path relative to the cwd)
    products = catalog.load("data/catalog.json")
    assert [p.sku for p in products] == ["apple", "pear", "oat-milk"]
    assert products[0].price_cents == 150
