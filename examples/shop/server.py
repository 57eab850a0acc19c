"""A tiny JSON status server (health and admin endpoints) run in a background thread."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 18765

ROUTES: dict[str, dict[str, Any]] = {
    "/health": {"status": "ok"},
    "/admin": {"admin": True, "orders_pending": 0},
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        payload = ROUTES.get(self.path)
        if payload is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body = json.dumps(payload).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


class ShopServer(ThreadingHTTPServer):
    """HTTP server bound on construction; ``start()`` serves from a daemon thread.

    ``allow_reuse_address`` is inherited as true from ``HTTPServer`` (SO_REUSEADDR), so
    a port left in TIME_WAIT can be re-bound at once, but a port another process is
    *listening* on cannot: binding it raises ``OSError: [Errno 98] Address already in use``.
    """

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        super().__init__((host, port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ShopServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
