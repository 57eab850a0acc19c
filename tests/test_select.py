from __future__ import annotations

from pathlib import Path

import pytest

from auditor.select import NothingSelected, SelectionError, resolve


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a(): pass\n")
    (tmp_path / "tests" / "test_b.py").write_text("def test_b(): pass\n")
    return tmp_path


def write(root: Path, text: str, name: str = "sel.txt", encoding: str = "utf-8") -> str:
    (root / name).write_text(text, encoding=encoding)
    return name


def test_comments_blank_lines_and_node_ids(root: Path) -> None:
    name = write(
        root,
        "# the CI selection\n\ntests/test_a.py\n  \n"
        "tests/test_b.py::test_b  # trailing note\n   # indented comment\n",
    )
    selection = resolve([], name, root)
    assert selection.args == ("tests/test_a.py", "tests/test_b.py::test_b")
    assert selection.source == "sel.txt"


def test_byte_order_mark_is_ignored(root: Path) -> None:
    name = write(root, "tests/test_a.py\r\ntests/test_b.py\r\n", encoding="utf-8-sig")
    assert resolve([], name, root).args == ("tests/test_a.py", "tests/test_b.py")


def test_missing_file(root: Path) -> None:
    with pytest.raises(SelectionError, match=r"^tools/ci/test_selection.txt not found$"):
        resolve([], "tools/ci/test_selection.txt", root)


def test_line_naming_a_missing_path(root: Path) -> None:
    name = write(root, "# header\ntests/test_a.py\ntests/test_gone.py::test_x\n")
    with pytest.raises(SelectionError, match=r"^sel.txt:3: tests/test_gone.py does not exist$"):
        resolve([], name, root)


@pytest.mark.parametrize("text", ["", "\n\n", "# only\n# comments\n"])
def test_nothing_selected(root: Path, text: str) -> None:
    name = write(root, text)
    with pytest.raises(NothingSelected, match=r"nothing selected: sel\.txt lists no test paths"):
        resolve([], name, root)


def test_not_utf8(root: Path) -> None:
    (root / "sel.txt").write_bytes(b"tests/test_\xff.py\n")
    with pytest.raises(SelectionError, match=r"sel\.txt is not UTF-8 text"):
        resolve([], "sel.txt", root)


def test_pyproject_names_the_selection_file(root: Path) -> None:
    write(root, "tests/test_b.py\n", name="ci.txt")
    (root / "pyproject.toml").write_text('[tool.auditor]\nselection = "ci.txt"\n')
    selection = resolve([], None, root)
    assert selection.args == ("tests/test_b.py",)
    assert selection.source == "ci.txt"


def test_pyproject_selection_must_be_a_string(root: Path) -> None:
    (root / "pyproject.toml").write_text("[tool.auditor]\nselection = 3\n")
    with pytest.raises(SelectionError, match=r"selection must be a file path string, got 3"):
        resolve([], None, root)


def test_without_any_selection_pytest_defaults_apply(root: Path) -> None:
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    assert resolve([], None, root).args == ()


def test_command_line_paths_win_and_are_checked(root: Path) -> None:
    assert resolve(["tests/test_a.py::test_a"], None, root).args == ("tests/test_a.py::test_a",)
    with pytest.raises(SelectionError, match=r"tests/nope\.py does not exist"):
        resolve(["tests/nope.py"], None, root)
    with pytest.raises(SelectionError, match="not both"):
        resolve(["tests/test_a.py"], "sel.txt", root)
