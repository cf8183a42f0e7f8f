"""Cookie names, attributes, signing and the cookie cache (contract §3.1-3.4)."""

import base64
import hashlib
import hmac
import json
import re
import time

import pytest

from conftest import (need_cookie, ALNUM32, assert_error, b64url_decode, b64url_encode, set_cookie_map, set_cookies,
                      verify_signed_value)

SIGNED_COOKIE = re.compile(r"^[A-Za-z0-9]{32}\.[A-Za-z0-9%+/]+%3D$")


def test_session_cookie_format_and_signature(gatehouse, client):
    r = client.sign_up()
    assert r.status_code == 200, r.text
    raw_headers = r.raw.headers.getlist("Set-Cookie")
    c = need_cookie(r, "better-auth.session_token")
    assert SIGNED_COOKIE.match(c.value), c.value  # URL-encoded; '=' appears as %3D
    token = verify_signed_value(c.value, gatehouse.secret)
    assert token is not None, "HMAC-SHA256(secret, token) signature does not verify"
    assert ALNUM32.match(token)
    assert token == r.json()["token"]
    assert gatehouse.query("SELECT token FROM session WHERE token = ?", token) == [{"token": token}]
    assert c.attrs.get("httponly") is True
    assert c.attrs.get("path") == "/"
    assert str(c.attrs.get("samesite", "")).lower() == "lax"
    assert "secure" not in c.attrs
    assert "domain" not in c.attrs
    assert c.max_age == 604800
    assert any(h.startswith("better-auth.session_token=") for h in raw_headers)


def test_only_expected_cookies_by_default(gatehouse, client):
    r = client.sign_up()
    names = {c.name for c in set_cookies(r)}
    assert names == {"better-auth.session_token"}, names


def test_secure_prefix_with_use_secure_cookies(server_factory):
    srv = server_factory({"advanced": {"useSecureCookies": True}}, name="securecookies")
    c = srv.client()
    r = c.sign_up()
    assert r.status_code == 200, r.text
    cookies = set_cookie_map(r)
    assert "__Secure-better-auth.session_token" in cookies, list(cookies)
    sc = need_cookie(r, "__Secure-better-auth.session_token")
    assert sc.attrs.get("secure") is True
    assert verify_signed_value(sc.value, srv.secret) == r.json()["token"]
    assert c.session()["user"]["id"] == r.json()["user"]["id"]
    # the unprefixed name is not honoured
    r2 = srv.client().get("get-session", cookies=f"better-auth.session_token={sc.value}")
    assert r2.json() is None


def test_secure_prefix_with_https_base_url(server_factory):
    srv = server_factory({"baseURL": "https://127.0.0.1:{port}"}, name="httpsbase")  # {port} = real port
    c = srv.client()
    r = c.sign_up()
    assert r.status_code == 200, r.text
    cookies = set_cookie_map(r)
    assert "__Secure-better-auth.session_token" in cookies, list(cookies)
    assert need_cookie(r, "__Secure-better-auth.session_token").attrs.get("secure") is True


def test_custom_cookie_prefix(server_factory):
    srv = server_factory({"advanced": {"cookiePrefix": "myapp"}}, name="prefix")
    c = srv.client()
    r = c.sign_up()
    assert r.status_code == 200, r.text
    cookies = set_cookie_map(r)
    assert "myapp.session_token" in cookies and "better-auth.session_token" not in cookies, list(cookies)
    assert c.session() is not None
    value = need_cookie(r, "myapp.session_token").value
    assert srv.client().get("get-session", cookies=f"better-auth.session_token={value}").json() is None
    r2 = c.sign_in(c.email, c.password, rememberMe=False)
    assert "myapp.dont_remember" in set_cookie_map(r2)


# ---------------------------------------------------------------- cookie cache

@pytest.fixture(scope="module")
def cached(server_factory):
    return server_factory({"session": {"cookieCache": {"enabled": True, "maxAge": 60}}}, name="cookiecache")


def decode_compact(value: str, secret: str):
    outer = json.loads(b64url_decode(value))
    assert set(outer) >= {"session", "expiresAt", "signature"}, outer
    payload = outer["session"]
    signed = json.dumps({**payload, "expiresAt": outer["expiresAt"]}, separators=(",", ":"), ensure_ascii=False)
    expected = b64url_encode(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())
    return outer, payload, hmac.compare_digest(expected, outer["signature"])


