"""Password reset, verify-password, change-password (contract §2)."""

import re
import urllib.parse
from datetime import timedelta

import pytest

from conftest import (need_cookie, ALNUM32, assert_error, now_utc, parse_date, scrypt_verify, set_cookie_map, unique_email,
                      verify_signed_value)

RESET_MESSAGE = "If this email exists in our system, check your email for the reset link"


def split_location(loc: str, server):
    """Returns (path, query dict) of a redirect target; an absolute target must be on the baseURL origin."""
    p = urllib.parse.urlsplit(loc)
    if p.scheme:
        assert f"{p.scheme}://{p.netloc}" == server.origin, loc
    return p.path, dict(urllib.parse.parse_qsl(p.query))


def request_reset(srv, sink, email, redirect_to="/reset"):
    c = srv.client()
    r = c.post("request-password-reset", {"email": email, "redirectTo": redirect_to})
    assert r.status_code == 200, r.text
    mail = sink.wait_for(email, contains="/reset-password/")
    link = mail.link_containing("/reset-password/")
    m = re.match(re.escape(srv.base_url + srv.base_path) + r"/reset-password/([A-Za-z0-9]+)\?(.*)$", link)
    assert m, f"unexpected reset link {link!r}"
    token, query = m.group(1), dict(urllib.parse.parse_qsl(m.group(2)))
    return link, token, query


# ---------------------------------------------------------------- request-password-reset

def test_request_password_reset_same_response_for_unknown(gatehouse, user, smtp_sink):
    c = gatehouse.client()
    r1 = c.post("request-password-reset", {"email": user.email, "redirectTo": "/reset"})
    ghost = unique_email("ghost")
    r2 = c.post("request-password-reset", {"email": ghost, "redirectTo": "/reset"})
    assert r1.status_code == r2.status_code == 200, (r1.text, r2.text)
    assert r1.json() == r2.json() == {"status": True, "message": RESET_MESSAGE}
    smtp_sink.wait_for(user.email, contains="/reset-password/")
    smtp_sink.assert_none_for(ghost, wait=0.5)


def test_request_password_reset_creates_verification_row(gatehouse, user, smtp_sink):
    _, token, query = request_reset(gatehouse, smtp_sink, user.email, "/reset")
    assert len(token) == 24 and token.isalnum(), token
    assert query == {"callbackURL": "/reset"}
    rows = gatehouse.query('SELECT identifier, value, "expiresAt" FROM verification WHERE identifier = ?',
                           f"reset-password:{token}")
    assert len(rows) == 1
    assert rows[0]["value"] == user.user["id"]
    exp = parse_date(rows[0]["expiresAt"])
    assert abs((exp - now_utc()) - timedelta(seconds=3600)) < timedelta(minutes=2), exp


@pytest.mark.parametrize("bad", ["https://evil.com/reset", "//evil.com/x", "javascript:alert(1)"])
def test_request_password_reset_untrusted_redirect(client, bad):
    r = client.post("request-password-reset", {"email": unique_email(), "redirectTo": bad})
    assert_error(r, 403, "INVALID_REDIRECT_URL")


