"""runctx: run regression checks on HPC systems — the runtime context, pipelines, job scripts."""

from __future__ import annotations

from runctx.context import Context, ContextError, current, init, is_initialised, reset

__all__ = ["Context", "ContextError", "current", "init", "is_initialised", "reset"]
