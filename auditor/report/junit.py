"""JUnit XML of one ``auditor run``, from its per-test records (``--junitxml PATH``).

What GitLab's test report, Jenkins, Trunk and CircleCI's timing split read: one ``testcase`` per
test with ``classname`` and ``name`` (as pytest's own: the module path dotted, then the class;
the function with its parameters), ``file`` and ``line`` (pytest's default xunit2 has neither),
``time``; properties ``worker``, ``serial_wait`` (seconds it waited for ``serial`` locks) and,
for a quarantined test, ``quarantined``. A failure is
``<failure>``; an error in set-up or teardown, a crash, a hang and a test collected but never
reported are ``<error>``; a skip or an expected failure ``<skipped>``. A quarantined test's
failure, when the quarantine is on, is ``<skipped type="quarantined">`` with the failure in its
message: the build does not fail on it, and the report does not hide it. Paths are relative to
the repository's root, so a project in a subfolder links to the right file.
"""

from __future__ import annotations

import datetime as dt
import socket
import xml.etree.ElementTree as ET
from collections.abc import Collection
from pathlib import Path

from auditor.model import RunResult, TestRecord

ERRORS = frozenset({"error", "crashed", "hang"})
SKIPS = frozenset({"skipped", "xfailed"})


def build(
    result: RunResult, *, base: Path, quarantined: Collection[str], forgiven: bool
) -> ET.ElementTree:
    """The JUnit document; ``base``: the folder paths are relative to (the repository's root);
    ``quarantined``: the live entries' tests; ``forgiven``: whether the quarantine is on."""
    records = [*result.tests, *_lost(result)]
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    suite = ET.Element("testsuite", name="auditor run")
    for record in records:
        held = record.nodeid in quarantined
        kind = _kind(record, held and forgiven)
        if kind:
            counts[{"failure": "failures", "error": "errors"}.get(kind, "skipped")] += 1
        suite.append(_case(record, result, base, held, kind))
    total = f"{sum(r.duration for r in result.tests):.3f}"
    stamp = dt.datetime.fromtimestamp(result.session_start or 0, dt.timezone.utc)
    tally = {"tests": str(len(records)), **{k: str(v) for k, v in counts.items()}, "time": total}
    suite.attrib.update(tally)
    suite.set("timestamp", stamp.isoformat(timespec="seconds"))
    suite.set("hostname", socket.gethostname())
    root = ET.Element("testsuites", {"name": "auditor", **tally})
    root.append(suite)
    ET.indent(root)
    return ET.ElementTree(root)


def write(tree: ET.ElementTree, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _lost(result: RunResult) -> list[TestRecord]:
    return [
        TestRecord(nodeid, "crashed", 0.0, None, None, None, "never reported: its worker died")
        for nodeid in result.missing
    ]


def _kind(record: TestRecord, forgiven: bool) -> str | None:
    if record.outcome in SKIPS:
        return "skipped"
    if record.outcome == "failed":
        return "skipped" if forgiven else "failure"
    if record.outcome in ERRORS:
        return "skipped" if forgiven else "error"
    return None


def _case(
    record: TestRecord, result: RunResult, base: Path, held: bool, kind: str | None
) -> ET.Element:
    path, _, rest = record.nodeid.partition("::")
    parts = rest.split("::")
    module = path.removesuffix(".py").replace("/", ".")
    case = ET.Element(
        "testcase",
        classname=".".join([module, *parts[:-1]]),
        name=parts[-1],
        file=relative_file(record, result, base),
        time=f"{record.duration:.3f}",
    )
    if record.line is not None:
        case.set("line", str(record.line))
    properties = ET.SubElement(case, "properties")
    if record.worker:
        ET.SubElement(properties, "property", name="worker", value=record.worker)
    if record.serial_wait:
        ET.SubElement(properties, "property", name="serial_wait", value=f"{record.serial_wait:.3f}")
    if held:
        ET.SubElement(properties, "property", name="quarantined", value="true")
    reason = record.reason or record.outcome
    if kind == "skipped" and record.outcome not in SKIPS:  # a quarantined failure
        ET.SubElement(
            case, "skipped", type="quarantined", message=f"quarantined {record.outcome}: {reason}"
        )
    elif kind:
        element = ET.SubElement(case, kind, message=reason[:500], type=record.outcome)
        element.text = reason
    return case


def relative_file(record: TestRecord, result: RunResult, base: Path) -> str:
    """The test's file relative to ``base`` (POSIX), through pytest's rootdir."""
    name = record.file or record.nodeid.partition("::")[0]
    path = Path(result.rootdir) / name if result.rootdir else Path(name)
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return Path(name).as_posix()
