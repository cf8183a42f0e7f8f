"""admin plugin: a banned user gets no session by any sign-in method, and every administrator action
is announced as an `admin.*` audit event.

One server loads admin.so next to username, magic-link, email-otp, passkey, one-time-token and siwe,
a local OpenID provider, and the event recorder (fixtures/event_recorder.c) subscribed to `admin.*`
with "sync": true, so an action's events are in its file once the action has answered. A second
server checks the admin settings' defaults (defaultRole, defaultBanReason, defaultBanExpiresIn, the
stock banned message). Better Auth 1.7.1's plugins/admin is the reference: the ban is refused where
the session would be made (403 BANNED_USER with `bannedUserMessage`), after the credential was
checked, and a social callback sends the browser to the error URL with `error=BANNED_USER` instead.
"""
import json
import shutil
import time
import uuid

import pytest
import yaml
from eth_account import Account

from conftest import assert_error, free_port, parse_date, now_utc, unique_email, wait_until
from test_bearer import built_library
from test_email_otp import send_code, sign_in_with_code
from test_host_events import Recorder, build_recorder
from test_magic_link import assert_no_session_cookie, request_link, session_count
from test_one_time_token import generate as generate_one_time_token, verify as verify_one_time_token
from test_passkey import register as register_passkey, sign_in as sign_in_with_passkey
from test_siwe import message as siwe_message, nonce as siwe_nonce, sign as siwe_sign, verify as siwe_verify
from test_social import idp, new_subject, query_of, run_flow, social_config  # noqa: F401 (idp is a fixture)
from webauthn_client import SoftAuthenticator

BANNED_MESSAGE = "Custom banned user message"
STOCK_BANNED_MESSAGE = ("You have been banned from this application. "
                        "Please contact support if you believe this is an error.")
PLUGINS = ("admin", "username", "magic-link", "email-otp", "passkey", "one-time-token", "siwe")


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    return Recorder(tmp_path_factory.mktemp("admin-audit") / "events.jsonl")


@pytest.fixture(scope="module")
def srv(server_factory, tmp_path_factory, idp, audit):  # noqa: F811 (idp is a fixture)
    plugins = tmp_path_factory.mktemp("admin-bans-plugins")
    for name in PLUGINS:
        shutil.copy(built_library(name), plugins / f"{name}.so")
    build_recorder(plugins, "admin-recorder", events="admin.*")
    port = free_port()  # siwe checks messages against the server's own host:port
    config = social_config(
        idp, pluginsDir=str(plugins), server={"port": port}, baseURL=f"http://127.0.0.1:{port}",
        plugins={"admin": {"bannedUserMessage": BANNED_MESSAGE}, "admin-recorder": {"file": str(audit.path)},
                 "siwe": {"domain": f"127.0.0.1:{port}"}})
    return server_factory(config, name="admin-bans", port=port)


@pytest.fixture(scope="module")
def admin(srv):
    """A signed-in administrator, made one by `plugins.admin.adminUserIds` (a configuration reload)."""
    c = srv.client().new_user(name="Root Admin")
    grant_admin_ids(srv, c.user["id"])
    assert wait_until(lambda: c.get("admin/get-user", params={"id": c.user["id"]}).status_code == 200, timeout=10), \
        "adminUserIds did not make the user an administrator"
    return c


@pytest.fixture(scope="module")
def defaults(server_factory, tmp_path_factory):
    """admin and email-otp with the admin settings' defaults; its administrator has the admin role."""
    plugins = tmp_path_factory.mktemp("admin-defaults-plugins")
    for name in ("admin", "email-otp"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return server_factory({"pluginsDir": str(plugins), "plugins": {"admin": {
        "defaultRole": "member", "defaultBanReason": "Spam", "defaultBanExpiresIn": 2}}}, name="admin-defaults")


@pytest.fixture(scope="module")
def defaults_admin(defaults):
    c = defaults.client().new_user(name="Role Admin")
    defaults.execute('UPDATE "user" SET role = ? WHERE id = ?', "admin", c.user["id"])
    return c


# ---------------------------------------------------------------------------------------------
# helpers


def grant_admin_ids(srv, *user_ids):
    config = yaml.safe_load(srv.config_path.read_text())
    config["plugins"]["admin"]["adminUserIds"] = list(user_ids)
    srv.config_path.write_text(yaml.safe_dump(config, sort_keys=False))


def ban(admin, user_id, **body) -> dict:
    r = admin.post("admin/ban-user", {"userId": user_id, **body})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"user"}, r.json()
    user = r.json()["user"]
    assert user["id"] == user_id and user["banned"] is True, user
    return user


