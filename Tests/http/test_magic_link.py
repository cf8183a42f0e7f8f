"""magic-link plugin (issue 20): POST /sign-in/magic-link mails a link, GET /magic-link/verify uses it once.

A real server loads magic-link.so; a requests session with its own cookie jar (redirects never
followed) plays the browser, and the links come from the mails an aiosmtpd sink received.
Better Auth 1.7.1's plugins/magic-link is the reference for the wire details.
"""
import re
import shutil
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import assert_error, set_cookie_map, unique_email, verify_signed_value
from test_bearer import built_library

VERIFY = "/magic-link/verify"
EVIL = "https://evil.com/steal"
REDIRECT_FIELDS = [("callbackURL", "INVALID_CALLBACK_URL"),
                   ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
                   ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL")]


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("magic-link-plugins")
    shutil.copy(built_library("magic-link"), plugins / "magic-link.so")
    return plugins


def magic_link_server(server_factory, plugins_dir, **settings):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"magic-link": settings}}, name="magic-link")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return magic_link_server(server_factory, plugins_dir)


# ---------------------------------------------------------------------------------------------
# helpers (test_anonymous imports them)

def mail_count(sink, address: str) -> int:
    return len(sink.for_rcpt(address))


def link_in(srv, mail) -> str:
    """The verify link of a magic-link mail: the full URL on the server's baseURL and basePath."""
    link = mail.link_containing(VERIFY + "?")
    assert link.startswith(srv.base_url + srv.base_path + VERIFY + "?"), link
    return link


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def with_query(url: str, **changes) -> str:
    """`url` with query parameters replaced or added (a value of None removes one)."""
    parts = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(parts.query))
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = v
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def request_link(c, sink, email: str, **body) -> str:
    """POST /sign-in/magic-link from browser `c`: answered {status: true}; returns the mailed link."""
    before = mail_count(sink, email)
    r = c.post("sign-in/magic-link", {"email": email, **body})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": True}
    return link_in(c.server, sink.wait_for(email, count=before + 1))


def redirect_of(r, srv) -> tuple[str, str, dict]:
    """(origin, path, query) of a 302; a relative Location counts as the server's own origin."""
    assert r.status_code == 302, f"expected 302, got {r.status_code}: {r.text[:300]}"
    loc = urllib.parse.urlsplit(r.headers["Location"])
    origin = f"{loc.scheme}://{loc.netloc}" if loc.scheme else srv.origin
    return origin, loc.path, dict(urllib.parse.parse_qsl(loc.query, keep_blank_values=True))


def assert_redirect(r, srv, path: str, query: dict | None = None, origin: str | None = None):
    got = redirect_of(r, srv)
    assert got == (origin or srv.origin, path, query or {}), r.headers["Location"]


def assert_signed_in(r, c, email: str) -> dict:
    """The answer set a valid signed session cookie, and the browser's session is `email`'s."""
    cookie = set_cookie_map(r).get(c.server.cookie_name())
    assert cookie is not None and not cookie.is_deletion, f"no session cookie: {r.headers.get('Set-Cookie')}"
    token = verify_signed_value(cookie.value, c.server.secret)
    assert token, cookie.value
    me = c.session()
    assert me is not None and me["user"]["email"] == email.lower(), me
    assert me["session"]["token"] == token
    return me


def assert_no_session_cookie(r, srv):
    cookie = set_cookie_map(r).get(srv.cookie_name())
    assert cookie is None or cookie.is_deletion, f"a session cookie was set: {cookie}"


def user_rows(srv, email: str) -> list[dict]:
    return srv.query('SELECT id, name, "emailVerified" FROM "user" WHERE email = ?', email.lower())


def session_count(srv, user_id: str) -> int:
    return srv.query('SELECT COUNT(*) AS n FROM "session" WHERE "userId" = ?', user_id)[0]["n"]


def verification_rows_naming(srv, text: str) -> int:
    return srv.query("SELECT COUNT(*) AS n FROM verification WHERE identifier LIKE ? OR value LIKE ?",
                     f"%{text}%", f"%{text}%")[0]["n"]


def cookie_session(srv, cookie_value: str):
    """get-session from a fresh browser that carries only this session cookie."""
    r = srv.client().get("get-session", cookies=f"{srv.cookie_name()}={cookie_value}")
    assert r.status_code == 200, r.text
    return r.json()


