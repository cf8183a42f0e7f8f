"""Host events (issue 15, ABI 1.2): the core announces users, sessions, sign-ins, passwords, email
verification and accounts to plugins through the event mechanism, with "source": "core", after the
commit. The subscriber is a C fixture built from the header alone (fixtures/event_recorder.c) that
subscribes to "*" with "sync": true, so every event of a request is in its file once that request
has answered. No payload may carry a session token, a password, a hash or the server secret."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

import pyotp
import pytest
import requests

from conftest import TEST_SECRET, assert_error, free_port, unique_email
from test_bearer import built_library
from test_password import request_reset
from test_social import idp, new_subject, run_flow, social_config  # noqa: F401 (idp is a fixture)
from test_siwe import message, nonce, sign, verify
from test_two_factor import previous_window_code

REPO = Path(__file__).resolve().parents[2]
RECORDER_C = REPO / "Tests" / "http" / "fixtures" / "event_recorder.c"
USER_AGENT = "host-events-test/1.0"


def build_recorder(directory: Path, plugin_id: str = "event-recorder", events: str = "*") -> Path:
    """The recorder fixture as `<directory>/<plugin_id>.so`, subscribed to `events` (a name or a prefix ending in `*`)."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    out = directory / f"{plugin_id}.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(REPO / "PluginAPI" / "include"),
                    f'-DID="{plugin_id}"', f'-DEVENTS="{events}"', "-o", str(out), str(RECORDER_C)], check=True)
    return out