def unban(admin, user_id) -> dict:
    r = admin.post("admin/unban-user", {"userId": user_id})
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert user["id"] == user_id, user
    return user


def admin_view(admin, user_id) -> dict:
    """GET /admin/get-user: the user itself, as Better Auth answers it."""
    r = admin.get("admin/get-user", params={"id": user_id})
    assert r.status_code == 200, r.text
    return r.json()


def ban_row(srv, user_id) -> dict:
    row = srv.query('SELECT banned, "banReason", "banExpires" FROM "user" WHERE id = ?', user_id)[0]
    return {"banned": bool(int(row["banned"] or 0)), "banReason": row["banReason"], "banExpires": row["banExpires"]}


def assert_not_banned(user: dict):
    assert user["banned"] is False and user["banReason"] is None and user["banExpires"] is None, user


def assert_banned(r, srv, user_id, message=BANNED_MESSAGE):
    """A sign-in refused for the ban: 403 {code BANNED_USER, message}, or a browser redirect carrying
    error=BANNED_USER; no session cookie, and the user has no session at all (the ban ended theirs)."""
    if r.status_code in (302, 303):
        q = query_of(r.headers["Location"])
        assert q.get("error") == "BANNED_USER", r.headers["Location"]
    else:
        assert_error(r, 403, "BANNED_USER", message)
    assert_no_session_cookie(r, srv)
    assert session_count(srv, user_id) == 0


def verified_user(srv, **sign_up):
    """A signed-up, signed-in user whose address counts as verified (so a mailed code or link only
    signs in, and strips nothing): (client, user id)."""
    c = srv.client()
    r = c.sign_up(unique_email("victim"), **sign_up)
    assert r.status_code == 200, r.text
    srv.execute('UPDATE "user" SET "emailVerified" = ? WHERE id = ?', True, c.user["id"])
    return c, c.user["id"]


def within(when, seconds: float, slack: float = 5.0) -> bool:
    delta = (parse_date(when) - now_utc()).total_seconds()
    return seconds - slack <= delta <= seconds + 1


# ---------------------------------------------------------------------------------------------
# ban-user, unban-user


def test_a_ban_answers_the_user_and_ends_every_session(srv, admin):
    victim = srv.client().new_user()
    other = victim.fork()
    assert session_count(srv, victim.user["id"]) == 2
    user = ban(admin, victim.user["id"], banReason="Spamming")
    assert user["banReason"] == "Spamming" and user["banExpires"] is None, user
    assert session_count(srv, victim.user["id"]) == 0
    assert victim.get_session().json() is None and other.get_session().json() is None
    assert ban_row(srv, victim.user["id"]) == {"banned": True, "banReason": "Spamming", "banExpires": None}
    seen = admin_view(admin, victim.user["id"])
    assert seen["id"] == victim.user["id"] and seen["banned"] is True and seen["banReason"] == "Spamming"


def test_a_ban_without_a_reason_says_no_reason_and_never_ends(srv, admin):
    victim = srv.client().new_user()
    user = ban(admin, victim.user["id"])
    assert user["banReason"] == "No reason" and user["banExpires"] is None, user


def test_a_ban_with_an_expiry(srv, admin):
    victim = srv.client().new_user()
    user = ban(admin, victim.user["id"], banExpiresIn=3600)
    assert within(user["banExpires"], 3600), user["banExpires"]
    assert within(ban_row(srv, victim.user["id"])["banExpires"], 3600)


