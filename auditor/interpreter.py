"""Which Python runs the project's pytest, and whether it can.

auditor may live in its own environment (pipx) while the project's tests need the project's
interpreter: its pytest, its plugins, its packages. ``--python PATH`` names it; by default it is the
interpreter of a ``.venv`` or ``venv`` folder in the project, else auditor's own. Before any run the
interpreter is asked (one short subprocess; none for auditor's own) which Python, pytest,
pytest-xdist and pytest-randomly it has; what is missing or too old is an error that says the
command to fix it.

The pytest plugin reaches a foreign interpreter through ``PYTHONPATH``: a private folder holding
only a link to the ``auditor`` package (the plugin imports nothing but the standard library and
pytest), so auditor's own dependencies never shadow the project's.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.exits import UsageError

MIN_PYTEST = (7, 4)
MIN_PYTHON = (3, 10)

# What an interpreter has: run with ``python -c`` (a foreign one) or exec'd here (auditor's own).
_ASK = """
import importlib.metadata as m, sys
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return None
answer = {"python": list(sys.version_info[:3]), "prefix": sys.prefix,
    "pytest": version("pytest"), "xdist": version("pytest-xdist"),
    "randomly": version("pytest-randomly")}
"""
_PROBE = _ASK + "import json; print(json.dumps(answer))"


class InterpreterError(UsageError):
    """The interpreter cannot run the audit; the message says what was found and what to do."""


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs pytest, and what it has."""

    python: str
    why: str  #: how it was chosen: "--python", "the project's .venv", "auditor's own"
    own: bool  #: auditor's own environment (no plugin path needed)
    python_version: tuple[int, ...]
    pytest: str
    xdist: str | None
    randomly: str | None

    @property
    def pytest_major(self) -> int:
        return _version(self.pytest)[0]

    def describe(self) -> str:
        plugins = ", ".join(
            f"{name} {version}"
            for name, version in (("pytest-xdist", self.xdist), ("pytest-randomly", self.randomly))
            if version
        )
        python = ".".join(map(str, self.python_version))
        extra = f", {plugins}" if plugins else ""
        return f"{self.python} ({self.why}: Python {python}, pytest {self.pytest}{extra})"


def choose(root: Path, requested: str | None, needs_randomly: bool = True) -> Interpreter:
    """The interpreter for the project at ``root``; InterpreterError when it cannot be used."""
    if requested:
        python, why = requested, "--python"
    else:
        python, why = _default(root)
    found = _probe(python)
    own = found["prefix"] == sys.prefix
    if own and not requested and why != "auditor's own":
        why = f"{why}, auditor's own"
    interpreter = Interpreter(
        python,
        why,
        own,
        tuple(found["python"]),
        found["pytest"] or "",
        found["xdist"],
        found["randomly"],
    )
    _check(interpreter, found, needs_randomly)
    return interpreter


def _default(root: Path) -> tuple[str, str]:
    for folder in (".venv", "venv"):
        candidate = root / folder / "bin" / "python"
        if candidate.exists():
            return str(candidate), f"the project's {folder}"
    return sys.executable, "auditor's own"


def _probe(python: str) -> dict[str, Any]:
    if python == sys.executable:  # auditor's own: no subprocess (auditor run starts faster)
        here: dict[str, Any] = {}
        exec(_ASK, here)
        return dict(here["answer"])
    try:
        done = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(
            f"{python} cannot be run ({exc}); give --python the path of the project's Python"
        ) from None
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise InterpreterError(
            f"{python} did not answer as a Python 3 interpreter would ({done.stderr.strip()[:200]}"
            "); give --python the path of the project's Python"
        ) from None
    if not isinstance(found, dict):
        raise InterpreterError(f"{python} gave an unexpected answer: {found!r}")
    return found


def _check(interpreter: Interpreter, found: dict[str, Any], needs_randomly: bool) -> None:
    python = interpreter.python
    install = f"{shlex.quote(python)} -m pip install"
    if interpreter.python_version[:2] < MIN_PYTHON:
        version = ".".join(map(str, interpreter.python_version))
        raise InterpreterError(f"{python} is Python {version}; auditor needs Python >= 3.10")
    if not found["pytest"]:
        raise InterpreterError(f"{python} has no pytest; install it there: {install} 'pytest>=7.4'")
    if _version(interpreter.pytest)[:2] < MIN_PYTEST:
        raise InterpreterError(
            f"{python} has pytest {interpreter.pytest}; auditor needs pytest >= 7.4: "
            f"{install} 'pytest>=7.4'"
        )
    missing = []
    if not interpreter.xdist:
        missing.append("'pytest-xdist>=3.3'")
    if needs_randomly and not interpreter.randomly:
        # randomly 5 needs pytest 8: never let the advice upgrade the project's pytest
        cap = ",<5" if interpreter.pytest_major < 8 else ""
        missing.append(f"'pytest-randomly>=3.12{cap}'")
    if missing:
        what = " and ".join(m.split(">")[0].strip("'") for m in missing)
        raise InterpreterError(
            f"{python} has pytest {interpreter.pytest} but no {what}; install them there "
            f"(pytest stays as it is): {install} {' '.join(missing)} 'pytest=={interpreter.pytest}'"
        )


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


_plugin_folder: tempfile.TemporaryDirectory[str] | None = None


def plugin_path() -> str:
    """A folder holding only a link to the ``auditor`` package: PYTHONPATH for a foreign Python."""
    global _plugin_folder
    if _plugin_folder is None:
        _plugin_folder = tempfile.TemporaryDirectory(prefix="auditor-plugin-")
        package = Path(__file__).resolve().parent
        os.symlink(package, Path(_plugin_folder.name) / "auditor")
    return _plugin_folder.name
