"""``audit.json`` (schema ``auditor.audit/1``, read by other tools: keep its keys) and audit.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.campaign.limits import Limits
from auditor.findings import AUDIT_SCHEMA, Finding
from auditor.locate.cause import Latent
from auditor.model import RunOutcome, RunPlan
from auditor.progress import duration
from auditor.redact import redact

#: Why a run that triage or locate asked for was made (campaign runs carry their own reason).
_WHY = {
    "isolated": "triage: the test alone, from the collected state, several times",
    "replay": "triage: the failing order replayed up to the test, reruns from just before it",
    "bisect": "locate: an order the search for a cause asked about",
    "corun": "locate: two tests started at the same moment, until both pass",
}


def run_entry(outcome: RunOutcome) -> dict[str, Any]:
    plan = outcome.plan
    entry: dict[str, Any] = {
        "kind": plan.kind,
        "why": plan.why or _WHY.get(plan.kind, ""),
        "seed": plan.seed,
        "workers": plan.repeats if plan.repeats > 1 else plan.workers,
        "duration_s": round(outcome.result.wall_s, 3),
        "failed": sorted(outcome.failed()),
    }
    if plan.ids:
        entry["ids"] = list(plan.ids)
    probes: dict[str, dict[str, int]] = {}
    for probe in outcome.result.probes:
        tally = probes.setdefault(probe.target, {"failed": 0, "runs": 0})
        tally["runs"] += 1
        tally["failed"] += probe.failed
    if probes:
        entry["reruns"] = probes  # reruns of a test from a checkpoint taken just before it
    if plan.kind == "xdist" or plan.repeats > 1:
        entry["sequences"] = {w: list(s) for w, s in sorted(outcome.sequences().items())}
    elif not plan.ids:  # one order, in parts when a dead process made the run go on in another
        records = sorted(outcome.result.tests, key=lambda r: r.start or 0.0)
        entry["order"] = [r.nodeid for r in records]
    if outcome.restored:  # what the run left in the project's files, put back after it
        entry["restored"] = list(outcome.restored)
    return entry


def restored_summary(outcomes: Sequence[RunOutcome]) -> dict[str, Any]:
    """The runs after which files were put back, and the distinct paths (``removed out/`` →
    ``out/``); those that could not be put back apart."""
    said = [d for o in outcomes for d in o.restored]
    lost = {d.split(" ", 1)[1] for d in said if d.startswith("unrestorable:")}
    return {
        "runs": sum(1 for o in outcomes if o.restored),
        "paths": sorted({d.split(" ", 1)[1] for d in said} - lost),
        "not_restorable": sorted(lost),
    }


def _ref(plan: RunPlan) -> dict[str, Any]:
    return {"kind": plan.kind, "seed": plan.seed, "workers": plan.workers}


def finding_entry(finding: Finding, env: Mapping[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": finding.kind}
    if finding.kind == "shared-resource":
        entry["tests"] = list(finding.tests)
        entry["resources"] = list(finding.resources)
    entry["test"] = finding.test
    if finding.kind == "order-dependent":
        entry.update(
            polluters=list(finding.polluters),
            cleaners=list(finding.cleaners),
            state=list(finding.state),
        )
    if finding.kind == "brittle":
        entry.update(state_setters=list(finding.state_setters), state=list(finding.state))
    if finding.aliases:  # the other names of a state entry (one object, several modules)
        entry["aliases"] = {name: list(others) for name, others in finding.aliases}
    if finding.searches:  # runs each search for a cause took
        entry["search"] = {
            cost.looked_for: {"runs": cost.runs, "complete": cost.complete}
            for cost in finding.searches
        }
    if finding.note:
        entry["note"] = finding.note
    entry.update(
        reproduce=finding.reproduce,
        failed_in=[_ref(p) for p in finding.failed_in],
        passed_in=[_ref(p) for p in finding.passed_in],
        sequence=list(finding.sequence),
        reruns=finding.reruns,
        failures=finding.failures,
        runs=finding.runs,
        reason=redact(finding.reason, env) if finding.reason else None,
    )
    return entry


def build(
    *,
    tests: int,
    seed: int,
    outcomes: Sequence[RunOutcome],
    findings: Sequence[Finding],
    partial: bool,
    stopped: str | None,
    sequential_s: float | None,
    elapsed_s: float,
    processes: int,
    reruns: int,
    collect_errors: Sequence[tuple[str, str]],
    skipped: Sequence[str],
    untriaged: Sequence[str],
    env: Mapping[str, str],
    latent: Sequence[Latent] = (),
    limits: Limits | None = None,
) -> dict[str, Any]:
    return {
        "schema": AUDIT_SCHEMA,
        "partial": partial,
        "stopped": stopped,
        "tests": tests,
        "seed": seed,
        "reruns": reruns,
        "cost": {
            "runs": len(outcomes),
            "processes": processes,
            "seconds": round(elapsed_s, 3),
            "sequential_s": round(sequential_s, 3) if sequential_s else None,
            "sequential_runs": round(elapsed_s / sequential_s, 2) if sequential_s else None,
        },
        "collect_errors": [{"nodeid": n, "reason": redact(r, env)} for n, r in collect_errors],
        "skipped_runs": list(skipped),
        "untriaged": list(untriaged),
        "runs": [run_entry(o) for o in outcomes],
        "restored": restored_summary(outcomes),
        # The per-test timeouts the runs used: fix's verification runs use them too.
        "limits": (limits or Limits()).for_json(),
        "findings": [finding_entry(f, env) for f in findings],
        # Resources tests share without a co-run ever failing: conflicts waiting to happen.
        "latent": [
            {"resource": note.resource, "tests": list(note.tests), "coruns": note.coruns}
            for note in latent
        ],
    }


def finding_line(finding: Finding) -> str:
    """``-> kind: test (after polluters…): state``: one finding, for the console."""
    causes = [
        f"{label} {', '.join(tests)}"
        for label, tests in (
            ("after", finding.polluters),
            ("cleaned by", finding.cleaners),
            ("passes after", finding.state_setters),
            ("beside", tuple(t for t in finding.tests if t != finding.test)),
        )
        if tests
    ]
    linked = finding.state or finding.resources
    detail = f" ({'; '.join(causes)})" if causes else ""
    state = f": {', '.join(linked)}" if linked else ""
    return f"-> {finding.kind}: {finding.test}{detail}{state}"


def summary_line(report: dict[str, Any], path: Path) -> str:
    """The audit's last line: findings, runs, start-ups, time, and where the report is."""
    cost = report["cost"]
    return (
        f"{len(report['findings'])} findings; {cost['runs']} runs, {cost['processes']} pytest "
        f"start-ups, {duration(cost['seconds'])} ({cost['sequential_runs']}× a sequential "
        f"run); wrote {path}"
    )