def verified_user(srv, sink):
    """A signed-up user whose address is verified through the core verify-email link."""
    c = srv.client().new_user()
    before = mail_count(sink, c.email)
    r = c.post("send-verification-email", {"email": c.email, "callbackURL": "/"})
    assert r.status_code == 200, r.text
    link = sink.wait_for(c.email, count=before + 1, contains="/verify-email?").link_containing("/verify-email?")
    assert srv.client().get(link).status_code == 302
    assert bool(int(user_rows(srv, c.email)[0]["emailVerified"])) is True
    return c


def openapi_has(srv, method: str, path: str) -> bool:
    paths = srv.client().get("openapi.json").json()["paths"]
    found = [p for p in (path, srv.base_path + path) if p in paths]
    return bool(found) and method in paths[found[0]]


# ---------------------------------------------------------------------------------------------
# the flow end to end


def test_a_registered_user_signs_in_with_the_mailed_link_once(srv, smtp_sink):
    owner = verified_user(srv, smtp_sink)
    browser = srv.client()
    link = request_link(browser, smtp_sink, owner.email, callbackURL="/dashboard")
    q = query_of(link)
    assert set(q) == {"token", "callbackURL"} and q["callbackURL"] == "/dashboard", link
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", q["token"]), q["token"]
    assert browser.session_cookie is None, "asking for a link signs nobody in"

    r = browser.get(link)
    assert_redirect(r, srv, "/dashboard")
    me = assert_signed_in(r, browser, owner.email)
    assert me["user"]["id"] == owner.user["id"]
    assert session_count(srv, owner.user["id"]) == 2  # the sign-up's and the link's

    # Single use: the same link again, from another browser, is an error and no session.
    other = srv.client()
    r = other.get(link)
    assert_redirect(r, srv, "/dashboard", {"error": "INVALID_TOKEN"})
    assert_no_session_cookie(r, srv)
    assert other.get_session().json() is None
    assert session_count(srv, owner.user["id"]) == 2


def test_the_default_callback_is_the_root(srv, smtp_sink):
    owner = srv.client().new_user()
    browser = srv.client()
    link = request_link(browser, smtp_sink, owner.email)
    assert set(query_of(link)) == {"token", "callbackURL"} and query_of(link)["callbackURL"] == "/", link
    r = browser.get(link)
    assert_redirect(r, srv, "/")
    assert_signed_in(r, browser, owner.email)
    # A used token with no error target goes to the callback, that is the root, with the error.
    assert_redirect(srv.client().get(link), srv, "/", {"error": "INVALID_TOKEN"})


def test_empty_targets_count_as_none(srv, smtp_sink):
    """As in Better Auth, where "" is falsy: an empty target is no target, so the default applies."""
    owner = srv.client().new_user()
    link = request_link(srv.client(), smtp_sink, owner.email, callbackURL="", errorCallbackURL="", newUserCallbackURL="")
    assert set(query_of(link)) == {"token", "callbackURL"} and query_of(link)["callbackURL"] == "/", link


def test_an_unknown_address_signs_up_with_its_name_and_lands_on_the_new_user_callback(srv, smtp_sink):
    email = unique_email("newcomer")
    browser = srv.client()
    link = request_link(browser, smtp_sink, email, name="Ada Lovelace", callbackURL="/dashboard",
                        newUserCallbackURL="/welcome", errorCallbackURL="/login-failed")
    q = query_of(link)
    assert {k: v for k, v in q.items() if k != "token"} == {
        "callbackURL": "/dashboard", "newUserCallbackURL": "/welcome", "errorCallbackURL": "/login-failed"}, link
    assert user_rows(srv, email) == [], "the user is created when the link is used, not when it is asked for"

    r = browser.get(link)
    assert_redirect(r, srv, "/welcome")
    me = assert_signed_in(r, browser, email)
    assert me["user"]["name"] == "Ada Lovelace" and me["user"]["emailVerified"] is True
    rows = user_rows(srv, email)
    assert len(rows) == 1 and rows[0]["name"] == "Ada Lovelace" and bool(int(rows[0]["emailVerified"]))

    # Used: the error target, with the error appended.
    assert_redirect(srv.client().get(link), srv, "/login-failed", {"error": "INVALID_TOKEN"})

    # Known now: the next link lands on callbackURL, and the same user, with no second row.
    second = srv.client()
    r = second.get(request_link(second, smtp_sink, email, name="Someone Else", callbackURL="/dashboard",
                                newUserCallbackURL="/welcome"))
    assert_redirect(r, srv, "/dashboard")
    assert assert_signed_in(r, second, email)["user"]["id"] == me["user"]["id"]
    assert [row["name"] for row in user_rows(srv, email)] == ["Ada Lovelace"]


