"""The generated project's library package, ``atlas``: its modules' sources by path.

Three groups: the process-global manager and the code that reads settings and rates through it
(``runtime``, ``settings``, ``money``, ``numbers``, ``rates``, ``units``, ``dates``); modules that
build large caches at import (``data``: tens of thousands of entries each, one medium index, and a
memo in ``text.stems`` that tests keep extending); and plain libraries the bulk of the tests
exercise (text, parsing, geometry, calculation, storage, codecs).
"""

from __future__ import annotations

MANAGER = '''\
"""The process-wide manager: looked-up settings and exchange rates, and the format handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Manager:
    """Caches looked-up values (``lookup``) and holds the registry of format handlers."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}
        self._handlers: dict[str, Callable[..., Any]] = {}

    def lookup(self, key: str, compute: Callable[[], Any]) -> Any:
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = compute()
            return value

    def remember(self, key: str, value: Any) -> None:
        self._cache[key] = value

    def forget(self, key: str) -> None:
        self._cache.pop(key, None)

    def cached(self) -> list[str]:
        return sorted(self._cache)

    def clear_cache(self) -> None:
        self._cache.clear()

    def register(self, name: str, handler: Callable[..., Any]) -> None:
        self._handlers[name] = handler

    def handler(self, name: str) -> Callable[..., Any]:
        return self._handlers[name]

    def handlers(self) -> list[str]:
        return sorted(self._handlers)


_manager = Manager()


def get_manager() -> Manager:
    """The one manager of the process."""
    return _manager
'''

SETTINGS = '''\
"""Settings: defaults, looked up (and cached) through the manager, overridable at run time."""

from __future__ import annotations

from typing import Any

from atlas.runtime.manager import get_manager

DEFAULTS: dict[str, Any] = {
    "currency": "USD",
    "locale": "en_US",
    "precision": 2,
    "tax.rate": 0.2,
    "units": "metric",
    "date.format": "%Y-%m-%d",
    "timezone": "UTC",
}
PROFILES: dict[str, dict[str, Any]] = {
    "swiss": {"currency": "CHF", "locale": "de_CH"},
    "german": {"currency": "EUR", "locale": "de_DE"},
    "us": {"units": "imperial", "date.format": "%m/%d/%Y"},
}


def setting(name: str) -> Any:
    return get_manager().lookup(f"setting:{name}", lambda: DEFAULTS[name])


def override(name: str, value: Any) -> None:
    if name not in DEFAULTS:
        raise KeyError(f"unknown setting {name!r}")
    get_manager().remember(f"setting:{name}", value)


def apply_profile(name: str) -> None:
    for key, value in PROFILES[name].items():
        override(key, value)


def reset() -> None:
    for name in DEFAULTS:
        get_manager().forget(f"setting:{name}")
'''

NUMBERS = '''\
"""Locale-aware number formatting."""

from __future__ import annotations

from atlas.settings import setting

SEPARATORS = {
    "en_US": (",", "."),
    "en_GB": (",", "."),
    "de_DE": (".", ","),
    "de_CH": ("'", "."),
    "fr_FR": (" ", ","),
}


def format_number(value: float, places: int | None = None) -> str:
    places = setting("precision") if places is None else places
    group, decimal = SEPARATORS[setting("locale")]
    whole, _, fraction = f"{value:,.{places}f}".partition(".")
    whole = whole.replace(",", group)
    return whole + (decimal + fraction if fraction else "")


def parse_number(text: str, locale: str = "en_US") -> float:
    group, decimal = SEPARATORS[locale]
    return float(text.replace(group, "").replace(decimal, "."))
'''

