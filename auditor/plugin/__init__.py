"""The pytest side of auditor, auto-loaded through the ``pytest11`` entry point.

It is inert unless asked. Two things it always does: register the ``serial`` marker (so suites
rewritten by ``auditor fix`` pass ``--strict-markers``) and honour ``serial`` marks in an xdist run.
Everything else runs only when its ``--auditor-*`` option is given.

This package imports nothing but the standard library and pytest: it must load in a user's
interpreter where auditor itself is not installed. Importing it imports nothing at all: its
modules load when pytest configures it, so that auditor's own side can use the modules that
need only the standard library (:mod:`~auditor.plugin.protocol`, :mod:`~auditor.plugin.jsonlines`,
:mod:`~auditor.plugin.children`) without paying for pytest's import at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    from auditor.plugin.dist import DistDefault

    # Registered now, not at configure: xdist settles --dist in pytest_cmdline_main, before it.
    pluginmanager.register(DistDefault(), "auditor-dist-default")
    group = parser.getgroup("auditor", "test-isolation auditor")
    group.addoption(
        "--auditor-results",
        dest="auditor_results",
        metavar="PATH",
        help="write one JSON record per test (and one per session) to PATH, as JSON lines",
    )
    group.addoption(
        "--auditor-one-worker-at-a-time",
        dest="auditor_one_worker_at_a_time",
        action="store_true",
        help="xdist workers start together but run their tests one worker after another "
        "(with --dist each: independent replays that share start-up and never overlap)",
    )
    group.addoption(
        "--auditor-timeout",
        dest="auditor_timeout",
        type=float,
        metavar="SECONDS",
        help="end the process when a test runs longer than SECONDS, recording a hang",
    )
    group.addoption(
        "--auditor-timeouts",
        dest="auditor_timeouts",
        metavar="FILE",
        help="per-test timeouts overriding --auditor-timeout: a JSON object, node id -> seconds",
    )
    group.addoption(
        "--auditor-footprint",
        dest="auditor_footprint",
        action="store_true",
        help="record in each test's record the state it leaves changed (environment variable "
        "names, working directory, project globals, wider-scoped fixtures) and the files, "
        "ports, SQLite databases and subprocesses it touches",
    )
    group.addoption(
        "--auditor-only",
        dest="auditor_only",
        metavar="FILE",
        help="run only the node ids listed in FILE, one per line (auditor run --shard)",
    )
    group.addoption(
        "--auditor-dist-default",
        dest="auditor_dist_default",
        metavar="MODE",
        help="xdist's --dist when none was chosen (auditor run, when it picks the count)",
    )
    group.addoption(
        "--auditor-serve",
        dest="auditor_serve",
        metavar="FD",
        help="(auditor audit) collect once, then run the orders requested on socket FD, "
        "each in a forked child",
    )


def pytest_configure(config: pytest.Config) -> None:
    from auditor.plugin.record import ResultsRecorder, WorkerStats
    from auditor.plugin.serial import SERIAL_MARKER_DOC, SerialController, SerialMarks, SerialWorker
    from auditor.plugin.watchdog import Watchdog, load_timeouts

    config.addinivalue_line("markers", SERIAL_MARKER_DOC)
    config.pluginmanager.register(SerialMarks(), "auditor-serial-marks")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        lockdir = workerinput.get("auditor_lockdir")
        if lockdir:
            exclusive = bool(config.getoption("auditor_one_worker_at_a_time"))
            worker = SerialWorker(lockdir, whole_session=exclusive)
            config.pluginmanager.register(worker, "auditor-serial-worker")
    elif hasattr(config.hook, "pytest_configure_node"):
        # xdist is loaded (under either plugin name): hand every worker the run's lock folder.
        config.pluginmanager.register(SerialController(), "auditor-serial-controller")

    only = config.getoption("auditor_only", None)
    if only:
        from auditor.plugin.shard import OnlyListed

        config.pluginmanager.register(OnlyListed(only), "auditor-only")

    serve = config.getoption("auditor_serve", None)
    if serve and workerinput is None:
        from auditor.plugin.server import ForkServer

        config.pluginmanager.register(ForkServer(config, int(serve)), "auditor-server")
        return

    if config.getoption("auditor_footprint", False) and _runs_tests(config):
        from auditor.plugin.footprint import Footprint

        config.pluginmanager.register(Footprint(config), "auditor-footprint")
    results = config.getoption("auditor_results", None)
    timeout = config.getoption("auditor_timeout", None)
    if timeout:
        timeouts = load_timeouts(config.getoption("auditor_timeouts", None))
        config.pluginmanager.register(Watchdog(timeout, timeouts, results), "auditor-watchdog")
    if results:
        config.pluginmanager.register(WorkerStats(config), "auditor-worker-stats")
        if workerinput is None:
            config.pluginmanager.register(ResultsRecorder(config, results), "auditor-results")


def _runs_tests(config: pytest.Config) -> bool:
    """Whether this process runs tests: an xdist worker, or pytest without xdist workers."""
    if getattr(config, "workerinput", None) is not None:
        return True
    distributing = getattr(config.option, "dist", "no") != "no"
    return not (distributing and getattr(config.option, "tx", None))