def test_a_sign_up_without_a_name_gets_an_empty_name(srv, smtp_sink):
    email = unique_email("nameless")
    browser = srv.client()
    r = browser.get(request_link(browser, smtp_sink, email, callbackURL="/in"))
    assert_redirect(r, srv, "/in")  # no newUserCallbackURL: a new user goes to callbackURL
    assert assert_signed_in(r, browser, email)["user"]["name"] == ""


def test_the_address_is_matched_in_lower_case(srv, smtp_sink):
    owner = srv.client().new_user(unique_email("casey"))
    shouted = owner.email.upper()
    browser = srv.client()
    r = browser.get(request_link(browser, smtp_sink, shouted, callbackURL="/in"))
    assert_redirect(r, srv, "/in")
    assert assert_signed_in(r, browser, owner.email)["user"]["id"] == owner.user["id"]
    assert len(user_rows(srv, owner.email)) == 1


def test_every_link_of_several_works_once(srv, smtp_sink):
    owner = srv.client().new_user()
    links = [request_link(srv.client(), smtp_sink, owner.email, callbackURL=f"/n{i}") for i in range(3)]
    assert len({query_of(link)["token"] for link in links}) == 3
    for i, link in enumerate(reversed(links)):
        b = srv.client()
        r = b.get(link)
        assert_redirect(r, srv, f"/n{2 - i}")
        assert_signed_in(r, b, owner.email)
        assert_redirect(srv.client().get(link), srv, f"/n{2 - i}", {"error": "INVALID_TOKEN"})


def test_concurrent_uses_of_one_link_mint_one_session(srv, smtp_sink):
    owner = verified_user(srv, smtp_sink)
    link = request_link(srv.client(), smtp_sink, owner.email, callbackURL="/race")
    browsers = [srv.client() for _ in range(6)]
    with ThreadPoolExecutor(len(browsers)) as pool:
        answers = list(pool.map(lambda b: b.get(link), browsers))
    outcomes = sorted(redirect_of(r, srv)[2].get("error", "ok") for r in answers)
    assert outcomes == ["INVALID_TOKEN"] * 5 + ["ok"], outcomes
    assert sum(b.session_cookie is not None for b in browsers) == 1
    assert session_count(srv, owner.user["id"]) == 2


def test_verify_without_a_callback_answers_json(srv, smtp_sink):
    """Better Auth: a verify call without callbackURL (an API client, not the mailed link) answers
    {token, user, session} with the cookies instead of redirecting."""
    owner = srv.client().new_user()
    token = query_of(request_link(srv.client(), smtp_sink, owner.email))["token"]
    api = srv.client()
    r = api.get("magic-link/verify", params={"token": token})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token", "user", "session"}, body
    assert body["user"]["id"] == owner.user["id"] and body["session"]["userId"] == owner.user["id"]
    assert body["token"] == body["session"]["token"] == api.token
    assert_signed_in(r, api, owner.email)


# ---------------------------------------------------------------------------------------------
# unknown, used and expired tokens


def test_unknown_tokens_go_to_the_error_target(srv):
    c = srv.client()
    assert_redirect(c.get("magic-link/verify", params={"token": "nope", "callbackURL": "/dashboard"}),
                    srv, "/dashboard", {"error": "INVALID_TOKEN"})
    # errorCallbackURL keeps its own query; the error is added to it.
    r = c.get("magic-link/verify", params={"token": "nope", "callbackURL": "/dashboard",
                                           "errorCallbackURL": "/error-page?foo=bar&baz=qux"})
    assert_redirect(r, srv, "/error-page", {"foo": "bar", "baz": "qux", "error": "INVALID_TOKEN"})
    # A trusted absolute error target.
    r = c.get("magic-link/verify", params={"token": "nope", "errorCallbackURL": "https://trusted.com/failed"})
    assert_redirect(r, srv, "/failed", {"error": "INVALID_TOKEN"}, origin="https://trusted.com")
    assert c.session_cookie is None


