"""webhooks plugin (issue 16): host and plugin events delivered to receivers on 127.0.0.1 (http.server),
each delivery verified with the Standard Webhooks reference library (PyPI `standardwebhooks`); per-endpoint
secrets and filters, retries with growing gaps under one webhook-id, a receiver down then up, `kill -9`
right after the answer, dead letters and redelivery, the SSRF guard (127.0.0.1 and localhost refused
without allowPrivateNetworks), redirects not followed, a 10-s receiver next to API requests, invalid
settings, and the social (oidc-provider-mock), SIWE (eth-account + siwe), two-factor (pyotp) and
organization paths."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyotp
import pytest
import requests
import yaml
from standardwebhooks import Webhook, WebhookVerificationError

from conftest import _LIVE_SERVERS, TEST_SECRET, GatehouseServer, assert_error, free_port, unique_email, wait_until
from test_bearer import built_library
from test_social import idp, new_subject, run_flow, social_config  # noqa: F401 (idp is a fixture)
from test_siwe import message, nonce, sign, verify


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request; answers each path from a script of
    statuses, ("sleep", seconds) or ("redirect", location), then its `always` answer (200 by default);
    can go down (port closed) and come back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.received: list[dict] = []
        self.scripts: dict[str, list] = {}
        self.always: dict[str, object] = {}
        self.httpd = None
        self.up()

    def up(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    receiver.received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body.decode(), "at": time.monotonic()})
                    script = receiver.scripts.get(self.path) or []
                    action = script.pop(0) if script else receiver.always.get(self.path, 200)
                if isinstance(action, tuple) and action[0] == "sleep":
                    time.sleep(action[1])
                    action = 200
                self.send_response(307 if isinstance(action, tuple) else action)
                if isinstance(action, tuple):
                    self.send_header("location", action[1])
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def down(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["path"] == path]

    def wait(self, path: str, count: int, timeout: float = 20.0, where=lambda r: True) -> list[dict]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [r for r in self.at(path) if where(r)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len([r for r in self.at(path) if where(r)])} of {count} deliveries after {timeout}s")


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.down()


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("webhooks-plugins")
    for name in ("webhooks", "organization", "two-factor", "siwe"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return plugins


def config(plugins_dir, endpoints, **webhooks):
    settings = {"endpoints": endpoints, "allowPrivateNetworks": True,
                "retry": {"maxAttempts": 5, "initialDelay": 1, "maxDelay": 30, "jitter": 0}}
    settings.update(webhooks)
    return {"pluginsDir": str(plugins_dir), "plugins": {"webhooks": settings}, "user": {"deleteUser": {"enabled": True}}}


def endpoint(id, url, secret, **extra):
    return {"id": id, "url": url, "secret": secret, **extra}


def verified(delivery, secret) -> dict:
    """The delivery's body as the Standard Webhooks library verifies it (raises if it does not)."""
    return Webhook(secret).verify(delivery["body"], delivery["headers"])


def about(user_id):
    """Deliveries whose body mentions the user (each test's own events, on a shared receiver)."""
    return lambda r: user_id in r["body"]


def rows(srv, **where):
    sql = 'SELECT * FROM "webhookDelivery"'
    if where:
        sql += " WHERE " + " AND ".join(f'"{k}" = ?' for k in where)
    return srv.query(sql + ' ORDER BY "createdAt"', *where.values())


def set_admins(srv, *user_ids):
    """Rewrites plugins.webhooks.adminUserIds; the hot reload picks it up."""
    cfg = yaml.safe_load(srv.config_path.read_text())
    cfg["plugins"]["webhooks"]["adminUserIds"] = list(user_ids)
    srv.config_path.write_text(yaml.safe_dump(cfg))


# ---------------------------------------------------------------------------------------------

ALL_SECRET = new_secret()


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir, receiver):
    return server_factory(config(plugins_dir, [endpoint("all", receiver.url("/all"), ALL_SECRET)]), name="webhooks")