MONEY = '''\
"""Prices: symbols, display, tax, splitting."""

from __future__ import annotations

from atlas.numbers import format_number
from atlas.settings import setting

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CHF": "CHF ", "JPY": "¥"}


def currency_symbol() -> str:
    return SYMBOLS[setting("currency")].strip()


def format_price(amount: float) -> str:
    return SYMBOLS[setting("currency")] + format_number(amount)


def with_tax(amount: float) -> float:
    return round(amount * (1 + setting("tax.rate")), 2)


def split_evenly(amount: float, parts: int) -> list[float]:
    cents = round(amount * 100)
    share, rest = divmod(cents, parts)
    return [(share + (1 if k < rest else 0)) / 100 for k in range(parts)]
'''

RATES = '''\
"""Exchange rates: fetched once per process, then served from the manager's cache."""

from __future__ import annotations

from atlas.runtime.manager import get_manager

RATES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CHF": 1.11, "JPY": 0.0067}


def fetch_rate(code: str) -> float:
    """In production, a call to the rates service."""
    return RATES[code]


def rate(code: str, refresh: bool = False) -> float:
    manager, key = get_manager(), f"rate:{code}"
    if refresh:
        manager.forget(key)
    return float(manager.lookup(key, lambda: fetch_rate(code)))


def convert(amount: float, code: str, refresh: bool = False) -> float:
    return round(amount * rate(code, refresh), 4)
'''

UNITS = '''\
"""Lengths, weights and temperatures; distances displayed in the configured units."""

from __future__ import annotations

from atlas.settings import setting

LENGTH = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048,
          "mi": 1609.344}
WEIGHT = {"g": 0.001, "kg": 1.0, "t": 1000.0, "lb": 0.45359237, "oz": 0.028349523125}


def convert_length(value: float, source: str, target: str) -> float:
    return value * LENGTH[source] / LENGTH[target]


def convert_weight(value: float, source: str, target: str) -> float:
    return value * WEIGHT[source] / WEIGHT[target]


def celsius_to_fahrenheit(value: float) -> float:
    return value * 9 / 5 + 32


def fahrenheit_to_celsius(value: float) -> float:
    return (value - 32) * 5 / 9


def format_distance(km: float) -> str:
    if setting("units") == "imperial":
        return f"{convert_length(km, 'km', 'mi'):.1f} mi"
    return f"{km:.1f} km"
'''

DATES = '''\
"""Calendar arithmetic, and dates displayed in the configured format."""

from __future__ import annotations

import datetime as dt

from atlas.settings import setting


def format_date(day: dt.date) -> str:
    return day.strftime(setting("date.format"))


def parse_iso(text: str) -> dt.date:
    year, month, day = (int(part) for part in text.split("-"))
    return dt.date(year, month, day)


def add_business_days(day: dt.date, count: int) -> dt.date:
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += dt.timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    days = (end - start).days
    return sum(1 for k in range(days) if (start + dt.timedelta(days=k)).weekday() < 5)


def month_calendar(year: int, month: int) -> list[list[int]]:
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    weeks: list[list[int]] = [[0] * first.weekday()]
    for day in range(1, (following - first).days + 1):
        if len(weeks[-1]) == 7:
            weeks.append([])
        weeks[-1].append(day)
    weeks[-1] += [0] * (7 - len(weeks[-1]))
    return weeks
'''

FORMATS_INIT = '''\
"""Format handlers, registered with the manager when this package is imported."""

from __future__ import annotations

from atlas.formats import csvish, ini, jsonl
from atlas.runtime.manager import get_manager

get_manager().register("csv", csvish.parse)
get_manager().register("ini", ini.parse)
get_manager().register("jsonl", jsonl.parse)


def parse(kind: str, text: str) -> object:
    return get_manager().handler(kind)(text)
'''

