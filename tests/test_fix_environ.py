"""The environ codemod: environment writes in a test → ``monkeypatch.setenv`` / ``delenv``."""

from __future__ import annotations

import textwrap

import pytest

from auditor.fix.environ import rewrite
from auditor.fix.source import Target


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def case(name: str, before: str, after: str, test: str = "test_env") -> object:
    """A table row: the test named (``Class::method`` or a function) in ``tests/test_env.py``."""
    return pytest.param(Target.of(f"tests/test_env.py::{test}"), _src(before), _src(after), id=name)


CHANGED = [
    case(
        "setitem",
        """
        import os


        def test_env():
            # the service reads it at import
            os.environ["SHOP_MODE"] = "test"  # not prod
            assert os.environ["SHOP_MODE"] == "test"
        """,
        """
        import os


        def test_env(monkeypatch):
            # the service reads it at import
            monkeypatch.setenv("SHOP_MODE", "test")  # not prod
            assert os.environ["SHOP_MODE"] == "test"
        """,
    ),
    case(
        "putenv",
        """
        import os

        def test_env():
            os.putenv("SHOP_MODE", mode())
        """,
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.setenv("SHOP_MODE", mode())
        """,
    ),
    case(
        "update-one-line-each",
        """
        import os

        def test_env():
            # both at once
            os.environ.update({"A": "1", "B": two})  # why: the client needs both
            check()
        """,
        """
        import os

        def test_env(monkeypatch):
            # both at once
            monkeypatch.setenv("A", "1")
            monkeypatch.setenv("B", two)  # why: the client needs both
            check()
        """,
    ),
    case(
        "update-among-semicolons",
        """
        import os

        def test_env():
            x = 1; os.environ.update({"A": "1", "B": "2"}); y = 2
        """,
        """
        import os

        def test_env(monkeypatch):
            x = 1
            monkeypatch.setenv("A", "1")
            monkeypatch.setenv("B", "2")
            y = 2
        """,
    ),
    case(
        "comments-inside-a-statement-go-above-it",
        """
        import os

        def test_env():
            # the pair the client needs
            os.environ.update(
                {
                    "A": "1",  # why A
                    "B": "2",  # why B
                }
            )  # after
            os.putenv(
                "C",  # the key
                "3",
            )
            os.environ["D"] = (
                "4"  # the value
            )
        """,
        """
        import os

        def test_env(monkeypatch):
            # the pair the client needs
            # why A
            # why B
            monkeypatch.setenv("A", "1")
            monkeypatch.setenv("B", "2")  # after
            # the key
            monkeypatch.setenv("C", "3")
            monkeypatch.setenv("D", (
                "4"  # the value
            ))
        """,
    ),
    case(
        "setdefault-keeps-a-set-value",
        """
        import os

        def test_env():
            os.environ.setdefault("HOME", "/tmp")
        """,
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.setenv("HOME", os.environ.get("HOME", "/tmp"))
        """,
    ),
    case(
        "del",
        """
        import os

        def test_env():
            del os.environ["SHOP_MODE"]
        """,
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.delenv("SHOP_MODE")
        """,
    ),
    case(
        "pop-raises-when-missing",
        """
        import os

        def test_env():
            os.environ.pop("SHOP_MODE")
        """,
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.delenv("SHOP_MODE")
        """,
    ),
    case(
        "pop-with-default-tolerates-missing",
        """
        import os

        def test_env():
            os.environ.pop("SHOP_MODE", None)
        """,
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.delenv("SHOP_MODE", raising=False)
        """,
    ),
    case(
        "unsetenv-tolerates-missing",
        """
        import os

        def test_env():
            os.unsetenv("SHOP_MODE")
        """,
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.delenv("SHOP_MODE", raising=False)
        """,
    ),
    case(
        "in-blocks-and-one-line-blocks",
        """
        import os

        def test_env(flag):
            if flag: os.environ["A"] = "1"
            for key in KEYS:
                del os.environ[key]
            with ctx():
                os.environ[KEY] = "x"
        """,
        """
        import os

        def test_env(flag, monkeypatch):
            if flag: monkeypatch.setenv("A", "1")
            for key in KEYS:
                monkeypatch.delenv(key)
            with ctx():
                monkeypatch.setenv(KEY, "x")
        """,
    ),
    case(
        "nested-function-and-reads-untouched",
        """
        import os

        def test_env():
            os.environ["A"] = "1"

            def later():
                os.environ["B"] = "2"

            assert os.environ.get("A") == "1"
        """,
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.setenv("A", "1")

            def later():
                os.environ["B"] = "2"

            assert os.environ.get("A") == "1"
        """,
    ),
    case(
        "parameter-before-defaults",
        """
        import os

        def test_env(tmp_path, retries=3):
            os.environ["A"] = "1"
        """,
        """
        import os

        def test_env(tmp_path, monkeypatch, retries=3):
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "parameter-before-star-args",
        """
        import os

        def test_env(tmp_path, *args, flag=False, **kwargs):
            os.environ["A"] = "1"
        """,
        """
        import os

        def test_env(tmp_path, monkeypatch, *args, flag=False, **kwargs):
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "trailing-comma-stays-trailing",
        """
        import os

        def test_env(tmp_path, capsys,):
            os.environ["A"] = "1"
        """,
        """
        import os

        def test_env(tmp_path, capsys, monkeypatch,):
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "one-parameter-per-line",
        """
        import os

        def test_env(
            tmp_path,
            capsys,  # the log
        ):
            os.environ["A"] = "1"
        """,
        """
        import os

        def test_env(
            tmp_path,
            capsys,  # the log
            monkeypatch,
        ):
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "existing-monkeypatch-reused",
        """
        import os

        def test_env(monkeypatch, tmp_path):
            monkeypatch.chdir(tmp_path)
            os.environ["A"] = "1"
        """,
        """
        import os

        def test_env(monkeypatch, tmp_path):
            monkeypatch.chdir(tmp_path)
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "method-with-self",
        """
        import os

        class TestEnv:
            def test_env(self):
                os.environ["A"] = "1"
        """,
        """
        import os

        class TestEnv:
            def test_env(self, monkeypatch):
                monkeypatch.setenv("A", "1")
        """,
        test="TestEnv::test_env",
    ),
    case(
        "same-name-in-another-class-untouched",
        """
        import os

        class TestOther:
            def test_env(self):
                os.environ["A"] = "0"

        class TestEnv:
            def test_env(self):
                os.environ["A"] = "1"

        def test_env():
            os.environ["A"] = "2"
        """,
        """
        import os

        class TestOther:
            def test_env(self):
                os.environ["A"] = "0"

        class TestEnv:
            def test_env(self, monkeypatch):
                monkeypatch.setenv("A", "1")

        def test_env():
            os.environ["A"] = "2"
        """,
        test="TestEnv::test_env[param-1]",
    ),
    case(
        "async-decorated",
        """
        import os

        import pytest

        @pytest.mark.asyncio
        async def test_env(client):
            os.environ["A"] = "1"
            await client.get("/")
        """,
        """
        import os

        import pytest

        @pytest.mark.asyncio
        async def test_env(client, monkeypatch):
            monkeypatch.setenv("A", "1")
            await client.get("/")
        """,
    ),
    case(
        "annotated-adds-import-pytest",
        """
        import os
        from pathlib import Path

        from shop import app


        def test_env(tmp_path: Path) -> None:
            os.environ["A"] = "1"
        """,
        """
        import os
        from pathlib import Path

        import pytest

        from shop import app


        def test_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "annotated-with-pytest-as-pt-untouched",
        """
        import os

        import pytest as pt


        def test_env() -> None:
            os.environ["A"] = "1"
        """,
        """
        import os

        import pytest as pt


        def test_env(monkeypatch: pt.MonkeyPatch) -> None:
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "import-os-as-o",
        """
        import os as o

        def test_env():
            o.environ["A"] = "1"
            o.environ.setdefault("B", "2")
            o.unsetenv("C")
        """,
        """
        import os as o

        def test_env(monkeypatch):
            monkeypatch.setenv("A", "1")
            monkeypatch.setenv("B", o.environ.get("B", "2"))
            monkeypatch.delenv("C", raising=False)
        """,
    ),
    case(
        "from-os-import-environ",
        """
        from os import environ, putenv

        def test_env():
            environ["A"] = "1"
            del environ["B"]
            putenv("C", "3")
        """,
        """
        from os import environ, putenv

        def test_env(monkeypatch):
            monkeypatch.setenv("A", "1")
            monkeypatch.delenv("B")
            monkeypatch.setenv("C", "3")
        """,
    ),
    case(
        "import-inside-the-test",
        """
        def test_env():
            import os
            os.environ["A"] = "1"
        """,
        """
        def test_env(monkeypatch):
            import os
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "import-under-try",
        """
        try:
            from os import environ
        except ImportError:  # pragma: no cover
            raise


        def test_env():
            environ["A"] = "1"
        """,
        """
        try:
            from os import environ
        except ImportError:  # pragma: no cover
            raise


        def test_env(monkeypatch):
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "import-os-path-binds-os",
        """
        import os.path

        def test_env():
            os.environ[os.path.basename("/A")] = "1"
        """,
        """
        import os.path

        def test_env(monkeypatch):
            monkeypatch.setenv(os.path.basename("/A"), "1")
        """,
    ),
    case(
        "annotated-pytest-under-try-as-pt",
        """
        import os

        try:
            import pytest as pt
        except ImportError:  # the suite also runs under unittest
            pt = None


        def test_env() -> None:
            os.putenv("A", "1")
        """,
        """
        import os

        try:
            import pytest as pt
        except ImportError:  # the suite also runs under unittest
            pt = None


        def test_env(monkeypatch: pt.MonkeyPatch) -> None:
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "annotated-pytest-imported-in-the-test-is-not-seen-by-the-annotation",
        """
        def test_env() -> None:
            import os

            import pytest

            pytest.importorskip("shop")
            os.environ["A"] = "1"
        """,
        """
        import pytest


        def test_env(monkeypatch: pytest.MonkeyPatch) -> None:
            import os

            import pytest

            pytest.importorskip("shop")
            monkeypatch.setenv("A", "1")
        """,
    ),
    case(
        "annotated-pytest-for-type-checking-with-postponed-annotations",
        """
        from __future__ import annotations

        import os
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            import pytest


        def test_env() -> None:
            os.environ["A"] = "1"
        """,
        """
        from __future__ import annotations

        import os
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            import pytest


        def test_env(monkeypatch: pytest.MonkeyPatch) -> None:
            monkeypatch.setenv("A", "1")
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

        def test_env():
            os.environ["A"]  =  "1"
            os.environ.update({"B": "2", "C": "3"})
        """
    )
    out = rewrite(code, Target.of("tests/test_env.py::test_env"))
    assert out.statements == ('os.environ["A"]  =  "1"', 'os.environ.update({"B": "2", "C": "3"})')


def noop(name: str, code: str, status: str, reason: str, test: str = "test_env") -> object:
    """A row whose code stays as it is: the status expected and a fragment of the reason."""
    return pytest.param(
        Target.of(f"tests/test_env.py::{test}"), _src(code), status, reason, id=name
    )


UNCHANGED = [
    noop(
        "already-fixed",
        """
        import os

        def test_env(monkeypatch):
            monkeypatch.setenv("A", "1")
            assert os.environ["A"] == "1"
        """,
        "already",
        "no environment write left",
    ),
    noop(
        "reads-and-local-dicts",
        """
        import os

        def test_env():
            env = dict(os.environ)
            env["A"] = "1"
            del env["B"]
            copy = os.environ.copy()
            copy.update({"C": "3"})
            assert os.environ.get("A") is None and "B" in os.environ
            subprocess.run(["x"], env={**os.environ, "D": "4"})
        """,
        "unfixable",
        "no write to os.environ nor call of os.putenv or os.unsetenv"
        " in tests/test_env.py::test_env",
    ),
    noop(
        "writes-only-in-a-nested-function",
        """
        import os

        def test_env():
            def set_mode():
                os.environ["A"] = "1"

            run(set_mode)
        """,
        "unfixable",
        "may be in a fixture or a helper it calls",
    ),
    noop(
        "same-name-in-another-class",
        """
        import os

        class TestOther:
            def test_env(self):
                os.environ["A"] = "1"

        class TestEnv:
            def test_env(self):
                pass
        """,
        "unfixable",
        "no write to os.environ",
        test="TestEnv::test_env",
    ),
    noop(
        "forms-with-unknown-keys",
        """
        import os

        def test_env(extra):
            os.environ.update(extra)
            os.environ.update({**extra})
            os.environ.update(A="1")
            os.environ.clear()
        """,
        "unfixable",
        "need each key spelled out",
    ),
    noop(
        "one-line-block-with-no-room-for-a-comment",
        """
        import os

        def test_env(flag):
            if flag: os.putenv("A",  # the key
                "1")
        """,
        "unfixable",
        "a one-line block has no room for the comments it holds",
    ),
    noop(
        "os-not-imported",
        """
        def test_env(os):
            os.environ["A"] = "1"
        """,
        "unfixable",
        "no write to os.environ",
    ),
    noop(
        "unittest-testcase-method",
        """
        import os
        import unittest

        class TestEnv(unittest.TestCase):
            def test_env(self):
                os.environ["A"] = "1"
        """,
        "unfixable",
        "is a unittest.TestCase method",
        test="TestEnv::test_env",
    ),
    noop(
        "testcase-imported-by-name",
        """
        from os import environ
        from unittest import TestCase as Case

        class TestEnv(Case):
            def test_env(self):
                del environ["A"]
        """,
        "unfixable",
        "TestCase",
        test="TestEnv::test_env",
    ),
    noop(
        "does-not-parse",
        """
        import os

        def test_env(:
            os.environ["A"] = "1"
        """,
        "unfixable",
        "does not parse",
    ),
    noop(
        "target-absent",
        """
        import os

        def test_other():
            os.environ["A"] = "1"
        """,
        "unfixable",
        "tests/test_env.py::test_env is not in the file",
    ),
    noop(
        "already-fixed-with-an-import-inside-the-test",
        """
        def test_env(monkeypatch):
            import os
            monkeypatch.setenv("A", "1")
            assert os.environ["A"] == "1"
        """,
        "already",
        "no environment write left",
    ),
    noop(
        "imported-only-inside-another-test",
        """
        def test_other():
            import os

        def test_env():
            os.environ["A"] = "1"
        """,
        "unfixable",
        'in `os.environ["A"] = "1"`, `os` is not imported or defined',
    ),
    noop(
        "a-local-name-shadows-the-import",
        """
        import os

        def test_env():
            os = FakeOs()
            os.environ["A"] = "1"
        """,
        "unfixable",
        "no write to os.environ",
    ),
    noop(
        "another-modules-environ-imported-inside-the-test",
        """
        def test_env():
            from shop.settings import environ
            environ["A"] = "1"
        """,
        "unfixable",
        "`environ` is shop.settings.environ",
    ),
    noop(
        "under-try-one-of-two-imports",
        """
        try:
            from os import environ
        except ImportError:
            from shop.compat import environ

        def test_env():
            environ["A"] = "1"
        """,
        "unfixable",
        "`environ` is os.environ or shop.compat.environ",
    ),
    noop(
        "import-os-path-as-osp-binds-no-os",
        """
        import os.path as osp

        def test_env():
            os.environ[osp.basename("/A")] = "1"
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
