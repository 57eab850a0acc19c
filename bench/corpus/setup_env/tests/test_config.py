from __future__ import annotations

import pytest
from cloudcli import DEFAULT_REGION, Config, load_config
from cloudcli.config import ConfigError, subprocess_env


def test_default_region():
    assert load_config().region == DEFAULT_REGION


def test_region_from_mapping():
    assert load_config({"CLOUDCLI_REGION": "us-west-2"}).region == "us-west-2"


def test_unknown_region_rejected():
    with pytest.raises(ConfigError):
        load_config({"CLOUDCLI_REGION": "mars-1"})


def test_output_from_mapping():
    assert load_config({"CLOUDCLI_OUTPUT": "json"}).output == "json"


def test_unknown_output_rejected():
    with pytest.raises(ConfigError):
        load_config({"CLOUDCLI_OUTPUT": "yaml"})


def test_endpoint_names_the_region():
    assert Config(region="eu-central-1").endpoint == "https://api.eu-central-1.cloudcli.example"


def test_subprocess_env_carries_region_and_profile():
    env = subprocess_env(Config(region="ap-south-1", profile="ci"), {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "CLOUDCLI_REGION": "ap-south-1", "CLOUDCLI_PROFILE": "ci"}


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        Config().region = "x"
