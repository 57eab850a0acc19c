"""What the footprint runs recorded, and what follows from it: ranking and conflict candidates.

Pure: takes the campaign's records (and the text of a test), never runs anything.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from auditor.model import RunOutcome

#: How a resource was used (see :mod:`auditor.plugin.footprint`); a directory created by two
#: tests (``os.makedirs(..., exist_ok=True)``) is no conflict.
_HARMLESS = frozenset({"d"})
_CONFLICT_TYPES = ("file", "sqlite", "port")
RARE = 3  #: a mark (a value under a key) that at most this many tests leave is rare
CHURN_FLOOR = 8  #: a key is a counter (:func:`churn`) only when more tests than this move it
_ALL_PAIRS = 6  #: up to this many tests share a resource: co-run every pair; more: neighbours
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CWD_SIGNS = ("FileNotFoundError", "No such file", "NotADirectoryError", "cwd", "chdir")
_PATH_SIGNS = ("ModuleNotFoundError", "ImportError", "No module named")


@dataclass(frozen=True)
class Footprints:
    """Per test, the union over every run that recorded a footprint."""

    state: dict[str, frozenset[str]] = field(default_factory=dict)
    resources: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    #: a state name → the other names of the same state (one object through several modules)
    aliases: dict[str, frozenset[str]] = field(default_factory=dict)
    #: per test, its state as marks: ``STATE#ITEM`` per item of how it changed it (see
    #: :mod:`auditor.plugin.effects`), or ``STATE`` alone when the change has no items
    marks: dict[str, frozenset[str]] = field(default_factory=dict)
    #: states with a key most tests move to a value of their own (:func:`churn`): a counter,
    #: not a test's state
    churn: frozenset[str] = frozenset()

    def aliases_of(self, names: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The aliases of those of ``names`` that have some, in their order (for a finding)."""
        return tuple(
            (name, tuple(sorted(self.aliases[name])))
            for name in dict.fromkeys(names)
            if self.aliases.get(name)
        )

    def shared(self, a: str, b: str) -> tuple[str, ...]:
        """Resources both tests use in a way that conflicts."""
        mine, theirs = self.resources.get(a, {}), self.resources.get(b, {})
        return tuple(
            name
            for name in sorted(mine.keys() & theirs.keys())
            if name.split(":", 1)[0] in _CONFLICT_TYPES
            and not mine[name] | theirs[name] <= _HARMLESS
        )


def footprints(outcomes: Iterable[RunOutcome]) -> Footprints:
    state: dict[str, set[str]] = {}
    marks: dict[str, set[str]] = {}
    resources: dict[str, dict[str, set[str]]] = {}
    aliases: dict[str, set[str]] = {}
    ran: set[str] = set()
    for outcome in outcomes:
        for record in outcome.result.tests:
            ran.add(record.nodeid)
            if record.state:
                state.setdefault(record.nodeid, set()).update(record.state)
                effects = dict(record.effects)
                marks.setdefault(record.nodeid, set()).update(
                    f"{name}#{item}" if item else name
                    for name in record.state
                    for item in effects.get(name) or ("",)
                )
            for name, others in record.aliases:
                aliases.setdefault(name, set()).update(others)
            for name, uses in record.resources:
                resources.setdefault(record.nodeid, {}).setdefault(name, set()).update(uses)
    found = {test: frozenset(found) for test, found in marks.items()}
    return Footprints(
        {test: frozenset(names) for test, names in state.items()},
        {
            test: {name: frozenset(uses) for name, uses in used.items()}
            for test, used in resources.items()
        },
        {name: frozenset(others) for name, others in aliases.items()},
        found,
        frozenset(state for state, _ in churn(found, len(ran))),
    )


def slot(mark: str) -> tuple[str, str | None]:
    """Where a mark writes: its state, and the key within it (None: the whole state). Two marks
    in one slot overwrite each other: their writers cannot share an order."""
    state, _, item = mark.partition("#")
    if not item:
        return state, None
    if item[0] in "+-" and len(item) > 1:  # a list's or set's item
        return state, item[1:]
    if item in ("-",) or item[0] == "=":  # the binding itself
        return state, ""
    return state, item.rstrip("-").split("=", 1)[0]  # a dict's key


def removes(mark: str) -> bool:
    """Whether a mark removes something (a key, an item, the binding)."""
    item = mark.partition("#")[2]
    return bool(item) and (item.endswith("-") or item.startswith("-"))


@dataclass(frozen=True)
class Conflict:
    """Two tests that use the same resource: a conflict if they ever run at the same time."""

    tests: tuple[str, str]
    resources: tuple[str, ...]


def conflicts(prints: Footprints, order: Sequence[str]) -> list[Conflict]:
    """Pairs of tests sharing a file, SQLite database or port, in the selection's order.

    Where more than a few tests share one resource, only neighbours (in ``order``) are paired:
    a full pairing would cost quadratic co-runs for what one or two of them confirm.
    """
    position = {test: i for i, test in enumerate(order)}
    sharers: dict[str, list[str]] = {}
    for test, used in prints.resources.items():
        for name in used:
            sharers.setdefault(name, []).append(test)
    pairs: dict[tuple[str, str], None] = {}
    for tests in sharers.values():
        tests.sort(key=lambda t: position.get(t, len(position)))
        together = combinations(tests, 2) if len(tests) <= _ALL_PAIRS else pairwise(tests)
        pairs.update(dict.fromkeys(together))
    found = [Conflict(pair, prints.shared(*pair)) for pair in pairs]
    return [c for c in found if c.resources]


