"""``auditor fix``: every safety promise, on one throwaway git project fixed once (``--diff``
first, then for real), with an audit report written by hand as other tools would read it.

* a fixable polluter is rewritten and proven by its evidence;
* a rewrite whose evidence still fails (the leak is in a helper) is reverted byte for byte;
* a file with uncommitted changes and a file that does not parse are left alone;
* a shared file the tests do not spell themselves falls back to a keyed ``serial`` mark, and the
  marker is registered in the project's configuration;
* a rewrite whose evidence hangs is stopped at the audit's per-test timeout and reverted;
* ``--diff`` prints the rewrites and writes nothing;
* a malformed audit report is a usage error naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Completed, auditor, git, run_pytest, write_suite

FIXABLE = """\
import os


def test_polluter():
    os.environ["AUDITOR_T_MODE"] = "debug"  # leaks
    assert os.environ["AUDITOR_T_MODE"] == "debug"


def test_victim():
    assert "AUDITOR_T_MODE" not in os.environ


def test_sometimes():
    pass
"""

HELPER_LEAK = """\
import os


def _configure():
    os.environ["AUDITOR_T_OTHER"] = "1"


def test_polluter():
    os.environ["AUDITOR_T_SEEN"] = "1"
    _configure()


def test_victim():
    assert "AUDITOR_T_OTHER" not in os.environ
"""

DIRTY = """\
import os


def test_polluter():
    os.environ["AUDITOR_T_DIRTY"] = "1"


def test_victim():
    assert "AUDITOR_T_DIRTY" not in os.environ
"""

SHARED = """\
import time
from pathlib import Path


def _spool() -> Path:
    return Path("build") / "spool.txt"


def _write_and_read(text):
    path = _spool()
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    time.sleep(0.3)
    return path.read_text()


def test_writer_a():
    assert _write_and_read("a") == "a"


def test_writer_b():
    assert _write_and_read("b") == "b"
"""

#: the audit named a polluter, and the victim passes after it: nothing would prove a fix
STALE = """\
import os


def test_polluter():
    os.environ["AUDITOR_T_STALE"] = "1"


def test_victim():
    assert os.environ.get("AUDITOR_T_STALE") in (None, "1")


def test_leaker():
    os.environ["AUDITOR_T_LEAKS"] = "1"


def test_reader():
    assert "AUDITOR_T_LEAKS" not in os.environ
"""

HANGS = """\
import os
import time


def test_polluter():
    os.environ["AUDITOR_T_READY"] = "1"  # leaks


def test_victim():
    # Fails at once after the leak; without it, waits for what never comes (what the fix's
    # evidence then meets).
    assert "AUDITOR_T_READY" not in os.environ
    while True:
        time.sleep(0.05)
