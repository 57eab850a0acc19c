"""``auditor run --shard I/N`` and ``auditor merge``: the split on tables, then real shards run
one after another and merged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.exits import UsageError
from auditor.run.shard import parse, split
from tests.helpers import Completed, auditor, write_suite


def test_the_split_keeps_modules_and_serial_keys_together_and_balances_durations() -> None:
    collected = [f"tests/test_{m}.py::test_{n}" for m in "abcd" for n in range(3)]
    durations = {t: (1.5 if "test_a" in t else 1.0) for t in collected}
    keys = {"tests/test_c.py::test_0": ["port:8000"], "tests/test_d.py::test_2": ["port:8000"]}
    result = split(collected, durations, keys, 3)
    by_module = [{t.split("::")[0] for t in shard} for shard in result.shards]
    assert by_module == [
        {"tests/test_c.py", "tests/test_d.py"},
        {"tests/test_a.py"},
        {"tests/test_b.py"},
    ]
    assert result.seconds == (6.0, 4.5, 3.0)
    assert sorted(t for s in result.shards for t in s) == sorted(collected)
    assert list(result.shards[0]) == [t for t in collected if "test_c" in t or "test_d" in t]


def test_a_module_longer_than_a_share_is_split_and_said() -> None:
    collected = [f"tests/test_big.py::TestSlow::test_{n}" for n in range(4)]
    collected += ["tests/test_big.py::test_fast", "tests/test_small.py::test_x"]
    durations = {t: 5.0 for t in collected[:4]} | {collected[4]: 1.0, collected[5]: 1.0}
    result = split(collected, durations, {}, 2)
    assert sorted(len(s) for s in result.shards) == [3, 3]
    assert result.notes == (
        "tests/test_big.py is longer than a shard's share: split by class and test (its "
        "module-scoped fixtures set up on each shard that has a part)",
    )


def test_unknown_durations_count_as_the_median_and_fewer_units_leave_shards_empty() -> None:
    result = split(["tests/test_a.py::test_1", "tests/test_b.py::test_1"], {}, {}, 3)
    assert [len(s) for s in result.shards] == [1, 1, 0] and result.seconds == (1.0, 1.0, 0.0)


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "2/0"])
def test_a_bad_shard_says_how_to_write_it(text: str) -> None:
    with pytest.raises(UsageError, match="write I/N with 1 <= I <= N"):
        parse(text)


SUITE = {
    "tests/test_orders.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n",
    "tests/test_server.py": (
        "import pytest\n\n@pytest.mark.serial('port:8000')\ndef test_health():\n    pass\n"
    ),
    "tests/test_admin.py": (
        "import pytest\n\n@pytest.mark.serial('port:8000')\ndef test_admin():\n    pass\n"
    ),
    "tests/test_prices.py": (
        "import pytest\n\n@pytest.mark.parametrize('n', range(4))\n"
        "def test_price(n):\n    assert n != 3\n"
    ),
    "tests/test_cart.py": "def test_total():\n    pass\n\ndef test_empty():\n    pass\n",
}


def shard_runs(root: Path, total: int) -> list[Completed]:
    return [
        auditor(root, "run", "-n", "0", "--shard", f"{i}/{total}", "--report-dir", f"out/s{i}")
        for i in range(1, total + 1)
    ]


def report(root: Path, folder: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / folder / "run.json").read_text())
    return data


def test_three_shards_cover_every_test_once_and_merge_into_one_run(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "shop", SUITE)
    whole = auditor(root, "run", "-n", "0")
    assert whole.returncode == 1  # test_price[3]
    single = whole.run_json()
    runs = shard_runs(root, 3)
    assert [r.returncode for r in runs].count(1) == 1, [r.stdout for r in runs]
    shares = [report(root, f"out/s{i}")["shard"]["tests"] for i in (1, 2, 3)]
    assert sorted(t for share in shares for t in share) == sorted(
        row[0] for row in single["timeline"]
    )
    server = [i for i, share in enumerate(shares) if "tests/test_server.py::test_health" in share]
    admin = [i for i, share in enumerate(shares) if "tests/test_admin.py::test_admin" in share]
    assert server == admin  # one serial key, one shard
    merged = auditor(root, "merge", "out/s1", "out/s2", "out/s3", "-o", "out/all")
    assert merged.returncode == 1, merged.stdout + merged.stderr
    together = report(root, "out/all")
    assert together["tests"] == single["tests"]
    assert together["failed_count"] == 1
    assert [f["nodeid"] for f in together["failures"]] == ["tests/test_prices.py::test_price[3]"]
    assert "3 shards, 10 of 10 tests ran, 1 failed or lost" in merged.stdout
    assert (root / "out" / "all" / "report.html").exists()


def test_a_merge_with_a_test_run_twice_or_never_fails(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "shop", SUITE)
    shard_runs(root, 2)
    first, second = report(root, "out/s1"), report(root, "out/s2")
    twice = {**second, "timeline": [*second["timeline"], first["timeline"][0]]}
    (root / "out" / "s2" / "run.json").write_text(json.dumps(twice))
    done = auditor(root, "merge", "out/s1", "out/s2")
    assert done.returncode == 1
    assert f"{first['timeline'][0][0]} ran on shards 1 and 2" in done.stdout
    never = {**second, "timeline": second["timeline"][1:]}
    (root / "out" / "s2" / "run.json").write_text(json.dumps(never))
    done = auditor(root, "merge", "out/s1", "out/s2")
    assert done.returncode == 1
    assert f"{second['timeline'][0][0]} did not run on shard 2/2" in done.stdout
    shutil.copytree(root / "out" / "s1", root / "out" / "again")
    done = auditor(root, "merge", "out/s1", "out/again")
    assert done.returncode == 4 and "give each shard's folder once" in done.stderr


def test_a_two_test_suite_in_three_shards_leaves_one_with_nothing_to_do(tmp_path: Path) -> None:
    root = write_suite(
        tmp_path / "tiny",
        {
            "tests/test_a.py": "def test_a():\n    pass\n",
            "tests/test_b.py": "def test_b():\n    pass\n",
        },
    )
    runs = shard_runs(root, 3)
    assert [r.returncode for r in runs] == [0, 0, 0]
    assert "shard 3/3: nothing to run" in runs[2].stdout
    assert report(root, "out/s3")["shard"]["tests"] == []
    assert auditor(root, "merge", "out/s1", "out/s2", "out/s3").returncode == 0