def test_unban_clears_the_ban_and_lets_the_user_in(srv, admin):
    victim = srv.client().new_user()
    ban(admin, victim.user["id"], banReason="Mistake", banExpiresIn=3600)
    assert_banned(srv.client().sign_in(victim.email, victim.password), srv, victim.user["id"])
    assert_not_banned(unban(admin, victim.user["id"]))
    assert_not_banned(admin_view(admin, victim.user["id"]))
    again = srv.client()
    assert again.sign_in(victim.email, victim.password).status_code == 200
    assert_not_banned(again.session()["user"])


def test_an_expired_ban_lets_the_next_sign_in_in_and_clears_it(srv, admin):
    victim = srv.client().new_user()
    user = ban(admin, victim.user["id"], banReason="Cooling off", banExpiresIn=2)
    assert_banned(srv.client().sign_in(victim.email, victim.password), srv, victim.user["id"])
    time.sleep(max(0.0, (parse_date(user["banExpires"]) - now_utc()).total_seconds()) + 0.3)
    again = srv.client()
    r = again.sign_in(victim.email, victim.password)
    assert r.status_code == 200, r.text
    assert_not_banned(again.session()["user"])
    assert_not_banned(admin_view(admin, victim.user["id"]))
    assert ban_row(srv, victim.user["id"]) == {"banned": False, "banReason": None, "banExpires": None}


def test_banning_through_update_user_ends_sessions_and_refuses_sign_in(srv, admin):
    """Better Auth's update-user with `banned: true` revokes the sessions as ban-user does, and the
    sign-in check reads the user's `banned`, so the ban holds; `banned: false` lifts it."""
    victim = srv.client().new_user()
    r = admin.post("admin/update-user", {"userId": victim.user["id"], "data": {"banned": True, "banReason": "Via update"}})
    assert r.status_code == 200, r.text
    assert r.json()["banned"] is True and r.json()["banReason"] == "Via update", r.json()
    assert victim.get_session().json() is None
    assert_banned(srv.client().sign_in(victim.email, victim.password), srv, victim.user["id"])
    r = admin.post("admin/update-user", {"userId": victim.user["id"], "data": {"banned": False}})
    assert r.status_code == 200, r.text
    assert srv.client().sign_in(victim.email, victim.password).status_code == 200


def test_a_user_created_banned_cannot_sign_in(srv, admin):
    email = unique_email("born-banned")
    r = admin.post("admin/create-user", {"email": email, "name": "Born Banned", "password": "born-banned-1",
                                         "data": {"banned": True, "banReason": "Imported"}})
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert user["banned"] is True and user["banReason"] == "Imported", user
    assert_banned(srv.client().sign_in(email, "born-banned-1"), srv, user["id"])


def test_a_ban_written_to_the_database_refuses_the_next_sign_in_at_once(srv, admin):
    """A ban set in the database (a migrated Better Auth database, a script) holds before the
    periodic sync has seen it: the sign-in that finds it answers BANNED_USER and keeps no session."""
    c, uid = verified_user(srv)
    srv.execute('UPDATE "user" SET banned = ?, "banReason" = ? WHERE id = ?', True, "Set by SQL", uid)
    assert_banned(srv.client().sign_in(c.email, c.password), srv, uid)
    assert_banned(srv.client().sign_in(c.email, c.password), srv, uid)


def test_create_user_never_takes_a_chosen_id(srv, admin):
    email = unique_email("chosen-id")
    r = admin.post("admin/create-user", {"email": email, "name": "Chosen", "data": {"id": admin.user["id"] + "x"}})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] != admin.user["id"] + "x"
    assert srv.query('SELECT id FROM "user" WHERE id = ?', admin.user["id"] + "x") == []


# ---------------------------------------------------------------------------------------------
# every sign-in method refuses a banned user


def test_password_sign_in(srv, admin):
    c, uid = verified_user(srv)
    ban(admin, uid)
    assert_banned(srv.client().sign_in(c.email, c.password), srv, uid)
    # The ban is told only to whoever holds the password.
    assert_error(srv.client().sign_in(c.email, "not-the-password"), 401, "INVALID_EMAIL_OR_PASSWORD")


