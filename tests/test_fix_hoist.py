"""The hoist codemod: a brittle ``unittest.TestCase`` method whose state-setter is a test of its own
class, the class's ``setUp`` writing the named state after the statement that reads it. Tables
(before/after, applied twice, left alone), the plan, and the fix run for real."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from auditor.findings import Finding
from auditor.fix.hoist import rewrite
from auditor.fix.plan import plan
from auditor.fix.source import Target
from tests.helpers import clean_env, run_pytest

BRITTLE = "TestDeploy::test_region"
SETTER = "tests/test_deploy.py::TestDeploy::test_list"


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def case(name: str, before: str, after: str, *state: str) -> Any:
    return pytest.param(_src(before), _src(after), state, id=name)


HOISTED = [
    case(
        "an-environment-write-after-the-read",
        """
        import os
        import unittest


        class TestDeploy(unittest.TestCase):
            def setUp(self):
                self.config = load_config()
                # the helper reads the region from the environment
                os.environ["REGION"] = "eu"

            def test_region(self):
                self.assertEqual(self.config.region, "eu")
        """,
        """
        import os
        import unittest


        class TestDeploy(unittest.TestCase):
            def setUp(self):
                # the helper reads the region from the environment
                os.environ["REGION"] = "eu"
                self.config = load_config()

            def test_region(self):
                self.assertEqual(self.config.region, "eu")
        """,
        "env:REGION",
    ),
    case(
        "after-a-docstring-and-another-fix-s-restore-aliased-import",
        """
        import os as system
        from unittest import TestCase


        class TestDeploy(TestCase):
            def setUp(self):
                \"\"\"A deploy client.\"\"\"
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(system.environ.pop, "REGION", None)
                self.client = Client(load_config())
                system.environ.update({"REGION": "eu"})
                self.other = 1

            def test_region(self):
                self.assertEqual(self.client.region, "eu")
        """,
        """
        import os as system
        from unittest import TestCase


        class TestDeploy(TestCase):
            def setUp(self):
                \"\"\"A deploy client.\"\"\"
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(system.environ.pop, "REGION", None)
                system.environ.update({"REGION": "eu"})
                self.client = Client(load_config())
                self.other = 1

            def test_region(self):
                self.assertEqual(self.client.region, "eu")
        """,
        "env:REGION",
    ),
    case(
        "below-what-it-uses-and-super-without-its-blank-line",
        """
        import os
        import tempfile
        import unittest


        class TestDeploy(unittest.TestCase):
            def setUp(self):
                super().setUp()
                self.home = tempfile.mkdtemp()
                self.config = load_config()

                os.environ["HOME"] = self.home

            def test_region(self):
                self.assertEqual(self.config.home, self.home)
        """,
        """
        import os
        import tempfile
        import unittest


        class TestDeploy(unittest.TestCase):
            def setUp(self):
                super().setUp()
                self.home = tempfile.mkdtemp()
                os.environ["HOME"] = self.home
                self.config = load_config()

            def test_region(self):
                self.assertEqual(self.config.home, self.home)
        """,
        "env:HOME",
    ),
    case(
        "a-module-global",
        """
        import unittest

        from app import settings


        class TestDeploy(unittest.TestCase):
            def setUp(self):
                self.client = settings.client()
                settings.REGION = "eu"

            def test_region(self):
                self.assertEqual(self.client.region, "eu")
        """,
        """
        import unittest

        from app import settings


        class TestDeploy(unittest.TestCase):
            def setUp(self):
                settings.REGION = "eu"
                self.client = settings.client()

            def test_region(self):
                self.assertEqual(self.client.region, "eu")
        """,
        "global:app.settings.REGION",
    ),
]


@pytest.mark.parametrize(("before", "after", "state"), HOISTED)
def test_the_write_moves_first(before: str, after: str, state: tuple[str, ...]) -> None:
    out = rewrite(before, Target.of(f"tests/test_deploy.py::{BRITTLE}"), Target.of(SETTER), state)
    assert (out.status, out.code) == ("changed", after), out.reason
    assert "before the statements that read it" in out.reason


@pytest.mark.parametrize(("before", "after", "state"), HOISTED)
def test_hoisting_twice_changes_nothing_more(
    before: str, after: str, state: tuple[str, ...]
) -> None:
    out = rewrite(after, Target.of(f"tests/test_deploy.py::{BRITTLE}"), Target.of(SETTER), state)
    assert (out.status, out.code) == ("already", after)


_SETUP = """
import os
import unittest


