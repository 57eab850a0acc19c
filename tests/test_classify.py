"""Classification as tables over recorded outcomes: no subprocess, a fake rerun callback."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from auditor.campaign.execute import RunOutcome
from auditor.campaign.plan import RunPlan
from auditor.classify import failed_anywhere, triage
from auditor.model import RunResult, TestRecord

Row = tuple[str, str, str, float]  # node id, outcome, worker, start


def outcome(plan: RunPlan, rows: Sequence[Row]) -> RunOutcome:
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
    return RunOutcome(plan, RunResult(0, 1.0, 1.0, tuple(r[0] for r in rows), (), tests, ()))


def seq(plan: RunPlan, *tests: tuple[str, str]) -> RunOutcome:
    return outcome(plan, [(n, o, "main", float(i)) for i, (n, o) in enumerate(tests)])


def repeated(test: str, *outcomes: str) -> list[Row]:
    return [(test, o, f"gw{i}", 0.0) for i, o in enumerate(outcomes)]


class FakeRerun:
    """Answers alone-runs and replays from tables; remembers the plans it was asked for."""

    def __init__(self, alone: Sequence[str], replay: Sequence[str] = ()) -> None:
        self.answers = {"isolated": alone, "replay": replay}
        self.plans: list[RunPlan] = []

    def __call__(self, plan: RunPlan) -> RunOutcome:
        self.plans.append(plan)
        test = plan.ids[-1]
        return outcome(plan, repeated(test, *self.answers[plan.kind]))


BASE = RunPlan("sequential")
R1 = RunPlan("random", seed=11)
X2 = RunPlan("xdist", seed=22, workers=2)


def command(plan: RunPlan) -> str:
    return f"pytest {plan.kind} {plan.seed} {' '.join(plan.ids)}"


def classify(campaign: list[RunOutcome], rerun: FakeRerun, test: str = "v"):  # type: ignore[no-untyped-def]
    assert test in failed_anywhere(campaign)
    return triage(test, campaign, rerun, 3, command)


def test_victim_is_order_dependent_with_its_failing_prefix() -> None:
    campaign = [
        seq(BASE, ("v", "passed"), ("p", "passed")),
        seq(R1, ("x", "passed"), ("p", "passed"), ("v", "failed")),
    ]
    rerun = FakeRerun(alone=["passed"] * 3, replay=["failed"] * 3)
    finding = classify(campaign, rerun)
    assert finding.kind == "order-dependent"
    assert finding.sequence == ("x", "p", "v")
    assert rerun.plans == [
        RunPlan("isolated", ids=("v",), repeats=3),
        RunPlan("replay", seed=11, ids=("x", "p", "v"), repeats=3),
    ]
    assert finding.reproduce == "pytest replay 11 x p v"
    assert (finding.failed_in, finding.passed_in) == ((R1,), (BASE,))
    assert finding.reruns == 6
    assert finding.reason == "v broke"


def test_brittle_fails_alone_but_passed_in_some_order() -> None:
    campaign = [
        seq(BASE, ("s", "passed"), ("v", "passed")),
        seq(R1, ("v", "failed"), ("s", "passed")),
    ]
    finding = classify(campaign, FakeRerun(alone=["failed"] * 3))
    assert finding.kind == "brittle"
    assert finding.reproduce == "pytest isolated None v"


def test_failing_fails_everywhere_alone_too() -> None:
    campaign = [seq(BASE, ("v", "failed")), seq(R1, ("v", "failed"))]
    assert classify(campaign, FakeRerun(alone=["failed"] * 3)).kind == "failing"


def test_mixed_alone_outcomes_are_non_deterministic() -> None:
    campaign = [seq(BASE, ("v", "failed")), seq(R1, ("v", "passed"))]
    finding = classify(campaign, FakeRerun(alone=["passed", "failed", "passed"]))
    assert finding.kind == "non-deterministic"
    assert (finding.failures, finding.runs) == (2, 5)


@pytest.mark.parametrize(
    "replay",
    [["failed", "passed", "failed"], ["passed"] * 3],
    ids=["replay flips", "sequential failure never reproduces"],
)
def test_an_order_that_does_not_always_fail_is_never_order_dependent(replay: list[str]) -> None:
    campaign = [seq(BASE, ("p", "passed"), ("v", "failed")), seq(R1, ("v", "passed"))]
    finding = classify(campaign, FakeRerun(alone=["passed"] * 3, replay=replay))
    assert finding.kind == "non-deterministic"
    assert finding.runs == 2 + 6


def test_xdist_only_failure_that_replays_clean_is_a_shared_resource() -> None:
    campaign = [
        seq(BASE, ("a", "passed"), ("b", "passed"), ("v", "passed")),
        outcome(
            X2,
            [
                ("a", "passed", "gw0", 0.0),
                ("v", "failed", "gw0", 1.0),
                ("b", "passed", "gw1", 1.2),
                ("c", "passed", "gw1", 2.0),
            ],
        ),
    ]
    rerun = FakeRerun(alone=["passed"] * 3, replay=["passed"] * 3)
    finding = classify(campaign, rerun)
    assert finding.kind == "shared-resource"
    assert finding.tests == ("v", "b")  # b overlapped v in time on the other worker
    assert rerun.plans[1] == RunPlan("replay", seed=22, ids=("a", "v"), repeats=3)
    assert finding.reproduce == "pytest xdist 22 "


def test_crashed_worker_is_a_crash_finding_without_reruns() -> None:
    campaign = [outcome(X2, [("v", "crashed", "gw0", 0.0)])]
    rerun = FakeRerun(alone=[])
    finding = classify(campaign, rerun)
    assert (finding.kind, rerun.plans) == ("crash", [])
