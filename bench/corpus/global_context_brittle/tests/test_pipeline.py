from __future__ import annotations

import pytest
import runctx
from runctx.pipeline import STAGES, Pipeline


def _pipeline(name="Stream", prefix="/tmp/runctx", **kwargs):
    runctx.init("daint", partitions=("gpu",), environs=("gnu", "intel", "cray"), prefix=prefix)
    return Pipeline(name, **kwargs)


@pytest.mark.parametrize("stage", STAGES)
def test_run_logs_every_stage(stage):
    log = _pipeline().run()
    assert f"[daint:gnu] Stream: {stage} done" in log


@pytest.mark.parametrize("stage", STAGES)
def test_skip_stage(stage):
    log = _pipeline().run(skip=(stage,))
    assert f"[daint:gnu] Stream: {stage} skipped" in log


@pytest.mark.parametrize("environ", ["gnu", "intel", "cray"])
def test_stage_dir(environ):
    pipeline = _pipeline(environ=environ)
    assert pipeline.stage_dir == f"/tmp/runctx/stage/daint/{environ}/Stream"


@pytest.mark.parametrize(
    "name",
    ["Stream", "Dgemm", "Alltoall", "HelloWorld", "Osu", "Jacobi", "Cp2k", "Gromacs", "Io", "Sph"],
)
def test_pipeline_names(name):
    assert _pipeline(name).run()[0].startswith(f"[daint:gnu] {name}: setup")


def test_default_environ_is_first():
    assert _pipeline().environ == "gnu"


def test_unknown_environ_raises():
    with pytest.raises(runctx.ContextError):
        _pipeline(environ="pgi")


def test_unknown_stage_rejected():
    with pytest.raises(ValueError):
        _pipeline(stages=("setup", "deploy"))


def test_completed_lists_done_stages():
    pipeline = _pipeline()
    pipeline.run(skip=("performance",))
    assert pipeline.completed() == ["setup", "compile", "run", "sanity"]


@pytest.mark.parametrize(
    "stages",
    [
        ("setup",),
        ("setup", "run"),
        ("setup", "compile", "run"),
        ("run", "sanity"),
        ("sanity", "performance"),
        STAGES,
    ],
)
def test_partial_pipeline(stages):
    assert _pipeline(stages=stages).run() and len(_pipeline(stages=stages).run()) == len(stages)


@pytest.mark.parametrize("times", [1, 2, 3])
def test_run_twice_appends(times):
    pipeline = _pipeline()
    for _ in range(times):
        pipeline.run()
    assert len(pipeline.log) == times * len(STAGES)


def test_system_recorded():
    assert _pipeline().system == "daint"


def test_log_format():
    assert _pipeline("X").run()[-1] == "[daint:gnu] X: performance done"


@pytest.mark.parametrize("environ", ["gnu", "intel", "cray"])
def test_environ_in_log(environ):
    assert all(f":{environ}]" in line for line in _pipeline(environ=environ).run())


@pytest.mark.parametrize("prefix", ["/tmp/runctx", "/scratch", "/home/ci/rt", "/p"])
def test_stage_dir_under_prefix(prefix):
    assert _pipeline(prefix=prefix).stage_dir.startswith(prefix + "/stage/")


@pytest.mark.parametrize("index", range(len(STAGES)))
def test_stages_order(index):
    assert _pipeline().run()[index].split(": ")[1].split()[0] == STAGES[index]