class TestDeploy(unittest.TestCase):
    def setUp(self):
        self.config = load_config()
        os.environ["OTHER"] = "x"

    def test_region(self):
        pass

    def test_list(self):
        pass
"""

_STUCK = """
import os
import unittest


class TestDeploy(unittest.TestCase):
    def setUp(self):
        self.config = load_config()
        self.region = pick_region()
        os.environ["REGION"] = self.region

    def test_region(self):
        pass
"""

LEFT_ALONE = [
    pytest.param(
        _STUCK, "env:REGION", SETTER, "uses what `self.region", id="needs-the-line-before"
    ),
    pytest.param(_SETUP, "env:REGION", SETTER, "spells no write to env:REGION", id="another-key"),
    pytest.param(
        _SETUP.replace("import os\n", "from fake import os\n"),
        "env:OTHER",
        SETTER,
        "spells no write",
        id="not-the-os-module",
    ),
    pytest.param(
        _SETUP,
        "env:OTHER",
        "tests/test_other.py::TestDeploy::test_list",
        "is not a test of",
        id="elsewhere",
    ),
    pytest.param(
        _SETUP.replace("unittest.TestCase", "object"),
        "env:OTHER",
        SETTER,
        "is not a unittest.TestCase",
        id="not-a-testcase",
    ),
    pytest.param(
        _SETUP.replace("def setUp", "def set_up"),
        "env:OTHER",
        SETTER,
        "has no setUp whose writes could move",  # riemann's TestAddresses: a tearDown only
        id="no-setup",
    ),
]


@pytest.mark.parametrize(("code", "entry", "setter", "reason"), LEFT_ALONE)
def test_leaves_alone(code: str, entry: str, setter: str, reason: str) -> None:
    code = _src(code)
    out = rewrite(code, Target.of(f"tests/test_deploy.py::{BRITTLE}"), Target.of(setter), (entry,))
    assert (out.status, out.code) == ("unfixable", code)
    assert reason in out.reason


def test_the_plan_hoists_only_after_the_fixture_and_only_within_a_class() -> None:
    brittle = f"tests/test_deploy.py::{BRITTLE}"
    same = Finding("brittle", brittle, "", state_setters=(SETTER,), state=("env:REGION",))
    (fix,) = plan([same]).fixes
    assert [e.codemod for e in fix.edits] == ["fixture"]
    assert fix.fallback is not None
    assert [(e.codemod, e.state) for e in fix.fallback.edits] == [("hoist", ("env:REGION",))]
    assert fix.fallback.evidence.kind == "alone"
    other = Finding(
        "brittle", brittle, "", state_setters=("tests/test_a.py::test_sets",), state=("env:REGION",)
    )
    assert plan([other]).fixes[0].fallback is None


DEPLOY = """\
import os
import unittest


def load_config():
    return os.environ.get("REGION", "us")


class TestDeploy(unittest.TestCase):
    def setUp(self):
        self.region = load_config()
        os.environ["REGION"] = "eu"

    def test_list(self):
        self.assertTrue(self.region)

    def test_region(self):
        self.assertEqual(self.region, "eu")
"""


def test_the_hoisted_test_passes_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_deploy=DEPLOY)
    node = "test_deploy.py::TestDeploy::test_region"
    env = {k: v for k, v in clean_env().items() if k != "REGION"}
    assert run_pytest(pytester.path, node, env=env).returncode == 1  # brittle: fails alone
    out = rewrite(
        DEPLOY, Target.of(node), Target.of("test_deploy.py::TestDeploy::test_list"), ("env:REGION",)
    )
    assert out.status == "changed"
    (pytester.path / "test_deploy.py").write_text(out.code)
    assert run_pytest(pytester.path, node, env=env).returncode == 0
