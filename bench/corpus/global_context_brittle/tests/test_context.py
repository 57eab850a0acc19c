from __future__ import annotations

import dataclasses

import pytest
import runctx


def test_init_returns_context():
    ctx = runctx.init("daint")
    assert runctx.current() is ctx


def test_init_default_partition():
    assert runctx.init().partition() == "default"


def test_init_keeps_options():
    ctx = runctx.init("daint", modules="cray-python")
    assert ctx.options == {"modules": "cray-python"}


def test_reinit_replaces_context():
    first = runctx.init("daint")
    second = runctx.init("dom")
    assert runctx.current() is second is not first


@pytest.mark.parametrize("name", ["gpu", "mc"])
def test_partition_lookup(name):
    ctx = runctx.init("daint", partitions=("gpu", "mc"))
    assert ctx.partition(name) == name


def test_unknown_partition_raises():
    ctx = runctx.init("daint", partitions=("gpu",))
    with pytest.raises(runctx.ContextError, match="no partition"):
        ctx.partition("login")


def test_init_custom_prefix():
    assert runctx.init(prefix="/scratch/ci").prefix == "/scratch/ci"


@pytest.mark.parametrize(
    "system", ["daint", "dom", "tsa", "eiger", "pilatus", "ault-ci", "lumi_c", "x1"]
)
def test_init_system_names(system):
    assert runctx.init(system).system == system


def test_is_initialised_after_init():
    runctx.init()
    assert runctx.is_initialised()


def test_context_is_frozen():
    ctx = runctx.init()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.system = "other"


def test_environs_kept():
    assert runctx.init(environs=("gnu", "pgi")).environs == ("gnu", "pgi")


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 6])
def test_init_many_partitions(count):
    names = tuple(f"p{i}" for i in range(count))
    assert runctx.init(partitions=names).partitions == names


@pytest.mark.parametrize(
    "options",
    [{}, {"account": "csstaff"}, {"reservation": "ci"}, {"qos": "high"}, {"a": "1", "b": "2"}],
)
def test_init_options(options):
    assert dict(runctx.init("daint", **options).options) == options


@pytest.mark.parametrize("system", ["", "Daint", "1abc", "da int", "daint!", "-dash"])
def test_invalid_system_names(system):
    with pytest.raises(runctx.ContextError, match="invalid system name"):
        runctx.init(system)


def test_empty_partitions_rejected():
    with pytest.raises(runctx.ContextError):
        runctx.init(partitions=())


def test_empty_environs_rejected():
    with pytest.raises(runctx.ContextError):
        runctx.init(environs=())


def test_current_before_init_raises():
    runctx.reset()
    with pytest.raises(runctx.ContextError, match="not initialised"):
        runctx.current()


def test_reset_forgets():
    runctx.init()
    runctx.reset()
    assert not runctx.is_initialised()