def test_username_sign_in(srv, admin):
    username = "banned_" + uuid.uuid4().hex[:10]
    c, uid = verified_user(srv, username=username)
    signed_in = srv.client().post("sign-in/username", {"username": username, "password": c.password})
    assert signed_in.status_code == 200, signed_in.text
    ban(admin, uid)
    r = srv.client().post("sign-in/username", {"username": username, "password": c.password})
    assert_banned(r, srv, uid)


def test_email_otp_sign_in_still_mails_the_code(srv, admin, smtp_sink):
    c, uid = verified_user(srv)
    ban(admin, uid)
    browser = srv.client()
    code = send_code(browser, smtp_sink, c.email)
    assert_banned(sign_in_with_code(browser, c.email, code), srv, uid)


def test_magic_link_still_mails_the_link(srv, admin, smtp_sink):
    c, uid = verified_user(srv)
    ban(admin, uid)
    browser = srv.client()
    link = request_link(browser, smtp_sink, c.email, callbackURL="/dashboard")
    assert_banned(browser.get(link), srv, uid)
    assert browser.get_session().json() is None


def test_social_sign_in_goes_to_the_error_url(srv, admin, idp):  # noqa: F811 (idp is a fixture)
    sub, _ = new_subject(idp)
    first = srv.client()
    assert run_flow(idp, first, sub).status_code == 302
    uid = first.session()["user"]["id"]
    ban(admin, uid)

    # An ID token from a mobile SDK gets a JSON answer.
    token = idp.id_token_for(sub, nonce="n-ban")
    r = srv.client().post("sign-in/social", {"provider": "mock", "idToken": {"token": token, "nonce": "n-ban"}})
    assert_error(r, 403, "BANNED_USER", BANNED_MESSAGE)
    assert_banned(r, srv, uid)

    # The browser coming back from the provider is sent to the error URL, as every callback failure is.
    browser = srv.client()
    r = run_flow(idp, browser, sub, errorCallbackURL="https://trusted.com/auth-error")
    assert_banned(r, srv, uid)
    assert r.status_code == 302, r.text
    location = r.headers["Location"]
    assert location.split("?")[0] == "https://trusted.com/auth-error", location
    assert query_of(location) == {"error": "BANNED_USER", "error_description": BANNED_MESSAGE}, location
    assert browser.get_session().json() is None


def test_passkey_registered_before_the_ban(srv, admin):
    c, uid = verified_user(srv)
    authenticator = SoftAuthenticator()
    _, _, registered = register_passkey(c, authenticator)
    assert registered.status_code == 200, registered.text
    ban(admin, uid)
    _, _, r = sign_in_with_passkey(srv.client(), authenticator)
    assert_banned(r, srv, uid)


def test_one_time_token_issued_before_the_ban(srv, admin):
    owner, uid = verified_user(srv)
    token = generate_one_time_token(owner)
    ban(admin, uid)
    browser, r = verify_one_time_token(srv, token)
    assert_error(r, 400, "SESSION_NOT_FOUND")  # the ban ended the session the token would hand over
    assert_no_session_cookie(r, srv)
    assert browser.get_session().json() is None and session_count(srv, uid) == 0


def test_siwe_wallet(srv, admin):
    wallet = Account.create()

    def sign_in_with_wallet(c):
        text = siwe_message(srv, wallet, siwe_nonce(c))
        return siwe_verify(c, text, siwe_sign(wallet, text))

    first = srv.client()
    r = sign_in_with_wallet(first)
    assert r.status_code == 200, r.text
    uid = r.json()["user"]["id"]
    ban(admin, uid)
    assert_banned(sign_in_with_wallet(srv.client()), srv, uid)


def test_impersonating_a_banned_user_makes_no_session(srv, admin, audit):
    c, uid = verified_user(srv)
    ban(admin, uid)
    operator = admin.fork()
    mark = audit.mark()
    r = operator.post("admin/impersonate-user", {"userId": uid})
    assert_banned(r, srv, uid)
    assert operator.session()["user"]["id"] == admin.user["id"], "the administrator keeps their own session"
    assert audit.since(mark) == []


