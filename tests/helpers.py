"""Run auditor and pytest as real subprocesses on throwaway suites."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str
    root: Path

    def run_json(self) -> dict[str, Any]:
        return json.loads((self.root / "reports" / "run.json").read_text())


def clean_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "GITHUB_")) and k != "CI_QUARANTINE"
    }
    # -n auto, and the audit's worker counts, follow it: the same on every machine.
    env["PYTEST_XDIST_AUTO_NUM_WORKERS"] = "2"
    env.update(overrides)
    return env


def run_module(module: str, root: Path, *args: str, env: dict[str, str] | None = None) -> Completed:
    """``python -m MODULE ARGS`` in ``root``, as a user would run it."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env if env is not None else clean_env(),
        timeout=300,
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr, root)


def auditor(root: Path, *args: str, env: dict[str, str] | None = None) -> Completed:
    return run_module("auditor", root, *args, env=env)


def run_pytest(root: Path, *args: str, env: dict[str, str] | None = None) -> Completed:
    return run_module("pytest", root, *args, env=env)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_suite(root: Path, files: dict[str, str]) -> Path:
    """A throwaway project: ``files`` maps relative paths to contents; isolated from ours."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\nconsole_output_style = classic\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def git(root: Path, *args: str) -> str:
    """``git ARGS`` in ``root`` with a throwaway identity; its output."""
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout
