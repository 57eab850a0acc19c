"""Keep environment variable values out of reports.

Failure reasons are the tests' own words, and an assertion about ``os.environ`` prints all of it
(``assert 'X' not in environ({'HOME': ...})``). Every text that goes into a report passes here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

_ENVIRON_REPR = re.compile(r"environ\(\{.*?\}\)", re.S)
MIN_SECRET_LENGTH = 4  #: shorter values ("1", "C", "UTC") are too common to be worth hiding


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with ``environ({...})`` dumps elided and any environment value replaced by $NAME."""
    text = _ENVIRON_REPR.sub("environ({...})", text)
    values = env if env is not None else os.environ
    # Longest first, so that a value containing another one is replaced whole.
    for name, value in sorted(values.items(), key=lambda item: -len(item[1])):
        if len(value) >= MIN_SECRET_LENGTH and value in text:
            text = text.replace(value, f"${name}")
    return text
