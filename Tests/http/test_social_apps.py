"""Social sign-in for native apps through the system browser (Gatehouse's, beyond Better Auth).

`GET sign-in/social/authorize` starts the code flow in the browser (302 to the provider, the
`state` cookie in that browser); the callback sends the browser to the app's URL with a single-use
code bound to the app's PKCE challenge; `POST sign-in/social/exchange` trades code and verifier for
a session, signed in as sign-in/email signs in (bans, two-factor, bearer tokens).

The "browser" is a conftest Client (a requests.Session with its own cookie jar); the "app" is a
plain requests call that never carries a cookie. The provider is test_social's local OpenID
provider; bearer, two-factor and admin are loaded from the build.
"""
import base64
import hashlib
import json
import re
import secrets
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import TRUSTED_ORIGINS, assert_error, parse_date, set_cookie_map
from test_bearer import built_library
from test_social import idp, new_subject, query_of, social_config  # noqa: F401 (idp is a fixture)
from test_two_factor import authenticator

APP_URL = "myapp://auth"
APP_USER_AGENT = "GatehouseTestApp/1.0 (iPhone; iOS 18.0)"


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("social-apps-plugins")
    for name in ("bearer", "two-factor", "admin"):
        shutil.copy(built_library(name), folder / f"{name}.so")
    return folder


def app_server_config(idp, plugins, **extra) -> dict:  # noqa: F811 (idp is a fixture)
    return social_config(idp, pluginsDir=str(plugins), trustedOrigins=TRUSTED_ORIGINS + [APP_URL], **extra)


@pytest.fixture(scope="module")
def srv(server_factory, idp, plugins):  # noqa: F811 (idp is a fixture)
    return server_factory(app_server_config(idp, plugins), name="social-apps")


# ---------------------------------------------------------------------------------------------
# the app's and the browser's parts


def pkce_pair(method: str = "S256") -> tuple[str, str]:
    """What the app keeps (the verifier) and what it puts in the URL (the challenge)."""
    verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-]
    if method == "plain":
        return verifier, verifier
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorize(browser, challenge: str, provider: str = "mock", **params) -> requests.Response:
    query = {"provider": provider, "callbackURL": APP_URL, "codeChallenge": challenge, **params}
    return browser.get("sign-in/social/authorize", params={k: v for k, v in query.items() if v is not None})


def browser_sign_in(srv, idp, sub: str, challenge: str, deny: bool = False, **params) -> str:  # noqa: F811
    """The browser's part: authorize → the provider's consent → the callback. Returns where the
    callback sends the browser (the app's URL); the browser itself never gets a session."""
    browser = srv.client()
    r = authorize(browser, challenge, **params)
    assert r.status_code == 302, r.text
    back = idp.authorize(r.headers["Location"], sub, deny=deny)
    if deny:  # RFC 6749 §4.1.2.1: the error comes back with the state (the mock leaves it out)
        back += "&state=" + query_of(r.headers["Location"])["state"]
    r = browser.get(back)
    assert r.status_code == 302, r.text
    assert browser.session_cookie is None and srv.cookie_name("state") not in browser.cookies
    return r.headers["Location"]


def code_from(location: str, base: str = APP_URL) -> str:
    assert location.startswith(base + "?"), location
    return query_of(location)["code"]


def exchange(srv, code: str, verifier: str) -> requests.Response:
    """The app's request: no cookies, its own user agent."""
    return requests.post(f"{srv.api}/sign-in/social/exchange", json={"code": code, "codeVerifier": verifier},
                         headers={"User-Agent": APP_USER_AGENT}, allow_redirects=False, timeout=30)


