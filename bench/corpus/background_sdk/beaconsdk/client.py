"""The client applications use."""

from __future__ import annotations

import queue
import random
import re
import time
import uuid
from typing import Any

from beaconsdk import transport

_KEY = re.compile(r"^bk_[0-9a-f]{16}$")
_NAME = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_jitter = random.SystemRandom()  # network latency is not reproducible, whatever the seed


class ClientError(ValueError):
    """A bad API key or event."""


class Client:
    def __init__(self, api_key: str, *, app: str = "default") -> None:
        if not _KEY.match(api_key):
            raise ClientError("API keys look like bk_ and 16 hex digits")
        self.api_key = api_key
        self.app = app

    def event(self, name: str, **properties: Any) -> dict[str, Any]:
        if not _NAME.match(name):
            raise ClientError(f"invalid event name {name!r}")
        return {
            "id": uuid.uuid4().hex,
            "name": name,
            "app": self.app,
            "time": time.time(),
            "properties": dict(properties),
        }

    def send_async(self, name: str, **properties: Any) -> queue.Queue[dict[str, Any]]:
        """Queue an event for the flusher; the acknowledgement arrives on the returned queue."""
        return transport.submit(self.event(name, **properties))

    def ping(self, deadline: float) -> bool:
        """Whether the collector answers within ``deadline`` seconds. A ping goes over a
        connection of its own, not through the flusher: held deliveries do not hold it."""
        latency = _jitter.uniform(0.0, 0.05)
        time.sleep(min(latency, deadline))
        return latency <= deadline
