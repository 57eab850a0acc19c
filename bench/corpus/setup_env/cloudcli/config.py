"""Configuration from the environment (``CLOUDCLI_*``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1")


class ConfigError(ValueError):
    """A configuration value the client cannot use."""


@dataclass(frozen=True)
class Config:
    region: str = DEFAULT_REGION
    profile: str = "default"
    output: str = "text"

    @property
    def endpoint(self) -> str:
        return f"https://api.{self.region}.cloudcli.example"


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    config = Config(
        region=env.get("CLOUDCLI_REGION", DEFAULT_REGION),
        profile=env.get("CLOUDCLI_PROFILE", "default"),
        output=env.get("CLOUDCLI_OUTPUT", "text"),
    )
    if config.region not in REGIONS:
        raise ConfigError(f"unknown region {config.region!r}")
    if config.output not in ("text", "json"):
        raise ConfigError(f"unknown output format {config.output!r}")
    return config


def subprocess_env(config: Config, base: Mapping[str, str]) -> dict[str, str]:
    """The environment for the deploy helper process."""
    return {**base, "CLOUDCLI_REGION": config.region, "CLOUDCLI_PROFILE": config.profile}