"""

FINDINGS = [
    {
        "kind": "order-dependent",
        "test": "tests/test_fixable.py::test_victim",
        "polluters": ["tests/test_fixable.py::test_polluter"],
        "state": ["env:AUDITOR_T_MODE"],
    },
    {
        "kind": "order-dependent",
        "test": "tests/test_helper_leak.py::test_victim",
        "polluters": ["tests/test_helper_leak.py::test_polluter"],
        "state": ["env:AUDITOR_T_SEEN"],
    },
    {
        "kind": "order-dependent",
        "test": "tests/test_dirty.py::test_victim",
        "polluters": ["tests/test_dirty.py::test_polluter"],
        "state": ["env:AUDITOR_T_DIRTY"],
    },
    {
        "kind": "order-dependent",
        "test": "tests/test_broken.py::test_victim",
        "polluters": ["tests/test_broken.py::test_polluter"],
        "state": ["env:AUDITOR_T_BROKEN"],
    },
    {
        "kind": "shared-resource",
        "test": "tests/test_shared.py::test_writer_a",
        "tests": ["tests/test_shared.py::test_writer_a", "tests/test_shared.py::test_writer_b"],
        "resources": ["file:build/spool.txt"],
    },
    {
        "kind": "order-dependent",
        "test": "tests/test_hangs.py::test_victim",
        "polluters": ["tests/test_hangs.py::test_polluter"],
        "state": ["env:AUDITOR_T_READY"],
    },
    {
        "kind": "order-dependent",
        "test": "tests/test_stale.py::test_victim",
        "polluters": ["tests/test_stale.py::test_polluter"],
        "state": ["env:AUDITOR_T_STALE"],
    },
    {
        "kind": "order-dependent",
        "test": "tests/test_stale.py::test_reader",
        "polluters": ["tests/test_stale.py::test_leaker"],
        "state": ["env:AUDITOR_T_LEAKS"],
    },
    {"kind": "non-deterministic", "test": "tests/test_fixable.py::test_sometimes"},
]
#: the audit's per-test limits: 60 s by default, 2 s for the test that will hang
LIMITS = {"timeout_s": 60.0, "timeouts": {"tests/test_hangs.py::test_victim": 2.0}}


def git_project(root: Path, files: dict[str, str]) -> Path:
    """A suite committed to a fresh git repository."""
    write_suite(root, files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "suite")
    return root


class Fixed:
    def __init__(self, root: Path, before: dict[str, bytes], diff: Completed, fix: Completed):
        self.root, self.before, self.diff, self.fix = root, before, diff, fix
        self.report: dict[str, Any] = json.loads((root / "reports" / "fix.json").read_text())

    def fixes(self, test: str) -> list[dict[str, Any]]:
        return [f for f in self.report["fixes"] if f["test"] == test]

    def unchanged(self, name: str) -> bool:
        return (self.root / name).read_bytes() == self.before[name]


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Fixed:
    root = git_project(
        tmp_path_factory.mktemp("fix") / "project",
        {
            "tests/test_fixable.py": FIXABLE,
            "tests/test_helper_leak.py": HELPER_LEAK,
            "tests/test_dirty.py": DIRTY,
            "tests/test_broken.py": "def test_victim(:\n    pass\n",
            "tests/test_shared.py": SHARED,
            "tests/test_hangs.py": HANGS,
            "tests/test_stale.py": STALE,
        },
    )
    (root / "tests" / "test_dirty.py").write_text(DIRTY + "\n# work in progress\n")
    audit = root.parent / "audit.json"
    report = {"schema": "auditor.audit/1", "limits": LIMITS, "findings": FINDINGS}
    audit.write_text(json.dumps(report))
    names = [
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
    ]
    before = {name: (root / name).read_bytes() for name in names}
    diff = auditor(root, "fix", "--from", str(audit), "--diff")
    snapshot = {name: (root / name).read_bytes() for name in names}
    assert snapshot == before, "--diff wrote to the project"
    fix = auditor(root, "fix", "--from", str(audit), "--closing-orders", "1")
    return Fixed(root, before, diff, fix)


def test_diff_prints_the_rewrites_and_writes_nothing(fixed: Fixed) -> None:
    out = fixed.diff.stdout
    assert "--- a/tests/test_fixable.py" in out and "+++ b/tests/test_fixable.py" in out
    assert '+    monkeypatch.setenv("AUDITOR_T_MODE", "debug")  # leaks' in out
    assert '+@pytest.mark.serial("file:build/spool.txt")' in out
    assert fixed.diff.returncode == 1  # files would change
    # (the fixture compared every file before and after --diff)


def test_a_proven_rewrite_is_kept(fixed: Fixed) -> None:
    assert fixed.fix.returncode == 1, fixed.fix.stdout + fixed.fix.stderr
    (entry,) = fixed.fixes("tests/test_fixable.py::test_victim")
    assert entry["status"] == "kept"
    assert entry["verification"]["runs"][0]["passed"] is True
    text = (fixed.root / "tests/test_fixable.py").read_text()
    assert (
        'def test_polluter(monkeypatch):\n    monkeypatch.setenv("AUDITOR_T_MODE", "debug")' in text
    )
    assert "tests/test_fixable.py" in fixed.report["files_changed"]
    command = entry["verification"]["runs"][0]["command"].split()[1:]
    assert run_pytest(fixed.root, *command).returncode == 0  # the recorded command passes now
    markdown = (fixed.root / "reports" / "fix.md").read_text()
    assert "## kept: `tests/test_fixable.py::test_victim`" in markdown


def test_an_unproven_rewrite_is_reverted(fixed: Fixed) -> None:
    entry, restore = fixed.fixes("tests/test_helper_leak.py::test_victim")
    assert entry["status"] == "reverted"
    assert "the evidence still fails" in entry["reason"]
    # then the polluter saving and restoring the state named: not what leaks, so reverted too
    assert (restore["status"], restore["instead_of"]) == ("reverted", entry["fix"])
    assert "not in environ({...})" in entry["reason"]  # the environment stays out of reports
    assert entry["edits"][0]["statements"] == ['os.environ["AUDITOR_T_SEEN"] = "1"']
    assert fixed.unchanged("tests/test_helper_leak.py")
    remaining = {r["test"] for r in fixed.report["remaining"]}
    assert "tests/test_helper_leak.py::test_victim" in remaining


def test_a_rewrite_whose_evidence_hangs_is_reverted(fixed: Fixed) -> None:
    entry, restore = fixed.fixes("tests/test_hangs.py::test_victim")
    assert restore["status"] == "reverted" and restore["reason"].startswith("hung: ")
    assert entry["status"] == "reverted"
    assert entry["reason"].startswith(
        "hung: tests/test_hangs.py::test_victim gave no result after its 2 s timeout"
    )
    (run,) = entry["verification"]["runs"]
    assert run["failed"] == ["tests/test_hangs.py::test_victim"]
    assert "--auditor-timeout" not in run["command"]  # the plugin's options are not the user's
    assert fixed.unchanged("tests/test_hangs.py")


def test_a_finding_whose_evidence_passes_before_any_rewrite_is_left_alone(fixed: Fixed) -> None:
    """A rewrite is kept when its evidence passes: that proves something only if the evidence
    failed before it. The finding's evidence is run first; passing, nothing is rewritten."""
    (entry,) = fixed.fixes("tests/test_stale.py::test_victim")  # no fallback tried either
    assert entry["status"] == "skipped"
    command = "pytest -p xdist -p no:randomly -n 0 tests/test_stale.py::test_polluter"
    assert entry["reason"].startswith(f"its evidence passes before any rewrite ({command} ")
    assert "does not reproduce now" in entry["reason"]
    (fixable,) = fixed.fixes("tests/test_stale.py::test_reader")
    assert fixable["status"] == "kept"  # its evidence failed first
    text = (fixed.root / "tests/test_stale.py").read_text()  # only that fix is in the file
    assert 'def test_polluter():\n    os.environ["AUDITOR_T_STALE"] = "1"\n' in text
    assert 'monkeypatch.setenv("AUDITOR_T_LEAKS", "1")' in text


