"""The chdir codemod: ``os.chdir(x)`` in a test → ``monkeypatch.chdir(x)``, undone at its end."""

from __future__ import annotations

import textwrap

import pytest

from auditor.fix.chdir import rewrite
from auditor.fix.source import Target


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def case(name: str, before: str, after: str, test: str = "test_cd") -> object:
    """A table row: the test named (``Class::method`` or a function) in ``tests/test_cd.py``."""
    return pytest.param(Target.of(f"tests/test_cd.py::{test}"), _src(before), _src(after), id=name)


CHANGED = [
    case(
        "chdir",
        """
        import os


        def test_cd(tmp_path):
            # the tool looks for ./setup.cfg
            os.chdir(tmp_path)  # not the checkout
            assert run() == 0
        """,
        """
        import os


        def test_cd(tmp_path, monkeypatch):
            # the tool looks for ./setup.cfg
            monkeypatch.chdir(tmp_path)  # not the checkout
            assert run() == 0
        """,
    ),
    case(
        "there-and-back",
        """
        import os

        def test_cd(tmp_path):
            old = os.getcwd()
            os.chdir(tmp_path / "sub")
            try:
                check()
            finally:
                os.chdir(old)
        """,
        """
        import os

        def test_cd(tmp_path, monkeypatch):
            old = os.getcwd()
            monkeypatch.chdir(tmp_path / "sub")
            try:
                check()
            finally:
                monkeypatch.chdir(old)
        """,
    ),
    case(
        "argument-as-written",
        """
        import os

        def test_cd(parts, options):
            os.chdir(path="build")
            os.chdir(*parts)
            os.chdir(**options)
            os.chdir(
                DIR,  # the fixture's
            )
        """,
        """
        import os

        def test_cd(parts, options, monkeypatch):
            monkeypatch.chdir(path="build")
            monkeypatch.chdir(*parts)
            monkeypatch.chdir(**options)
            monkeypatch.chdir(
                DIR,  # the fixture's
            )
        """,
    ),
    case(
        "in-blocks-and-one-line-blocks",
        """
        import os

        def test_cd(flag):
            if flag: os.chdir("a"); check()
            with ctx():
                os.chdir("b")
        """,
        """
        import os

        def test_cd(flag, monkeypatch):
            if flag: monkeypatch.chdir("a"); check()
            with ctx():
                monkeypatch.chdir("b")
        """,
    ),
    case(
        "nested-function-untouched",
        """
        import os

        def test_cd():
            os.chdir("a")

            def back():
                os.chdir("..")

            run(back)
        """,
        """
        import os

        def test_cd(monkeypatch):
            monkeypatch.chdir("a")

            def back():
                os.chdir("..")

            run(back)
        """,
    ),
    case(
        "parameter-before-defaults",
        """
        import os

        def test_cd(tmp_path, name="x"):
            os.chdir(tmp_path)
        """,
        """
        import os

        def test_cd(tmp_path, monkeypatch, name="x"):
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "parameter-before-star-args",
        """
        import os

        def test_cd(tmp_path, *args, **kwargs):
            os.chdir(tmp_path)
        """,
        """
        import os

        def test_cd(tmp_path, monkeypatch, *args, **kwargs):
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "trailing-comma-stays-trailing",
        """
        import os

        def test_cd(tmp_path,):
            os.chdir(tmp_path)
        """,
        """
        import os

        def test_cd(tmp_path, monkeypatch,):
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "one-parameter-per-line-without-trailing-comma",
        """
        import os

        def test_cd(
            tmp_path,
            capsys
        ):
            os.chdir(tmp_path)
        """,
        """
        import os

        def test_cd(
            tmp_path,
            capsys,
            monkeypatch
        ):
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "defaults-one-per-line",
        """
        import os

        def test_cd(
            retries=3,
        ):
            os.chdir("a")
        """,
        """
        import os

        def test_cd(
            monkeypatch,
            retries=3,
        ):
            monkeypatch.chdir("a")
        """,
    ),
    case(
        "existing-monkeypatch-reused",
        """
        import os

        def test_cd(tmp_path, monkeypatch):
            monkeypatch.setenv("A", "1")
            os.chdir(tmp_path)
        """,
        """
        import os

        def test_cd(tmp_path, monkeypatch):
            monkeypatch.setenv("A", "1")
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "method-with-self",
        """
        import os

        class TestCd:
            def test_cd(self, tmp_path):
                os.chdir(tmp_path)

        class TestOther:
            def test_cd(self, tmp_path):
                os.chdir(tmp_path)
        """,
        """
        import os

        class TestCd:
            def test_cd(self, tmp_path, monkeypatch):
                monkeypatch.chdir(tmp_path)

        class TestOther:
            def test_cd(self, tmp_path):
                os.chdir(tmp_path)
        """,
        test="TestCd::test_cd",
    ),
    case(
        "async",
        """
        import os

        async def test_cd(tmp_path):
            os.chdir(tmp_path)
        """,
        """
        import os

        async def test_cd(tmp_path, monkeypatch):
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "annotated-adds-import-pytest",
        """
        '''Runs from a checkout.'''

        import os
        from pathlib import Path


        def test_cd(tmp_path: Path) -> None:
            os.chdir(tmp_path)
        """,
        """
        '''Runs from a checkout.'''

        import os
        from pathlib import Path

        import pytest


        def test_cd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "annotated-with-pytest-as-pt-untouched",
        """
        import os

        import pytest as pt

        @pt.mark.slow
        def test_cd(tmp_path) -> None:
            os.chdir(tmp_path)
        """,
        """
        import os

        import pytest as pt

        @pt.mark.slow
        def test_cd(tmp_path, monkeypatch: pt.MonkeyPatch) -> None:
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "import-os-as-o",
        """
        import os as o

        def test_cd(tmp_path):
            o.chdir(tmp_path)
        """,
        """
        import os as o

        def test_cd(tmp_path, monkeypatch):
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "from-os-import-chdir",
        """
        from os import chdir, getcwd

        def test_cd(tmp_path):
            chdir(tmp_path)
            assert getcwd() == str(tmp_path)
        """,
        """
        from os import chdir, getcwd

        def test_cd(tmp_path, monkeypatch):
            monkeypatch.chdir(tmp_path)
            assert getcwd() == str(tmp_path)
        """,
    ),
    case(
        "import-inside-the-test",
        """
        def test_cd(tmp_path):
            import os
            os.chdir(tmp_path)
        """,
        """
        def test_cd(tmp_path, monkeypatch):
            import os
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "import-under-try",
        """
        try:
            from os import chdir
        except ImportError:  # pragma: no cover
            raise


        def test_cd(tmp_path):
            chdir(tmp_path)
        """,
        """
        try:
            from os import chdir
        except ImportError:  # pragma: no cover
            raise


        def test_cd(tmp_path, monkeypatch):
            monkeypatch.chdir(tmp_path)
        """,
    ),
    case(
        "import-os-path-binds-os",
        """
        import os.path

        def test_cd(tmp_path):
            os.chdir(os.path.join(tmp_path, "a"))
        """,
        """
        import os.path

        def test_cd(tmp_path, monkeypatch):
            monkeypatch.chdir(os.path.join(tmp_path, "a"))
        """,
    ),
    case(
        "annotated-pytest-imported-in-the-test-is-not-seen-by-the-annotation",
        """
        import os


        def test_cd(tmp_path) -> None:
            import pytest

            pytest.importorskip("shop")
            os.chdir(tmp_path)
        """,
        """
        import os

        import pytest


        def test_cd(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
            import pytest

            pytest.importorskip("shop")
            monkeypatch.chdir(tmp_path)
        """,
    ),
]


