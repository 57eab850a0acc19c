from __future__ import annotations

import unittest

import shopapp
import wirebox


def test_bootstrap_wires_services():
    service = shopapp.create_app()
    assert service.place(1, "book") == "#1"
    assert wirebox.instance(shopapp.Repository).orders == {1: "book"}


def test_mailer_is_a_singleton_in_the_app():
    injector = wirebox.configure_once(shopapp.wiring)
    assert injector.get(shopapp.Mailer) is injector.get(shopapp.Mailer)


class TestOrderFlow(unittest.TestCase):
    def setUp(self):
        self.injector = wirebox.Injector(shopapp.wiring)

    def test_repository_starts_empty(self):
        self.assertEqual(self.injector.get(shopapp.Repository).orders, {})

    def test_order_is_mailed(self):
        mailer = self.injector.get(shopapp.Mailer)
        mailer.send("hello")
        self.assertEqual(mailer.sent, ["hello"])