def test_request_password_reset_validation(client):
    assert_error(client.post("request-password-reset", {}), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------- GET reset-password/:token

def test_reset_password_link_redirects_with_token(gatehouse, user, smtp_sink):
    link, token, _ = request_reset(gatehouse, smtp_sink, user.email, "/reset")
    r = gatehouse.client().get(link)
    assert r.status_code == 302, r.text
    path, q = split_location(r.headers["Location"], gatehouse)
    assert path == "/reset"
    assert q == {"token": token}


def test_reset_password_link_bad_token(gatehouse):
    r = gatehouse.client().get("reset-password/notARealToken123456789012", params={"callbackURL": "/reset"})
    assert r.status_code == 302, r.text
    path, q = split_location(r.headers["Location"], gatehouse)
    assert path == "/reset"
    assert q == {"error": "INVALID_TOKEN"}


def test_reset_password_link_untrusted_callback(gatehouse):
    r = gatehouse.client().get("reset-password/abc", params={"callbackURL": "https://evil.com/x"})
    assert_error(r, 403, "INVALID_CALLBACK_URL")


def test_reset_password_link_requires_callback(gatehouse):
    r = gatehouse.client().get("reset-password/abc")
    assert_error(r, 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------- POST reset-password

def test_reset_password_full_flow(gatehouse, user, smtp_sink):
    _, token, _ = request_reset(gatehouse, smtp_sink, user.email)
    r = gatehouse.client().post("reset-password", {"newPassword": "brand-new-password", "token": token})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    # token is single use
    again = gatehouse.client().post("reset-password", {"newPassword": "another-password-1", "token": token})
    assert_error(again, 400, "INVALID_TOKEN")
    assert gatehouse.query("SELECT id FROM verification WHERE identifier = ?", f"reset-password:{token}") == []
    # old password stops working, new one works
    assert_error(gatehouse.client().sign_in(user.email, user.password), 401, "INVALID_EMAIL_OR_PASSWORD")
    assert gatehouse.client().sign_in(user.email, "brand-new-password").status_code == 200
    stored = gatehouse.query("""SELECT password FROM account WHERE "userId" = ? AND "providerId" = 'credential'""",
                             user.user["id"])[0]["password"]
    assert scrypt_verify("brand-new-password", stored)
    # sessions are kept by default
    assert user.session() is not None


def test_reset_password_token_in_query(gatehouse, user, smtp_sink):
    _, token, _ = request_reset(gatehouse, smtp_sink, user.email)
    r = gatehouse.client().post(f"reset-password?token={token}", {"newPassword": "query-token-password"})
    assert r.status_code == 200, r.text
    assert gatehouse.client().sign_in(user.email, "query-token-password").status_code == 200


def test_reset_password_invalid_token(client):
    assert_error(client.post("reset-password", {"newPassword": "whatever-pass", "token": "nope"}), 400, "INVALID_TOKEN")


def test_reset_password_length_checked_before_consuming(gatehouse, user, smtp_sink):
    _, token, _ = request_reset(gatehouse, smtp_sink, user.email)
    c = gatehouse.client()
    assert_error(c.post("reset-password", {"newPassword": "short", "token": token}), 400, "PASSWORD_TOO_SHORT")
    assert_error(c.post("reset-password", {"newPassword": "z" * 129, "token": token}), 400, "PASSWORD_TOO_LONG")
    assert c.post("reset-password", {"newPassword": "long-enough-pass", "token": token}).status_code == 200


def test_reset_password_revokes_sessions_when_configured(server_factory, smtp_sink):
    srv = server_factory({"emailAndPassword": {"revokeSessionsOnPasswordReset": True}}, name="revoke-reset")
    u = srv.client().new_user()
    other = u.fork()
    _, token, _ = request_reset(srv, smtp_sink, u.email)
    assert srv.client().post("reset-password", {"newPassword": "after-reset-pass", "token": token}).status_code == 200
    assert u.session() is None and other.session() is None
    assert srv.query('SELECT id FROM session WHERE "userId" = ?', u.user["id"]) == []


def test_reset_password_token_expiry(server_factory, smtp_sink):
    srv = server_factory({"emailAndPassword": {"resetPasswordTokenExpiresIn": 1}}, name="reset-expiry")
    u = srv.client().new_user()
    _, token, _ = request_reset(srv, smtp_sink, u.email)
    import time
    time.sleep(2.2)
    assert_error(srv.client().post("reset-password", {"newPassword": "too-late-pass", "token": token}), 400, "INVALID_TOKEN")


def test_reset_password_disabled_without_email_transport(server_factory):
    srv = server_factory({"email": {"transport": "none"}}, name="no-email", email=False)
    u = srv.client().new_user()
    r = srv.client().post("request-password-reset", {"email": u.email})
    assert_error(r, 400, "RESET_PASSWORD_DISABLED")


# ---------------------------------------------------------------- verify-password

def test_verify_password(user):
    r = user.post("verify-password", {"password": user.password})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    assert_error(user.post("verify-password", {"password": "definitely-wrong"}), 400, "INVALID_PASSWORD")


def test_verify_password_unauthorized(client):
    assert_error(client.post("verify-password", {"password": "x" * 10}), 401, "UNAUTHORIZED")


# ---------------------------------------------------------------- change-password

def test_change_password(gatehouse, user):
    other = user.fork()
    r = user.post("change-password", {"currentPassword": user.password, "newPassword": "changed-password-1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token"] is None
    assert body["user"]["id"] == user.user["id"]
    assert "password" not in body["user"]
    assert_error(gatehouse.client().sign_in(user.email, user.password), 401, "INVALID_EMAIL_OR_PASSWORD")
    assert gatehouse.client().sign_in(user.email, "changed-password-1").status_code == 200
    assert other.session() is not None  # not revoked


def test_change_password_wrong_current(user):
    r = user.post("change-password", {"currentPassword": "not-my-password", "newPassword": "changed-password-2"})
    assert_error(r, 400, "INVALID_PASSWORD")


def test_change_password_length(user):
    assert_error(user.post("change-password", {"currentPassword": user.password, "newPassword": "short"}),
                 400, "PASSWORD_TOO_SHORT")
    assert_error(user.post("change-password", {"currentPassword": user.password, "newPassword": "q" * 129}),
                 400, "PASSWORD_TOO_LONG")


def test_change_password_revoke_other_sessions(gatehouse, user):
    other = user.fork()
    old_token = user.token
    r = user.post("change-password", {"currentPassword": user.password, "newPassword": "changed-password-3",
                                      "revokeOtherSessions": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["token"], str) and ALNUM32.match(body["token"])
    assert body["token"] != old_token
    cookie = need_cookie(r, gatehouse.cookie_name())
    assert verify_signed_value(cookie.value, gatehouse.secret) == body["token"]
    assert other.session() is None
    assert user.session()["session"]["token"] == body["token"]
    tokens = {row["token"] for row in gatehouse.query('SELECT token FROM session WHERE "userId" = ?', user.user["id"])}
    assert tokens == {body["token"]}


def test_change_password_unauthorized(client):
    r = client.post("change-password", {"currentPassword": "aaaaaaaa", "newPassword": "bbbbbbbb"})
    assert_error(r, 401, "UNAUTHORIZED")
