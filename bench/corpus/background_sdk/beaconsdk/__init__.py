"""beaconsdk: an analytics SDK. Importing it starts its background delivery threads."""

from __future__ import annotations

from beaconsdk.client import Client, ClientError
from beaconsdk.transport import pause, paused, resume

__all__ = ["Client", "ClientError", "pause", "paused", "resume"]
