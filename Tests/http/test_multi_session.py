"""multi-session plugin: one browser holds several accounts. Each answer that starts a session also
sets the signed cookie `<session cookie>_multi-<lower-case token>`; the browser lists its accounts,
switches the active one, signs one out, and `/sign-out` ends them all.

The plugin is not in the default set: these tests load multi-session.so next to username.so and
bearer.so from a temp plugins dir. A `Client` with its own cookie jar plays the browser. Better Auth
1.7.1's plugins/multi-session is the reference.
"""
import shutil
import urllib.parse

import pyotp
import pytest

from conftest import DEFAULT_PASSWORD, assert_error, set_cookie_map, sign_token, unique_email, verify_signed_value
from test_bearer import built_library
from test_two_factor import previous_window_code

INVALID = ("INVALID_SESSION_TOKEN", "Invalid session token")


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("multi-session-plugins")
    for name in ("multi-session", "username", "bearer"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return plugins


def multi_server(server_factory, plugins_dir, settings=None):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"multi-session": settings or {}}}, name="multi-session")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return multi_server(server_factory, plugins_dir)


# ---------------------------------------------------------------------------------------------
# helpers


def device_name(srv, token: str) -> str:
    return srv.cookie_name("session_token_multi-" + token.lower())


def device_cookies(srv, c) -> dict:
    prefix = srv.cookie_name("session_token_multi-")
    return {name: value for name, value in c.cookies.items() if name.startswith(prefix)}


def add_account(c, email=None) -> dict:
    """Signs a new user up in browser `c`: {email, token, user}."""
    email = email or unique_email("multi")
    r = c.sign_up(email)
    assert r.status_code == 200, r.text
    return {"email": email, "token": r.json()["token"], "user": r.json()["user"]}


def browser_with(srv, count: int):
    c = srv.client()
    return c, [add_account(c) for _ in range(count)]


def session_exists(srv, token: str) -> bool:
    return bool(srv.query('SELECT id FROM "session" WHERE token = ?', token))


def listed(c) -> list:
    r = c.get("multi-session/list-device-sessions")
    assert r.status_code == 200, r.text
    return r.json()


def active_user(c):
    session = c.session()
    return session and session["user"]["id"]


# ---------------------------------------------------------------------------------------------
# device cookies


def test_every_new_session_leaves_a_signed_device_cookie(srv):
    c, accounts = browser_with(srv, 3)
    cookies = device_cookies(srv, c)
    assert list(cookies) == [device_name(srv, a["token"]) for a in accounts]
    for a in accounts:
        assert verify_signed_value(cookies[device_name(srv, a["token"])]) == a["token"]
    assert c.token == accounts[-1]["token"], "the newest account is the active one"
    header = set_cookie_map(c.last)[device_name(srv, accounts[-1]["token"])]
    assert header.attrs.get("httponly") and header.attrs.get("path") == "/" and header.attrs.get("samesite") == "Lax"
    assert 7 * 86400 - 60 <= header.max_age <= 7 * 86400
    # Every account is still signed in.
    assert all(session_exists(srv, a["token"]) for a in accounts)


