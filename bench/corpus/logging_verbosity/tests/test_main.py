from __future__ import annotations

import json

import pytest
from syncer.cli import main


@pytest.fixture
def trees(tmp_path):
    source, target = tmp_path / "source.json", tmp_path / "target.json"
    source.write_text(json.dumps({"a.txt": "1", "b.txt": "2"}))
    target.write_text(json.dumps({"a.txt": "1", "old.txt": "0"}))
    return str(source), str(target)


def test_main_reports_counts(trees, capsys):
    assert main(list(trees)) == 0
    assert capsys.readouterr().out == "1 copied, 1 unchanged, 0 conflicts, 0 deleted\n"


def test_main_writes_the_target(trees):
    main([*trees, "--delete"])
    with open(trees[1]) as f:
        assert json.load(f) == {"a.txt": "1", "b.txt": "2"}


def test_main_verbose_flag(trees):
    assert main([*trees, "-v"]) == 0


def test_main_quiet_flag(trees):
    assert main([*trees, "-q"]) == 0


def test_main_missing_file_returns_2(tmp_path):
    assert main([str(tmp_path / "nope.json"), str(tmp_path / "t.json")]) == 2


def test_main_help_exits(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "usage: syncer" in capsys.readouterr().out
