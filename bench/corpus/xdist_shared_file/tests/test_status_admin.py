from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from reportgen import StatusServer, build_report

PORT = 47613


def test_admin_status_endpoint():
    with StatusServer(PORT, build_report("admin", {"t::x": "failed"})) as server:
        time.sleep(0.4)  # the monitoring probe's first poll, stubbed
        with urllib.request.urlopen(server.url, timeout=5) as response:
            assert json.load(response)["failures"] == ["t::x"]


def test_unknown_path_is_404():
    with StatusServer(0, {}) as server:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(server.url.replace("/status", "/nope"), timeout=5)
        assert error.value.code == 404
