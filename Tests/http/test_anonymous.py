"""anonymous plugin (issue 20): guests sign in without an address, and their anonymous user goes away
when the same browser signs in for real (sign-up, e-mail, e-mail OTP, magic link, social).

The anonymous plugin is not in the default set: these tests load anonymous.so next to magic-link.so
and email-otp.so (and the host-probe fixture, when built, to watch events). A requests session with
its own cookie jar plays the browser; the mail comes from the aiosmtpd sink. Better Auth 1.7.1's
plugins/anonymous is the reference; beyond it, nothing is ever mailed to a placeholder address.
"""
import re
import shutil
import time

import pytest

from conftest import assert_error, gatehouse_bin, set_cookie_map, unique_email, wait_until
from test_bearer import built_library
from test_email_otp import send_code, sign_in_with_code
from test_magic_link import assert_redirect, cookie_session, openapi_has, request_link, session_count
from test_social import idp, new_subject, run_flow, social_config  # noqa: F401 (idp is a fixture)

NOT_AGAIN = "ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY"
RESET_MESSAGE = "If this email exists in our system, check your email for the reset link"


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("anonymous-plugins")
    for name in ("anonymous", "magic-link", "email-otp"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    probe = gatehouse_bin().parent / "libhost-probe.so"
    if probe.exists():  # records the events the plugins send (test_linking_announces_anonymous_linked)
        shutil.copy(probe, plugins / "host-probe.so")
    return plugins


def anonymous_server(server_factory, plugins_dir, settings=None, **overrides):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"anonymous": settings or {}}, **overrides},
                          name="anonymous")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir, idp):
    return anonymous_server(server_factory, plugins_dir, **social_config(idp))


# ---------------------------------------------------------------------------------------------
# helpers


def sign_in_anonymously(c) -> dict:
    r = c.post("sign-in/anonymous")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token", "user"}, body
    assert body["token"] == c.token, "the answer's token is the session cookie's"
    user = body["user"]
    assert user["isAnonymous"] is True and user["emailVerified"] is False and user["name"] == "Anonymous", user
    return body


def anonymous_browser(srv):
    """A browser signed in anonymously: (client, anonymous user id, its session cookie value)."""
    c = srv.client()
    body = sign_in_anonymously(c)
    return c, body["user"]["id"], c.session_cookie


def is_anonymous_in_db(srv, user_id) -> bool:
    return bool(int(srv.query('SELECT "isAnonymous" FROM "user" WHERE id = ?', user_id)[0]["isAnonymous"]))


def anonymous_user_gone(srv, user_id) -> bool:
    return (srv.query('SELECT id FROM "user" WHERE id = ?', user_id) == []
            and srv.query('SELECT id FROM "session" WHERE "userId" = ?', user_id) == [])


def assert_anonymous_gone(srv, user_id, old_cookie):
    assert wait_until(lambda: anonymous_user_gone(srv, user_id), timeout=3), "the anonymous user or its sessions remain"
    assert cookie_session(srv, old_cookie) is None, "the old anonymous session still answers"


def recorded_events(srv) -> list[dict]:
    r = srv.client().post("host-probe", {"op": "recordedEvents"})
    assert r.status_code == 200, r.text
    return r.json()["answer"]


# ---------------------------------------------------------------------------------------------
# sign-in


def test_anonymous_sign_in(srv):
    c = srv.client()
    body = sign_in_anonymously(c)
    user = body["user"]
    assert re.fullmatch(r"temp@[A-Za-z0-9]{32}\.com", user["email"]), user["email"]
    me = c.session()
    assert me["user"]["id"] == user["id"] and me["user"]["isAnonymous"] is True
    assert me["user"]["email"] == user["email"] and me["session"]["token"] == body["token"]
    assert is_anonymous_in_db(srv, user["id"])
    assert srv.query('SELECT id FROM account WHERE "userId" = ?', user["id"]) == [], "an anonymous user has no password"
    # Another browser is another anonymous user with another placeholder.
    other = sign_in_anonymously(srv.client())["user"]
    assert other["id"] != user["id"] and other["email"] != user["email"]


