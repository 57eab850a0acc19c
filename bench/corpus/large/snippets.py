"""Test bodies for the bulk of the generated suite: isolated tests of ``atlas``'s plain libraries.

A maker draws its inputs from the generator's random source and returns a :class:`Snippet` (body
lines, the fixtures it requests). Expected values are computed here, at generation time, or the
test checks a property (a round trip, an invariant). Slow makers take a target duration and size
their work with a per-unit cost measured on a 2-core machine (``UNIT_SECONDS``).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass

VOCAB = (
    "alpha", "bridge", "cargo", "delta", "ember", "forest", "garden", "harbor", "island", "jungle",
    "kettle", "lemon", "meadow", "nickel", "orbit", "pepper", "quartz", "river", "saddle", "tiger",
    "umbrella", "velvet", "walnut", "yellow", "zephyr", "anchor", "basket", "candle", "dragon",
)  # fmt: skip


@dataclass(frozen=True)
class Snippet:
    body: tuple[str, ...]  #: the test's statements, unindented
    fixtures: tuple[str, ...] = ()  #: what it requests: tmp_path, postcode_sample


@dataclass(frozen=True)
class Params:
    names: str  #: the parametrize argument names, "a, b"
    values: tuple[str, ...]  #: each case's source
    body: tuple[str, ...]
    fixtures: tuple[str, ...] = ()


Maker = Callable[[random.Random], Snippet]
SlowMaker = Callable[[random.Random, float], Snippet]
ParamsMaker = Callable[[random.Random], Params]


def _phrase(rng: random.Random, count: int) -> tuple[str, str]:
    words = rng.sample(VOCAB, count)
    seps = [rng.choice([" ", ", ", " - ", "! ", " / ", "  "]) for _ in words[1:]]
    shown = [w.capitalize() if rng.random() < 0.4 else w for w in words]
    phrase = shown[0] + "".join(s + w for s, w in zip(seps, shown[1:], strict=True))
    return phrase, "-".join(words)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))


# -- text ----------------------------------------------------------------------------------------


def slug_phrase(rng: random.Random) -> Snippet:
    phrase, slug = _phrase(rng, rng.randint(2, 5))
    return Snippet((f"assert slugify({phrase!r}) == {slug!r}",))


def slug_idempotent(rng: random.Random) -> Snippet:
    phrase, _ = _phrase(rng, rng.randint(2, 4))
    return Snippet(
        (
            f"slug = slugify({phrase!r})",
            "assert slugify(slug) == slug",
            'assert identifier(slug) == slug.replace("-", "_")',
        )
    )


def tokens_sentence(rng: random.Random) -> Snippet:
    words = [rng.choice(VOCAB) for _ in range(rng.randint(4, 9))]
    shown = [w.upper() if rng.random() < 0.2 else w for w in words]
    number = str(rng.randint(1, 999))
    text = " ".join(shown[:2]) + f", {number} " + " ".join(shown[2:]) + "."
    expected = [*words[:2], number, *words[2:]]
    return Snippet((f"assert tokenize({text!r}) == {expected!r}",))


def ngram_count(rng: random.Random) -> Snippet:
    words, n = [rng.choice(VOCAB) for _ in range(rng.randint(5, 12))], rng.randint(1, 4)
    return Snippet(
        (
            f"tokens = tokenize({' '.join(words)!r})",
            f"assert len(ngrams(tokens, {n})) == {len(words) - n + 1}",
            f"assert ngrams(tokens, {n})[0] == tuple(tokens[:{n}])",
        )
    )


def wrap_width(rng: random.Random) -> Snippet:
    text, width = (
        " ".join(rng.choice(VOCAB) for _ in range(rng.randint(8, 30))),
        rng.randint(12, 40),
    )
    return Snippet(
        (
            f"lines = wrap({text!r}, {width})",
            f"assert all(len(line) <= {width} for line in lines)",
            f'assert " ".join(lines) == {text!r}',
        )
    )


def justify_width(rng: random.Random) -> Snippet:
    words = [rng.choice(VOCAB) for _ in range(rng.randint(2, 5))]
    width = len(" ".join(words)) + rng.randint(0, 12)
    return Snippet((f"assert len(justify({' '.join(words)!r}, {width})) == {width}",))


def stem_suffix(rng: random.Random) -> Snippet:
    word, suffix = _word(rng), rng.choice(["ness", "ment", "ing", "ly", "ed"])
    return Snippet((f"assert stem({word + suffix!r}) == {word!r}",))


def word_frequencies(rng: random.Random) -> Snippet:
    counts = {w: rng.randint(1, 6) for w in rng.sample(VOCAB, 3)}
    words = [w for w, n in counts.items() for _ in range(n)]
    rng.shuffle(words)
    return Snippet(
        (f"counts = dict(frequencies({' '.join(words)!r}))", f"assert counts == {counts!r}")
    )


def jaccard_bounds(rng: random.Random) -> Snippet:
    a, b = (" ".join(rng.sample(VOCAB, 5)) for _ in range(2))
    return Snippet(
        (
            f"assert jaccard({a!r}, {a!r}) == 1.0",
            f"assert 0.0 <= jaccard({a!r}, {b!r}) <= 1.0",
            f"assert jaccard({a!r}, {b!r}) == jaccard({b!r}, {a!r})",
        )
    )


def unique_slug_list(rng: random.Random) -> Snippet:
    word = rng.choice(VOCAB)
    texts = [word, word.upper(), f" {word}!"]
    expected = [word, f"{word}-2", f"{word}-3"]
    return Snippet((f"assert unique_slugs({texts!r}) == {expected!r}",))


def slow_tokenize(rng: random.Random, seconds: float) -> Snippet:
    repeat = max(1, round(seconds / UNIT_SECONDS["tokenize"]))
    return Snippet(
        (
            f"tokens = tokenize(' '.join(WORDS * {repeat}))",
            f"assert len(tokens) == len(WORDS) * {repeat}",
            "assert tokens[: len(WORDS)] == WORDS",
        )
    )


def slow_stems(rng: random.Random, seconds: float) -> Snippet:
    count = max(100, round(seconds / UNIT_SECONDS["stems"]))
    seed = rng.randint(0, 10**6)
    return Snippet(
        (
            f"rng = random.Random({seed})",
            f"words = [''.join(rng.choice('bcdfgklmnprst') + rng.choice('aeiou') for _ in range(3))"
            f" for _ in range({count})]",
            "assert all(stem(w + 'ness') == w for w in words)",
        )
    )


def slug_params(rng: random.Random) -> Params:
    cases = [_phrase(rng, rng.randint(2, 4)) for _ in range(rng.randint(4, 9))]
    return Params(
        "phrase, expected",
        tuple(f"({p!r}, {s!r})" for p, s in cases),
        ("assert slugify(phrase) == expected",),
    )


# -- formats -------------------------------------------------------------------------------------


def _field(rng: random.Random) -> str:
    word = rng.choice(VOCAB)
    return rng.choice(
        [word, f"{word}, {rng.choice(VOCAB)}", f'say "{word}"', str(rng.randint(0, 99))]
    )


def _rows(rng: random.Random, count: int) -> list[dict[str, str]]:
    header = rng.sample(["id", "name", "city", "note", "size", "kind"], 3)
    return [{h: _field(rng) for h in header} for _ in range(count)]


def csv_roundtrip(rng: random.Random) -> Snippet:
    return Snippet(
        (
            f"rows = {_rows(rng, rng.randint(2, 6))!r}",
            "assert csvish.parse(csvish.dump(rows)) == rows",
        )
    )


def csv_split(rng: random.Random) -> Snippet:
    fields = [_field(rng) for _ in range(rng.randint(2, 6))]
    return Snippet(
        (
            f"fields = {fields!r}",
            'line = ",".join(csvish.quote(f) for f in fields)',
            "assert csvish.split_line(line) == fields",
        )
    )


def _ini(rng: random.Random) -> dict[str, dict[str, str]]:
    names = rng.sample(["server", "client", "cache", "paths", "logging"], 2)
    return {n: {rng.choice(VOCAB): str(rng.randint(1, 9000)) for _ in range(3)} for n in names}


def ini_parse(rng: random.Random) -> Snippet:
    sections = _ini(rng)
    text = "".join(
        f"[{name}]\n" + "".join(f"{k} = {v}  # set by ops\n" for k, v in values.items())
        for name, values in sections.items()
    )
    name = next(iter(sections))
    key, value = next(iter(sections[name].items()))
    return Snippet(
        (
            f"sections = ini.parse({text!r})",
            f"assert ini.get_int(sections, {name!r}, {key!r}) == {value}",
            f"assert sorted(sections) == {sorted(['DEFAULT', *sections])!r}",
        )
    )


def ini_error(rng: random.Random) -> Snippet:
    line = rng.randint(2, 6)
    text = "[main]\n" + "".join(f"k{n} = {n}\n" for n in range(line - 2)) + "broken line\n"
    return Snippet(
        (f'with pytest.raises(ValueError, match="line {line}"):', f"    ini.parse({text!r})")
    )


def ini_roundtrip(rng: random.Random) -> Snippet:
    return Snippet(
        (
            f"sections = {_ini(rng)!r}",
            'assert ini.parse(ini.dump(sections)) == {"DEFAULT": {}, **sections}',
        )
    )


def jsonl_file(rng: random.Random) -> Snippet:
    items = [{"id": k, "word": rng.choice(VOCAB)} for k in range(rng.randint(3, 30))]
    return Snippet(
        (
            f"items = {items!r}",
            f'assert jsonl.write(tmp_path / "items.jsonl", items) == {len(items)}',
            'assert jsonl.read(tmp_path / "items.jsonl") == items',
        ),
        ("tmp_path",),
    )


def registry_parse(rng: random.Random) -> Snippet:
    rows = _rows(rng, 2)
    return Snippet((f"rows = {rows!r}", 'assert parse("csv", csvish.dump(rows)) == rows'))


def slow_csv(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["csv"]))
    return Snippet(
        (
            f"rows = [{{'id': str(k), 'note': f'item {{k}}, \"boxed\"'}} for k in range({count})]",
            "text = csvish.dump(rows)",
            "assert csvish.parse(text) == rows",
        )
    )


def slow_jsonl(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["jsonl"]))
    return Snippet(
        (
            f"items = [{{'id': k, 'tags': [str(k % 7), str(k % 11)]}} for k in range({count})]",
            'path = tmp_path / "bulk.jsonl"',
            "jsonl.write(path, items)",
            "assert jsonl.read(path) == items",
        ),
        ("tmp_path",),
    )


def csv_params(rng: random.Random) -> Params:
    cases = [[_field(rng) for _ in range(rng.randint(2, 4))] for _ in range(rng.randint(4, 8))]
    return Params(
        "fields",
        tuple(repr(c) for c in cases),
        ('assert csvish.split_line(",".join(csvish.quote(f) for f in fields)) == fields',),
    )


# -- geo -----------------------------------------------------------------------------------------


def _point(rng: random.Random) -> tuple[float, float]:
    return (round(rng.uniform(-60, 60), 3), round(rng.uniform(-170, 170), 3))


def haversine_props(rng: random.Random) -> Snippet:
    a, b = _point(rng), _point(rng)
    return Snippet(
        (
            f"assert haversine({a}, {a}) == 0.0",
            f"assert abs(haversine({a}, {b}) - haversine({b}, {a})) < 1e-9",
            f"assert haversine({a}, {b}) <= 20_016",
        )
    )


def bbox_props(rng: random.Random) -> Snippet:
    points = [_point(rng) for _ in range(rng.randint(3, 12))]
    return Snippet(
        (
            f"points = {points!r}",
            "box = Box.around(points)",
            "assert all(box.contains(p) for p in points)",
            "assert box.union(Box.around(points[:2])) == box",
            "assert box.intersects(box) and box.area() >= 0",
        )
    )


def postcode_region(rng: random.Random) -> Snippet:
    k = rng.randrange(52_000)
    code, region = f"{k % 97:02d}{k // 97:03d}", REGIONS[k % len(REGIONS)]
    return Snippet(
        (
            f"assert {code!r} in by_region({region!r})",
            f"lat, lon = location({code!r})",
            "assert 40 <= lat < 50 and -5 <= lon < 5",
        )
    )


def nearest_postcode(rng: random.Random) -> Snippet:
    index = rng.randrange(200)
    return Snippet(
        (
            f"code = postcode_sample[{index}]",
            "points = {c: location(c) for c in postcode_sample}",
            "assert haversine(location(nearest(location(code), points)), location(code)) == 0.0",
        ),
        ("postcode_sample",),
    )


def route_symmetric(rng: random.Random) -> Snippet:
    size = rng.randint(6, 14)
    a, b = (rng.randrange(size), rng.randrange(size)), (rng.randrange(size), rng.randrange(size))
    return Snippet(
        (
            f"assert cheapest({a}, {b}, {size}) == cheapest({b}, {a}, {size})",
            f"assert cheapest({a}, {b}, {size}) >= {abs(a[0] - b[0]) + abs(a[1] - b[1])}",
        )
    )


def slow_route(rng: random.Random, seconds: float) -> Snippet:
    size = min(220, max(10, round((seconds / UNIT_SECONDS["route"]) ** 0.5)))
    return Snippet(
        (f"assert cheapest((0, 0), ({size - 1}, {size - 1}), {size}) >= {2 * size - 2}",)
    )


def slow_path_length(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["haversine"]))
    return Snippet(
        (
            f"points = [(40 + k % 90 / 10, -5 + k % 70 / 10) for k in range({count})]",
            "assert path_length(points) >= haversine(points[0], points[-1]) - 1e-6",
        )
    )


def degree_params(rng: random.Random) -> Params:
    lats = sorted(rng.sample(range(-80, 80), rng.randint(4, 8)))
    return Params(
        "lat",
        tuple(map(str, lats)),
        ("assert abs(haversine((lat, 10.0), (lat + 1, 10.0)) - 111.195) < 0.01",),
    )


# -- calc ----------------------------------------------------------------------------------------


def _expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.3:
        return str(rng.randint(0, 50))
    left, right = _expression(rng, depth + 1), _expression(rng, depth + 1)
    text = f"{left} {rng.choice('+-*')} {right}"
    return f"({text})" if rng.random() < 0.5 else text


def expr_eval(rng: random.Random) -> Snippet:
    text = _expression(rng)
    return Snippet((f"assert evaluate({text!r}) == {float(eval(text))!r}",))


def expr_error(rng: random.Random) -> Snippet:
    bad = rng.choice(["2 +", "3 $ 4", "1 2", "7 # 1", "(1 + 2) 3"])
    return Snippet(("with pytest.raises((SyntaxError, IndexError)):", f"    evaluate({bad!r})"))


def stats_exact(rng: random.Random) -> Snippet:
    values = [rng.randint(-100, 100) for _ in range(rng.randint(3, 15))]
    return Snippet(
        (
            f"values = {values!r}",
            f"assert mean(values) == {sum(values) / len(values)!r}",
            f"assert median(values) == {float(statistics.median(values))!r}",
            "assert percentile(values, 0.0) == min(values)",
            "assert percentile(values, 1.0) == max(values)",
            f"assert sum(histogram(values, {rng.randint(2, 6)})) == len(values)",
        )
    )


def matrix_props(rng: random.Random) -> Snippet:
    n = rng.randint(2, 6)
    m = [[float(rng.randint(-9, 9)) for _ in range(n)] for _ in range(n)]
    diag = [rng.randint(1, 5) for _ in range(n)]
    product = 1
    for d in diag:
        product *= d
    return Snippet(
        (
            f"m = {m!r}",
            f"assert multiply(m, identity({n})) == m",
            "assert transpose(transpose(m)) == m",
            f"diagonal = [[{diag}[i] if i == j else 0.0 for j in range({n})] for i in range({n})]",
            f"assert determinant(diagonal) == {float(product)!r}",
        )
    )


def checksums(rng: random.Random) -> Snippet:
    number = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(8, 16)))
    data = bytes(rng.randrange(256) for _ in range(rng.randint(10, 200)))
    return Snippet(
        (
            f"assert luhn_valid({number!r} + str(luhn_digit({number!r})))",
            f"assert adler32({data!r}) == zlib.adler32({data!r})",
            f"assert 0 <= fletcher16({data!r}) < 65536",
        )
    )


def slow_matrix(rng: random.Random, seconds: float) -> Snippet:
    n = max(8, round((seconds / UNIT_SECONDS["matrix"]) ** (1 / 3)))
    return Snippet(
        (
            f"m = [[float((i * {n} + j) % 7) for j in range({n})] for i in range({n})]",
            f"assert multiply(m, identity({n})) == m",
        )
    )


def slow_adler(rng: random.Random, seconds: float) -> Snippet:
    size = max(100, round(seconds / UNIT_SECONDS["adler"]))
    return Snippet(
        (
            f"data = bytes(range(256)) * {size // 256 + 1}",
            "assert adler32(data) == zlib.adler32(data)",
        )
    )


def slow_expressions(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["expr"]))
    return Snippet(
        (
            f"for k in range({count}):",
            "    text = f'({k} + 3) * {k % 17} - ({k} * 2 - 1)'",
            "    assert evaluate(text) == float(eval(text))",
        )
    )


def expr_params(rng: random.Random) -> Params:
    cases = [_expression(rng) for _ in range(rng.randint(4, 10))]
    return Params(
        "text, expected",
        tuple(f"({t!r}, {float(eval(t))!r})" for t in cases),
        ("assert evaluate(text) == expected",),
    )


# -- storage -------------------------------------------------------------------------------------


def _record(rng: random.Random, key: str) -> str:
    title = " ".join(rng.sample(VOCAB, 3))
    tags = tuple(rng.sample(VOCAB, 2))
    return f"Record({key!r}, {title!r}, {tags!r}, {rng.randint(0, 100) / 10})"


def record_roundtrip(rng: random.Random) -> Snippet:
    return Snippet(
        (
            f"record = {_record(rng, f'r{rng.randint(1, 999)}')}",
            "assert load(save(tmp_path, record)) == record",
        ),
        ("tmp_path",),
    )


def records_folder(rng: random.Random) -> Snippet:
    keys = sorted(f"k{n:03d}" for n in rng.sample(range(1000), rng.randint(2, 8)))
    records = ", ".join(_record(rng, k) for k in keys)
    return Snippet(
        (
            f"records = [{records}]",
            "for record in records:",
            "    save(tmp_path, record)",
            "assert load_all(tmp_path) == records",
        ),
        ("tmp_path",),
    )


def index_search(rng: random.Random) -> Snippet:
    keys = [f"doc{n}" for n in range(rng.randint(3, 8))]
    records = ", ".join(_record(rng, k) for k in keys)
    word = rng.choice(VOCAB)
    return Snippet(
        (
            "index = Index()",
            f"for record in [{records}]:",
            "    index.add(record)",
            f"found = index.search({word!r})",
            f"assert all({word!r} in index.records[k].title.split() or {word!r} in "
            "index.records[k].tags for k in found)",
            "assert index.search('') == []",
        )
    )


def slow_records(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["records"]))
    return Snippet(
        (
            f"records = [Record(f'k{{n:05d}}', f'item {{n}} of a batch', ('bulk',), n / 10) "
            f"for n in range({count})]",
            "for record in records:",
            "    save(tmp_path, record)",
            "assert load_all(tmp_path) == records",
        ),
        ("tmp_path",),
    )


def slow_index(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["index"]))
    return Snippet(
        (
            "index = Index()",
            f"for n in range({count}):",
            "    words = f'{WORDS[n % len(WORDS)]} {WORDS[(n + 1) % len(WORDS)]}'",
            "    index.add(Record(f'k{n}', words, ('bulk',), n % 10))",
            f"assert len(index.search('bulk')) == {count}",
        )
    )


def record_params(rng: random.Random) -> Params:
    cases = [_record(rng, f"p{n}") for n in range(rng.randint(3, 6))]
    return Params(
        "record", tuple(cases), ("assert load(save(tmp_path, record)) == record",), ("tmp_path",)
    )


# -- codec ---------------------------------------------------------------------------------------


def rle_exact(rng: random.Random) -> Snippet:
    runs = [(rng.choice("abcxyz"), rng.randint(1, 9)) for _ in range(rng.randint(2, 8))]
    merged: list[tuple[str, int]] = []
    for char, count in runs:
        if merged and merged[-1][0] == char:
            merged[-1] = (char, merged[-1][1] + count)
        else:
            merged.append((char, count))
    text = "".join(c * n for c, n in runs)
    return Snippet(
        (f"assert encode({text!r}) == {merged!r}", f"assert decode(encode({text!r})) == {text!r}")
    )


def basen_builtins(rng: random.Random) -> Snippet:
    n = rng.randint(0, 10**9)
    return Snippet(
        (
            f"assert to_base({n}, 16) == format({n}, 'x')",
            f"assert to_base({n}, 2) == bin({n})[2:]",
            *basen_roundtrip(rng).body,
        )
    )


def basen_roundtrip(rng: random.Random) -> Snippet:
    base, n = rng.randint(2, 36), rng.randint(-(10**12), 10**12)
    return Snippet((f"assert from_base(to_base({n}, {base}), {base}) == {n}",))


def slow_basen(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["basen"]))
    return Snippet(
        (
            f"for n in range(0, {count} * 7919, 7919):",
            "    for base in (2, 7, 16, 36):",
            "        assert from_base(to_base(n, base), base) == n",
        )
    )


def slow_rle(rng: random.Random, seconds: float) -> Snippet:
    size = max(10, round(seconds / UNIT_SECONDS["rle"]))
    return Snippet(
        (
            f"text = ''.join(c * (k % 5 + 1) for k, c in enumerate('abc' * {size}))",
            "assert decode(encode(text)) == text",
        )
    )


def base_params(rng: random.Random) -> Params:
    cases = [(rng.randint(0, 10**6), rng.randint(2, 36)) for _ in range(rng.randint(4, 10))]
    return Params(
        "n, base",
        tuple(f"({n}, {b})" for n, b in cases),
        ("assert from_base(to_base(n, base), base) == n",),
    )


# -- calendar ------------------------------------------------------------------------------------


def _day(rng: random.Random) -> str:
    return f"dt.date({rng.randint(1990, 2030)}, {rng.randint(1, 12)}, {rng.randint(1, 28)})"


def business_days(rng: random.Random) -> Snippet:
    count = rng.randint(1, 40)
    return Snippet(
        (
            f"start = {_day(rng)}",
            "while start.weekday() >= 5:",
            "    start += dt.timedelta(days=1)",
            f"end = add_business_days(start, {count})",
            "assert end.weekday() < 5",
            f"assert business_days_between(start, end) == {count}",
        )
    )


def calendar_shape(rng: random.Random) -> Snippet:
    year, month = rng.randint(1990, 2030), rng.randint(1, 12)
    return Snippet(
        (
            f"weeks = month_calendar({year}, {month})",
            "assert all(len(week) == 7 for week in weeks)",
            f"assert max(max(week) for week in weeks) == calendar.monthrange({year}, {month})[1]",
        )
    )


def iso_parse(rng: random.Random) -> Snippet:
    day = _day(rng)
    return Snippet((f"assert parse_iso({day}.isoformat()) == {day}",))


def slow_business_days(rng: random.Random, seconds: float) -> Snippet:
    days = max(10, round(seconds / UNIT_SECONDS["days"]))
    return Snippet(
        (
            "start = dt.date(2000, 1, 3)",
            f"total = business_days_between(start, start + dt.timedelta(days={days}))",
            f"assert total == {days // 7 * 5 + min(days % 7, 5)}",
        )
    )


def weekday_params(rng: random.Random) -> Params:
    cases = [(_day(rng), rng.randint(-20, 20)) for _ in range(rng.randint(4, 8))]
    return Params(
        "start, count",
        tuple(f"({d}, {c})" for d, c in cases),
        ("assert add_business_days(start, count).weekday() < 5 or count == 0",),
    )


# -- data tables ---------------------------------------------------------------------------------


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % p for p in range(2, int(n**0.5) + 1))


def prime_check(rng: random.Random) -> Snippet:
    n = rng.randint(2, 2_000_000)
    return Snippet(
        (
            f"assert is_prime({n}) is {_is_prime(n)}",
            f"assert math.prod(factorize({n})) == {n}",
            f"assert all(is_prime(p) for p in factorize({n}))",
        )
    )


def table_sizes(rng: random.Random) -> Snippet:
    return Snippet(
        (
            "assert len(POSTCODES) == 52_000",
            "assert len(TILES) == 220 * 220",
            f"assert WORDS[{rng.randrange(36_000)}] in WORD_SET",
            "assert PRIMES[:5] == [2, 3, 5, 7, 11]",
        )
    )


def city_lookup(rng: random.Random) -> Snippet:
    count = rng.randint(3, 20)
    return Snippet(
        (
            f"top = largest({count})",
            f"assert len(top) == {count}",
            "sizes = [CITIES[c][0] for c in top]",
            "assert sizes == sorted(sizes, reverse=True)",
        )
    )


def grid_neighbours(rng: random.Random) -> Snippet:
    x, y = rng.randrange(220), rng.randrange(220)
    edge = (x in (0, 219)) + (y in (0, 219))
    return Snippet(
        (f"assert len(neighbours({x}, {y})) == {4 - edge}", f"assert 0 <= TILES[({x}, {y})] < 97")
    )


def slow_sieve(rng: random.Random, seconds: float) -> Snippet:
    limit = max(1000, round(seconds / UNIT_SECONDS["sieve"]))
    return Snippet(
        (
            f"found = [p for p in sieve({limit}) if p < LIMIT]",
            f"assert found == [p for p in PRIMES if p < {limit}]",
        )
    )


def slow_factorize(rng: random.Random, seconds: float) -> Snippet:
    count = max(10, round(seconds / UNIT_SECONDS["factorize"]))
    start = rng.randint(10**6, 10**7)
    return Snippet(
        (
            f"for n in range({start}, {start} + {count}):",
            "    assert math.prod(factorize(n)) == n",
        )
    )


def prime_params(rng: random.Random) -> Params:
    cases = [rng.randint(2, 100_000) for _ in range(rng.randint(5, 10))]
    return Params(
        "n, expected",
        tuple(f"({n}, {_is_prime(n)})" for n in cases),
        ("assert is_prime(n) is expected",),
    )


#: Seconds per unit of each slow maker's work, measured on a 2-core machine.
UNIT_SECONDS: dict[str, float] = {
    "tokenize": 0.026,
    "stems": 8.4e-06,
    "csv": 1.4e-05,
    "jsonl": 1.6e-05,
    "route": 6.6e-06,
    "haversine": 2.4e-06,
    "matrix": 9.7e-08,
    "adler": 1.5e-07,
    "expr": 5.3e-05,
    "records": 0.00097,
    "index": 1.6e-05,
    "basen": 2.8e-05,
    "rle": 2.9e-06,
    "days": 1.1e-06,
    "sieve": 8.1e-08,
    "factorize": 7.3e-06,
}

REGIONS = ("north", "south", "east", "west", "central", "coast", "hills", "valley")