# ---------------------------------------------------------------------------------------------
# the settings' defaults


def test_default_role_for_new_users(defaults, defaults_admin, smtp_sink, srv):
    c = defaults.client()
    r = c.sign_up(unique_email("member"))
    assert r.status_code == 200, r.text
    assert r.json()["user"]["role"] == "member", r.json()
    assert c.session()["user"]["role"] == "member"
    assert defaults.query('SELECT role FROM "user" WHERE id = ?', c.user["id"]) == [{"role": "member"}]

    # A user a plugin makes (an e-mailed code's sign-up) and one an administrator makes get it too.
    email = unique_email("otp-member")
    browser = defaults.client()
    r = sign_in_with_code(browser, email, send_code(browser, smtp_sink, email))
    assert r.status_code == 200, r.text
    assert defaults.query('SELECT role FROM "user" WHERE email = ?', email) == [{"role": "member"}]
    r = defaults_admin.post("admin/create-user", {"email": unique_email("made"), "name": "Made", "password": "made-by-admin-1"})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["role"] == "member"

    # Without the setting the role is "user".
    plain = srv.client()
    assert plain.sign_up(unique_email("plain")).json()["user"]["role"] == "user"


def test_default_ban_reason_expiry_and_message(defaults, defaults_admin):
    victim = defaults.client().new_user()
    user = ban(defaults_admin, victim.user["id"])
    assert user["banReason"] == "Spam" and within(user["banExpires"], 2), user
    r = defaults.client().sign_in(victim.email, victim.password)
    assert_banned(r, defaults, victim.user["id"], STOCK_BANNED_MESSAGE)
    # A reason and an expiry in the request win over the defaults.
    user = ban(defaults_admin, victim.user["id"], banReason="Fraud", banExpiresIn=3600)
    assert user["banReason"] == "Fraud" and within(user["banExpires"], 3600), user


# ---------------------------------------------------------------------------------------------
# audit events


def the_event(audit, mark, name, actor, user_id) -> dict:
    """The one event `name` since `mark`, and nothing else; its payload names the actor and the user."""
    events = audit.since(mark)
    assert [e["name"] for e in events] == [name], events
    event = events[0]
    assert event["source"] == "admin", event
    payload = event["payload"]
    assert payload["actorUserId"] == actor and payload["userId"] == user_id, payload
    return payload


def assert_no_secret(event_payload, *secrets):
    text = json.dumps(event_payload)
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked into {text}"


def test_create_update_role_and_password_are_announced(srv, admin, audit):
    actor = admin.user["id"]
    mark = audit.mark()
    r = admin.post("admin/create-user", {"email": unique_email("made"), "name": "Made", "password": "first-password-1"})
    assert r.status_code == 200, r.text
    made = r.json()["user"]
    assert_no_secret(the_event(audit, mark, "admin.user.created", actor, made["id"]), "first-password-1")

    mark = audit.mark()
    r = admin.post("admin/update-user", {"userId": made["id"], "data": {"name": "Renamed"}})
    assert r.status_code == 200 and r.json()["name"] == "Renamed", r.text
    the_event(audit, mark, "admin.user.updated", actor, made["id"])

    mark = audit.mark()
    r = admin.post("admin/set-role", {"userId": made["id"], "role": "admin"})
    assert r.status_code == 200 and r.json()["user"]["role"] == "admin", r.text
    the_event(audit, mark, "admin.user.role.set", actor, made["id"])

    mark = audit.mark()
    r = admin.post("admin/set-user-password", {"userId": made["id"], "newPassword": "second-password-2"})
    assert r.status_code == 200 and r.json() == {"status": True}, r.text
    assert_no_secret(the_event(audit, mark, "admin.user.password.set", actor, made["id"]), "second-password-2")
    assert srv.client().sign_in(made["email"], "second-password-2").status_code == 200


def test_ban_and_unban_are_announced(srv, admin, audit):
    victim = srv.client().new_user()
    mark = audit.mark()
    ban(admin, victim.user["id"], banReason="Audit")
    the_event(audit, mark, "admin.user.banned", admin.user["id"], victim.user["id"])
    mark = audit.mark()
    unban(admin, victim.user["id"])
    the_event(audit, mark, "admin.user.unbanned", admin.user["id"], victim.user["id"])