def bearer_get(srv, path: str, token: str) -> requests.Response:
    return requests.get(f"{srv.api}/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def bearer_post(srv, path: str, token: str, body: dict) -> requests.Response:
    return requests.post(f"{srv.api}/{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def app_sign_in(srv, idp, sub: str) -> requests.Response:  # noqa: F811
    """The whole journey with S256; the exchange's answer."""
    verifier, challenge = pkce_pair()
    return exchange(srv, code_from(browser_sign_in(srv, idp, sub, challenge)), verifier)


def session_count(srv, email: str) -> int:
    return srv.query('SELECT COUNT(*) AS n FROM "session" s JOIN "user" u ON u.id = s."userId" WHERE u.email = ?', email)[0]["n"]


def code_row(srv, code: str) -> list[dict]:
    identifier = "social-app-code:" + hashlib.sha256(code.encode()).hexdigest()
    return srv.query('SELECT * FROM verification WHERE identifier = ?', identifier)


# ---------------------------------------------------------------------------------------------
# the journey


@pytest.mark.parametrize("method", [None, "S256", "plain"])
def test_the_app_signs_in_through_the_browser_with_a_single_use_code(srv, idp, method):  # noqa: F811
    sub, email = new_subject(idp)
    verifier, challenge = pkce_pair(method or "S256")
    browser = srv.client()
    r = authorize(browser, challenge, codeChallengeMethod=method, loginHint=email)
    assert r.status_code == 302 and r.content == b"", r.text
    provider_url = r.headers["Location"]
    assert provider_url.startswith(f"{idp.url}/oauth2/authorize?")
    q = query_of(provider_url)
    assert q["redirect_uri"] == f"{srv.api}/callback/mock" and q["login_hint"] == email
    # The server's own PKCE pair faces the provider; the app's challenge stays in the stored flow.
    assert q["code_challenge_method"] == "S256" and q["code_challenge"] != challenge
    flow = json.loads(srv.query("SELECT value FROM verification WHERE identifier = ?", q["state"])[0]["value"])
    assert flow["appChallenge"] == {"codeChallenge": challenge, "codeChallengeMethod": method or "S256"}
    assert flow["callbackURL"] == APP_URL and flow["errorURL"] == APP_URL
    # The state cookie lands in the browser that opened the URL.
    assert srv.cookie_name("state") in browser.cookies

    r = browser.get(idp.authorize(provider_url, sub))
    assert r.status_code == 302
    code = code_from(r.headers["Location"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", code), code
    cookies = set_cookie_map(r)
    assert srv.cookie_name("session_token") not in cookies and cookies[srv.cookie_name("state")].is_deletion
    assert browser.session_cookie is None

    r = exchange(srv, code, verifier)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["redirect"] is False and body["user"]["email"] == email and body["token"]
    assert srv.cookie_name("state") not in set_cookie_map(r)
    token = r.headers["set-auth-token"]
    me = bearer_get(srv, "get-session", token)
    assert me.status_code == 200 and me.json()["user"]["email"] == email
    assert me.json()["session"]["token"] == body["token"]
    row = srv.query('SELECT "userAgent", "ipAddress" FROM "session" WHERE token = ?', body["token"])[0]
    assert row["userAgent"] == APP_USER_AGENT and row["ipAddress"] == "127.0.0.1"

    assert_error(exchange(srv, code, verifier), 401, "INVALID_CODE")


def test_a_new_user_goes_to_new_user_callback_url_and_query_items_stay(srv, idp):  # noqa: F811
    sub, _ = new_subject(idp)
    verifier, challenge = pkce_pair()
    urls = {"callbackURL": APP_URL + "?from=settings", "newUserCallbackURL": APP_URL + "/welcome?step=1#top"}
    location = browser_sign_in(srv, idp, sub, challenge, **urls)
    assert location.startswith(APP_URL + "/welcome?step=1&code=") and location.endswith("#top"), location
    first = exchange(srv, code_from(location, APP_URL + "/welcome"), verifier)
    assert first.status_code == 200, first.text

    verifier, challenge = pkce_pair()
    location = browser_sign_in(srv, idp, sub, challenge, **urls)
    assert query_of(location).keys() == {"from", "code"} and query_of(location)["from"] == "settings", location
    again = exchange(srv, code_from(location), verifier)
    assert again.status_code == 200 and again.json()["user"]["id"] == first.json()["user"]["id"]


def test_a_code_works_once_even_when_two_exchanges_race(srv, idp):  # noqa: F811
    sub, _ = new_subject(idp)
    for _ in range(3):
        verifier, challenge = pkce_pair()
        code = code_from(browser_sign_in(srv, idp, sub, challenge))
        start = threading.Barrier(2)
        answers = []

        def race():
            start.wait()
            answers.append(exchange(srv, code, verifier))

        threads = [threading.Thread(target=race) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.status_code for r in answers) == [200, 401], [r.text for r in answers]
        assert_error(next(r for r in answers if r.status_code == 401), 401, "INVALID_CODE")
        assert code_row(srv, code) == []


def test_a_wrong_verifier_uses_the_code_up(srv, idp):  # noqa: F811
    sub, _ = new_subject(idp)
    for method in ("S256", "plain"):
        verifier, challenge = pkce_pair(method)
        code = code_from(browser_sign_in(srv, idp, sub, challenge, codeChallengeMethod=method))
        other, _ = pkce_pair()
        assert_error(exchange(srv, code, other), 401, "INVALID_CODE", "Invalid or expired code")
        assert code_row(srv, code) == []
        assert_error(exchange(srv, code, verifier), 401, "INVALID_CODE", "Invalid or expired code")
    # The S256 challenge travelled in the URL: it is no verifier.
    verifier, challenge = pkce_pair()
    code = code_from(browser_sign_in(srv, idp, sub, challenge))
    assert_error(exchange(srv, code, challenge), 401, "INVALID_CODE")
    assert_error(exchange(srv, code, verifier), 401, "INVALID_CODE")
    # Unknown codes answer the same.
    assert_error(exchange(srv, "x" * 43, verifier), 401, "INVALID_CODE", "Invalid or expired code")
    assert_error(exchange(srv, "", verifier), 401, "INVALID_CODE")


def test_an_expired_code_is_refused(srv, idp):  # noqa: F811
    sub, _ = new_subject(idp)
    verifier, challenge = pkce_pair()
    code = code_from(browser_sign_in(srv, idp, sub, challenge))
    row = code_row(srv, code)[0]
    assert timedelta(seconds=110) < parse_date(row["expiresAt"]) - datetime.now(timezone.utc) <= timedelta(seconds=120)
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    srv.execute('UPDATE verification SET "expiresAt" = ? WHERE id = ?', past, row["id"])
    assert_error(exchange(srv, code, verifier), 401, "INVALID_CODE")


def test_the_code_is_stored_hashed_and_bound_to_the_challenge(srv, idp):  # noqa: F811
    sub, _ = new_subject(idp)
    verifier, challenge = pkce_pair()
    location = browser_sign_in(srv, idp, sub, challenge)
    code = code_from(location)
    rows = srv.query("SELECT identifier, value FROM verification")
    assert not [r for r in rows if code in r["identifier"] or code in r["value"]], "the code is stored in clear"
    stored = json.loads(code_row(srv, code)[0]["value"])
    user_id = srv.query('SELECT "userId" FROM account WHERE "accountId" = ?', sub)[0]["userId"]
    assert stored == {"codeChallenge": challenge, "codeChallengeMethod": "S256", "userId": user_id}
    assert exchange(srv, code, verifier).status_code == 200


def test_the_state_cookie_binds_the_flow_to_the_browser_that_opened_it(srv, idp):  # noqa: F811
    sub, _ = new_subject(idp)
    _, challenge = pkce_pair()
    browser = srv.client()
    r = authorize(browser, challenge)
    assert srv.cookie_name("state") in set_cookie_map(r)
    back = idp.authorize(r.headers["Location"], sub)
    # Another browser (or the app itself, which has no cookies) cannot finish the flow.
    r = srv.client().get(back)
    assert r.status_code == 302 and r.headers["Location"] == APP_URL + "?error=state_mismatch"
    assert srv.query('SELECT 1 FROM account WHERE "accountId" = ?', sub) == [], "no code, no user"


# ---------------------------------------------------------------------------------------------
# refusals


def test_callback_urls_must_be_trusted(srv):
    _, challenge = pkce_pair()
    browser = srv.client()
    for params, code in [
        ({"callbackURL": "https://evil.test/cb"}, "INVALID_CALLBACK_URL"),
        ({"callbackURL": "otherapp://auth"}, "INVALID_CALLBACK_URL"),
        ({"errorCallbackURL": "evilapp://auth"}, "INVALID_ERROR_CALLBACK_URL"),
        ({"newUserCallbackURL": "https://evil.test/new"}, "INVALID_NEW_USER_CALLBACK_URL"),
    ]:
        r = authorize(browser, challenge, **params)
        assert_error(r, 403, code)
        assert srv.cookie_name("state") not in set_cookie_map(r)
    # Trusted, but a web page or a path of this site: the code would sit in a page's URL.
    for params, code in [
        ({"callbackURL": srv.base_url + "/app/cb"}, "INVALID_CALLBACK_URL"),
        ({"callbackURL": "/dashboard"}, "INVALID_CALLBACK_URL"),
        ({"newUserCallbackURL": srv.base_url + "/welcome"}, "INVALID_NEW_USER_CALLBACK_URL"),
    ]:
        r = authorize(browser, challenge, **params)
        assert_error(r, 403, code)
        assert srv.cookie_name("state") not in set_cookie_map(r)
    # The trusted app URL, with a path and a query, is accepted.
    assert authorize(browser, challenge, callbackURL=APP_URL + "/done?x=1").status_code == 302


def test_bad_authorize_requests(srv):
    browser = srv.client()
    _, challenge = pkce_pair()
    assert_error(browser.get("sign-in/social/authorize", params={"provider": "mock", "codeChallenge": challenge}), 400, "VALIDATION_ERROR")
    assert_error(browser.get("sign-in/social/authorize", params={"provider": "mock", "callbackURL": APP_URL}), 400, "VALIDATION_ERROR")
    assert_error(browser.get("sign-in/social/authorize", params={"callbackURL": APP_URL, "codeChallenge": challenge}), 400, "VALIDATION_ERROR")
    for bad in ("a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "=", "a" * 42 + "/", ""):
        body = assert_error(authorize(browser, bad), 400, "VALIDATION_ERROR")
        assert "codeChallenge" in body["message"], body
    for method in ("S512", "s256", "none", ""):
        body = assert_error(authorize(browser, challenge, codeChallengeMethod=method), 400, "VALIDATION_ERROR")
        assert "codeChallengeMethod" in body["message"], body
    # The boundaries and every unreserved character are fine.
    for good in ("a" * 43, "a" * 128, "AZaz09-._~" * 5):
        assert authorize(browser, good, codeChallengeMethod="plain").status_code == 302
    assert_error(authorize(browser, challenge, provider="nope"), 404, "PROVIDER_NOT_FOUND")


def test_bad_exchange_bodies(srv):
    app = f"{srv.api}/sign-in/social/exchange"
    for body in ({}, {"code": "x" * 43}, {"codeVerifier": "v" * 43}, {"code": 1, "codeVerifier": "v" * 43}):
        assert_error(requests.post(app, json=body, timeout=30), 400, "VALIDATION_ERROR")


def test_a_provider_refusal_reaches_the_app(srv, idp):  # noqa: F811
    _, challenge = pkce_pair()
    location = browser_sign_in(srv, idp, "whoever", challenge, deny=True)
    assert location.startswith(APP_URL + "?") and query_of(location)["error"] == "access_denied", location
    assert "code" not in query_of(location)
    location = browser_sign_in(srv, idp, "whoever", challenge, deny=True, errorCallbackURL=APP_URL + "/failed")
    assert location.startswith(APP_URL + "/failed?error=access_denied"), location


def test_a_banned_user_gets_no_session_at_the_exchange(srv, idp):  # noqa: F811
    sub, _ = new_subject(idp)
    user = app_sign_in(srv, idp, sub).json()["user"]
    admin = srv.client().new_user()
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', "admin", admin.user["id"])
    r = admin.post("admin/ban-user", {"userId": user["id"]})
    assert r.status_code == 200, r.text

    verifier, challenge = pkce_pair()
    code = code_from(browser_sign_in(srv, idp, sub, challenge))
    r = exchange(srv, code, verifier)
    assert_error(r, 403, "BANNED_USER")
    assert "set-auth-token" not in r.headers and not set_cookie_map(r).get(srv.cookie_name("session_token"))
    assert srv.query('SELECT COUNT(*) AS n FROM "session" WHERE "userId" = ?', user["id"])[0]["n"] == 0
    assert_error(exchange(srv, code, verifier), 401, "INVALID_CODE")


def test_two_factor_intercepts_the_exchange(srv, idp):  # noqa: F811
    sub, email = new_subject(idp)
    token = app_sign_in(srv, idp, sub).headers["set-auth-token"]
    r = bearer_post(srv, "two-factor/enable", token, {})
    assert r.status_code == 200, r.text
    totp = authenticator(r)
    assert bearer_post(srv, "two-factor/verify-totp", token, {"code": totp.now()}).status_code == 200

    sessions = session_count(srv, email)
    verifier, challenge = pkce_pair()
    r = exchange(srv, code_from(browser_sign_in(srv, idp, sub, challenge)), verifier)
    assert r.status_code == 200, r.text
    assert r.json()["twoFactorRedirect"] is True and "token" not in r.json()
    assert "set-auth-token" not in r.headers
    cookies = set_cookie_map(r)
    challenge_cookie = cookies[srv.cookie_name("two_factor")]
    assert not challenge_cookie.is_deletion
    session = cookies.get(srv.cookie_name("session_token"))
    assert session is None or session.is_deletion
    assert session_count(srv, email) == sessions
    # The app finishes the challenge with the cookie it was given (a request with a cookie names
    # its origin: the app's, which is trusted) and gets its token there.
    r = requests.post(f"{srv.api}/two-factor/verify-totp", json={"code": totp.at(time.time() + 30)},
                      headers={"Cookie": f"{challenge_cookie.name}={challenge_cookie.value}", "Origin": APP_URL}, timeout=30)
    assert r.status_code == 200 and r.headers.get("set-auth-token"), r.text
    assert bearer_get(srv, "get-session", r.headers["set-auth-token"]).json()["user"]["email"] == email


# ---------------------------------------------------------------------------------------------
# the document and the rate limit


def test_the_routes_are_in_the_openapi_document(srv):
    paths = srv.client().get("openapi.json").json()["paths"]

    def operation(path, method):
        for key in (path, srv.base_path + path):
            if key in paths:
                return paths[key][method]
        raise AssertionError(f"{path} not in the document")

    authorize_op = operation("/sign-in/social/authorize", "get")
    assert authorize_op["summary"] and {"302", "400", "403", "404"} <= set(authorize_op["responses"])
    required = {p["name"] for p in authorize_op["parameters"] if p.get("required")}
    assert required == {"provider", "callbackURL", "codeChallenge"}
    exchange_op = operation("/sign-in/social/exchange", "post")
    assert exchange_op["summary"] and {"200", "400", "401", "403"} <= set(exchange_op["responses"])


def test_the_exchange_is_rate_limited_as_a_sign_in(server, idp, plugins):  # noqa: F811
    limited = server(app_server_config(idp, plugins, rateLimit={"enabled": True}))
    statuses = [exchange(limited, "x" * 43, "v" * 43).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
