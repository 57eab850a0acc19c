"""The serial codemod: ``@pytest.mark.serial("port:18765")`` on a test sharing a resource."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from auditor.fix.serial import rewrite
from auditor.fix.source import Target
from tests.helpers import auditor, git, run_pytest
from tests.test_fix import git_project

TEST = Target("tests/test_s.py", None, "test_health")
KEY = ("port:18765",)


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


CHANGED = [
    pytest.param(
        """
        \"\"\"Health.\"\"\"

        import json

        from shop.server import ShopServer


        # the smoke test
        def test_health() -> None:
            pass
        """,
        KEY,
        """
        \"\"\"Health.\"\"\"

        import json

        import pytest

        from shop.server import ShopServer


        # the smoke test
        @pytest.mark.serial("port:18765")
        def test_health() -> None:
            pass
        """,
        id="adds-import-pytest-in-its-own-group",
    ),
    pytest.param(
        """
        import pytest as pt


        @pt.mark.parametrize("x", [1, 2])
        def test_health(x):
            pass
        """,
        KEY,
        """
        import pytest as pt


        @pt.mark.serial("port:18765")
        @pt.mark.parametrize("x", [1, 2])
        def test_health(x):
            pass
        """,
        id="aliased-pytest-above-existing-decorators",
    ),
    pytest.param(
        """
        from pytest import mark


        def test_health():
            pass
        """,
        (),
        """
        from pytest import mark


        @mark.serial
        def test_health():
            pass
        """,
        id="from-pytest-import-mark-exclusive",
    ),
    pytest.param(
        """
        import pytest


        @pytest.mark.serial("file:a.db")
        def test_health():
            pass
        """,
        KEY,
        """
        import pytest


        @pytest.mark.serial("port:18765")
        @pytest.mark.serial("file:a.db")
        def test_health():
            pass
        """,
        id="adds-a-missing-key",
    ),
    pytest.param(
        """
        import unittest


        class TestHealth(unittest.TestCase):
            def test_health(self):
                pass
        """,
        KEY,
        """
        import unittest

        import pytest


        class TestHealth(unittest.TestCase):
            @pytest.mark.serial("port:18765")
            def test_health(self):
                pass
        """,
        id="testcase-method-marks-work",
    ),
    pytest.param(
        """
        import json


        def test_health():
            import pytest

            pytest.importorskip("shop")
        """,
        KEY,
        """
        import json

        import pytest


        @pytest.mark.serial("port:18765")
        def test_health():
            import pytest

            pytest.importorskip("shop")
        """,
        id="pytest-imported-inside-the-test-is-not-seen-by-the-mark",
    ),
    pytest.param(
        """
        try:
            import pytest as pt
        except ImportError:  # the suite also runs under unittest
            pt = None


        def test_health():
            pass
        """,
        KEY,
        """
        try:
            import pytest as pt
        except ImportError:  # the suite also runs under unittest
            pt = None


        @pt.mark.serial("port:18765")
        def test_health():
            pass
        """,
        id="pytest-imported-under-try",
    ),
]


@pytest.mark.parametrize(("before", "keys", "after"), CHANGED)
def test_marks_the_test(before: str, keys: tuple[str, ...], after: str) -> None:
    target = TEST if "class " not in before else Target(TEST.path, "TestHealth", "test_health")
    out = rewrite(_src(before), target, keys)
    assert (out.status, out.code) == ("changed", _src(after))
    compile(out.code, "x.py", "exec")
    again = rewrite(out.code, target, keys)
    assert (again.status, again.code) == ("already", out.code)  # applying twice = once


@pytest.mark.parametrize(
    ("code", "status"),
    [
        pytest.param(
            'import pytest\n\n@pytest.mark.serial("port:18765")\ndef test_health():\n    pass\n',
            "already",
            id="already-keyed",
        ),
        pytest.param(
            "import pytest\n\n@pytest.mark.serial\ndef test_health():\n    pass\n",
            "already",
            id="already-exclusive",
        ),
        pytest.param(
            "try:\n    from pytest import mark\nexcept ImportError:\n    raise\n\n"
            '@mark.serial("port:18765")\ndef test_health():\n    pass\n',
            "already",
            id="already-keyed-mark-imported-under-try",
        ),
        pytest.param(
            'import pytest\n\n@pytest.mark.serial("port:18765")\ndef test_health():\n'
            "    import pytest as pt\n",
            "already",
            id="already-keyed-and-pytest-imported-inside-the-test",
        ),
        pytest.param("def test_other():\n    pass\n", "unfixable", id="test-absent"),
        pytest.param("def test_health(:\n", "unfixable", id="does-not-parse"),
    ],
)
def test_no_op(code: str, status: str) -> None:
    out = rewrite(code, TEST, KEY)
    assert (out.status, out.code) == (status, code)


def test_a_keyed_mark_is_honoured_by_a_real_run(pytester: pytest.Pytester) -> None:
    """The rewritten file is valid pytest: both marked tests run and pass on two workers."""
    body = _src(
        """
        import time

        def test_health():
            time.sleep(0.2)

        def test_admin():
            time.sleep(0.2)
        """
    )
    code = rewrite(body, TEST, KEY).code
    code = rewrite(code, Target(TEST.path, None, "test_admin"), KEY).code
    pytester.makepyfile(test_s=code)
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "--strict-markers", "-v")
    result.assert_outcomes(passed=2)
    assert code.count('@pytest.mark.serial("port:18765")') == 2


def test_a_mark_above_a_wrapper_without_wraps_reaches_the_collected_test(
    pytester: pytest.Pytester,
) -> None:
    """knack's ``@redirect_io`` returns a wrapper of its own: a mark inside it was lost."""
    body = _src(
        """
        def redirect_io(func):
            def wrapper(self=None):
                return func()
            return wrapper


        @redirect_io
        def test_health():
            pass
        """
    )
    code = rewrite(body, TEST, KEY).code
    assert '@pytest.mark.serial("port:18765")\n@redirect_io\ndef test_health' in code
    (item,) = pytester.getitems(code)
    marker = item.get_closest_marker("serial")
    assert marker is not None and marker.args == ("port:18765",)


