"""The world every run starts from: what a run left in the project's files, put back."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.plugin.world import Restored, World
from tests.helpers import Completed, clean_env, git, write_suite


def tree(root: Path) -> dict[str, tuple[str, bytes | str | None, int]]:
    """Every path under ``root``: its kind, content (a link's target) and permission bits."""
    found: dict[str, tuple[str, bytes | str | None, int]] = {}
    for path in sorted(root.rglob("*")):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            found[path.relative_to(root).as_posix()] = ("link", os.readlink(path), mode)
        elif path.is_dir():
            found[path.relative_to(root).as_posix()] = ("dir", None, mode)
        else:
            found[path.relative_to(root).as_posix()] = ("file", path.read_bytes(), mode)
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "seed.json").write_bytes(b'{"seed": 1}\n')
    (root / "data" / "seed.json").chmod(0o640)
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho \x00\xff binary too\n")
    (root / "run.sh").chmod(0o755)
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# hello\n")
    return root


@pytest.fixture
def world(project: Path) -> Iterator[World]:
    with World.take(project) as taken:
        yield taken


def test_nothing_changed_restores_nothing(project: Path, world: World) -> None:
    done = world.restore()
    assert done == Restored() and not done


def test_created_files_and_folders_are_removed(project: Path, world: World) -> None:
    before = tree(project)
    (project / "new.txt").write_text("made by a test")
    (project / "out" / "deep").mkdir(parents=True)
    (project / "out" / "deep" / "result.bin").write_bytes(b"\x00" * 100)
    (project / "data" / "extra.json").write_text("{}")

    done = world.restore()

    assert done.created_removed == ("data/extra.json", "new.txt", "out/")
    assert done.describe() == ("removed data/extra.json", "removed new.txt", "removed out/")
    assert tree(project) == before
    assert not world.restore()  # the tree is the record again


def test_changed_and_removed_files_come_back_byte_for_byte(project: Path, world: World) -> None:
    before = tree(project)
    seed = project / "data" / "seed.json"
    seed.write_bytes(b"{}")
    seed.chmod(0o600)
    (project / "run.sh").unlink()
    shutil.rmtree(project / "docs")

    done = world.restore()

    assert done.changed_restored == ("data/seed.json",)
    assert done.removed_restored == ("docs/", "docs/index.md", "run.sh")
    assert tree(project) == before
    assert not world.restore()


def test_a_rewrite_of_the_same_bytes_is_not_reported(project: Path, world: World) -> None:
    seed = project / "data" / "seed.json"
    seed.write_bytes(seed.read_bytes())
    assert not world.restore()


def test_a_file_moved_away_is_moved_back_not_deleted(project: Path, world: World) -> None:
    inode = (project / "run.sh").stat().st_ino
    (project / "moved").mkdir()
    (project / "run.sh").rename(project / "moved" / "run.sh")

    done = world.restore()

    assert done.created_removed == ("moved/",)
    assert done.removed_restored == ("run.sh",)
    assert (project / "run.sh").stat().st_ino == inode  # the same file, not a copy


def test_a_path_that_existed_at_take_is_never_deleted(project: Path) -> None:
    big = project / "big.bin"
    big.write_bytes(b"x" * 100)
    with World.take(project, file_cap=10) as world:  # too big to copy, and not in git
        big.unlink()
        assert world.restore().not_restorable == ("big.bin",)
        big.write_bytes(b"y" * 100)  # a later run makes it again: it is the user's path
        assert not world.restore()
        assert big.read_bytes() == b"y" * 100


def test_a_file_over_the_cap_that_changes_is_reported_not_restorable(
    project: Path,
) -> None:
    big = project / "big.bin"
    big.write_bytes(b"x" * 100)
    with World.take(project, file_cap=10) as world:
        big.write_bytes(b"y" * 101)
        done = world.restore()
        assert done.not_restorable == ("big.bin",)
        assert done.describe() == ("unrestorable: big.bin",)
        assert big.read_bytes() == b"y" * 101  # left as the run left it, never deleted
        assert not world.restore()  # said once


def test_a_file_over_the_cap_comes_back_from_git(project: Path) -> None:
    big = project / "big.bin"
    big.write_bytes(b"x" * 100)
    git(project, "init", "-q")
    git(project, "add", "big.bin")
    with World.take(project, file_cap=10) as world:
        big.write_bytes(b"y" * 100)
        assert world.restore().changed_restored == ("big.bin",)
        assert big.read_bytes() == b"x" * 100


