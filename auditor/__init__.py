"""auditor: audit and fix pytest test isolation, then run the suite with -n auto safely."""

from __future__ import annotations

__version__ = "0.1.0"
