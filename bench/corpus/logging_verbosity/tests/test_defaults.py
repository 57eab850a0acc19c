from __future__ import annotations

import logging

import syncer


def test_logger_name():
    assert syncer.logger.name == "syncer"


def test_logger_propagates():
    assert syncer.logger.propagate


def test_default_verbosity_is_warning():
    assert syncer.get_verbosity() == "WARNING"


def test_library_installs_no_handlers():
    # A library leaves handlers to the application (the logging HOWTO's rule).
    assert logging.getLogger("syncer").handlers == []
