"""one-time-token plugin (issue 20): a signed-in client gets a short-lived token that hands its
session over to another client once (GET /one-time-token/generate, POST /one-time-token/verify).

A real server loads one-time-token.so; each requests session with its own cookie jar is one client.
Better Auth 1.7.1's plugins/one-time-token is the reference; expiresIn is in minutes there too.
"""
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import assert_error, set_cookie_map, verify_signed_value
from test_bearer import built_library
from test_magic_link import assert_no_session_cookie, openapi_has, session_count


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("one-time-token-plugins")
    shutil.copy(built_library("one-time-token"), plugins / "one-time-token.so")
    return plugins


def ott_server(server_factory, plugins_dir, **settings):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"one-time-token": settings}}, name="one-time-token")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return ott_server(server_factory, plugins_dir)


def generate(c) -> str:
    r = c.get("one-time-token/generate")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token"} and isinstance(body["token"], str) and len(body["token"]) >= 32, body
    assert_no_session_cookie(r, c.server)
    return body["token"]


def verify(srv, token):
    """POST /one-time-token/verify from a new client with an empty cookie jar: (client, answer)."""
    c = srv.client()
    return c, c.post("one-time-token/verify", {"token": token})


def assert_handed_over(r, c, owner):
    """The answer is {session, user} of `owner`'s own session, with that session's cookie."""
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"session", "user"}, body
    assert body["session"]["token"] == owner.token and body["session"]["userId"] == owner.user["id"]
    assert body["user"]["id"] == owner.user["id"] and body["user"]["email"] == owner.email.lower()
    cookie = set_cookie_map(r).get(c.server.cookie_name())
    assert cookie is not None and not cookie.is_deletion, r.headers.get("Set-Cookie")
    assert verify_signed_value(cookie.value, c.server.secret) == owner.token
    mine, theirs = c.session(), owner.session()
    assert mine is not None and mine["session"]["id"] == theirs["session"]["id"] == body["session"]["id"]
    return body


def test_a_token_hands_the_session_over_once(srv):
    owner = srv.client().new_user()
    sessions_before = session_count(srv, owner.user["id"])
    token = generate(owner)

    c, r = verify(srv, token)
    assert_handed_over(r, c, owner)
    assert session_count(srv, owner.user["id"]) == sessions_before, "the same session, not a new one"

    # Once only.
    c2, r = verify(srv, token)
    assert_error(r, 400, "INVALID_TOKEN")
    assert_no_session_cookie(r, srv)
    assert c2.get_session().json() is None

    # The owner's own session goes on.
    assert owner.session()["session"]["token"] == owner.token


def test_each_generated_token_is_its_own(srv):
    owner = srv.client().new_user()
    tokens = [generate(owner) for _ in range(3)]
    assert len(set(tokens)) == 3
    for token in reversed(tokens):
        c, r = verify(srv, token)
        assert_handed_over(r, c, owner)
        assert_error(verify(srv, token)[1], 400, "INVALID_TOKEN")


def test_tokens_of_two_sessions_hand_over_their_own_session(srv):
    owner = srv.client().new_user()
    second = owner.fork()
    assert second.token != owner.token
    c, r = verify(srv, generate(second))
    assert assert_handed_over(r, c, second)["session"]["token"] == second.token != owner.token


def test_concurrent_verifications_hand_over_once(srv):
    owner = srv.client().new_user()
    token = generate(owner)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: verify(srv, token)[1].status_code, range(6)))
    assert sorted(answers) == [200] + [400] * 5, answers


def test_generate_needs_a_session(srv):
    assert_error(srv.client().get("one-time-token/generate"), 401, "UNAUTHORIZED")
    owner = srv.client().new_user()
    ended = owner.session_cookie
    assert owner.post("sign-out").status_code == 200
    r = srv.client().get("one-time-token/generate", cookies=f"{srv.cookie_name()}={ended}")
    assert_error(r, 401, "UNAUTHORIZED")


def test_a_token_expires_with_its_minutes(server_factory, plugins_dir, srv):
    short = ott_server(server_factory, plugins_dir, expiresIn=0.05)  # 3 seconds
    owner = short.client().new_user()
    c, r = verify(short, generate(owner))
    assert_handed_over(r, c, owner)  # used at once, it works
    late = generate(owner)
    # The default is 3 minutes, not 3 seconds: a token of the default server outlives the short one.
    default_owner = srv.client().new_user()
    default_token = generate(default_owner)
    time.sleep(3.3)
    c, r = verify(short, late)
    assert_error(r, 400, "INVALID_TOKEN")
    assert_no_session_cookie(r, short)
    assert c.get_session().json() is None
    c, r = verify(srv, default_token)
    assert_handed_over(r, c, default_owner)


