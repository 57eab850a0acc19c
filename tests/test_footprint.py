"""``--auditor-footprint`` in real pytest runs: the state each test leaves, what it touches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import read_jsonl, run_pytest, write_suite

SECRET = "hunter2-not-for-reports"

FOOTPRINT_SUITE = {
    "pkg/__init__.py": "",
    "pkg/config.py": "RATE = 0.0\nREG = {}\nclass Settings:\n    debug = False\n"
    "settings = Settings()\n",
    "conftest.py": "import pytest\n@pytest.fixture(scope='module')\ndef shared():\n"
    "    return {'a': 1}\n",
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
}


def footprints(root: Path, *args: str) -> tuple[dict[str, dict[str, Any]], str]:
    results = root / "results.jsonl"
    results.unlink(missing_ok=True)
    run = run_pytest(
        root, "-p", "no:randomly", "--auditor-footprint", f"--auditor-results={results}", *args
    )
    assert run.returncode == 0, run.stdout + run.stderr
    records = [r for r in read_jsonl(results) if r["type"] == "test"]
    by_name = {
        r["nodeid"].split("::")[1]: {
            "state": r.get("state"),
            "resources": r.get("resources"),
            "worker": r["worker"],
        }
        for r in records
    }
    return by_name, results.read_text()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    root = write_suite(tmp_path_factory.mktemp("footprint") / "project", FOOTPRINT_SUITE)
    by_name, text = footprints(root)
    return by_name, text, root


def test_state_left_changed(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    state = {name: entry["state"] for name, entry in by_name.items() if entry["state"]}
    assert state == {
        "test_env": ["env:APP_MODE"],
        "test_unset": ["env:HOME"],
        "test_global": ["global:pkg.config.RATE"],
        "test_container": ["global:pkg.config.REG"],
        "test_attribute": ["global:pkg.config.settings.debug"],
        "test_fixture": ["fixture:shared"],
        "test_sys_path": ["global:sys.path"],
        "test_zz_cwd": ["cwd:pkg"],
    }


def test_resources_touched(recorded) -> None:  # type: ignore[no-untyped-def]
    by_name, _, _ = recorded
    resources = {name: entry["resources"] for name, entry in by_name.items() if entry["resources"]}
    port = resources.pop("test_port")
    assert list(port.values()) == ["b"] and next(iter(port)).startswith("port:")
    assert next(iter(port)) != "port:0"
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
    distributed, _ = footprints(root, "-p", "xdist", "-n", "2", "-k", "not cwd")
    for name in ("test_env", "test_global", "test_files", "test_sqlite"):
        for key in ("state", "resources"):
            assert distributed[name][key] == sequential[name][key], name
    workers = {
        entry["worker"] for entry in distributed.values() if entry["state"] or entry["resources"]
    }
    assert workers == {"gw0", "gw1"}