def markdown(report: dict[str, Any]) -> str:
    cost = report["cost"]
    partial = f" (partial: {report['stopped']})" if report["partial"] else ""
    lines = [
        "# auditor audit" + partial,
        "",
        f"{report['tests']} tests, {len(report['findings'])} findings; {cost['runs']} runs "
        f"({cost['processes']} pytest start-ups) in {cost['seconds']:.1f} s "
        f"({cost['sequential_runs']}× one sequential run); campaign seed {report['seed']}; "
        f"up to {report['reruns']} reruns per triage step.",
        "",
    ]
    for error in report["collect_errors"]:
        lines += [
            f"## collection error: `{error['nodeid']}`",
            "",
            "```",
            error["reason"],
            "```",
            "",
        ]
    restored = report["restored"]
    if restored["runs"]:
        paths = ", ".join(f"`{p}`" for p in restored["paths"]) or "none"
        lost = "".join(f"; could not put back `{p}`" for p in restored["not_restorable"])
        runs = f"{restored['runs']} run" + ("s" if restored["runs"] > 1 else "")
        lines += [f"Files left by {runs} put back (every run starts alike): {paths}{lost}.", ""]
    if report["skipped_runs"]:
        lines += [f"Left out by the budget: {', '.join(report['skipped_runs'])}.", ""]
    if report["untriaged"]:
        untriaged = ", ".join(f"`{t}`" for t in report["untriaged"])
        lines += [f"Failed somewhere but not triaged (budget): {untriaged}.", ""]
    for finding in report["findings"]:
        subject = ", ".join(f"`{t}`" for t in finding.get("tests") or [finding["test"]])
        lines += [f"## {finding['kind']}: {subject}", ""]
        if finding["reason"]:
            lines += [f"Failure: `{finding['reason'].splitlines()[0]}`", ""]
        failed = ", ".join(_describe(r) for r in finding["failed_in"]) or "none"
        passed = ", ".join(_describe(r) for r in finding["passed_in"]) or "none"
        if finding["failed_in"] or finding["passed_in"]:
            lines += [f"- failed in: {failed}", f"- passed in: {passed}"]
        else:  # a conflict the footprints predicted, shown by co-runs while locating causes
            lines.append("- in no campaign run: found by co-running the tests while locating")
        lines.append(
            f"- failed {finding['failures']} of {finding['runs']} observations; "
            f"{finding['reruns']} reruns"
        )
        lines += _cause(finding)
        if len(finding["sequence"]) > 1:
            lines.append(
                f"- failing sequence: {len(finding['sequence'])} tests, ending "
                + " → ".join(f"`{t}`" for t in finding["sequence"][-3:])
            )
        lines += ["", "```", finding["reproduce"], "```", ""]
    if report["latent"]:
        lines += ["## latent conflicts", ""]
        for note in report["latent"]:
            tests = ", ".join(f"`{t}`" for t in note["tests"])
            lines.append(
                f"- `{note['resource']}`: used by {tests}; {note['coruns']} co-runs passed"
            )
        lines.append("")
    return "\n".join(lines)


def _cause(finding: dict[str, Any]) -> list[str]:
    lines = []
    for key, label in (
        ("polluters", "polluters"),
        ("state_setters", "state-setters"),
        ("cleaners", "cleaners"),
        ("state", "state"),
        ("resources", "resources"),
    ):
        if finding.get(key):
            lines.append(f"- {label}: " + ", ".join(f"`{t}`" for t in finding[key]))
    for looked_for, cost in finding.get("search", {}).items():
        done = "" if cost["complete"] else " (cut short)"
        runs = f"{cost['runs']} run" + ("" if cost["runs"] == 1 else "s")
        lines.append(f"- search for {looked_for.replace('_', '-')}: {runs}{done}")
    if finding.get("note"):
        lines.append(f"- note: {finding['note']}")
    return lines


def _describe(ref: dict[str, Any]) -> str:
    text = str(ref["kind"])
    if ref["seed"] is not None:
        text += f" seed {ref['seed']}"
    if ref["workers"]:
        text += f" -n {ref['workers']}"
    return text
