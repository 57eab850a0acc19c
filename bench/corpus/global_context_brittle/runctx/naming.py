"""Names of checks and their variants."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _UNSAFE.sub("_", text.lower()).strip("_")


def valid_check_name(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name))


def variant_name(base: str, **params: object) -> str:
    if not params:
        return base
    suffix = "_".join(f"{k}={params[k]}" for k in sorted(params))
    return f"{base}%{suffix}"


def split_variant(name: str) -> tuple[str, dict[str, str]]:
    base, _, rest = name.partition("%")
    params = dict(item.split("=", 1) for item in rest.split("_") if item) if rest else {}
    return base, params
