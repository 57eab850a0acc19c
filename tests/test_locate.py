"""``auditor audit`` locating causes end to end: polluters, cleaners, state-setters, the state
that links them, shared resources (confirmed by co-runs, or latent), and what the search cost."""

from __future__ import annotations

import json
import math
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import auditor, clean_env, write_suite

_HOLD = "import time\nfrom pathlib import Path\n"
# Twelve clean tests run first, so that the victims' polluters hide among many predecessors.
LOCATE_SUITE = {
    "app.py": "MODE = 'prod'\nREGISTRY = {}\nLEVEL = 'warning'\n"
    "def set_level(name):\n    global LEVEL\n    LEVEL = name\n",
    "test_a_clean.py": "import pytest\n@pytest.mark.parametrize('n', range(12))\n"
    "def test_clean(n):\n    assert n >= 0\n",
    # Two polluters, each enough on its own.
    "test_b_env.py": "import os\ndef test_sets_region():\n    os.environ['REGION'] = 'eu'\n",
    "test_c_env.py": "import os\ndef test_sets_region_too():\n    os.environ['REGION'] = 'us'\n",
    "test_d_victim.py": "import os\ndef test_reads_region():\n"
    "    assert os.environ.get('REGION') is None\n",
    # One polluter and a cleaner that runs after the victim in the default order.
    "test_e_mode.py": "import app\ndef test_sets_mode():\n    app.MODE = 'debug'\n",
    "test_f_victim.py": "import app\ndef test_mode():\n    assert app.MODE == 'prod'\n",
    "test_g_cleaner.py": "import app\ndef test_resets_mode():\n    app.MODE = 'prod'\n",
    # A state-setter and the brittle test it hides (the reversed order runs the brittle first).
    "test_h_setter.py": "import app\ndef test_registers():\n    app.REGISTRY['main'] = 1\n",
    "test_i_brittle.py": "import app\ndef test_uses_registry():\n"
    "    assert 'main' in app.REGISTRY\n",
    # Two tests writing one file and reading it back: a conflict only when run side by side.
    "test_j_file.py": _HOLD + "def test_writes_a():\n    Path('out').mkdir(exist_ok=True)\n"
    "    Path('out/shared.json').write_text('a')\n    time.sleep(0.3)\n"
    "    assert Path('out/shared.json').read_text() == 'a'\n",
    "test_k_file.py": _HOLD + "def test_writes_b():\n    Path('out').mkdir(exist_ok=True)\n"
    "    Path('out/shared.json').write_text('b')\n    time.sleep(0.3)\n"
    "    assert Path('out/shared.json').read_text() == 'b'\n",
    # Two tests appending to one log: they share it, but never fail for it.
    "test_l_log.py": "from pathlib import Path\ndef test_logs_a():\n"
    "    Path('out').mkdir(exist_ok=True)\n"
    "    with open('out/log.txt', 'a') as log:\n        log.write('a\\n')\n",
    "test_m_log.py": "from pathlib import Path\ndef test_logs_b():\n"
    "    Path('out').mkdir(exist_ok=True)\n"
    "    with open('out/log.txt', 'a') as log:\n        log.write('b\\n')\n",
    # Two tests set a level through the library, a third puts it back between them: whatever
    # order failed the victim showed one polluter; both are named.
    "test_o_level.py": "import app\ndef test_quiet():\n    app.set_level('error')\n",
    "test_p_level.py": "import app\ndef test_level_back():\n    app.set_level('warning')\n",
    "test_q_level.py": "import app\ndef test_verbose():\n    app.set_level('debug')\n",
    "test_r_victim.py": "import app\ndef test_default_level():\n"
    "    assert app.LEVEL == 'warning'\n",
    # Fails on every other execution, whatever ran before: never anyone's victim.
    "test_n_flaky.py": "from pathlib import Path\ndef test_flaky():\n"
    "    counter = Path(__file__).with_name('flaky.count')\n"
    "    n = int(counter.read_text()) + 1 if counter.exists() else 1\n"
    "    counter.write_text(str(n))\n    assert n % 2 == 0, f'execution {n}'\n",
}


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One audit of LOCATE_SUITE, shared by the tests below."""
    root = write_suite(tmp_path_factory.mktemp("locate") / "project", LOCATE_SUITE)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    result = auditor(root, "audit", "--seed", "3")
    assert result.returncode == 1, result.stdout + result.stderr
    return root, json.loads((root / "reports" / "audit.json").read_text())


def by_test(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["test"].split("::")[1]: f for f in report["findings"]}


def short(nodeids: list[str]) -> list[str]:
    return [nodeid.split("::")[1] for nodeid in nodeids]


def test_a_victim_with_two_polluters_gets_both(located) -> None:  # type: ignore[no-untyped-def]
    _, report = located
    victim = by_test(report)["test_reads_region"]
    assert victim["kind"] == "order-dependent"
    assert short(victim["polluters"]) == ["test_sets_region", "test_sets_region_too"]
    assert victim["state"] == ["env:REGION"]
    assert victim["cleaners"] == []


def test_every_writer_of_the_state_that_fails_the_victim_is_a_polluter(located) -> None:  # type: ignore[no-untyped-def]
    _, report = located
    victim = by_test(report)["test_default_level"]
    assert victim["kind"] == "order-dependent"
    assert sorted(short(victim["polluters"])) == ["test_quiet", "test_verbose"]
    assert victim["state"] == ["global:app.LEVEL"]
    # the reproduce command needs one of them
    assert victim["reproduce"].count("::") == 2


def test_polluter_cleaner_and_state(located) -> None:  # type: ignore[no-untyped-def]
    _, report = located
    victim = by_test(report)["test_mode"]
    assert victim["kind"] == "order-dependent"
    assert short(victim["polluters"]) == ["test_sets_mode"]
    assert short(victim["cleaners"]) == ["test_resets_mode"]
    assert victim["state"] == ["global:app.MODE"]


def test_state_setter_of_a_brittle_test(located) -> None:  # type: ignore[no-untyped-def]
    _, report = located
    brittle = by_test(report)["test_uses_registry"]
    assert brittle["kind"] == "brittle"
    assert short(brittle["state_setters"]) == ["test_registers"]
    assert brittle["state"] == ["global:app.REGISTRY"]


def test_shared_file_confirmed_and_shared_log_latent(located) -> None:  # type: ignore[no-untyped-def]
    _, report = located
    shared = [f for f in report["findings"] if f["kind"] == "shared-resource"]
    assert [(sorted(short(f["tests"])), f["resources"]) for f in shared] == [
        (["test_writes_a", "test_writes_b"], ["file:out/shared.json"])
    ]
    assert [(n["resource"], sorted(short(n["tests"]))) for n in report["latent"]] == [
        ("file:out/log.txt", ["test_logs_a", "test_logs_b"])
    ]
    # Each schedule (together, then each started halfway through the other) passed at once.
    assert report["latent"][0]["coruns"] == 3


def test_a_non_deterministic_test_gets_no_polluter(located) -> None:  # type: ignore[no-untyped-def]
    _, report = located
    flaky = by_test(report)["test_flaky"]
    assert flaky["kind"] == "non-deterministic"
    assert "polluters" not in flaky and "search" not in flaky
    everyone_named = {
        test
        for f in report["findings"]
        for key in ("polluters", "cleaners", "state_setters")
        for test in f.get(key, [])
    }
    assert "test_n_flaky.py::test_flaky" not in everyone_named


def test_searches_report_their_runs_and_ranking_keeps_them_short(located) -> None:  # type: ignore[no-untyped-def]
    _, report = located
    findings = by_test(report)
    one = findings["test_mode"]
    # The footprint's best guess is right, and asked once more; then the rest of a short order,
    # asked whole (a second polluter may act through other state): three runs.
    assert one["search"]["polluters"] == {"runs": 3, "complete": True}
    assert one["search"]["cleaners"]["runs"] <= 3
    assert findings["test_uses_registry"]["search"]["state_setters"]["runs"] <= 2
    two = findings["test_reads_region"]
    predecessors = len(two["sequence"]) - 1
    assert two["search"]["polluters"]["runs"] <= 2 * (math.ceil(math.log2(predecessors)) + 4)
    # Every run a search counted is in the report's list of runs, and no other run is a bisect.
    counted = sum(
        cost["runs"]
        for f in report["findings"]
        for looked_for, cost in f.get("search", {}).items()
        if looked_for != "corunners"
    )
    assert counted == sum(1 for run in report["runs"] if run["kind"] == "bisect")


def test_located_reproduce_commands_fail_as_reported(located) -> None:  # type: ignore[no-untyped-def]
    root, report = located
    findings = by_test(report)
    for name in ("test_mode", "test_reads_region"):
        command = shlex.split(findings[name]["reproduce"])
        assert command[0] == "pytest"
        ids = [arg for arg in command if "::" in arg]
        # The polluters the search found in the failing order (the others, each run alone
        # before the victim, are in the finding too).
        assert ids[-1] == findings[name]["test"] and ids[:-1]
        assert set(ids[:-1]) <= set(findings[name]["polluters"])
        run = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=root,
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=120,
        )
        assert run.returncode == 1, run.stdout
        assert f"FAILED {findings[name]['test']}" in run.stdout


# A thread alive after collection makes forking unsafe: every run, search and co-run then
# starts a pytest of its own (bisect questions as --dist each replicas, co-runs as -n 2).
NO_FORK_SUITE = {
    "conftest.py": "import threading, time\n"
    "threading.Thread(target=time.sleep, args=(120,), daemon=True).start()\n",
    "app.py": "MODE = 'prod'\n",
    "test_a.py": "import app\ndef test_sets_mode():\n    app.MODE = 'debug'\n",
    "test_b.py": "import app\ndef test_mode():\n    assert app.MODE == 'prod'\n",
    "test_c.py": _HOLD + "def test_writes_a():\n    Path('shared.txt').write_text('a')\n"
    "    time.sleep(0.3)\n    assert Path('shared.txt').read_text() == 'a'\n",
    "test_d.py": _HOLD + "def test_writes_b():\n    Path('shared.txt').write_text('b')\n"
    "    time.sleep(0.3)\n    assert Path('shared.txt').read_text() == 'b'\n",
}


def test_causes_are_located_without_the_fork_server(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "project", NO_FORK_SUITE)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    result = auditor(root, "audit", "--seed", "1", "--reruns", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "forking is not safe" in result.stdout
    report = json.loads((root / "reports" / "audit.json").read_text())
    findings = by_test(report)
    assert short(findings["test_mode"]["polluters"]) == ["test_sets_mode"]
    assert findings["test_mode"]["state"] == ["global:app.MODE"]
    shared = [f for f in report["findings"] if f["kind"] == "shared-resource"]
    assert [(sorted(short(f["tests"])), f["resources"]) for f in shared] == [
        (["test_writes_a", "test_writes_b"], ["file:shared.txt"])
    ]
    assert report["cost"]["processes"] == report["cost"]["runs"] + 1