def test_a_file_with_uncommitted_changes_is_left_alone(fixed: Fixed) -> None:
    assert fixed.unchanged("tests/test_dirty.py")
    skipped = {s["path"]: s["reason"] for s in fixed.report["skipped_files"]}
    assert "uncommitted changes" in skipped["tests/test_dirty.py"]
    assert "--force" in skipped["tests/test_dirty.py"]
    (entry,) = fixed.fixes("tests/test_dirty.py::test_victim")
    assert entry["status"] == "skipped"


def test_a_file_that_does_not_parse_is_reported_and_skipped(fixed: Fixed) -> None:
    assert fixed.unchanged("tests/test_broken.py")
    skipped = {s["path"]: s["reason"] for s in fixed.report["skipped_files"]}
    assert "does not parse" in skipped["tests/test_broken.py"]


def test_a_shared_path_built_elsewhere_falls_back_to_a_keyed_serial_mark(fixed: Fixed) -> None:
    tmp, serial = fixed.fixes("tests/test_shared.py::test_writer_a")
    assert tmp["status"] == "unfixable"  # the tests do not spell the path: tmp_path cannot help
    assert serial["status"] == "kept" and serial["instead_of"] == tmp["fix"]
    assert len(serial["verification"]["runs"]) == 3  # co-run three times on two workers
    text = (fixed.root / "tests/test_shared.py").read_text()
    assert text.count('@pytest.mark.serial("file:build/spool.txt")\ndef test_writer_') == 2
    assert text.startswith("import time\nfrom pathlib import Path\n\nimport pytest\n")
    assert fixed.report["marker"] == {"file": "pytest.ini", "status": "added", "reason": None}
    # registered: the marks pass --strict-markers without auditor's plugin
    plain = run_pytest(fixed.root, "-p", "no:auditor", "--strict-markers", "tests/test_shared.py")
    assert plain.returncode == 0, plain.stdout


