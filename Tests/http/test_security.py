"""Router behaviour, body handling, cookies tampering, origin/CSRF and callback-URL checks (contract §1)."""

import pytest
import requests

from conftest import (DEFAULT_PASSWORD, assert_empty_404, assert_error, sign_token, unique_email)


def raw(srv, method, path, **kw):
    kw.setdefault("allow_redirects", False)
    kw.setdefault("timeout", 30)
    s = requests.Session()
    s.trust_env = False
    return s.request(method, srv.url + path, **kw)


# ---------------------------------------------------------------- router

@pytest.mark.parametrize("method,path", [
    ("GET", "/api/auth/does-not-exist"),
    ("POST", "/api/auth/does-not-exist"),
    ("GET", "/api/auth/sign-in/email"),       # wrong method on a known path
    ("GET", "/api/auth/sign-up/email"),
    ("DELETE", "/api/auth/ok"),
    ("PUT", "/api/auth/update-user"),
    ("GET", "/api/auth/list-sessions/extra"),
    ("GET", "/api/auth//ok"),                 # double slash
    ("GET", "/api/auth/ok/"),                 # trailing slash
])
def test_unknown_route_or_method_is_empty_404(gatehouse, method, path):
    assert_empty_404(raw(gatehouse, method, path))


@pytest.mark.parametrize("path", ["/definitely-not-here", "/api/authok", "/api"])
def test_paths_outside_base_path_are_404(gatehouse, path):
    assert raw(gatehouse, "GET", path).status_code == 404


def test_disabled_paths(server_factory):
    srv = server_factory({"advanced": {"disabledPaths": ["/ok", "/sign-up/email"]}}, name="disabled")
    r = raw(srv, "GET", "/api/auth/ok")
    assert r.status_code == 404
    assert r.text in ("", "Not Found")
    r2 = raw(srv, "POST", "/api/auth/sign-up/email",
             json={"email": unique_email(), "password": DEFAULT_PASSWORD, "name": "x"})
    assert r2.status_code == 404
    assert srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"] == 0
    # other routes still work
    assert raw(srv, "GET", "/api/auth/get-session").status_code == 200
    # and the OpenAPI document leaves the disabled ones out (the API fuzzer would get 404 there)
    paths = raw(srv, "GET", "/api/auth/openapi.json").json()["paths"]
    assert "/api/auth/ok" not in paths and "post" not in paths.get("/api/auth/sign-up/email", {})
    assert "/api/auth/get-session" in paths


# ---------------------------------------------------------------- bodies

def test_malformed_json(gatehouse):
    r = raw(gatehouse, "POST", "/api/auth/sign-in/email", data=b'{"email": "a@b.c", "password": ',
            headers={"Content-Type": "application/json"})
    assert_error(r, 400)


def post_big(srv, path: str, body: bytes):
    """POSTs a large body over a raw socket, tolerating the server closing early; returns (status, headers, body)."""
    import http.client
    import socket
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    try:
        sock.sendall(head)
        for i in range(0, len(body), 65536):
            sock.sendall(body[i:i + 65536])
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    data = resp.read()
    sock.close()
    return resp.status, resp.headers, data


def test_body_over_one_mib(gatehouse):
    import json as _json
    big = b'{"email":"a@b.co","password":"' + b"x" * (1024 * 1024 + 10) + b'","name":"n"}'
    status, headers, data = post_big(gatehouse, "/api/auth/sign-up/email", big)
    assert status == 413, (status, data[:300])
    body = _json.loads(data)
    assert isinstance(body, dict) and body.get("message"), body
    # just under the limit is not rejected for size
    ok = b'{"email":"not-an-email","password":"pw-12345678","name":"' + b"n" * (1024 * 1000) + b'"}'
    status2, _, data2 = post_big(gatehouse, "/api/auth/sign-up/email", ok)
    assert status2 == 400 and _json.loads(data2)["code"] == "INVALID_EMAIL", data2[:300]


