"""Locating causes on tables: a fake lab answers each order from a rule; no subprocess."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from auditor.findings import Finding, SearchCost
from auditor.locate import cause
from auditor.locate import footprints as fp
from auditor.model import Observation, RunOutcome, RunPlan, RunResult, TestRecord
from auditor.report import audit as audit_report

Rule = Callable[[tuple[str, ...]], Sequence[str]]  # an order → the target's outcomes


def command(plan: RunPlan) -> str:
    return " ".join(["pytest", *plan.ids])


class FakeLab:
    def __init__(
        self,
        rule: Rule = lambda ids: ["passed"],
        corun_fails: Sequence[frozenset[str]] = (),
        corun_fails_again: Sequence[frozenset[str]] | None = None,
        staggered_fails: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.rule = rule
        self.staggers = bool(staggered_fails)
        self.staggered_fails = set(staggered_fails)  #: (first, second): second fails after first
        self.corun_fails = set(corun_fails)
        again = corun_fails if corun_fails_again is None else corun_fails_again
        self.corun_fails_again = set(again)
        self.orders: list[tuple[str, ...]] = []
        self.coruns: list[tuple[str, ...]] = []

    def order(self, ids: tuple[str, ...], target: str) -> tuple[Observation, ...]:
        self.orders.append(ids)
        return tuple(Observation(o, None, i > 0) for i, o in enumerate(self.rule(ids)))  # type: ignore[arg-type]

    def corun(self, a: str, b: str, again: bool = False, staggered: bool = False) -> RunOutcome:
        self.coruns.append((a, b, *(["again"] if again else []), *(["later"] if staggered else [])))
        if staggered:
            fails = (a, b) in self.staggered_fails
        else:
            fails = frozenset((a, b)) in (self.corun_fails_again if again else self.corun_fails)
        records = tuple(
            TestRecord(t, "failed" if fails and t == b else "passed", 0.3, w, 0.0, 0.3, None)
            for t, w in ((a, "c0.0"), (b, "c0.1"))
        )
        result = RunResult(0, 0.3, 0.1, (a, b), (), records, ())
        plan = RunPlan("corun", workers=2, ids=(a, b), stagger_s=0.2 if staggered else 0.0)
        return RunOutcome(plan, result)

    def context(self, test: str, reason: str | None) -> str:
        return reason or ""


def victim(sequence: tuple[str, ...]) -> Finding:
    return Finding("order-dependent", sequence[-1], "pytest …", sequence=sequence, reason="boom")


PRINTS = fp.Footprints(
    state={
        "p": frozenset({"env:APP_MODE"}),
        "c": frozenset({"env:APP_MODE"}),
        "x": frozenset({"global:m.X"}),
    },
    resources={
        "w1": {"file:out/r.json": frozenset("w"), "file:out": frozenset("d")},
        "w2": {"file:out/r.json": frozenset("w"), "file:out": frozenset("d")},
        "d1": {"file:out": frozenset("d")},
        "l1": {"port:8000": frozenset("b")},
        "l2": {"port:8000": frozenset("b")},
    },
)


def test_a_rare_value_is_guessed_first_and_one_cleaner_of_many_is_enough() -> None:
    # A cache: 40 tests leave its default, the polluter an override; 2 of the fillers clear it.
    cache = "global:app.manager._cache"
    fillers = [f"f{i:02}" for i in range(40)]
    prints = fp.Footprints(
        state={t: frozenset({cache}) for t in [*fillers, "p"]},
        marks={**{t: frozenset({f"{cache}#k=usd"}) for t in fillers}, "p": {f"{cache}#k=eur"}},  # type: ignore[dict-item]
    )
    cleaners = {"f05", "f30"}

    def rule(ids: tuple[str, ...]) -> list[str]:
        after = ids[ids.index("p") + 1 :] if "p" in ids else ()
        return ["failed"] * 3 if "p" in ids and not cleaners & set(after) else ["passed"]

    lab = FakeLab(rule)
    order = ("f00", "f01", *fillers[2:20], "p", *fillers[20:], "v")
    found = cause.locate_victim(victim(order), [*order], prints, lab, command)
    assert found.polluters == ("p",)
    assert lab.orders[0] == ("p", "v")  # the rare value, guessed first: no bisection
    assert len(found.cleaners) == 1 and set(found.cleaners) <= cleaners  # the first one only


def test_a_second_polluter_is_looked_for_among_the_other_overriders_only() -> None:
    cache = "global:app.manager._cache"
    fillers = [f"f{i:02}" for i in range(40)]  # the default under the same key
    marks = {t: frozenset({f"{cache}#k=usd"}) for t in fillers}
    marks |= {"p1": frozenset({f"{cache}#k=eur"}), "p2": frozenset({f"{cache}#k=chf"})}
    prints = fp.Footprints(state={t: frozenset({cache}) for t in marks}, marks=marks)

    def rule(ids: tuple[str, ...]) -> list[str]:
        return ["failed"] * 3 if {"p1", "p2"} & set(ids[:-1]) else ["passed"]

    lab = FakeLab(rule)
    order = ("f00", "p1", *fillers[1:30], "p2", *fillers[30:], "v")
    found = cause.locate_victim(victim(order), [*order], prints, lab, command)
    assert found.polluters == ("p1", "p2")
    # The rare value guessed first (and asked once more); the rest asked: the other overrider,
    # not the 40 fillers.
    assert lab.orders[:3] == [("p1", "v"), ("p1", "v"), ("p2", "v")]


def test_a_second_polluter_through_other_state_is_found_in_a_short_order() -> None:
    def rule(ids: tuple[str, ...]) -> list[str]:
        return ["failed"] * 3 if {"p", "x"} & set(ids[:-1]) else ["passed"]

    suspect = Finding(
        "order-dependent", "v", "…", sequence=("a", "p", "b", "x", "v"), reason="mode != 'prod'"
    )
    found = cause.locate_victim(suspect, ["a", "p", "b", "x", "v"], PRINTS, FakeLab(rule), command)
    assert found.polluters == ("p", "x")  # APP_MODE, and m.X, which the failure never names
    assert found.state == ("env:APP_MODE", "global:m.X")


def test_polluter_state_cleaner_and_a_short_reproduce_command() -> None:
    def rule(ids: tuple[str, ...]) -> list[str]:
        polluted = "p" in ids and ("c" not in ids or ids.index("c") < ids.index("p"))
        return ["failed"] * 3 if polluted else ["passed"]

    lab = FakeLab(rule)
    suspect = Finding(
        "order-dependent", "v", "…", sequence=("a", "p", "b", "x", "v"), reason="mode != 'prod'"
    )
    found = cause.locate_victim(suspect, ["a", "p", "b", "x", "v", "c"], PRINTS, lab, command)
    assert (found.polluters, found.state, found.cleaners) == (("p",), ("env:APP_MODE",), ("c",))
    assert found.reproduce == "pytest p v"
    assert [(s.looked_for, s.runs) for s in found.searches] == [("polluters", 3), ("cleaners", 2)]
    # The guess (its state, APP_MODE, shares a word with the failure), asked once more; then the
    # rest, short, asked whole (another polluter may act through other state). The cleaners:
    # among the tests that change APP_MODE, each found one asked once more.
    assert lab.orders == [
        ("p", "v"),
        ("p", "v"),
        ("a", "b", "x", "v"),
        ("p", "c", "v"),
        ("p", "c", "v"),
    ]


def test_what_one_search_found_is_tried_first_by_the_next() -> None:
    # p2 pollutes every victim; the footprint saw nothing, so nothing ranks it first.
    lab = FakeLab(lambda ids: ["failed"] * 3 if "p2" in ids[:-1] else ["passed"])
    sequence = (*(f"t{i}" for i in range(16)), "p2")
    first = cause.locate_victim(victim((*sequence, "v1")), [], fp.Footprints(), lab, command)
    assert first.polluters == ("p2",)
    bisected = len(lab.orders)
    learnt = cause.Learnt().after(first)
    lab.orders.clear()
    second = cause.locate_victim(
        victim((*sequence, "v2")), [], fp.Footprints(), lab, command, learnt
    )
    assert second.polluters == ("p2",)
    assert lab.orders[0] == ("p2", "v2") and len(lab.orders) < bisected


def test_polluters_found_for_other_victims_do_not_crowd_out_the_right_guess() -> None:
    # A long prefix, five polluters of other victims found before, and this victim's own
    # polluter, the only test that left its rare value: tried before any bisection.
    others = tuple(f"o{i}" for i in range(5))
    sequence = (*(f"t{i}" for i in range(200)), *others, "p")
    rare = {"p": frozenset({"global:m.CACHE#01=02"})}
    marks = {f"t{i}": frozenset({"global:m.CACHE#01=00"}) for i in range(200)} | rare
    prints = fp.Footprints(state={t: frozenset({"global:m.CACHE"}) for t in marks}, marks=marks)
    learnt = cause.Learnt()
    for polluter in others:
        learnt = learnt.after(Finding("order-dependent", "x", "", polluters=(polluter,)))
    lab = FakeLab(lambda ids: ["failed"] * 3 if "p" in ids[:-1] else ["passed"])
    found = cause.locate_victim(victim((*sequence, "v")), [], prints, lab, command, learnt)
    assert found.polluters == ("p",)
    guessed = [ids for ids in lab.orders if len(ids) == 2]
    assert guessed[: len(others) + 1] == [(t, "v") for t in (*others, "p")]
    assert all(len(ids) <= 2 or ids == (*sequence, "v") for ids in lab.orders)  # no bisection


def test_learnt_counts_what_was_found_most_first() -> None:
    learnt = cause.Learnt()
    for polluters in [("a",), ("b",), ("b", "c")]:
        learnt = learnt.after(Finding("order-dependent", "v", "", polluters=polluters))
    assert learnt.polluters == (("b", 2), ("a", 1), ("c", 1))


def test_a_polluter_without_a_footprint_makes_the_search_ask_the_whole_rest() -> None:
    lab = FakeLab(lambda ids: ["failed"] * 3 if {"a", "b"} & set(ids) else ["passed"])
    sequence = ("a", "b", "x", "v")
    found = cause.locate_victim(victim(sequence), list(sequence), PRINTS, lab, command)
    assert found.polluters == ("a", "b")
    assert ("b", "x", "v") in lab.orders  # after a, whose state no footprint saw: all the rest


def test_a_victim_whose_orders_give_mixed_outcomes_is_non_deterministic() -> None:
    lab = FakeLab(lambda ids: ["failed", "passed"])
    found = cause.locate_victim(victim(("a", "p", "v")), ["a", "p", "v"], PRINTS, lab, command)
    assert found.kind == "non-deterministic" and found.polluters == ()
    assert "both fail and pass" in (found.note or "")


def test_a_victim_whose_failing_order_passes_when_replayed_is_non_deterministic() -> None:
    # e.g. a test that fails one run in four, whose reruns happened to fail: the order's replay
    # passing says the order is not what makes it fail
    found = cause.locate_victim(victim(("a", "v")), ["a", "v"], PRINTS, FakeLab(), command)
    assert found.kind == "non-deterministic" and found.polluters == ()
    assert "replayed, passed" in (found.note or "")
    assert found.searches[0].runs == 1


def test_state_setters_of_a_brittle_test() -> None:
    lab = FakeLab(lambda ids: ["passed"] * 3 if "x" in ids else ["failed"])
    brittle = Finding("brittle", "t", "pytest t", reason="KeyError")
    found = cause.locate_brittle(brittle, ("a", "x", "b", "t"), PRINTS, lab)
    assert (found.state_setters, found.state) == (("x",), ("global:m.X",))


def test_a_brittle_test_no_order_makes_pass_is_non_deterministic() -> None:
    # It failed alone three times by chance; the order it passed in, replayed, fails it too.
    lab = FakeLab(lambda ids: ["failed"])
    brittle = Finding("brittle", "t", "pytest t", reason="None == 12")
    found = cause.locate_brittle(brittle, ("a", "x", "b", "t"), PRINTS, lab)
    assert (found.kind, found.state_setters) == ("non-deterministic", ())
    assert found.note == "its passing order, replayed, failed it: no test makes it pass"
    # The same order both passing and failing it: noise, not a state-setter.
    noisy = FakeLab(lambda ids: ["passed", "failed"])
    found = cause.locate_brittle(brittle, ("a", "x", "b", "t"), PRINTS, noisy)
    assert found.kind == "non-deterministic" and "both pass and fail" in (found.note or "")


def test_a_co_runner_sharing_a_resource_is_tried_first() -> None:
    lab = FakeLab(corun_fails=[frozenset({"w1", "w2"})])
    suspect = Finding("shared-resource", "w1", "…", tests=("w1", "a", "b", "w2"))
    found = cause.locate_corunner(suspect, PRINTS, lab, command)
    assert (found.kind, found.tests, found.resources) == (
        "shared-resource",
        ("w1", "w2"),
        ("file:out/r.json",),
    )
    assert lab.coruns == [("w1", "w2")]


def test_a_test_sharing_a_resource_is_tried_though_it_did_not_overlap() -> None:
    # "w2" ran earlier on another worker; its module fixture's teardown came when that worker
    # left the module, during "w1": only "a" overlapped "w1".
    lab = FakeLab(corun_fails=[frozenset({"w1", "w2"})])
    suspect = Finding("shared-resource", "w1", "…", tests=("w1", "a"))
    found = cause.locate_corunner(suspect, PRINTS, lab, command)
    assert (found.kind, found.tests) == ("shared-resource", ("w1", "w2"))
    assert lab.coruns == [("w1", "w2")]


def test_no_co_runner_reproduces_it_so_it_is_non_deterministic() -> None:
    lab = FakeLab()
    suspect = Finding("shared-resource", "t", "…", tests=("t", "a", "b"))
    found = cause.locate_corunner(suspect, PRINTS, lab, command)
    assert found.kind == "non-deterministic" and found.tests == ()
    assert lab.coruns == [("t", "a"), ("t", "b")]
    assert "no co-run with the 2 tests" in (found.note or "")


def test_a_pair_with_no_resource_in_common_must_fail_a_second_set_of_attempts() -> None:
    # "t" fails at random: its first co-run with "a" failed every attempt by chance.
    pair = frozenset({"t", "a"})
    lucky = FakeLab(corun_fails=[pair], corun_fails_again=[])
    suspect = Finding("shared-resource", "t", "…", tests=("t", "a"))
    found = cause.locate_corunner(suspect, PRINTS, lucky, command)
    assert found.kind == "non-deterministic"
    assert lucky.coruns == [("t", "a"), ("t", "a", "again")]
    assert found.searches == (SearchCost("corunners", 2),)
    # A real conflict the footprint did not see fails both sets.
    real = FakeLab(corun_fails=[pair])
    found = cause.locate_corunner(suspect, PRINTS, real, command)
    assert (found.kind, found.tests, found.resources) == ("shared-resource", ("t", "a"), ())
    assert found.searches == (SearchCost("corunners", 2),)


def test_a_co_runner_that_fails_alone_proves_no_conflict() -> None:
    # "a" is brittle: it fails in every co-run whatever "t" does; "t" failed once, at random.
    lab = FakeLab(corun_fails=[frozenset({"t", "a"})])
    suspect = Finding("shared-resource", "t", "…", tests=("t", "a"))
    found = cause.locate_corunner(suspect, PRINTS, lab, command, fails_alone={"a"})
    assert found.kind == "non-deterministic" and found.tests == ()
    assert lab.coruns == [("t", "a")]
    # Without knowing it fails alone, its failures made the pair a conflict.
    found = cause.locate_corunner(
        suspect, PRINTS, FakeLab(corun_fails=[frozenset({"t", "a"})]), command
    )
    assert found.kind == "shared-resource"


def test_a_pair_that_collides_only_when_one_starts_during_the_other_is_a_conflict() -> None:
    # A module fixture removes the folder both write in: started together, both finish before
    # either removes it; "w2" started halfway through "w1" finds its file gone.
    lab = FakeLab(staggered_fails=[("w1", "w2")])
    suspect = Finding("shared-resource", "w2", "…", tests=("w2", "w1"))
    found = cause.locate_corunner(suspect, PRINTS, lab, command)
    assert (found.kind, found.tests, found.resources) == (
        "shared-resource",
        ("w2", "w1"),
        ("file:out/r.json",),
    )
    assert lab.coruns == [("w2", "w1"), ("w2", "w1", "later"), ("w1", "w2", "later")]
    assert found.searches == (SearchCost("corunners", 3),)
    assert "w1 starts 0.2 s after w2" not in (found.note or "")
    assert "w2 starts 0.2 s after w1" in (found.note or "")
    # Predicted by the footprints, confirmed the same way.
    lab = FakeLab(staggered_fails=[("w1", "w2")])
    conflict = fp.Conflict(("w1", "w2"), ("file:out/r.json",))
    findings, latent = cause.confirm_conflicts([conflict], lab, command, skip=lambda t: False)
    assert [(f.tests, f.searches) for f in findings] == [
        (("w1", "w2"), (SearchCost("corunners", 2),))
    ]
    assert latent == []
    # Where no schedule collides: a latent conflict, each schedule's attempts counted.
    lab = FakeLab(staggered_fails=[("x", "y")])
    findings, latent = cause.confirm_conflicts([conflict], lab, command, skip=lambda t: False)
    assert findings == [] and [(n.resource, n.coruns) for n in latent] == [("file:out/r.json", 3)]


def test_conflicts_are_pairs_sharing_more_than_a_directory() -> None:
    pairs = fp.conflicts(PRINTS, ["w1", "w2", "d1", "l1", "l2"])
    assert [(c.tests, c.resources) for c in pairs] == [
        (("w1", "w2"), ("file:out/r.json",)),
        (("l1", "l2"), ("port:8000",)),
    ]


def test_confirmed_conflicts_become_findings_and_the_rest_latent_notes() -> None:
    candidates = fp.conflicts(PRINTS, ["w1", "w2", "l1", "l2"])
    lab = FakeLab(corun_fails=[frozenset({"l1", "l2"})])
    findings, latent = cause.confirm_conflicts(candidates, lab, command, skip=lambda t: False)
    assert [(f.kind, f.tests, f.resources, f.reproduce) for f in findings] == [
        ("shared-resource", ("l1", "l2"), ("port:8000",), "pytest l1 l2")
    ]
    assert [(n.resource, n.tests, n.coruns) for n in latent] == [
        ("file:out/r.json", ("w1", "w2"), 1)
    ]


def test_conflicts_with_a_test_that_fails_anyway_are_not_co_run() -> None:
    candidates = fp.conflicts(PRINTS, ["w1", "w2", "l1", "l2"])
    lab = FakeLab()
    _, latent = cause.confirm_conflicts(candidates, lab, command, skip={"w2"}.__contains__)
    assert lab.coruns == [("l1", "l2")]
    assert [n.resource for n in latent] == ["port:8000"]


def test_ranking_reads_the_code_not_its_comments() -> None:
    source = (
        "def test_v():\n"
        "    # polluted by test_p, which sets APP_MODE\n"
        "    assert settings.currency() == 'EUR'\n"
    )
    context = fp.context_of(source, "test_v", "AssertionError: assert 'USD' == 'EUR'")
    assert "APP_MODE" not in context and "currency" in context
    prints = fp.Footprints(
        state={
            "near": frozenset({"env:APP_MODE"}),
            "far": frozenset({"env:SHOP_CURRENCY"}),
            "cwd": frozenset({"cwd:build"}),
        }
    )
    assert fp.rank_by_relevance(["far", "cwd", "near"], prints, context)[0] == "far"
    missing = fp.context_of(source, "test_v", "FileNotFoundError: data/catalog.json")
    assert fp.rank_by_relevance(["far", "cwd", "near"], prints, missing)[0] == "cwd"


def test_other_writers_of_the_state_that_fail_the_victim_are_polluters_too() -> None:
    level = "global:logging.getLogger('app').level"
    marks = {
        "quiet1": frozenset({f"{level}#=error"}),
        "quiet2": frozenset({f"{level}#=error"}),
        "loud": frozenset({f"{level}#=debug"}),
        "reset": frozenset({f"{level}#=warning"}),
    }
    prints = fp.Footprints(state={t: frozenset({level}) for t in marks}, marks=marks)

    def rule(ids: tuple[str, ...]) -> list[str]:
        return ["failed"] * 3 if ids[0] in ("quiet1", "quiet2", "loud") else ["passed"]

    lab = FakeLab(rule)
    found = Finding(
        "order-dependent", "v", "…", polluters=("quiet1",), state=(level,), cleaners=("reset",)
    )
    found = replace(found, searches=(SearchCost("polluters", 2),))
    more = cause.more_polluters(found, ["a", "quiet1", "loud", "quiet2", "reset", "v"], prints, lab)
    assert more.polluters == ("quiet1", "quiet2", "loud")  # the same change first
    assert lab.orders == [("quiet2", "v"), ("loud", "v")]  # the cleaner is never asked
    assert more.searches == (SearchCost("polluters", 4),)
    assert more.reproduce == found.reproduce


def test_a_counter_every_test_moves_is_not_a_victims_state() -> None:
    counter = "global:sdk.stats"
    marks = {f"t{i}": frozenset({f"{counter}#sent={i}"}) for i in range(12)}
    marks["p"] = frozenset({f"{counter}#sent=99", "global:sdk.paused#=true"})
    assert fp.churn(marks, 14) == {(counter, "sent")}
    prints = fp.Footprints(
        state={t: frozenset(m.split("#")[0] for m in ms) for t, ms in marks.items()},
        marks=marks,
        churn=frozenset({counter}),
    )

    def rule(ids: tuple[str, ...]) -> list[str]:
        return ["failed"] * 3 if "p" in ids[:-1] else ["passed"]

    lab = FakeLab(rule)
    found = cause.locate_victim(victim(("t0", "p", "t1", "v")), [*marks, "v"], prints, lab, command)
    assert found.state == ("global:sdk.paused",)


@pytest.mark.parametrize(
    ("marks", "tests", "counters"),
    [
        pytest.param({f"t{i}": {f"s#k={i}"} for i in range(9)}, 9, {("s", "k")}, id="a counter"),
        pytest.param(
            {f"t{i}": {f"s#k={i}"} for i in range(8)}, 8, set(), id="not more than 8 tests"
        ),
        pytest.param(
            {f"t{i}": {f"s#k={i}"} for i in range(9)}, 20, set(), id="not half the selection"
        ),
        pytest.param(
            {f"t{i}": {f"s#k{i}=1"} for i in range(9)}, 9, set(), id="a registry: a key each"
        ),
        pytest.param({f"t{i}": {f"s#+{i}"} for i in range(9)}, 9, set(), id="a list: an item each"),
        pytest.param({f"t{i}": {f"s#k={i % 5}"} for i in range(9)}, 9, set(), id="values repeat"),
    ],
)
def test_a_counter_is_a_key_most_tests_leave_with_a_value_of_their_own(
    marks: dict[str, set[str]], tests: int, counters: set[tuple[str, str]]
) -> None:
    assert fp.churn(marks, tests) == counters


def test_a_conflict_only_co_runs_showed_says_so_in_the_markdown() -> None:
    # logzero-shaped: no campaign run failed either test; co-runs while locating did.
    finding = Finding(
        "shared-resource",
        "t::a",
        "pytest -n 2 t::a t::b",
        tests=("t::a", "t::b"),
        failures=3,
        runs=3,
    )
    report = audit_report.build(
        tests=2, seed=1, outcomes=(), findings=(finding,), partial=False, stopped=None,
        sequential_s=1.0, elapsed_s=2.0, processes=1, reruns=3, collect_errors=(), skipped=(),
        untriaged=(), env={},
    )  # fmt: skip
    text = audit_report.markdown(report)
    assert "in no campaign run: found by co-running the tests while locating" in text
    assert "failed in: none" not in text and "failed 3 of 3 observations" in text