def test_a_username_sign_in_also_leaves_one(srv):
    email, name = unique_email("uname"), "multi_" + unique_email()[5:15]
    assert srv.client().sign_up(email, username=name).status_code == 200
    c = srv.client()
    first = add_account(c)
    r = c.post("sign-in/username", {"username": name, "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert verify_signed_value(device_cookies(srv, c)[device_name(srv, token)]) == token
    assert r.headers["set-auth-token"].startswith(token + ".")
    assert [s["user"]["email"] for s in listed(c)] == [first["email"], email]


def test_signing_in_again_replaces_the_accounts_older_session(srv):
    c, (a, b) = browser_with(srv, 2)
    r = c.sign_in(a["email"], DEFAULT_PASSWORD)
    assert r.status_code == 200, r.text
    renewed = r.json()["token"]
    assert not session_exists(srv, a["token"]), "the browser's older session of the account is revoked"
    assert set_cookie_map(r)[device_name(srv, a["token"])].is_deletion
    assert set(device_cookies(srv, c)) == {device_name(srv, b["token"]), device_name(srv, renewed)}
    assert [s["session"]["token"] for s in listed(c)] == [b["token"], renewed]


def test_maximum_sessions_limits_the_device_cookies(server_factory, plugins_dir):
    srv = multi_server(server_factory, plugins_dir, {"maximumSessions": 2})
    c, accounts = browser_with(srv, 3)
    assert set(device_cookies(srv, c)) == {device_name(srv, a["token"]) for a in accounts[:2]}
    # The third account is signed in, but the browser does not list it.
    assert c.token == accounts[2]["token"] and active_user(c) == accounts[2]["user"]["id"]
    assert [s["user"]["id"] for s in listed(c)] == [a["user"]["id"] for a in accounts[:2]]


def test_the_default_maximum_is_five(srv):
    c, accounts = browser_with(srv, 6)
    assert len(device_cookies(srv, c)) == 5 and device_name(srv, accounts[5]["token"]) not in c.cookies


def test_a_second_factor_challenge_leaves_the_device_cookies_alone(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("multi-session-two-factor")
    for name in ("multi-session", "two-factor"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    srv = server_factory({"pluginsDir": str(plugins)}, name="multi-session-2fa")
    c = srv.client()
    a = add_account(c)
    totp = pyotp.parse_uri(c.post("two-factor/enable", {"password": DEFAULT_PASSWORD}).json()["totpURI"])
    assert c.post("two-factor/verify-totp", {"code": previous_window_code(totp)}).status_code == 200
    held = c.token
    before = device_cookies(srv, c)
    assert list(before) == [device_name(srv, held)]

    c.cookies.pop(srv.cookie_name())
    r = c.sign_in(a["email"], DEFAULT_PASSWORD)
    assert r.status_code == 200 and r.json()["twoFactorRedirect"] is True, r.text
    assert not [name for name in set_cookie_map(r) if "_multi-" in name], "a challenge is no new session"
    assert device_cookies(srv, c) == before and session_exists(srv, held)

    r = c.post("two-factor/verify-totp", {"code": totp.now()})
    assert r.status_code == 200, r.text
    assert list(device_cookies(srv, c)) == [device_name(srv, c.token)] and c.token != held
    assert not session_exists(srv, held), "the second factor's session replaces the browser's older one"


# ---------------------------------------------------------------------------------------------
# list-device-sessions


def test_list_device_sessions_one_per_user(srv):
    c, accounts = browser_with(srv, 3)
    sessions = listed(c)
    assert [s["user"]["id"] for s in sessions] == [a["user"]["id"] for a in accounts]
    for s, a in zip(sessions, accounts):
        assert set(s) == {"session", "user"} and s["session"]["token"] == a["token"] and s["user"]["email"] == a["email"]
    # A second session of the same user, under a cookie of its own, is listed once.
    extra = srv.client().sign_in(accounts[0]["email"], DEFAULT_PASSWORD).json()["token"]
    c.cookies[device_name(srv, extra)] = sign_token(extra)
    assert [s["user"]["id"] for s in listed(c)] == [a["user"]["id"] for a in accounts]


def test_list_device_sessions_ignores_forged_and_dead_cookies(srv):
    assert srv.client().get("multi-session/list-device-sessions").json() == []
    c, (a, b) = browser_with(srv, 2)
    victim = srv.client()
    v = add_account(victim)
    c.cookies[device_name(srv, v["token"])] = sign_token(v["token"], secret="x" * 40)
    c.cookies[device_name(srv, "unsigned")] = "unsigned"
    srv.execute('DELETE FROM "session" WHERE token = ?', a["token"])
    assert [s["user"]["id"] for s in listed(c)] == [b["user"]["id"]]
    # The next sign-in expires the dead cookie (beyond Better Auth, which keeps it counted).
    d = add_account(c)
    assert set_cookie_map(c.last)[device_name(srv, a["token"])].is_deletion
    assert [s["user"]["id"] for s in listed(c)] == [b["user"]["id"], d["user"]["id"]]


# ---------------------------------------------------------------------------------------------
# set-active


def test_set_active_switches_the_account(srv):
    c, (a, b, _) = browser_with(srv, 3)
    r = c.post("multi-session/set-active", {"sessionToken": a["token"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"session", "user"} and body["user"]["id"] == a["user"]["id"] and body["session"]["token"] == a["token"]
    assert c.token == a["token"] and active_user(c) == a["user"]["id"]
    assert len(device_cookies(srv, c)) == 3, "switching leaves the device cookies as they are"
    assert c.post("multi-session/set-active", {"sessionToken": b["token"]}).status_code == 200
    assert active_user(c) == b["user"]["id"]


def test_set_active_needs_the_device_cookie(srv):
    _, (a,) = browser_with(srv, 1)
    other, _ = browser_with(srv, 1)
    r = other.post("multi-session/set-active", {"sessionToken": a["token"]})
    assert_error(r, 401, *INVALID)
    assert "set-cookie" not in r.headers and other.token != a["token"]
    # A genuine cookie renamed after another token proves nothing about that token.
    mine = next(iter(device_cookies(srv, other).values()))
    r = other.post("multi-session/set-active", {"sessionToken": a["token"]},
                   cookies=f"{device_name(srv, a['token'])}={mine}")
    assert_error(r, 401, *INVALID)


def test_set_active_on_an_ended_session_expires_its_cookie(srv):
    c, (a, _) = browser_with(srv, 2)
    srv.execute('DELETE FROM "session" WHERE token = ?', a["token"])
    r = c.post("multi-session/set-active", {"sessionToken": a["token"]})
    assert_error(r, 401, *INVALID)
    assert set_cookie_map(r)[device_name(srv, a["token"])].is_deletion
    assert device_name(srv, a["token"]) not in c.cookies


@pytest.mark.parametrize("body", [{}, {"sessionToken": 5}, {"sessionToken": None}, {"sessionToken": ["x"]}])
def test_set_active_refuses_bad_input_with_400(srv, body):
    c, _ = browser_with(srv, 1)
    assert_error(c.post("multi-session/set-active", body), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------
# revoke


def test_revoking_the_active_session_activates_another(srv):
    c, (a, b, d) = browser_with(srv, 3)
    r = c.post("multi-session/revoke", {"sessionToken": d["token"]})
    assert r.status_code == 200 and r.json() == {"status": True}, r.text
    assert not session_exists(srv, d["token"])
    assert set_cookie_map(r)[device_name(srv, d["token"])].is_deletion
    assert c.token == a["token"] and active_user(c) == a["user"]["id"]
    assert [s["user"]["id"] for s in listed(c)] == [a["user"]["id"], b["user"]["id"]]


def test_revoking_another_session_keeps_the_active_one(srv):
    c, (a, b) = browser_with(srv, 2)
    r = c.post("multi-session/revoke", {"sessionToken": a["token"]})
    assert r.status_code == 200, r.text
    assert srv.cookie_name() not in set_cookie_map(r)
    assert not session_exists(srv, a["token"]) and session_exists(srv, b["token"])
    assert active_user(c) == b["user"]["id"]


def test_revoking_the_last_session_signs_the_browser_out(srv):
    c, (a,) = browser_with(srv, 1)
    r = c.post("multi-session/revoke", {"sessionToken": a["token"]})
    assert r.status_code == 200, r.text
    assert set_cookie_map(r)[srv.cookie_name()].is_deletion
    assert c.session_cookie is None and device_cookies(srv, c) == {}
    assert c.session() is None and not session_exists(srv, a["token"])


def test_revoke_needs_a_session_and_the_device_cookie(srv):
    c, (a,) = browser_with(srv, 1)
    anonymous = srv.client()
    anonymous.cookies[device_name(srv, a["token"])] = c.cookies[device_name(srv, a["token"])]
    assert_error(anonymous.post("multi-session/revoke", {"sessionToken": a["token"]}), 401, "UNAUTHORIZED")
    other, _ = browser_with(srv, 1)
    assert_error(other.post("multi-session/revoke", {"sessionToken": a["token"]}), 401, *INVALID)
    assert_error(c.post("multi-session/revoke", {}), 400, "VALIDATION_ERROR")
    assert session_exists(srv, a["token"]) and active_user(c) == a["user"]["id"]


# ---------------------------------------------------------------------------------------------
# sign-out, settings


def test_sign_out_ends_every_account_in_the_browser(srv):
    c, accounts = browser_with(srv, 3)
    elsewhere = srv.client()
    kept = elsewhere.sign_in(accounts[0]["email"], DEFAULT_PASSWORD).json()["token"]
    r = c.post("sign-out")
    assert r.status_code == 200, r.text
    assert not any(session_exists(srv, a["token"]) for a in accounts)
    cookies = set_cookie_map(r)
    assert all(cookies[device_name(srv, a["token"])].is_deletion for a in accounts)
    assert device_cookies(srv, c) == {} and c.session() is None
    assert session_exists(srv, kept), "another browser's session of the same user stays"


@pytest.mark.parametrize("settings, key", [({"maximumSessions": 0}, "maximumSessions"),
                                           ({"maximumSessions": "many"}, "maximumSessions"), ({"max": 3}, "max")])
def test_bad_settings_keep_the_plugin_out(server, plugins_dir, settings, key):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"multi-session": settings}})
    assert f"plugins.multi-session.{key}" in srv.logs()
    assert srv.client().get("multi-session/list-device-sessions").status_code == 404


def test_cookie_names_follow_the_secure_prefix(server_factory, plugins_dir):
    srv = server_factory({"pluginsDir": str(plugins_dir), "advanced": {"useSecureCookies": True, "cookiePrefix": "acme"}},
                         name="multi-secure")
    c = srv.client()
    a = add_account(c)
    name = "__Secure-acme.session_token_multi-" + a["token"].lower()
    assert device_cookies(srv, c) == {name: c.cookies[name]}
    assert verify_signed_value(urllib.parse.unquote(c.cookies[name])) == a["token"]
    assert [s["user"]["id"] for s in listed(c)] == [a["user"]["id"]]


def test_routes_are_in_openapi(srv):
    from test_magic_link import openapi_has

    assert openapi_has(srv, "get", "/multi-session/list-device-sessions")
    assert openapi_has(srv, "post", "/multi-session/set-active")
    assert openapi_has(srv, "post", "/multi-session/revoke")
