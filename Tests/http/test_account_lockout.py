"""Account lockout (issue 23): failed password sign-ins are counted per account across client
addresses; a locked account answers exactly like a wrong password; the owner is e-mailed once per
lock; a password reset or the lock's end lets the right password in again."""
import json
import shutil
import time
import uuid

import pytest

from conftest import unique_email
from test_bearer import built_library
from test_password import request_reset

# Three failures in a minute lock for 2 s, then 4 s, at most 8 s.
LOCKOUT = {"emailAndPassword": {"lockout": {"maxFailures": 3, "windowSeconds": 60, "lockSeconds": 2, "maxLockSeconds": 8}}}
WRONG = "wrong-password-1"


def rotating_address() -> dict:
    n = uuid.uuid4().int
    return {"X-Forwarded-For": f"198.51.{n % 250 + 1}.{(n >> 8) % 250 + 1}"}


def attempt(srv, email: str, password: str):
    """One sign-in from a fresh browser at a new client address."""
    return srv.client().post("sign-in/email", {"email": email, "password": password}, headers=rotating_address())


def refused_like_a_wrong_password(r):
    assert r.status_code == 401, r.text
    assert r.json() == {"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"}, r.text


def lock(srv, email: str):
    for _ in range(3):
        refused_like_a_wrong_password(attempt(srv, email, WRONG))


def test_failures_from_many_addresses_lock_the_account_and_mail_its_owner_once(server_factory, smtp_sink):
    srv = server_factory(LOCKOUT, name="lockout")
    user = srv.client().new_user()
    lock(srv, user.email)
    # Locked: the right password is refused exactly as a wrong one, and tries neither count nor extend it.
    refused_like_a_wrong_password(attempt(srv, user.email, user.password))
    refused_like_a_wrong_password(attempt(srv, user.email, WRONG))
    mail = smtp_sink.wait_for(user.email, contains="paused")
    assert user.password not in mail.text and WRONG not in mail.text
    time.sleep(2.3)
    assert attempt(srv, user.email, user.password).status_code == 200
    assert len([m for m in smtp_sink.for_rcpt(user.email) if "paused" in m.text]) == 1


def test_unknown_addresses_are_counted_and_answered_alike_without_mail(server_factory, smtp_sink):
    srv = server_factory(LOCKOUT, name="lockout")
    ghost = unique_email("ghost")
    for _ in range(5):
        refused_like_a_wrong_password(attempt(srv, ghost, WRONG))
    smtp_sink.assert_none_for(ghost, wait=0.5)
    rows = srv.query('SELECT * FROM "signInLockout"')
    assert rows and all(ghost not in str(row) for row in rows)   # keyed by a keyed hash, not the address


def test_each_further_lock_doubles_and_success_starts_over(server_factory, smtp_sink):
    srv = server_factory(LOCKOUT, name="lockout")
    user = srv.client().new_user()
    lock(srv, user.email)
    time.sleep(2.3)
    lock(srv, user.email)                                    # the second lock: 4 s
    time.sleep(2.3)
    refused_like_a_wrong_password(attempt(srv, user.email, user.password))
    time.sleep(2.0)
    assert attempt(srv, user.email, user.password).status_code == 200
    lock(srv, user.email)                                    # after a success, 2 s again
    time.sleep(2.3)
    assert attempt(srv, user.email, user.password).status_code == 200


def test_a_password_reset_ends_the_lock(server_factory, smtp_sink):
    srv = server_factory(LOCKOUT, name="lockout")
    user = srv.client().new_user()
    lock(srv, user.email)
    _, token, _ = request_reset(srv, smtp_sink, user.email)
    assert srv.client().post("reset-password", {"newPassword": "brand-new-pass-1", "token": token}).status_code == 200
    assert attempt(srv, user.email, "brand-new-pass-1").status_code == 200


def test_lockout_can_be_turned_off(server_factory):
    srv = server_factory({"emailAndPassword": {"lockout": {"enabled": False}}}, name="no-lockout")
    user = srv.client().new_user()
    for _ in range(12):
        refused_like_a_wrong_password(attempt(srv, user.email, WRONG))
    assert attempt(srv, user.email, user.password).status_code == 200


def test_failures_and_the_lock_are_events_with_the_account_and_client_address(server_factory, tmp_path_factory):
    """Seen through the audit-log plugin, which records both events with the request's address."""
    plugins = tmp_path_factory.mktemp("lockout-audit")
    shutil.copy(built_library("audit-log"), plugins / "audit-log.so")
    srv = server_factory({**LOCKOUT, "pluginsDir": str(plugins)}, name="lockout-audit")
    user = srv.client().new_user()
    addresses = []
    for _ in range(3):
        headers = rotating_address()
        addresses.append(headers["X-Forwarded-For"])
        refused_like_a_wrong_password(srv.client().post("sign-in/email", {"email": user.email, "password": WRONG}, headers=headers))
    rows = srv.query('SELECT * FROM "auditLog" WHERE "userId" = ? ORDER BY "createdAt", id', user.user["id"])
    failed = [r for r in rows if r["type"] == "signIn.failed"]
    assert [r["ipAddress"] for r in failed] == addresses
    locked = [r for r in rows if r["type"] == "account.locked"]
    assert len(locked) == 1 and locked[0]["ipAddress"] == addresses[-1]
    data = locked[0]["data"]
    assert (json.loads(data) if isinstance(data, str) else data)["userId"] == user.user["id"]


# ---------------------------------------------------------------------------------------------
# a plugin's password sign-in (the username plugin, through the host's passwords.verifySignIn)


def username_sign_in(srv, username: str, password: str):
    return srv.client().post("sign-in/username", {"username": username, "password": password}, headers=rotating_address())


def refused_like_a_wrong_username(r):
    assert r.status_code == 401, r.text
    assert r.json() == {"code": "INVALID_USERNAME_OR_PASSWORD", "message": "Invalid username or password"}, r.text


@pytest.fixture(scope="module")
def username_server(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("lockout-username")
    shutil.copy(built_library("username"), plugins / "username.so")
    return server_factory({**LOCKOUT, "pluginsDir": str(plugins)}, name="lockout-username")


def test_username_sign_ins_share_the_accounts_lockout(username_server, smtp_sink):
    srv = username_server
    name = f"locked_{uuid.uuid4().hex[:10]}"
    user = srv.client()
    assert user.sign_up(unique_email("uname-lock"), username=name).status_code == 200
    # Failures by username and by e-mail add up on the one account.
    refused_like_a_wrong_username(username_sign_in(srv, name, WRONG))
    refused_like_a_wrong_password(attempt(srv, user.email, WRONG))
    refused_like_a_wrong_username(username_sign_in(srv, name, WRONG))
    # Locked: the right password is refused on both routes exactly as a wrong one.
    refused_like_a_wrong_username(username_sign_in(srv, name, user.password))
    refused_like_a_wrong_password(attempt(srv, user.email, user.password))
    smtp_sink.wait_for(user.email, contains="paused")
    time.sleep(2.3)
    assert username_sign_in(srv, name, user.password).status_code == 200


def test_unknown_usernames_are_counted_and_answered_alike(username_server, smtp_sink):
    ghost = f"ghost_{uuid.uuid4().hex[:10]}"
    before = len(username_server.query('SELECT * FROM "signInLockout"'))
    for _ in range(4):
        refused_like_a_wrong_username(username_sign_in(username_server, ghost, WRONG))
    rows = username_server.query('SELECT * FROM "signInLockout"')
    assert len(rows) == before + 1 and all(ghost not in str(row) for row in rows)