@pytest.mark.parametrize(("target", "before", "after"), CHANGED)
def test_rewrites(target: Target, before: str, after: str) -> None:
    out = rewrite(before, target)
    assert (out.status, out.code) == ("changed", after)
    compile(out.code, "x.py", "exec")


@pytest.mark.parametrize(("target", "before", "after"), CHANGED)
def test_rewriting_twice_changes_nothing_more(target: Target, before: str, after: str) -> None:
    again = rewrite(rewrite(before, target).code, target)
    assert (again.status, again.code) == ("already", after)


def test_statements_rewritten_are_reported_as_written() -> None:
    code = _src(
        """
        import os

        def test_cd(tmp_path):
            os.chdir( tmp_path )
        """
    )
    out = rewrite(code, Target.of("tests/test_cd.py::test_cd"))
    assert out.statements == ("os.chdir( tmp_path )",)


def noop(name: str, code: str, status: str, reason: str, test: str = "test_cd") -> object:
    """A row whose code stays as it is: the status expected and a fragment of the reason."""
    return pytest.param(Target.of(f"tests/test_cd.py::{test}"), _src(code), status, reason, id=name)


UNCHANGED = [
    noop(
        "already-fixed",
        """
        import os

        def test_cd(tmp_path, monkeypatch):
            monkeypatch.chdir(tmp_path)
            assert os.getcwd() == str(tmp_path)
        """,
        "already",
        "no os.chdir call left",
    ),
    noop(
        "other-chdirs-and-reads",
        """
        import os

        def test_cd(ftp, tmp_path):
            ftp.chdir("/pub")
            here = os.getcwd()
            os.path.join(here, "x")
            os.fchdir(3)
            go = os.chdir
        """,
        "unfixable",
        "no os.chdir call in tests/test_cd.py::test_cd",
    ),
    noop(
        "only-in-a-nested-function",
        """
        import os

        def test_cd(tmp_path):
            def enter():
                os.chdir(tmp_path)

            run(enter)
        """,
        "unfixable",
        "may be in a fixture or a helper it calls",
    ),
    noop(
        "same-name-in-another-class",
        """
        import os

        class TestOther:
            def test_cd(self):
                os.chdir("a")

        class TestCd:
            def test_cd(self):
                pass
        """,
        "unfixable",
        "no os.chdir call",
        test="TestCd::test_cd",
    ),
    noop(
        "os-not-imported",
        """
        def test_cd(os):
            os.chdir("a")
        """,
        "unfixable",
        "no os.chdir call",
    ),
    noop(
        "unittest-testcase-method",
        """
        import os
        import unittest as ut

        class TestCd(ut.TestCase):
            def test_cd(self):
                os.chdir("a")
        """,
        "unfixable",
        "is a unittest.TestCase method",
        test="TestCd::test_cd",
    ),
    noop(
        "does-not-parse",
        """
        import os

        def test_cd()
            os.chdir("a")
        """,
        "unfixable",
        "does not parse",
    ),
    noop(
        "target-absent",
        """
        import os

        def test_other():
            os.chdir("a")
        """,
        "unfixable",
        "tests/test_cd.py::test_cd is not in the file",
    ),
    noop(
        "already-fixed-with-an-import-inside-the-test",
        """
        def test_cd(tmp_path, monkeypatch):
            import os
            monkeypatch.chdir(tmp_path)
            assert os.getcwd() == str(tmp_path)
        """,
        "already",
        "no os.chdir call left",
    ),
    noop(
        "imported-only-inside-another-test",
        """
        def test_other():
            from os import chdir

        def test_cd(tmp_path):
            chdir(tmp_path)
        """,
        "unfixable",
        "in `chdir(tmp_path)`, `chdir` is not imported or defined",
    ),
    noop(
        "under-try-one-of-two-imports",
        """
        try:
            from os import chdir
        except ImportError:
            from shop.compat import chdir

        def test_cd(tmp_path):
            chdir(tmp_path)
        """,
        "unfixable",
        "`chdir` is os.chdir or shop.compat.chdir",
    ),
    noop(
        "import-os-path-as-osp-binds-no-os",
        """
        import os.path as osp

        def test_cd(tmp_path):
            os.chdir(osp.join(tmp_path, "a"))
        """,
        "unfixable",
        "`os` is not imported or defined",
    ),
]


@pytest.mark.parametrize(("target", "code", "status", "reason"), UNCHANGED)
def test_leaves_alone(target: Target, code: str, status: str, reason: str) -> None:
    out = rewrite(code, target)
    assert (out.status, out.code) == (status, code)
    assert reason in out.reason
