"""The tmp_path codemod: a shared hard-coded path → a path under ``tmp_path``, every use alike."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.fix import apply
from auditor.fix.plan import Edit, Evidence, Fix
from auditor.fix.source import Target
from auditor.fix.tmp_path import rewrite
from auditor.fix.workspace import Workspace
from tests.test_fix import git_project

TEST = Target("tests/test_r.py", None, "test_report")
PATH = "build/report.json"


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CHANGED = [
    pytest.param(
        """
        from shop import reports

        REPORT_PATH = "build/report.json"  # shared with the weekly report


        def test_report():
            reports.write_report(REPORT_PATH, {"a": 1})
            assert reports.read_report(REPORT_PATH) == {"a": 1}
        """,
        """
        from shop import reports

        REPORT_PATH = "build/report.json"  # shared with the weekly report


        def test_report(tmp_path):
            reports.write_report(tmp_path / "report.json", {"a": 1})
            assert reports.read_report(tmp_path / "report.json") == {"a": 1}
        """,
        id="module-constant",
    ),
    pytest.param(
        """
        def test_report():
            with open("build/report.json", "w") as out:  # the literal itself
                out.write("x")
            backup = "build/report.json" + ".bak"
        """,
        """
        def test_report(tmp_path):
            with open(tmp_path / "report.json", "w") as out:  # the literal itself
                out.write("x")
            backup = str(tmp_path / "report.json") + ".bak"
        """,
        id="literal-argument-and-expression",
    ),
    pytest.param(
        """
        from pathlib import Path

        def test_report(capsys, retries=3) -> None:
            Path("./build/report.json").write_text("x")
        """,
        """
        from pathlib import Path

        def test_report(capsys, tmp_path: Path, retries=3) -> None:
            Path(tmp_path / "report.json").write_text("x")
        """,
        id="annotated-with-defaults-and-normalised-path",
    ),
    pytest.param(
        """
        \"\"\"Reports.\"\"\"

        import json


        def test_report() -> None:
            json.dump({}, open("build/report.json", "w"))
        """,
        """
        \"\"\"Reports.\"\"\"

        import json
        import pathlib


        def test_report(tmp_path: pathlib.Path) -> None:
            json.dump({}, open(tmp_path / "report.json", "w"))
        """,
        id="annotated-imports-pathlib",
    ),
    pytest.param(
        """
        class TestReports:
            def test_report(self):
                open("build/report.json", "w").close()
        """,
        """
        class TestReports:
            def test_report(self, tmp_path):
                open(tmp_path / "report.json", "w").close()
        """,
        id="method",
    ),
    pytest.param(
        """
        import json


        def test_report() -> None:
            from pathlib import Path

            Path("build/report.json").write_text(json.dumps({}))
        """,
        """
        import json
        import pathlib


        def test_report(tmp_path: pathlib.Path) -> None:
            from pathlib import Path

            Path(tmp_path / "report.json").write_text(json.dumps({}))
        """,
        id="annotated-path-imported-inside-the-test-is-not-seen-by-the-annotation",
    ),
    pytest.param(
        """
        try:
            from pathlib import Path
        except ImportError:  # pragma: no cover
            raise


        def test_report() -> None:
            Path("build/report.json").touch()
        """,
        """
        try:
            from pathlib import Path
        except ImportError:  # pragma: no cover
            raise


        def test_report(tmp_path: Path) -> None:
            Path(tmp_path / "report.json").touch()
        """,
        id="annotated-path-imported-under-try",
    ),
    pytest.param(
        """
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pathlib import Path


        def test_report() -> None:
            open("build/report.json", "w").close()
        """,
        """
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pathlib import Path


        def test_report(tmp_path: Path) -> None:
            open(tmp_path / "report.json", "w").close()
        """,
        id="annotated-path-for-type-checking-with-postponed-annotations",
    ),
    pytest.param(
        """
        import os.path as osp


        def test_report():
            open("build/report.json", "w").close()
            assert osp.exists("build/report.json")
        """,
        """
        import os.path as osp


        def test_report(tmp_path):
            open(tmp_path / "report.json", "w").close()
            assert osp.exists(tmp_path / "report.json")
        """,
        id="read-through-os-path-as-osp",
    ),
]


@pytest.mark.parametrize(("before", "after"), CHANGED)
def test_rewrites_every_use_of_the_path(before: str, after: str) -> None:
    target = TEST if "class " not in before else Target(TEST.path, "TestReports", "test_report")
    out = rewrite(_src(before), target, PATH)
    assert (out.status, out.code) == ("changed", _src(after))
    compile(out.code, "x.py", "exec")
    again = rewrite(out.code, target, PATH)
    assert (again.status, again.code) == ("already", out.code)  # applying twice = once


UNCHANGED = [
    pytest.param(
        """
        def test_report(tmp_path):
            (tmp_path / "report.json").write_text("x")
        """,
        "already",
        "no longer uses 'build/report.json'",
        id="already-fixed",
    ),
    pytest.param(
        """
        from shop import reports

        def test_report():
            reports.write_default_report()  # the path is inside the code under test
        """,
        "unfixable",
        "tests/test_r.py::test_report neither spells 'build/report.json' nor reads a module"
        " constant holding it",
        id="path-built-elsewhere",
    ),
    pytest.param(
        """
        REPORT_PATH = "build/report.json"

        def test_report(REPORT_PATH="other.json"):
            open(REPORT_PATH, "w").close()
        """,
        "unfixable",
        "neither spells",
        id="name-rebound-by-the-test",
    ),
    pytest.param(
        """
        def test_report():
            open(b"build/report.json", "wb").close()
            open("build/other.json", "w").close()
        """,
        "unfixable",
        "neither spells",
        id="bytes-and-other-paths",
    ),
    pytest.param(
        """
        import unittest

        class TestReports(unittest.TestCase):
            def test_report(self):
                open("build/report.json", "w").close()
        """,
        "unfixable",
        "is a unittest.TestCase method",
        id="testcase-method",
    ),
    pytest.param("def test_report(:\n", "unfixable", "does not parse", id="does-not-parse"),
    pytest.param(
        """
        def test_report(tmp_path):
            from pathlib import Path

            Path(tmp_path / "report.json").touch()
        """,
        "already",
        "no longer uses",
        id="already-fixed-with-an-import-inside-the-test",
    ),
    pytest.param(
        """
        def test_report():
            from shop import reports

            reports.write_default_report()
        """,
        "unfixable",
        "neither spells",
        id="path-built-by-code-imported-inside-the-test",
    ),
    pytest.param(
        """
        try:
            from pathlib import Path
        except ImportError:  # pragma: no cover
            raise

        def test_report(tmp_path: Path) -> None:
            (tmp_path / "report.json").touch()
        """,
        "already",
        "no longer uses",
        id="already-fixed-with-pathlib-under-try",
    ),
    pytest.param(
        """
        import os.path as osp

        def test_report():
            open(osp.join("build", "report.json"), "w").close()
        """,
        "unfixable",
        "neither spells",
        id="joined-through-os-path-as-osp",
    ),
]


@pytest.mark.parametrize(("code", "status", "reason"), UNCHANGED)
def test_leaves_alone_what_it_cannot_or_need_not_rewrite(
    code: str, status: str, reason: str
) -> None:
    target = TEST if "TestCase" not in code else Target(TEST.path, "TestReports", "test_report")
    out = rewrite(_src(code), target, PATH)
    assert (out.status, out.code) == (status, _src(code))
    assert reason in out.reason


def test_other_tests_and_nested_functions_keep_the_path() -> None:
    code = _src(
        """
        def helper():
            return "build/report.json"


        def test_report():
            def inner():
                return "build/report.json"
            open("build/report.json", "w").close()
        """
    )
    out = rewrite(code, TEST, PATH)
    assert out.code.count('"build/report.json"') == 2
    assert 'open(tmp_path / "report.json", "w")' in out.code


def test_a_bare_name_path_is_moved_under_tmp_path_once() -> None:
    # The path is its own file name: the literal in ``tmp_path / "out"`` is the same string.
    code = _src(
        """
        from shop import workspace

        def test_report():
            workspace.init("out")
            assert workspace.exists("out")
        """
    )
    once = rewrite(code, TEST, "out")
    assert once.status == "changed"
    assert 'workspace.init(tmp_path / "out")' in once.code
    again = rewrite(once.code, TEST, "out")
    assert (again.status, again.code) == ("already", once.code)


def test_a_fix_whose_possible_edits_are_in_place_is_already_made(tmp_path: Path) -> None:
    # A shared path: one test spells it (rewritten by the first fix), the other's fixture
    # builds it. A second fix finds the first edit in place and nothing to do in the other: it
    # is "already" (then proven by its evidence), as the first fix was kept, never "unfixable",
    # which would bring in the serial fallback on the second pass.
    root = git_project(
        tmp_path / "p",
        {
            "tests/test_w.py": 'def test_w(tmp_path):\n    open(tmp_path / "out", "w").close()\n',
            "tests/test_e.py": "def test_e(out_dir):\n    assert out_dir\n",
        },
    )
    edits = tuple(
        Edit("tmp_path", t, path="out")
        for t in ("tests/test_w.py::test_w", "tests/test_e.py::test_e")
    )
    fix = Fix(
        "shared-resource", "tests/test_w.py::test_w", "own copies", edits, Evidence("corun", ())
    )
    applied = apply.rewrite(fix, Workspace(root))
    assert [e.status for e in applied.edits] == ["already", "unfixable"]
    assert applied.status == "already"
