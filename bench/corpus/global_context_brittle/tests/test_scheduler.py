from __future__ import annotations

import pytest
import runctx
from runctx.scheduler import SCHEDULERS, job_script


@pytest.mark.parametrize("nodes", [1, 2, 4])
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_script_starts_with_shebang(ctx, scheduler, nodes):
    assert job_script(scheduler, "job", "./a.out", nodes=nodes).startswith("#!/bin/bash\n")


@pytest.mark.parametrize("tasks", [1, 8, 36])
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_launcher(ctx, scheduler, tasks):
    last = job_script(scheduler, "job", "./a.out", tasks=tasks).splitlines()[-1]
    assert last.endswith("./a.out")
    if tasks > 1:
        assert str(tasks) in last


@pytest.mark.parametrize("partition", ["gpu", "mc"])
def test_slurm_partition(ctx, partition):
    assert f"#SBATCH --partition={partition}" in job_script("slurm", "j", "x", partition=partition)


@pytest.mark.parametrize("limit", ["00:10:00", "01:00:00", "24:00:00"])
def test_slurm_time(ctx, limit):
    assert f"#SBATCH --time={limit}" in job_script("slurm", "j", "x", time_limit=limit)


@pytest.mark.parametrize("scheduler", ["pbs", "torque"])
def test_pbs_queue(ctx, scheduler):
    assert "#PBS -q gpu" in job_script(scheduler, "j", "x")


@pytest.mark.parametrize("limit", ["00:05:00", "02:00:00", "48:00:00"])
def test_pbs_walltime(ctx, limit):
    assert f"#PBS -l walltime={limit}" in job_script("pbs", "j", "x", time_limit=limit)


def test_unknown_scheduler_raises(ctx):
    with pytest.raises(ValueError, match="unknown scheduler"):
        job_script("lsf", "j", "x")


@pytest.mark.parametrize("nodes", [0, -1])
def test_bad_nodes_raise(ctx, nodes):
    with pytest.raises(ValueError):
        job_script("slurm", "j", "x", nodes=nodes)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_script_mentions_system(ctx, scheduler):
    assert "# system: testsys" in job_script(scheduler, "j", "x")


def test_unknown_partition_in_script_raises(ctx):
    with pytest.raises(runctx.ContextError):
        job_script("slurm", "j", "x", partition="login")


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_script_ends_with_newline(ctx, scheduler):
    assert job_script(scheduler, "j", "x").endswith("\n")


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_default_partition_is_first(ctx, scheduler):
    script = job_script(scheduler, "j", "x")
    assert "mc" not in script.split("# system")[0]


@pytest.mark.parametrize("name", ["stream", "dgemm_gpu", "osu-latency", "hello"])
def test_job_name(ctx, name):
    assert f"#SBATCH --job-name={name}" in job_script("slurm", name, "x")


def test_local_single_task_has_no_launcher(ctx):
    assert job_script("local", "j", "./a.out").splitlines()[-1] == "./a.out"


def test_local_multi_task_uses_mpirun(ctx):
    assert job_script("local", "j", "./a.out", tasks=4).splitlines()[-1] == "mpirun -np 4 ./a.out"


@pytest.mark.parametrize("limit", ["00:01:00", "00:30:00", "12:00:00", "72:00:00"])
def test_time_limit_passthrough(ctx, limit):
    assert limit in job_script("slurm", "j", "x", time_limit=limit)