def test_an_expired_link_is_refused(server_factory, plugins_dir, smtp_sink):
    srv = magic_link_server(server_factory, plugins_dir, expiresIn=2)
    owner = srv.client().new_user()
    # A link used at once works on this server too...
    b = srv.client()
    r = b.get(request_link(b, smtp_sink, owner.email, callbackURL="/in"))
    assert_redirect(r, srv, "/in")
    assert_signed_in(r, b, owner.email)
    # ...one used after its 2 seconds does not.
    late = srv.client()
    link = request_link(late, smtp_sink, owner.email, callbackURL="/in", errorCallbackURL="/expired")
    time.sleep(2.3)
    r = late.get(link)
    assert_redirect(r, srv, "/expired", {"error": "INVALID_TOKEN"})
    assert_no_session_cookie(r, srv)
    assert late.get_session().json() is None


def test_disable_sign_up_creates_nobody(server_factory, plugins_dir, smtp_sink):
    srv = magic_link_server(server_factory, plugins_dir, disableSignUp=True)
    email = unique_email("stranger")
    b = srv.client()
    # The link is still sent (the answer must not tell whether the address is known)...
    link = request_link(b, smtp_sink, email, name="Stranger", callbackURL="/dashboard",
                        newUserCallbackURL="/welcome", errorCallbackURL="/sign-in")
    # ...but using it creates no user and no session.
    r = b.get(link)
    assert_redirect(r, srv, "/sign-in", {"error": "new_user_signup_disabled"})
    assert_no_session_cookie(r, srv)
    assert user_rows(srv, email) == []
    assert srv.query('SELECT COUNT(*) AS n FROM "session" s JOIN "user" u ON u.id = s."userId" WHERE u.email = ?',
                     email.lower())[0]["n"] == 0
    # Without an error target the error goes to callbackURL.
    r = srv.client().get(request_link(srv.client(), smtp_sink, email, callbackURL="/dashboard"))
    assert_redirect(r, srv, "/dashboard", {"error": "new_user_signup_disabled"})
    assert user_rows(srv, email) == []
    # Registered users still sign in.
    owner = srv.client().new_user()
    b = srv.client()
    r = b.get(request_link(b, smtp_sink, owner.email, callbackURL="/dashboard"))
    assert_redirect(r, srv, "/dashboard")
    assert_signed_in(r, b, owner.email)


# ---------------------------------------------------------------------------------------------
# redirect targets


@pytest.mark.parametrize("bad", [EVIL, "//evil.com/x", "javascript:alert(1)"])
def test_untrusted_targets_in_the_request_are_refused_and_send_nothing(srv, smtp_sink, bad):
    silent = []
    for field, code in REDIRECT_FIELDS:
        email = unique_email("refused")
        r = srv.client().post("sign-in/magic-link", {"email": email, "callbackURL": "/ok", field: bad})
        assert_error(r, 403, code)
        silent.append(email)
        assert verification_rows_naming(srv, email.split("@")[0]) == 0, "a refused request writes nothing"
    time.sleep(1.0)
    assert [a for a in silent if smtp_sink.for_rcpt(a)] == [], "a refused request sends no mail"


def test_trusted_absolute_targets_are_followed(srv, smtp_sink):
    email = unique_email("trusted")
    b = srv.client()
    link = request_link(b, smtp_sink, email, callbackURL="https://app.example.com/after",
                        newUserCallbackURL="https://trusted.com/welcome?plan=pro")
    assert query_of(link)["callbackURL"] == "https://app.example.com/after"
    r = b.get(link)
    assert_redirect(r, srv, "/welcome", {"plan": "pro"}, origin="https://trusted.com")
    assert_signed_in(r, b, email)
    r = srv.client().get(request_link(srv.client(), smtp_sink, email, callbackURL="https://app.example.com/after"))
    assert_redirect(r, srv, "/after", origin="https://app.example.com")


