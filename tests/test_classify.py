"""Classification as tables over recorded outcomes: no subprocess, a fake lab for the reruns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.classify import failed_anywhere, triage
from auditor.model import Probe, RunOutcome, RunPlan, RunResult, TestRecord

Row = tuple[str, str, str, float]  # node id, outcome, worker, start


def outcome(plan: RunPlan, rows: Sequence[Row], reruns: Sequence[str] = ()) -> RunOutcome:
    """A run's records; ``reruns``: outcomes of the failing test's reruns from a checkpoint."""
    tests = tuple(
        TestRecord(
            nodeid,
            outcome,
            0.5,
            worker,
            start,
            start + 0.5,
            f"{nodeid} broke" if outcome != "passed" else None,
        )  # type: ignore[arg-type]
        for nodeid, outcome, worker, start in rows
    )
    failed = next((r[0] for r in rows if r[1] != "passed"), "")
    probes = tuple(
        Probe(failed, k, 1, o, None if o == "passed" else "broke again")  # type: ignore[arg-type]
        for k, o in enumerate(reruns)
    )
    result = RunResult(0, 1.0, 1.0, tuple(r[0] for r in rows), (), tests, ())
    return RunOutcome(plan, replace(result, probes=probes))


def seq(plan: RunPlan, *tests: tuple[str, str], reruns: Sequence[str] = ()) -> RunOutcome:
    return outcome(plan, [(n, o, "main", float(i)) for i, (n, o) in enumerate(tests)], reruns)


class FakeLab:
    """Answers alone-runs and replays from tables; remembers what it was asked."""

    def __init__(
        self,
        alone: Sequence[str] = (),
        replay: Sequence[str] = (),
        fresh: str | None = None,
        importer: tuple[str, ...] | None = None,
    ) -> None:
        self.answers = {"alone": alone, "replay": replay}
        self.fresh_outcome = fresh  #: the test in a pytest of its own; None: runs not forked
        self.importers = importer
        self.asked: list[tuple[str, RunPlan | None]] = []

    def alone(self, test: str) -> RunOutcome:
        self.asked.append(("alone", None))
        rows = [(test, o, f"r{i}", 0.0) for i, o in enumerate(self.answers["alone"])]
        return outcome(RunPlan("isolated", ids=(test,)), rows)

    def replay(self, source: RunOutcome, test: str) -> RunOutcome:
        self.asked.append(("replay", source.plan))
        first, *rest = self.answers["replay"]
        return outcome(RunPlan("replay", ids=source.prefix(test)), [(test, first, "r0", 0.0)], rest)

    def fresh(self, test: str) -> RunOutcome | None:
        if self.fresh_outcome is None:
            return None
        plan = RunPlan("isolated", ids=(test,))
        self.asked.append(("fresh", plan))
        return outcome(plan, [(test, self.fresh_outcome, "main", 0.0)])

    def importer(self, test: str, modules: Sequence[str]) -> tuple[str, ...] | None:
        self.asked.append(("importer", RunPlan("isolated", ids=(test, *modules))))
        return self.importers


BASE = RunPlan("sequential")
R1 = RunPlan("random", seed=11)
X2 = RunPlan("xdist", seed=22, workers=2)
FAILS = ["failed"] * 3


def command(plan: RunPlan) -> str:
    return f"pytest {plan.kind} {plan.seed} {' '.join(plan.ids)}"


def classify(campaign: list[RunOutcome], lab: FakeLab, test: str = "v"):  # type: ignore[no-untyped-def]
    assert test in failed_anywhere(campaign)
    return triage(test, campaign, lab, command)


def test_victim_fails_from_its_state_every_time_and_passes_alone() -> None:
    campaign = [
        seq(BASE, ("v", "passed"), ("p", "passed")),
        seq(R1, ("x", "passed"), ("p", "passed"), ("v", "failed"), reruns=FAILS),
    ]
    lab = FakeLab(alone=["passed"] * 3)
    finding = classify(campaign, lab)
    assert finding.kind == "order-dependent"
    assert finding.sequence == ("x", "p", "v")
    assert lab.asked == [("alone", None)]  # the run's own checkpoints reran it: no replay
    assert finding.reproduce == "pytest replay 11 x p v"
    assert (finding.failed_in, finding.passed_in) == ((R1,), (BASE,))
    assert (finding.reruns, finding.failures, finding.runs) == (6, 4, 8)
    assert finding.reason == "v broke"  # the failure itself, as the run recorded it


def test_without_checkpoint_reruns_the_prefix_is_replayed() -> None:
    campaign = [seq(BASE, ("v", "passed")), seq(R1, ("p", "passed"), ("v", "failed"))]
    lab = FakeLab(alone=["passed"] * 3, replay=FAILS)
    finding = classify(campaign, lab)
    assert finding.kind == "order-dependent"
    assert lab.asked == [("replay", R1), ("alone", None)]


def test_a_hang_after_some_order_is_a_victim_not_a_hang() -> None:
    campaign = [
        seq(BASE, ("v", "passed"), ("p", "passed")),
        seq(R1, ("p", "passed"), ("v", "hang")),  # the watchdog ended it: no reruns
    ]
    lab = FakeLab(alone=["passed"] * 3, replay=["hang"])
    finding = classify(campaign, lab)
    assert finding.kind == "order-dependent"
    assert finding.sequence == ("p", "v")
    assert lab.asked == [("replay", R1), ("alone", None)]


def test_a_failure_alone_in_the_campaign_makes_a_would_be_victim_non_deterministic() -> None:
    campaign = [
        seq(BASE, ("v", "passed"), ("p", "passed")),
        # Alone, it failed once and its reruns from the same state passed.
        seq(RunPlan("alone", ids=("v", "p")), ("v", "failed"), ("p", "passed"), reruns=["passed"]),
        seq(R1, ("p", "passed"), ("v", "failed"), reruns=FAILS),  # its reruns failed by chance
    ]
    finding = classify(campaign, FakeLab(alone=["passed"] * 3))
    assert finding.kind == "non-deterministic"


def test_a_hang_that_never_passed_is_a_hang() -> None:
    campaign = [seq(BASE, ("p", "passed"), ("v", "hang"))]
    lab = FakeLab()
    assert classify(campaign, lab).kind == "hang"
    assert lab.asked == []


def test_brittle_fails_alone_but_passed_in_some_order() -> None:
    campaign = [
        seq(BASE, ("s", "passed"), ("v", "passed")),
        seq(R1, ("x", "passed"), ("v", "failed"), ("s", "passed"), reruns=FAILS),
    ]
    finding = classify(campaign, FakeLab(alone=FAILS))
    assert finding.kind == "brittle"
    assert finding.reproduce == "pytest isolated None v"


def test_a_test_failing_alone_only_once_the_selection_is_collected_is_order_dependent() -> None:
    # riemann's shape: a test helper selects another network when imported, at collection.
    # Forked from the collected selection, the test fails alone; in a pytest of its own, which
    # collects its module only, it passes: the module that imports the helper is its cause.
    campaign = [
        seq(BASE, ("pkg/test_a.py::s", "passed"), ("pkg/test_a.py::v", "passed")),
        seq(R1, ("pkg/test_z.py::x", "passed"), ("pkg/test_a.py::v", "failed"), reruns=FAILS),
    ]
    lab = FakeLab(alone=FAILS, fresh="passed", importer=("pkg/test_z.py",))
    finding = classify(campaign, lab, "pkg/test_a.py::v")
    assert finding.kind == "order-dependent"
    assert finding.reproduce == "pytest isolated None pkg/test_a.py::v pkg/test_z.py"
    assert finding.note is not None and "pkg/test_z.py is collected" in finding.note
    assert finding.sequence == ("pkg/test_a.py::v",)
    # the modules searched: every other one the campaign ran, in their first order
    assert lab.asked[-1] == (
        "importer",
        RunPlan("isolated", ids=("pkg/test_a.py::v", "pkg/test_z.py")),
    )


@pytest.mark.parametrize(
    ("fresh", "importer", "noted"),
    [("failed", None, False), ("passed", None, False), ("passed", (), True)],
    ids=["fails fresh too", "budget spent", "no module does it"],
)
def test_a_brittle_verdict_stands_unless_a_module_explains_it(
    fresh: str, importer: tuple[str, ...] | None, noted: bool
) -> None:
    campaign = [
        seq(BASE, ("s", "passed"), ("v", "passed")),
        seq(R1, ("x", "passed"), ("v", "failed"), ("s", "passed"), reruns=FAILS),
    ]
    finding = classify(campaign, FakeLab(alone=FAILS, fresh=fresh, importer=importer))
    assert finding.kind == "brittle" and finding.reproduce == "pytest isolated None v"
    assert (finding.note is not None) == noted


def test_failing_fails_everywhere_alone_too() -> None:
    campaign = [seq(BASE, ("v", "failed"), reruns=FAILS), seq(R1, ("v", "failed"))]
    lab = FakeLab(alone=FAILS)
    assert classify(campaign, lab).kind == "failing"
    assert lab.asked == []  # its prefix is itself: the reruns were the alone-runs


@pytest.mark.parametrize(
    "reruns", [["passed"], ["failed", "passed"]], ids=["reruns pass", "reruns flip"]
)
def test_a_failure_its_own_state_does_not_repeat_is_non_deterministic(reruns: list[str]) -> None:
    campaign = [
        seq(BASE, ("p", "passed"), ("v", "failed"), reruns=reruns),
        seq(R1, ("v", "passed")),
    ]
    lab = FakeLab()
    finding = classify(campaign, lab)
    assert finding.kind == "non-deterministic"
    assert lab.asked == []  # conclusive without running it alone
    assert (finding.failures, finding.runs) == (1 + reruns.count("failed"), 2 + len(reruns))


def test_mixed_alone_outcomes_are_non_deterministic() -> None:
    campaign = [seq(BASE, ("p", "passed"), ("v", "failed"), reruns=FAILS)]
    finding = classify(campaign, FakeLab(alone=["passed", "failed"]))
    assert finding.kind == "non-deterministic"


def xdist_failure() -> RunOutcome:
    return outcome(
        X2,
        [
            ("a", "passed", "gw0", 0.0),
            ("v", "failed", "gw0", 1.0),
            ("b", "passed", "gw1", 1.2),
            ("c", "passed", "gw1", 2.0),
        ],
    )


def test_xdist_only_failure_that_replays_clean_is_a_shared_resource() -> None:
    campaign = [seq(BASE, ("a", "passed"), ("b", "passed"), ("v", "passed")), xdist_failure()]
    lab = FakeLab(replay=["passed"] * 3)
    finding = classify(campaign, lab)
    assert finding.kind == "shared-resource"
    assert finding.tests == ("v", "b")  # b overlapped v in time on the other worker
    assert lab.asked == [("replay", X2)]
    assert finding.sequence == ("a", "v")
    assert finding.reproduce == "pytest xdist 22 "


def test_xdist_failure_that_its_worker_sequence_repeats_is_order_dependent() -> None:
    campaign = [seq(BASE, ("v", "passed"), ("a", "passed")), xdist_failure()]
    finding = classify(campaign, FakeLab(alone=["passed"] * 3, replay=FAILS))
    assert finding.kind == "order-dependent"
    assert finding.reproduce == "pytest replay 22 a v"


def test_a_sequential_failure_is_preferred_as_evidence() -> None:
    campaign = [xdist_failure(), seq(R1, ("v", "failed"), reruns=FAILS)]
    lab = FakeLab(alone=FAILS)
    assert classify(campaign, lab).kind == "failing"
    assert lab.asked == []


def test_the_failing_order_with_the_shortest_prefix_is_the_evidence() -> None:
    # A long order failed it first and reran it; a run right after its writers failed it too,
    # without reruns (rerun enough already): its short prefix is the one locate searches.
    long = seq(R1, *((f"t{i}", "passed") for i in range(40)), ("v", "failed"), reruns=FAILS)
    after = seq(RunPlan("after", ids=("v",), prefix=("w",)), ("w", "passed"), ("v", "failed"))
    lab = FakeLab(alone=["passed"] * 3, replay=FAILS)
    finding = classify([seq(BASE, ("v", "passed")), long, after], lab)
    assert finding.kind == "order-dependent"
    assert finding.sequence == ("w", "v")
    assert lab.asked[0] == ("replay", after.plan)  # its two tests replayed, with reruns


@pytest.mark.parametrize(("recorded", "kind"), [("crashed", "crash"), ("hang", "hang")])
def test_a_dead_process_is_reported_without_reruns(recorded: str, kind: str) -> None:
    campaign = [outcome(X2, [("v", recorded, "gw0", 0.0)])]
    lab = FakeLab()
    finding = classify(campaign, lab)
    assert (finding.kind, lab.asked, finding.reason) == (kind, [], "v broke")


class FakeExecutor:
    """Records the plans the audit session asks for; a fork server is "there"."""

    server = object()

    def __init__(self) -> None:
        self.plans: list[RunPlan] = []

    def __call__(self, plan: RunPlan, fork: bool = True) -> RunOutcome:
        self.plans.append(plan)
        return outcome(plan, [(t, "passed", "r0", float(i)) for i, t in enumerate(plan.ids)])


def test_one_replay_serves_every_xdist_only_suspect_of_a_worker_sequence() -> None:
    from auditor.campaign.lab import Lab
    from auditor.campaign.limits import Limits

    x = outcome(
        X2,
        [
            ("a", "passed", "gw0", 0.0),
            ("v1", "failed", "gw0", 1.0),
            ("s", "failed", "gw0", 2.0),  # also failed in a sequential run: it has evidence
            ("v2", "failed", "gw0", 3.0),
            ("b", "passed", "gw0", 4.0),
            ("w", "failed", "gw1", 0.0),
        ],
    )
    executor = FakeExecutor()
    lab = Lab(executor, Path("."), 3, lambda: None, Limits())  # type: ignore[arg-type]
    lab.outcomes += [seq(BASE, ("s", "failed")), x]
    first = lab.replay(x, "v1")
    assert lab.replay(x, "v2") is first
    assert executor.plans == [
        RunPlan("replay", seed=22, ids=("a", "v1", "s", "v2"), targets=("v1", "v2"))
    ]


@pytest.mark.parametrize("others", [False, True], ids=["only there", "also in an order"])
def test_a_failure_beside_the_forks_of_an_after_run_is_replayed(others: bool) -> None:
    # config-better: the writers' setUpClass made a folder with mkdtemp, the first child whose
    # tearDownClass removed it failed its siblings, and their reruns from that state.
    after = seq(
        RunPlan("after", ids=("v",), prefix=("w",)),
        ("w", "passed"),
        ("v", "failed"),
        reruns=FAILS,
    )
    campaign = [seq(BASE, ("w", "passed"), ("v", "passed")), after]
    if others:
        campaign.append(seq(R1, ("p", "passed"), ("v", "failed"), reruns=FAILS))
    lab = FakeLab(alone=["passed"] * 3, replay=["passed"] * 3)
    finding = triage("v", campaign, lab, command)
    assert lab.asked[0] == ("replay", after.plan)  # not the reruns of its forks' state
    if not others:
        assert finding is None
    else:
        assert finding is not None and finding.kind == "order-dependent"
        assert finding.sequence == ("p", "v") and finding.failed_in == (R1,)


def test_a_failure_an_after_run_replay_repeats_is_classified_from_the_replay() -> None:
    after = seq(RunPlan("after", ids=("v",), prefix=("w",)), ("w", "passed"), ("v", "failed"))
    lab = FakeLab(alone=["passed"] * 3, replay=FAILS)
    finding = classify([seq(BASE, ("v", "passed"), ("w", "passed")), after], lab)
    assert finding.kind == "order-dependent" and finding.sequence == ("w", "v")


class PerSourceLab(FakeLab):
    """Answers each replay by the source's prefix."""

    def __init__(self, replays: dict[tuple[str, ...], list[str]], **answers: list[str]) -> None:
        super().__init__(**answers)  # type: ignore[arg-type]
        self.replays = replays

    def replay(self, source: RunOutcome, test: str) -> RunOutcome:
        self.asked.append(("replay", source.plan))
        first, *rest = self.replays[source.prefix(test)]
        return outcome(RunPlan("replay", ids=source.prefix(test)), [(test, first, "r0", 0.0)], rest)


