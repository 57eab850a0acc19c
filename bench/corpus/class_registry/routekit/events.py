"""Publish/subscribe. Subscriptions live on the ``Broker`` class: all brokers share them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

Subscriber = Callable[[Any], None]
log = logging.getLogger(__name__)


class Broker:
    _topics: ClassVar[dict[str, list[Subscriber]]] = {}

    def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        self._topics.setdefault(topic, []).append(subscriber)

    def unsubscribe(self, topic: str, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(topic, [])
        if subscriber in subscribers:
            subscribers.remove(subscriber)
        if not subscribers:
            self._topics.pop(topic, None)

    def on(self, topic: str) -> Callable[[Subscriber], Subscriber]:
        def decorate(subscriber: Subscriber) -> Subscriber:
            self.subscribe(topic, subscriber)
            return subscriber

        return decorate

    def publish(self, topic: str, payload: Any) -> int:
        """Deliver to every subscriber of ``topic``; the number that received it."""
        delivered = 0
        for subscriber in list(self._topics.get(topic, [])):
            try:
                subscriber(payload)
            except Exception:
                log.exception("subscriber %r of %s failed", subscriber, topic)
            else:
                delivered += 1
        return delivered

    def topics(self) -> list[str]:
        return sorted(self._topics)
