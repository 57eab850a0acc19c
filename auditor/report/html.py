"""``report.html``: one self-contained page for a report folder, rebuilt from its JSON files.

No script, no network, no CDN: the charts are inline SVG drawn here, so the page opens from a CI
artifact, a mail attachment or a file browser alike. Each command that writes a report rewrites
the page from what the folder holds: ``run.json`` (the verdict, the failures, the quarantine,
and a per-worker timeline of every test), ``audit.json`` (the findings with their evidence and
reproduce commands), ``scan.json`` (new, persisting and resolved findings, the trend of the
scans and the flake rates with their intervals).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.findings import AUDIT_SCHEMA
from auditor.report import write_text
from auditor.report.run import RUN_SCHEMA
from auditor.report.scan import SCAN_SCHEMA

PAGE = "report.html"
WIDTH = 960  #: the charts' width in pixels
COLOURS = {
    "passed": "#3a9a5b",
    "failed": "#d0453a",
    "error": "#d0453a",
    "crashed": "#8e1f17",
    "hang": "#8e1f17",
    "skipped": "#b0b0b0",
    "xfailed": "#9fb4c9",
    "xpassed": "#e0a030",
}
KINDS = {
    "order-dependent": "#d0453a",
    "brittle": "#e0a030",
    "shared-resource": "#7a5cc0",
    "non-deterministic": "#3a7fc0",
    "failing": "#555555",
    "crash": "#8e1f17",
    "hang": "#8e1f17",
}
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; table-layout: fixed; }
td, th { border-bottom: 1px solid #eee; padding: 4px 6px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
#changes th:nth-child(1) { width: 10%; } #changes th:nth-child(2) { width: 14%; }
#changes th:nth-child(3) { width: 34%; } #changes th:nth-child(5) { width: 10%; }
#failures th:nth-child(1) { width: 45%; } #failures th:nth-child(2) { width: 9%; }
#failures th:nth-child(3) { width: 7%; }
th { background: #f6f6f6; } code, pre { font: 12px ui-monospace, monospace; }
pre { background: #f6f6f6; padding: 6px 8px; white-space: pre-wrap; word-break: break-all; }
.kind { color: #fff; border-radius: 3px; padding: 1px 6px; font-size: 12px; white-space: nowrap; }
.muted { color: #777; } svg text { font: 11px system-ui, sans-serif; }
"""


SCHEMAS = {"run": RUN_SCHEMA, "audit": AUDIT_SCHEMA, "scan": SCAN_SCHEMA}


def write(report_dir: Path) -> Path:
    """Rebuild ``report.html`` from the folder's reports; its path."""
    reports = {name: _read(report_dir / f"{name}.json", schema) for name, schema in SCHEMAS.items()}
    path = report_dir / PAGE
    write_text(path, page(reports))
    return path


def page(reports: dict[str, dict[str, Any] | None]) -> str:
    """The page: the scan, the run and the audit, each when its report is there. A report
    another version wrote, or one edited by hand, is named instead of failing the command."""
    sections = []
    for name, draw in (("scan", _scan), ("run", _run), ("audit", _audit)):
        data = reports.get(name)
        if data is None:
            continue
        try:
            sections.append(draw(data))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            sections.append(
                f'<p class="muted">{name}.json could not be shown ({_e(type(exc).__name__)}: '
                f"{_e(exc)}); run the command again to rewrite it.</p>"
            )
    if not sections:
        sections.append("<p>No report in this folder yet.</p>")
    made = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>auditor report</title><style>{STYLE}</style></head><body>"
        f'<h1>auditor report</h1><p class="muted">Written {made}.</p>'
        + "".join(sections)
        + "</body></html>\n"
    )


def _read(path: Path, schema: str) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == schema else None


def _e(text: object) -> str:
    return html.escape(str(text))


def _kind(kind: str) -> str:
    colour = KINDS.get(kind, "#555")
    return f'<span class="kind" style="background:{colour}">{_e(kind)}</span>'


def _tests(finding: dict[str, Any]) -> str:
    return ", ".join(f"<code>{_e(t)}</code>" for t in finding.get("tests") or [finding["test"]])


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], ident: str) -> str:
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{ident}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


# -- run ------------------------------------------------------------------------------------


