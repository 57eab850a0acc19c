from __future__ import annotations

import pathlib
import unittest

from factorylib import Factory, FactoryError


class TestSettings(unittest.TestCase):
    """The settings API. These tests configure the process-wide factory."""

    def setUp(self):
        self.factory = Factory.instance()

    def test_instance_is_a_singleton(self):
        self.assertIs(Factory.instance(), self.factory)

    def test_set_base_dir(self):
        Factory.set_base_dir("/srv/records")
        self.assertEqual(self.factory.root(), "/srv/records")

    def test_base_dir_accepts_pathlike(self):
        Factory.set_base_dir(pathlib.Path("/var/lib/records"))
        self.assertEqual(self.factory.base_dir, "/var/lib/records")

    def test_set_base_dir_rejects_empty(self):
        with self.assertRaises(FactoryError):
            Factory.set_base_dir("")

    def test_set_id_type_int(self):
        Factory.set_id_type("int")
        self.assertTrue(self.factory.new_id().isdigit())

    def test_set_id_type_hex(self):
        Factory.set_id_type("hex")
        self.assertEqual(len(self.factory.new_id()), 32)

    def test_set_id_type_rejects_unknown(self):
        with self.assertRaises(FactoryError):
            Factory.set_id_type("ulid")

    def test_set_debug_level(self):
        Factory.set_debug_level(2)
        record = self.factory.build("user", name="ada")
        self.assertIn(" @ ", self.factory.describe(record))

    def test_debug_level_bounds(self):
        for level in (-1, 3):
            with self.subTest(level=level), self.assertRaises(FactoryError):
                Factory.set_debug_level(level)