def test_the_placeholder_uses_the_email_domain_name(server_factory, plugins_dir):
    srv = anonymous_server(server_factory, plugins_dir, {"emailDomainName": "guests.example.org"})
    user = sign_in_anonymously(srv.client())["user"]
    assert re.fullmatch(r"temp-[A-Za-z0-9]{32}@guests\.example\.org", user["email"]), user["email"]


def test_an_anonymous_session_cannot_sign_in_anonymously_again(srv):
    c, anon_id, cookie = anonymous_browser(srv)
    users_before = srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"]
    r = c.post("sign-in/anonymous")
    assert_error(r, 400, NOT_AGAIN)
    assert c.session_cookie == cookie, "the refusal leaves the session alone"
    assert srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"] == users_before
    assert c.session()["user"]["id"] == anon_id
    assert session_count(srv, anon_id) == 1


def test_real_users_are_not_anonymous(srv):
    assert "isAnonymous" in srv.columns("user")
    c = srv.client().new_user()
    assert c.user["isAnonymous"] is False
    assert c.session()["user"]["isAnonymous"] is False
    assert is_anonymous_in_db(srv, c.user["id"]) is False


def test_an_anonymous_user_has_no_password(srv):
    c, anon_id, _ = anonymous_browser(srv)
    placeholder = c.session()["user"]["email"]
    for password in ("Anonymous", "correct-horse-battery", placeholder):
        assert_error(srv.client().post("sign-in/email", {"email": placeholder, "password": password}),
                     401, "INVALID_EMAIL_OR_PASSWORD")
    assert srv.query('SELECT id FROM account WHERE "userId" = ?', anon_id) == []


# ---------------------------------------------------------------------------------------------
# linking: the same browser signs in for real


def link_by_sign_up(srv, sink, idp, c):
    email = unique_email("linked")
    r = c.sign_up(email, name="Linked Up")
    assert r.status_code == 200, r.text
    return email, None


def link_by_email_sign_in(srv, sink, idp, c):
    existing = srv.client().new_user()
    r = c.sign_in(existing.email, existing.password)
    assert r.status_code == 200, r.text
    return existing.email, existing.user["id"]


def link_by_email_otp(srv, sink, idp, c):
    email = unique_email("linked-otp")
    r = sign_in_with_code(c, email, send_code(c, sink, email))
    assert r.status_code == 200, r.text
    return email, None


def link_by_magic_link(srv, sink, idp, c):
    email = unique_email("linked-link")
    assert_redirect(c.get(request_link(c, sink, email, callbackURL="/dashboard")), srv, "/dashboard")
    return email, None


def link_by_social(srv, sink, idp, c):
    sub, email = new_subject(idp)
    r = run_flow(idp, c, sub, callbackURL="/dashboard")
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard", (r.status_code, r.headers.get("Location"))
    return email, None


LINKS = {"sign-up": link_by_sign_up, "email-sign-in": link_by_email_sign_in, "email-otp": link_by_email_otp,
         "magic-link": link_by_magic_link, "social": link_by_social}


@pytest.mark.parametrize("method", list(LINKS))
def test_signing_in_for_real_deletes_the_anonymous_user(srv, smtp_sink, idp, method):
    c, anon_id, old_cookie = anonymous_browser(srv)
    email, known_id = LINKS[method](srv, smtp_sink, idp, c)
    me = c.session()
    assert me["user"]["email"] == email.lower() and me["user"]["id"] != anon_id
    assert me["user"]["isAnonymous"] is False
    if known_id:
        assert me["user"]["id"] == known_id
    assert c.session_cookie != old_cookie
    assert_anonymous_gone(srv, anon_id, old_cookie)
    assert c.session()["user"]["id"] == me["user"]["id"], "the new session stays"