CSVISH = '''\
"""A small CSV dialect: quoted fields, doubled quotes, a header row."""

from __future__ import annotations


def split_line(line: str, sep: str = ",") -> list[str]:
    fields, field, quoted, k = [], [], False, 0
    while k < len(line):
        char = line[k]
        if quoted and char == '"' and line[k + 1 : k + 2] == '"':
            field.append('"')
            k += 1
        elif char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            fields.append("".join(field))
            field = []
        else:
            field.append(char)
        k += 1
    fields.append("".join(field))
    return fields


def quote(value: str, sep: str = ",") -> str:
    if any(c in value for c in (sep, '"', "\\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def parse(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    header = split_line(lines[0])
    return [dict(zip(header, split_line(line))) for line in lines[1:]]


def dump(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    out = [",".join(quote(h) for h in header)]
    out += [",".join(quote(row[h]) for h in header) for row in rows]
    return "\\n".join(out) + "\\n"
'''

INI = '''\
"""INI files: sections, key = value, comments, typed getters."""

from __future__ import annotations


def parse(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current = sections.setdefault("DEFAULT", {})
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
        elif "=" in line:
            key, value = line.split("=", 1)
            current[key.strip()] = value.strip()
        else:
            raise ValueError(f"line {number}: expected key = value, got {raw!r}")
    return sections


def get_int(sections: dict[str, dict[str, str]], section: str, key: str) -> int:
    return int(sections[section][key])


def get_bool(sections: dict[str, dict[str, str]], section: str, key: str) -> bool:
    return sections[section][key].lower() in {"1", "yes", "true", "on"}


def dump(sections: dict[str, dict[str, str]]) -> str:
    out = []
    for name, values in sections.items():
        out.append(f"[{name}]")
        out += [f"{key} = {value}" for key, value in values.items()]
        out.append("")
    return "\\n".join(out)
'''

JSONL = '''\
"""JSON lines: one object per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def parse(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def dumps(items: list[Any]) -> str:
    return "".join(json.dumps(item, sort_keys=True) + "\\n" for item in items)


def write(path: Path, items: list[Any]) -> int:
    path.write_text(dumps(items), encoding="utf-8")
    return len(items)


def read(path: Path) -> list[Any]:
    return parse(path.read_text(encoding="utf-8"))
'''

SLUG = '''\
"""Slugs and identifiers."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub("-", ascii_text.lower()).strip("-")


def identifier(text: str) -> str:
    slug = slugify(text).replace("-", "_")
    return f"_{slug}" if slug[:1].isdigit() else slug or "_"


def unique_slugs(texts: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for text in texts:
        slug = slugify(text)
        seen[slug] = seen.get(slug, 0) + 1
        out.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return out
'''

TOKENS = '''\
"""Tokens, n-grams and word frequencies."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\\d+")


def tokenize(text: str) -> list[str]:
    return [token.lower() for token in _WORD.findall(text)]


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[k : k + n]) for k in range(len(tokens) - n + 1)]


def frequencies(text: str) -> list[tuple[str, int]]:
    return sorted(Counter(tokenize(text)).items(), key=lambda item: (-item[1], item[0]))


def jaccard(a: str, b: str) -> float:
    left, right = set(tokenize(a)), set(tokenize(b))
    return len(left & right) / len(left | right) if left | right else 1.0
'''

STEMS = '''\
"""A stemmer with a memo, pre-filled at import from the word list (tens of thousands of entries)."""

from __future__ import annotations

from atlas.data.words import WORDS

SUFFIXES = ("ations", "ation", "ings", "ing", "ness", "ment", "ers", "er", "ed", "es", "s", "ly")
_MEMO: dict[str, str] = {}


def _strip(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def stem(word: str) -> str:
    try:
        return _MEMO[word]
    except KeyError:
        result = _MEMO[word] = _strip(word.lower())
        return result


for _word in WORDS:
    stem(_word)
'''