def test_unsupported_media_type(gatehouse):
    r = raw(gatehouse, "POST", "/api/auth/update-session", data="name=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    r2 = raw(gatehouse, "POST", "/api/auth/sign-in/email", data="hello", headers={"Content-Type": "text/plain"})
    assert_error(r2, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_body_without_content_type(gatehouse):
    """better-call getBody: a body without Content-Type is 415 when media types are restricted."""
    r = raw(gatehouse, "POST", "/api/auth/sign-in/email", data=b'{"email":"a@b.co","password":"xxxxxxxx"}',
            headers={"Content-Type": None})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_body_not_object_on_sign_in(client):
    assert_error(client.post("sign-in/email", ["a", "b"]), 400)


# ---------------------------------------------------------------- cookies tampering

def garbage_cookies(srv, user):
    name = srv.cookie_name()
    good = user.session_cookie
    token = user.token
    return {
        "garbage": f"{name}=garbage",
        "empty": f"{name}=",
        "truncated": f"{name}={good[:-6]}",
        "token-only": f"{name}={token}",
        "bad-signature": f"{name}={token}.{'A' * 43}%3D",
        "other-secret": f"{name}={sign_token(token, 'another-secret-another-secret-1234567')}",
        "unpadded": f"{name}={good.replace('%3D', '')}",
        "unknown-token-valid-sig": f"{name}={sign_token('Z' * 32, srv.secret)}",
        "binary-junk": f"{name}=%FF%FE%00%01..",
        "weird-header": f";;; =; {name}; =x; {name}=x.y.z",
    }


def test_garbage_cookies_are_no_session(gatehouse, user):
    for label, header in garbage_cookies(gatehouse, user).items():
        c = gatehouse.client()
        r = c.get("get-session", cookies=header)
        assert r.status_code == 200, (label, r.status_code, r.text)
        assert r.json() is None, label
        r2 = c.get("list-sessions", cookies=header)
        assert_error(r2, 401, "UNAUTHORIZED")
        r3 = c.post("update-user", {"name": "pwned"}, cookies=header)
        assert_error(r3, 401, "UNAUTHORIZED")
    assert user.session()["user"]["name"] == "Test User"


def test_cookie_signed_by_us_is_accepted(gatehouse, user):
    """Signing the raw DB token with the secret in Python gives a working cookie (§3.2)."""
    c = gatehouse.client()
    r = c.get("get-session", cookies=f"{gatehouse.cookie_name()}={sign_token(user.token, gatehouse.secret)}")
    assert r.json()["user"]["id"] == user.user["id"]


# ---------------------------------------------------------------- origin check

def test_post_with_cookie_and_no_origin(gatehouse, user):
    r = user.post("update-user", {"name": "No Origin"}, origin=None)
    assert_error(r, 403, "MISSING_OR_NULL_ORIGIN")
    assert user.session()["user"]["name"] == "Test User"


def test_post_with_any_cookie_and_no_origin(gatehouse):
    c = gatehouse.client()
    r = c.post("sign-out", origin=None, cookies="unrelated=1")
    assert_error(r, 403, "MISSING_OR_NULL_ORIGIN")


def test_post_with_cookie_and_null_origin(user):
    assert_error(user.post("update-user", {"name": "Null"}, origin="null"), 403, "MISSING_OR_NULL_ORIGIN")


@pytest.mark.parametrize("origin", ["https://evil.com", "https://trusted.com.evil.com", "http://trusted.com",
                                    "https://example.com.evil.org", "http://127.0.0.1:1"])
def test_post_with_cookie_and_untrusted_origin(user, origin):
    assert_error(user.post("update-user", {"name": "Evil"}, origin=origin), 403, "INVALID_ORIGIN")
    assert user.session()["user"]["name"] == "Test User"


@pytest.mark.parametrize("origin", ["https://trusted.com", "https://app.example.com", "https://a.b.example.com"])
def test_post_with_cookie_and_trusted_origin(user, origin):
    r = user.post("update-user", {"name": "Trusted"}, origin=origin)
    assert r.status_code == 200, r.text
    assert user.session()["user"]["name"] == "Trusted"


def test_referer_fallback(gatehouse, user):
    r = user.post("update-user", {"name": "Via Referer"}, origin=None,
                  headers={"Referer": gatehouse.origin + "/settings"})
    assert r.status_code == 200, r.text
    r2 = user.post("update-user", {"name": "Bad Referer"}, origin=None, headers={"Referer": "https://evil.com/x"})
    assert_error(r2, 403, "INVALID_ORIGIN")


def test_post_without_cookie_and_without_origin_passes(gatehouse, user):
    c = gatehouse.client(origin=None)
    r = c.post("sign-in/email", {"email": user.email, "password": user.password})
    assert r.status_code == 200, r.text


def test_get_is_not_origin_checked(gatehouse, user):
    r = user.get("get-session", headers={"Origin": "https://evil.com"})
    assert r.status_code == 200 and r.json()["user"]["id"] == user.user["id"]


def test_trusted_origins_config_replaces_list(server_factory):
    srv = server_factory({"trustedOrigins": ["https://*.corp.test"]}, name="origins")
    c = srv.client().new_user()
    assert c.post("update-user", {"name": "a"}, origin="https://x.corp.test").status_code == 200
    assert c.post("update-user", {"name": "b"}, origin=srv.origin).status_code == 200  # baseURL always trusted
    assert_error(c.post("update-user", {"name": "c"}, origin="https://trusted.com"), 403, "INVALID_ORIGIN")


# ---------------------------------------------------------------- form CSRF

@pytest.mark.parametrize("path", ["sign-in/email", "sign-up/email"])
def test_cross_site_navigation_login_blocked(gatehouse, path):
    c = gatehouse.client(origin=None)
    r = c.post(path, json=None, data={"email": unique_email(), "password": DEFAULT_PASSWORD, "name": "x"},
               headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
    assert_error(r, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")


def test_form_login_with_untrusted_origin_no_cookie(gatehouse, user):
    c = gatehouse.client(origin="https://evil.com")
    r = c.post("sign-in/email", {"email": user.email, "password": user.password})
    assert_error(r, 403, "INVALID_ORIGIN")


def test_same_origin_fetch_metadata_passes(gatehouse, user):
    c = gatehouse.client()
    r = c.post("sign-in/email", {"email": user.email, "password": user.password},
               headers={"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- callback URLs

BAD_CALLBACKS = ["//evil.com", "https://trusted.com.evil.com", "https://trusted.com@evil.com",
                 "javascript:alert(1)", "https://evil.com/dashboard", "/\\evil.com", "http://trusted.com"]


@pytest.mark.parametrize("bad", BAD_CALLBACKS)
def test_sign_in_rejects_untrusted_callback(gatehouse, user, bad):
    r = gatehouse.client().sign_in(user.email, user.password, callbackURL=bad)
    assert_error(r, 403, "INVALID_CALLBACK_URL")
    assert gatehouse.cookie_name() not in r.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("good", ["/dashboard", "/a/b?x=1", "https://trusted.com/cb", "https://x.example.com/cb"])
def test_sign_in_accepts_trusted_callback(gatehouse, user, good):
    r = gatehouse.client().sign_in(user.email, user.password, callbackURL=good)
    assert r.status_code == 200, r.text
    assert r.json()["url"] == good


def test_callback_url_wrong_type(gatehouse, user):
    r = gatehouse.client().sign_in(user.email, user.password, callbackURL=123)
    assert_error(r, 400)


@pytest.mark.parametrize("field,code", [("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"),
                                        ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL")])
def test_other_callback_fields_checked(gatehouse, user, field, code):
    r = gatehouse.client().sign_in(user.email, user.password, **{field: "https://evil.com"})
    assert_error(r, 403, code)
