"""``--auditor-footprint`` in real pytest runs: the state each test leaves, what it touches."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from auditor.findings import Finding
from auditor.locate import footprints as fp
from auditor.model import RunOutcome, RunPlan, read_results
from auditor.plugin.effects import token
from auditor.report.audit import finding_entry
from tests.helpers import clean_env, read_jsonl, run_pytest, write_suite

SECRET = "hunter2-not-for-reports"

FOOTPRINT_SUITE = {
    "pkg/__init__.py": "",
    "pkg/config.py": "RATE = 0.0\nREG = {}\nclass Settings:\n    debug = False\n"
    "settings = Settings()\n",
    "conftest.py": "import pytest\n@pytest.fixture(scope='module')\ndef shared():\n"
    "    return {'a': 1}\n"
    "@pytest.fixture(scope='session')\ndef store(tmp_path_factory):\n"
    "    path = tmp_path_factory.mktemp('store') / 'store.json'\n"
    "    path.write_text('[]')\n    return path\n"
    "@pytest.fixture(scope='session')\ndef absent(tmp_path_factory):\n"
    "    return tmp_path_factory.mktemp('absent') / 'new.json'\n",
    "test_fp.py": f"""
import os, socket, sqlite3, subprocess, sys, tempfile
from pkg import config

def test_env():
    os.environ["APP_MODE"] = "{SECRET}"

def test_unset():
    os.environ.pop("HOME", None)

def test_global():
    config.RATE = 0.1

def test_container():
    config.REG["main"] = 1

def test_attribute():
    config.settings.debug = True

def test_fixture(shared):
    shared["b"] = 2

def test_fixture_file(store):
    store.write_text("[1]")

def test_fixture_file_read(store):
    assert store.read_text()

def test_fixture_file_created(absent):
    absent.write_text("[]")  # not state: no bytes to put back at its start

def test_sys_path():
    sys.path.append("elsewhere")

def test_files():
    os.makedirs("build", exist_ok=True)
    with open("build/report.json", "w") as f:
        f.write("{{}}")
    os.replace("build/report.json", "build/final.json")

def test_private(tmp_path):
    (tmp_path / "x").write_text("1")
    with open(os.path.join(tempfile.mkdtemp(), "y"), "w") as f:
        f.write("2")

def test_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))  # port 0: the system's pick, never shared
    port = probe.getsockname()[1]
    probe.close()
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.close()

def test_named_temporary_files():  # open(folder, opener=…): the file is mkstemp's, private
    with tempfile.NamedTemporaryFile() as f, tempfile.NamedTemporaryFile(dir="pkg") as g:
        f.write(b"x")
        g.write(b"y")
    with tempfile.TemporaryFile() as h, tempfile.TemporaryFile(dir="pkg") as i:  # no name
        h.write(b"z")
        i.write(b"z")
    lock = os.path.join(tempfile.gettempdir(), "auditor-test-shared.lock")  # not private
    with open(lock, "w"):
        pass
    os.remove(lock)

def test_sqlite():
    os.makedirs("build", exist_ok=True)
    sqlite3.connect("build/app.db").close()
    sqlite3.connect(":memory:").close()

def test_subprocess():
    subprocess.run([sys.executable, "-c", "pass"], check=True)

def test_restored(monkeypatch):
    monkeypatch.setenv("APP_MODE", "x")
    monkeypatch.setattr(config, "RATE", 5)
    monkeypatch.chdir("pkg")

def test_reads_only():
    with open("pkg/config.py") as f:
        f.read()

def test_zz_cwd():
    os.chdir("pkg")
""",
    # A session run inside a test (as pytester's in-process runs do) hears the environment's
    # changes while it runs, and the outer session after it.
    "test_nested.py": """
import os
import pytest