WRAP = '''\
"""Wrapping and justifying paragraphs."""

from __future__ import annotations


def wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line: list[str] = []
    for word in text.split():
        if line and len(" ".join([*line, word])) > width:
            lines.append(" ".join(line))
            line = []
        line.append(word)
    if line:
        lines.append(" ".join(line))
    return lines


def justify(line: str, width: int) -> str:
    words = line.split()
    if len(words) < 2:
        return line.ljust(width)
    gaps, spaces = len(words) - 1, width - sum(map(len, words))
    out = ""
    for k, word in enumerate(words[:-1]):
        out += word + " " * (spaces // gaps + (1 if k < spaces % gaps else 0))
    return out + words[-1]
'''

POSTCODES = '''\
"""Postcodes: a table of 52,000 codes built at import (region, latitude, longitude)."""

from __future__ import annotations

REGIONS = ("north", "south", "east", "west", "central", "coast", "hills", "valley")


def _build() -> dict[str, tuple[str, float, float]]:
    table = {}
    for k in range(52_000):
        code = f"{k % 97:02d}{k // 97:03d}"
        table[code] = (REGIONS[k % len(REGIONS)], 40 + (k * 7919 % 10_000) / 1000,
                       -5 + (k * 104_729 % 10_000) / 1000)
    return table


POSTCODES = _build()
_BY_REGION: dict[str, list[str]] | None = None


def by_region(region: str) -> list[str]:
    global _BY_REGION
    if _BY_REGION is None:
        _BY_REGION = {}
        for code, (name, _, _) in sorted(POSTCODES.items()):
            _BY_REGION.setdefault(name, []).append(code)
    return _BY_REGION[region]


def location(code: str) -> tuple[float, float]:
    _, lat, lon = POSTCODES[code]
    return lat, lon
'''

WORDS = '''\
"""A word list of 36,000 made-up words built at import from syllables."""

from __future__ import annotations

SYLLABLES = ("ka", "lo", "mi", "ner", "ta", "vo", "sen", "dri", "pal", "um", "ex", "ri", "on",
             "bel", "cor", "fin", "gus", "har", "ist", "jor")
ENDINGS = ("", "s", "ing", "ed", "er", "ation", "ness", "ly", "ment")


def _build() -> list[str]:
    words = []
    n = len(SYLLABLES)
    for k in range(4_000):
        stem = SYLLABLES[k % n] + SYLLABLES[k // n % n] + SYLLABLES[k // (n * n) % n]
        words += [stem + ending for ending in ENDINGS]
    return words


WORDS = _build()
WORD_SET = frozenset(WORDS)
'''

PRIMES = '''\
"""Primes below 700,000 (about 56,500 of them), sieved at import."""

from __future__ import annotations

LIMIT = 700_000


def sieve(limit: int) -> list[int]:
    flags = bytearray([1]) * limit
    flags[0:2] = b"\\x00\\x00"
    for n in range(2, int(limit**0.5) + 1):
        if flags[n]:
            flags[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return [n for n in range(limit) if flags[n]]


PRIMES = sieve(LIMIT)
PRIME_SET = frozenset(PRIMES)


def is_prime(n: int) -> bool:
    if n < LIMIT:
        return n in PRIME_SET
    return all(n % p for p in PRIMES if p * p <= n)


def factorize(n: int) -> list[int]:
    factors = []
    for p in PRIMES:
        if p * p > n:
            break
        while n % p == 0:
            factors.append(p)
            n //= p
    return factors + ([n] if n > 1 else [])
'''

GRID = '''\
"""An elevation grid of 220 x 220 tiles (48,400 entries) built at import."""

from __future__ import annotations

SIZE = 220


def _elevation(x: int, y: int) -> int:
    return (x * 31 + y * 17 + (x * y) % 23) % 97


TILES: dict[tuple[int, int], int] = {
    (x, y): _elevation(x, y) for x in range(SIZE) for y in range(SIZE)
}


def neighbours(x: int, y: int) -> list[tuple[int, int]]:
    candidates = ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1))
    return [(a, b) for a, b in candidates if 0 <= a < SIZE and 0 <= b < SIZE]
'''