def test_linking_announces_anonymous_linked(srv):
    built_library("host-probe")
    c, anon_id, _ = anonymous_browser(srv)
    r = c.sign_up(unique_email("announced"))
    assert r.status_code == 200, r.text
    new_id = r.json()["user"]["id"]

    def linked():
        return [e for e in recorded_events(srv)
                if e["name"] == "anonymous.linked" and e["payload"].get("anonymousUserId") == anon_id]

    events = wait_until(linked, timeout=3)
    assert len(events) == 1, events
    assert events[0]["source"] == "anonymous"
    payload = events[0]["payload"]
    assert {k: payload.get(k) for k in ("anonymousUserId", "userId")} == {"anonymousUserId": anon_id, "userId": new_id}
    # Besides the two ids, only the request facts every plugin event carries.
    assert set(payload) <= {"anonymousUserId", "userId", "ipAddress", "userAgent"}, payload


def test_a_non_anonymous_session_is_not_linked(srv):
    real = srv.client().new_user()
    other = srv.client().new_user()
    r = real.sign_in(other.email, other.password)
    assert r.status_code == 200, r.text
    assert srv.query('SELECT id FROM "user" WHERE id = ?', real.user["id"]) != [], "a real user is never deleted"


def test_the_anonymous_user_is_kept_when_deletion_is_disabled(server_factory, plugins_dir):
    srv = anonymous_server(server_factory, plugins_dir, {"disableDeleteAnonymousUser": True})
    c, anon_id, old_cookie = anonymous_browser(srv)
    email = unique_email("kept")
    assert c.sign_up(email).status_code == 200
    assert c.session()["user"]["email"] == email.lower()
    time.sleep(0.5)  # give a wrongful deletion its chance
    assert srv.query('SELECT id FROM "user" WHERE id = ?', anon_id) != []
    assert is_anonymous_in_db(srv, anon_id)
    assert session_count(srv, anon_id) == 1
    kept = cookie_session(srv, old_cookie)
    assert kept is not None and kept["user"]["id"] == anon_id
    # And it cannot be deleted by its owner either.
    r = srv.client().post("delete-anonymous-user", cookies=f"{srv.cookie_name()}={old_cookie}")
    assert_error(r, 400, "DELETE_ANONYMOUS_USER_DISABLED")
    assert srv.query('SELECT id FROM "user" WHERE id = ?', anon_id) != []


# ---------------------------------------------------------------------------------------------
# delete-anonymous-user


def test_delete_anonymous_user(srv):
    c, anon_id, old_cookie = anonymous_browser(srv)
    r = c.post("delete-anonymous-user")
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True}
    cleared = set_cookie_map(r).get(srv.cookie_name())
    assert cleared is not None and cleared.is_deletion, r.headers.get("Set-Cookie")
    assert c.get_session().json() is None
    assert anonymous_user_gone(srv, anon_id)
    assert cookie_session(srv, old_cookie) is None


def test_delete_anonymous_user_refuses_real_users_and_strangers(srv):
    real = srv.client().new_user()
    assert_error(real.post("delete-anonymous-user"), 403, "USER_IS_NOT_ANONYMOUS")
    assert srv.query('SELECT id FROM "user" WHERE id = ?', real.user["id"]) != []
    assert real.session() is not None
    assert_error(srv.client().post("delete-anonymous-user"), 401, "UNAUTHORIZED")


# ---------------------------------------------------------------------------------------------
# nothing is mailed to a placeholder


def mail_requests(address: str) -> list[tuple[str, dict]]:
    return [
        ("send-verification-email", {"email": address, "callbackURL": "/"}),
        ("request-password-reset", {"email": address, "redirectTo": "/reset"}),
        ("sign-in/magic-link", {"email": address, "callbackURL": "/"}),
        ("email-otp/send-verification-otp", {"email": address, "type": "sign-in"}),
        ("email-otp/send-verification-otp", {"email": address, "type": "email-verification"}),
        ("email-otp/send-verification-otp", {"email": address, "type": "forget-password"}),
        ("email-otp/request-password-reset", {"email": address}),
        ("forget-password/email-otp", {"email": address}),
    ]


