"""The client's commands (the network is stubbed by an in-memory catalogue)."""

from __future__ import annotations

import json
import re

from cloudcli.config import Config

_APP = re.compile(r"^[a-z][a-z0-9-]{2,29}$")
CATALOGUE = {"billing": "running", "search": "stopped", "web-frontend": "running"}


class CommandError(RuntimeError):
    """A command that cannot run."""


def deploy(app: str, config: Config, *, dry_run: bool = False) -> str:
    if not _APP.match(app):
        raise CommandError(f"invalid application name {app!r}")
    action = "would deploy" if dry_run else "deployed"
    return f"{action} {app} to {config.region} ({config.endpoint})"


def list_apps(config: Config) -> list[str]:
    return sorted(CATALOGUE)


def status(app: str, config: Config) -> str:
    if app not in CATALOGUE:
        raise CommandError(f"no application {app!r} in {config.region}")
    if config.output == "json":
        return json.dumps({"app": app, "region": config.region, "state": CATALOGUE[app]})
    return f"{app} ({config.region}): {CATALOGUE[app]}"
