"""The host function table driven end to end through a probe plugin (Tests/Fixtures/HostProbePlugin)."""
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from test_bearer import built_library


def probe_server(server, tmp_path, beside=()):
    """A server with the probe plugin (and the built plugins `beside` it); answers `call(op, request)`."""
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    for name in ("host-probe", *beside):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    srv = server({"pluginsDir": str(plugins)})
    client = srv.client()

    def call(op, request=None):
        r = client.post("host-probe", {"op": op, "request": request or {}})
        assert r.status_code == 200, r.text
        return r.json()
    call.server = srv
    return call


@pytest.fixture
def probe(server, tmp_path):
    return probe_server(server, tmp_path)


class Echo(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"] or 0))
        answer = json.dumps({"path": self.path, "got": json.loads(body), "auth": self.headers.get("Authorization")}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def test_http_fetch_reaches_a_real_server(probe):
    http = HTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{http.server_port}/rpc"
        out = probe("http.fetch", {"method": "POST", "url": url, "headers": {"Authorization": "Bearer t0k"},
                                   "body": json.dumps({"jsonrpc": "2.0", "id": 1})})
        assert out["ok"], out
        assert out["answer"]["status"] == 201
        assert out["answer"]["headers"]["content-type"] == "application/json"
        assert json.loads(out["answer"]["body"]) == {"path": "/rpc", "got": {"jsonrpc": "2.0", "id": 1}, "auth": "Bearer t0k"}
    finally:
        http.shutdown()
    refused = probe("http.fetch", {"url": "file:///etc/passwd"})
    assert not refused["ok"] and refused["code"] == "INVALID_REQUEST"
    down = probe("http.fetch", {"url": "http://127.0.0.1:9/", "timeoutSeconds": 2})
    assert not down["ok"] and down["code"] == "FETCH_FAILED"


def test_database_access_is_limited_to_core_and_own_tables(probe):
    created = probe("db.create", {"table": "probeNote", "data": {"text": "hello"}})
    assert created["ok"] and created["answer"]["row"]["text"] == "hello"
    found = probe("db.findMany", {"table": "probeNote", "where": [{"field": "text", "operator": "=", "value": "hello"}]})
    assert [r["text"] for r in found["answer"]["rows"]] == ["hello"]
    assert probe("db.count", {"table": "user"})["ok"]
    denied = probe("db.findMany", {"table": "rateLimit"})
    assert not denied["ok"] and denied["code"] == "TABLE_NOT_ALLOWED"
    everything = probe("db.delete", {"table": "probeNote"})
    assert not everything["ok"] and everything["code"] == "WHERE_REQUIRED"
    bad_op = probe("db.findMany", {"table": "probeNote", "where": [{"field": "text", "operator": "LIKE", "value": "%"}]})
    assert not bad_op["ok"] and bad_op["code"] == "UNKNOWN_OPERATOR"
    rolled_back = probe("db.transaction", {"operations": [
        {"op": "db.create", "table": "probeNote", "data": {"text": "kept?"}},
        {"op": "db.create", "table": "probeNote", "data": {"nope": 1}},
    ]})
    assert not rolled_back["ok"]
    assert probe("db.count", {"table": "probeNote", "where": [{"field": "text", "value": "kept?"}]})["answer"]["count"] == 0


def test_internal_adapter_and_verification_rows(probe):
    user = probe.server.client().new_user().user
    found = probe("users.find", {"email": user["email"]})
    assert found["answer"]["user"]["id"] == user["id"]
    assert "password" not in json.dumps(found["answer"])
    session = probe("sessions.create", {"userId": user["id"]})["answer"]["session"]
    assert probe("sessions.find", {"token": session["token"]})["answer"]["session"]["user"]["id"] == user["id"]
    assert probe("verifications.create", {"identifier": "probe:1", "value": "v", "expiresIn": 60})["ok"]
    assert probe("verifications.consume", {"identifier": "probe:1"})["answer"]["value"] == "v"
    assert probe("verifications.consume", {"identifier": "probe:1"})["answer"]["value"] is None   # single use
    unknown = probe("no.such.op")
    assert not unknown["ok"] and unknown["code"] == "UNSUPPORTED_OPERATION"


def test_jose_operations(probe):
    for alg in ["EdDSA", "ES256", "RS256"]:
        pair = probe("keys.generate", {"alg": alg})["answer"]
        token = probe("jwt.sign", {"alg": alg, "kid": "k1", "privateJwk": pair["privateJwk"], "payload": {"sub": "u1"}})["answer"]["token"]
        head, payload, signature = token.split(".")
        verified = probe("signature.verify", {"alg": alg, "jwk": pair["publicJwk"], "data": _b64(f"{head}.{payload}"), "signature": signature})
        assert verified["answer"]["valid"] is True, alg
        other = probe("keys.generate", {"alg": alg})["answer"]["publicJwk"]
        assert probe("signature.verify", {"alg": alg, "jwk": other, "data": _b64(f"{head}.{payload}"), "signature": signature})["answer"]["valid"] is False


def _b64(text):
    import base64
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
