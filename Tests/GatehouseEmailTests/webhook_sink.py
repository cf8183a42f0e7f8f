"""HTTP sink for GatehouseEmail's webhook tests.

Usage: webhook_sink.py DIRECTORY [--lifetime SECONDS]

Listens on a free port of 127.0.0.1 and writes that port to DIRECTORY/port once ready.
Each POST is stored as DIRECTORY/<n>.json: {"path", "headers", "body"} with the body as
received text. POSTs to /fail are answered 500, all others 200. Exits by itself after --lifetime.
"""
import argparse
import itertools
import json
import os
import signal
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def make_handler(directory):
    counter = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            record = {
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": body.decode("utf-8"),
            }
            write_atomically(os.path.join(directory, f"{next(counter)}.json"), json.dumps(record).encode())
            status = 500 if self.path == "/fail" else 200
            reply = b"failed" if status == 500 else b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--lifetime", type=float, default=120)
    arguments = parser.parse_args()
    # The test runner may have blocked these in the thread that spawned us; let terminate() work.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    server = HTTPServer(("127.0.0.1", 0), make_handler(arguments.directory))
    server.timeout = 0.5
    write_atomically(os.path.join(arguments.directory, "port"), str(server.server_address[1]).encode())
    deadline = time.monotonic() + arguments.lifetime
    while time.monotonic() < deadline:
        server.handle_request()
    server.server_close()


if __name__ == "__main__":
    main()
