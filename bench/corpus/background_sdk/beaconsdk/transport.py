"""Delivery to the collector, in background threads started at import.

The flusher takes events from the outbox and delivers them (the collector is simulated: an
acknowledgement comes back on the event's reply queue); between events it retries the
connection to the collector. The heartbeat thread wakes up every ``HEARTBEAT_INTERVAL``.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

RETRY_INTERVAL = 0.02
HEARTBEAT_INTERVAL = 0.5


@dataclass
class Envelope:
    event: dict[str, Any]
    jitter: float = 0.0  #: the simulated network latency of this delivery
    reply: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)


outbox: queue.Queue[Envelope] = queue.Queue()
_delivery_lock = threading.Lock()
_paused = threading.Event()
_stop = threading.Event()
stats = {"delivered": 0, "reconnect_attempts": 0, "heartbeats": 0}


def _deliver(envelope: Envelope) -> dict[str, Any]:
    if envelope.jitter:
        time.sleep(envelope.jitter)
    stats["delivered"] += 1
    return {"ack": envelope.event["id"], "status": 202}


def _flush_forever() -> None:
    while not _stop.is_set():
        try:
            envelope = outbox.get(timeout=RETRY_INTERVAL)
        except queue.Empty:
            stats["reconnect_attempts"] += 1  # the collector is "down": keep retrying
            continue
        with _delivery_lock:
            envelope.reply.put(_deliver(envelope))


def _beat_forever() -> None:
    while not _stop.wait(HEARTBEAT_INTERVAL):
        stats["heartbeats"] += 1


flusher = threading.Thread(target=_flush_forever, name="beacon-flusher", daemon=True)
heartbeat = threading.Thread(target=_beat_forever, name="beacon-heartbeat", daemon=True)
flusher.start()
heartbeat.start()


def submit(event: dict[str, Any], jitter: float = 0.0) -> queue.Queue[dict[str, Any]]:
    """Queue an event; its acknowledgement arrives on the returned queue."""
    envelope = Envelope(event, jitter)
    outbox.put(envelope)
    return envelope.reply


def pause() -> None:
    """Hold deliveries (events queue up) until :func:`resume`."""
    if not _paused.is_set():
        _delivery_lock.acquire()
        _paused.set()


def resume() -> None:
    if _paused.is_set():
        _paused.clear()
        _delivery_lock.release()


def paused() -> bool:
    return _paused.is_set()
