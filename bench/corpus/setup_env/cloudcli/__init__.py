"""cloudcli: the command-line client of a small application-hosting service."""

from __future__ import annotations

from cloudcli.commands import CommandError, deploy, list_apps, status
from cloudcli.config import DEFAULT_REGION, Config, load_config

__all__ = [
    "DEFAULT_REGION",
    "CommandError",
    "Config",
    "deploy",
    "list_apps",
    "load_config",
    "status",
]
