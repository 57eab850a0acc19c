"""``auditor merge DIR...``: the report folders of ``auditor run --shard I/N`` jobs as one run.

Each folder holds one shard's run.json (and the JUnit files it wrote). The merge checks that the
shards are one split of one collection — the same N, every index once, the same collected ids
(their digest) — and that every test ran exactly once: a test that ran on two shards, or on none
(a shard that died, a history that differed between jobs), fails the merge with its name. It
writes OUT/run.json (counts, failures, never-reported tests and the timeline of all shards, and
the exit code a single run would have had), OUT/junit.xml from the shards' JUnit files, and
OUT/report.html.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

from auditor.exits import RunExit, UsageError
from auditor.report import html, write_json
from auditor.report.run import RUN_SCHEMA


def merge(folders: list[Path], target: Path, out: IO[str] | None = None) -> RunExit:
    out = out or sys.stdout
    shards = [_shard_report(folder) for folder in folders]
    _same_split(shards, folders)
    ran: dict[str, int] = {}
    problems: list[str] = []
    for data in shards:
        index = data["shard"]["index"]
        timeline = {row[0] for row in data.get("timeline", [])}
        lost = set(data.get("missing", []))
        for test in data["shard"]["tests"]:
            if test not in timeline and test not in lost:
                problems.append(f"{test} did not run on shard {index}/{data['shard']['total']}")
        for test in timeline:
            if test in ran:
                problems.append(f"{test} ran on shards {ran[test]} and {index}")
            ran[test] = index
    collected = shards[0]["shard"]["collected"]
    listed = sum(len(d["shard"]["tests"]) for d in shards)
    if listed != collected:
        problems.append(f"the shards list {listed} tests, the collection has {collected}")
    merged = _merged(shards, problems)
    target.mkdir(parents=True, exist_ok=True)
    write_json(target / "run.json", merged)
    _junit(folders, target / "junit.xml")
    html.write(target)
    for problem in problems:
        print(f"auditor merge: {problem}", file=out)
    print(
        f"auditor merge: {len(shards)} shards, {len(ran)} of {collected} tests ran, "
        f"{merged['failed_count']} failed or lost; wrote {target / 'run.json'}",
        file=out,
    )
    return RunExit(merged["exit_code"])


def _shard_report(folder: Path) -> dict[str, Any]:
    path = folder / "run.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist: give the report folder of each shard") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable run report ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != RUN_SCHEMA or "shard" not in data:
        raise UsageError(f"{path} is not the report of an `auditor run --shard I/N`")
    return data


def _same_split(shards: list[dict[str, Any]], folders: list[Path]) -> None:
    totals = {d["shard"]["total"] for d in shards}
    digests = {d["shard"]["collected_sha256"] for d in shards}
    if len(totals) > 1 or len(digests) > 1:
        raise UsageError(
            "the shards come from different splits (another N, or another collection: run "
            "every shard on the same commit and selection)"
        )
    (total,) = totals
    indices = sorted(d["shard"]["index"] for d in shards)
    if indices != list(range(1, total + 1)):
        seen = ", ".join(str(i) for i in indices)
        raise UsageError(
            f"{len(folders)} report folders for {total} shards (indices {seen}): give each "
            "shard's folder once"
        )


def _merged(shards: list[dict[str, Any]], problems: list[str]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for data in shards:
        for key, value in data["tests"].items():
            if key != "collected":
                counts[key] = counts.get(key, 0) + value
    failures = [f for d in shards for f in d.get("failures", [])]
    missing = [t for d in shards for t in d.get("missing", [])]
    codes = [d["exit_code"] for d in shards]
    failed = bool(failures or missing or problems or RunExit.TESTS_FAILED in codes)
    worst = max((c for c in codes if c not in (RunExit.OK, RunExit.TESTS_FAILED)), default=None)
    code = worst if worst is not None else (RunExit.TESTS_FAILED if failed else RunExit.OK)
    timeline = sorted(
        (row for d in shards for row in d.get("timeline", [])), key=lambda r: (r[2] or 0, r[0])
    )
    first = shards[0]
    return {
        "schema": RUN_SCHEMA,
        "exit_code": int(code),
        "root": first["root"],
        "selection": first["selection"],
        "merged_shards": len(shards),
        "tests": {"collected": first["shard"]["collected"], **counts},
        "failed_count": len(failures) + len(missing),
        "failures": failures,
        "missing": missing,
        "notes": [*problems, *(n for d in shards for n in d.get("notes", []))],
        "profile": {
            "shards": [
                {
                    "index": d["shard"]["index"],
                    "tests": len(d["shard"]["tests"]),
                    "expected_s": d["shard"].get("expected_s"),
                    "total_s": d.get("profile", {}).get("total_s"),
                }
                for d in sorted(shards, key=lambda d: d["shard"]["index"])
            ]
        },
        "timeline": timeline,
    }


def _junit(folders: list[Path], target: Path) -> None:
    """The shards' JUnit files (any ``*.xml`` whose root is ``testsuites``) as one."""
    suites = []
    for folder in folders:
        for path in sorted(folder.glob("*.xml")):
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError:
                continue
            if root.tag == "testsuites":
                suites.extend(root.findall("testsuite"))
    if not suites:
        return
    merged = ET.Element("testsuites", name="auditor")
    for key in ("tests", "failures", "errors", "skipped"):
        merged.set(key, str(sum(int(s.get(key) or 0) for s in suites)))
    merged.set("time", f"{sum(float(s.get('time') or 0) for s in suites):.3f}")
    merged.extend(suites)
    ET.ElementTree(merged).write(target, encoding="utf-8", xml_declaration=True)
