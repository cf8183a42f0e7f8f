"""Session endpoints and session lifetime (contract §2, §3.3)."""

import time

import pytest

from conftest import ALNUM32, ISO_MS_Z, assert_error, parse_date, set_cookie_map, verify_signed_value

SESSION_KEYS = {"id", "token", "userId", "expiresAt", "createdAt", "updatedAt"}


# ---------------------------------------------------------------- get-session

def test_get_session_without_cookie_is_null(client):
    r = client.get("get-session")
    assert r.status_code == 200
    assert r.content.strip() == b"null"
    assert r.json() is None
    assert "no-store" in r.headers.get("Cache-Control", "")


def test_get_session_with_cookie(gatehouse, user):
    r = user.get("get-session")
    assert r.status_code == 200, r.text
    assert "no-store" in r.headers.get("Cache-Control", "")
    assert r.headers.get("Pragma") == "no-cache"
    body = r.json()
    assert set(body) >= {"session", "user"}
    s, u = body["session"], body["user"]
    assert SESSION_KEYS <= set(s), s
    assert s["token"] == user.token and ALNUM32.match(s["token"])
    assert ALNUM32.match(s["id"])
    assert s["userId"] == u["id"] == user.user["id"]
    for k in ("expiresAt", "createdAt", "updatedAt"):
        assert ISO_MS_Z.match(s[k]), (k, s[k])
    assert u["email"] == user.email.lower()
    assert "password" not in u