def test_role_and_ban_set_through_update_user_are_announced_too(srv, admin, audit):
    victim = srv.client().new_user()
    uid, actor = victim.user["id"], admin.user["id"]
    mark = audit.mark()
    r = admin.post("admin/update-user", {"userId": uid, "data": {"role": "admin", "banned": True}})
    assert r.status_code == 200, r.text
    names = [e["name"] for e in audit.since(mark)]
    assert sorted(names) == ["admin.user.banned", "admin.user.role.set", "admin.user.updated"], names
    mark = audit.mark()
    assert admin.post("admin/update-user", {"userId": uid, "data": {"banned": False}}).status_code == 200
    assert sorted(e["name"] for e in audit.since(mark)) == ["admin.user.unbanned", "admin.user.updated"]


def test_session_revocations_are_announced(srv, admin, audit):
    victim = srv.client().new_user()
    second = victim.fork()
    mark = audit.mark()
    r = admin.post("admin/revoke-user-session", {"sessionToken": victim.token})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert_no_secret(the_event(audit, mark, "admin.session.revoked", admin.user["id"], victim.user["id"]), victim.token)
    assert victim.get_session().json() is None and second.session() is not None

    third = victim.fork()
    mark = audit.mark()
    r = admin.post("admin/revoke-user-sessions", {"userId": victim.user["id"]})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert_no_secret(the_event(audit, mark, "admin.session.revoked", admin.user["id"], victim.user["id"]),
                     second.token, third.token)
    assert session_count(srv, victim.user["id"]) == 0