def test_each_event_arrives_signed_with_its_data_and_no_secrets(srv, receiver):
    c = srv.client(user_agent="webhooks-test/1.0").new_user()
    uid, token, password = c.user["id"], c.token, c.password
    assert c.post("change-password", {"currentPassword": password, "newPassword": "another-pass-123",
                                       "revokeOtherSessions": False}).status_code == 200
    assert srv.client().post("sign-in/email", {"email": c.email, "password": "wrong-password-1"}).status_code == 401
    assert c.post("sign-out").status_code == 200

    expected = ["user.created", "account.linked", "session.created", "signIn.succeeded", "password.changed", "signIn.failed",
                "session.revoked"]
    receiver.wait("/all", len(expected), where=about(uid))
    time.sleep(0.5)
    deliveries = receiver.at("/all")
    deliveries = [d for d in deliveries if uid in d["body"]]
    bodies = [verified(d, ALL_SECRET) for d in deliveries]
    assert sorted(b["type"] for b in bodies) == sorted(expected)
    for delivery, body in zip(deliveries, bodies):
        assert set(body) == {"type", "timestamp", "data"}
        datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
        assert delivery["headers"]["content-type"] == "application/json"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", delivery["headers"]["webhook-id"])
        assert abs(int(delivery["headers"]["webhook-timestamp"]) - time.time()) < 30
        for secret in (token, password, "another-pass-123", TEST_SECRET, ALL_SECRET, ALL_SECRET[6:]):
            assert secret not in delivery["body"], (body["type"], "leaks a secret")
    by_type = {b["type"]: b["data"] for b in bodies}
    assert by_type["user.created"]["user"]["id"] == uid and by_type["user.created"]["user"]["email"] == c.email
    assert by_type["session.created"]["session"]["userId"] == uid and "token" not in by_type["session.created"]["session"]
    assert by_type["signIn.failed"]["userId"] == uid and by_type["signIn.failed"]["email"] == c.email
    assert by_type["user.created"]["userAgent"] == "webhooks-test/1.0"

    stored = {r["id"]: r for r in rows(srv, endpointId="all")}
    for delivery in deliveries:
        row = stored[delivery["headers"]["webhook-id"]]
        assert row["payload"] == delivery["body"]              # the exact body is the outbox's
        assert wait_until(lambda: rows(srv, id=row["id"])[0]["status"] == "delivered")
        done = rows(srv, id=row["id"])[0]
        assert int(done["attempts"]) == 1 and int(done["lastStatusCode"]) == 200 and done["deliveredAt"]


def test_the_outbox_row_is_committed_before_the_answer(srv, receiver):
    receiver.always["/all"] = 503
    try:
        c = srv.client().new_user()
        # No waiting: the rows exist as the sign-up answers, whatever the receiver does.
        made = rows(srv, endpointId="all")
        assert any(c.user["id"] in r["payload"] and r["eventType"] == "user.created" for r in made)
    finally:
        receiver.always.pop("/all")


def test_endpoints_have_their_own_secret_and_filter(server, plugins_dir, receiver):
    user_secret, session_secret, off_secret = new_secret(), new_secret(), new_secret()
    srv = server(config(plugins_dir, [
        endpoint("users", receiver.url("/users"), user_secret, events=["user.*"]),
        endpoint("sessions", receiver.url("/sessions"), session_secret, events=["session.created", "password.changed"]),
        endpoint("off", receiver.url("/off"), off_secret, enabled=False),
    ]))
    c = srv.client().new_user()
    uid = c.user["id"]
    [user_delivery] = receiver.wait("/users", 1, where=about(uid))
    [session_delivery] = receiver.wait("/sessions", 1, where=about(uid))
    assert verified(user_delivery, user_secret)["type"] == "user.created"
    assert verified(session_delivery, session_secret)["type"] == "session.created"
    with pytest.raises(WebhookVerificationError):
        verified(user_delivery, session_secret)
    time.sleep(1)
    assert len([r for r in receiver.at("/users") if uid in r["body"]]) == 1   # no session.* or signIn.* to user.*
    assert not [r for r in receiver.at("/off") if uid in r["body"]]
    assert {r["endpointId"] for r in rows(srv)} == {"users", "sessions"}


