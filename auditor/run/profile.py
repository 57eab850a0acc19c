"""Where a run's time went: ``[PROFILE]`` lines, run.json and the GitHub step summary."""

from __future__ import annotations

from typing import Any

from auditor.model import RunResult
from auditor.report import table_cell

SLOWEST = 5


def build(result: RunResult, *, workers_reason: str, total_s: float) -> dict[str, Any]:
    """The profile of one run as plain data (the ``profile`` part of run.json)."""
    collection = _span(result.session_start, result.collection_done)
    execution = _span(result.collection_done, result.session_finish)
    per_worker = sorted(result.workers, key=lambda w: w.worker)
    busy = [w.busy_s for w in per_worker]
    tests = len(result.tests)
    slowest = sorted(result.tests, key=lambda r: r.duration, reverse=True)[:SLOWEST]
    largest = max(per_worker, key=lambda w: w.maxrss_kb, default=None)
    in_tests_cpu = sum(w.cpu_s for w in per_worker)
    return {
        "collection_s": collection,
        "execution_s": execution,
        "total_s": round(total_s, 3),
        "tests": tests,
        "average_s": round(sum(r.duration for r in result.tests) / tests, 4) if tests else None,
        "workers_used": len([w for w in per_worker if w.worker != "main"]),
        "workers_reason": workers_reason,
        "per_worker": [
            {
                "worker": w.worker,
                "tests": w.tests,
                "busy_s": round(w.busy_s, 3),
                "cpu_s": round(w.cpu_s, 3),
                "collect_s": round(w.collect_s, 3),
                "startup_s": round(w.startup_s, 3),
                "maxrss_kb": int(w.maxrss_kb),
            }
            for w in per_worker
        ],
        "balance": round(min(busy) / max(busy), 3) if busy and max(busy) > 0 else None,
        "slowest": [{"nodeid": r.nodeid, "duration_s": round(r.duration, 3)} for r in slowest],
        "peak_memory_kb": int(largest.maxrss_kb) if largest else None,
        "peak_memory_worker": largest.worker if largest else None,
        "cpu_s": round(result.cpu_s, 3),
        "cpu_in_tests_s": round(in_tests_cpu, 3),
    }


def _span(start: float | None, stop: float | None) -> float | None:
    return round(stop - start, 3) if start is not None and stop is not None else None


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _tests(count: int) -> str:
    return f"{count} test" if count == 1 else f"{count} tests"


def lines(profile: dict[str, Any]) -> list[str]:
    """The ``[PROFILE]`` lines printed after the run."""
    out = [
        f"[PROFILE] collection {_seconds(profile['collection_s'])}",
        f"[PROFILE] execution {_seconds(profile['execution_s'])}",
        f"[PROFILE] total {_seconds(profile['total_s'])}",
        f"[PROFILE] tests {profile['tests']}, average "
        f"{_seconds(profile['average_s'])} per test, workers used {profile['workers_used']}",
        f"[PROFILE] workers: {profile['workers_reason']}",
    ]
    if profile["per_worker"]:
        busy = ", ".join(
            f"{w['worker']} {w['busy_s']:.2f} s ({_tests(w['tests'])})"
            for w in profile["per_worker"]
        )
        balance = profile["balance"]
        out.append(
            f"[PROFILE] busy per worker: {busy}"
            + (f"; balance {balance:.0%}" if balance is not None else "")
        )
    for entry in profile["slowest"]:
        out.append(f"[PROFILE] slow: {entry['duration_s']:.2f} s {entry['nodeid']}")
    if profile["peak_memory_kb"] is not None:
        out.append(
            f"[PROFILE] peak memory: {profile['peak_memory_kb'] / 1024:.1f} MiB "
            f"({profile['peak_memory_worker']})"
        )
    return out


def markdown(summary: dict[str, Any]) -> str:
    """A GitHub step summary of a run (``summary`` is run.json's content)."""
    profile, counts = summary["profile"], summary["tests"]
    verdict = "passed" if summary["exit_code"] == 0 else f"failed (exit {summary['exit_code']})"
    rows = [
        "## auditor run: " + verdict,
        "",
        "| tests | passed | failed | skipped | workers | collection | execution | total |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {counts['collected']} | {counts.get('passed', 0)} | {summary['failed_count']} | "
        f"{counts.get('skipped', 0)} | {profile['workers_used']} | "
        f"{_seconds(profile['collection_s'])} | {_seconds(profile['execution_s'])} | "
        f"{_seconds(profile['total_s'])} |",
        "",
        f"Workers: {profile['workers_reason']}",
        "",
    ]
    problems = [(f["nodeid"], f["outcome"], f["reason"] or "") for f in summary["failures"]]
    problems += [(nodeid, "never reported", "") for nodeid in summary["missing"]]
    if problems:
        rows += ["| test | outcome | reason |", "| --- | --- | --- |"]
        rows += [f"| `{n}` | {o} | {table_cell(r)} |" for n, o, r in problems[:50]]
        rows.append("")
    held = summary.get("quarantine")
    if held and (held["failed"] or held["expired"] or held["ready_to_leave"]):
        rows += _quarantine_rows(held)
    if profile["slowest"]:
        rows += ["<details><summary>Slowest tests</summary>", ""]
        rows += [f"- {e['duration_s']:.2f} s `{e['nodeid']}`" for e in profile["slowest"]]
        rows += ["", "</details>", ""]
    return "\n".join(rows)


def _quarantine_rows(held: dict[str, Any]) -> list[str]:
    forgiven = "not failing the run" if held["active"] else "quarantine off: failing the run"
    rows = [f"**Quarantine** (`{held['file']}`):", ""]
    for key, label in (
        ("failed", f"failed, {forgiven}"),
        ("expired", "expired entries, counted like any test"),
        ("ready_to_leave", "ready to leave (clean in the recorded runs)"),
    ):
        if held[key]:
            rows.append(f"- {label}: " + ", ".join(f"`{t}`" for t in held[key]))
    return [*rows, ""]
