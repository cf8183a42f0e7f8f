"""send-verification-email, verify-email, requireEmailVerification (contract §2, §3.6)."""

import re
import time
import urllib.parse

import pytest

from conftest import (TEST_SECRET, assert_error, decode_jwt, make_jwt, set_cookie_map, unique_email,
                      verify_signed_value)


def verify_link(srv, mail) -> tuple[str, str, dict]:
    link = mail.link_containing("/verify-email?")
    assert link.startswith(srv.base_url + srv.base_path + "/verify-email?"), link
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    assert "token" in q, link
    return link, q["token"], q


def location(r, srv):
    p = urllib.parse.urlsplit(r.headers["Location"])
    if p.scheme:
        assert f"{p.scheme}://{p.netloc}" == srv.origin, r.headers["Location"]
    return p.path, dict(urllib.parse.parse_qsl(p.query))


def db_verified(srv, user_id) -> bool:
    return bool(int(srv.query('SELECT "emailVerified" FROM "user" WHERE id = ?', user_id)[0]["emailVerified"]))


# ---------------------------------------------------------------- send-verification-email

def test_send_verification_email_and_follow_link(gatehouse, user, smtp_sink):
    r = gatehouse.client().post("send-verification-email", {"email": user.email, "callbackURL": "/welcome"})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    mail = smtp_sink.wait_for(user.email, contains="/verify-email?")
    link, token, q = verify_link(gatehouse, mail)
    assert q["callbackURL"] == "/welcome"
    header, payload, ok = decode_jwt(token, gatehouse.secret)
    assert ok, "verification token must be an HS256 JWT signed with the secret"
    assert header["alg"] == "HS256"
    assert payload["email"] == user.email.lower()
    assert payload["exp"] - payload["iat"] == 3600
    assert not db_verified(gatehouse, user.user["id"])
    r2 = gatehouse.client().get(link)
    assert r2.status_code == 302, r2.text
    assert location(r2, gatehouse)[0] == "/welcome"
    assert db_verified(gatehouse, user.user["id"])
    assert user.session()["user"]["emailVerified"] is True


def test_verify_email_json_without_callback(gatehouse, user, smtp_sink):
    user.post("send-verification-email", {"email": user.email})
    _, token, _ = verify_link(gatehouse, smtp_sink.wait_for(user.email, contains="/verify-email?"))
    r = gatehouse.client().get("verify-email", params={"token": token})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True, "user": None}
    assert db_verified(gatehouse, user.user["id"])


def test_send_verification_email_unknown_address_is_silent(gatehouse, smtp_sink):
    ghost = unique_email("ghost")
    t0 = time.time()
    r = gatehouse.client().post("send-verification-email", {"email": ghost})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    assert time.time() - t0 >= 0.45, "unauthenticated responses take at least 500 ms"
    smtp_sink.assert_none_for(ghost, wait=0.5)


def test_send_verification_email_mismatch(user):
    assert_error(user.post("send-verification-email", {"email": unique_email("other")}), 400, "EMAIL_MISMATCH")


def test_send_verification_email_already_verified(gatehouse, user):
    r = gatehouse.client().get("verify-email", params={"token": make_jwt(
        {"email": user.email.lower(), "iat": int(time.time()), "exp": int(time.time()) + 600}, gatehouse.secret)})
    assert r.status_code == 200, r.text
    assert_error(user.post("send-verification-email", {"email": user.email}), 400, "EMAIL_ALREADY_VERIFIED")


def test_send_verification_email_untrusted_callback(client, user):
    r = client.post("send-verification-email", {"email": user.email, "callbackURL": "https://evil.com"})
    assert_error(r, 403, "INVALID_CALLBACK_URL")


def test_send_verification_email_not_enabled(server_factory):
    srv = server_factory({"email": {"transport": "none"}}, name="no-email", email=False)
    u = srv.client().new_user()
    assert_error(u.post("send-verification-email", {"email": u.email}), 400, "VERIFICATION_EMAIL_NOT_ENABLED")
    assert_error(srv.client().post("send-verification-email", {"email": u.email}), 400,
                 "VERIFICATION_EMAIL_NOT_ENABLED")


