"""The bulk of the generated suite: about a hundred isolated test modules over ``atlas``.

Each module mixes what real suites mix: plain test functions, a parametrized test, a pytest class,
often a ``unittest.TestCase`` (its temporary folder made in ``setUp``), sometimes a module fixture;
most tests take a millisecond, a few per module 50-150 ms, two or three 0.25-0.75 s (in the
seconds of the machine ``snippets.UNIT_SECONDS`` was measured on: it has since run them up to
twice as fast, and the suite must take a minute there too).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import snippets as s

#: Standard-library modules every test module imports, beside its area's own imports.
STDLIB = ("calendar", "datetime as dt", "math", "random", "zlib")
SLOW_PER_MODULE = (2, 3)  #: tests of 0.25-0.75 s
MEDIUM_PER_MODULE = (2, 4)  #: tests of 50-150 ms


@dataclass(frozen=True)
class Area:
    folder: str  #: tests/<folder>/
    imports: tuple[str, ...]
    topics: tuple[str, ...]
    fast: tuple[s.Maker, ...]
    slow: tuple[s.SlowMaker, ...]
    params: tuple[s.ParamsMaker, ...]
    modules: int


AREAS = (
    Area(
        "text",
        (
            "from atlas.data.words import WORD_SET, WORDS",
            "from atlas.text.slug import identifier, slugify, unique_slugs",
            "from atlas.text.stems import stem",
            "from atlas.text.tokens import frequencies, jaccard, ngrams, tokenize",
            "from atlas.text.wrap import justify, wrap",
        ),
        ("slugs", "tokens", "ngrams", "wrapping", "stemming", "frequencies", "similarity"),
        (
            s.slug_phrase,
            s.slug_idempotent,
            s.tokens_sentence,
            s.ngram_count,
            s.wrap_width,
            s.justify_width,
            s.stem_suffix,
            s.word_frequencies,
            s.jaccard_bounds,
            s.unique_slug_list,
        ),
        (s.slow_tokenize, s.slow_stems),
        (s.slug_params,),
        14,
    ),
    Area(
        "formats",
        ("from atlas.formats import csvish, ini, jsonl, parse",),
        ("csv", "quoting", "ini", "ini_errors", "json_lines", "handlers"),
        (
            s.csv_roundtrip,
            s.csv_split,
            s.ini_parse,
            s.ini_error,
            s.ini_roundtrip,
            s.jsonl_file,
            s.registry_parse,
        ),
        (s.slow_csv, s.slow_jsonl),
        (s.csv_params,),
        12,
    ),
    Area(
        "geo",
        (
            "from atlas.data.postcodes import by_region, location",
            "from atlas.geo.bbox import Box",
            "from atlas.geo.distance import haversine, nearest, path_length",
            "from atlas.geo.routing import cheapest",
        ),
        ("haversine", "boxes", "postcodes", "nearest", "routing", "paths"),
        (
            s.haversine_props,
            s.bbox_props,
            s.postcode_region,
            s.nearest_postcode,
            s.route_symmetric,
        ),
        (s.slow_route, s.slow_path_length),
        (s.degree_params,),
        13,
    ),
    Area(
        "calc",
        (
            "from atlas.calc.checksum import adler32, fletcher16, luhn_digit, luhn_valid",
            "from atlas.calc.expr import evaluate",
            "from atlas.calc.matrix import determinant, identity, multiply, transpose",
            "from atlas.calc.stats import histogram, mean, median, percentile",
        ),
        ("expressions", "statistics", "matrices", "checksums", "parser_errors"),
        (s.expr_eval, s.expr_error, s.stats_exact, s.matrix_props, s.checksums),
        (s.slow_matrix, s.slow_adler, s.slow_expressions),
        (s.expr_params,),
        14,
    ),
    Area(
        "storage",
        (
            "from atlas.data.words import WORDS",
            "from atlas.storage.index import Index",
            "from atlas.storage.records import Record, load, load_all, save",
        ),
        ("records", "folders", "index", "search"),
        (s.record_roundtrip, s.records_folder, s.index_search),
        (s.slow_records, s.slow_index),
        (s.record_params,),
        12,
    ),
    Area(
        "codec",
        (
            "from atlas.codec.basen import from_base, to_base",
            "from atlas.codec.rle import decode, encode",
        ),
        ("run_length", "bases", "round_trips"),
        (s.rle_exact, s.basen_builtins, s.basen_roundtrip),
        (s.slow_basen, s.slow_rle),
        (s.base_params,),
        10,
    ),
    Area(
        "dates",
        (
            "from atlas.dates import add_business_days, business_days_between, month_calendar,"
            " parse_iso",
        ),
        ("business_days", "calendars", "iso_dates"),
        (s.business_days, s.calendar_shape, s.iso_parse),
        (s.slow_business_days,),
        (s.weekday_params,),
        10,
    ),
    Area(
        "data",
        (
            "from atlas.data.cities import CITIES, largest",
            "from atlas.data.grid import TILES, neighbours",
            "from atlas.data.postcodes import POSTCODES",
            "from atlas.data.primes import LIMIT, PRIMES, factorize, is_prime, sieve",
            "from atlas.data.words import WORD_SET, WORDS",
        ),
        ("primes", "tables", "cities", "grid", "factorization"),
        (s.prime_check, s.table_sizes, s.city_lookup, s.grid_neighbours),
        (s.slow_sieve, s.slow_factorize),
        (s.prime_params,),
        12,
    ),
)

CONFTEST = '''\
"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from atlas.data.postcodes import POSTCODES


@pytest.fixture(scope="session")
def postcode_sample() -> list[str]:
    return sorted(POSTCODES)[::250]
'''

WORKDIR = """

