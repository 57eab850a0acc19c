"""The module-globals codemod: writes to imported globals and shared fixture values in a test →
``monkeypatch.setattr`` / ``setitem`` / ``delattr`` / ``delitem``."""

from __future__ import annotations

import textwrap

import pytest

from auditor.fix.module_globals import rewrite
from auditor.fix.source import Target


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def case(
    name: str, before: str, after: str, test: str = "test_rate", fixtures: tuple[str, ...] = ()
) -> object:
    """A table row: the test named (``Class::method`` or a function) in ``tests/test_shop.py``,
    and the wider-scoped fixtures the audit saw changed."""
    target = Target.of(f"tests/test_shop.py::{test}")
    return pytest.param(target, fixtures, _src(before), _src(after), id=name)


CHANGED = [
    case(
        "setattr",
        """
        from shop import config


        def test_rate():
            # a cheaper rate for this test
            config.RATE = 0.1  # was 0.2
            assert price(10) == 1
        """,
        """
        from shop import config


        def test_rate(monkeypatch):
            # a cheaper rate for this test
            monkeypatch.setattr(config, "RATE", 0.1)  # was 0.2
            assert price(10) == 1
        """,
    ),
    case(
        "setitem",
        """
        from shop import config

        def test_rate():
            config.LIMITS["daily"] = limit()
        """,
        """
        from shop import config

        def test_rate(monkeypatch):
            monkeypatch.setitem(config.LIMITS, "daily", limit())
        """,
    ),
    case(
        "augmented-through-a-dotted-import",
        """
        import shop.config

        def test_rate():
            shop.config.RATE += 1
            shop.config.LIMITS["daily"] //= 2
        """,
        """
        import shop.config

        def test_rate(monkeypatch):
            monkeypatch.setattr(shop.config, "RATE", shop.config.RATE + 1)
            monkeypatch.setitem(shop.config.LIMITS, "daily", shop.config.LIMITS["daily"] // 2)
        """,
    ),
    case(
        "augmented-keeps-the-operand-whole",
        """
        from shop import config

        def test_rate(a, b):
            config.RATE *= a + b
            config.RATE -= a if b else 0
            config.FLAGS |= a, b
            config.RATE -= -a
        """,
        """
        from shop import config

        def test_rate(a, b, monkeypatch):
            monkeypatch.setattr(config, "RATE", config.RATE * (a + b))
            monkeypatch.setattr(config, "RATE", config.RATE - (a if b else 0))
            monkeypatch.setattr(config, "FLAGS", config.FLAGS | (a, b))
            monkeypatch.setattr(config, "RATE", config.RATE - -a)
        """,
    ),
    case(
        "deletions",
        """
        from shop import config

        def test_rate():
            del config.RATE
            del config.LIMITS["daily"]
        """,
        """
        from shop import config

        def test_rate(monkeypatch):
            monkeypatch.delattr(config, "RATE")
            monkeypatch.delitem(config.LIMITS, "daily")
        """,
    ),
    case(
        "shared-fixture-value",
        """
        def test_rate(settings):
            settings["currency"] = "EUR"
            settings.debug = True
            del settings["region"]
        """,
        """
        def test_rate(settings, monkeypatch):
            monkeypatch.setitem(settings, "currency", "EUR")
            monkeypatch.setattr(settings, "debug", True)
            monkeypatch.delitem(settings, "region")
        """,
        fixtures=("settings",),
    ),
    case(
        "imported-mapping",
        """
        from shop.config import LIMITS

        def test_rate():
            LIMITS["daily"] = 5
        """,
        """
        from shop.config import LIMITS

        def test_rate(monkeypatch):
            monkeypatch.setitem(LIMITS, "daily", 5)
        """,
    ),
    case(
        "from-shop-import-config-as-cfg",
        """
        from shop import config as cfg

        def test_rate():
            cfg.RATE = 0.1
            cfg.LIMITS["daily"] = 5
        """,
        """
        from shop import config as cfg

        def test_rate(monkeypatch):
            monkeypatch.setattr(cfg, "RATE", 0.1)
            monkeypatch.setitem(cfg.LIMITS, "daily", 5)
        """,
    ),
    case(
        "method-calls-left-for-the-report",
        """
        from shop import config

        def test_rate():
            config.RATE = 0.1
            config.ITEMS.append("x")
        """,
        """
        from shop import config

        def test_rate(monkeypatch):
            monkeypatch.setattr(config, "RATE", 0.1)
            config.ITEMS.append("x")
        """,
    ),
    case(
        "environ-left-to-its-codemod-and-locals-untouched",
        """
        import os

        from shop import config

        def test_rate():
            os.environ["A"] = "1"
            local = {}
            local["k"] = 1
            config.RATE = 0.1
        """,
        """
        import os

        from shop import config

        def test_rate(monkeypatch):
            os.environ["A"] = "1"
            local = {}
            local["k"] = 1
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
    ),
    case(
        "comments-inside-a-statement-go-above-it",
        """
        from shop import config

        def test_rate():
            config.LIMITS[
                "daily"  # per customer
            ] = (
                5  # the new limit
            )
        """,
        """
        from shop import config

        def test_rate(monkeypatch):
            # per customer
            monkeypatch.setitem(config.LIMITS, "daily", (
                5  # the new limit
            ))
        """,
    ),
    case(
        "in-blocks-and-nested-function-untouched",
        """
        from shop import config

        def test_rate(flag):
            if flag: config.RATE = 0.1
            for key in KEYS:
                config.LIMITS[key] = 0

            def reset():
                config.RATE = 0.2
        """,
        """
        from shop import config

        def test_rate(flag, monkeypatch):
            if flag: monkeypatch.setattr(config, "RATE", 0.1)
            for key in KEYS:
                monkeypatch.setitem(config.LIMITS, key, 0)

            def reset():
                config.RATE = 0.2
        """,
    ),
    case(
        "parameter-before-defaults-and-star-args",
        """
        from shop import config

        def test_rate(tmp_path, rate=0.1, *args):
            config.RATE = rate
        """,
        """
        from shop import config

        def test_rate(tmp_path, monkeypatch, rate=0.1, *args):
            monkeypatch.setattr(config, "RATE", rate)
        """,
    ),
    case(
        "one-parameter-per-line",
        """
        from shop import config

        def test_rate(
            tmp_path,  # scratch
            capsys,
        ):
            config.RATE = 0.1
        """,
        """
        from shop import config

        def test_rate(
            tmp_path,  # scratch
            capsys,
            monkeypatch,
        ):
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
    ),
    case(
        "existing-monkeypatch-reused",
        """
        from shop import config

        def test_rate(monkeypatch):
            monkeypatch.setattr(config, "RATE", 0.1)
            config.LIMITS["daily"] = 5
        """,
        """
        from shop import config

        def test_rate(monkeypatch):
            monkeypatch.setattr(config, "RATE", 0.1)
            monkeypatch.setitem(config.LIMITS, "daily", 5)
        """,
    ),
    case(
        "method-with-self-and-same-name-elsewhere",
        """
        from shop import config

        class TestOther:
            def test_rate(self):
                config.RATE = 0.3

        class TestShop:
            def test_rate(self,):
                self.rate = 0.1
                config.RATE = self.rate
        """,
        """
        from shop import config

        class TestOther:
            def test_rate(self):
                config.RATE = 0.3

        class TestShop:
            def test_rate(self, monkeypatch,):
                self.rate = 0.1
                monkeypatch.setattr(config, "RATE", self.rate)
        """,
        test="TestShop::test_rate",
    ),
    case(
        "async",
        """
        from shop import config

        async def test_rate():
            config.RATE = 0.1
        """,
        """
        from shop import config

        async def test_rate(monkeypatch):
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
    ),
    case(
        "annotated-adds-import-pytest",
        """
        from __future__ import annotations

        from shop import config


        def test_rate() -> None:
            config.RATE = 0.1
        """,
        """
        from __future__ import annotations

        import pytest

        from shop import config


        def test_rate(monkeypatch: pytest.MonkeyPatch) -> None:
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
    ),
    case(
        "annotated-with-pytest-as-pt-untouched",
        """
        import pytest as pt

        from shop import config


        def test_rate(capsys: pt.CaptureFixture[str]) -> None:
            config.RATE = 0.1
        """,
        """
        import pytest as pt

        from shop import config


        def test_rate(capsys: pt.CaptureFixture[str], monkeypatch: pt.MonkeyPatch) -> None:
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
    ),
    case(
        "import-inside-the-test",
        """
        def test_rate():
            from shop import config
            config.RATE = 0.1
        """,
        """
        def test_rate(monkeypatch):
            from shop import config
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
    ),
    case(
        "import-under-try-either-module",
        """
        try:
            from shop import config
        except ImportError:  # before the rename
            from legacy_shop import config


        def test_rate():
            config.LIMITS["daily"] = 5
        """,
        """
        try:
            from shop import config
        except ImportError:  # before the rename
            from legacy_shop import config


        def test_rate(monkeypatch):
            monkeypatch.setitem(config.LIMITS, "daily", 5)
        """,
    ),
    case(
        "import-a-dotted-module-as-an-alias",
        """
        import shop.config as cfg

        def test_rate():
            cfg.RATE *= 2
            del cfg.LIMITS["daily"]
        """,
        """
        import shop.config as cfg

        def test_rate(monkeypatch):
            monkeypatch.setattr(cfg, "RATE", cfg.RATE * 2)
            monkeypatch.delitem(cfg.LIMITS, "daily")
        """,
    ),
]


