"""Health endpoint smoke test."""

import json
import time
import urllib.request

from shop.server import ShopServer

PORT = 18765


def _get_json(url: str) -> object:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never go via a proxy
    with opener.open(url, timeout=5) as response:
        return json.load(response)


def test_health_endpoint() -> None:
    # planted: shared fixed TCP port (18765 is also bound by test_server_admin.py)
    server = ShopServer("127.0.0.1", PORT).start()
    try:
        payload = _get_json(f"{server.url}/health")
        time.sleep(0.3)  # keep serving briefly, as a real smoke test would
    finally:
        server.stop()
    assert payload == {"status": "ok"}