def _run(run: dict[str, Any]) -> str:
    verdict = "passed" if run["exit_code"] == 0 else f"failed (exit {run['exit_code']})"
    counts = run["tests"]
    profile = run.get("profile", {})
    parts = [
        f'<section id="run"><h2>auditor run: {_e(verdict)}</h2>',
        f"<p>{counts.get('collected', 0)} tests, {counts.get('passed', 0)} passed, "
        f"{run['failed_count']} failed or lost, workers: {_e(profile.get('workers_reason', ''))}"
        f"; {profile.get('total_s', 0)} s.</p>",
    ]
    failures = [
        (
            f"<code>{_e(f['nodeid'])}</code>",
            _e(f["outcome"]),
            _e(f.get("worker") or ""),
            _e((f.get("reason") or "").splitlines()[0] if f.get("reason") else ""),
        )
        for f in run.get("failures", [])
    ]
    if failures:
        parts.append(_table(("test", "outcome", "worker", "reason"), failures, "failures"))
    held = run.get("quarantine")
    if held and any(held[k] for k in ("failed", "expired", "ready_to_leave")):
        forgiven = " (not failing the run)" if held["active"] else ""
        items = [
            f"<li>{label}: " + ", ".join(f"<code>{_e(t)}</code>" for t in held[key]) + "</li>"
            for key, label in (
                ("failed", f"quarantined, failed{forgiven}"),
                ("expired", "expired entries"),
                ("ready_to_leave", "ready to leave"),
            )
            if held[key]
        ]
        parts.append(f'<h3>Quarantine</h3><ul id="quarantine">{"".join(items)}</ul>')
    if run.get("timeline"):
        parts.append("<h3>Timeline</h3>" + timeline(run["timeline"]))
    parts.append("</section>")
    return "".join(parts)


def timeline(rows: Sequence[Sequence[Any]]) -> str:
    """Per worker, a bar per test from its start to its stop, coloured by outcome, and a grey
    one before it for its wait for ``serial`` locks; ``rows``: ``[nodeid, worker, start, stop,
    outcome, serial wait]`` as run.json's ``timeline`` holds them."""
    timed = [r for r in rows if r[2] is not None and r[3] is not None]
    if not timed:
        return '<p class="muted">No test has start and stop times.</p>'
    workers = sorted({str(r[1]) for r in timed})
    first, last = min(r[2] for r in timed), max(r[3] for r in timed)
    span = max(last - first, 1e-6)
    left, lane = 60, 22
    scale = (WIDTH - left - 10) / span
    height = lane * len(workers) + 30
    bars = []
    for nodeid, worker, start, stop, outcome, *rest in timed:
        x = left + (start - first) * scale
        width = max((stop - start) * scale, 1.0)
        y = 6 + workers.index(str(worker)) * lane
        colour = COLOURS.get(outcome, "#888")
        waited = float(rest[0]) if rest and rest[0] else 0.0
        if waited:  # the wait for serial locks, just before the test started
            bars.append(
                f'<rect class="wait" x="{x - waited * scale:.1f}" y="{y + 4}" '
                f'width="{max(waited * scale, 1.0):.1f}" height="{lane - 14}" fill="#c8c8c8">'
                f"<title>{_e(nodeid)}: waited {waited:.3f} s for serial locks</title></rect>"
            )
        title = f"{nodeid}: {outcome}, {stop - start:.3f} s on {worker}"
        bars.append(
            f'<rect class="test {_e(outcome)}" x="{x:.1f}" y="{y}" width="{width:.1f}" '
            f'height="{lane - 6}" fill="{colour}"><title>{_e(title)}</title></rect>'
        )
    labels = "".join(
        f'<text x="4" y="{6 + i * lane + 12}">{_e(w)}</text>' for i, w in enumerate(workers)
    )
    axis = "".join(
        f'<text x="{left + i * (WIDTH - left - 10) / 4:.0f}" y="{height - 6}" '
        f'text-anchor="{"end" if i == 4 else "start"}">{span * i / 4:.1f} s</text>'
        for i in range(5)
    )
    return (
        f'<svg id="timeline" role="img" aria-label="tests per worker over time" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">'
        f"{labels}{''.join(bars)}{axis}</svg>"
    )


# -- audit ----------------------------------------------------------------------------------


def _audit(audit: dict[str, Any]) -> str:
    from auditor.quarantine import cause_of

    cost = audit["cost"]
    partial = f" (partial: {_e(audit['stopped'])})" if audit.get("partial") else ""
    parts = [
        f'<section id="audit"><h2>auditor audit{partial}</h2>',
        f"<p>{audit['tests']} tests, {len(audit['findings'])} findings; {cost['runs']} runs in "
        f"{cost['seconds']:.0f} s ({cost['sequential_runs']}× one sequential run); campaign seed "
        f"{audit['seed']}.</p>",
    ]
    for finding in audit["findings"]:
        subject = _tests(finding)
        reason = (finding.get("reason") or "").splitlines()[0] if finding.get("reason") else ""
        cause = cause_of(finding)
        if not cause.startswith("failed "):  # else the cause is the tally
            cause += (
                f"; failed {finding.get('failures', 0)} of {finding.get('runs', 0)} observations"
            )
        parts.append(
            f'<div class="finding">{_kind(finding["kind"])} {subject}<p>{_e(cause)}'
            + (f"; <code>{_e(reason)}</code>" if reason else "")
            + f"</p><pre>{_e(finding['reproduce'])}</pre></div>"
        )
    if not audit["findings"]:
        parts.append("<p>No finding: every test that ran is isolated in these runs.</p>")
    parts.append("</section>")
    return "".join(parts)