def test_failures_retry_under_one_id_with_growing_gaps(server, plugins_dir, receiver):
    secret = new_secret()
    srv = server(config(plugins_dir, [endpoint("flaky", receiver.url("/flaky"), secret, events=["user.created"])]))
    receiver.scripts["/flaky"] = [500, 500, 200]
    c = srv.client().new_user()
    attempts = receiver.wait("/flaky", 3, where=about(c.user["id"]))
    ids = {a["headers"]["webhook-id"] for a in attempts}
    assert len(ids) == 1
    for a in attempts:
        assert verified(a, secret)["type"] == "user.created"       # each attempt signed for its own timestamp
    first, second = attempts[1]["at"] - attempts[0]["at"], attempts[2]["at"] - attempts[1]["at"]
    assert 0.9 <= first < second, (first, second)                 # initialDelay 1 s, then 2 s
    assert second >= 1.9 and second < 4, second
    assert wait_until(lambda: rows(srv, id=attempts[0]["headers"]["webhook-id"])[0]["status"] == "delivered")
    row = rows(srv, id=attempts[0]["headers"]["webhook-id"])[0]
    assert int(row["attempts"]) == 3 and int(row["lastStatusCode"]) == 200


def test_a_receiver_down_then_up_gets_the_delivery(server, plugins_dir):
    down = Receiver()
    down.down()
    try:
        secret = new_secret()
        srv = server(config(plugins_dir, [endpoint("later", down.url("/later"), secret, events=["user.created"])]))
        c = srv.client().new_user()
        assert wait_until(lambda: (rows(srv) or [{}])[0].get("lastError") is not None, timeout=10)
        row = rows(srv)[0]
        assert row["status"] == "pending" and int(row["attempts"]) >= 1 and row["lastStatusCode"] is None
        down.up()
        [delivery] = down.wait("/later", 1, timeout=30)
        assert verified(delivery, secret)["data"]["user"]["id"] == c.user["id"]
        assert wait_until(lambda: rows(srv)[0]["status"] == "delivered")
    finally:
        down.down()


def test_kill_9_right_after_the_answer_loses_nothing(server, plugins_dir):
    later = Receiver()
    later.down()
    try:
        secret = new_secret()
        srv = server(config(plugins_dir, [endpoint("kept", later.url("/kept"), secret, events=["user.created"])], timeoutSeconds=2))
        c = srv.client().new_user()
        srv.kill9()
        [row] = rows(srv)
        assert row["status"] == "pending" and c.user["id"] in row["payload"]
        later.up()
        srv.start()
        [delivery] = later.wait("/kept", 1, timeout=40)
        assert delivery["headers"]["webhook-id"] == row["id"]
        assert verified(delivery, secret)["data"]["user"]["id"] == c.user["id"]
    finally:
        later.down()