CITIES = '''\
"""A city index of 7,500 entries (name -> population, postcode prefix) built at import."""

from __future__ import annotations

from atlas.data.words import WORDS

CITIES: dict[str, tuple[int, str]] = {
    WORDS[k * 4].capitalize(): (1_000 + k * 37 % 90_000, f"{k % 97:02d}")
    for k in range(7_500)
}


def largest(count: int) -> list[str]:
    return sorted(CITIES, key=lambda name: (-CITIES[name][0], name))[:count]
'''

DISTANCE = '''\
"""Great-circle distances and nearest neighbours."""

from __future__ import annotations

import math

EARTH_KM = 6371.0088


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2
    ) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def nearest(point: tuple[float, float], candidates: dict[str, tuple[float, float]]) -> str:
    return min(sorted(candidates), key=lambda name: haversine(point, candidates[name]))


def path_length(points: list[tuple[float, float]]) -> float:
    return sum(haversine(a, b) for a, b in zip(points, points[1:]))
'''

BBOX = '''\
"""Axis-aligned bounding boxes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    left: float
    bottom: float
    right: float
    top: float

    @classmethod
    def around(cls, points: list[tuple[float, float]]) -> Box:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return cls(min(xs), min(ys), max(xs), max(ys))

    def contains(self, point: tuple[float, float]) -> bool:
        return self.left <= point[0] <= self.right and self.bottom <= point[1] <= self.top

    def area(self) -> float:
        return (self.right - self.left) * (self.top - self.bottom)

    def union(self, other: Box) -> Box:
        return Box(min(self.left, other.left), min(self.bottom, other.bottom),
                   max(self.right, other.right), max(self.top, other.top))

    def intersects(self, other: Box) -> bool:
        return not (other.left > self.right or other.right < self.left
                    or other.bottom > self.top or other.top < self.bottom)
'''

ROUTING = '''\
"""Cheapest paths over the elevation grid (Dijkstra)."""

from __future__ import annotations

import heapq

from atlas.data.grid import TILES, neighbours


def cheapest(start: tuple[int, int], goal: tuple[int, int], limit: int) -> int:
    """The cost of the cheapest path within the limit x limit corner of the grid."""
    best = {start: 0}
    queue = [(0, start)]
    while queue:
        cost, here = heapq.heappop(queue)
        if here == goal:
            return cost
        if cost > best.get(here, cost):
            continue
        for there in neighbours(*here):
            if there[0] >= limit or there[1] >= limit:
                continue
            step = cost + 1 + abs(TILES[there] - TILES[here])
            if step < best.get(there, step + 1):
                best[there] = step
                heapq.heappush(queue, (step, there))
    raise ValueError("unreachable")
'''

EXPR = '''\
"""Arithmetic expressions: a tokenizer and a recursive-descent evaluator."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\\s*(\\d+\\.?\\d*|[-+*/()%^])")


def tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise SyntaxError(f"unexpected {text[pos:]!r}")
        out.append(match.group(1))
        pos = match.end()
    return out


def evaluate(text: str) -> float:
    items = tokens(text)
    value, rest = _sum(items)
    if rest:
        raise SyntaxError(f"trailing {rest}")
    return value


def _sum(items: list[str]) -> tuple[float, list[str]]:
    value, items = _product(items)
    while items and items[0] in "+-":
        op, (right, items) = items[0], _product(items[1:])
        value = value + right if op == "+" else value - right
    return value, items


def _product(items: list[str]) -> tuple[float, list[str]]:
    value, items = _power(items)
    while items and items[0] in "*/%":
        op, (right, items) = items[0], _power(items[1:])
        value = value * right if op == "*" else value / right if op == "/" else value % right
    return value, items


def _power(items: list[str]) -> tuple[float, list[str]]:
    base, items = _atom(items)
    if items and items[0] == "^":
        exponent, items = _power(items[1:])
        return base**exponent, items
    return base, items


def _atom(items: list[str]) -> tuple[float, list[str]]:
    head, rest = items[0], items[1:]
    if head == "(":
        value, rest = _sum(rest)
        return value, rest[1:]
    if head == "-":
        value, rest = _atom(rest)
        return -value, rest
    return float(head), rest
'''

