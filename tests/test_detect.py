"""Detection that does not depend on luck: one audit of a suite whose defects neither the default
order nor its reverse shows (a victim behind cleaners in both, a brittle test with many
state-setters on both sides), and a victim whose polluter makes it hang."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import auditor, run_pytest, write_suite

SETTERS = 12  #: state-setters on each side of the brittle test

SUITE = {
    "units.py": "SYSTEM = {'unit': 'metric'}\n"
    "def use(unit):\n    SYSTEM['unit'] = unit\n"
    "def reset():\n    SYSTEM['unit'] = 'metric'\n",
    "ctx.py": "STATE = {}\ndef init():\n    STATE['ready'] = True\n",
    "locks.py": "import threading\nLOCK = threading.Lock()\n",
    # The polluter, then cleaners, then the victim: the default order hides it; reversed, the
    # victim runs before its polluter.
    "test_a_polluter.py": "import units\ndef test_use_imperial():\n    units.use('imperial')\n",
    "test_b_cleaners.py": "import units\n"
    "def test_reset_once():\n    units.reset()\n"
    "def test_reset_twice():\n    units.reset()\n",
    "test_c_victim.py": "import units\n"
    "def test_default_is_metric():\n    assert units.SYSTEM['unit'] == 'metric'\n",
    # The brittle test between state-setters: it passes in the default order and reversed.
    "test_d_setters.py": "import ctx\n"
    + "".join(f"def test_setter_{i}():\n    ctx.init()\n" for i in range(SETTERS)),
    "test_e_brittle.py": "import ctx\ndef test_needs_ready():\n    assert ctx.STATE['ready']\n",
    "test_f_setters.py": "import ctx\n"
    + "".join(f"def test_late_setter_{i}():\n    ctx.init()\n" for i in range(SETTERS)),
    # Hangs right after the test that leaves the lock held (reversed order, and the search).
    # First in the default order: a hang ends its run's child, and the order goes on in a new
    # one, from the collected state.
    "test_0a_waits.py": "import locks\n"
    "def test_takes_lock():\n    with locks.LOCK:\n        pass\n",
    "test_0b_holds.py": "import locks\ndef test_keeps_lock():\n    locks.LOCK.acquire()\n",
    # riemann's shape: a test helper selects another network when it is imported, so when the
    # selection is collected. The address test fails wherever the whole selection was collected
    # (alone in a fork of it too) but after the test that selects the main network, and passes
    # in a pytest of its own: test_g_sapling.py's collection is its cause, not its own state.
    "net.py": "NETWORK = ['main']\ndef select(name):\n    NETWORK[0] = name\n",
    "sapling_helpers.py": "import net\nnet.select('zcash')\n",
    "test_g_sapling.py": "import sapling_helpers\n"
    "def test_helpers_load():\n    assert sapling_helpers.net\n",
    "test_h_addresses.py": "import net\n"
    "def test_main_address():\n    assert net.NETWORK[0] == 'main'\n",
    "test_i_selects.py": "import net\ndef test_selects_main():\n    net.select('main')\n",
}


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = write_suite(tmp_path_factory.mktemp("detect") / "project", SUITE)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    result = auditor(root, "audit", "--seed", "5", "--timeout", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    report: dict[str, Any] = json.loads((root / "reports" / "audit.json").read_text())
    return {**report, "_root": str(root)}


def finding(report: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [f for f in report["findings"] if f["test"].endswith(f"::{name}")]
    return found


def test_only_the_planted_defects_are_found(audited: dict[str, Any]) -> None:
    kinds = {f["test"].split("::")[1]: f["kind"] for f in audited["findings"]}
    assert kinds == {
        "test_default_is_metric": "order-dependent",
        "test_needs_ready": "brittle",
        "test_takes_lock": "order-dependent",
        "test_main_address": "order-dependent",
    }


def test_a_victim_behind_cleaners_in_both_orders_meets_its_polluter(
    audited: dict[str, Any],
) -> None:
    runs = {run["kind"]: run for run in audited["runs"]}
    victim = "test_c_victim.py::test_default_is_metric"
    assert victim not in runs["sequential"]["failed"] and victim not in runs["reversed"]["failed"]
    # the default order, then its reverse, after the polluter: one cleaner never seen writing
    # (it always ran on clean state) is before the victim in the first
    forward, backward = [run for run in audited["runs"] if run["kind"] == "guided"][:2]
    # (the writers of disjoint state first, together: the polluter, and the network's setter)
    polluter = "test_a_polluter.py::test_use_imperial"
    writers = {polluter, "test_i_selects.py::test_selects_main"}
    assert set(forward["ids"][:2]) == set(backward["ids"][:2]) == writers
    assert victim in backward["failed"]
    assert backward["why"].startswith("chosen from footprints")
    found = finding(audited, "test_default_is_metric")
    assert found["polluters"] == ["test_a_polluter.py::test_use_imperial"]
    assert found["state"] == ["global:units.SYSTEM"]
    assert set(found["cleaners"]) <= {
        "test_b_cleaners.py::test_reset_once",
        "test_b_cleaners.py::test_reset_twice",
    }


def test_a_brittle_test_with_many_state_setters_fails_alone(audited: dict[str, Any]) -> None:
    runs = {run["kind"]: run for run in audited["runs"]}
    brittle = "test_e_brittle.py::test_needs_ready"
    assert brittle not in runs["sequential"]["failed"] and brittle not in runs["reversed"]["failed"]
    address = "test_h_addresses.py::test_main_address"  # fails alone in a fork: see below
    assert sorted(runs["alone"]["failed"]) == [brittle, address]
    found = finding(audited, "test_needs_ready")
    assert {"kind": "alone", "seed": None, "workers": 0} in found["failed_in"]
    assert len(found["state_setters"]) == 1  # the first group found: its fix needs one
    assert found["state_setters"][0].split("::")[1].startswith(("test_setter_", "test_late_"))


def test_a_hang_after_its_polluter_is_a_victim_with_its_polluter(audited: dict[str, Any]) -> None:
    found = finding(audited, "test_takes_lock")
    assert found["polluters"] == ["test_0b_holds.py::test_keeps_lock"]
    assert found["reason"].startswith("no result after its 2 s timeout")
    assert audited["limits"]["timeouts"]["test_0a_waits.py::test_takes_lock"] == 2.0


def test_a_test_failed_by_another_modules_import_is_its_victim(audited: dict[str, Any]) -> None:
    found = finding(audited, "test_main_address")
    address = "test_h_addresses.py::test_main_address"
    assert found["reproduce"].split()[-2:] == [address, "test_g_sapling.py"]
    assert "test_g_sapling.py is collected" in found["note"]
    # The reproduce command fails it; the same test in a pytest of its own passes.
    root = Path(audited["_root"])
    command = found["reproduce"].split()[1:]
    assert run_pytest(root, *command).returncode == 1
    assert run_pytest(root, "-p", "no:randomly", address).returncode == 0


# config-better's shape: a class's setUpClass makes a folder with mkdtemp, its tearDownClass
# removes it. Each test of an ``after`` run is a fork of the state its writers left, so every
# sibling's teardown removes that one folder: all but the first failed (FileNotFoundError), and
# so did their reruns from that state, and three clean tests were reported non-deterministic.
CLASS_FOLDER = """\
import os
import shutil
import tempfile
import unittest


class TestLeaks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.environ["LEAK_A"] = "1"

    def test_leaks(self):
        pass


class TestFolder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp()
        os.environ["LEAK_B"] = cls.folder

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder)

    def test_1(self):
        pass

    def test_2(self):
        pass

    def test_3(self):
        pass


class TestOther(unittest.TestCase):
    def test_other(self):
        pass
"""


def test_a_folder_the_writers_made_is_no_finding_of_the_forks_after_them(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "project", {"test_folders.py": CLASS_FOLDER})
    result = auditor(root, "audit", "--seed", "1")
    report = json.loads((root / "reports" / "audit.json").read_text())
    after = [run for run in report["runs"] if run["kind"] == "after"]
    assert after and any(run["failed"] for run in after), result.stdout  # the forks' collision
    assert report["findings"] == [], result.stdout
    assert "-> not reported: test_folders.py::TestFolder::test_" in result.stdout
    assert result.returncode == 0