def test_dead_letters_redelivery_and_the_admin_routes(server, plugins_dir, receiver):
    secret = new_secret()
    srv = server(config(plugins_dir, [endpoint("dead", receiver.url("/dead"), secret, events=["user.created"])],
                        retry={"maxAttempts": 2, "initialDelay": 1, "maxDelay": 5, "jitter": 0.2}))
    admin, someone = srv.client().new_user(), srv.client().new_user()
    set_admins(srv, admin.user["id"])
    assert wait_until(lambda: admin.get("webhooks/deliveries").status_code == 200, timeout=15)
    receiver.always["/dead"] = 500
    try:
        victim = srv.client().new_user()
        attempts = receiver.wait("/dead", 2, where=about(victim.user["id"]))
        delivery_id = attempts[0]["headers"]["webhook-id"]
        assert wait_until(lambda: rows(srv, id=delivery_id)[0]["status"] == "dead")
        time.sleep(2.5)
        assert len([a for a in receiver.at("/dead") if victim.user["id"] in a["body"]]) == 2   # maxAttempts counts the first
        row = rows(srv, id=delivery_id)[0]
        assert int(row["attempts"]) == 2 and int(row["lastStatusCode"]) == 500 and "500" in row["lastError"]
    finally:
        receiver.always.pop("/dead")

    listed = admin.get("webhooks/deliveries", params={"status": "dead"}).json()
    assert listed["total"] >= 1 and delivery_id in [d["id"] for d in listed["deliveries"]]
    shown = next(d for d in listed["deliveries"] if d["id"] == delivery_id)
    assert "payload" not in shown and shown["endpointId"] == "dead" and shown["eventType"] == "user.created"
    everything = admin.get("webhooks/deliveries").json()
    assert everything["total"] == len(rows(srv))
    stamps = [d["createdAt"] for d in everything["deliveries"]]
    assert stamps == sorted(stamps, reverse=True)                                      # newest first
    page = admin.get("webhooks/deliveries", params={"limit": 1, "offset": 1}).json()
    assert len(page["deliveries"]) == 1 and page["deliveries"][0]["id"] == everything["deliveries"][1]["id"]
    assert admin.get("webhooks/deliveries", params={"eventType": "session.created"}).json()["total"] == 0
    assert admin.get("webhooks/deliveries", params={"endpointId": "dead"}).json()["total"] == everything["total"]

    assert_error(admin.get("webhooks/deliveries", params={"status": "lost"}), 400)
    assert_error(admin.get("webhooks/deliveries", params={"limit": "ten"}), 400)
    assert_error(someone.get("webhooks/deliveries"), 403)
    assert_error(srv.client().get("webhooks/deliveries"), 401)
    assert_error(someone.post("webhooks/redeliver", {"id": delivery_id}), 403)
    assert_error(srv.client().post("webhooks/redeliver", {"id": delivery_id}), 401)
    assert_error(admin.post("webhooks/redeliver", {"id": "no-such-delivery"}), 404)
    assert_error(admin.post("webhooks/redeliver", {}), 400)
    time.sleep(1)
    assert len([a for a in receiver.at("/dead") if victim.user["id"] in a["body"]]) == 2    # nothing resent

    # Two redeliveries at once: one is sent, the other finds it in flight.
    receiver.scripts["/dead"] = [("sleep", 2)]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: admin.post("webhooks/redeliver", {"id": delivery_id}), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert next(a for a in answers if a.status_code == 200).json() == {"status": True}
    resent = receiver.wait("/dead", 3, where=about(victim.user["id"]))[2]
    assert resent["headers"]["webhook-id"] == delivery_id
    assert verified(resent, secret)["data"]["user"]["id"] == victim.user["id"]
    assert wait_until(lambda: rows(srv, id=delivery_id)[0]["status"] == "delivered")
    row = rows(srv, id=delivery_id)[0]
    assert int(row["attempts"]) == 1 and int(row["lastStatusCode"]) == 200
    time.sleep(1)
    assert len([a for a in receiver.at("/dead") if victim.user["id"] in a["body"]]) == 3


def test_loopback_and_localhost_are_refused_without_the_flag(server, plugins_dir, receiver):
    srv = server(config(plugins_dir, [
        endpoint("loop", receiver.url("/loop"), new_secret(), events=["user.created"]),
        endpoint("local", receiver.url("/local", host="localhost"), new_secret(), events=["user.created"]),
    ], allowPrivateNetworks=False))
    logs = srv.logs()
    assert "endpoint loop names a loopback or private host" in logs and "endpoint local names a loopback or private host" in logs
    c = srv.client().new_user()
    assert wait_until(lambda: {r["status"] for r in rows(srv)} == {"dead"})
    for row in rows(srv):
        assert int(row["attempts"]) == 1 and "loopback" in row["lastError"] and "allowPrivateNetworks" in row["lastError"], row
    time.sleep(1)
    assert not [r for r in receiver.at("/loop") + receiver.at("/local") if c.user["id"] in r["body"]]


def test_redirects_are_not_followed(server, plugins_dir, receiver):
    srv = server(config(plugins_dir, [endpoint("moved", receiver.url("/moved"), new_secret(), events=["user.created"])],
                        retry={"maxAttempts": 1}))
    receiver.always["/moved"] = ("redirect", receiver.url("/target"))
    try:
        c = srv.client().new_user()
        receiver.wait("/moved", 1, where=about(c.user["id"]))
        assert wait_until(lambda: rows(srv)[0]["status"] == "dead")
        row = rows(srv)[0]
        assert int(row["lastStatusCode"]) == 307 and "redirect" in row["lastError"]
        assert not [r for r in receiver.at("/target") if c.user["id"] in r["body"]]
    finally:
        receiver.always.pop("/moved")