@pytest.mark.parametrize("field, code", REDIRECT_FIELDS)
def test_a_tampered_link_is_refused_and_stays_usable(srv, smtp_sink, field, code):
    owner = srv.client().new_user()
    b = srv.client()
    link = request_link(b, smtp_sink, owner.email, callbackURL="/dashboard")
    for bad in (EVIL, "//evil.com", "https://trusted.com.evil.com/x"):
        r = b.get(with_query(link, **{field: bad}))
        assert_error(r, 403, code)
        assert b.session_cookie is None
    # The refusals did not use the token up: the untampered link still signs in, once.
    r = b.get(link)
    assert_redirect(r, srv, "/dashboard")
    assert_signed_in(r, b, owner.email)
    assert_redirect(srv.client().get(link), srv, "/dashboard", {"error": "INVALID_TOKEN"})


def test_cross_site_requests_without_cookies_are_refused(srv, smtp_sink):
    """Better Auth's formCsrfMiddleware on the send route: a cookieless cross-site POST cannot mail a
    link to an address of the attacker's choosing; a request with no browser signal (server to
    server) still can."""
    refused = []
    for headers, code in (({"Origin": "https://evil.com"}, "INVALID_ORIGIN"),
                          ({"Referer": "https://evil.com/page"}, "INVALID_ORIGIN"),
                          ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
                           "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"),
                          ({"Origin": "null"}, "MISSING_OR_NULL_ORIGIN")):
        email = unique_email("csrf")
        r = srv.client(origin=None).post("sign-in/magic-link", {"email": email}, headers=headers)
        assert_error(r, 403, code)
        refused.append(email)
    server_to_server = unique_email("s2s")
    r = srv.client(origin=None).post("sign-in/magic-link", {"email": server_to_server})
    assert r.status_code == 200 and r.json() == {"status": True}, r.text
    link_in(srv, smtp_sink.wait_for(server_to_server))
    trusted = unique_email("trusted-origin")
    r = srv.client(origin="https://app.example.com").post("sign-in/magic-link", {"email": trusted})
    assert r.status_code == 200, r.text
    time.sleep(1.0)
    assert [a for a in refused if smtp_sink.for_rcpt(a)] == []


def test_hashed_token_storage(server_factory, plugins_dir, smtp_sink):
    import base64
    import hashlib
    srv = magic_link_server(server_factory, plugins_dir, storeToken="hashed")
    owner = srv.client().new_user()
    link = request_link(srv.client(), smtp_sink, owner.email, callbackURL="/in")
    token = query_of(link)["token"]
    hashed = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
    assert srv.query("SELECT COUNT(*) AS n FROM verification WHERE identifier = ?", token)[0]["n"] == 0
    assert srv.query("SELECT COUNT(*) AS n FROM verification WHERE identifier = ?", hashed)[0]["n"] == 1
    b = srv.client()
    r = b.get(link)
    assert_redirect(r, srv, "/in")
    assert_signed_in(r, b, owner.email)
    assert srv.query("SELECT COUNT(*) AS n FROM verification WHERE identifier = ?", hashed)[0]["n"] == 0
    assert_redirect(srv.client().get(link), srv, "/in", {"error": "INVALID_TOKEN"})


@pytest.mark.parametrize("settings, key", [({"expiresIn": "soon"}, "expiresIn"), ({"expiresIn": 0}, "expiresIn"),
                                           ({"disableSignUp": "yes"}, "disableSignUp"), ({"sendMagicLink": "x"}, "sendMagicLink")])
def test_bad_settings_keep_the_plugin_out(server, plugins_dir, settings, key):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"magic-link": settings}})
    assert f"plugins.magic-link.{key}" in srv.logs()
    assert srv.client().post("sign-in/magic-link", {"email": unique_email()}).status_code == 404


# ---------------------------------------------------------------------------------------------
# enumeration


def test_known_and_unknown_addresses_get_the_same_answer_and_both_a_link(srv, smtp_sink):
    known = srv.client().new_user()
    unknown = unique_email("unknown")
    answers = []
    for email in (known.email, unknown):
        r = srv.client().post("sign-in/magic-link", {"email": email, "callbackURL": "/dashboard"})
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] == (200, {"status": True})
    for email in (known.email, unknown):
        link_in(srv, smtp_sink.wait_for(email))


# ---------------------------------------------------------------------------------------------
# pre-hijack defence


