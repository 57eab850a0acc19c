from __future__ import annotations

import queue

import beaconsdk
import pytest
from beaconsdk import Client

KEY = "bk_0123456789abcdef"


@pytest.fixture
def client():
    return Client(KEY, app="tests")


def test_send_is_acknowledged(client):
    reply = client.send_async("signup", plan="pro")
    ack = reply.get()  # the flusher always answers
    assert ack["status"] == 202


def test_acknowledgement_names_the_event(client):
    event = client.event("login")
    reply = beaconsdk.transport.submit(event)
    assert reply.get(timeout=2)["ack"] == event["id"]


def test_many_events_are_delivered(client):
    replies = [client.send_async("page.view", n=n) for n in range(20)]
    assert all(r.get(timeout=2)["status"] == 202 for r in replies)


def test_ping_within_deadline(client):
    assert client.ping(deadline=0.03)


def test_pause_holds_deliveries(client):
    beaconsdk.pause()
    reply = client.send_async("held")
    with pytest.raises(queue.Empty):
        reply.get(timeout=0.1)
    assert beaconsdk.paused()


def test_resume_delivers_held_events(client):
    beaconsdk.pause()
    reply = client.send_async("later")
    beaconsdk.resume()
    assert reply.get(timeout=5)["status"] == 202
    assert not beaconsdk.paused()