def test_a_ten_second_receiver_slows_no_request(server, plugins_dir, receiver):
    srv = server(config(plugins_dir, [endpoint("slow", receiver.url("/slow"), new_secret())], timeoutSeconds=15))
    admin = srv.client().new_user()
    set_admins(srv, admin.user["id"])
    assert wait_until(lambda: admin.get("webhooks/deliveries").status_code == 200, timeout=15)
    receiver.always["/slow"] = ("sleep", 10)
    try:
        started = time.monotonic()
        timings = []
        for _ in range(8):                          # 8 sign-ups: 24 deliveries held 10 s each
            t = time.monotonic()
            srv.client().new_user()
            timings.append(time.monotonic() - t)
        assert time.monotonic() - started < 8, timings
        in_flight = [r for r in rows(srv) if r["status"] == "pending"]
        assert len(in_flight) >= 20
        for path in ("webhooks/deliveries", "ok"):  # a plugin route and a core route, while they hang
            t = time.monotonic()
            assert admin.get(path).status_code == 200
            assert time.monotonic() - t < 1.0, path
        assert max(timings) < 2.0, timings
        assert wait_until(lambda: all(r["status"] == "delivered" for r in rows(srv)), timeout=40)
    finally:
        receiver.always.pop("/slow")


@pytest.mark.parametrize("settings, key", [
    ({"endpoints": [{"id": "a", "url": "http://127.0.0.1:9/x", "secret": "whsec_c2hvcnQ="}]}, "endpoints[0].secret"),
    ({"endpoints": [{"id": "a", "url": "http://127.0.0.1:9/x", "secret": "not-a-secret"}]}, "endpoints[0].secret"),
    ({"endpoints": [{"id": "a", "url": "ftp://example.com/x", "secret": ALL_SECRET}]}, "endpoints[0].url"),
    ({"endpoints": [{"id": "a", "url": "http://127.0.0.1:9/x", "secret": ALL_SECRET},
                    {"id": "a", "url": "http://127.0.0.1:9/y", "secret": ALL_SECRET}]}, "endpoints[1].id"),
    ({"endpoints": [{"id": "a", "url": "http://127.0.0.1:9/x", "secret": ALL_SECRET, "events": "user.created"}]}, "endpoints[0].events"),
    ({"retry": {"maxAttempts": 0}}, "retry.maxAttempts"),
    ({"retry": {"jitter": 2}}, "retry.jitter"),
    ({"retry": {"initialDelay": 10, "maxDelay": 5}}, "retry.maxDelay"),
    ({"retry": {"backoff": 2}}, "retry.backoff"),
    ({"timeoutSeconds": "soon"}, "timeoutSeconds"),
])
def test_an_invalid_setting_keeps_the_plugin_out_and_names_the_key(server, plugins_dir, settings, key):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"webhooks": settings}})
    logs = srv.logs()
    assert f"plugins.webhooks.{key}" in logs, logs[-2000:]
    assert ALL_SECRET not in logs and "whsec_c2hvcnQ=" not in logs and "not-a-secret" not in logs
    assert srv.client().get("webhooks/deliveries").status_code == 404
    assert srv.client().get("ok").status_code == 200                 # the rest of the server serves


def test_a_failed_reload_keeps_the_running_plugin(server, plugins_dir, receiver):
    secret = new_secret()
    srv = server(config(plugins_dir, [endpoint("stay", receiver.url("/stay"), secret, events=["user.created"])]))
    cfg = yaml.safe_load(srv.config_path.read_text())
    cfg["plugins"]["webhooks"]["endpoints"][0]["secret"] = "whsec_broken"
    srv.config_path.write_text(yaml.safe_dump(cfg))
    assert wait_until(lambda: "reload failed; still serving the previous generation" in srv.logs(), timeout=15)
    assert "plugins.webhooks.endpoints[0].secret" in srv.logs() and "whsec_broken" not in srv.logs()
    c = srv.client().new_user()
    [delivery] = receiver.wait("/stay", 1, where=about(c.user["id"]))
    assert verified(delivery, secret)["data"]["user"]["id"] == c.user["id"]


# -- the other paths that make events: organization, two-factor (pyotp), social (oidc-provider-mock), SIWE --

