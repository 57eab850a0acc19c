"""Exit codes, one ``IntEnum`` per command family, and the errors ``main()`` turns into them.

``run`` keeps pytest's codes, so a CI script that read pytest's still works. ``audit``, ``fix``
and ``migrate`` follow pre-commit's convention (1 when there is something to look at) and the
shell's for Ctrl-C (128 + SIGINT). The README's tables are these enums.
"""

from __future__ import annotations

import enum


class RunExit(enum.IntEnum):
    """``auditor run``: pytest's exit codes, judged from the per-test records."""

    OK = 0  #: every selected test passed (or was skipped / xfailed)
    TESTS_FAILED = 1  #: a test failed, errored, crashed its worker, or never reported
    INTERRUPTED = 2  #: Ctrl-C or SIGTERM, or a collection error
    INTERNAL_ERROR = 3  #: pytest's internal error, pytest killed by a signal, or a bug in auditor
    USAGE_ERROR = 4  #: a bad option or selection file, pytest's usage error, an unusable Python
    NO_TESTS = 5  #: nothing selected, or no test collected


class AuditExit(enum.IntEnum):
    """``auditor audit``."""

    CLEAN = 0  #: no findings
    FINDINGS = 1  #: findings, collection errors, or failures left untriaged
    USAGE_ERROR = 2  #: a bad option or selection, nothing collected, pytest could not start
    INTERNAL_ERROR = 3  #: a bug in auditor (the report so far is written, marked partial)
    INTERRUPTED = 130  #: Ctrl-C or SIGTERM (the report so far is written, marked partial)


class ScanExit(enum.IntEnum):
    """``auditor scan``."""

    NOTHING_NEW = 0  #: no finding new since the last scan (`--fail-on any`: no finding)
    NEW = 1  #: findings new since the last scan (`--fail-on any`: any finding)
    USAGE_ERROR = 2  #: a bad option or selection, a history or quarantine file it cannot use
    INTERNAL_ERROR = 3  #: a bug in auditor (the reports so far are written)
    INTERRUPTED = 130  #: Ctrl-C or SIGTERM (the audit's report so far is written)


class FixExit(enum.IntEnum):
    """``auditor fix`` and ``auditor migrate``."""

    CLEAN = 0  #: nothing left to fix, and no file changed
    CHANGED = 1  #: files changed, or findings remain (quarantined ones included)
    USAGE_ERROR = 2  #: a bad option, no audit report or a malformed one, a bad selection
    INTERNAL_ERROR = 3  #: a bug in auditor
    INTERRUPTED = 130  #: Ctrl-C or SIGTERM: every file is either as it was or fully fixed


class UsageError(Exception):
    """What the user must change before the command can run; the message says what.

    ``main()`` prints it after ``ERROR:`` and exits with the command family's usage code.
    """


class NothingCollected(UsageError):
    """The selection collected no test (``run`` exits 5 for it, the others 2)."""


class InternalError(Exception):
    """A failure auditor can explain but not the user fix (pytest's own internal error while
    collecting): exit 3 with the message, without a traceback."""
