"""The restore codemod: the state an audit named, saved when a polluter starts and put back when
it ends, wherever it is written (through the library under test, most often); and the victim
resetting it when the polluter cannot change. Tables (before/after, applied twice, no-op), the
forms run for real (the absence of a variable, a registry's content, a logger's level), the
project's sources read, the plan, and one ``auditor fix`` end to end.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import textwrap
import types
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.findings import Finding
from auditor.fix import library
from auditor.fix.library import Library
from auditor.fix.plan import Fix, plan
from auditor.fix.restore import defend, rewrite
from auditor.fix.source import Target
from tests.helpers import auditor, git, run_pytest
from tests.test_fix import git_project

#: what the project's sources say, as :func:`library.read` would find it
LIB = Library(
    frozenset({"lib", "lib.factory", "lib.router", "lib.log", "tests.test_shop"}),
    {"lib.router.ROUTES": "dict", "lib.router.HOOKS": "list", "tests.test_shop.CACHE": "dict"},
    frozenset({"lib.log.logger"}),  # logger = logging.getLogger("lib")
)
BASE_DIR = "global:lib.factory.FACTORY.base_dir"  # factory.set_base_dir("/tmp") leaks it


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def case(name: str, before: str, after: str, test: str, *state: str) -> Any:
    """A table row: the test named (``Class::method`` or a function) in
    ``tests/test_shop.py`` and the state the audit named."""
    target = Target.of(f"tests/test_shop.py::{test}")
    return pytest.param(target, state, _src(before), _src(after), id=name)


POLLUTERS = [
    case(
        "testcase-leaks-through-a-library-call",
        """
        import unittest

        from lib import factory


        class TestFactory(unittest.TestCase):
            def test_custom_base_dir(self):
                \"\"\"Builds under /tmp.\"\"\"
                factory.set_base_dir("/tmp")  # the library keeps it
                self.assertEqual(factory.FACTORY.base_dir, "/tmp")
        """,
        """
        import unittest

        from lib import factory


        class TestFactory(unittest.TestCase):
            def test_custom_base_dir(self):
                \"\"\"Builds under /tmp.\"\"\"
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(setattr, factory.FACTORY, "base_dir", factory.FACTORY.base_dir)
                factory.set_base_dir("/tmp")  # the library keeps it
                self.assertEqual(factory.FACTORY.base_dir, "/tmp")
        """,
        "TestFactory::test_custom_base_dir",
        BASE_DIR,
    ),
    case(
        "testcase-with-setup-and-teardown-saves-in-setup",
        """
        import unittest

        from lib import factory


        class TestFactory(unittest.TestCase):
            def setUp(self):
                super().setUp()
                factory.set_base_dir("/tmp")  # every test here builds under /tmp

            def tearDown(self):
                factory.cleanup()

            def test_build(self):
                self.assertTrue(factory.build())
        """,
        """
        import unittest

        from lib import factory


        class TestFactory(unittest.TestCase):
            def setUp(self):
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(setattr, factory.FACTORY, "base_dir", factory.FACTORY.base_dir)
                super().setUp()
                factory.set_base_dir("/tmp")  # every test here builds under /tmp

            def tearDown(self):
                factory.cleanup()

            def test_build(self):
                self.assertTrue(factory.build())
        """,
        "TestFactory::test_build",
        BASE_DIR,
    ),
    case(
        "pytest-function-leaks-through-a-library-call",
        """
        from lib import factory


        def test_custom_base_dir(tmp_path):
            factory.set_base_dir(tmp_path)
            assert factory.FACTORY.base_dir == tmp_path
        """,
        """
        from lib import factory


        def test_custom_base_dir(tmp_path, monkeypatch):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.setattr(factory.FACTORY, "base_dir", factory.FACTORY.base_dir)
            factory.set_base_dir(tmp_path)
            assert factory.FACTORY.base_dir == tmp_path
        """,
        "test_custom_base_dir",
        BASE_DIR,
    ),
    case(
        "registry-filled-in-place-pytest",
        """
        from lib import router


        def test_register(client):
            router.register("/cart", client)
            assert router.ROUTES["/cart"] is client
        """,
        """
        import functools

        from lib import router


        def test_register(client, monkeypatch, request):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.setattr(router, "ROUTES", router.ROUTES)
            request.addfinalizer(functools.partial(router.ROUTES.update, router.ROUTES.copy()))
            request.addfinalizer(router.ROUTES.clear)
            router.register("/cart", client)
            assert router.ROUTES["/cart"] is client
        """,
        "test_register",
        "global:lib.router.ROUTES",
    ),
    case(
        "registry-list-filled-in-place-testcase",
        """
        from unittest import TestCase

        import lib.router


        class TestHooks(TestCase):
            def test_hook(self):
                lib.router.on_request(print)
        """,
        """
        from unittest import TestCase

        import lib.router


        class TestHooks(TestCase):
            def test_hook(self):
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(setattr, lib.router, "HOOKS", lib.router.HOOKS)
                self.addCleanup(lib.router.HOOKS.extend, lib.router.HOOKS.copy())
                self.addCleanup(lib.router.HOOKS.clear)
                lib.router.on_request(print)
        """,
        "TestHooks::test_hook",
        "global:lib.router.HOOKS",
    ),
    case(
        "logging-level-and-handlers-annotated",
        """
        from __future__ import annotations

        from lib import log


        def test_verbose() -> None:
            log.set_verbosity(2)
        """,
        """
        from __future__ import annotations

        import functools
        import logging

        import pytest

        from lib import log


        def test_verbose(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
            # put back what this test changes, when it ends (auditor fix)
            request.addfinalizer(
                functools.partial(
                    logging.getLogger("lib").setLevel, logging.getLogger("lib").level
                )
            )
            monkeypatch.setattr(
                logging.getLogger("lib"), "handlers", logging.getLogger("lib").handlers[:]
            )
            log.set_verbosity(2)
        """,
        "test_verbose",
        "global:logging.getLogger('lib').level",
        "global:logging.getLogger('lib').handlers",
    ),
    case(
        "logging-testcase-root-logger",
        """
        import logging as lg
        import unittest

        from lib import log


        class TestLog(unittest.TestCase):
            def test_setup(self):
                log.configure()
        """,
        """
        import logging as lg
        import unittest

        from lib import log


        class TestLog(unittest.TestCase):
            def test_setup(self):
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(lg.root.setLevel, lg.root.level)
                self.addCleanup(lg.root.handlers.extend, lg.root.handlers[:])
                self.addCleanup(lg.root.handlers.clear)
                self.addCleanup(
                    setattr, lg.getLogger("lib"), "propagate", lg.getLogger("lib").propagate
                )
                log.configure()
        """,
        "TestLog::test_setup",
        "global:logging.root.level",
        "global:logging.root.handlers",
        "global:logging.getLogger('lib').propagate",
    ),
    case(
        "a-logger-named-through-the-projects-binding",
        """
        import unittest

        from lib import log


        class TestVerbosity(unittest.TestCase):
            def test_debug(self):
                log.set_verbosity("debug")
        """,
        """
        import unittest

        from lib import log


        class TestVerbosity(unittest.TestCase):
            def test_debug(self):
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(log.logger.setLevel, log.logger.level)
                self.addCleanup(log.logger.handlers.extend, log.logger.handlers[:])
                self.addCleanup(log.logger.handlers.clear)
                log.set_verbosity("debug")
        """,
        "TestVerbosity::test_debug",
        "global:lib.log.logger.level",
        "global:lib.log.logger.handlers",
    ),
    case(
        "environment-pytest",
        """
        from lib import settings


        def test_debug():
            settings.enable_debug()  # sets APP_DEBUG
        """,
        """
        import os

        from lib import settings


        def test_debug(monkeypatch):
            # put back what this test changes, when it ends (auditor fix)
            if "APP_DEBUG" in os.environ:
                monkeypatch.setenv("APP_DEBUG", os.environ["APP_DEBUG"])
            else:  # setenv records that it is unset, delenv unsets it again
                monkeypatch.setenv("APP_DEBUG", "")
                monkeypatch.delenv("APP_DEBUG")
            settings.enable_debug()  # sets APP_DEBUG
        """,
        "test_debug",
        "env:APP_DEBUG",
    ),
    case(
        "environment-testcase",
        """
        import os
        import unittest


        class TestSettings(unittest.TestCase):
            def test_debug(self):
                enable_debug()
        """,
        """
        import os
        import unittest


        class TestSettings(unittest.TestCase):
            def test_debug(self):
                # put back what this test changes, when it ends (auditor fix)
                if "APP_DEBUG" in os.environ:
                    self.addCleanup(os.environ.update, {"APP_DEBUG": os.environ["APP_DEBUG"]})
                else:
                    self.addCleanup(os.environ.pop, "APP_DEBUG", None)
                enable_debug()
        """,
        "TestSettings::test_debug",
        "env:APP_DEBUG",
    ),
    case(
        "cwd-sys-path-warnings-sys-modules-testcase",
        """
        from unittest import TestCase


        class TestPlugins(TestCase):
            def test_load(self):
                load_plugins("plugins")
        """,
        """
        import os
        import sys
        import warnings
        from unittest import TestCase


        class TestPlugins(TestCase):
            def test_load(self):
                # put back what this test changes, when it ends (auditor fix)
                self.addCleanup(os.chdir, os.getcwd())
                self.addCleanup(sys.path.extend, sys.path[:])
                self.addCleanup(sys.path.clear)
                self.addCleanup(warnings.filters.extend, warnings.filters[:])
                self.addCleanup(warnings.resetwarnings)
                self.addCleanup(sys.modules.update, {"plugins.a": sys.modules["plugins.a"]})
                load_plugins("plugins")
        """,
        "TestPlugins::test_load",
        "cwd:plugins",
        "global:sys.path",
        "global:warnings.filters",
        "global:sys.modules[plugins.a]",
    ),
    case(
        "cwd-and-sys-path-pytest",
        """
        import os


        def test_load():
            load_plugins("plugins")
        """,
        """
        import os
        import sys


        def test_load(monkeypatch):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.chdir(os.getcwd())
            monkeypatch.setattr(sys, "path", sys.path[:])
            load_plugins("plugins")
        """,
        "test_load",
        "cwd:plugins",
        "global:sys.path",
    ),
    case(
        "imports-added-where-isort-puts-them",
        """
        \"\"\"Shop tests.\"\"\"

        import os

        import pytest

        from lib.api import client


        def test_checkout():
            client.checkout()
        """,
        """
        \"\"\"Shop tests.\"\"\"

        import functools
        import os

        import pytest

        import lib.factory
        import lib.router
        from lib.api import client


        def test_checkout(monkeypatch, request):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.setattr(lib.factory.FACTORY, "base_dir", lib.factory.FACTORY.base_dir)
            monkeypatch.setattr(lib.router, "HOOKS", lib.router.HOOKS)
            request.addfinalizer(
                functools.partial(lib.router.HOOKS.extend, lib.router.HOOKS.copy())
            )
            request.addfinalizer(lib.router.HOOKS.clear)
            client.checkout()
        """,
        "test_checkout",
        BASE_DIR,
        "global:lib.router.HOOKS",
    ),
    case(
        "import-pkg-mod-as-m",
        """
        import lib.factory as m


        def test_build():
            m.set_base_dir("/tmp")
        """,
        """
        import lib.factory as m


        def test_build(monkeypatch):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.setattr(m.FACTORY, "base_dir", m.FACTORY.base_dir)
            m.set_base_dir("/tmp")
        """,
        "test_build",
        BASE_DIR,
    ),
    case(
        "object-imported-by-name-and-partial-from-functools",
        """
        from functools import partial

        from lib.factory import FACTORY
        from lib.router import ROUTES


        class TestFactory:
            def test_build(self, client):
                FACTORY.build(client)
        """,
        """
        from functools import partial

        import lib.router
        from lib.factory import FACTORY
        from lib.router import ROUTES


        class TestFactory:
            def test_build(self, client, monkeypatch, request):
                # put back what this test changes, when it ends (auditor fix)
                monkeypatch.setattr(FACTORY, "base_dir", FACTORY.base_dir)
                monkeypatch.setattr(lib.router, "ROUTES", ROUTES)
                request.addfinalizer(partial(ROUTES.update, ROUTES.copy()))
                request.addfinalizer(ROUTES.clear)
                FACTORY.build(client)
        """,
        "TestFactory::test_build",
        BASE_DIR,
        "global:lib.router.ROUTES",
    ),
    case(
        "a-global-of-the-test-module-itself",
        """
        CACHE = {}


        def test_fill():
            CACHE["a"] = 1
        """,
        """
        import functools
        import sys

        CACHE = {}


        def test_fill(monkeypatch, request):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.setattr(sys.modules[__name__], "CACHE", CACHE)
            request.addfinalizer(functools.partial(CACHE.update, CACHE.copy()))
            request.addfinalizer(CACHE.clear)
            CACHE["a"] = 1
        """,
        "test_fill",
        "global:tests.test_shop.CACHE",
    ),
    case(
        "the-file-at-a-session-fixture-path",
        """
        def test_add_to_shared_store(store_path):
            Store(store_path).add({"title": "milk"})
        """,
        """
        import functools


        def test_add_to_shared_store(store_path, request):
            # put back what this test changes, when it ends (auditor fix)
            request.addfinalizer(
                functools.partial(store_path.write_bytes, store_path.read_bytes())
            )
            Store(store_path).add({"title": "milk"})
        """,
        "test_add_to_shared_store",
        "fixture:store_path.read_bytes()",
    ),
    case(
        "the-fixture-reached-through-another-is-requested",
        """
        def test_add(store):
            store.add({"title": "milk"})
        """,
        """
        import functools


        def test_add(store, request, store_path):
            # put back what this test changes, when it ends (auditor fix)
            request.addfinalizer(
                functools.partial(store_path.write_bytes, store_path.read_bytes())
            )
            store.add({"title": "milk"})
        """,
        "test_add",
        "fixture:store_path.read_bytes()",
    ),
    case(
        "what-cannot-be-restored-is-left-for-the-report",
        """
        import os


        def test_export():
            export("build/report.json")
        """,
        """
        import os


        def test_export(monkeypatch):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.chdir(os.getcwd())
            export("build/report.json")
        """,
        "test_export",
        "cwd:build",
        "file:build/report.json",
        "global:os.umask",
    ),
]


@pytest.mark.parametrize(("target", "state", "before", "after"), POLLUTERS)
def test_polluter_saves_and_restores(
    target: Target, state: tuple[str, ...], before: str, after: str
) -> None:
    out = rewrite(before, target, state, LIB)
    assert (out.status, out.code) == ("changed", after), out.reason
    compile(out.code, "test_shop.py", "exec")


@pytest.mark.parametrize(("target", "state", "before", "after"), POLLUTERS)
def test_rewriting_twice_changes_nothing_more(
    target: Target, state: tuple[str, ...], before: str, after: str
) -> None:
    again = rewrite(rewrite(before, target, state, LIB).code, target, state, LIB)
    assert (again.status, again.code) == ("already", after)
    assert f"{target} already restores" in again.reason


@pytest.mark.parametrize(
    ("state", "chosen"),
    [
        ((BASE_DIR,), f"{BASE_DIR}: binding"),
        (("global:lib.router.ROUTES",), "global:lib.router.ROUTES: binding and content (dict)"),
        (("global:lib.router.HOOKS",), "global:lib.router.HOOKS: binding and content (list)"),
        (("env:APP_DEBUG",), "env:APP_DEBUG: value or absence"),
        (
            ("cwd:build", "file:build/x.json"),
            "cwd:build: working directory; not restored: a file, not state in the process",
        ),
    ],
)
def test_the_reason_says_what_was_chosen(state: tuple[str, ...], chosen: str) -> None:
    code = (
        "import unittest\n\nclass TestA(unittest.TestCase):\n    def test_a(self):\n        pass\n"
    )
    out = rewrite(code, Target.of("tests/test_shop.py::TestA::test_a"), state, LIB)
    assert out.status == "changed"
    assert out.reason.startswith(chosen)


@pytest.mark.parametrize(
    ("setup", "made"),
    [
        ("    @classmethod\n    def setUpClass(klass):\n        pass\n\n", "klass"),
        ("", "cls"),  # inherited (or none): one of its own, calling its base's
        ("    @staticmethod\n    def setUpClass():\n        pass\n\n", None),
    ],
    ids=["classmethod", "inherited", "staticmethod"],
)
def test_a_class_wide_restore_goes_into_the_classs_own_setupclass(
    setup: str, made: str | None
) -> None:
    code = (
        "import unittest\n\nfrom lib import factory\n\n\nclass TestA(unittest.TestCase):\n"
        f'    """The shop."""\n\n{setup}    def test_a(self):\n        pass\n'
    )
    target = Target.of("tests/test_shop.py::TestA::test_a")
    out = rewrite(code, target, (BASE_DIR,), LIB, whole_class=True)
    if made is None:
        assert (out.status, out.code) == ("unfixable", code)
        assert "defines a setUpClass without cls" in out.reason
        return
    assert out.status == "changed"
    assert out.reason.startswith("in setUpClass, for the whole class: ")
    assert (
        '    """The shop."""\n\n'
        "    @classmethod\n"
        f"    def setUpClass({made}):\n"
        "        # put back what this class changes, when its tests end (auditor fix)\n"
        f"        {made}.addClassCleanup(\n"
        '            setattr, factory.FACTORY, "base_dir", factory.FACTORY.base_dir\n'
        "        )\n"
    ) in out.code
    if not setup:
        assert "        super().setUpClass()\n\n    def test_a(self):\n" in out.code
    compile(out.code, "test_shop.py", "exec")


def test_a_second_fix_in_the_same_test_joins_the_first_under_one_note() -> None:
    code = _src(
        """
        import unittest

        from lib import factory


        class TestFactory(unittest.TestCase):
            def setUp(self):
                factory.configure()

            def test_build(self):
                self.assertTrue(factory.build())
        """
    )
    target = Target.of("tests/test_shop.py::TestFactory::test_build")
    first = rewrite(code, target, (BASE_DIR,), LIB).code
    second = rewrite(first, target, ("global:lib.factory.FACTORY.debug",), LIB).code
    assert second.count("# put back what this test changes") == 1
    assert second.index("FACTORY.debug") < second.index("FACTORY.base_dir")


def noop(name: str, code: str, status: str, reason: str, test: str, *state: str) -> Any:
    """A row whose code stays as it is: the status expected and a fragment of the reason."""
    target = Target.of(f"tests/test_shop.py::{test}")
    return pytest.param(target, state, _src(code), status, reason, id=name)


UNCHANGED = [
    noop(
        "already-restored-and-reformatted-by-the-user",
        """
        import unittest

        from lib import factory


        class TestFactory(unittest.TestCase):
            def test_build(self):
                self.addCleanup(
                    setattr,
                    factory.FACTORY,
                    "base_dir",
                    factory.FACTORY.base_dir,  # restored by auditor
                )
                factory.set_base_dir("/tmp")
        """,
        "already",
        "already restores global:lib.factory.FACTORY.base_dir",
        "TestFactory::test_build",
        BASE_DIR,
    ),
    noop(
        "already-restored-through-import-pkg-mod-as-m",
        """
        import lib.factory as m


        def test_build(monkeypatch):
            # put back what this test changes, when it ends (auditor fix)
            monkeypatch.setattr(m.FACTORY, "base_dir", m.FACTORY.base_dir)
            m.set_base_dir("/tmp")
        """,
        "already",
        "already restores",
        "test_build",
        BASE_DIR,
    ),
    noop(
        "unrelated-state-that-code-cannot-restore",
        """
        def test_serve():
            serve(port=18765)
        """,
        "unfixable",
        "nothing to restore in tests/test_shop.py::test_serve: a port",
        "test_serve",
        "port:18765",
        "other:libfoo internals",
    ),
    noop(
        "the-module-cannot-be-told",
        """
        def test_build():
            build()
        """,
        "unfixable",
        "cannot tell which part of vendor.thing.STATE is a module",
        "test_build",
        "global:vendor.thing.STATE",
    ),
    noop(
        "the-package-name-means-something-else",
        """
        lib = None


        def test_build():
            build()
        """,
        "unfixable",
        "`lib` names something else in the test; import lib.factory there",
        "test_build",
        BASE_DIR,
    ),
    noop(
        "the-umask-is-restored-by-hand",
        """
        def test_mask():
            make_private_files()
        """,
        "unfixable",
        "save it by hand (`mask = os.umask(0o022); os.umask(mask)`)",
        "test_mask",
        "global:os.umask",
    ),
    noop(
        "the-polluter-is-not-a-function-of-its-file",
        """
        from tests.base import FactoryTests


        class TestFactory(FactoryTests):
            pass
        """,
        "unfixable",
        "is not a function of its file (inherited, generated, or changed since the audit): "
        "the victim resets the state instead",
        "TestFactory::test_build",
        BASE_DIR,
    ),
    noop(
        "a-fixture-file-in-a-testcase",
        """
        import unittest


        class TestStore(unittest.TestCase):
            def test_add(self):
                Store(STORE).add({})
        """,
        "unfixable",
        "a unittest.TestCase method cannot request",
        "TestStore::test_add",
        "fixture:store_path.read_bytes()",
    ),
    noop(
        "does-not-parse",
        """
        def test_build(:
            pass
        """,
        "unfixable",
        "does not parse",
        "test_build",
        BASE_DIR,
    ),
]


@pytest.mark.parametrize(("target", "state", "code", "status", "reason"), UNCHANGED)
def test_leaves_alone(
    target: Target, state: tuple[str, ...], code: str, status: str, reason: str
) -> None:
    out = rewrite(code, target, state, LIB)
    assert (out.status, out.code) == (status, code)
    assert reason in out.reason


VICTIMS = [
    case(
        "testcase-victim-resets-in-its-setup",
        """
        import os
        import unittest

        from lib import factory


        class TestPaths(unittest.TestCase):
            def setUp(self):
                self.factory = factory.FACTORY

            def tearDown(self):
                del self.factory

            def test_default(self):
                self.assertEqual(self.factory.base_dir, "build")
        """,
        """
        import os
        import unittest

        import lib.router
        from lib import factory

        # the state before any test ran, which test_default starts from (auditor fix)
        _INITIAL_FACTORY_BASE_DIR = factory.FACTORY.base_dir
        _INITIAL_ENV_APP_MODE = os.environ.get("APP_MODE")
        _INITIAL_ROUTES = lib.router.ROUTES.copy()


        class TestPaths(unittest.TestCase):
            def setUp(self):
                # start from the state as it was before any test ran (auditor fix)
                self.addCleanup(setattr, factory.FACTORY, "base_dir", factory.FACTORY.base_dir)
                factory.FACTORY.base_dir = _INITIAL_FACTORY_BASE_DIR
                if "APP_MODE" in os.environ:
                    self.addCleanup(os.environ.update, {"APP_MODE": os.environ["APP_MODE"]})
                else:
                    self.addCleanup(os.environ.pop, "APP_MODE", None)
                if _INITIAL_ENV_APP_MODE is None:
                    os.environ.pop("APP_MODE", None)
                else:
                    os.environ["APP_MODE"] = _INITIAL_ENV_APP_MODE
                self.addCleanup(setattr, lib.router, "ROUTES", lib.router.ROUTES)
                self.addCleanup(lib.router.ROUTES.update, lib.router.ROUTES.copy())
                self.addCleanup(lib.router.ROUTES.clear)
                lib.router.ROUTES.clear()
                lib.router.ROUTES.update(_INITIAL_ROUTES)
                self.factory = factory.FACTORY

            def tearDown(self):
                del self.factory

            def test_default(self):
                self.assertEqual(self.factory.base_dir, "build")
        """,
        "TestPaths::test_default",
        BASE_DIR,
        "env:APP_MODE",
        "global:lib.router.ROUTES",
    ),
    case(
        "testcase-victim-without-setup",
        """
        import unittest

        from lib import factory


        class TestPaths(unittest.TestCase):
            def test_default(self):
                self.assertEqual(factory.FACTORY.base_dir, "build")
        """,
        """
        import unittest

        from lib import factory

        # the state before any test ran, which test_default starts from (auditor fix)
        _INITIAL_FACTORY_BASE_DIR = factory.FACTORY.base_dir


        class TestPaths(unittest.TestCase):
            def test_default(self):
                # start from the state as it was before any test ran (auditor fix)
                self.addCleanup(setattr, factory.FACTORY, "base_dir", factory.FACTORY.base_dir)
                factory.FACTORY.base_dir = _INITIAL_FACTORY_BASE_DIR
                self.assertEqual(factory.FACTORY.base_dir, "build")
        """,
        "TestPaths::test_default",
        BASE_DIR,
    ),
    case(
        "pytest-victim-cwd-environment-logger",
        """
        import logging


        def test_quiet():
            assert not logging.getLogger("lib").isEnabledFor(logging.DEBUG)
        """,
        """
        import functools
        import logging
        import os

        # the state before any test ran, which test_quiet starts from (auditor fix)
        _INITIAL_CWD = os.getcwd()
        _INITIAL_ENV_APP_MODE = os.environ.get("APP_MODE")
        _INITIAL_LOGGING_GETLOGGER_LIB_LEVEL = logging.getLogger("lib").level


        def test_quiet(monkeypatch, request):
            # start from the state as it was before any test ran (auditor fix)
            monkeypatch.chdir(_INITIAL_CWD)
            if _INITIAL_ENV_APP_MODE is None:
                monkeypatch.delenv("APP_MODE", raising=False)
            else:
                monkeypatch.setenv("APP_MODE", _INITIAL_ENV_APP_MODE)
            request.addfinalizer(
                functools.partial(
                    logging.getLogger("lib").setLevel, logging.getLogger("lib").level
                )
            )
            logging.getLogger("lib").setLevel(_INITIAL_LOGGING_GETLOGGER_LIB_LEVEL)
            assert not logging.getLogger("lib").isEnabledFor(logging.DEBUG)
        """,
        "test_quiet",
        "cwd:build",
        "env:APP_MODE",
        "global:logging.getLogger('lib').level",
    ),
    case(
        "pytest-victim-logger-named-through-the-projects-binding",
        """
        from lib import log


        def test_quiet_by_default():
            assert not log.logger.isEnabledFor(10)
        """,
        """
        import functools

        from lib import log

        # the state before any test ran, which test_quiet_by_default starts from (auditor fix)
        _INITIAL_LOGGER_LEVEL = log.logger.level


        def test_quiet_by_default(request):
            # start from the state as it was before any test ran (auditor fix)
            request.addfinalizer(functools.partial(log.logger.setLevel, log.logger.level))
            log.logger.setLevel(_INITIAL_LOGGER_LEVEL)
            assert not log.logger.isEnabledFor(10)
        """,
        "test_quiet_by_default",
        "global:lib.log.logger.level",
    ),
]


@pytest.mark.parametrize(("target", "state", "before", "after"), VICTIMS)
def test_victim_resets_the_state_in_its_setup(
    target: Target, state: tuple[str, ...], before: str, after: str
) -> None:
    out = defend(before, target, state, LIB)
    assert (out.status, out.code) == ("changed", after), out.reason
    compile(out.code, "test_shop.py", "exec")


@pytest.mark.parametrize(("target", "state", "before", "after"), VICTIMS)
def test_defending_twice_changes_nothing_more(
    target: Target, state: tuple[str, ...], before: str, after: str
) -> None:
    again = defend(defend(before, target, state, LIB).code, target, state, LIB)
    assert (again.status, again.code) == ("already", after)


@pytest.mark.parametrize(
    "state", ["global:sys.modules[plugins.a]", "fixture:store_path.read_bytes()"]
)
def test_a_victim_cannot_reset_what_it_does_not_know(state: str) -> None:
    code = "def test_plugin(store_path):\n    import plugins.a\n"
    target = Target.of("tests/test_shop.py::test_plugin")
    out = defend(code, target, (state,), LIB)
    assert (out.status, out.code) == ("unfixable", code)
    assert "its value before any test ran is not known" in out.reason


# The forms, run: each rewritten test runs (a pytest test with a real MonkeyPatch and a request
# whose finalizers run last-registered first, a TestCase through unittest), then the state is
# what it was before it.


class _Request:
    """What pytest's ``request`` gives a test here: finalizers, run last-registered first."""

    def __init__(self) -> None:
        self.finalizers: list[Callable[[], object]] = []

    def addfinalizer(self, finalizer: Callable[[], object]) -> None:
        self.finalizers.append(finalizer)

    def teardown(self) -> None:
        while self.finalizers:
            self.finalizers.pop()()


def _run(code: str, test: str) -> None:
    """Run ``test`` of the module ``code`` as pytest or unittest would, teardown included."""
    namespace: dict[str, Any] = {"__name__": "auditor_t_shop"}
    exec(compile(code, "test_shop.py", "exec"), namespace)
    if "::" in test:
        cls, name = test.split("::")
        result = unittest.TestResult()
        namespace[cls](name).run(result)
        assert result.wasSuccessful(), result.errors + result.failures
        return
    function = namespace[test]
    mp, request = pytest.MonkeyPatch(), _Request()
    fixtures = {"monkeypatch": mp, "request": request}
    try:
        function(**{name: fixtures[name] for name in function.__code__.co_varnames[:2]})
    finally:
        request.teardown()
        mp.undo()


def _fixed(code: str, test: str, state: tuple[str, ...], known: Library = LIB) -> str:
    out = rewrite(_src(code), Target.of(f"tests/test_shop.py::{test}"), state, known)
    assert out.status == "changed", out.reason
    return out.code


VARIABLE = "AUDITOR_T_RESTORE"
SETS_A_VARIABLE = f"""
import os
import unittest


def _configure():  # the library under test
    os.environ["{VARIABLE}"] = "leaked"


def test_leak():
    _configure()


class TestLeak(unittest.TestCase):
    def test_leak(self):
        _configure()
"""


@pytest.mark.parametrize("before", [None, "set before"], ids=["unset", "set"])
@pytest.mark.parametrize("test", ["test_leak", "TestLeak::test_leak"])
def test_the_environment_gets_back_its_value_or_its_absence(
    monkeypatch: pytest.MonkeyPatch, test: str, before: str | None
) -> None:
    if before is None:
        monkeypatch.delenv(VARIABLE, raising=False)
    else:
        monkeypatch.setenv(VARIABLE, before)
    _run(_src(SETS_A_VARIABLE), test)
    assert os.environ[VARIABLE] == "leaked"  # as written, the test leaks
    if before is None:
        del os.environ[VARIABLE]
    else:
        os.environ[VARIABLE] = before
    _run(_fixed(SETS_A_VARIABLE, test, (f"env:{VARIABLE}",)), test)
    assert os.environ.get(VARIABLE) == before  # the value, or the absence, is back


FILLS_A_REGISTRY = """
import unittest

from auditor_t_lib import router


def test_register():
    router.register("/cart")


class TestRegister(unittest.TestCase):
    def test_register(self):
        router.register("/cart")
"""


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``auditor_t_lib.router``: a registry that another module holds too."""
    package = types.ModuleType("auditor_t_lib")
    router = types.ModuleType("auditor_t_lib.router")
    routes = {"/": "home"}
    router.ROUTES = routes  # type: ignore[attr-defined]
    router.register = lambda path: routes.__setitem__(path, "view")  # type: ignore[attr-defined]
    package.router = router  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "auditor_t_lib", package)
    monkeypatch.setitem(sys.modules, "auditor_t_lib.router", router)
    return routes


@pytest.mark.parametrize("test", ["test_register", "TestRegister::test_register"])
def test_a_registry_gets_back_its_content_in_the_same_object(
    registry: dict[str, str], test: str
) -> None:
    known = Library(frozenset({"auditor_t_lib.router"}), {"auditor_t_lib.router.ROUTES": "dict"})
    fixed = _fixed(FILLS_A_REGISTRY, test, ("global:auditor_t_lib.router.ROUTES",), known)
    _run(fixed, test)
    assert registry == {"/": "home"}  # the object other modules hold, emptied and refilled
    assert sys.modules["auditor_t_lib.router"].ROUTES is registry


SETS_A_LEVEL = """
import logging
import unittest


def test_verbose():
    logging.getLogger("auditor_t").setLevel(logging.DEBUG)
    assert logging.getLogger("auditor_t").isEnabledFor(logging.DEBUG)  # cached


class TestVerbose(unittest.TestCase):
    def test_verbose(self):
        logging.getLogger("auditor_t").setLevel(logging.DEBUG)
        self.assertTrue(logging.getLogger("auditor_t").isEnabledFor(logging.DEBUG))
"""


@pytest.mark.parametrize("test", ["test_verbose", "TestVerbose::test_verbose"])
def test_a_logger_level_is_set_back_through_set_level(test: str) -> None:
    logger = logging.getLogger("auditor_t")
    logger.setLevel(logging.WARNING)
    try:
        _run(_fixed(SETS_A_LEVEL, test, ("global:logging.getLogger('auditor_t').level",)), test)
        assert logger.level == logging.WARNING
        # setLevel cleared the cache isEnabledFor filled: a bare attribute write would not
        assert not logger.isEnabledFor(logging.DEBUG)
    finally:
        logger.setLevel(logging.NOTSET)


def test_the_working_directory_comes_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build").mkdir()
    code = """
    import os
    import unittest


    class TestExport(unittest.TestCase):
        def test_export(self):
            os.chdir("build")  # as a library would
    """
    _run(_fixed(code, "TestExport::test_export", ("cwd:build",)), "TestExport::test_export")
    assert Path.cwd() == tmp_path


# What the project's sources say (library.read).


def test_the_sources_say_which_part_is_the_module_and_what_is_a_container(
    tmp_path: Path,
) -> None:
    files = {
        "lib/__init__.py": "",
        "lib/factory.py": """
            class Factory:
                hooks = []

                def __init__(self):
                    self.base_dir = "build"
                    self.plugins = {}


            FACTORY = Factory()
            """,
        "lib/router.py": """
            import collections
            import logging
            from collections import defaultdict

            ROUTES: dict[str, str] = {}
            HOOKS = collections.deque()
            log = logging.getLogger(__name__)
            SEEN = set()
            CACHE = defaultdict(list)
            NAME = "router"
            """,
        "src/pkg/__init__.py": "",
        "src/pkg/mod.py": "REG = [n for n in range(3)]\n",
        "tests/helpers.py": "STATE = {}\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    chains = [
        "lib.factory.FACTORY.base_dir",
        "lib.factory.FACTORY.plugins",
        "lib.factory.Factory.hooks",
        "lib.router.ROUTES",
        "lib.router.HOOKS",
        "lib.router.SEEN",
        "lib.router.CACHE",
        "lib.router.NAME",
        "lib.router.log.level",
        "pkg.mod.REG",
        "helpers.STATE",
        "json.decoder.scanstring",
        "vendor.thing.STATE",
    ]
    known = library.read(tmp_path, chains, "tests/test_a.py")
    assert {chain: known.module_of(chain) for chain in chains} == {
        "lib.factory.FACTORY.base_dir": "lib.factory",
        "lib.factory.FACTORY.plugins": "lib.factory",
        "lib.factory.Factory.hooks": "lib.factory",
        "lib.router.ROUTES": "lib.router",
        "lib.router.HOOKS": "lib.router",
        "lib.router.SEEN": "lib.router",
        "lib.router.CACHE": "lib.router",
        "lib.router.NAME": "lib.router",
        "lib.router.log.level": "lib.router",
        "pkg.mod.REG": "pkg.mod",
        "helpers.STATE": "helpers",  # beside the test: on sys.path in rootdir import mode
        "json.decoder.scanstring": "json.decoder",
        "vendor.thing.STATE": None,
    }
    assert known.containers == {
        "lib.factory.FACTORY.plugins": "dict",
        "lib.factory.Factory.hooks": "list",
        "lib.router.ROUTES": "dict",
        "lib.router.HOOKS": "deque",
        "lib.router.SEEN": "set",
        "lib.router.CACHE": "dict",
        "pkg.mod.REG": "list",
        "helpers.STATE": "dict",
    }
    assert known.loggers == {"lib.router.log"}


# The plan: spelled writes first, then the restore, then the victim.

POLLUTER = "tests/test_factory.py::TestFactory::test_custom_base_dir"
VICTIM = "tests/test_paths.py::test_default_base_dir"


def _chain(fix: Fix | None) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each fix down the fallbacks: its (codemod, test, state…) edits and when it falls back."""
    while fix is not None:
        edits = tuple(f"{e.codemod} {e.test} {' '.join(e.state)}".strip() for e in fix.edits)
        yield edits, fix.fallback_on if fix.fallback else ()
        fix = fix.fallback


def _planned(
    *state: str, cleaners: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    finding = Finding(
        "order-dependent", VICTIM, "", polluters=(POLLUTER,), state=state, cleaners=cleaners
    )
    (fix,) = plan([finding]).fixes
    return list(_chain(fix))


def test_a_named_global_gets_the_spelled_write_codemod_then_the_restore_then_the_victim() -> None:
    assert _planned(BASE_DIR) == [
        ((f"module_globals {POLLUTER}",), ("reverted", "unfixable", "skipped")),
        ((f"restore {POLLUTER} {BASE_DIR}",), ("unfixable", "skipped")),
        ((f"defend {VICTIM} {BASE_DIR}",), ()),
    ]


def test_state_no_statement_spells_is_restored_first() -> None:
    level = "global:logging.getLogger('lib').level"
    assert _planned(level, "global:sys.path") == [
        ((f"restore {POLLUTER} {level} global:sys.path",), ("unfixable", "skipped")),
        ((f"defend {VICTIM} {level} global:sys.path",), ()),
    ]


def test_only_the_state_code_can_restore_is_handed_to_the_restore() -> None:
    planned = _planned("env:APP_MODE", "file:build/x.json")
    assert planned[0][0] == (f"environ {POLLUTER}",)
    assert planned[1][0] == (f"restore {POLLUTER} env:APP_MODE",)


def test_a_fixture_file_is_restored_and_a_fixture_value_rewritten() -> None:
    file = "fixture:store_path.read_bytes()"
    assert _planned(file) == [
        ((f"restore {POLLUTER} {file}",), ("unfixable", "skipped")),
        ((f"defend {VICTIM} {file}",), ()),
    ]
    assert _planned("fixture:settings")[0][0] == (f"module_globals {POLLUTER}",)
    assert len(_planned("fixture:settings")) == 1  # a value is not restored: nothing to add


def test_without_named_state_the_plan_is_as_before() -> None:
    assert _planned() == [
        (tuple(f"{c} {POLLUTER}" for c in ("chdir", "environ", "module_globals")), ()),
    ]


CLEANER = "tests/test_paths.py::test_reset_base_dir"
UNPROVEN = ("reverted", "unfixable", "skipped")


def test_a_cleaner_found_is_the_last_fallback_and_the_fix_when_nothing_else_is() -> None:
    assert _planned(cleaners=(CLEANER,)) == [
        (tuple(f"{c} {POLLUTER}" for c in ("chdir", "environ", "module_globals")), UNPROVEN),
        ((f"cleanup {VICTIM}",), ()),
    ]
    assert _planned(BASE_DIR, cleaners=(CLEANER,)) == [
        ((f"module_globals {POLLUTER}",), UNPROVEN),
        ((f"restore {POLLUTER} {BASE_DIR}",), ("unfixable", "skipped", "reverted")),
        ((f"defend {VICTIM} {BASE_DIR}",), UNPROVEN),
        ((f"cleanup {VICTIM}",), ()),
    ]
    port = Finding(
        "order-dependent", VICTIM, "", polluters=(POLLUTER,), state=("port:1",), cleaners=(CLEANER,)
    )
    assert list(_chain(plan([port]).fixes[0])) == [((f"cleanup {VICTIM}",), ())]


def test_state_no_code_can_restore_is_reported_never_serialised() -> None:
    finding = Finding("order-dependent", VICTIM, "", polluters=(POLLUTER,), state=("port:18765",))
    planned = plan([finding])
    assert planned.fixes == ()
    ((kind, test, why),) = planned.remaining
    assert (kind, test) == ("order-dependent", VICTIM)
    assert "no codemod undoes port:18765" in why and "serial does not help" in why


# auditor fix, end to end: a unittest.TestCase polluter that leaks through the library under
# test, with nothing in its body a statement codemod could rewrite.

FACTORY = """\
class Factory:
    def __init__(self):
        self.base_dir = "build"

    def set_base_dir(self, path):
        self.base_dir = path


FACTORY = Factory()


def set_base_dir(path):
    FACTORY.set_base_dir(path)
"""

TESTCASE_POLLUTER = """\
import unittest

from lib import factory


class TestFactory(unittest.TestCase):
    def test_custom_base_dir(self):
        factory.set_base_dir("/tmp")
        self.assertEqual(factory.FACTORY.base_dir, "/tmp")
"""

PATHS_VICTIM = """\
from lib import factory


def test_default_base_dir():
    assert factory.FACTORY.base_dir == "build"
"""


def test_fix_keeps_a_restore_for_a_testcase_polluter_leaking_through_a_library_call(
    tmp_path: Path,
) -> None:
    root = git_project(
        tmp_path / "project",
        {
            "conftest.py": "",  # the project's root on sys.path: lib is importable
            "lib/__init__.py": "",
            "lib/factory.py": FACTORY,
            "tests/test_factory.py": TESTCASE_POLLUTER,
            "tests/test_paths.py": PATHS_VICTIM,
        },
    )
    assert run_pytest(root, "-p", "no:randomly", POLLUTER, VICTIM).returncode == 1
    finding = {"kind": "order-dependent", "test": VICTIM, "polluters": [POLLUTER]}
    audit = tmp_path / "audit.json"
    audit.write_text(
        json.dumps({"schema": "auditor.audit/1", "findings": [{**finding, "state": [BASE_DIR]}]})
    )

    fixed = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")

    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # files changed
    report = json.loads((root / "reports" / "fix.json").read_text())
    spelled, restore = report["fixes"]
    assert spelled["status"] == "unfixable"  # no statement in the test writes base_dir
    assert restore["status"] == "kept", restore
    assert restore["instead_of"] == spelled["fix"]
    assert restore["fix"].endswith(f"({BASE_DIR}: binding)")
    assert report["files_changed"] == ["tests/test_factory.py"]
    assert report["remaining"] == []
    text = (root / "tests" / "test_factory.py").read_text()
    assert (
        "    def test_custom_base_dir(self):\n"
        "        # put back what this test changes, when it ends (auditor fix)\n"
        '        self.addCleanup(setattr, factory.FACTORY, "base_dir", factory.FACTORY.base_dir)\n'
        '        factory.set_base_dir("/tmp")\n'
    ) in text
    after = run_pytest(root, "-p", "no:randomly", POLLUTER, VICTIM)
    assert after.returncode == 0, after.stdout


# The attribute does not exist until the polluter's setUp creates it (a factory whose
# constructor leaves it out): saving its value at the start of setUp raised AttributeError.

LANGUAGE_FACTORY = """\
class Factory:
    def __init__(self):
        self.base_dir = "build"

    def describe(self):
        language = getattr(self, "default_lang", None)
        return self.base_dir if language is None else f"{self.base_dir} ({language})"


FACTORY = Factory()
"""

LANGUAGE_POLLUTER = """\
import unittest

from lib import factory


class TestFactory(unittest.TestCase):
    def setUp(self):
        factory.FACTORY.default_lang = "en"

    def test_custom_base_dir(self):
        self.assertEqual(factory.FACTORY.describe(), "build (en)")
"""

LANGUAGE_POLLUTER_PYTEST = """\
from lib import factory


class TestFactory:
    def test_custom_base_dir(self):
        factory.FACTORY.default_lang = "en"
        assert factory.FACTORY.describe() == "build (en)"
"""

# The same on a class: its attribute created by the polluter (a lazily made default), where
# vars(cls) is read-only.
CLASS_LANGUAGE_FACTORY = """\
class Factory:
    base_dir = "build"

    @classmethod
    def describe(cls):
        language = getattr(cls, "default_lang", None)
        return cls.base_dir if language is None else f"{cls.base_dir} ({language})"


FACTORY = Factory
"""

LANGUAGE_VICTIM = """\
from lib import factory


def test_default_base_dir():
    assert factory.FACTORY.describe() == "build"
"""


@pytest.mark.parametrize("style", ["unittest", "pytest", "unittest-class"])
def test_an_attribute_the_polluter_creates_gets_back_its_absence(
    tmp_path: Path, style: str
) -> None:
    polluter = LANGUAGE_POLLUTER_PYTEST if style == "pytest" else LANGUAGE_POLLUTER
    root = git_project(
        tmp_path / "project",
        {
            "conftest.py": "",
            "lib/__init__.py": "",
            "lib/factory.py": CLASS_LANGUAGE_FACTORY
            if style.endswith("class")
            else LANGUAGE_FACTORY,
            "tests/test_factory.py": polluter,
            "tests/test_paths.py": LANGUAGE_VICTIM,
        },
    )
    audit = _victim_of(root, tmp_path, POLLUTER, VICTIM)
    report = json.loads(audit.read_text())
    report["findings"][0]["state"] = ["global:lib.factory.FACTORY.default_lang"]
    audit.write_text(json.dumps({"schema": "auditor.audit/1", **report}))

    fixed = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")

    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    restore = json.loads((root / "reports" / "fix.json").read_text())["fixes"][-1]
    assert restore["status"] == "kept", restore
    text = (root / "tests" / "test_factory.py").read_text()
    if style.startswith("unittest"):
        assert (
            "    def setUp(self):\n"
            "        # put back what this test changes, when it ends (auditor fix)\n"
            '        if hasattr(factory.FACTORY, "default_lang"):\n'
            "            self.addCleanup(\n"
            '                setattr, factory.FACTORY, "default_lang", '
            "factory.FACTORY.default_lang\n"
            "            )\n"
            "        else:\n"
            "            self.addCleanup(\n"  # black never splits a lambda
            '                lambda: hasattr(factory.FACTORY, "default_lang") and '
            'delattr(factory.FACTORY, "default_lang")\n'
            "            )\n"
            '        factory.FACTORY.default_lang = "en"\n'
        ) in text, text
    else:  # the write itself, through monkeypatch, which deletes what was absent
        assert (
            "    def test_custom_base_dir(self, monkeypatch):\n"
            '        monkeypatch.setattr(factory.FACTORY, "default_lang", "en", raising=False)\n'
        ) in text
    after = run_pytest(root, "-p", "no:randomly", POLLUTER, VICTIM)
    assert after.returncode == 0, after.stdout


# config-better: the polluter's setUpClass sets an environment variable no test removes, before
# any setUp runs: saved in the test, the value saved is already the polluted one. The restore,
# reverted there, is made once more in setUpClass, for the whole class.
XDG_CONFIG = """\
import os


def cache_dir():
    return os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
"""

XDG_POLLUTER = """\
import os
import unittest

from lib import config


class TestFactory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["XDG_CACHE_HOME"] = "/srv/cache"

    def test_custom_base_dir(self):
        self.assertEqual(config.cache_dir(), "/srv/cache")
"""

XDG_VICTIM = """\
from lib import config


def test_default_base_dir():
    assert config.cache_dir().endswith(".cache")
"""


# The same leak in a base class's setUpClass, which the polluter's class inherits.
XDG_BASE_POLLUTER = """\
import os
import unittest

from lib import config


class XdgTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["XDG_CACHE_HOME"] = "/srv/cache"


class TestFactory(XdgTestCase):
    def test_custom_base_dir(self):
        self.assertEqual(config.cache_dir(), "/srv/cache")
"""


@pytest.mark.parametrize("where", ["own", "inherited", "inherited from a base named otherwise"])
def test_state_a_class_setup_changes_is_put_back_when_the_class_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    polluter = XDG_POLLUTER if where == "own" else XDG_BASE_POLLUTER
    if where.endswith("otherwise"):  # a TestCase only through the module's own base class
        polluter = polluter.replace("XdgTestCase", "XdgSetup")
    files = {"conftest.py": "", "lib/__init__.py": "", "lib/config.py": XDG_CONFIG}
    files |= {"tests/test_factory.py": polluter, "tests/test_paths.py": XDG_VICTIM}
    files |= {"tests/test_more_paths.py": XDG_VICTIM}  # a second victim of the same polluter
    root = git_project(tmp_path / "project", files)
    audit = _victim_of(root, tmp_path, POLLUTER, VICTIM, state=["env:XDG_CACHE_HOME"])
    report = json.loads(audit.read_text())
    second = "tests/test_more_paths.py::test_default_base_dir"
    report["findings"].append({**report["findings"][0], "test": second})
    audit.write_text(json.dumps(report))

    fixed = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")

    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    report = json.loads((root / "reports" / "fix.json").read_text())
    restore = [f for f in report["fixes"] if f["test"] == VICTIM][-1]
    assert restore["status"] == "kept", restore
    # the second victim's evidence passes once the first fix is in: settled by it, not left
    again = [f for f in report["fixes"] if f["test"] == second][-1]
    assert again["status"] == "already", again
    assert again["reason"].startswith("its evidence passes after an earlier fix of this run")
    assert report["remaining"] == []
    assert "(in setUpClass, for the whole class: env:XDG_CACHE_HOME" in restore["fix"]
    text = (root / "tests" / "test_factory.py").read_text()
    assert (
        "    def setUpClass(cls):\n"
        "        # put back what this class changes, when its tests end (auditor fix)\n"
        '        if "XDG_CACHE_HOME" in os.environ:\n'
    ) in text, text
    assert '            cls.addClassCleanup(os.environ.pop, "XDG_CACHE_HOME", None)\n' in text
    assert "    def test_custom_base_dir(self):\n        self.assertEqual(" in text  # not there
    if where != "own":  # made for the polluter's class, calling its base's
        assert "(Xdg" in text and "):\n    @classmethod\n    def setUpClass(cls):\n" in text
        assert "        super().setUpClass()\n\n    def test_custom_base_dir" in text
    assert run_pytest(root, "-p", "no:randomly", POLLUTER, VICTIM).returncode == 0


def _victim_of(root: Path, tmp_path: Path, polluter: str, victim: str, **more: list[str]) -> Path:
    """An audit report (its path) with one victim, which fails after its polluter."""
    assert run_pytest(root, "-p", "no:randomly", polluter, victim).returncode == 1
    finding = {"kind": "order-dependent", "test": victim, "polluters": [polluter], **more}
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps({"schema": "auditor.audit/1", "findings": [finding]}))
    return audit


# auditor fix, end to end: the state lives in a library outside the project (the footprint is
# blind to it); the audit found a cleaner, whose setup becomes the victim's fixture.

VENDOR = """\
_MODE = ["default"]


def configure(mode):
    _MODE[0] = mode


def mode():
    return _MODE[0]
"""

VENDOR_POLLUTER = """\
import vendorlib


def test_custom_mode():
    vendorlib.configure("fast")
    assert vendorlib.mode() == "fast"
"""

VENDOR_VICTIM = """\
import vendorlib


def test_reset_mode():
    vendorlib.configure("default")
    assert vendorlib.mode() == "default"


def test_default_mode():
    assert vendorlib.mode() == "default"
"""


def test_fix_keeps_a_cleaners_setup_as_the_victims_fixture_when_the_state_is_unknown(
    tmp_path: Path,
) -> None:
    vendor = tmp_path / "site"  # outside the project: no footprint sees it
    vendor.mkdir()
    (vendor / "vendorlib.py").write_text(VENDOR)
    conftest = f"import sys\nsys.path.insert(0, {str(vendor)!r})\n"
    polluter, victim = (
        "tests/test_mode.py::test_custom_mode",
        "tests/test_use.py::test_default_mode",
    )
    cleaner = "tests/test_use.py::test_reset_mode"
    root = git_project(
        tmp_path / "project",
        {
            "conftest.py": conftest,
            "tests/test_mode.py": VENDOR_POLLUTER,
            "tests/test_use.py": VENDOR_VICTIM,
        },
    )
    audit = _victim_of(root, tmp_path, polluter, victim, state=[], cleaners=[cleaner])

    fixed = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")

    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # files changed
    report = json.loads((root / "reports" / "fix.json").read_text())
    monkeypatched, cleanup = report["fixes"]
    assert monkeypatched["status"] == "unfixable"  # nothing the polluter spells
    assert cleanup["status"] == "kept", cleanup
    assert report["files_changed"] == ["tests/test_use.py"]
    text = (root / "tests" / "test_use.py").read_text()
    assert (
        "@pytest.fixture\n"
        "def reset_mode():\n"
        '    """What test_reset_mode resets, before this test (extracted by auditor)."""\n'
        '    vendorlib.configure("default")\n'
    ) in text
    assert "def test_default_mode(reset_mode):" in text
    after = run_pytest(root, "-p", "no:randomly", polluter, victim)
    assert after.returncode == 0, after.stdout
    git(root, "commit", "-qam", "fixed")  # a file left changed is left alone
    again = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")
    assert again.returncode == 0, again.stdout  # nothing more to change
    assert (root / "tests" / "test_use.py").read_text() == text


# auditor fix twice: the first fix keeps the last link of the chain (the cleaner's setup as the
# victim's fixture: the restore of the named flag could not undo what is behind it); the second
# starts from that link, though the restore before it would now pass thanks to it.

GATE = """\
_HELD = {"inner": {"held": False}}  # two levels deep: no footprint sees it
PAUSED = False


def pause():
    global PAUSED
    PAUSED = True
    _HELD["inner"]["held"] = True


def resume():
    global PAUSED
    PAUSED = False
    _HELD["inner"]["held"] = False


def send():
    return not _HELD["inner"]["held"]
"""

GATE_TESTS = """\
from lib import gate


def test_pause():
    gate.pause()
    assert gate.PAUSED


def test_resume():
    gate.pause()
    gate.resume()
    assert not gate.PAUSED


def test_send():
    assert gate.send()
"""


def test_a_second_fix_starts_from_the_fallback_the_first_one_kept(tmp_path: Path) -> None:
    polluter, cleaner, victim = (
        f"tests/test_gate.py::test_{n}" for n in ("pause", "resume", "send")
    )
    root = git_project(
        tmp_path / "project",
        {
            "conftest.py": "",
            "lib/__init__.py": "",
            "lib/gate.py": GATE,
            "tests/test_gate.py": GATE_TESTS,
        },
    )
    state = ["global:lib.gate.PAUSED"]
    audit = _victim_of(root, tmp_path, polluter, victim, state=state, cleaners=[cleaner])

    first = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")

    assert first.returncode == 1, first.stdout + first.stderr
    report = json.loads((root / "reports" / "fix.json").read_text())
    assert [f["status"] for f in report["fixes"]] == ["unfixable", "reverted", "reverted", "kept"]
    git(root, "commit", "-qam", "fixed")
    once = (root / "tests" / "test_gate.py").read_text()

    second = auditor(root, "fix", "--from", str(audit), "--closing-orders", "0")

    assert second.returncode == 0, second.stdout + second.stderr
    report = json.loads((root / "reports" / "fix.json").read_text())
    assert [f["status"] for f in report["fixes"]] == ["already"]
    assert report["files_changed"] == []
    assert (root / "tests" / "test_gate.py").read_text() == once


def test_a_victim_of_another_modules_import_is_left_with_the_module_to_change() -> None:
    # The audit names the module, not a polluter test (classify._uncollected): nothing to rewrite.
    victim = "test_h.py::test_main_address"
    finding = Finding("order-dependent", victim, "pytest x", sequence=(victim,))
    result = plan([finding])
    assert result.fixes == ()
    ((kind, test, why),) = result.remaining
    assert (kind, test) == ("order-dependent", victim)
    assert "fails once another module is collected" in why
    searched = Finding("order-dependent", victim, "pytest x", sequence=("t::p", victim))
    assert "polluter was not found" in plan([searched]).remaining[0][2]
