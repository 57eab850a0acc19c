from __future__ import annotations

import time

from beaconsdk import transport


def test_threads_started_at_import():
    assert transport.flusher.is_alive()
    assert transport.heartbeat.is_alive()


def test_threads_are_daemons():
    assert transport.flusher.daemon and transport.heartbeat.daemon


def test_flusher_retries_in_background():
    before = transport.stats["reconnect_attempts"]
    deadline = time.monotonic() + 1.0
    while transport.stats["reconnect_attempts"] == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert transport.stats["reconnect_attempts"] > before
