"""The real peers GatehouseClientTests run the Swift client against, started by the tests.

Starts an SMTP sink (aiosmtpd), an OpenID provider (oidc-provider-mock) and a Gatehouse server
(the built binary, SQLite, the bearer, jwt, two-factor and organization plugins), then prints
one JSON line {"baseURL", "control"} and serves a small control API on "control" for what the
tests cannot do with the client itself:

  GET  /mail?to=ADDR[&contains=TEXT]   the newest mail to ADDR (waits up to 10 s): {subject, text}
  POST /idp/users {email, name}        a new subject at the provider: {sub}
  POST /idp/id-token {sub, nonce}      an ID token, as a mobile SDK gets it: {idToken}
  POST /browser {url, sub[, deny]}     a browser with its own cookie jar (requests.Session) opens
                                       url, consents at the provider as sub, and follows redirects
                                       until it leaves http(s): {location, stateCookieSeen}
  GET  /totp?secret=S[&offset=N]       pyotp's code for now + N seconds: {code}
  POST /jwt/verify {token}             PyJWT checks the token against the server's /jwks, its
                                       issuer and audience: {claims} or 400 {error}

Everything stops when stdin closes (the test process ended).
Usage: client_peers.py GATEHOUSE_BIN LIBRARY_DIR
"""
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import warnings
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider is plain HTTP on loopback
warnings.filterwarnings("ignore", category=DeprecationWarning)

import jwt  # noqa: E402  (PyJWT)
import oidc_provider_mock  # noqa: E402
import pyotp  # noqa: E402
import requests  # noqa: E402
import werkzeug.serving  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

PLUGINS = ["bearer", "jwt", "two-factor", "organization"]
CLIENT_ID = "gatehouse-client-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self):
        self.mails: list[dict] = []
        self.changed = threading.Condition()
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = message_from_bytes(envelope.content, policy=policy.default)
                body = message.get_body(preferencelist=("plain", "html"))
                with mailbox.changed:
                    mailbox.mails.append({"to": [r.lower() for r in envelope.rcpt_tos], "subject": str(message["subject"]),
                                          "text": body.get_content() if body else ""})
                    mailbox.changed.notify_all()
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.port = self.controller.port

    def newest(self, to: str, contains: str | None, timeout: float = 10.0) -> dict | None:
        deadline = time.time() + timeout
        with self.changed:
            while True:
                for mail in reversed(self.mails):
                    if to.lower() in mail["to"] and (contains is None or contains in mail["text"]):
                        return mail
                remaining = deadline - time.time()
                if remaining <= 0:
                    return None
                self.changed.wait(remaining)


class Provider:
    def __init__(self):
        self.server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def new_user(self, email: str, name: str) -> str:
        sub = "sub-" + uuid.uuid4().hex[:12]
        r = requests.put(f"{self.url}/users/{sub}", json={"email": email, "email_verified": True, "name": name}, timeout=10)
        r.raise_for_status()
        return sub

    def consent(self, url: str, sub: str, deny: bool) -> requests.Response:
        return requests.post(url, data={"action": "deny"} if deny else {"sub": sub}, allow_redirects=False, timeout=10)

    def id_token(self, sub: str, nonce: str | None) -> str:
        params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": "https://app.example/cb",
                  "scope": "openid email profile", "state": "s" * 16}
        if nonce:
            params["nonce"] = nonce
        back = self.consent(f"{self.url}/oauth2/authorize?{urllib.parse.urlencode(params)}", sub, False)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(back.headers["Location"]).query)["code"][0]
        r = requests.post(f"{self.url}/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                              "redirect_uri": "https://app.example/cb",
                                                              "client_id": CLIENT_ID, "client_secret": "anything"}, timeout=10)
        r.raise_for_status()
        return r.json()["id_token"]


def browse(provider: Provider, url: str, sub: str, deny: bool) -> dict:
    """A browser of its own: cookies only in this session, redirects followed by hand."""
    browser = requests.Session()
    state_cookie_seen = False
    for _ in range(10):
        at_provider = url.startswith(provider.url + "/oauth2/authorize")
        if at_provider:
            r = browser.post(url, data={"action": "deny"} if deny else {"sub": sub}, allow_redirects=False, timeout=10)
        else:
            r = browser.get(url, allow_redirects=False, timeout=10)
        state_cookie_seen = state_cookie_seen or any(c.name.endswith("state") for c in browser.cookies)
        if r.status_code not in (301, 302, 303, 307, 308):
            return {"error": f"{r.status_code} at {url}: {r.text[:300]}"}
        location = r.headers["Location"]
        if at_provider and "state=" not in location:
            # RFC 6749 §4.1.2.1: an error comes back with the state (the mock leaves it out).
            state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]
            location += ("&" if "?" in location else "?") + "state=" + urllib.parse.quote(state)
        url = urllib.parse.urljoin(url, location)
        if not url.startswith(("http://", "https://")):
            return {"location": url, "stateCookieSeen": state_cookie_seen}
    return {"error": "too many redirects"}