def test_cookie_cache_cookie_set_on_sign_in(cached):
    c = cached.client().new_user()
    r = c.sign_in()
    assert r.status_code == 200
    cookies = set_cookie_map(r)
    assert "better-auth.session_data" in cookies, list(cookies)
    data = need_cookie(r, "better-auth.session_data")
    assert data.max_age == 60
    assert data.attrs.get("httponly") is True
    outer, payload, ok = decode_compact(data.value, cached.secret)
    assert ok, "compact cookie-cache signature does not verify"
    assert list(payload)[:4] == ["session", "user", "updatedAt", "version"], list(payload)
    assert payload["version"] == "1"
    assert payload["session"]["token"] == r.json()["token"]
    assert payload["user"]["id"] == r.json()["user"]["id"]
    assert abs(outer["expiresAt"] - (time.time() + 60) * 1000) < 10000


def test_cookie_cache_is_used_and_can_be_bypassed(cached):
    a = cached.client().new_user()
    a.sign_in()
    b = a.fork()
    # b revokes a's session; a still holds a valid cache cookie
    assert b.post("revoke-session", {"token": a.token}).status_code == 200
    r = a.get("get-session")
    assert r.status_code == 200 and r.json() is not None, "cached session should be served from session_data"
    assert r.json()["session"]["token"] == a.token
    r2 = a.get("get-session", params={"disableCookieCache": "true"})
    assert r2.status_code == 200 and r2.json() is None


def test_cookie_cache_not_used_by_sensitive_endpoints(cached):
    a = cached.client().new_user()
    a.sign_in()
    b = a.fork()
    assert b.post("revoke-session", {"token": a.token}).status_code == 200
    assert_error(a.post("revoke-other-sessions"), 401, "UNAUTHORIZED")
    assert_error(a.post("verify-password", {"password": a.password}), 401, "UNAUTHORIZED")


def test_cookie_cache_with_tampered_data_is_ignored(cached):
    a = cached.client().new_user()
    a.sign_in()
    assert "better-auth.session_data" in a.cookies, a.cookies
    data = a.cookies["better-auth.session_data"]
    outer = json.loads(b64url_decode(data))
    outer["session"]["user"]["name"] = "Tampered"
    forged = b64url_encode(json.dumps(outer, separators=(",", ":")).encode())
    a.cookies["better-auth.session_data"] = forged
    r = a.get("get-session")
    assert r.status_code == 200
    assert r.json()["user"]["name"] == "Test User"


def test_sign_out_clears_cookie_cache(cached):
    a = cached.client().new_user()
    a.sign_in()
    r = a.post("sign-out")
    cookies = set_cookie_map(r)
    assert need_cookie(r, "better-auth.session_data").is_deletion
    assert need_cookie(r, "better-auth.session_token").is_deletion


SESSION_COOKIES = ("better-auth.session_token", "better-auth.session_data", "better-auth.dont_remember")


def assert_all_session_cookies_expired(r):
    """Better Auth's deleteSessionCookie: all three expire, whether or not the request carried them."""
    for name in SESSION_COOKIES:
        assert need_cookie(r, name).is_deletion, f"{name} not expired: {r.headers.get('set-cookie')}"


def test_sign_out_expires_a_leftover_cookie_cache_with_the_cache_off(gatehouse):
    """A session_data cookie from an earlier configuration (cache on) dies at sign-out with the cache off."""
    a = gatehouse.client().new_user()
    a.cookies["better-auth.session_data"] = "left-over-from-a-cache"
    assert_all_session_cookies_expired(a.post("sign-out"))
    b = gatehouse.client().new_user()
    assert_all_session_cookies_expired(b.post("sign-out", cookies=b.cookie_header().split(";")[0]))


def test_get_session_without_a_session_expires_all_session_cookies(gatehouse):
    a = gatehouse.client().new_user()
    a.post("sign-out", absorb=False)
    r = a.get_session()
    assert r.status_code == 200 and r.json() is None
    assert_all_session_cookies_expired(r)


def test_delete_user_expires_all_session_cookies(server_factory):
    srv = server_factory({"user": {"deleteUser": {"enabled": True}}}, name="delete-cookies")
    a = srv.client().new_user()
    r = a.post("delete-user", {"password": a.password})
    assert r.status_code == 200, r.text
    assert_all_session_cookies_expired(r)


def test_remember_me_false_cookie_cache_has_no_max_age(cached):
    a = cached.client().new_user()
    r = a.sign_in(rememberMe=False)
    cookies = set_cookie_map(r)
    assert need_cookie(r, "better-auth.session_data").max_age is None


def test_update_user_refreshes_cookie_cache(cached):
    a = cached.client().new_user()
    r = a.post("update-user", {"name": "Cached Rename"})
    assert r.status_code == 200, r.text
    data = set_cookie_map(r).get("better-auth.session_data")
    assert data is not None and not data.is_deletion, "update-user must refresh the cookie cache"
    _, payload, ok = decode_compact(data.value, cached.secret)
    assert ok and payload["user"]["name"] == "Cached Rename"
    assert a.session()["user"]["name"] == "Cached Rename"
