"""reportgen: build test-run reports, write them as JSON, serve them over HTTP."""

from __future__ import annotations

from reportgen.report import build_report, read_report, write_report
from reportgen.server import StatusServer

__all__ = ["StatusServer", "build_report", "read_report", "write_report"]
