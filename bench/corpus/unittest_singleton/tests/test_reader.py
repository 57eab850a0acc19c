from __future__ import annotations

import os
import tempfile
import unittest

from factorylib import Factory, Reader


class TestReader(unittest.TestCase):
    def setUp(self):
        self.reader = Reader()

    def test_default_dir(self):
        self.assertEqual(self.reader.root, os.path.expanduser(os.path.join("~", ".factorylib")))

    def test_reader_shares_the_factory(self):
        self.assertIs(self.reader.factory, Factory.instance())

    def test_path_is_under_root(self):
        record = self.reader.factory.build("user")
        self.assertTrue(self.reader.factory.path_for(record).startswith(self.reader.root))

    def test_encode_decode_roundtrip(self):
        record = self.reader.factory.build("group", members=["ada", "grace"])
        self.assertEqual(self.reader.decode(self.reader.encode(record)), record)

    def test_decode_without_fields(self):
        record = self.reader.decode('{"kind": "user", "id": "7"}')
        self.assertEqual(record.fields, {})


class TestReaderFiles(unittest.TestCase):
    def setUp(self):
        self.reader = Reader()
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_save_then_load(self):
        record = self.reader.factory.build("user", name="ada")
        path = self.reader.save(record, self.tmp.name)
        self.assertEqual(self.reader.load(path), record)

    def test_save_creates_kind_directory(self):
        record = self.reader.factory.build("invoice")
        self.reader.save(record, self.tmp.name)
        self.assertTrue(os.path.isdir(os.path.join(self.tmp.name, "invoice")))