@pytest.mark.parametrize(("target", "fixtures", "before", "after"), CHANGED)
def test_rewrites(target: Target, fixtures: tuple[str, ...], before: str, after: str) -> None:
    out = rewrite(before, target, fixtures)
    assert (out.status, out.code) == ("changed", after)
    compile(out.code, "x.py", "exec")


@pytest.mark.parametrize(("target", "fixtures", "before", "after"), CHANGED)
def test_rewriting_twice_changes_nothing_more(
    target: Target, fixtures: tuple[str, ...], before: str, after: str
) -> None:
    again = rewrite(rewrite(before, target, fixtures).code, target, fixtures)
    assert (again.status, again.code) == ("already", after)


def test_statements_rewritten_are_reported_as_written() -> None:
    code = _src(
        """
        from shop import config

        def test_rate():
            config.RATE  +=  1; config.ITEMS.append(2)
        """
    )
    out = rewrite(code, Target.of("tests/test_shop.py::test_rate"))
    assert out.statements == ("config.RATE  +=  1",)


def noop(
    name: str,
    code: str,
    status: str,
    reason: str,
    test: str = "test_rate",
    fixtures: tuple[str, ...] = (),
) -> object:
    """A row whose code stays as it is: the status expected and a fragment of the reason."""
    target = Target.of(f"tests/test_shop.py::{test}")
    return pytest.param(target, fixtures, _src(code), status, reason, id=name)


