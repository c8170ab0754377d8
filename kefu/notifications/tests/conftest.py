"""A real webhook robot on 127.0.0.1 (an ephemeral port) that answers from a script."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

OK = (200, {"errcode": 0, "errmsg": "ok"})


class Robot:
    """Answers the next scripted (status, body) for each POST, then `default`;
    records every request as (path, content type, decoded JSON body)."""

    def __init__(self):
        self.script: list[tuple[int, dict | str]] = []
        self.default = OK
        self.received: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with robot.lock:
                    robot.received.append((self.path, self.headers.get("Content-Type"), json.loads(body)))
                    status, answer = robot.script.pop(0) if robot.script else robot.default
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send?key=k1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def texts(self) -> list[str]:
        return [_text(body) for _, _, body in self.received]


def _text(body: dict) -> str:
    return body["text"]["content"] if "text" in body else body["content"]["text"]


@pytest.fixture
def robot():
    r = Robot()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def dead_url():
    """A 127.0.0.1 URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/send"


@pytest.fixture(autouse=True)
def _local_robots(settings):
    # The robots above listen on 127.0.0.1: let webhooks reach it (test_webhook_guard.py turns it off).
    settings.KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