class Recorder:
    """The fixture's file: one envelope per line."""

    def __init__(self, path: Path):
        self.path = path

    def all(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def mark(self) -> int:
        return len(self.all())

    def since(self, mark: int) -> list[dict]:
        return self.all()[mark:]


@pytest.fixture(scope="module")
def recorder(tmp_path_factory):
    return Recorder(tmp_path_factory.mktemp("host-events") / "events.jsonl")


@pytest.fixture(scope="module")
def srv(server_factory, tmp_path_factory, idp, recorder):  # noqa: F811 (idp is a fixture)
    plugins = tmp_path_factory.mktemp("host-events-plugins")
    build_recorder(plugins)
    for name in ("two-factor", "siwe", "host-probe"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    port = free_port()  # siwe checks messages against the server's own host:port
    config = social_config(
        idp, pluginsDir=str(plugins), server={"port": port}, baseURL=f"http://127.0.0.1:{port}",
        plugins={"event-recorder": {"file": str(recorder.path)}, "siwe": {"domain": f"127.0.0.1:{port}"}},
        emailAndPassword={"enabled": True, "revokeSessionsOnPasswordReset": True},
        emailVerification={"sendOnSignUp": True}, user={"deleteUser": {"enabled": True}})
    return server_factory(config, name="host-events", port=port)


# Everything secret the tests handle; none of it may appear in the recorder's file.
SECRETS: set[str] = {TEST_SECRET}


def client(srv):
    return srv.client(user_agent=USER_AGENT)


def remember(c):
    """Keeps the client's session token and password for the final secret scan."""
    SECRETS.update(value for value in (c.token, c.password) if value)
    return c


def new_user(srv, **kw):
    return remember(client(srv).new_user(**kw))


def names(events):
    return [e["name"] for e in events]


def core(events):
    return [e for e in events if e["source"] == "core"]


def only(events, name):
    found = [e for e in events if e["name"] == name]
    assert len(found) == 1, (name, names(events))
    return found[0]["payload"]


def assert_client(payload):
    assert payload["ipAddress"] == "127.0.0.1" and payload["userAgent"] == USER_AGENT, payload


# ---------------------------------------------------------------------------------------------

def test_email_sign_up_creates_a_user_an_account_and_a_session(srv, recorder):
    mark = recorder.mark()
    c = new_user(srv)
    events = recorder.since(mark)
    assert all(e["source"] == "core" for e in events)
    assert names(events) == ["user.created", "account.linked", "session.created", "signIn.succeeded"]
    user = only(events, "user.created")
    assert user["user"]["id"] == c.user["id"] and user["user"]["email"] == c.email
    assert_client(user)
    account = only(events, "account.linked")
    assert account["account"]["providerId"] == "credential" and account["account"]["userId"] == c.user["id"]
    assert set(account["account"]) == {"id", "providerId", "accountId", "userId"}
    session = only(events, "session.created")
    assert session["user"]["id"] == c.user["id"] and session["session"]["userId"] == c.user["id"]
    assert "token" not in session["session"]
    assert session["session"]["userAgent"] == USER_AGENT
    assert only(events, "signIn.succeeded") == {"userId": c.user["id"], "sessionId": session["session"]["id"],
                                               "ipAddress": "127.0.0.1", "userAgent": USER_AGENT}


def test_a_taken_email_makes_no_user(srv, recorder):
    c = new_user(srv)
    mark = recorder.mark()
    assert_error(client(srv).sign_up(email=c.email), 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    assert recorder.since(mark) == []


def test_sign_in_success_and_failures(srv, recorder):
    c = new_user(srv)
    mark = recorder.mark()
    r = client(srv).sign_in(c.email, "wrong-password-123")
    assert r.status_code == 401
    failed = only(recorder.since(mark), "signIn.failed")
    assert failed == {"email": c.email, "userId": c.user["id"], "reason": "INVALID_EMAIL_OR_PASSWORD",
                      "ipAddress": "127.0.0.1", "userAgent": USER_AGENT}

    mark = recorder.mark()
    nobody = unique_email("nobody")
    assert client(srv).sign_in(nobody, "wrong-password-123").status_code == 401
    failed = only(recorder.since(mark), "signIn.failed")
    assert failed["email"] == nobody and failed["userId"] is None and failed["reason"] == "INVALID_EMAIL_OR_PASSWORD"

    mark = recorder.mark()
    again = remember(c.fork())
    events = recorder.since(mark)
    assert names(events) == ["session.created", "signIn.succeeded"]
    assert only(events, "signIn.succeeded")["sessionId"] == only(events, "session.created")["session"]["id"]
    assert again.session()["session"]["id"] == only(events, "session.created")["session"]["id"]


def test_social_sign_up_then_sign_in(srv, recorder, idp):  # noqa: F811
    sub, email = new_subject(idp)
    mark = recorder.mark()
    c = client(srv)
    assert run_flow(idp, c, sub).status_code == 302
    remember(c)
    events = recorder.since(mark)
    assert names(events) == ["user.created", "account.linked", "session.created", "signIn.succeeded"]
    user = only(events, "user.created")["user"]
    assert user["email"] == email and user["emailVerified"] is True
    account = only(events, "account.linked")
    assert account["account"]["providerId"] == "mock" and account["account"]["accountId"] == sub
    assert set(account["account"]) == {"id", "providerId", "accountId", "userId"}  # no provider tokens
    assert_client(account)

    mark = recorder.mark()
    assert run_flow(idp, remember(client(srv)), sub).status_code == 302
    events = recorder.since(mark)
    assert names(events) == ["session.created", "signIn.succeeded"]
    assert only(events, "session.created")["user"]["id"] == user["id"]


def test_link_and_unlink_a_social_account(srv, recorder, idp):  # noqa: F811
    c = new_user(srv)
    sub, _ = new_subject(idp, email=c.email)
    r = c.post("link-social", {"provider": "mock", "callbackURL": "/settings"})
    mark = recorder.mark()
    assert c.get(idp.authorize(r.json()["url"], sub)).status_code == 302
    linked = only(recorder.since(mark), "account.linked")
    assert linked["account"]["providerId"] == "mock" and linked["account"]["accountId"] == sub
    assert linked["user"]["id"] == c.user["id"]

    mark = recorder.mark()
    assert c.post("unlink-account", {"accountId": linked["account"]["id"]}).json() == {"status": True}
    events = recorder.since(mark)
    assert names(events) == ["account.unlinked"]
    assert only(events, "account.unlinked")["account"] == linked["account"]


def test_password_reset_revokes_sessions(srv, recorder, smtp_sink):
    c = new_user(srv)
    session_id = c.session()["session"]["id"]
    _, token, _ = request_reset(srv, smtp_sink, c.email)
    SECRETS.add(token)
    mark = recorder.mark()
    r = client(srv).post("reset-password", {"newPassword": "after-reset-pass", "token": token})
    assert r.status_code == 200, r.text
    SECRETS.add("after-reset-pass")
    events = recorder.since(mark)
    assert names(events) == ["session.revoked", "password.reset"]
    revoked = only(events, "session.revoked")["session"]
    assert revoked["id"] == session_id and "token" not in revoked
    assert only(events, "password.reset")["user"]["id"] == c.user["id"]


def test_change_password(srv, recorder):
    c = new_user(srv)
    other = remember(c.fork())
    mark = recorder.mark()
    r = c.post("change-password", {"currentPassword": c.password, "newPassword": "changed-pass-1"})
    assert r.status_code == 200, r.text
    SECRETS.add("changed-pass-1")
    assert names(recorder.since(mark)) == ["password.changed"]
    assert only(recorder.since(mark), "password.changed")["user"]["id"] == c.user["id"]

    # Revoking the other sessions revokes them all and signs this browser in again.
    mark = recorder.mark()
    r = c.post("change-password", {"currentPassword": "changed-pass-1", "newPassword": "changed-pass-2", "revokeOtherSessions": True})
    assert r.status_code == 200, r.text
    SECRETS.add("changed-pass-2")
    remember(c)
    events = recorder.since(mark)
    assert names(events) == ["session.revoked", "session.revoked", "password.changed", "session.created", "signIn.succeeded"]
    assert other.session() is None


def test_sign_out_and_revoke_routes(srv, recorder):
    c = new_user(srv)
    second, third = remember(c.fork()), remember(c.fork())
    ids = {"c": c.session()["session"]["id"], "second": second.session()["session"]["id"], "third": third.session()["session"]["id"]}

    mark = recorder.mark()
    assert c.post("revoke-session", {"token": third.token}).status_code == 200
    assert [e["payload"]["session"]["id"] for e in recorder.since(mark)] == [ids["third"]]

    mark = recorder.mark()
    assert c.post("revoke-other-sessions").status_code == 200
    assert [e["payload"]["session"]["id"] for e in recorder.since(mark)] == [ids["second"]]

    mark = recorder.mark()
    assert c.post("sign-out").status_code == 200
    events = recorder.since(mark)
    assert names(events) == ["session.revoked"]
    revoked = only(events, "session.revoked")
    assert revoked["session"]["id"] == ids["c"] and "token" not in revoked["session"]
    assert_client(revoked)


def test_update_and_delete_user(srv, recorder):
    c = new_user(srv)
    mark = recorder.mark()
    assert c.post("update-user", {"name": "Renamed"}).status_code == 200
    events = recorder.since(mark)
    assert names(events) == ["user.updated"]
    assert only(events, "user.updated")["user"]["name"] == "Renamed"

    mark = recorder.mark()
    r = c.post("delete-user", {"password": c.password})
    assert r.status_code == 200, r.text
    events = recorder.since(mark)
    assert names(events) == ["user.deleted"]  # its sessions and accounts go with it
    deleted = only(events, "user.deleted")
    assert deleted["user"]["id"] == c.user["id"] and deleted["user"]["name"] == "Renamed"
    assert_client(deleted)


def test_email_verification(srv, recorder, smtp_sink):
    c = new_user(srv)
    link = smtp_sink.wait_for(c.email, contains="/verify-email?").link_containing("/verify-email?")
    token = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))["token"]
    SECRETS.add(token)
    mark = recorder.mark()
    assert client(srv).get("verify-email", params={"token": token}).status_code == 200
    events = recorder.since(mark)
    assert names(events) == ["user.updated", "email.verified"]
    verified = only(events, "email.verified")["user"]
    assert verified["id"] == c.user["id"] and verified["emailVerified"] is True
    # Following the link again changes nothing.
    mark = recorder.mark()
    assert client(srv).get("verify-email", params={"token": token}).status_code == 200
    assert recorder.since(mark) == []


def test_a_siwe_wallet_user_is_announced_once(srv, recorder):
    from eth_account import Account
    account = Account.create()
    c = client(srv)
    text = message(srv, account, nonce(c))
    mark = recorder.mark()
    r = verify(c, text, sign(account, text))
    assert r.status_code == 200, r.text
    remember(c)
    events = core(recorder.since(mark))
    assert names(events).count("user.created") == 1, names(events)
    created = only(events, "user.created")
    assert created["user"]["id"] == r.json()["user"]["id"]
    assert_client(created)
    assert names(events)[-2:] == ["session.created", "signIn.succeeded"]


def probe(srv, op, request):
    r = client(srv).post("host-probe", {"op": op, "request": request})
    assert r.status_code == 200, r.text
    return r.json()


def test_users_made_by_plugins_are_announced_once(srv, recorder):
    mark = recorder.mark()
    email = unique_email("probe")
    made = probe(srv, "users.create", {"data": {"name": "Probe", "email": email}})
    assert made["ok"], made
    events = core(recorder.since(mark))
    assert names(events) == ["user.created"]
    created = only(events, "user.created")
    assert created["user"]["id"] == made["answer"]["user"]["id"]
    assert_client(created)  # the request's client reaches events emitted in a plugin's host call

    mark = recorder.mark()
    email = unique_email("direct")
    made = probe(srv, "db.create", {"table": "user", "data": {"name": "Direct", "email": email, "emailVerified": False}})
    assert made["ok"], made
    assert only(core(recorder.since(mark)), "user.created")["user"]["email"] == email

    # A transaction that rolls back announces nothing.
    mark = recorder.mark()
    email = unique_email("rolled-back")
    row = {"op": "db.create", "table": "user", "data": {"name": "Twice", "email": email, "emailVerified": False}}
    failed = probe(srv, "db.transaction", {"operations": [row, row]})
    assert not failed["ok"], failed
    assert core(recorder.since(mark)) == []
    assert srv.query('SELECT id FROM "user" WHERE email = ?', email) == []


def test_two_factor_enable_challenge_and_disable(srv, recorder):
    c = new_user(srv)
    user_id = c.user["id"]
    r = c.post("two-factor/enable", {"password": c.password})
    assert r.status_code == 200, r.text
    totp = pyotp.parse_uri(r.json()["totpURI"])
    mark = recorder.mark()
    r = c.post("two-factor/verify-totp", {"code": previous_window_code(totp)})
    assert r.status_code == 200, r.text
    remember(c)
    events = recorder.since(mark)
    enabled = [e for e in events if e["name"] == "twoFactor.enabled"]
    assert [(e["source"], e["payload"]["userId"]) for e in enabled] == [("two-factor", user_id)]
    # A plugin's object payload gets the request's client like the host's own events.
    assert enabled[0]["payload"]["ipAddress"] == "127.0.0.1"
    assert enabled[0]["payload"]["userAgent"] == USER_AGENT
    assert only(events, "user.updated")["user"]["twoFactorEnabled"] is True

    # Signing in again is a challenge: its session is revoked at once, and only the second
    # factor signs the user in.
    assert c.post("sign-out").status_code == 200
    mark = recorder.mark()
    r = c.sign_in()
    assert r.status_code == 200 and r.json()["twoFactorRedirect"] is True, r.text
    events = recorder.since(mark)
    assert names(events) == ["session.created", "session.revoked"]
    assert only(events, "session.created")["session"]["id"] == only(events, "session.revoked")["session"]["id"]
    mark = recorder.mark()
    r = c.post("two-factor/verify-totp", {"code": totp.now()})
    assert r.status_code == 200, r.text
    remember(c)
    assert names(recorder.since(mark))[-2:] == ["session.created", "signIn.succeeded"]

    mark = recorder.mark()
    r = c.post("two-factor/disable", {"password": c.password})
    assert r.status_code == 200, r.text
    remember(c)
    disabled = [e for e in recorder.since(mark) if e["name"] == "twoFactor.disabled"]
    assert [(e["source"], sorted(e["payload"])) for e in disabled] == [("two-factor", ["ipAddress", "userAgent", "userId"])]
    assert disabled[0]["payload"]["userId"] == user_id


def test_no_payload_carries_a_secret(srv, recorder):
    """Runs last: the whole file, every test's events, against every secret they handled and
    every password hash and provider token in the database."""
    text = recorder.path.read_text()
    assert text.count("\n") > 50
    stored = srv.query('SELECT password, "accessToken", "refreshToken", "idToken" FROM account')
    secrets = SECRETS | {value for row in stored for value in row.values() if value}
    secrets |= {row["token"] for row in srv.query("SELECT token FROM session")}
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []
    assert '"token"' not in text and '"password"' not in text


# ---------------------------------------------------------------------------------------------

def test_a_failing_sync_subscriber_never_fails_the_request(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    build_recorder(plugins, "failing-recorder")
    log = tmp_path / "failing.jsonl"
    srv = server({"pluginsDir": str(plugins), "plugins": {"failing-recorder": {"file": str(log), "fail": True}},
                  "emailAndPassword": {"enabled": True, "requireEmailVerification": True}})
    c = srv.client()
    r = c.sign_up()
    assert r.status_code == 200, r.text
    # Delivered before the answer (sync), failed, and the request went on.
    assert names(Recorder(log).all()) == ["user.created", "account.linked"]
    r = c.sign_in()
    assert_error(r, 403, "EMAIL_NOT_VERIFIED")
    failed = Recorder(log).all()[-1]
    assert failed["name"] == "signIn.failed" and failed["payload"]["reason"] == "EMAIL_NOT_VERIFIED"
    assert failed["payload"]["userId"] == c.user["id"]
    metrics = requests.get(srv.url + "/metrics", timeout=10).text
    counted = re.search(r'gatehouse_plugin_event_deliveries_total\{[^}]*event="user.created"[^}]*\} (\d+)', metrics)
    assert counted and 'result="failed"' in counted.group(0) and 'plugin="failing-recorder"' in counted.group(0), metrics[-3000:]
    assert "plugin event delivery failed" in srv.logs()