# -- scan -----------------------------------------------------------------------------------


def _scan(scan: dict[str, Any]) -> str:
    counts = scan["counts"]
    statuses = ("new", "persisting", "resolved", "unconfirmed")
    summary = ", ".join(f"{counts[s]} {s}" for s in statuses)
    parts = [f'<section id="scan"><h2>auditor scan: {_e(summary)}</h2>']
    rows = [
        (
            _e(c["status"]),
            _kind(c["kind"]),
            _tests(c),
            _e(c["cause"]),
            _e((c.get("first_seen") or "")[:10]),
        )
        for c in scan["changes"]
    ]
    if rows:
        parts.append(_table(("status", "kind", "test", "cause", "first seen"), rows, "changes"))
    if scan.get("trend"):
        parts.append("<h3>Findings per scan</h3>" + trend(scan["trend"]))
    rates = scan["flake_rates"]["tests"]
    if rates:
        parts.append(
            f"<h3>Flake rates ({scan['flake_rates']['recorded_runs']} recorded runs)</h3>"
            + flake_chart(rates)
        )
    parts.append("</section>")
    return "".join(parts)


def trend(points: Sequence[dict[str, Any]]) -> str:
    """Findings per scan over time, stacked by kind: ``points`` as scan.json's ``trend``."""
    left, bottom, height = 40, 24, 200
    top = max((sum(p["by_kind"].values()) for p in points), default=0) or 1
    step = (WIDTH - left - 10) / max(len(points), 1)
    bars = []
    for i, point in enumerate(points):
        y = height - bottom
        for kind, count in sorted(point["by_kind"].items()):
            tall = count * (height - bottom - 10) / top
            y -= tall
            bars.append(
                f'<rect class="scan" x="{left + i * step + 2:.1f}" y="{y:.1f}" '
                f'width="{max(step - 4, 2):.1f}" height="{tall:.1f}" '
                f'fill="{KINDS.get(kind, "#888")}"><title>{_e(point["time"][:16])}: {count} '
                f"{_e(kind)}</title></rect>"
            )
    ticks = "".join(
        f'<text x="4" y="{height - bottom - n * (height - bottom - 10) / top + 4:.0f}">{n}</text>'
        for n in sorted({0, top // 2, top})
    )
    dates = "".join(
        f'<text x="{left + i * step + 2:.0f}" y="{height - 6}">'
        f"{_e(p['time'][5:16].replace('T', ' '))}</text>"
        for i, p in enumerate(points)
        if len(points) <= 12 or i % (len(points) // 12 + 1) == 0
    )
    return (
        f'<svg id="trend" role="img" aria-label="findings per scan" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}">{ticks}{"".join(bars)}{dates}</svg>'
    )


def flake_chart(rates: Sequence[dict[str, Any]]) -> str:
    """Each test's flake rate as a bar, its 95 % interval as a line across it."""
    shown = rates[:30]
    left, lane = 420, 20
    height = lane * len(shown) + 24
    scale = WIDTH - left - 110
    rows = []
    for i, rate in enumerate(shown):
        y = 4 + i * lane
        low, high = rate["interval_95"]
        name = rate["test"] if len(rate["test"]) <= 64 else "…" + rate["test"][-63:]
        rows.append(
            f'<text x="4" y="{y + 12}">{_e(name)}</text>'
            f'<rect class="rate" x="{left}" y="{y + 3}" width="{rate["rate"] * scale:.1f}" '
            f'height="{lane - 8}" fill="#d0453a"><title>{rate["failures"]} of {rate["runs"]} runs'
            f"</title></rect>"
            f'<line x1="{left + low * scale:.1f}" x2="{left + high * scale:.1f}" y1="{y + 8}" '
            f'y2="{y + 8}" stroke="#222" stroke-width="1.5"/>'
            f'<text x="{left + scale + 6}" y="{y + 12}">{rate["rate"]:.0%} '
            f"({rate['failures']}/{rate['runs']})</text>"
        )
    axis = (
        f'<text x="{left}" y="{height - 4}">0 %</text>'
        f'<text x="{left + scale - 30}" y="{height - 4}">100 %</text>'
    )
    return (
        f'<svg id="flake-rates" role="img" aria-label="flake rates with 95 % intervals" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">'
        f"{''.join(rows)}{axis}</svg>"
    )