def start_gatehouse(binary: str, libraries: str, mailbox: Mailbox, provider: Provider, workdir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    plugins_dir = os.path.join(workdir, "plugins.d")
    os.makedirs(plugins_dir, mode=0o755)
    for plugin in PLUGINS:
        shutil.copy(os.path.join(libraries, f"lib{plugin}.so"), os.path.join(plugins_dir, f"{plugin}.so"))
    config = {
        "baseURL": base_url, "basePath": "/api/auth", "secret": "gatehouse-client-tests-secret-0123456789abcdef",
        "database": f"sqlite:{workdir}/gatehouse.db", "mode": "development", "pluginsDir": plugins_dir,
        "trustedOrigins": ["myapp://auth"], "emailAndPassword": {"enabled": True},
        "user": {"deleteUser": {"enabled": True}},
        "server": {"host": "127.0.0.1", "port": port}, "appName": "Gatehouse Client Tests",
        "email": {"transport": "smtp", "from": "Gatehouse <noreply@gatehouse.test>",
                  "smtp": {"host": "127.0.0.1", "port": mailbox.port, "secure": False, "startTLS": "off"}},
        "socialProviders": {"mock": {"clientId": CLIENT_ID, "clientSecret": "anything",
                                     "discoveryUrl": f"{provider.url}/.well-known/openid-configuration"}},
        # A JWT for 62 s: the client keeps it for 1–2 s (until 60 s before exp; `iat` and `exp`
        # are whole seconds), so renewal is testable.
        "plugins": {"jwt": {"jwt": {"expirationTime": 62}}},
    }
    config_path = os.path.join(workdir, "gatehouse.yaml")
    with open(config_path, "w") as f:
        json.dump(config, f)  # YAML is a superset of JSON
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "BETTER_AUTH_"))}
    env["SWIFT_BACKTRACE"] = "enable=no"
    log = open(os.path.join(workdir, "server.log"), "ab")
    server = subprocess.Popen([binary, "serve", "--config", config_path], cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gatehouse exited with {server.returncode}; see {workdir}/server.log")
        try:
            if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                return server, base_url
        except requests.RequestException:
            pass
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("gatehouse did not start within 60 s")


def main():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log in the test output
    binary, libraries = sys.argv[1], sys.argv[2]
    workdir = tempfile.mkdtemp(prefix="gatehouse-client-tests-")
    mailbox = Mailbox()
    provider = Provider()
    server, base_url = start_gatehouse(binary, libraries, mailbox, provider, workdir)
    jwks = jwt.PyJWKClient(f"{base_url}/api/auth/jwks")

    class Control(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status: int, body: dict):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
            if url.path == "/mail":
                mail = mailbox.newest(query["to"], query.get("contains"))
                return self.answer(200, mail) if mail else self.answer(404, {"error": "no such mail"})
            if url.path == "/totp":
                return self.answer(200, {"code": pyotp.TOTP(query["secret"]).at(time.time() + int(query.get("offset", "0")))})
            self.answer(404, {"error": "unknown path"})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.path == "/idp/users":
                return self.answer(200, {"sub": provider.new_user(body["email"], body.get("name", "Social User"))})
            if self.path == "/idp/id-token":
                return self.answer(200, {"idToken": provider.id_token(body["sub"], body.get("nonce"))})
            if self.path == "/browser":
                result = browse(provider, body["url"], body["sub"], bool(body.get("deny")))
                return self.answer(400 if "error" in result else 200, result)
            if self.path == "/jwt/verify":
                try:
                    key = jwks.get_signing_key_from_jwt(body["token"])
                    claims = jwt.decode(body["token"], key, algorithms=["EdDSA", "ES256", "RS256"],
                                        issuer=base_url, audience=base_url)
                    return self.answer(200, {"claims": claims})
                except jwt.PyJWTError as error:
                    return self.answer(400, {"error": repr(error)})
            self.answer(404, {"error": "unknown path"})

    control = ThreadingHTTPServer(("127.0.0.1", 0), Control)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    print(json.dumps({"baseURL": base_url, "control": f"http://127.0.0.1:{control.server_port}",
                      "workdir": workdir}), flush=True)
    try:
        sys.stdin.read()  # until the test process goes
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        mailbox.controller.stop()
        if not os.environ.get("GATEHOUSE_KEEP_TMP"):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
