from __future__ import annotations

import unittest


def test_publish_without_subscribers_delivers_nothing(broker):
    assert broker.publish("user.created", {"id": 1}) == 0


def test_no_topics_initially(broker):
    assert broker.topics() == []


def test_subscribe_and_publish(broker):
    received = []
    broker.subscribe("user.created", received.append)
    broker.publish("user.created", {"id": 7})
    assert received == [{"id": 7}]


def test_unsubscribe(broker):
    received = []
    broker.subscribe("cache.flushed", received.append)
    broker.unsubscribe("cache.flushed", received.append)
    broker.publish("cache.flushed", None)
    assert received == []


def test_publish_to_other_topic_is_ignored(broker):
    received = []
    broker.subscribe("order.paid", received.append)
    broker.publish("order.refunded", {"id": 3})
    assert received == []


def test_handlers_called_in_order(broker):
    calls = []
    broker.subscribe("audit", lambda p: calls.append(("first", p)))
    broker.subscribe("audit", lambda p: calls.append(("second", p)))
    broker.publish("audit", "login")
    assert calls == [("first", "login"), ("second", "login")]


def test_subscriber_error_does_not_stop_others(broker):
    received = []

    def broken(payload):
        raise RuntimeError("boom")

    broker.subscribe("user.deleted", broken)
    broker.subscribe("user.deleted", received.append)
    assert broker.publish("user.deleted", {"id": 9}) == 1
    assert received == [{"id": 9}]


class TestBrokerDecorator(unittest.TestCase):
    def test_on_decorator(self):
        from routekit import Broker

        broker = Broker()
        seen = []

        @broker.on("user.created")
        def remember(payload):
            seen.append(payload["id"])

        broker.publish("user.created", {"id": 11})
        self.assertEqual(seen, [11])

    def test_on_returns_the_function(self):
        from routekit import Broker

        def handler(payload):
            return payload

        self.assertIs(Broker().on("noop")(handler), handler)
