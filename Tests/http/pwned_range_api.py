"""Have I Been Pwned's range API on 127.0.0.1, for the breached-password tests.

`GET /range/{5 hex}` answers as api.pwnedpasswords.com does: `SUFFIX:COUNT` lines joined by CRLF,
upper-case hex, and, when the request says `Add-Padding: true`, a few hundred made-up suffixes with
count 0. What a test wants it to answer is set per password (`breach`, `pad`, `stall`, `fail`), keyed
by the prefix of the password's SHA-1. Every request is recorded (`requests`) so tests can check that
only the prefix left the server.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode("utf-8")).hexdigest().upper()


@dataclass
class RangeRequest:
    path: str
    headers: dict[str, str]
    body: bytes


class PwnedRangeAPI:
    def __init__(self):
        self.entries: dict[str, dict[str, int]] = {}      # prefix → suffix → count
        self.stalled: dict[str, float] = {}                # prefix → seconds before answering
        self.failing: dict[str, int] = {}                  # prefix → status
        self.requests: list[RangeRequest] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                length = int(self.headers.get("Content-Length") or 0)
                api.requests.append(RangeRequest(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                 self.rfile.read(length) if length else b""))
                prefix = self.path.removeprefix("/range/").upper()
                if not self.path.startswith("/range/") or len(prefix) != 5 or any(c not in "0123456789ABCDEF" for c in prefix):
                    return self.answer(400, b"The hash prefix was not in a valid format")
                if prefix in api.stalled:
                    time.sleep(api.stalled[prefix])
                if prefix in api.failing:
                    return self.answer(api.failing[prefix], b"Service unavailable")
                lines = [f"{suffix}:{count}" for suffix, count in api.entries.get(prefix, {}).items()]
                if self.headers.get("Add-Padding", "").lower() == "true":
                    lines += [f"{secrets.token_hex(18)[:35].upper()}:0" for _ in range(800)]
                self.answer(200, "\r\n".join(lines).encode())

            def answer(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _set(self, password: str, count: int):
        digest = sha1_hex(password)
        self.entries.setdefault(digest[:5], {})[digest[5:]] = count

    def breach(self, password: str, count: int = 42):
        """The password is in the corpus, seen `count` times."""
        self._set(password, count)

    def pad(self, password: str):
        """The password's suffix appears only as padding (count 0): not a match."""
        self._set(password, 0)

    def stall(self, password: str, seconds: float):
        self.stalled[sha1_hex(password)[:5]] = seconds

    def fail(self, password: str, status: int = 503):
        self.failing[sha1_hex(password)[:5]] = status

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
