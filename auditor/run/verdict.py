"""The verdict of a run, from the plugin's records rather than pytest's exit code alone.

pytest's exit code misleads in three known cases: a worker that crashed leaves tests that were
collected but never reported (with ``--max-worker-restart=0`` the run can even end 1 with tests
silently skipped), ``-x`` / ``--maxfail`` under xdist exits 2 although tests failed, and an
internal error during a worker's collection can end the run 0 (xdist's work-stealing
scheduler, on one worker).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.exits import RunExit
from auditor.model import RunResult

COLLECT_ONLY = frozenset({"--co", "--collect-only", "--collectonly"})


@dataclass(frozen=True)
class Verdict:
    code: RunExit
    notes: tuple[str, ...]  #: sentences for the user, one per problem pytest's summary may hide


def judge(result: RunResult, pytest_args: tuple[str, ...] = ()) -> Verdict:
    """Exit code and notes for one ``auditor run``; codes follow pytest's."""
    rc = result.returncode
    if rc < 0:
        return Verdict(RunExit.INTERNAL_ERROR, (f"pytest was killed by signal {-rc}",))
    if rc == RunExit.TESTS_FAILED and result.session_start is None and not result.tests:
        # pytest stopped before its session began: a plugin (-p) or an option it could not load.
        # pytest 9.2 exits 4 there; older ones exit 1 with a traceback.
        note = "pytest stopped before its session began (a plugin or option it could not load)"
        return Verdict(RunExit.USAGE_ERROR, (note,))
    if result.internal_error and rc != RunExit.INTERNAL_ERROR:
        note = f"pytest reported an internal error (INTERNALERROR above) and exited {rc}"
        return Verdict(RunExit.INTERNAL_ERROR, (note,))
    if rc in (RunExit.INTERNAL_ERROR, RunExit.USAGE_ERROR) or COLLECT_ONLY & set(pytest_args):
        return Verdict(RunExit(min(rc, RunExit.NO_TESTS)), ())
    notes = [
        f"{r.nodeid}: {r.reason or 'its worker crashed'}"
        for r in result.tests
        if r.outcome == "crashed"
    ]
    notes += [f"{nodeid}: collection error: {reason}" for nodeid, reason in result.collect_errors]
    missing = result.missing
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        crashed = any(r.outcome == "crashed" for r in result.tests)
        cause = "the run stopped early" if result.failures and not crashed else "a worker died"
        notes.append(f"{len(missing)} collected test(s) never reported ({cause}): {shown}")
    if result.collect_errors:
        return Verdict(RunExit.INTERRUPTED, tuple(notes))
    if result.failures or missing:
        return Verdict(RunExit.TESTS_FAILED, tuple(notes))
    if rc == RunExit.NO_TESTS or result.collected == ():
        return Verdict(RunExit.NO_TESTS, ("no tests ran: the selection collected no test",))
    if rc == RunExit.TESTS_FAILED:
        notes.append("pytest exited 1 without reporting a failed test; see its output above")
    known = rc in {int(code) for code in RunExit}
    return Verdict(RunExit(rc) if known else RunExit.INTERNAL_ERROR, tuple(notes))
