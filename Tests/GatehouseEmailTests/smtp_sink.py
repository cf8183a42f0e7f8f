"""SMTP sink for GatehouseEmail's tests.

Usage: smtp_sink.py DIRECTORY [--user NAME --password SECRET] [--lifetime SECONDS]

Listens on a free port of 127.0.0.1 and writes that port to DIRECTORY/port once ready.
Each message received is stored as DIRECTORY/<n>.eml (raw) and DIRECTORY/<n>.json
(envelope plus Python's own parse of the message: To, Subject, text and html parts).
With --user, AUTH is required (allowed without TLS). Exits by itself after --lifetime.
"""
import argparse
import asyncio
import email
import email.policy
import itertools
import json
import logging
import os
import signal
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def summarize(content):
    message = email.message_from_bytes(content, policy=email.policy.default)
    parts = {}
    for part in message.walk():
        if not part.is_multipart():
            parts[part.get_content_type()] = part.get_content()
    return {
        "to": str(message["To"]),
        "from": str(message["From"]),
        "subject": str(message["Subject"]),
        "content_type": message.get_content_type(),
        "has_date": message["Date"] is not None,
        "has_message_id": message["Message-ID"] is not None,
        "mime_version": str(message["MIME-Version"]),
        "text": parts.get("text/plain"),
        "html": parts.get("text/html"),
    }


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        number = next(self.counter)
        summary = summarize(envelope.original_content or envelope.content)
        summary["mail_from"] = envelope.mail_from
        summary["rcpt_tos"] = envelope.rcpt_tos
        summary["login"] = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        base = os.path.join(self.directory, str(number))
        write_atomically(base + ".eml", envelope.original_content or envelope.content)
        write_atomically(base + ".json", json.dumps(summary).encode())
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--lifetime", type=float, default=120)
    arguments = parser.parse_args()
    # The test runner may have blocked these in the thread that spawned us; let terminate() work.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    def authenticate(server, session, envelope, mechanism, auth_data):
        valid = (isinstance(auth_data, LoginPassword)
                 and auth_data.login.decode() == arguments.user
                 and auth_data.password.decode() == arguments.password)
        return AuthResult(success=valid, handled=False, auth_data=auth_data)

    options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False} if arguments.user else {}
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    store = Store(arguments.directory)
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(store, **options), "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    write_atomically(os.path.join(arguments.directory, "port"), str(port).encode())
    loop.run_until_complete(asyncio.sleep(arguments.lifetime))
    server.close()


if __name__ == "__main__":
    main()
