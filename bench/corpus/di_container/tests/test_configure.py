from __future__ import annotations

import unittest

import wirebox


class ContainerTestCase(unittest.TestCase):
    def tearDown(self):
        wirebox.clear()


class TestConfigure(ContainerTestCase):
    def test_configure_creates_injector(self):
        injector = wirebox.configure()
        self.assertIs(wirebox.get_injector(), injector)

    def test_configure_adds_bindings(self):
        injector = wirebox.configure(lambda binder: binder.bind(int, 123))
        self.assertEqual(injector.get(int), 123)

    def test_configure_twice_raises(self):
        wirebox.configure()
        with self.assertRaisesRegex(wirebox.ContainerError, "already configured"):
            wirebox.configure()

    def test_configure_once_creates_injector(self):
        injector = wirebox.configure_once()
        self.assertIs(wirebox.get_injector(), injector)

    def test_configure_once_returns_existing(self):
        first = wirebox.configure()
        self.assertIs(wirebox.configure_once(), first)

    def test_clear_and_configure_replaces(self):
        first = wirebox.clear_and_configure()
        second = wirebox.clear_and_configure()
        self.assertIsNot(first, second)


class TestState(ContainerTestCase):
    def test_is_configured(self):
        self.assertFalse(wirebox.is_configured())
        wirebox.configure()
        self.assertTrue(wirebox.is_configured())
        wirebox.clear()
        self.assertFalse(wirebox.is_configured())

    def test_get_injector_or_die_raises(self):
        with self.assertRaisesRegex(wirebox.ContainerError, "not configured"):
            wirebox.get_injector_or_die()

    def test_instance_resolves_through_the_container(self):
        wirebox.clear_and_configure(lambda binder: binder.bind("greeting", "hi"))
        self.assertEqual(wirebox.instance("greeting"), "hi")
