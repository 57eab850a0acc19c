from __future__ import annotations

import os
import shutil
import time

import pytest
from exporter import init_workspace
from exporter.workspace import LAYOUT, Workspace


def test_init_workspace_in_checkout():
    workspace = init_workspace("tmp_out")
    try:
        time.sleep(0.4)  # the first sync of incoming files, stubbed
        assert sorted(os.listdir("tmp_out")) == ["WORKSPACE", *sorted(LAYOUT)]
        assert workspace.files("incoming") == []
    finally:
        shutil.rmtree("tmp_out")


def test_init_workspace_refuses_existing(tmp_path):
    with pytest.raises(FileExistsError):
        init_workspace(str(tmp_path))


def test_layout(tmp_path):
    workspace = init_workspace(str(tmp_path / "ws"))
    for area in LAYOUT:
        assert os.path.isdir(workspace.path(area))


def test_marker_file(tmp_path):
    init_workspace(str(tmp_path / "ws"))
    assert (tmp_path / "ws" / "WORKSPACE").read_text() == "exporter workspace v1\n"


def test_path_rejects_unknown_area():
    with pytest.raises(ValueError):
        Workspace("/x").path("trash")


def test_path_with_name():
    assert Workspace("/x").path("archive", "a.csv") == os.path.join("/x", "archive", "a.csv")
