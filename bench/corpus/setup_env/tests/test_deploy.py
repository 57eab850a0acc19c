from __future__ import annotations

import json
import os
import unittest
from unittest import mock

from cloudcli import CommandError, deploy, list_apps, load_config, status


class TestDeployCommand(unittest.TestCase):
    def setUp(self):
        self.config = load_config()
        # The deploy helper runs in a subprocess that reads its region from the environment.
        os.environ["CLOUDCLI_REGION"] = "eu-west-1"

    def test_deploy_dry_run(self):
        self.assertTrue(deploy("billing", self.config, dry_run=True).startswith("would deploy"))

    def test_deploy_requires_app_name(self):
        with self.assertRaises(CommandError):
            deploy("", self.config)

    def test_list_apps(self):
        self.assertEqual(list_apps(self.config), ["billing", "search", "web-frontend"])

    def test_region_from_environment(self):
        self.assertEqual(self.config.region, "eu-west-1")

    def test_status_text(self):
        self.assertTrue(status("search", self.config).endswith(": stopped"))


class TestStatusOutput(unittest.TestCase):
    def test_status_json(self):
        with mock.patch.dict(os.environ, {"CLOUDCLI_OUTPUT": "json"}):
            config = load_config()
        self.assertEqual(json.loads(status("billing", config))["state"], "running")

    def test_status_unknown_app(self):
        with self.assertRaises(CommandError):
            status("payroll", load_config({}))

    def test_deploy_names_the_endpoint(self):
        config = load_config({"CLOUDCLI_REGION": "us-west-2"})
        self.assertIn("https://api.us-west-2.cloudcli.example", deploy("search", config))