STATS = '''\
"""Descriptive statistics."""

from __future__ import annotations

import math


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def stdev(values: list[float]) -> float:
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def histogram(values: list[float], bins: int) -> list[int]:
    low, high = min(values), max(values)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - low) / width), bins - 1)] += 1
    return counts
'''

MATRIX = '''\
"""Small dense matrices as lists of rows."""

from __future__ import annotations

Matrix = list[list[float]]


def identity(n: int) -> Matrix:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def transpose(m: Matrix) -> Matrix:
    return [list(row) for row in zip(*m)]


def multiply(a: Matrix, b: Matrix) -> Matrix:
    columns = transpose(b)
    return [[sum(x * y for x, y in zip(row, col)) for col in columns] for row in a]


def power(m: Matrix, exponent: int) -> Matrix:
    result = identity(len(m))
    while exponent:
        if exponent & 1:
            result = multiply(result, m)
        m = multiply(m, m)
        exponent >>= 1
    return result


def determinant(m: Matrix) -> float:
    m = [row[:] for row in m]
    det = 1.0
    for col in range(len(m)):
        pivot = max(range(col, len(m)), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12:
            return 0.0
        if pivot != col:
            m[col], m[pivot] = m[pivot], m[col]
            det = -det
        det *= m[col][col]
        for row in range(col + 1, len(m)):
            factor = m[row][col] / m[col][col]
            m[row] = [a - factor * b for a, b in zip(m[row], m[col])]
    return det
'''

CHECKSUM = '''\
"""Check digits and checksums."""

from __future__ import annotations


def luhn_digit(number: str) -> int:
    total = 0
    for k, char in enumerate(reversed(number)):
        d = int(char) * (2 if k % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    return luhn_digit(number[:-1]) == int(number[-1])


def adler32(data: bytes) -> int:
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def fletcher16(data: bytes) -> int:
    a = b = 0
    for byte in data:
        a = (a + byte) % 255
        b = (b + a) % 255
    return (b << 8) | a
'''

RECORDS = '''\
"""Records saved as JSON files in a folder, one file per record."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Record:
    key: str
    title: str
    tags: tuple[str, ...]
    score: float


def save(folder: Path, record: Record) -> Path:
    path = folder / f"{record.key}.json"
    path.write_text(json.dumps(asdict(record), sort_keys=True), encoding="utf-8")
    return path


def load(path: Path) -> Record:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Record(data["key"], data["title"], tuple(data["tags"]), data["score"])


def load_all(folder: Path) -> list[Record]:
    return [load(path) for path in sorted(folder.glob("*.json"))]
'''

INDEX = '''\
"""An inverted index over records' titles and tags."""

from __future__ import annotations

from atlas.storage.records import Record
from atlas.text.tokens import tokenize


class Index:
    def __init__(self) -> None:
        self.postings: dict[str, set[str]] = {}
        self.records: dict[str, Record] = {}

    def add(self, record: Record) -> None:
        self.records[record.key] = record
        for term in {*tokenize(record.title), *record.tags}:
            self.postings.setdefault(term, set()).add(record.key)

    def search(self, query: str) -> list[str]:
        terms = tokenize(query)
        if not terms:
            return []
        keys = set.intersection(*(self.postings.get(t, set()) for t in terms))
        return sorted(keys, key=lambda k: (-self.records[k].score, k))
'''

RLE = '''\
"""Run-length encoding."""

from __future__ import annotations


def encode(text: str) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for char in text:
        if runs and runs[-1][0] == char:
            runs[-1] = (char, runs[-1][1] + 1)
        else:
            runs.append((char, 1))
    return runs


def decode(runs: list[tuple[str, int]]) -> str:
    return "".join(char * count for char, count in runs)
'''

