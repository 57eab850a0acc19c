"""exporter: export tabular records to CSV / JSON files and set up export workspaces."""

from __future__ import annotations

from exporter.export import export_csv, export_json, prepare_output
from exporter.workspace import Workspace, init_workspace

__all__ = ["Workspace", "export_csv", "export_json", "init_workspace", "prepare_output"]