@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder
"""

TESTCASE_SETUP = """\
    def setUp(self) -> None:
        self.tmp_path = Path(tempfile.mkdtemp(prefix="atlas-"))
        self.addCleanup(shutil.rmtree, self.tmp_path, ignore_errors=True)
"""

ANNOTATIONS = {"tmp_path": "Path", "workdir": "Path", "postcode_sample": "list[str]"}


class Namer:
    """Test names within one module, unique: ``test_<maker>``, then ``_2``, ``_3``…; slow
    makers' tests end in ``_at_scale``."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, maker: object) -> str:
        name = getattr(maker, "__name__", "case")
        base = f"test_{name[5:]}_at_scale" if name.startswith("slow_") else f"test_{name}"
        self.seen[base] = self.seen.get(base, 0) + 1
        count = self.seen[base]
        return base if count == 1 else f"{base}_{count}"


def _indent(lines: tuple[str, ...], depth: int) -> str:
    pad = "    " * depth
    return "".join(f"{pad}{line}\n" if line else "\n" for line in lines)


def _signature(fixtures: tuple[str, ...], self: bool = False) -> str:
    args = [f"{name}: {ANNOTATIONS[name]}" for name in fixtures]
    return ", ".join(["self", *args] if self else args)


def function(name: str, snippet: s.Snippet, workdir: bool) -> str:
    fixtures, body = snippet.fixtures, snippet.body
    if workdir and "tmp_path" in fixtures:
        fixtures = tuple("workdir" if f == "tmp_path" else f for f in fixtures)
        body = tuple(line.replace("tmp_path", "workdir") for line in body)
    return f"\n\ndef {name}({_signature(fixtures)}) -> None:\n" + _indent(body, 1)


def parametrized(name: str, params: s.Params) -> str:
    cases = "".join(f"        {value},\n" for value in params.values)
    return (
        f'\n\n@pytest.mark.parametrize(\n    "{params.names}",\n    [\n{cases}    ],\n)\n'
        f"def {name}({params.names}{''.join(', ' + f for f in params.fixtures)}) -> None:\n"
        + _indent(params.body, 1)
    )


