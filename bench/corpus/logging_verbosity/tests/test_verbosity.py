from __future__ import annotations

import logging
import unittest

import syncer


class TestVerbosity(unittest.TestCase):
    def test_set_verbosity_debug(self):
        syncer.set_verbosity("DEBUG")
        self.assertEqual(syncer.get_verbosity(), "DEBUG")

    def test_set_verbosity_accepts_ints(self):
        syncer.set_verbosity(logging.DEBUG)
        self.assertTrue(syncer.logger.isEnabledFor(logging.DEBUG))

    def test_set_verbosity_rejects_unknown(self):
        with self.assertRaises(ValueError):
            syncer.set_verbosity("LOUD")

    def test_quiet_helper(self):
        syncer.quiet()
        self.assertFalse(syncer.logger.isEnabledFor(logging.WARNING))

    def test_verbosity_context_restores(self):
        before = (syncer.logger.level, list(syncer.logger.handlers))
        with syncer.verbosity("INFO"):
            self.assertEqual(syncer.get_verbosity(), "INFO")
        self.assertEqual((syncer.logger.level, syncer.logger.handlers), before)

    def test_verbosity_context_logs_at_level(self):
        with syncer.verbosity("DEBUG"), self.assertLogs("syncer", "DEBUG") as logs:
            syncer.sync({"x": "1"}, {})
        self.assertIn("DEBUG:syncer:copy x (1 bytes)", logs.output)