def test_organization_and_two_factor_events(server, plugins_dir, receiver):
    secret = new_secret()
    srv = server(config(plugins_dir, [endpoint("plugins", receiver.url("/plugins"), secret, events=["organization.*", "twoFactor.*"])]))
    owner = srv.client().new_user()
    slug = "acme-" + unique_email().split("@")[0][-8:]
    org = owner.post("organization/create", {"name": "Acme", "slug": slug}).json()
    r = owner.post("two-factor/enable", {"password": owner.password})
    assert r.status_code == 200, r.text
    totp = pyotp.parse_uri(r.json()["totpURI"])
    assert owner.post("two-factor/verify-totp", {"code": totp.now()}).status_code == 200
    got = [verified(d, secret) for d in receiver.wait("/plugins", 3, where=about(owner.user["id"]))]
    types = [g["type"] for g in got]
    assert "organization.created" in types and "organization.member.added" in types and "twoFactor.enabled" in types, types
    created = next(g for g in got if g["type"] == "organization.created")
    assert created["data"]["organization"]["id"] == org["id"]
    for g in got:
        assert "secret" not in json.dumps(g["data"]).lower() and "backupCodes" not in json.dumps(g["data"])


def test_social_and_siwe_users_are_announced(server, plugins_dir, receiver, idp):  # noqa: F811
    secret = new_secret()
    port = free_port()  # siwe checks messages against the server's own host:port
    cfg = config(plugins_dir, [endpoint("signups", receiver.url("/signups"), secret, events=["user.created", "account.linked"])])
    cfg["plugins"]["siwe"] = {"domain": f"127.0.0.1:{port}"}
    srv = server(social_config(idp, **cfg, server={"port": port}, baseURL=f"http://127.0.0.1:{port}"), port=port)

    sub, email = new_subject(idp)
    assert run_flow(idp, srv.client(), sub).status_code == 302
    social = [verified(d, secret) for d in receiver.wait("/signups", 2, where=lambda r: email in r["body"] or sub in r["body"])]
    assert sorted(s["type"] for s in social) == ["account.linked", "user.created"]
    linked = next(s for s in social if s["type"] == "account.linked")["data"]["account"]
    assert linked["providerId"] == "mock" and linked["accountId"] == sub and set(linked) == {"id", "providerId", "accountId", "userId"}

    from eth_account import Account
    account = Account.create()
    wallet = srv.client()
    text = message(srv, account, nonce(wallet))
    r = verify(wallet, text, sign(account, text))
    assert r.status_code == 200, r.text
    [created] = receiver.wait("/signups", 1, where=about(r.json()["user"]["id"]))
    assert verified(created, secret)["type"] == "user.created"


@pytest.mark.postgres_only
def test_two_instances_never_send_one_delivery_twice(tmp_path, plugins_dir, pg_database):
    """Two processes on one database, both sweeping the same outbox: every delivery reaches the
    receiver exactly once, however the attempts fell between them."""
    hooks = Receiver()
    hooks.down()
    secret = new_secret()
    settings = config(plugins_dir, [endpoint("shared", hooks.url("/shared"), secret, events=["user.created"])],
                      retry={"maxAttempts": 20, "initialDelay": 1, "maxDelay": 2, "jitter": 0.5})
    servers = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            srv = GatehouseServer({**settings, "database": pg_database}, name=name, workdir=workdir).start()
            _LIVE_SERVERS.append(srv)
            servers.append(srv)
        users = [srv.client().new_user().user["id"] for srv in servers for _ in range(5)]
        assert wait_until(lambda: all(int(r["attempts"]) >= 2 for r in rows(servers[0])), timeout=20)
        hooks.always["/shared"] = ("sleep", 1)          # slow answers widen any window for a second send
        hooks.up()
        assert wait_until(lambda: all(r["status"] == "delivered" for r in rows(servers[0])), timeout=40), rows(servers[0])
        time.sleep(2)
        received = hooks.at("/shared")
        ids = [r["headers"]["webhook-id"] for r in received]
        assert sorted(ids) == sorted(r["id"] for r in rows(servers[0])) and len(set(ids)) == len(users)
        assert sorted(verified(r, secret)["data"]["user"]["id"] for r in received) == sorted(users)
    finally:
        hooks.down()
        for srv in servers:
            srv.stop()
            _LIVE_SERVERS.remove(srv)