def test_each_after_run_that_failed_a_test_is_replayed_in_its_turn() -> None:
    # The cheapest after run failed it beside its forks; another one, after its real polluter.
    forks = seq(RunPlan("after", ids=("v",), prefix=("w",)), ("w", "passed"), ("v", "failed"))
    real = seq(
        RunPlan("after", ids=("v",), prefix=("p", "q")),
        ("p", "passed"),
        ("q", "passed"),
        ("v", "failed"),
    )
    lab = PerSourceLab({("w", "v"): ["passed"] * 3, ("p", "q", "v"): FAILS}, alone=["passed"] * 3)
    finding = triage("v", [seq(BASE, ("v", "passed")), forks, real], lab, command)
    assert finding is not None and finding.kind == "order-dependent"
    assert finding.sequence == ("p", "q", "v")


def test_an_after_run_failure_whose_replay_ran_nothing_is_still_triaged() -> None:
    after = seq(RunPlan("after", ids=("v",), prefix=("w",)), ("w", "passed"), ("v", "failed"))

    class Silent(FakeLab):
        def replay(self, source: RunOutcome, test: str) -> RunOutcome:
            return outcome(RunPlan("replay", ids=source.prefix(test)), [])

    finding = triage("v", [seq(BASE, ("v", "passed")), after], Silent(), command)
    assert finding is not None  # not dropped as "passed when replayed"