BASEN = '''\
"""Integers in any base from 2 to 36."""

from __future__ import annotations

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def to_base(n: int, base: int) -> str:
    if n == 0:
        return "0"
    sign, n, out = "-" if n < 0 else "", abs(n), []
    while n:
        n, digit = divmod(n, base)
        out.append(DIGITS[digit])
    return sign + "".join(reversed(out))


def from_base(text: str, base: int) -> int:
    sign = -1 if text.startswith("-") else 1
    value = 0
    for char in text.lstrip("-"):
        value = value * base + DIGITS.index(char)
    return sign * value
'''

INVOICE = '''\
"""Invoice lines and totals, in the configured currency, locale and date format."""

from __future__ import annotations

import datetime as dt

from atlas.dates import format_date
from atlas.money import format_price, with_tax


def render_line(description: str, amount: float, day: dt.date) -> str:
    return f"{format_date(day)}  {description:<12}{format_price(amount):>16}"


def total_line(amounts: list[float]) -> str:
    return f"{'Total (incl. tax)':<24}{format_price(with_tax(sum(amounts))):>16}"
'''

#: path under the project root → source. Package ``__init__`` files are added by ``package``.
MODULES: dict[str, str] = {
    "atlas/runtime/manager.py": MANAGER,
    "atlas/settings.py": SETTINGS,
    "atlas/numbers.py": NUMBERS,
    "atlas/money.py": MONEY,
    "atlas/rates.py": RATES,
    "atlas/units.py": UNITS,
    "atlas/dates.py": DATES,
    "atlas/formats/__init__.py": FORMATS_INIT,
    "atlas/formats/csvish.py": CSVISH,
    "atlas/formats/ini.py": INI,
    "atlas/formats/jsonl.py": JSONL,
    "atlas/text/slug.py": SLUG,
    "atlas/text/tokens.py": TOKENS,
    "atlas/text/stems.py": STEMS,
    "atlas/text/wrap.py": WRAP,
    "atlas/data/postcodes.py": POSTCODES,
    "atlas/data/words.py": WORDS,
    "atlas/data/primes.py": PRIMES,
    "atlas/data/grid.py": GRID,
    "atlas/data/cities.py": CITIES,
    "atlas/geo/distance.py": DISTANCE,
    "atlas/geo/bbox.py": BBOX,
    "atlas/geo/routing.py": ROUTING,
    "atlas/calc/expr.py": EXPR,
    "atlas/calc/stats.py": STATS,
    "atlas/calc/matrix.py": MATRIX,
    "atlas/calc/checksum.py": CHECKSUM,
    "atlas/storage/records.py": RECORDS,
    "atlas/storage/index.py": INDEX,
    "atlas/codec/rle.py": RLE,
    "atlas/codec/basen.py": BASEN,
    "atlas/reports/invoice.py": INVOICE,
}

#: The caches built at import, module.attribute → at least this many entries (generate --check
#: measures them): tens of thousands each, but the city index (a medium one, 7,500).
CACHES = {
    "atlas.data.postcodes.POSTCODES": 52_000,
    "atlas.data.words.WORDS": 36_000,
    "atlas.data.words.WORD_SET": 36_000,
    "atlas.data.primes.PRIMES": 56_543,
    "atlas.data.primes.PRIME_SET": 56_543,
    "atlas.data.grid.TILES": 48_400,
    "atlas.data.cities.CITIES": 7_500,
    "atlas.text.stems._MEMO": 36_000,
}


def package() -> dict[str, str]:
    """Every file of the package: the modules, and an ``__init__.py`` in each folder."""
    files = dict(MODULES)
    for path in MODULES:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            init = "/".join([*parts[:depth], "__init__.py"])
            files.setdefault(init, f'"""The {".".join(parts[:depth])} package."""\n')
    return dict(sorted(files.items()))
