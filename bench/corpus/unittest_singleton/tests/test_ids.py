from __future__ import annotations

import unittest
import uuid

from factorylib import Factory


class TestIds(unittest.TestCase):
    def setUp(self):
        self.factory = Factory.instance()

    def test_new_id_is_uuid(self):
        new_id = self.factory.new_id()
        self.assertEqual(str(uuid.UUID(new_id)), new_id)

    def test_ids_are_unique(self):
        ids = {self.factory.new_id() for _ in range(50)}
        self.assertEqual(len(ids), 50)

    def test_each_record_gets_its_own_id(self):
        first = self.factory.build("user")
        second = self.factory.build("user")
        self.assertNotEqual(first.id, second.id)

    def test_ids_are_strings(self):
        self.assertIsInstance(self.factory.new_id(), str)