def test_a_link_strips_an_unverified_account_of_its_password_and_sessions(srv, smtp_sink):
    victim = unique_email("victim")
    squatter = srv.client()
    r = squatter.sign_up(victim, password="squatter-password-1")
    assert r.status_code == 200, r.text
    squatted_id = r.json()["user"]["id"]
    assert r.json()["user"]["emailVerified"] is False
    squatter_cookie = squatter.session_cookie
    assert squatter.session() is not None

    owner = srv.client()
    r = owner.get(request_link(owner, smtp_sink, victim, callbackURL="/dashboard"))
    assert_redirect(r, srv, "/dashboard")
    me = assert_signed_in(r, owner, victim)
    assert me["user"]["id"] == squatted_id and me["user"]["emailVerified"] is True

    assert cookie_session(srv, squatter_cookie) is None, "the squatter's session is gone"
    assert session_count(srv, squatted_id) == 1
    assert_error(srv.client().sign_in(victim, "squatter-password-1"), 401, "INVALID_EMAIL_OR_PASSWORD")
    assert srv.query('SELECT COUNT(*) AS n FROM account WHERE "userId" = ?', squatted_id)[0]["n"] == 0
    assert bool(int(user_rows(srv, victim)[0]["emailVerified"])) is True
    assert owner.session()["user"]["id"] == squatted_id


def test_a_verified_account_keeps_its_password_and_sessions(srv, smtp_sink):
    c = verified_user(srv, smtp_sink)
    other = c.fork()
    b = srv.client()
    r = b.get(request_link(b, smtp_sink, c.email, callbackURL="/dashboard"))
    assert_redirect(r, srv, "/dashboard")
    assert assert_signed_in(r, b, c.email)["user"]["id"] == c.user["id"]
    assert c.session() is not None and other.session() is not None
    assert session_count(srv, c.user["id"]) == 3
    assert srv.client().sign_in(c.email, c.password).status_code == 200


# ---------------------------------------------------------------------------------------------
# bad input, OpenAPI


def test_missing_and_ill_typed_fields(srv):
    c = srv.client()
    email = unique_email("bad")
    for body in ({}, {"email": 5}, {"email": None}, {"email": [email]}, {"email": {"a": email}},
                 {"email": email, "name": 5}, {"email": email, "callbackURL": 5},
                 {"email": email, "newUserCallbackURL": ["/x"]}, {"email": email, "errorCallbackURL": {"u": "/x"}}):
        assert_error(c.post("sign-in/magic-link", body), 400, "VALIDATION_ERROR")
    assert_error(c.get("magic-link/verify"), 400, "VALIDATION_ERROR")
    assert_error(c.get("magic-link/verify", params={"callbackURL": "/x"}), 400, "VALIDATION_ERROR")
    assert verification_rows_naming(srv, email.split("@")[0]) == 0


def test_bad_addresses(srv):
    c = srv.client()
    for bad in ("not-an-address", "two@@example.com", "spaces in@example.com", "@example.com", "trailing@"):
        assert_error(c.post("sign-in/magic-link", {"email": bad}), 400, "INVALID_EMAIL")
    assert verification_rows_naming(srv, "not-an-address") == 0


def test_odd_input_never_gets_a_5xx(srv, smtp_sink):
    c = srv.client()
    odd = [c.post("sign-in/magic-link", data=b"{not json", headers={"content-type": "application/json"}),
           c.post("sign-in/magic-link", {"email": "x" * 5000 + "@example.com"}),
           c.post("sign-in/magic-link", {"email": "ü@例え.テスト"}),
           c.post("sign-in/magic-link", {"email": unique_email(), "metadata": {"n": 1e308, "deep": [[[[{"x": None}]]]]}}),
           c.get("magic-link/verify", params={"token": "x" * 5000, "callbackURL": "/"}),
           c.get("magic-link/verify", params={"token": "' OR 1=1 --", "callbackURL": "/"}),
           c.get("magic-link/verify?token=a&token=b&callbackURL=/")]
    assert [(r.request.url[:80], r.status_code) for r in odd if r.status_code >= 500] == []
    assert all(r.status_code in (200, 302, 400, 413, 415) for r in odd), [(r.status_code, r.text[:100]) for r in odd]


def test_routes_are_in_the_openapi_document(srv):
    assert openapi_has(srv, "post", "/sign-in/magic-link")
    assert openapi_has(srv, "get", "/magic-link/verify")
