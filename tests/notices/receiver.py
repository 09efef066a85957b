"""A webhook receiver on 127.0.0.1 for the tests: records every request, answers as told."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """``url``; ``requests`` (headers, body); ``answers`` (statuses to give first); ``hold``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.hold = 0.0          # seconds the first request waits before answering
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body,
                                              "path": self.path})
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    hold, receiver.hold = receiver.hold, 0.0
                if hold:
                    time.sleep(hold)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, secret: str) -> list[dict[str, Any]]:
        """The CloudEvents received with a valid signature (checked here)."""
        out = []
        with self.lock:
            reqs = list(self.requests)
        for r in reqs:
            expected = "sha256=" + hmac.new(secret.encode(), r["body"], hashlib.sha256).hexdigest()
            assert hmac.compare_digest(r["headers"]["X-Yoshiki-Signature"], expected)
            event = json.loads(r["body"])
            assert r["headers"]["Idempotency-Key"] == event["id"]
            assert r["headers"]["Content-Type"] == "application/cloudevents+json"
            out.append(event)
        return out
