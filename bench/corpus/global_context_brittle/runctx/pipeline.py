"""A check's pipeline: setup → compile → run → sanity → performance, in a stage directory."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from runctx.context import ContextError, current

STAGES = ("setup", "compile", "run", "sanity", "performance")


@dataclass
class Pipeline:
    name: str
    stages: tuple[str, ...] = STAGES
    environ: str | None = None
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown:
            raise ValueError(f"unknown stages {unknown}")
        ctx = current()
        self.environ = self.environ or ctx.environs[0]
        if self.environ not in ctx.environs:
            raise ContextError(f"{ctx.system} has no environment {self.environ!r}")
        self.stage_dir = posixpath.join(ctx.prefix, "stage", ctx.system, self.environ, self.name)
        self.system = ctx.system

    def run(self, skip: tuple[str, ...] = ()) -> list[str]:
        for stage in self.stages:
            state = "skipped" if stage in skip else "done"
            self.log.append(f"[{self.system}:{self.environ}] {self.name}: {stage} {state}")
        return self.log

    def completed(self) -> list[str]:
        return [line.split(": ")[1].split()[0] for line in self.log if line.endswith(" done")]
