"""``auditor run --check-new REF``: which tests a change touched (a real git repository), and
the gate catching a new order-dependent test while letting a new clean one through."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.exits import UsageError
from auditor.run.changed import changed_lines, changed_tests
from tests.helpers import auditor, git, write_suite

MODULE = """\
import pytest


@pytest.fixture
def basket():
    return ["apple"]


def test_uses_basket(basket):
    assert basket == ["apple"]


class TestPrices:
    @pytest.mark.parametrize("n", [1, 2])
    def test_price(self, n):
        assert n > 0

    def test_discount(self):
        price = 10
        assert price


def test_untouched():
    assert True
"""

COLLECTED = [
    "tests/test_shop.py::test_uses_basket",
    "tests/test_shop.py::TestPrices::test_price[1]",
    "tests/test_shop.py::TestPrices::test_price[2]",
    "tests/test_shop.py::TestPrices::test_discount",
    "tests/test_shop.py::test_untouched",
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_suite(tmp_path / "shop", {"tests/test_shop.py": MODULE})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    return root


def touched(root: Path, old: str, new: str) -> list[str]:
    path = root / "tests" / "test_shop.py"
    path.write_text(path.read_text().replace(old, new))
    return changed_tests(COLLECTED, changed_lines(root, "HEAD"), root)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("assert n > 0", "assert n >= 1", COLLECTED[1:3]),  # a parametrized test: every case
        (
            '@pytest.mark.parametrize("n", [1, 2])',
            '@pytest.mark.parametrize("n", [1, 3])',
            COLLECTED[1:3],
        ),
        ('return ["apple"]', 'return ["pear"]', COLLECTED[:1]),  # its fixture changed
        ("        price = 10\n", "", COLLECTED[3:4]),  # a line removed
        ("def test_untouched", "# a comment\n\n\ndef test_untouched", []),  # between tests
        ("import pytest", "import pytest\nimport os", []),  # module level: no test by itself
    ],
)
def test_the_tests_a_change_touched(repo: Path, old: str, new: str, expected: list[str]) -> None:
    assert touched(repo, old, new) == expected


def test_a_new_file_is_new_as_a_whole_and_a_bad_ref_is_a_usage_error(repo: Path) -> None:
    (repo / "tests" / "test_new.py").write_text("def test_new():\n    pass\n")
    changes = changed_lines(repo, "HEAD")
    assert changed_tests([*COLLECTED, "tests/test_new.py::test_new"], changes, repo) == [
        "tests/test_new.py::test_new"
    ]
    with pytest.raises(UsageError, match="name a commit of this repository"):
        changed_lines(repo, "no-such-branch")


POLLUTER = """\
import os


def test_sets_region():
    os.environ["SHOP_REGION"] = "eu"
    assert os.environ["SHOP_REGION"] == "eu"
"""

VICTIM = """

def test_default_region():
    assert os.environ.get("SHOP_REGION") is None
"""


def test_the_gate_catches_a_new_victim_and_lets_a_clean_test_through(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "shop", {"tests/test_orders.py": POLLUTER})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    (root / "tests" / "test_new.py").write_text("def test_addition():\n    assert 1 + 1 == 2\n")
    clean = auditor(root, "run", "-n", "0", "--check-new", "HEAD")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "check-new: 1 tests added or changed since HEAD" in clean.stdout
    assert clean.run_json()["exit_code"] == 0  # the main run ran

    git(root, "add", "-A")
    git(root, "commit", "-qm", "a clean test")
    (root / "reports" / "run.json").unlink()
    with (root / "tests" / "test_orders.py").open("a") as module:
        module.write(VICTIM)
    caught = auditor(root, "run", "-n", "0", "--check-new", "HEAD")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    out = caught.stdout
    assert (
        "check-new: NOT ISOLATED: order-dependent: tests/test_orders.py::test_default_region" in out
    )
    reproduce = out.split("  reproduce: ")[1].splitlines()[0]
    assert reproduce.endswith(
        "tests/test_orders.py::test_sets_region tests/test_orders.py::test_default_region"
    )
    assert "the main run is not started" in out
    assert not (root / "reports" / "run.json").exists()
    assert (root / "reports" / "check-new" / "audit.json").exists()