def test_the_closing_campaign_and_the_quarantine(fixed: Fixed) -> None:
    assert fixed.report["quarantine"] == ["tests/test_fixable.py::test_sometimes"]
    # fix writes no quarantine file (migrate does): it says how, not that it quarantined
    assert not (fixed.root / "quarantine.toml").exists()
    said = next(line for line in fixed.fix.stdout.splitlines() if "never rewritten" in line)
    assert said.startswith(
        "non-deterministic, never rewritten: tests/test_fixable.py::test_sometimes "
        "(to quarantine it: auditor quarantine add --from "  # the audit fix read
    )
    assert said.endswith("audit.json tests/test_fixable.py::test_sometimes)")
    runs = fixed.report["closing"]["runs"]
    assert [" -n 0 " in r["command"] for r in runs] == [True, False]
    assert all("--deselect=tests/test_fixable.py::test_sometimes" in r["command"] for r in runs)


def test_every_changed_file_compiles_and_the_rest_is_untouched(fixed: Fixed) -> None:
    changed = set(fixed.report["files_changed"])
    assert changed == {"tests/test_fixable.py", "tests/test_shared.py", "tests/test_stale.py"}
    for name in fixed.before:
        if name in changed:
            compile((fixed.root / name).read_text(), name, "exec")
        elif name != "pytest.ini" and not name.startswith("reports/"):
            assert fixed.unchanged(name), name


def test_a_missing_audit_is_a_usage_error(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "p", {"tests/test_a.py": "def test_a():\n    pass\n"})
    result = auditor(root, "fix")
    assert result.returncode == 2
    assert "run `auditor audit` first" in result.stderr


VICTIM = {
    "kind": "order-dependent",
    "test": "tests/test_a.py::test_a",
    "polluters": ["tests/test_a.py::test_p"],
}


@pytest.mark.parametrize(
    ("report", "field"),
    [
        (
            {"findings": [{k: v for k, v in VICTIM.items() if k != "test"}]},
            "findings[0] has no 'test'",
        ),
        (
            {"findings": [{**VICTIM, "polluters": "tests/test_a.py::test_p"}]},
            "findings[0].polluters is a string",
        ),
        ({"findings": [{**VICTIM, "kind": "leaky"}]}, "findings[0].kind is 'leaky'"),
        ({"findings": [VICTIM], "limits": {"timeout_s": "60"}}, "limits.timeout_s is not"),
    ],
    ids=["no test", "polluters a string", "unknown kind", "timeout a string"],
)
def test_a_malformed_audit_is_a_usage_error_naming_the_field(
    tmp_path: Path, report: dict[str, Any], field: str
) -> None:
    root = write_suite(tmp_path / "p", {"tests/test_a.py": "def test_a():\n    pass\n"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "auditor.audit/1", **report}))
    result = auditor(root, "fix", "--from", str(bad))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"ERROR: {bad}: " in result.stderr and field in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "reports" / "fix.json").exists()
