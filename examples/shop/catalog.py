"""Product catalog: loading from JSON and exporting to CSV."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int


def load(path: str | Path) -> list[Product]:
    """Load the catalog from a JSON file (a list of product objects)."""
    with open(path, encoding="utf-8") as fh:
        return [Product(**item) for item in json.load(fh)]


def export_csv(products: list[Product], path: str | Path) -> Path:
    """Write ``products`` as CSV to ``path`` and return it."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sku", "name", "price_cents"])
        for product in products:
            writer.writerow([product.sku, product.name, product.price_cents])
    return path


def slugify(name: str) -> str:
    """URL slug for a product name: ``'Oat Milk (1 l)'`` -> ``'oat-milk-1-l'``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