def test_send_verification_email_validation(client):
    assert_error(client.post("send-verification-email", {"email": 5}), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------- verify-email tokens

def test_verify_email_forged_jwt_with_secret(gatehouse, user):
    """A JWT minted as Better Auth would (HS256, secret) is accepted: proves token-format compatibility."""
    now = int(time.time())
    tok = make_jwt({"email": user.email.lower(), "iat": now, "exp": now + 3600}, gatehouse.secret)
    r = gatehouse.client().get("verify-email", params={"token": tok})
    assert r.status_code == 200, r.text
    assert db_verified(gatehouse, user.user["id"])


def test_verify_email_invalid_token(client):
    assert_error(client.get("verify-email", params={"token": "garbage"}), 401, "INVALID_TOKEN")


def test_verify_email_wrong_secret(gatehouse, user):
    now = int(time.time())
    tok = make_jwt({"email": user.email.lower(), "iat": now, "exp": now + 3600}, "some-other-secret-value-0123456789")
    assert_error(gatehouse.client().get("verify-email", params={"token": tok}), 401, "INVALID_TOKEN")
    assert not db_verified(gatehouse, user.user["id"])


def test_verify_email_expired_token(gatehouse, user):
    now = int(time.time())
    tok = make_jwt({"email": user.email.lower(), "iat": now - 7200, "exp": now - 3600}, gatehouse.secret)
    assert_error(gatehouse.client().get("verify-email", params={"token": tok}), 401, "TOKEN_EXPIRED")
    assert not db_verified(gatehouse, user.user["id"])


def test_verify_email_unknown_user(gatehouse):
    now = int(time.time())
    tok = make_jwt({"email": unique_email("nobody"), "iat": now, "exp": now + 3600}, gatehouse.secret)
    assert_error(gatehouse.client().get("verify-email", params={"token": tok}), 401, "USER_NOT_FOUND")


def test_verify_email_bad_token_with_callback_redirects(gatehouse):
    r = gatehouse.client().get("verify-email", params={"token": "garbage", "callbackURL": "/after"})
    assert r.status_code == 302, r.text
    path, q = location(r, gatehouse)
    assert path == "/after" and q == {"error": "INVALID_TOKEN"}


def test_verify_email_untrusted_callback(gatehouse):
    r = gatehouse.client().get("verify-email", params={"token": "garbage", "callbackURL": "https://evil.com"})
    assert_error(r, 403, "INVALID_CALLBACK_URL")


def test_verify_email_missing_token(client):
    assert_error(client.get("verify-email"), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------- requireEmailVerification / auto sign-in

@pytest.fixture(scope="module")
def strict(server_factory):
    return server_factory({"emailAndPassword": {"requireEmailVerification": True},
                           "emailVerification": {"sendOnSignIn": True}}, name="strict")


def test_require_verification_sign_up_has_no_token(strict, smtp_sink):
    c = strict.client()
    email = unique_email("strict")
    r = c.sign_up(email)
    assert r.status_code == 200, r.text
    assert r.json()["token"] is None
    assert r.json()["user"]["email"] == email
    assert strict.cookie_name() not in set_cookie_map(r)
    assert strict.query('SELECT id FROM session WHERE "userId" = ?', r.json()["user"]["id"]) == []
    # sendOnSignUp defaults to requireEmailVerification
    smtp_sink.wait_for(email, contains="/verify-email?")


def test_require_verification_sign_in_blocked_then_allowed(strict, smtp_sink):
    c = strict.client()
    email = unique_email("strict")
    assert c.sign_up(email).status_code == 200
    smtp_sink.wait_for(email, count=1, contains="/verify-email?")
    r = strict.client().sign_in(email, c.password)
    assert_error(r, 403, "EMAIL_NOT_VERIFIED")
    assert strict.cookie_name() not in set_cookie_map(r)
    mail = smtp_sink.wait_for(email, count=2, contains="/verify-email?")  # resent on sign-in
    link, _, _ = verify_link(strict, mail)
    r2 = strict.client().get(link)
    assert r2.status_code == 302, r2.text
    assert strict.client().sign_in(email, c.password).status_code == 200


def test_require_verification_duplicate_sign_up_is_not_revealed(strict):
    email = unique_email("strictdup")
    first = strict.client().sign_up(email)
    assert first.status_code == 200
    second = strict.client().sign_up(email, password="another-password")
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["token"] is None
    assert body["user"]["email"] == email
    assert len(strict.query('SELECT id FROM "user" WHERE email = ?', email)) == 1


def test_auto_sign_in_after_verification(server_factory, smtp_sink):
    srv = server_factory({"emailVerification": {"sendOnSignUp": True, "autoSignInAfterVerification": True}},
                         name="autoverify")
    email = unique_email("auto")
    c = srv.client()
    assert c.sign_up(email).status_code == 200
    mail = smtp_sink.wait_for(email, contains="/verify-email?")
    _, token, _ = verify_link(srv, mail)
    browser = srv.client()
    r = browser.get("verify-email", params={"token": token})
    assert r.status_code == 200, r.text
    cookie = set_cookie_map(r).get(srv.cookie_name())
    assert cookie is not None, "autoSignInAfterVerification must set a session cookie"
    tok = verify_signed_value(cookie.value, srv.secret)
    assert tok
    s = browser.session()
    assert s["user"]["email"] == email and s["user"]["emailVerified"] is True
    assert s["session"]["token"] == tok


def test_no_verification_mail_on_sign_up_by_default(gatehouse, smtp_sink):
    email = unique_email("quiet")
    assert gatehouse.client().sign_up(email).status_code == 200
    smtp_sink.assert_none_for(email, wait=1.0)


def test_emailed_verification_expiry_config(server_factory, smtp_sink):
    srv = server_factory({"emailVerification": {"sendOnSignUp": True, "expiresIn": 120}}, name="verify-exp")
    email = unique_email("exp")
    assert srv.client().sign_up(email).status_code == 200
    _, token, _ = verify_link(srv, smtp_sink.wait_for(email, contains="/verify-email?"))
    _, payload, ok = decode_jwt(token, srv.secret)
    assert ok and payload["exp"] - payload["iat"] == 120