def rank_by_relevance(candidates: Sequence[str], prints: Footprints, context: str) -> list[str]:
    """Candidates that left state changed, best guess first: the most state names that the
    ``context`` (the test's code and failure) mentions, then the nearest to its end."""
    return [test for _, test in _relevance(candidates, prints, context)]


def mentioned(candidates: Sequence[str], prints: Footprints, context: str) -> list[str]:
    """The candidates whose state the ``context`` mentions, best first."""
    return [test for score, test in _relevance(candidates, prints, context) if score]


def _relevance(
    candidates: Sequence[str], prints: Footprints, context: str
) -> list[tuple[int, str]]:
    words = _words(context)
    scored = []
    for position, test in enumerate(candidates):
        names = prints.state.get(test)
        if names:
            score = sum(_mentions(name, words, context) for name in names)
            scored.append((score, position, test))
    return [(score, test) for score, _, test in sorted(scored, reverse=True)]


def rank_by_rarity(candidates: Sequence[str], prints: Footprints) -> list[str]:
    """Candidates that left a value few tests leave (an override among the defaults hundreds of
    tests leave in a cache), rarest first: on a large suite the best guess for a victim that
    nothing in its failure names."""
    counts = Counter(mark for marks in prints.marks.values() for mark in marks if "#" in mark)
    scored = []
    for position, test in enumerate(candidates):
        seen = [counts[mark] for mark in prints.marks.get(test, ()) if "#" in mark]
        if seen and min(seen) <= RARE:
            scored.append((min(seen), position, test))
    return [test for *_, test in sorted(scored)]


def unusual_slots(prints: Footprints) -> dict[str, frozenset[tuple[str, str | None]]]:
    """Per test, the keys under which it left a value that is not the one most tests leave
    there (an override, not a cache's default)."""
    counts = Counter(mark for marks in prints.marks.values() for mark in marks if "#" in mark)
    usual: dict[tuple[str, str | None], int] = {}
    for mark, count in counts.items():
        usual[slot(mark)] = max(usual.get(slot(mark), 0), count)
    found = {
        test: frozenset(slot(m) for m in marks if "#" in m and counts[m] < usual[slot(m)])
        for test, marks in prints.marks.items()
    }
    return {test: slots for test, slots in found.items() if slots}


def churn(marks: Mapping[str, Iterable[str]], tests: int) -> frozenset[tuple[str, str | None]]:
    """Slots (a state's key) that more than half of ``tests`` (at least ``CHURN_FLOOR``) leave
    changed, each to a value of its own (a counter or a clock that background threads move on
    during every test): such a slot links any two tests, and so none. A registry each test adds
    its own key to is not one: each key has one writer. ``marks``: per test, as
    :attr:`Footprints.marks`."""
    writers: dict[tuple[str, str | None], int] = {}
    repeated: set[tuple[str, str | None]] = set()
    for mark, count in Counter(m for found in marks.values() for m in found if "#" in m).items():
        where = slot(mark)
        writers[where] = writers.get(where, 0) + count
        if count > 1:
            repeated.add(where)
    most = max(CHURN_FLOOR, tests / 2)
    return frozenset(
        where for where, count in writers.items() if count > most and where not in repeated
    )


def rank_by_state(candidates: Sequence[str], prints: Footprints, state: Iterable[str]) -> list[str]:
    """Candidates that changed the same state (a cleaner resets what the polluter set)."""
    wanted = set(state)
    scored = [
        (len(prints.state.get(test, frozenset()) & wanted), -position, test)
        for position, test in enumerate(candidates)
    ]
    return [test for score, _, test in sorted(scored, reverse=True) if score]


def rank_by_resources(test: str, candidates: Sequence[str], prints: Footprints) -> list[str]:
    """Candidates that share a resource with ``test``."""
    return [c for c in candidates if prints.shared(test, c)]


def context_of(source: str, function: str, reason: str | None) -> str:
    """The words that say what a test depends on: its function's code without comments (they
    may name the answer, which would make a guess look better than it is), and its failure."""
    text = source
    try:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
                text = ast.get_source_segment(source, node) or source
                break
    except SyntaxError:
        pass
    return f"{_without_comments(text)}\n{reason or ''}"


def _without_comments(text: str) -> str:
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return " ".join(t.string for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text


def _mentions(name: str, words: set[str], context: str) -> int:
    kind, _, what = name.partition(":")
    if kind == "cwd":
        return 2 * any(sign in context for sign in _CWD_SIGNS)
    if what == "sys.path":
        return 2 * any(sign in context for sign in _PATH_SIGNS)
    if kind == "global":
        what = what.rsplit(".", 1)[-1] if "." in what else what  # the name, not its module
    return len(_words(what) & words)


def _words(text: str) -> set[str]:
    """Lower-case word stems: ``DISCOUNT_RATE`` → {discount, rate}, ``warehouses`` → warehouse."""
    found = set()
    for word in _WORD.findall(text):
        word = word.lower()
        if len(word) >= 3 and word not in _COMMON:
            found.add(word[:-1] if word.endswith("s") and len(word) > 3 else word)
    return found


_COMMON = frozenset(
    {"test", "tests", "assert", "def", "none", "true", "false", "return", "self", "import", "from"}
)
