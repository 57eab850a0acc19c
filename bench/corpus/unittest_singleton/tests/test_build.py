from __future__ import annotations

import dataclasses
import unittest

from factorylib import Factory, FactoryError


class TestBuild(unittest.TestCase):
    def setUp(self):
        self.factory = Factory.instance()

    def test_build_keeps_kind_and_fields(self):
        record = self.factory.build("user", name="ada", admin=True)
        self.assertEqual(record.kind, "user")
        self.assertEqual(record.fields, {"name": "ada", "admin": True})

    def test_build_copies_fields(self):
        fields = {"name": "ada"}
        record = self.factory.build("user", **fields)
        fields["name"] = "grace"
        self.assertEqual(record.fields["name"], "ada")

    def test_build_rejects_invalid_kind(self):
        with self.assertRaises(FactoryError):
            self.factory.build("not a kind")

    def test_records_are_frozen(self):
        record = self.factory.build("user")
        with self.assertRaises(dataclasses.FrozenInstanceError):
            record.kind = "group"


class TestDescribe(unittest.TestCase):
    def setUp(self):
        self.factory = Factory.instance()
        self.record = self.factory.build("user", name="ada")

    def test_describe_is_terse_by_default(self):
        self.assertEqual(self.factory.describe(self.record), f"user#{self.record.id}")

    def test_describe_verbose_when_debugging(self):
        previous = Factory.debug_level
        self.addCleanup(Factory.set_debug_level, previous)
        Factory.set_debug_level(1)
        self.assertEqual(self.factory.describe(self.record), f"user#{self.record.id} name='ada'")

    def test_describe_mentions_kind(self):
        self.assertTrue(self.factory.describe(self.record).startswith("user#"))
