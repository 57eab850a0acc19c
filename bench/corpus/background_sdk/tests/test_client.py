from __future__ import annotations

import pytest
from beaconsdk import Client, ClientError

KEY = "bk_0123456789abcdef"


def test_client_rejects_bad_key():
    with pytest.raises(ClientError):
        Client("secret")


def test_event_has_an_id():
    assert len(Client(KEY).event("signup")["id"]) == 32


def test_event_ids_are_unique():
    client = Client(KEY)
    assert client.event("a")["id"] != client.event("a")["id"]


def test_event_names_the_app():
    assert Client(KEY, app="shop").event("checkout")["app"] == "shop"


def test_event_copies_properties():
    props = {"plan": "pro"}
    event = Client(KEY).event("upgrade", **props)
    props["plan"] = "free"
    assert event["properties"] == {"plan": "pro"}


@pytest.mark.parametrize("name", ["", "Signup", "9lives", "with space", "x" * 65])
def test_invalid_event_names(name):
    with pytest.raises(ClientError):
        Client(KEY).event(name)


@pytest.mark.parametrize("name", ["signup", "page.view", "cart_add", "a"])
def test_valid_event_names(name):
    assert Client(KEY).event(name)["name"] == name
