"""An export workspace: a fresh directory with a fixed layout."""

from __future__ import annotations

import os
from dataclasses import dataclass

LAYOUT = ("incoming", "outgoing", "archive")


@dataclass(frozen=True)
class Workspace:
    root: str

    def path(self, area: str, name: str = "") -> str:
        if area not in LAYOUT:
            raise ValueError(f"no area {area!r} in a workspace")
        return os.path.join(self.root, area, name) if name else os.path.join(self.root, area)

    def files(self, area: str) -> list[str]:
        return sorted(os.listdir(self.path(area)))


def init_workspace(root: str) -> Workspace:
    """Create a new workspace at ``root``; the directory must not exist yet."""
    os.mkdir(root)  # FileExistsError: a workspace is never reused
    for area in LAYOUT:
        os.mkdir(os.path.join(root, area))
    with open(os.path.join(root, "WORKSPACE"), "w", encoding="utf-8") as f:
        f.write("exporter workspace v1\n")
    return Workspace(root)