def pytest_class(name: str, methods: list[tuple[str, s.Snippet]]) -> str:
    out = f"\n\nclass {name}:\n"
    for method, snippet in methods:
        out += f"    def {method}({_signature(snippet.fixtures, self=True)}) -> None:\n"
        out += _indent(snippet.body, 2) + "\n"
    return out.rstrip("\n") + "\n"


def testcase_class(name: str, methods: list[tuple[str, s.Snippet]]) -> str:
    out = f"\n\nclass {name}(unittest.TestCase):\n" + TESTCASE_SETUP
    for method, snippet in methods:
        prelude = ("tmp_path = self.tmp_path",) if "tmp_path" in snippet.fixtures else ()
        out += f"\n    def {method}(self) -> None:\n" + _indent(prelude + snippet.body, 2)
    return out


def _class_name(topic: str, kind: str) -> str:
    return "Test" + "".join(part.capitalize() for part in topic.split("_")) + kind


def module(rng: random.Random, area: Area, topic: str) -> str:
    """One test module of ``area`` about ``topic``."""
    namer = Namer()
    workdir = rng.random() < 0.3
    with_testcase = rng.random() < 0.5
    places = ["function", "class", *(["testcase"] if with_testcase else [])]
    slow: dict[str, list[tuple[str, s.Snippet]]] = {place: [] for place in places}
    for seconds in _durations(rng):
        maker = rng.choice(area.slow)
        slow[rng.choice(places)].append((namer(maker), maker(rng, seconds)))
    parts = [WORKDIR] if workdir else []
    for name, snippet in _fast(rng, area, namer, rng.randint(3, 6)) + slow["function"]:
        parts.append(function(name, snippet, workdir))
    for _ in range(rng.randint(1, 2)):
        params = rng.choice(area.params)
        parts.append(parametrized(namer(params), params(rng)))
    methods = _fast(rng, area, namer, rng.randint(3, 6)) + slow["class"]
    parts.append(pytest_class(_class_name(topic, ""), methods))
    if with_testcase:
        methods = _fast(rng, area, namer, rng.randint(3, 5)) + slow["testcase"]
        usable = [(m, sn) for m, sn in methods if set(sn.fixtures) <= {"tmp_path"}]
        parts.append(testcase_class(_class_name(topic, "Case"), usable))
    return _header(area, topic, testcase=with_testcase) + "".join(parts)


def _durations(rng: random.Random) -> list[float]:
    durations = [rng.uniform(0.25, 0.75) for _ in range(rng.randint(*SLOW_PER_MODULE))]
    durations += [rng.uniform(0.05, 0.15) for _ in range(rng.randint(*MEDIUM_PER_MODULE))]
    return durations


def _fast(rng: random.Random, area: Area, namer: Namer, count: int) -> list[tuple[str, s.Snippet]]:
    makers = [rng.choice(area.fast) for _ in range(count)]
    return [(namer(maker), maker(rng)) for maker in makers]


def _header(area: Area, topic: str, testcase: bool) -> str:
    lines = [f'"""Tests of atlas.{area.folder}: {topic.replace("_", " ")}."""', ""]
    lines += ["from __future__ import annotations", ""]
    stdlib = sorted([*STDLIB, *(("shutil", "tempfile", "unittest") if testcase else ())])
    lines += [f"import {name}" for name in stdlib]
    lines += ["from pathlib import Path", "", "import pytest", "", *area.imports]
    return "\n".join(lines) + "\n"


def modules(rng: random.Random) -> dict[str, str]:
    """Every bulk test module: path → source."""
    out = {}
    for area in AREAS:
        variants = ["", "_edge_cases", "_bulk", "_api", "_regressions", "_properties"]
        names = [f"{topic}{variant}" for variant in variants for topic in area.topics]
        for topic in names[: area.modules]:
            out[f"tests/{area.folder}/test_{topic}.py"] = module(rng, area, topic)
    return out


def conftest() -> str:
    return CONFTEST