def test_links_are_never_followed_out_of_the_tree(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    with World.take(project) as world:
        (project / "escape").symlink_to(outside)
        shutil.rmtree(project / "docs")
        (project / "docs").symlink_to(outside)  # a folder swapped for a link out of the tree

        done = world.restore()

        assert done.created_removed == ("escape",)
        assert done.removed_restored == ("docs/", "docs/index.md")
        assert not (project / "escape").exists()
        assert (project / "docs").is_dir() and not (project / "docs").is_symlink()
        assert [p.name for p in outside.iterdir()] == ["precious.txt"]


def test_excluded_folders_are_left_alone(project: Path) -> None:
    for folder in (".git", "__pycache__", "pkg.egg-info", "venv", "reports", "data/.pytest_cache"):
        (project / folder).mkdir()
    (project / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    with World.take(project, exclude=[project / "reports"]) as world:
        for folder in (".git", "__pycache__", "pkg.egg-info", "venv", "reports"):
            (project / folder / "new").write_text("a tool's")
        (project / "data" / ".pytest_cache" / "v").write_text("{}")
        (project / ".mypy_cache").mkdir()

        assert not world.restore()
        assert (project / "venv" / "new").exists() and (project / ".mypy_cache").exists()


def test_created_outside_the_root_is_removed_only_when_new(project: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.lock"
    old.write_text("the user's")
    with World.take(project) as world:
        fresh = Path(tempfile.mkdtemp(prefix="auditor-test-"))  # a new entry of the temp folder
        try:
            new = fresh / "app.lock"
            new.write_text("a test's")
            unnamed = fresh / "other.lock"
            unnamed.write_text("not in the footprint")
            old.write_text("written by a test")

            done = world.restore(extra_created=[str(new), str(old)])

            assert done.created_removed == (str(new),)
            assert not new.exists() and unnamed.exists() and old.exists()
            new.write_text("again, in a later run")
            assert world.restore().created_removed == (str(new),)  # remembered
            # A temporary folder itself (a footprint names a file made in it by its folder)
            # changes all the time: it was there before, not a path that could not be put back.
            everywhere = [tempfile.gettempdir(), "/tmp", str(Path.home())]
            assert world.restore(extra_created=everywhere).not_restorable == ()
        finally:
            shutil.rmtree(fresh)


# -- end to end ----------------------------------------------------------------------------------

# test_b_maker.py makes out/ and only its module teardown removes it; its last test hangs, so the
# timeout cuts the default order short and out/ stays. test_a_user.py makes out/ too: left
# behind, it would fail every later run of orders it passed in (a "non-deterministic" verdict).
LEFTOVER_SUITE = {
    "test_a_user.py": "import os\ndef test_uses_out():\n    os.mkdir('out')\n    os.rmdir('out')\n",
    "test_b_maker.py": "import os, shutil, time\n"
    "import pytest\n"
    "@pytest.fixture(scope='module', autouse=True)\n"
    "def out():\n"
    "    yield\n"
    "    shutil.rmtree('out')\n"
    "def test_makes_out():\n"
    "    os.mkdir('out')\n"
    "def test_z_hangs():\n"
    "    time.sleep(600)\n",
}


def test_an_audit_puts_back_what_a_cut_short_run_left(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "project", LEFTOVER_SUITE)
    before = tree(root)

    # No xdist runs: two tests that make out/ at the same moment is another finding. The
    # audit's output goes to files in the project, as a shell's `> audit.out 2> audit.err`
    # puts it: written while the runs go on, they are not put back after each run.
    argv = ("audit", "--seed", "3", "--timeout", "2", "--xdist-seeds", "0")
    with open(root / "audit.out", "w") as out, open(root / "audit.err", "w") as err:
        done = subprocess.run(
            [sys.executable, "-m", "auditor", *argv],
            cwd=root,
            stdout=out,
            stderr=err,
            env=clean_env(),
            timeout=300,
            check=False,
        )
    result = Completed(
        done.returncode, (root / "audit.out").read_text(), (root / "audit.err").read_text(), root
    )

    report = json.loads((root / "reports" / "audit.json").read_text())
    kinds = {f["test"].split("::")[1]: f["kind"] for f in report["findings"]}
    assert kinds.get("test_z_hangs") == "hang", result.stdout + result.stderr
    assert "non-deterministic" not in kinds.values()
    assert kinds.get("test_uses_out") in (None, "shared-resource")  # a co-run may find them
    assert kinds.get("test_makes_out") in (None, "shared-resource")
    assert ["removed out/"] in [run.get("restored") for run in report["runs"]]
    assert report["restored"]["paths"] == ["out/"] and report["restored"]["runs"] >= 1
    assert "-> put back after sequential: removed out/" in result.stdout
    assert "put back" in (root / "reports" / "audit.md").read_text()
    ours = ("reports", "__pycache__", ".auditor", "audit.")  # reports, history, the output
    after = {p: v for p, v in tree(root).items() if not p.startswith(ours)}
    assert after == before


def test_own_outputs_are_the_files_a_shell_redirected_to(tmp_path: Path) -> None:
    # What the audit hands the fork server to keep: its world is taken in another process.
    code = "import sys; from auditor.plugin.world import own_outputs; print(own_outputs())"
    with open(tmp_path / "out.txt", "w") as out:
        subprocess.run([sys.executable, "-c", code], stdout=out, stderr=None, check=True)
    assert (tmp_path / "out.txt").read_text().strip() == repr((str(tmp_path / "out.txt"),))
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert piped.stdout.strip() == "()"  # a pipe is no file of the project's
