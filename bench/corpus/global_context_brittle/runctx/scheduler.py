"""Job scripts for the batch schedulers."""

from __future__ import annotations

from runctx.context import current

SCHEDULERS = ("local", "slurm", "pbs", "torque")


def job_script(
    scheduler: str,
    name: str,
    command: str,
    *,
    nodes: int = 1,
    tasks: int = 1,
    time_limit: str = "00:10:00",
    partition: str | None = None,
) -> str:
    if scheduler not in SCHEDULERS:
        raise ValueError(f"unknown scheduler {scheduler!r}")
    if nodes < 1 or tasks < 1:
        raise ValueError("nodes and tasks must be positive")
    ctx = current()
    part = ctx.partition(partition)
    lines = ["#!/bin/bash"]
    if scheduler == "slurm":
        lines += [f"#SBATCH --job-name={name}", f"#SBATCH --partition={part}"]
        lines += [f"#SBATCH --nodes={nodes}", f"#SBATCH --ntasks={tasks}"]
        lines += [f"#SBATCH --time={time_limit}"]
        launcher = f"srun -n {tasks}"
    elif scheduler in ("pbs", "torque"):
        lines += [f"#PBS -N {name}", f"#PBS -q {part}", f"#PBS -l nodes={nodes}:ppn={tasks}"]
        lines += [f"#PBS -l walltime={time_limit}"]
        launcher = f"mpirun -np {tasks}"
    else:
        launcher = "" if tasks == 1 else f"mpirun -np {tasks}"
    lines.append(f"# system: {ctx.system}")
    lines.append(f"{launcher} {command}".strip())
    return "\n".join(lines) + "\n"
