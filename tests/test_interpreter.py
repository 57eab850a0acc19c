"""``--python``: pytest runs with the project's interpreter, which need not have auditor."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import auditor, clean_env, write_suite

SUITE = {
    "tests/test_a.py": """\
import os
import sys
from pathlib import Path


def test_polluter():
    os.environ["AUDITOR_T_PY"] = "1"


def test_victim():
    assert "AUDITOR_T_PY" not in os.environ


def test_where():
    name = os.environ.get("PYTEST_XDIST_WORKER", "main") + ".prefix"
    Path(os.environ.get("AUDITOR_T_PREFIXES", "."), name).write_text(sys.prefix)
""",
}


def bare_venv(where: Path) -> tuple[Path, str]:
    """A virtual environment without pip: its python, and its site-packages folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return python, purelib


def venv_without_auditor(where: Path) -> Path:
    """A virtual environment that sees pytest, xdist and randomly (ours, through a .pth file,
    whose own .pth files, auditor's editable install among them, are not read) but not auditor."""
    python, purelib = bare_venv(where)
    Path(purelib, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    missing = subprocess.run([python, "-c", "import auditor"], capture_output=True, cwd=where)
    assert missing.returncode != 0, "auditor must not be importable there"
    return python


def test_audit_runs_in_the_projects_venv_without_auditor(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "project", SUITE)
    python = venv_without_auditor(root / ".venv")
    # Outside the project: the audit puts back the project's files after every run.
    (tmp_path / "prefixes").mkdir()
    env = clean_env(AUDITOR_T_PREFIXES=str(tmp_path / "prefixes"))
    result = auditor(root, "audit", "--seed", "1", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"auditor: python {python} (the project's .venv: Python" in result.stderr
    report = json.loads((root / "reports" / "audit.json").read_text())
    (finding,) = report["findings"]
    assert finding["polluters"] == ["tests/test_a.py::test_polluter"]
    assert finding["state"] == ["env:AUDITOR_T_PY"]  # the footprint plugin ran there
    prefixes = {p.read_text() for p in (tmp_path / "prefixes").glob("*.prefix")}
    assert prefixes == {str(root / ".venv")}  # every run, xdist workers too, used that Python


def test_python_names_an_interpreter_elsewhere(tmp_path: Path) -> None:
    python = venv_without_auditor(tmp_path / "env")
    root = write_suite(tmp_path / "project", SUITE)
    result = auditor(root, "run", "-n", "2", "--python", str(python))
    assert result.returncode in (0, 1)  # the victim may or may not meet its polluter under -n 2
    assert f"auditor: python {python} (--python: Python" in result.stderr
    assert {p.read_text() for p in root.glob("*.prefix")} == {str(tmp_path / "env")}


def fake_site(where: Path, **versions: str) -> Path:
    """An interpreter whose site-packages claims these distributions (metadata only)."""
    python, purelib = bare_venv(where)
    for name, version in versions.items():
        info = Path(purelib, f"{name.replace('-', '_')}-{version}.dist-info")
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return python


@pytest.mark.parametrize(
    ("versions", "command", "code", "says"),
    [
        pytest.param(
            {},
            "audit",
            2,
            "has no pytest; install it there: {py} -m pip install 'pytest>=7.4'",
            id="no-pytest",
        ),
        pytest.param(
            {"pytest": "7.2.0"},
            "run",
            4,
            "has pytest 7.2.0; auditor needs pytest >= 7.4: {py} -m pip install 'pytest>=7.4'",
            id="old-pytest",
        ),
        pytest.param(
            {"pytest": "7.4.4", "pytest-xdist": "3.3.1"},
            "fix",
            2,
            "has pytest 7.4.4 but no pytest-randomly; install them there (pytest stays as it "
            "is): {py} -m pip install 'pytest-randomly>=3.12,<5' 'pytest==7.4.4'",
            id="no-randomly-pytest-7",
        ),
        pytest.param(
            {"pytest": "8.3.5"},
            "run",
            4,
            "has pytest 8.3.5 but no pytest-xdist; install them there (pytest stays as it is): "
            "{py} -m pip install 'pytest-xdist>=3.3' 'pytest==8.3.5'",
            id="no-xdist",
        ),
    ],
)
def test_a_missing_or_old_pytest_says_what_to_do(
    tmp_path: Path, versions: dict[str, str], command: str, code: int, says: str
) -> None:
    python = fake_site(tmp_path / "env", **versions)
    root = write_suite(tmp_path / "project", SUITE)
    result = auditor(root, command, "--python", str(python))
    assert result.returncode == code
    assert result.stderr == f"ERROR: {python} {says.format(py=python)}\n"


def test_the_plugin_imports_only_the_standard_library_and_pytest() -> None:
    """What reaches a foreign interpreter through PYTHONPATH must not need auditor's own
    dependencies (libcst, tomlkit): the plugin package imports nothing beyond pytest's."""
    probe = (
        "import sys; before = set(sys.modules); import auditor.plugin; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(' '.join(sorted(n for n in new if n not in sys.stdlib_module_names)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # pytest's own dependencies vary by version (py, pygments, exceptiongroup, tomli, packaging...)
    pytests = {"_pytest", "pytest", "pluggy", "iniconfig", "py", "pygments", "packaging"}
    assert set(done.stdout.split()) - {"auditor"} <= pytests | {"exceptiongroup", "tomli"}
