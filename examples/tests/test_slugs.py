"""Product URL slugs."""

import pytest

from shop.catalog import slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Oat Milk (1 l)", "oat-milk-1-l"), ("Crème Brûlée", "creme-brulee"), ("  --Apple--  ", "apple")],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
