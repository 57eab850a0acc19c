from __future__ import annotations

import json
import time
import urllib.request

from reportgen import StatusServer, build_report

PORT = 47613


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_status_endpoint():
    with StatusServer(PORT, build_report("ci", {"t::a": "passed"})) as server:
        time.sleep(0.4)  # the monitoring probe's first poll, stubbed
        assert _get(server.url)["name"] == "ci"


def test_status_server_on_free_port():
    with StatusServer(0, build_report("ci", {})) as server:
        assert _get(server.url)["ok"]