UNCHANGED = [
    noop(
        "already-fixed",
        """
        from shop import config

        def test_rate(monkeypatch):
            monkeypatch.setattr(config, "RATE", 0.1)
            monkeypatch.setitem(config.LIMITS, "daily", 5)
        """,
        "already",
        "no write to a module global or a shared fixture value left",
    ),
    noop(
        "locals-reads-and-method-calls",
        """
        from shop import config

        def test_rate(settings, obj):
            rates = {}
            rates["a"] = 1
            obj.rate = 2
            config = load()
            rate = config.RATE
            config.ITEMS.append("x")
            config.LIMITS.update(daily=5)
            settings["currency"] = "EUR"
        """,
        "unfixable",
        "no write to an attribute or item of an imported name in tests/test_shop.py::test_rate",
    ),
    noop(
        "environ-is-the-environ-codemods",
        """
        import os as o

        def test_rate():
            o.environ["A"] = "1"
            del o.environ["B"]
        """,
        "unfixable",
        "`o.environ` is os.environ, which the environ codemod rewrites",
    ),
    noop(
        "only-in-a-nested-function",
        """
        from shop import config

        def test_rate():
            def cheaper():
                config.RATE = 0.1

            run(cheaper)
        """,
        "unfixable",
        "may be in a fixture or a helper it calls",
    ),
    noop(
        "same-name-in-another-class",
        """
        from shop import config

        class TestOther:
            def test_rate(self):
                config.RATE = 0.1

        class TestShop:
            def test_rate(self):
                pass
        """,
        "unfixable",
        "no write to an attribute or item of an imported name",
        test="TestShop::test_rate",
    ),
    noop(
        "unittest-testcase-method",
        """
        import unittest

        from shop import config

        class TestShop(unittest.TestCase):
            def test_rate(self):
                config.RATE = 0.1
        """,
        "unfixable",
        "is a unittest.TestCase method",
        test="TestShop::test_rate",
    ),
    noop(
        "testcase-fixture-value",
        """
        from unittest import TestCase

        class TestShop(TestCase):
            def test_rate(self):
                settings["currency"] = "EUR"
        """,
        "unfixable",
        "TestCase",
        test="TestShop::test_rate",
        fixtures=("settings",),
    ),
    noop(
        "does-not-parse",
        """
        from shop import config

        def test_rate():
            config.RATE = = 0.1
        """,
        "unfixable",
        "does not parse",
    ),
    noop(
        "target-absent",
        """
        from shop import config

        def test_other():
            config.RATE = 0.1
        """,
        "unfixable",
        "tests/test_shop.py::test_rate is not in the file",
    ),
    noop(
        "already-fixed-with-an-import-inside-the-test",
        """
        def test_rate(monkeypatch):
            from shop import config
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
        "already",
        "no write to a module global or a shared fixture value left",
    ),
    noop(
        "imported-only-inside-another-test",
        """
        def test_other():
            from shop import config

        def test_rate():
            config.RATE = 0.1
        """,
        "unfixable",
        "in `config.RATE = 0.1`, `config` is not imported or defined",
    ),
    noop(
        "already-fixed-under-try",
        """
        try:
            from shop import config
        except ImportError:  # before the rename
            from legacy_shop import config

        def test_rate(monkeypatch):
            monkeypatch.setattr(config, "RATE", 0.1)
        """,
        "already",
        "no write to a module global or a shared fixture value left",
    ),
    noop(
        "a-dotted-alias-changed-in-place",
        """
        import shop.config as cfg

        def test_rate():
            cfg.ITEMS.append("x")
        """,
        "unfixable",
        'in `cfg.ITEMS.append("x")`, `cfg.ITEMS` changes in place, which monkeypatch cannot undo',
    ),
    noop(
        "a-global-of-the-test-module-itself",
        """
        LIMITS = {}

        def test_rate():
            LIMITS["daily"] = 5
        """,
        "unfixable",
        "`LIMITS` is assigned in the module, not imported",
    ),
]


@pytest.mark.parametrize(("target", "fixtures", "code", "status", "reason"), UNCHANGED)
def test_leaves_alone(
    target: Target, fixtures: tuple[str, ...], code: str, status: str, reason: str
) -> None:
    out = rewrite(code, target, fixtures)
    assert (out.status, out.code) == (status, code)
    assert reason in out.reason
