"""The end-of-run report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from runctx.context import current


@dataclass(frozen=True)
class Result:
    check: str
    environ: str
    outcome: str  # "pass" / "fail" / "skip"
    seconds: float = 0.0


class Report:
    def __init__(self, results: list[Result]) -> None:
        self.results = results

    def header(self) -> str:
        ctx = current()
        return f"Report for {ctx.system} ({', '.join(ctx.partitions)})"

    def counts(self) -> dict[str, int]:
        counted = Counter(r.outcome for r in self.results)
        return {k: counted.get(k, 0) for k in ("pass", "fail", "skip")}

    def failures(self) -> list[str]:
        return sorted(f"{r.check}@{r.environ}" for r in self.results if r.outcome == "fail")

    def table(self) -> str:
        rows = [
            f"{r.check:<20} {r.environ:<10} {r.outcome:<5} {r.seconds:6.1f}s" for r in self.results
        ]
        return "\n".join(rows)

    def slowest(self, n: int = 3) -> list[str]:
        return [r.check for r in sorted(self.results, key=lambda r: -r.seconds)[:n]]