def test_nothing_is_ever_mailed_to_a_placeholder_address(srv, smtp_sink):
    anon, anon_id, _ = anonymous_browser(srv)
    placeholder = anon.session()["user"]["email"]
    real = srv.client().new_user()  # registered and unverified: every one of these requests mails it
    for (path, to_real), (_, to_placeholder) in zip(mail_requests(real.email), mail_requests(placeholder)):
        a = srv.client().post(path, to_real)
        b = srv.client().post(path, to_placeholder)
        assert a.status_code == 200, (path, a.text)
        assert (b.status_code, b.json()) == (a.status_code, a.json()), (path, to_placeholder, b.text)
    # The anonymous user asking for its own verification mail is answered as usual too.
    r = anon.post("send-verification-email", {"email": placeholder})
    assert r.status_code == 200 and r.json() == {"status": True}, r.text
    smtp_sink.wait_for(real.email, count=len(mail_requests(real.email)))
    time.sleep(1.0)
    assert smtp_sink.for_rcpt(placeholder) == [], [m.subject for m in smtp_sink.for_rcpt(placeholder)]
    # None of it touched the anonymous user.
    assert anon.session()["user"]["id"] == anon_id and is_anonymous_in_db(srv, anon_id)
    assert bool(int(srv.query('SELECT "emailVerified" FROM "user" WHERE id = ?', anon_id)[0]["emailVerified"])) is False
    # And no code or link was left behind for the placeholder, so none can be guessed and used.
    left = srv.query('SELECT "identifier" FROM "verification" WHERE "identifier" LIKE ? OR "value" LIKE ?',
                     f"%{placeholder}", f"%{placeholder}%")
    assert left == [], left


def test_the_email_domain_placeholder_gets_no_mail_either(server_factory, plugins_dir, smtp_sink):
    srv = anonymous_server(server_factory, plugins_dir, {"emailDomainName": "guests.example.org"})
    placeholder = sign_in_anonymously(srv.client())["user"]["email"]
    for path, body in mail_requests(placeholder):
        r = srv.client().post(path, body)
        assert r.status_code == 200, (path, r.text)
    time.sleep(1.0)
    assert smtp_sink.for_rcpt(placeholder) == []


# ---------------------------------------------------------------------------------------------
# bad input, OpenAPI


def test_odd_input_never_gets_a_5xx(srv):
    c = srv.client()
    answers = [c.post("sign-in/anonymous", {"email": "x@example.com", "isAnonymous": False, "name": 5}),
               c.post("sign-in/anonymous", data=b"{oops", headers={"content-type": "application/json"}),
               c.post("sign-in/anonymous", data=b"[]", headers={"content-type": "application/json"}),
               srv.client().post("delete-anonymous-user", {"userId": "x"})]
    assert [r.status_code for r in answers if r.status_code >= 500] == []
    # A body cannot make a user that is not anonymous, or name it.
    if answers[0].status_code == 200:
        user = answers[0].json()["user"]
        assert user["isAnonymous"] is True and user["email"] != "x@example.com" and user["name"] == "Anonymous"


@pytest.mark.parametrize("settings, key", [({"emailDomainName": "not a domain!"}, "emailDomainName"),
                                           ({"disableDeleteAnonymousUser": "yes"}, "disableDeleteAnonymousUser"),
                                           ({"onLinkAccount": "x"}, "onLinkAccount")])
def test_bad_settings_keep_the_plugin_out(server, plugins_dir, settings, key):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"anonymous": settings}})
    assert f"plugins.anonymous.{key}" in srv.logs()
    assert srv.client().post("sign-in/anonymous").status_code == 404


def test_routes_are_in_the_openapi_document(srv):
    assert openapi_has(srv, "post", "/sign-in/anonymous")
    assert openapi_has(srv, "post", "/delete-anonymous-user")