PORT_TESTS = "\n\n".join(f"def test_{n}():\n    pass\n" for n in [*"abcdefgh", "other"])


def test_every_test_whose_footprint_uses_the_resource_is_marked(tmp_path: Path) -> None:
    """knack: 138 tests remake one folder, the audit saw 61 pairs clash; the others, which its
    footprints saw using it (the report's ``latent`` entry), clashed under xdist after the fix."""
    root = git_project(tmp_path / "project", {"tests/test_ports.py": PORT_TESTS})
    a, b, *more = (f"tests/test_ports.py::test_{n}" for n in "abcdefgh")
    finding = {"kind": "shared-resource", "test": a, "tests": [a, b], "resources": ["port:18999"]}
    latent = {"resource": "port:18999", "tests": [a, b, *more], "coruns": 3}
    audit = tmp_path / "audit.json"
    audit.write_text(
        json.dumps({"schema": "auditor.audit/1", "findings": [finding], "latent": [latent]})
    )

    fixed = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")

    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    (serial,) = json.loads((root / "reports" / "fix.json").read_text())["fixes"]
    assert serial["status"] == "kept", serial
    assert serial["fix"].startswith("serial(port:18999): never run at the same time, and 6 more")
    text = (root / "tests" / "test_ports.py").read_text()
    for name in "abcdefgh":
        assert f'@pytest.mark.serial("port:18999")\ndef test_{name}():' in text
    assert "\n\ndef test_other():" in text and text.count("serial(") == 8
    assert run_pytest(root, "-p", "xdist", "-n", "2", "--strict-markers").returncode == 0
    # once more: every mark in place, said in a few words, not once per test
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fixed")
    auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")
    (again,) = json.loads((root / "reports" / "fix.json").read_text())["fixes"]
    assert again["status"] == "already" and again["reason"].endswith("; and 3 more"), again