def test_a_session_inside(tmp_path):
    (tmp_path / "test_inner.py").write_text(
        "import os\\ndef test_leaks():\\n    os.environ['INNER_LEAK'] = '1'\\n"
    )
    results = tmp_path / "inner.jsonl"
    args = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--import-mode=importlib"]
    args += ["--auditor-footprint", f"--auditor-results={results}", str(tmp_path)]
    assert pytest.main(args) == 0
    assert '"env:INNER_LEAK"' in results.read_text()

def test_after_it():
    os.environ["AFTER_LEAK"] = "1"
""",
}

#: The standard library's process-wide state: one test changes each kind; ``test_clean_*`` use
#: it (and pytest's own logging and warnings machinery) without leaving anything changed.
STDLIB_SUITE = {
    "pkg/log.py": "import logging\nlogger = logging.getLogger('app.db')\n",
    "test_stdlib.py": """
import decimal, locale, logging, os, random, signal, socket, sys, threading, warnings
import pytest
from pkg.log import logger

def test_clean_logging(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="app.db")
    logger.info("captured")
    logging.getLogger("brand.new.logger").debug("created, left as created")

def test_clean_warnings(recwarn):
    warnings.warn("seen", DeprecationWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

def test_clean_decimal_arithmetic():
    assert decimal.Decimal(1) / decimal.Decimal(3)  # sets the Inexact and Rounded flags

def test_clean_restored(monkeypatch):
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    if threading.current_thread() is threading.main_thread():  # old xdist: a worker thread
        previous = signal.signal(signal.SIGUSR2, lambda *args: None)
        signal.signal(signal.SIGUSR2, previous)

def test_logger_level():
    logging.getLogger("app.db").setLevel(logging.DEBUG)

def test_logger_handlers():
    logger.addHandler(logging.NullHandler())

def test_logger_propagate_disabled():
    other = logging.getLogger("app.other")
    other.propagate = False
    other.disabled = True

def test_root_level():
    logging.getLogger().setLevel(logging.CRITICAL)

def test_logging_disable():
    logging.disable(logging.INFO)

def test_warnings_filter():
    warnings.simplefilter("ignore", ResourceWarning)

def test_umask():
    if os.umask(0o077) == 0o077:
        os.umask(0o027)

def test_locale():
    current = locale.setlocale(locale.LC_NUMERIC)
    locale.setlocale(locale.LC_NUMERIC, "C.UTF-8" if current == "C" else "C")

def test_socket_timeout():
    socket.setdefaulttimeout(7.5)

def test_signal():
    if threading.current_thread() is threading.main_thread():  # old xdist: a worker thread
        signal.signal(signal.SIGUSR1, lambda *args: None)

def test_random_seed():
    random.seed(1234)

def test_decimal_context():
    decimal.getcontext().prec = 5

def test_recursion_limit():
    sys.setrecursionlimit(sys.getrecursionlimit() + 100)
""",
}

#: One object bound in several modules: pkg.factory defines it, pkg.a, pkg.b and pkg.c import it.
ALIAS_SUITE = {
    "pkg/factory.py": "class Factory:\n    def __init__(self):\n        self.x = 0\n"
    "        self.items = []\n\nfactory = Factory()\nREGISTRY = {}\n",
    "pkg/a.py": "from pkg.factory import REGISTRY, factory\n",
    "pkg/b.py": "from pkg.factory import factory\n",
    "pkg/c.py": "from pkg.factory import factory as made\n",
    "pkg/memo.py": "import functools\n\n@functools.lru_cache(maxsize=None)\n"
    "def table():\n    return {'fr': 'EUR'}\n\nLARGE = {n: str(n) for n in range(5000)}\n",
    "test_aliases.py": """
from pkg import a, b, c, memo

def test_attribute_of_shared_object():
    c.made.x = 5

def test_container_in_shared_object():
    b.factory.items.append(1)

def test_shared_container():
    a.REGISTRY["k"] = 1

def test_memoised():
    memo.table()

def test_memoised_hit():
    memo.table()

def test_large_cache_filled():
    memo.LARGE[-1] = "one more"

def test_large_cache_read():
    assert memo.LARGE[42] == "42"

def test_rebound_in_one_module():
    b.factory = object()
""",
}

#: A module's namespace bound in another module (``NS = vars(space)``), and one bound in its own
#: module: one dict both a namespace and a container the footprint watches.
NAMESPACE_SUITE = {
    "pkg/space.py": "X = 1\nITEMS = []\n",
    "pkg/view.py": "from pkg import space\n\nNS = vars(space)\n",
    "pkg/itself.py": "import sys\n\nSELF = vars(sys.modules[__name__])\nZ = 0\n",
    "test_namespaces.py": """
from pkg import itself, space, view

def test_n1_rebinds():
    space.X = 2

def test_n2_reads():
    assert view.NS["X"] == 2

def test_n3_puts_back_through_the_view():
    view.NS["X"] = 1

def test_n4_changes_through_the_view():
    view.NS["X"] = 3

def test_n5_puts_back_through_the_module():
    space.X = 1

def test_n6_adds_through_the_view():
    view.NS["Y"] = 1

def test_n7_appends():
    view.NS["ITEMS"].append(1)

def test_n8_rebinds_its_own():
    itself.Z = 5

def test_n9_puts_back_through_itself():
    itself.SELF["Z"] = 0

def test_nn_same_value_again():
    itself.SELF["Z"] = 0
""",
}


#: How a cache changed: the same default twice (cleared between), an override, a rebinding.
EFFECT_SUITE = {
    "pkg/settings.py": "class Manager:\n    def __init__(self):\n        self._cache = {}\n\n"
    "manager = Manager()\nTOKEN = None\nSEEN = []\n",
    "test_effects.py": f"""
from pkg import settings

def test_e1_reads_default():
    settings.manager._cache.setdefault("currency", "USD")

def test_e2_clears():
    settings.manager._cache.clear()

def test_e3_reads_default_again():
    settings.manager._cache.setdefault("currency", "USD")

def test_e4_overrides():
    settings.manager._cache["currency"] = "EUR"

def test_e5_rebinds_a_secret():
    settings.TOKEN = "{SECRET}"

def test_e6_appends():
    settings.SEEN.append("{SECRET}")

def test_e7_appends_again():
    settings.SEEN.append("more")

def test_e8_reads_only():
    assert len(settings.SEEN) >= 0 and "none" not in settings.manager._cache

def test_e9_counts_in_a_loop():
    for n in range(50):  # the interpreter specialises this store after a few rounds
        settings.manager.count = n

def test_e10_counts_again():
    for n in range(50):
        settings.manager.count = n + 1

def test_e11_same_count():
    settings.manager.count = 50

def test_e12_fills_the_cache():
    settings.manager._cache["language"] = "en"
""",
    # The next test module: the project's part of its first snapshot is carried over from
    # test_effects.py's first one, brought up to date with what its tests filled, not taken anew.
    "test_effects_next.py": """
from pkg import settings

def test_n1_appends():
    settings.SEEN.append("next")

def test_n2_reads_only():
    assert "language" in settings.manager._cache

def test_n3_clears():
    settings.manager._cache.clear()
""",
}

#: unittest.TestCase classes (a base class in a project module and in a helper beside the tests)
#: with class- and test-level setup, teardown and cleanups: none of them changes anything.
UNITTEST_SUITE = {
    "pkg/testing.py": """
import unittest

class BaseCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = object()
        cls.addClassCleanup(lambda: None)

    @classmethod
    def tearDownClass(cls):
        del cls.connection
        super().tearDownClass()

    def setUp(self):
        self.scratch = []
        self.addCleanup(self.scratch.clear)
""",
    "helpers/__init__.py": "",
    "helpers/base.py": """
import unittest
import pytest

@pytest.mark.slow
class MarkedCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.shared = {"ready": True}
""",
    "test_unit.py": """
import unittest
import pytest
from pkg.testing import BaseCase
from helpers.base import MarkedCase

class TestBase(BaseCase):
    def test_one(self):
        self.addCleanup(lambda: None)

    def test_two(self):
        with self.subTest(n=2):
            self.assertEqual(len(self.scratch), 0)

class TestMarked(MarkedCase):
    def test_one(self):
        self.assertTrue(self.shared["ready"])

    def test_two(self):
        pass

class TestOwnSetup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.items = [1, 2]
        cls.addClassCleanup(cls.items.clear)

    def setUp(self):
        self.local = 1

    def tearDown(self):
        del self.local

    def test_one(self):
        pass

    def test_two(self):
        pass

@pytest.mark.slow
class TestPytestStyle:
    @classmethod
    def setup_class(cls):
        cls.resource = object()

    @pytest.fixture(autouse=True, scope="class")
    def prepared(self, request):
        request.cls.prepared_value = 1
        yield
        request.cls.prepared_value = None

    def test_one(self):
        pass

    def test_two(self):
        pass

class TestCounting(unittest.TestCase):
    counter = 0

    def test_counts(self):
        type(self).counter += 1
""",
}


def footprints(
    root: Path,
    *args: str,
    randomly: str = "no:randomly",
    into: str = "results.jsonl",
    env: dict[str, str] | None = None,
) -> tuple[dict[str, dict[str, Any]], str]:
    """Each test's record, by its node id without the file (``test_env``, ``TestA::test_one``)."""
    results = root / into
    results.unlink(missing_ok=True)
    run = run_pytest(
        root, "-p", randomly, "--auditor-footprint", f"--auditor-results={results}", *args, env=env
    )
    assert run.returncode == 0, run.stdout + run.stderr
    records = [r for r in read_jsonl(results) if r["type"] == "test"]
    by_name = {
        r["nodeid"].split("::", 1)[1]: {
            "file": r["nodeid"].split("::")[0],
            "state": r.get("state"),
            "aliases": r.get("aliases"),
            "effects": r.get("effects"),
            "resources": r.get("resources"),
            "worker": r["worker"],
        }
        for r in records
    }
    return by_name, results.read_text()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    suite = FOOTPRINT_SUITE | STDLIB_SUITE | ALIAS_SUITE | UNITTEST_SUITE | EFFECT_SUITE
    suite |= NAMESPACE_SUITE
    root = write_suite(tmp_path_factory.mktemp("footprint") / "project", suite)
    by_name, text = footprints(root)
    return by_name, text, root


def changed_in(by_name: dict[str, Any], file: str) -> dict[str, Any]:
    return {
        name: entry["state"]
        for name, entry in by_name.items()
        if entry["file"] == file and entry["state"]
    }


def test_state_left_changed(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    state = changed_in(by_name, "test_fp.py")
    assert state == {
        "test_env": ["env:APP_MODE"],
        "test_unset": ["env:HOME"],
        "test_global": ["global:pkg.config.RATE"],
        "test_container": ["global:pkg.config.REG"],
        "test_attribute": ["global:pkg.config.settings.debug"],
        "test_fixture": ["fixture:shared"],
        "test_fixture_file": ["fixture:store.read_bytes()"],
        "test_sys_path": ["global:sys.path"],
        "test_zz_cwd": ["cwd:pkg"],
    }
    assert changed_in(by_name, "test_nested.py") == {
        "test_a_session_inside": ["env:INNER_LEAK"],
        "test_after_it": ["env:AFTER_LEAK"],
    }


def test_how_a_state_changed_tells_its_writers_apart(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, text, root = recorded
    cache = "global:pkg.settings.manager._cache"
    effects = {
        name: entry["effects"]
        for name, entry in by_name.items()
        if entry["file"] == "test_effects.py"
    }
    (default,) = effects["test_e1_reads_default"][cache]
    assert effects["test_e3_reads_default_again"] == {cache: [default]}  # the same item
    (override,) = effects["test_e4_overrides"][cache]
    key = default.split("=")[0]
    assert override.split("=")[0] == key and override != default  # same key, another value
    assert effects["test_e2_clears"] == {cache: [f"{key}-"]}  # removed
    (rebound,) = effects["test_e5_rebinds_a_secret"]["global:pkg.settings.TOKEN"]
    (appended,) = effects["test_e6_appends"]["global:pkg.settings.SEEN"]
    assert rebound.startswith("=") and appended == "+" + rebound[1:]  # one value, one token
    assert SECRET not in text  # values never leave the process: only their hashes
    level = "global:logging.getLogger('app.db').level"  # the standard library's state too
    assert by_name["test_logger_level"]["effects"] == {level: [f"={token(logging.DEBUG)}"]}
    assert by_name["test_random_seed"]["effects"] is None  # too large to tell by value
    result = read_results(root / "results.jsonl", 0, 0.0, 0.0, ())
    outcome = RunOutcome(RunPlan("sequential"), result)
    marks = fp.footprints([outcome]).marks
    assert marks["test_effects.py::test_e4_overrides"] == {f"{cache}#{override}"}


def test_changes_in_a_row_each_reach_the_record(recorded) -> None:  # type: ignore[no-untyped-def]
    """After a test that filled a container, the next test's snapshot is the last one with
    that container's copy taken again: a second change in a row shows, a read does not, nor a
    value bound again to the same object."""
    by_name, _, _ = recorded
    assert changed_in(by_name, "test_effects.py") == {
        "test_e1_reads_default": ["global:pkg.settings.manager._cache"],
        "test_e2_clears": ["global:pkg.settings.manager._cache"],
        "test_e3_reads_default_again": ["global:pkg.settings.manager._cache"],
        "test_e4_overrides": ["global:pkg.settings.manager._cache"],
        "test_e5_rebinds_a_secret": ["global:pkg.settings.TOKEN"],
        "test_e6_appends": ["global:pkg.settings.SEEN"],
        "test_e7_appends_again": ["global:pkg.settings.SEEN"],
        "test_e9_counts_in_a_loop": ["global:pkg.settings.manager.count"],
        "test_e10_counts_again": ["global:pkg.settings.manager.count"],
        "test_e12_fills_the_cache": ["global:pkg.settings.manager._cache"],
    }


def test_changes_in_the_next_test_module_reach_the_record(recorded) -> None:  # type: ignore[no-untyped-def]
    """The project modules' part of a snapshot is carried from one test module to the next,
    brought up to date with what the tests before filled: their changes show, reads do not."""
    by_name, _, _ = recorded
    assert changed_in(by_name, "test_effects_next.py") == {
        "test_n1_appends": ["global:pkg.settings.SEEN"],
        "test_n3_clears": ["global:pkg.settings.manager._cache"],
    }


def test_the_same_records_without_reading_tags(recorded) -> None:  # type: ignore[no-untyped-def]
    """``AUDITOR_TAGS=0``: every dict compared with its copy, random's state by getstate():
    the records are the very same (the tags only skip comparisons that would find nothing)."""
    by_name, _, root = recorded
    plain, _ = footprints(root, into="plain.jsonl", env={**clean_env(), "AUDITOR_TAGS": "0"})
    drop = ("test_port", "test_files")  # a port picked by the system; none of the rest varies
    for name in plain.keys() | by_name.keys():
        if name not in drop:
            assert {**plain[name], "worker": 0} == {**by_name[name], "worker": 0}, name


def test_resources_touched(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    resources = {name: entry["resources"] for name, entry in by_name.items() if entry["resources"]}
    port = resources.pop("test_port")
    assert list(port.values()) == ["b"] and next(iter(port)).startswith("port:")
    assert next(iter(port)) != "port:0"
    lock = os.path.join(tempfile.gettempdir(), "auditor-test-shared.lock")
    assert resources.pop("test_named_temporary_files") == {f"file:{lock}": "wx"}
    subprocess = resources.pop("test_subprocess")
    assert [k.startswith("other:subprocess:python") for k in subprocess] == [True]
    assert resources == {
        "test_files": {
            "file:build": "d",
            "file:build/report.json": "wx",  # written, then renamed away
            "file:build/final.json": "w",
        },
        "test_sqlite": {"file:build": "d", "sqlite:build/app.db": "o"},
    }


def test_restored_private_and_read_only_leave_no_footprint(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    for name in ("test_restored", "test_private", "test_reads_only"):
        assert (by_name[name]["state"], by_name[name]["resources"]) == (None, None)


def test_environment_values_never_leave_the_process(recorded) -> None:  # type: ignore[no-untyped-def]
    _, text, _ = recorded
    assert "APP_MODE" in text and SECRET not in text


def test_every_xdist_worker_records_its_own(recorded) -> None:  # type: ignore[no-untyped-def]
    sequential, _, root = recorded
    args = ("-p", "xdist", "-n", "2", "-k", "not cwd", "test_fp.py")  # the others: in order
    distributed, _ = footprints(root, *args, into="xdist.jsonl")
    for name in ("test_env", "test_global", "test_files", "test_sqlite"):
        for key in ("state", "resources"):
            assert distributed[name][key] == sequential[name][key], name
    workers = {
        entry["worker"] for entry in distributed.values() if entry["state"] or entry["resources"]
    }
    assert workers == {"gw0", "gw1"}


def test_standard_library_state_left_changed(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    assert changed_in(by_name, "test_stdlib.py") == {
        "test_logger_level": ["global:logging.getLogger('app.db').level"],
        "test_logger_handlers": ["global:logging.getLogger('app.db').handlers"],
        "test_logger_propagate_disabled": [
            "global:logging.getLogger('app.other').disabled",
            "global:logging.getLogger('app.other').propagate",
        ],
        "test_root_level": ["global:logging.root.level"],
        "test_logging_disable": ["global:logging.disable"],
        # test_warnings_filter: pytest's warnings plugin puts the filters back after every test
        "test_umask": ["global:os.umask"],
        "test_locale": ["global:locale"],
        "test_socket_timeout": ["global:socket.defaulttimeout"],
        "test_signal": ["global:signal[SIGUSR1]"],
        "test_random_seed": ["global:random.state"],
        "test_decimal_context": ["global:decimal.context"],
        "test_recursion_limit": ["global:sys.recursionlimit"],
    }


def test_a_logger_is_named_by_logging_with_the_modules_holding_it(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    holders = ["global:pkg.log.logger", "global:test_stdlib.logger"]
    for test, attr in (("test_logger_level", "level"), ("test_logger_handlers", "handlers")):
        assert by_name[test]["aliases"] == {
            f"global:logging.getLogger('app.db').{attr}": [f"{h}.{attr}" for h in holders]
        }
    assert by_name["test_root_level"]["aliases"] is None


@pytest.fixture(scope="module")
def recorded_randomly(recorded) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """test_stdlib.py again, with pytest-randomly reseeding, pytest's warnings plugin off, and
    its logging plugin setting the root logger's level around every phase and logging live."""
    _, _, root = recorded
    args = ("-p", "no:warnings", "-o", "log_level=DEBUG", "--log-cli-level=INFO", "test_stdlib.py")
    by_name, _ = footprints(root, *args, randomly="randomly", into="randomly.jsonl")
    return by_name


def test_warnings_filters_count_only_when_no_plugin_restores_them(
    recorded, recorded_randomly
) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    assert by_name["test_warnings_filter"]["state"] is None
    assert recorded_randomly["test_warnings_filter"]["state"] == ["global:warnings.filters"]


def test_random_state_counts_only_when_randomly_does_not_reseed(recorded_randomly) -> None:  # type: ignore[no-untyped-def]
    assert recorded_randomly["test_random_seed"]["state"] is None
    clean = {n: e["state"] for n, e in recorded_randomly.items() if n.startswith("test_clean")}
    assert clean == dict.fromkeys(clean) and len(clean) == 4


def test_a_root_level_pytest_puts_back_is_no_change(recorded, recorded_randomly) -> None:  # type: ignore[no-untyped-def]
    """With log_level set, pytest's logging plugin sets the root logger's level at the start of
    every phase and puts the previous one back at its end: a test's own setLevel cannot leak."""
    by_name, _, _ = recorded
    assert by_name["test_root_level"]["state"] == ["global:logging.root.level"]
    assert recorded_randomly["test_root_level"]["state"] is None
    assert recorded_randomly["test_logger_level"]["state"] == [
        "global:logging.getLogger('app.db').level"
    ]


def test_a_shared_object_is_named_once_with_its_aliases(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    state = changed_in(by_name, "test_aliases.py")
    assert state == {
        "test_attribute_of_shared_object": ["global:pkg.factory.factory.x"],
        "test_container_in_shared_object": ["global:pkg.factory.factory.items"],
        "test_shared_container": ["global:pkg.factory.REGISTRY"],
        "test_memoised": ["global:pkg.memo.table"],  # filled; the second call is a cache hit
        "test_large_cache_filled": ["global:pkg.memo.LARGE"],
        "test_rebound_in_one_module": ["global:pkg.b.factory"],
    }
    importers = ["global:pkg.a.factory", "global:pkg.b.factory", "global:pkg.c.made"]
    assert by_name["test_attribute_of_shared_object"]["aliases"] == {
        "global:pkg.factory.factory.x": [f"{name}.x" for name in importers]
    }
    assert by_name["test_container_in_shared_object"]["aliases"] == {
        "global:pkg.factory.factory.items": [f"{name}.items" for name in importers]
    }
    assert by_name["test_shared_container"]["aliases"] == {
        "global:pkg.factory.REGISTRY": ["global:pkg.a.REGISTRY"]
    }
    assert by_name["test_rebound_in_one_module"]["aliases"] is None


def test_a_namespace_bound_in_a_module_is_watched_as_the_namespace(recorded) -> None:  # type: ignore[no-untyped-def]
    # One dict is both pkg.space's namespace and the container pkg.view.NS: every change is
    # named once, under the module, whichever name made it, and a change put back by the other
    # name is a change too (neither name keeps an out-of-date copy of the dict).
    by_name, _, _ = recorded
    x, z = "global:pkg.space.X", "global:pkg.itself.Z"
    assert changed_in(by_name, "test_namespaces.py") == {
        "test_n1_rebinds": [x],
        "test_n3_puts_back_through_the_view": [x],
        "test_n4_changes_through_the_view": [x],
        "test_n5_puts_back_through_the_module": [x],
        "test_n6_adds_through_the_view": ["global:pkg.space.Y"],
        "test_n7_appends": ["global:pkg.space.ITEMS"],
        "test_n8_rebinds_its_own": [z],
        "test_n9_puts_back_through_itself": [z],
    }
    effects = {n: e["effects"] for n, e in by_name.items() if e["file"] == "test_namespaces.py"}
    assert effects["test_n3_puts_back_through_the_view"] == {
        x: effects["test_n5_puts_back_through_the_module"][x]
    }
    assert effects["test_n1_rebinds"] != effects["test_n4_changes_through_the_view"]


def test_aliases_reach_the_footprints_and_the_report(recorded) -> None:  # type: ignore[no-untyped-def]
    _, _, root = recorded
    result = read_results(root / "results.jsonl", 0, 0.0, 0.0, ())
    prints = fp.footprints([RunOutcome(RunPlan("sequential"), result)])
    polluter = "test_aliases.py::test_attribute_of_shared_object"
    state = ("global:pkg.factory.factory.x", "global:pkg.memo.table")
    assert prints.state[polluter] == {state[0]}
    aliases = (
        (
            "global:pkg.factory.factory.x",
            ("global:pkg.a.factory.x", "global:pkg.b.factory.x", "global:pkg.c.made.x"),
        ),
    )
    assert prints.aliases_of(state) == aliases
    finding = Finding("order-dependent", "t", "pytest t", state=state, aliases=aliases)
    assert finding_entry(finding, {})["aliases"] == {
        "global:pkg.factory.factory.x": [
            "global:pkg.a.factory.x",
            "global:pkg.b.factory.x",
            "global:pkg.c.made.x",
        ]
    }
    assert "aliases" not in finding_entry(Finding("order-dependent", "t", "pytest t"), {})


def test_unittest_and_pytest_machinery_is_never_state(recorded) -> None:  # type: ignore[no-untyped-def]
    """setUpClass / tearDownClass, setup_class, class-scoped fixtures, addCleanup,
    addClassCleanup, subTest and marks change nothing a test leaves; a test that changes its
    class's attribute does."""
    by_name, _, _ = recorded
    assert changed_in(by_name, "test_unit.py") == {
        "TestCounting::test_counts": ["global:test_unit.TestCounting.counter"]
    }


def python(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in ``root``, this interpreter, the tests' clean environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


AFTER_THE_SESSION = """
import gc, sys, types
import pytest
from auditor.plugin import footprint

code = pytest.main(["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--auditor-footprint"])
assert code == 0, code
hook = footprint._hook
assert hook is not None, "no audit hook was added"
# What the hook reaches, the interpreter's builtins aside (they live until the end anyway).
seen, todo, modules = {id(vars(__builtins__))}, [hook], []
while todo:
    thing = todo.pop()
    if id(thing) in seen:
        continue
    seen.add(id(thing))
    if isinstance(thing, types.ModuleType):
        modules.append(thing.__name__)
    else:
        todo += gc.get_referents(thing)
print(sorted(modules))
"""


def test_after_the_session_the_audit_hook_keeps_no_module_alive(tmp_path: Path) -> None:
    """An audit hook outlives the session and the modules: whatever it reaches, the collections
    made as the interpreter shuts down walk again and again. Reaching this module's namespace,
    it kept the project's and pytest's modules alive then (14 ms of a 570 ms run on
    bench/bench_footprint.py's large-caches suite, timed by phase)."""
    root = write_suite(
        tmp_path,
        {
            "pkg/__init__.py": "REG = {}\n",
            "test_writes.py": "import os\nimport pkg\n\n\ndef test_writes():\n"
            "    pkg.REG['k'] = 1\n    open('out.txt', 'w').close()\n",
        },
    )
    run = python(root, "-c", AFTER_THE_SESSION)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "[]"


def test_the_footprint_runs_under_python_bb(tmp_path: Path) -> None:
    """``python -bb`` turns every comparison of bytes with str into an error: the footprint
    makes none (it named the environment's ``PYTEST_CURRENT_TEST`` both ways, an INTERNALERROR
    at start-up)."""
    root = write_suite(
        tmp_path,
        {
            "pkgm.py": "REG = {}\n",
            "test_bb.py": "import os\nimport pkgm\n\n\ndef test_a():\n"
            "    os.environ['AUDITOR_BB'] = '1'\n    pkgm.REG['k'] = 1\n",
        },
    )
    results = root / "results.jsonl"
    argv = ["-p", "no:randomly", "-p", "no:cacheprovider", "--auditor-footprint"]
    run = python(root, "-bb", "-m", "pytest", *argv, f"--auditor-results={results}", "test_bb.py")
    assert run.returncode == 0, run.stdout + run.stderr
    (record,) = [r for r in read_jsonl(results) if r["type"] == "test"]
    assert record["state"] == ["env:AUDITOR_BB", "global:pkgm.REG"]