@pytest.mark.parametrize("ending", ["sign-out", "revoke-session", "revoke-sessions"])
def test_a_token_whose_session_ended_gives_no_session(srv, ending):
    owner = srv.client().new_user()
    token = generate(owner)
    if ending == "sign-out":
        assert owner.post("sign-out").status_code == 200
    elif ending == "revoke-session":
        other = owner.fork()
        assert other.post("revoke-session", {"token": owner.token}).status_code == 200
    else:
        assert owner.post("revoke-sessions").status_code == 200
    c, r = verify(srv, token)
    assert_error(r, 400, "SESSION_NOT_FOUND")  # Better Auth's "Session not found"
    assert_no_session_cookie(r, srv)
    assert c.get_session().json() is None


def test_bad_input(srv):
    c = srv.client()
    for body in ({}, {"token": 5}, {"token": None}, {"token": ["x"]}, {"token": {"t": "x"}}):
        assert_error(c.post("one-time-token/verify", body), 400, "VALIDATION_ERROR")
    for token in ("", "nope", "x" * 5000, "' OR 1=1 --", "one-time-token:x"):
        assert_error(c.post("one-time-token/verify", {"token": token}), 400, "INVALID_TOKEN")
    r = c.post("one-time-token/verify", data=b"{oops", headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert c.session_cookie is None


def test_a_session_token_is_not_a_one_time_token(srv):
    owner = srv.client().new_user()
    _, r = verify(srv, owner.token)
    assert_error(r, 400, "INVALID_TOKEN")


def test_disable_set_session_cookie(server_factory, plugins_dir):
    srv = ott_server(server_factory, plugins_dir, disableSetSessionCookie=True)
    owner = srv.client().new_user()
    c, r = verify(srv, generate(owner))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["session"]["token"] == owner.token and body["user"]["id"] == owner.user["id"]
    assert srv.cookie_name() not in set_cookie_map(r), r.headers.get("Set-Cookie")
    assert c.get_session().json() is None


def test_set_ott_header_on_new_session(server_factory, plugins_dir):
    srv = ott_server(server_factory, plugins_dir, setOttHeaderOnNewSession=True)
    owner = srv.client()
    r = owner.sign_up()
    assert r.status_code == 200, r.text
    token = r.headers.get("set-ott")
    assert token and len(token) >= 32, dict(r.headers)
    assert "set-ott" in r.headers.get("access-control-expose-headers", "").lower()
    assert "set-ott" not in owner.get("get-session").headers, "only answers that create a session carry one"
    c, r = verify(srv, token)
    assert_handed_over(r, c, owner)
    assert_error(verify(srv, token)[1], 400, "INVALID_TOKEN")


def test_hashed_token_storage(server_factory, plugins_dir):
    import base64
    import hashlib
    srv = ott_server(server_factory, plugins_dir, storeToken="hashed")
    owner = srv.client().new_user()
    token = generate(owner)
    hashed = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
    assert srv.query("SELECT COUNT(*) AS n FROM verification WHERE identifier = ?", f"one-time-token:{token}")[0]["n"] == 0
    assert srv.query("SELECT COUNT(*) AS n FROM verification WHERE identifier = ?", f"one-time-token:{hashed}")[0]["n"] == 1
    c, r = verify(srv, token)
    assert_handed_over(r, c, owner)


@pytest.mark.parametrize("settings, key", [({"expiresIn": "soon"}, "expiresIn"), ({"expiresIn": -1}, "expiresIn"),
                                           ({"storeToken": "rot13"}, "storeToken"), ({"generateToken": "x"}, "generateToken")])
def test_bad_settings_keep_the_plugin_out(server, plugins_dir, settings, key):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"one-time-token": settings}})
    assert f"plugins.one-time-token.{key}" in srv.logs()
    assert srv.client().post("one-time-token/verify", {"token": "x"}).status_code == 404


def test_routes_are_in_the_openapi_document(srv):
    assert openapi_has(srv, "get", "/one-time-token/generate")
    assert openapi_has(srv, "post", "/one-time-token/verify")