def test_post_get_session_requires_defer(gatehouse, user):
    r = user.post("get-session")
    assert_error(r, 405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED")
    r2 = gatehouse.client().post("get-session")
    assert_error(r2, 405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED")


def test_get_session_expired_returns_null_and_clears(server_factory):
    srv = server_factory({"session": {"expiresIn": 2, "updateAge": 1}}, name="short")
    c = srv.client().new_user()
    token = c.token
    assert c.session()["session"]["token"] == token
    time.sleep(3)
    cookie_name = srv.cookie_name()
    r = c.get("get-session")
    assert r.status_code == 200
    assert r.json() is None
    st = set_cookie_map(r).get(cookie_name)
    assert st is not None and st.is_deletion, f"session cookie not cleared: {r.headers.get('Set-Cookie')}"
    assert srv.query("SELECT id FROM session WHERE token = ?", token) == []


def test_get_session_refreshes_when_update_age_passed(server_factory):
    srv = server_factory({"session": {"updateAge": 0}}, name="refresh")
    c = srv.client().new_user()
    before = parse_date(srv.query('SELECT "expiresAt" FROM session WHERE token = ?', c.token)[0]["expiresAt"])
    time.sleep(1.2)
    r = c.get("get-session")
    assert r.status_code == 200 and r.json()["session"]["token"] == c.token
    after = parse_date(srv.query('SELECT "expiresAt" FROM session WHERE token = ?', c.token)[0]["expiresAt"])
    assert after > before, (before, after)
    st = set_cookie_map(r).get(srv.cookie_name())
    assert st is not None and verify_signed_value(st.value, srv.secret) == c.token
    assert st.max_age == 604800


def test_get_session_disable_refresh(server_factory):
    srv = server_factory({"session": {"updateAge": 0}}, name="refresh")
    c = srv.client().new_user()
    before = srv.query('SELECT "expiresAt" FROM session WHERE token = ?', c.token)[0]["expiresAt"]
    time.sleep(1.2)
    r = c.get("get-session", params={"disableRefresh": "true"})
    assert r.status_code == 200 and r.json()["session"]["token"] == c.token
    assert srv.query('SELECT "expiresAt" FROM session WHERE token = ?', c.token)[0]["expiresAt"] == before


def test_defer_session_refresh(server_factory):
    srv = server_factory({"session": {"deferSessionRefresh": True, "updateAge": 0}}, name="defer")
    c = srv.client().new_user()
    before = srv.query('SELECT "expiresAt" FROM session WHERE token = ?', c.token)[0]["expiresAt"]
    time.sleep(1.2)
    r = c.get("get-session")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["session"]["token"] == c.token
    assert body.get("needsRefresh") is True
    assert srv.query('SELECT "expiresAt" FROM session WHERE token = ?', c.token)[0]["expiresAt"] == before, \
        "GET must not mutate with deferSessionRefresh"
    r2 = c.post("get-session")
    assert r2.status_code == 200, r2.text
    assert r2.json()["session"]["token"] == c.token
    after = srv.query('SELECT "expiresAt" FROM session WHERE token = ?', c.token)[0]["expiresAt"]
    assert parse_date(after) > parse_date(before)


def test_defer_session_refresh_not_needed(server_factory):
    srv = server_factory({"session": {"deferSessionRefresh": True}}, name="defer-default")
    c = srv.client().new_user()
    body = c.session()
    assert body["needsRefresh"] is False


# ---------------------------------------------------------------- list-sessions

def test_list_sessions(gatehouse, user):
    other_browser = user.fork()
    stranger = gatehouse.client().new_user()
    r = user.get("list-sessions")
    assert r.status_code == 200, r.text
    sessions = r.json()
    assert isinstance(sessions, list)
    tokens = {s["token"] for s in sessions}
    assert tokens == {user.token, other_browser.token}
    assert stranger.token not in tokens
    for s in sessions:
        assert SESSION_KEYS <= set(s)
        assert s["userId"] == user.user["id"]


def test_list_sessions_unauthorized(client):
    assert_error(client.get("list-sessions"), 401, "UNAUTHORIZED")


def test_fresh_session_required(server_factory):
    srv = server_factory({"session": {"freshAge": 1}, "user": {"deleteUser": {"enabled": True}}}, name="fresh")
    c = srv.client().new_user()
    assert c.get("list-sessions").status_code == 200
    time.sleep(2.2)
    assert_error(c.get("list-sessions"), 403, "SESSION_NOT_FRESH")
    # the session itself is still valid
    assert c.session()["session"]["token"] == c.token


# ---------------------------------------------------------------- revoke

def test_revoke_session(gatehouse, user):
    other = user.fork()
    r = user.post("revoke-session", {"token": other.token})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    assert other.session() is None
    assert user.session()["session"]["token"] == user.token
    assert gatehouse.query("SELECT id FROM session WHERE token = ?", other.token) == []


def test_revoke_session_of_another_user_is_noop(gatehouse, user):
    stranger = gatehouse.client().new_user()
    r = user.post("revoke-session", {"token": stranger.token})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    assert stranger.session()["session"]["token"] == stranger.token


def test_revoke_session_requires_token(user):
    assert_error(user.post("revoke-session", {}), 400, "VALIDATION_ERROR")


def test_revoke_session_unauthorized(gatehouse, user):
    anon = gatehouse.client()
    assert_error(anon.post("revoke-session", {"token": user.token}), 401, "UNAUTHORIZED")
    assert user.session() is not None


def test_revoke_sessions(gatehouse, user):
    other = user.fork()
    stranger = gatehouse.client().new_user()
    r = user.post("revoke-sessions")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    assert other.session() is None
    assert user.session() is None
    assert gatehouse.query('SELECT id FROM session WHERE "userId" = ?', user.user["id"]) == []
    assert stranger.session() is not None


def test_revoke_other_sessions(gatehouse, user):
    other1, other2 = user.fork(), user.fork()
    r = user.post("revoke-other-sessions")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    assert other1.session() is None and other2.session() is None
    assert user.session()["session"]["token"] == user.token
    rows = gatehouse.query('SELECT token FROM session WHERE "userId" = ?', user.user["id"])
    assert rows == [{"token": user.token}]


def test_revoke_other_sessions_unauthorized(client):
    assert_error(client.post("revoke-other-sessions"), 401, "UNAUTHORIZED")
    assert_error(client.post("revoke-sessions"), 401, "UNAUTHORIZED")


# ---------------------------------------------------------------- update-session

def test_update_session_no_fields(user):
    body = assert_error(user.post("update-session", {}), 400)
    assert body["message"] == "No fields to update"
    assert body["code"] == "NO_FIELDS_TO_UPDATE"


def test_update_session_unknown_field_is_no_fields(user):
    body = assert_error(user.post("update-session", {"somethingElse": "x"}), 400)
    assert body["code"] == "NO_FIELDS_TO_UPDATE"


@pytest.mark.parametrize("payload", [[1, 2], "a string", 42])
def test_update_session_body_must_be_object(user, payload):
    assert_error(user.post("update-session", payload), 400, "BODY_MUST_BE_AN_OBJECT")


def test_update_session_unauthorized(client):
    assert_error(client.post("update-session", {"x": 1}), 401, "UNAUTHORIZED")


# ---------------------------------------------------------------- in-process session cache

def test_revocation_is_seen_right_after_a_cached_read(gatehouse, user):
    """get-session answers from a short-lived in-memory cache; every write must invalidate it."""
    other = user.fork()
    assert other.session() is not None          # populates the cache for other's token
    assert other.session() is not None
    assert user.post("revoke-other-sessions").status_code == 200
    assert other.session() is None              # not the cached answer
    assert user.session() is not None
    assert user.post("update-user", {"name": "Renamed Right Away"}).status_code == 200
    assert user.session()["user"]["name"] == "Renamed Right Away"
    assert user.post("revoke-sessions").status_code == 200
    assert user.session() is None