def test_impersonation_is_announced_when_it_starts_and_stops(srv, admin, audit):
    target = srv.client().new_user()
    operator = admin.fork()
    own_token = operator.token
    mark = audit.mark()
    r = operator.post("admin/impersonate-user", {"userId": target.user["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == target.user["id"] and operator.session()["user"]["id"] == target.user["id"]
    impersonation = operator.token
    rows = srv.query('SELECT "impersonatedBy" FROM "session" WHERE token = ?', impersonation)
    assert rows == [{"impersonatedBy": admin.user["id"]}]
    assert_no_secret(the_event(audit, mark, "admin.impersonation.started", admin.user["id"], target.user["id"]),
                     impersonation, own_token)

    mark = audit.mark()
    r = operator.post("admin/stop-impersonating")
    assert r.status_code == 200, r.text
    assert operator.token == own_token and operator.session()["user"]["id"] == admin.user["id"]
    assert srv.query('SELECT id FROM "session" WHERE token = ?', impersonation) == []
    assert_no_secret(the_event(audit, mark, "admin.impersonation.stopped", admin.user["id"], target.user["id"]),
                     impersonation, own_token)


def test_remove_user_is_announced(srv, admin, audit):
    leaver = srv.client().new_user()
    mark = audit.mark()
    r = admin.post("admin/remove-user", {"userId": leaver.user["id"]})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    the_event(audit, mark, "admin.user.removed", admin.user["id"], leaver.user["id"])
    assert srv.query('SELECT id FROM "user" WHERE id = ?', leaver.user["id"]) == []


# Each admin route a plain user may not call, with its Better Auth code.
FORBIDDEN = [
    ("admin/create-user", lambda t: {"email": unique_email("nope"), "name": "Nope", "password": "plain-password-1"},
     "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS"),
    ("admin/update-user", lambda t: {"userId": t, "data": {"name": "Hijacked"}}, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"),
    ("admin/set-role", lambda t: {"userId": t, "role": "admin"}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"),
    ("admin/ban-user", lambda t: {"userId": t}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
    ("admin/unban-user", lambda t: {"userId": t}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
    ("admin/set-user-password", lambda t: {"userId": t, "newPassword": "hijacked-password"},
     "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"),
    ("admin/remove-user", lambda t: {"userId": t}, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS"),
    ("admin/revoke-user-sessions", lambda t: {"userId": t}, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"),
    ("admin/impersonate-user", lambda t: {"userId": t}, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS"),
]


@pytest.mark.parametrize("path,body,code", FORBIDDEN, ids=[f[0].split("/")[1] for f in FORBIDDEN])
def test_a_plain_user_is_refused_and_nothing_is_announced(srv, admin, audit, path, body, code):
    target = srv.client().new_user()
    plain = srv.client().new_user()
    users_before = srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"]
    mark = audit.mark()
    assert_error(plain.post(path, body(target.user["id"])), 403, code)
    assert audit.since(mark) == []
    # Nothing changed: the target keeps its name, role, password and session; nobody was made.
    assert srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"] == users_before
    assert target.session()["user"]["name"] == "Test User"
    assert admin_view(admin, target.user["id"])["role"] == "user"
    assert_not_banned(admin_view(admin, target.user["id"]))
    assert srv.client().sign_in(target.email, target.password).status_code == 200
    assert plain.session()["user"]["id"] == plain.user["id"]
    # Revoking a session by its token is refused too.
    mark = audit.mark()
    assert_error(plain.post("admin/revoke-user-session", {"sessionToken": target.token}), 403,
                 "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS")
    assert audit.since(mark) == [] and target.session() is not None


def test_bad_input_is_refused_and_nothing_is_announced(srv, admin, audit):
    target = srv.client().new_user()
    uid = target.user["id"]
    taken = target.email
    refusals = [
        ("admin/ban-user", {"userId": uid, "banExpiresIn": "soon"}, 400, None),
        ("admin/ban-user", {"userId": uid, "banReason": 42}, 400, None),
        ("admin/ban-user", {"userId": admin.user["id"]}, 400, "YOU_CANNOT_BAN_YOURSELF"),
        ("admin/ban-user", {"userId": "no-such-user"}, 404, "USER_NOT_FOUND"),
        ("admin/unban-user", {"userId": "no-such-user"}, 404, "USER_NOT_FOUND"),
        ("admin/update-user", {"userId": uid, "data": {}}, 400, "NO_DATA_TO_UPDATE"),
        ("admin/update-user", {"userId": uid, "data": {"password": "plain-text-1"}}, 400,
         "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER"),
        ("admin/set-role", {"userId": uid, "role": 5}, 400, None),
        ("admin/set-user-password", {"userId": uid, "newPassword": ""}, 400, None),
        ("admin/set-user-password", {"userId": uid, "newPassword": "short"}, 400, "PASSWORD_TOO_SHORT"),
        ("admin/create-user", {"email": "not-an-address", "name": "X", "password": "long-enough-1"}, 400, "INVALID_EMAIL"),
        ("admin/create-user", {"email": taken, "name": "X", "password": "long-enough-1"}, 400,
         "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"),
        ("admin/remove-user", {"userId": admin.user["id"]}, 400, "YOU_CANNOT_REMOVE_YOURSELF"),
        ("admin/remove-user", {"userId": "no-such-user"}, 404, "USER_NOT_FOUND"),
        ("admin/impersonate-user", {"userId": "no-such-user"}, 404, "USER_NOT_FOUND"),
        ("admin/stop-impersonating", {}, 400, None),
    ]
    for path, body, status, code in refusals:
        mark = audit.mark()
        assert_error(admin.post(path, body), status, code)
        assert audit.since(mark) == [], (path, body)
    assert_not_banned(admin_view(admin, uid))
    assert admin_view(admin, uid)["role"] == "user"
    assert srv.client().sign_in(target.email, target.password).status_code == 200
    assert target.session() is not None and admin.session()["user"]["id"] == admin.user["id"]
    assert srv.query('SELECT COUNT(*) AS n FROM "user" WHERE email = ?', "not-an-address") == [{"n": 0}]


def test_no_session_is_unauthorized(srv, audit):
    mark = audit.mark()
    for path in ("admin/ban-user", "admin/unban-user", "admin/create-user", "admin/remove-user"):
        assert_error(srv.client().post(path, {"userId": "x", "email": unique_email(), "name": "X"}), 401)
    assert audit.since(mark) == []
