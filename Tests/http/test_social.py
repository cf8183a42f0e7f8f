"""Social sign-in against a real local OpenID provider (PyPI `oidc-provider-mock`).

The provider runs in this process on 127.0.0.1; Gatehouse talks to it over HTTP exactly as
it would to Google: discovery, authorization redirect, code exchange with PKCE, ID-token
signature checks against its JWKS, user info and refresh tokens. A WSGI wrapper around the
provider enforces PKCE (S256) at the token endpoint, which the mock itself does not do.
"""

from __future__ import annotations

import base64
import io
import hashlib
import json
import os
import subprocess
import threading
import urllib.parse
import uuid

import pytest
import requests
import werkzeug.serving

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider is plain HTTP on loopback

import oidc_provider_mock  # noqa: E402
import nacl.bindings  # noqa: E402

from conftest import TEST_SECRET, assert_error, free_port, gatehouse_bin, unique_email  # noqa: E402

CLIENT_ID = "gatehouse-test"
CLIENT_SECRET = "gatehouse-test-secret"


class PKCEEnforcer:
    """WSGI middleware: remembers each authorization request's code_challenge and refuses a
    token request whose code_verifier does not hash to it (RFC 7636 S256)."""

    def __init__(self, app):
        self.app = app
        self.challenges: dict[str, str] = {}  # state -> challenge
        self.codes: dict[str, str] = {}  # code -> challenge
        self.token_requests: list[dict] = []
        self.down = False

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize":
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            challenge = (query.get("code_challenge") or [None])[0]

            def remember(status, headers, exc_info=None):
                for name, value in headers:
                    if name.lower() == "location" and challenge:
                        code = urllib.parse.parse_qs(urllib.parse.urlsplit(value).query).get("code", [None])[0]
                        if code:
                            self.codes[code] = challenge
                return start_response(status, headers, exc_info)

            return self.app(environ, remember)
        if path == "/oauth2/token" and environ.get("REQUEST_METHOD") == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(size)
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            self.token_requests.append(form)
            if form.get("grant_type") == "authorization_code":
                challenge = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if challenge is not None and computed != challenge:
                    body = json.dumps({"error": "invalid_grant", "error_description": "PKCE verification failed"}).encode()
                    start_response("400 Bad Request", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
                    return [body]
            environ["wsgi.input"] = io.BytesIO(raw)
        return self.app(environ, start_response)


class Provider:
    def __init__(self):
        self.wsgi = PKCEEnforcer(oidc_provider_mock.app())
        self.server = werkzeug.serving.make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def put_user(self, sub: str, claims: dict):
        r = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert r.status_code == 204, r.text

    def authorize(self, url: str, sub: str, deny: bool = False) -> str:
        """Plays the user at the provider's consent page; returns the redirect back."""
        form = {"action": "deny"} if deny else {"sub": sub}
        r = requests.post(url, data=form, allow_redirects=False, timeout=10)
        assert r.status_code == 302, r.text[:500]
        return r.headers["Location"]

    def id_token_for(self, sub: str, nonce: str | None, client_id: str = CLIENT_ID) -> str:
        """What a mobile SDK does: its own code flow, returning the ID token."""
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": "https://app.example/cb",
                  "scope": "openid email profile", "state": "s" * 16}
        if nonce:
            params["nonce"] = nonce
        location = self.authorize(f"{self.url}/oauth2/authorize?{urllib.parse.urlencode(params)}", sub)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
        r = requests.post(f"{self.url}/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb",
            "client_id": client_id, "client_secret": "anything"}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["id_token"]

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def idp():
    provider = Provider()
    yield provider
    provider.stop()


def social_config(idp: Provider, **extra) -> dict:
    mock = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "discoveryUrl": f"{idp.url}/.well-known/openid-configuration"}
    mock.update(extra.pop("mock", {}))
    config = {
        "socialProviders": {
            "mock": mock,
            # A built-in non-OIDC provider pointed at the same server: GitHub's profile mapping.
            "github": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "scopes": ["email"],
                       "authorizationEndpoint": f"{idp.url}/oauth2/authorize",
                       "tokenEndpoint": f"{idp.url}/oauth2/token", "userInfoEndpoint": f"{idp.url}/userinfo"},
            "down": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                     "discoveryUrl": f"{idp.url}/.well-known/openid-configuration",
                     "tokenEndpoint": f"http://127.0.0.1:{free_port()}/token"},
        },
    }
    for key, value in extra.items():
        config[key] = value
    return config


@pytest.fixture(scope="module")
def social(server_factory, idp):
    return server_factory(social_config(idp), name="social")


def new_subject(idp: Provider, email: str | None = None, verified: bool = True, **claims) -> tuple[str, str]:
    sub = "sub-" + uuid.uuid4().hex[:12]
    email = email or unique_email("social")
    body = {"email": email, "email_verified": verified, "name": "Social User", "picture": "https://img.example/p.png"}
    body.update(claims)
    idp.put_user(sub, {k: v for k, v in body.items() if v is not None})
    return sub, email


def start(client, provider="mock", **body) -> dict:
    r = client.post("sign-in/social", {"provider": provider, **body})
    assert r.status_code == 200, r.text
    return r.json()


def run_flow(idp, client, sub, provider="mock", deny=False, **body):
    """sign-in/social → provider consent → callback; returns the callback's response."""
    started = start(client, provider, **body)
    back = idp.authorize(started["url"], sub, deny=deny)
    return client.get(back)


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).items()}


# --- the authorization-code flow ---------------------------------------------------------

def test_authorization_url_has_state_pkce_and_nonce(social, idp):
    c = social.client()
    r = c.post("sign-in/social", {"provider": "mock", "callbackURL": "/dash", "scopes": ["phone"], "loginHint": "a@b.example"})
    assert r.status_code == 200
    body = r.json()
    assert body["redirect"] is True and r.headers["Location"] == body["url"]
    assert body["url"].startswith(f"{idp.url}/oauth2/authorize?")
    q = query_of(body["url"])
    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
    assert q["redirect_uri"] == f"{social.api}/callback/mock"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert set(q["scope"].split(" ")) >= {"openid", "email", "profile", "phone"}
    assert q["login_hint"] == "a@b.example" and len(q["nonce"]) >= 32 and len(q["state"]) == 32
    # The state names a verification row holding the flow, and a signed cookie binds it to this browser.
    rows = social.query('SELECT value, "expiresAt" FROM verification WHERE identifier = ?', q["state"])
    assert len(rows) == 1
    flow = json.loads(rows[0]["value"])
    assert flow["callbackURL"] == "/dash" and flow["oauthState"] == q["state"]
    verifier = flow["codeVerifier"]
    assert len(verifier) == 128
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() == q["code_challenge"]
    assert social.cookie_name("state") in c.cookies
    # disableRedirect: same answer without Location.
    r = c.post("sign-in/social", {"provider": "mock", "disableRedirect": True})
    assert r.json()["redirect"] is False and "Location" not in r.headers


def test_code_flow_creates_user_then_finds_the_same_user(social, idp):
    sub, email = new_subject(idp)
    c = social.client()
    r = run_flow(idp, c, sub, callbackURL="/dashboard", newUserCallbackURL="/welcome")
    assert r.status_code == 302 and r.headers["Location"] == "/welcome"
    assert c.session_cookie
    # The token request carried the PKCE verifier (the provider wrapper checked it).
    assert idp.wsgi.token_requests[-1].get("code_verifier")
    me = c.session()
    assert me["user"]["email"] == email and me["user"]["name"] == "Social User"
    assert me["user"]["emailVerified"] is True and me["user"]["image"] == "https://img.example/p.png"
    accounts = social.query('SELECT * FROM account WHERE "userId" = ?', me["user"]["id"])
    assert len(accounts) == 1
    account = accounts[0]
    assert account["providerId"] == "mock" and account["accountId"] == sub
    assert account["issuer"] == idp.url  # the discovered issuer (Better Auth 1.7 account key)
    assert account["accessToken"] and account["refreshToken"] and account["idToken"]
    assert "openid" in account["scope"].split(",")

    # Second sign-in from another browser: same user, no new account, plain callbackURL.
    c2 = social.client()
    r = run_flow(idp, c2, sub, callbackURL="/dashboard", newUserCallbackURL="/welcome")
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard"
    assert c2.session()["user"]["id"] == me["user"]["id"]
    assert len(social.query('SELECT id FROM account WHERE "userId" = ?', me["user"]["id"])) == 1
    # The state was used up and its cookie cleared.
    assert social.cookie_name("state") not in c2.cookies


def test_list_accounts_and_unlink(social, idp):
    sub, _ = new_subject(idp)
    c = social.client()
    assert run_flow(idp, c, sub).status_code == 302
    listed = c.get("list-accounts").json()
    assert [a["providerId"] for a in listed] == ["mock"]
    assert listed[0]["issuer"] == idp.url and "accessToken" not in listed[0]
    assert_error(c.post("unlink-account", {"accountId": listed[0]["id"]}), 400, "FAILED_TO_UNLINK_LAST_ACCOUNT")
    assert_error(c.post("unlink-account", {"accountId": "nope"}), 400, "FAILED_TO_UNLINK_LAST_ACCOUNT")


def test_form_post_callback_is_redirected_to_get(social):
    c = social.client(origin=None)
    r = c.post("callback/mock", data={"code": "abc", "state": "xyz", "user": '{"name":{"firstName":"A"}}'}, cookies=False)
    assert r.status_code == 302
    loc = r.headers["Location"]
    assert loc.startswith(f"{social.api}/callback/mock?")
    assert query_of(loc) == {"code": "abc", "state": "xyz", "user": '{"name":{"firstName":"A"}}'}


# --- failure paths ------------------------------------------------------------------------

def assert_error_redirect(r, code: str, base: str):
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    assert loc.split("?")[0] == base, loc
    assert query_of(loc)["error"] == code, loc


def test_tampered_state_is_refused(social, idp):
    sub, _ = new_subject(idp)
    c = social.client()
    back = idp.authorize(start(c)["url"], sub)
    q = query_of(back)
    tampered = back.replace(q["state"], q["state"][:-1] + ("A" if q["state"][-1] != "A" else "B"))
    r = c.get(tampered)
    assert_error_redirect(r, "state_mismatch", f"{social.api}/error")
    assert c.session_cookie is None


def test_replayed_state_is_refused(social, idp):
    sub, _ = new_subject(idp)
    c = social.client()
    back = idp.authorize(start(c, callbackURL="/ok")["url"], sub)
    assert c.get(back).headers["Location"] == "/ok"
    fresh = social.client()
    fresh.cookies = dict(c.cookies)
    fresh.cookies.pop(social.cookie_name("session_token"), None)
    r = fresh.get(back)
    assert_error_redirect(r, "state_mismatch", f"{social.api}/error")
    assert fresh.session_cookie is None


def test_state_from_another_browser_is_refused(social, idp):
    sub, _ = new_subject(idp)
    victim_link = idp.authorize(start(social.client())["url"], sub)
    other = social.client()
    r = other.get(victim_link)
    assert_error_redirect(r, "state_mismatch", f"{social.api}/error")
    assert other.session_cookie is None


def test_missing_state_and_missing_code(social, idp):
    c = social.client()
    assert_error_redirect(c.get("callback/mock?code=x"), "state_not_found", f"{social.api}/error")
    started = start(c, errorCallbackURL="/login-failed")
    state = query_of(started["url"])["state"]
    assert_error_redirect(c.get(f"callback/mock?state={state}"), "no_code", "/login-failed")


def test_provider_error_goes_to_error_callback(social, idp):
    c = social.client()
    started = start(c, errorCallbackURL="/login-failed")
    back = idp.authorize(started["url"], "whoever", deny=True)
    # RFC 6749 §4.1.2.1: the error comes back with the state (the mock leaves it out).
    back += "&state=" + query_of(started["url"])["state"]
    r = c.get(back)
    assert_error_redirect(r, "access_denied", "/login-failed")
    assert c.session_cookie is None


def test_token_endpoint_down(social, idp):
    sub, _ = new_subject(idp)
    c = social.client()
    r = run_flow(idp, c, sub, provider="down", errorCallbackURL="/oops")
    assert_error_redirect(r, "invalid_code", "/oops")
    assert c.session_cookie is None


def test_email_missing(social, idp):
    sub, _ = new_subject(idp, email=None)
    idp.put_user(sub, {"name": "No Mail"})
    c = social.client()
    assert_error_redirect(run_flow(idp, c, sub), "email_not_found", f"{social.api}/error")
    assert c.session_cookie is None


def test_unknown_provider_and_bad_bodies(social):
    c = social.client()
    assert_error(c.post("sign-in/social", {"provider": "nope"}), 404, "PROVIDER_NOT_FOUND")
    assert_error(c.post("sign-in/social", {}), 400, "VALIDATION_ERROR")
    assert_error(c.post("sign-in/social", {"provider": "mock", "callbackURL": "https://evil.test/x"}), 403, "INVALID_CALLBACK_URL")
    assert_error(c.post("sign-in/social", {"provider": "github", "idToken": {"token": "x.y.z"}}), 404, "ID_TOKEN_NOT_SUPPORTED")
    assert_error(c.post("sign-in/social", {"provider": "mock", "idToken": {}}), 400, "VALIDATION_ERROR")


def test_error_url_setting(server, idp):
    srv = server(social_config(idp, onAPIError={"errorURL": "https://trusted.com/auth-error"}))
    c = srv.client()
    assert_error_redirect(c.get("callback/mock?code=x"), "state_not_found", "https://trusted.com/auth-error")
    r = c.get("error?error=state_mismatch")
    assert r.status_code == 302 and r.headers["Location"] == "https://trusted.com/auth-error?error=state_mismatch"


# --- ID-token sign-in (mobile) ------------------------------------------------------------

def test_id_token_sign_in(social, idp):
    sub, email = new_subject(idp)
    token = idp.id_token_for(sub, nonce="n-123")
    c = social.client()
    r = c.post("sign-in/social", {"provider": "mock", "idToken": {"token": token, "nonce": "n-123"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["redirect"] is False and body["user"]["email"] == email and body["token"]
    assert c.session()["user"]["id"] == body["user"]["id"]
    # The same subject through the redirect flow finds the same user.
    c2 = social.client()
    assert run_flow(idp, c2, sub).status_code == 302
    assert c2.session()["user"]["id"] == body["user"]["id"]


def test_id_token_failures(social, idp):
    sub, _ = new_subject(idp)
    token = idp.id_token_for(sub, nonce="right-nonce")
    c = social.client()
    assert_error(c.post("sign-in/social", {"provider": "mock", "idToken": {"token": token, "nonce": "wrong-nonce"}}), 401, "INVALID_TOKEN")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), signature])
    assert_error(c.post("sign-in/social", {"provider": "mock", "idToken": {"token": forged, "nonce": "right-nonce"}}), 401, "INVALID_TOKEN")
    other_audience = idp.id_token_for(sub, nonce="n", client_id="another-client")
    assert_error(c.post("sign-in/social", {"provider": "mock", "idToken": {"token": other_audience, "nonce": "n"}}), 401, "INVALID_TOKEN")
    assert_error(c.post("sign-in/social", {"provider": "mock", "idToken": {"token": "not-a-jwt"}}), 401, "INVALID_TOKEN")
    assert c.session_cookie is None
    assert social.query('SELECT COUNT(*) AS n FROM account WHERE "accountId" = ?', sub)[0]["n"] == 0


# --- account linking ----------------------------------------------------------------------

def test_unverified_local_email_is_not_linked(social, idp):
    local = social.client().new_user()
    sub, _ = new_subject(idp, email=local.email)
    c = social.client()
    assert_error_redirect(run_flow(idp, c, sub), "account_not_linked", f"{social.api}/error")
    assert len(social.query('SELECT id FROM account WHERE "userId" = ?', local.user["id"])) == 1


def test_verified_local_email_is_linked(social, idp):
    local = social.client().new_user()
    social.execute('UPDATE "user" SET "emailVerified" = TRUE WHERE id = ?', local.user["id"])
    sub, _ = new_subject(idp, email=local.email)
    c = social.client()
    assert run_flow(idp, c, sub, callbackURL="/in").headers["Location"] == "/in"
    assert c.session()["user"]["id"] == local.user["id"]
    providers = sorted(a["providerId"] for a in social.query('SELECT "providerId" FROM account WHERE "userId" = ?', local.user["id"]))
    assert providers == ["credential", "mock"]


def test_unverified_provider_email_is_not_linked(social, idp):
    local = social.client().new_user()
    social.execute('UPDATE "user" SET "emailVerified" = TRUE WHERE id = ?', local.user["id"])
    sub, _ = new_subject(idp, email=local.email, verified=False)
    assert_error_redirect(run_flow(idp, social.client(), sub), "account_not_linked", f"{social.api}/error")


def test_trusted_provider_links_and_linking_can_be_turned_off(server, idp):
    trusted = server(social_config(idp, account={"accountLinking": {"trustedProviders": ["mock"]}}))
    local = trusted.client().new_user()
    sub, _ = new_subject(idp, email=local.email, verified=False)
    c = trusted.client()
    assert run_flow(idp, c, sub).status_code == 302
    assert c.session()["user"]["id"] == local.user["id"]

    off = server(social_config(idp, account={"accountLinking": {"enabled": False, "trustedProviders": ["mock"]}}))
    local = off.client().new_user()
    sub, _ = new_subject(idp, email=local.email)
    assert_error_redirect(run_flow(idp, off.client(), sub), "account_not_linked", f"{off.api}/error")


def test_link_social_to_signed_in_user(social, idp):
    user = social.client().new_user()
    sub, _ = new_subject(idp, email=user.email)
    r = user.post("link-social", {"provider": "mock", "callbackURL": "/settings"})
    assert r.status_code == 200 and r.json()["redirect"] is True
    back = idp.authorize(r.json()["url"], sub)
    r = user.get(back)
    assert r.status_code == 302 and r.headers["Location"] == "/settings"
    listed = user.get("list-accounts").json()
    assert sorted(a["providerId"] for a in listed) == ["credential", "mock"]
    mock_account = next(a for a in listed if a["providerId"] == "mock")
    assert mock_account["accountId"] == sub
    # Now the social identity signs in to the same user.
    c = social.client()
    assert run_flow(idp, c, sub).status_code == 302
    assert c.session()["user"]["id"] == user.user["id"]
    # And unlinking it leaves the password account.
    assert user.post("unlink-account", {"accountId": mock_account["id"]}).json() == {"status": True}
    assert [a["providerId"] for a in user.get("list-accounts").json()] == ["credential"]


def test_link_social_refusals(social, idp):
    user = social.client().new_user()
    sub, _ = new_subject(idp)  # another email
    r = user.post("link-social", {"provider": "mock", "callbackURL": "/settings", "errorCallbackURL": "/settings/error"})
    assert_error_redirect(user.get(idp.authorize(r.json()["url"], sub)), "email_does_not_match", "/settings/error")

    # An identity that already belongs to someone else.
    owner = social.client()
    sub2, email2 = new_subject(idp)
    assert run_flow(idp, owner, sub2).status_code == 302
    thief = social.client().new_user()
    idp.put_user(sub2, {"email": thief.email, "email_verified": True, "name": "x"})
    r = thief.post("link-social", {"provider": "mock", "callbackURL": "/s"})
    assert_error_redirect(thief.get(idp.authorize(r.json()["url"], sub2)), "account_already_linked_to_different_user", f"{social.api}/error")

    assert_error(social.client().post("link-social", {"provider": "mock"}), 401, "UNAUTHORIZED")
    assert_error(user.post("link-social", {"provider": "nope"}), 404, "PROVIDER_NOT_FOUND")


def test_link_social_with_id_token(social, idp):
    user = social.client().new_user()
    sub, _ = new_subject(idp, email=user.email)
    token = idp.id_token_for(sub, nonce="link-n")
    r = user.post("link-social", {"provider": "mock", "idToken": {"token": token, "nonce": "link-n"}})
    assert r.status_code == 200 and r.json() == {"url": "", "status": True, "redirect": False}
    other = social.client().new_user()
    assert_error(other.post("link-social", {"provider": "mock", "idToken": {"token": token, "nonce": "link-n"}}), 409,
                 "SOCIAL_ACCOUNT_ALREADY_LINKED")
    stranger_sub, _ = new_subject(idp)
    token = idp.id_token_for(stranger_sub, nonce="x")
    assert_error(other.post("link-social", {"provider": "mock", "idToken": {"token": token, "nonce": "x"}}), 401,
                 "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED")


# --- sign-up policy -----------------------------------------------------------------------

def test_implicit_sign_up_can_require_request_sign_up(server, idp):
    srv = server(social_config(idp, mock={"disableImplicitSignUp": True}))
    sub, _ = new_subject(idp)
    assert_error_redirect(run_flow(idp, srv.client(), sub), "signup_disabled", f"{srv.api}/error")
    c = srv.client()
    assert run_flow(idp, c, sub, requestSignUp=True).status_code == 302
    assert c.session() is not None


# --- the non-OIDC mapping path (GitHub) ---------------------------------------------------

def test_github_profile_mapping(social, idp):
    sub = "gh-" + uuid.uuid4().hex[:8]
    email = unique_email("octo")
    idp.put_user(sub, {"id": 4242001, "login": "octocat", "avatar_url": "https://avatars.example/octo.png", "email": email})
    c = social.client()
    started = start(c, "github")
    q = query_of(started["url"])
    assert "nonce" not in q and q["code_challenge_method"] == "S256"
    assert set(q["scope"].split(" ")) >= {"read:user", "user:email"}
    r = c.get(idp.authorize(started["url"], sub))
    assert r.status_code == 302, r.text
    user = c.session()["user"]
    assert user["email"] == email and user["name"] == "octocat"  # no name: GitHub's login
    assert user["image"] == "https://avatars.example/octo.png"
    assert user["emailVerified"] is False  # GitHub says so only through /user/emails
    account = social.query('SELECT * FROM account WHERE "userId" = ?', user["id"])[0]
    assert account["providerId"] == "github" and account["accountId"] == "4242001"
    assert account["issuer"] == "local:oauth:github"


# --- provider tokens ----------------------------------------------------------------------

def signed_in_social_user(srv, idp):
    sub, email = new_subject(idp)
    c = srv.client()
    assert run_flow(idp, c, sub).status_code == 302
    account = c.get("list-accounts").json()[0]
    return c, account, sub


def test_get_access_token_and_refresh(social, idp):
    c, account, sub = signed_in_social_user(social, idp)
    row = social.query('SELECT "accessToken", "refreshToken" FROM account WHERE id = ?', account["id"])[0]
    r = c.post("get-access-token", {"accountId": account["id"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accessToken"] == row["accessToken"] and "openid" in body["scopes"] and body["idToken"]
    # The token works at the provider.
    info = requests.get(f"{idp.url}/userinfo", headers={"Authorization": "Bearer " + body["accessToken"]}, timeout=10)
    assert info.status_code == 200 and info.json()["sub"] == sub

    r = c.post("refresh-token", {"accountId": account["id"]})
    assert r.status_code == 200, r.text
    refreshed = r.json()
    assert refreshed["accessToken"] != row["accessToken"] and refreshed["providerId"] == "mock"
    assert refreshed["accountId"] == account["id"]
    assert social.query('SELECT "accessToken" FROM account WHERE id = ?', account["id"])[0]["accessToken"] == refreshed["accessToken"]

    # An access token about to expire is refreshed by get-access-token.
    social.execute('UPDATE account SET "accessTokenExpiresAt" = ? WHERE id = ?', "2020-01-01T00:00:00.000Z", account["id"])
    r = c.post("get-access-token", {"accountId": account["id"]})
    assert r.status_code == 200
    assert r.json()["accessToken"] != refreshed["accessToken"]
    assert r.json()["accessTokenExpiresAt"] > "2026"

    info = c.get(f"account-info?accountId={account['id']}")
    assert info.status_code == 200, info.text
    assert info.json()["user"]["id"] == sub and info.json()["account"]["providerId"] == "mock"

    assert_error(c.post("get-access-token", {"accountId": "nope"}), 400, "ACCOUNT_NOT_FOUND")
    assert_error(c.get("account-info?useAccountCookie=true"), 400, "ACCOUNT_NOT_FOUND")  # no account_data cookie
    assert_error(c.post("get-access-token", {}), 400, "VALIDATION_ERROR")
    assert_error(social.client().post("get-access-token", {"accountId": account["id"]}), 401, "UNAUTHORIZED")


def test_refresh_failure_is_a_clear_error(social, idp):
    c, account, sub = signed_in_social_user(social, idp)
    requests.post(f"{idp.url}/users/{sub}/revoke-tokens", timeout=10)
    assert_error(c.post("refresh-token", {"accountId": account["id"]}), 400, "FAILED_TO_REFRESH_ACCESS_TOKEN")
    social.execute('UPDATE account SET "accessTokenExpiresAt" = ? WHERE id = ?', "2020-01-01T00:00:00.000Z", account["id"])
    assert_error(c.post("get-access-token", {"accountId": account["id"]}), 400, "FAILED_TO_GET_ACCESS_TOKEN")


def test_tokens_encrypted_at_rest(server, idp):
    srv = server(social_config(idp, account={"encryptOAuthTokens": True}))
    c, account, _ = signed_in_social_user(srv, idp)
    row = srv.query('SELECT "accessToken", "refreshToken" FROM account WHERE id = ?', account["id"])[0]
    key = hashlib.sha256(TEST_SECRET.encode()).digest()

    def decrypt(stored: str) -> str:
        raw = bytes.fromhex(stored)
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], None, raw[:24], key).decode()

    access = decrypt(row["accessToken"])
    assert decrypt(row["refreshToken"])
    assert c.post("get-access-token", {"accountId": account["id"]}).json()["accessToken"] == access


# --- configuration ------------------------------------------------------------------------

def test_provider_config_is_validated(tmp_path):
    cfg = tmp_path / "g.yaml"
    for text, fragment in [
        ("socialProviders:\n  myidp:\n    clientId: x\n", "socialProviders.myidp"),
        ("socialProviders:\n  github:\n    clientSecret: x\n", "socialProviders.github.clientId"),
        ("socialProviders:\n  github:\n    clientId: x\n    colour: blue\n", "socialProviders.github.colour"),
    ]:
        cfg.write_text(text)
        r = subprocess.run([str(gatehouse_bin()), "config", "validate", "--config", str(cfg)], capture_output=True, text=True)
        assert r.returncode == 78, r.stdout + r.stderr
        assert fragment in r.stdout + r.stderr


def test_provider_credentials_from_environment(server, idp):
    srv = server({"socialProviders": {"mock": {"discoveryUrl": f"{idp.url}/.well-known/openid-configuration", "clientId": "placeholder"}}},
                 env={"GATEHOUSE_SOCIAL_PROVIDERS_MOCK_CLIENT_ID": CLIENT_ID,
                      "GATEHOUSE_SOCIAL_PROVIDERS_MOCK_CLIENT_SECRET": CLIENT_SECRET})
    started = start(srv.client())
    assert query_of(started["url"])["client_id"] == CLIENT_ID


# --- the OAuth client through the plugin host API -----------------------------------------

@pytest.fixture
def probe(server, idp, tmp_path):
    import shutil
    from test_bearer import built_library
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("host-probe"), plugins / "host-probe.so")
    srv = server(social_config(idp, pluginsDir=str(plugins)))
    client = srv.client()

    def call(op, request):
        r = client.post("host-probe", {"op": op, "request": request})
        assert r.status_code == 200, r.text
        return r.json()
    return call


def test_plugins_run_flows_through_the_host(probe, idp):
    from conftest import sign_token
    sub, email = new_subject(idp)
    started = probe("oauth.start", {"provider": "mock", "callbackURL": "/after", "redirectURI": "https://sp.example/cb"})
    assert started["ok"], started
    answer = started["answer"]
    assert answer["cookie"] == {"name": "state", "value": answer["state"], "signed": True, "maxAge": 300}
    assert query_of(answer["url"])["redirect_uri"] == "https://sp.example/cb"
    back = query_of(idp.authorize(answer["url"], sub))
    finish = {"provider": "mock", "query": back, "stateCookie": sign_token(answer["state"])}
    done = probe("oauth.finish", finish)
    assert done["ok"], done
    assert done["answer"]["accountId"] == sub and done["answer"]["issuer"] == idp.url
    assert done["answer"]["profile"]["email"] == email and done["answer"]["tokens"]["accessToken"]
    assert done["answer"]["flow"]["callbackURL"] == "/after"
    assert probe("oauth.finish", finish)["code"] == "state_mismatch"  # single use

    # Without the browser's state cookie the flow is refused.
    started = probe("oauth.start", {"provider": "mock", "callbackURL": "/after", "redirectURI": "https://sp.example/cb"})["answer"]
    back = query_of(idp.authorize(started["url"], sub))
    assert probe("oauth.finish", {"provider": "mock", "query": back, "stateCookie": sign_token("other")})["code"] == "state_mismatch"

    # An inline provider, as the SSO plugin registers them.
    inline = {"id": "corp", "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
              "discoveryUrl": f"{idp.url}/.well-known/openid-configuration"}
    started = probe("oauth.start", {"provider": inline, "callbackURL": "/x", "redirectURI": "https://sp.example/sso"})["answer"]
    back = query_of(idp.authorize(started["url"], sub))
    done = probe("oauth.finish", {"provider": inline, "query": back, "stateCookie": sign_token(started["state"])})
    assert done["ok"] and done["answer"]["accountId"] == sub
    assert probe("oauth.start", {"provider": inline, "callbackURL": "/x"})["code"] == "MISSING_FIELD"
    assert probe("oauth.start", {"provider": {"id": "bad", "clientId": "x"}, "callbackURL": "/x", "redirectURI": "https://a.example"})["code"] == "INVALID_PROVIDER"
    assert probe("oauth.start", {"provider": "nope", "callbackURL": "/x"})["code"] == "PROVIDER_NOT_FOUND"


def test_plugins_verify_id_tokens_and_sign_in_through_the_host(probe, idp):
    sub, email = new_subject(idp)
    token = idp.id_token_for(sub, nonce="pn")
    ok = probe("oauth.verifyIdToken", {"provider": "mock", "token": token, "nonce": "pn"})
    assert ok["ok"] and ok["answer"]["claims"]["sub"] == sub and ok["answer"]["profile"]["email"] == email
    assert probe("oauth.verifyIdToken", {"provider": "mock", "token": token, "nonce": "other"})["code"] == "INVALID_TOKEN"

    identity = {"providerId": "corp", "issuer": "https://corp.example",
                "profile": {"subject": "emp-1", "email": email, "emailVerified": True, "name": "Corp User"}}
    first = probe("oauth.signIn", identity)
    assert first["ok"] and first["answer"]["isRegister"] is True and first["answer"]["user"]["email"] == email
    again = probe("oauth.signIn", identity)
    assert again["answer"]["isRegister"] is False and again["answer"]["user"]["id"] == first["answer"]["user"]["id"]
    refused = probe("oauth.signIn", {**identity, "profile": {"subject": "emp-2", "email": unique_email(), "name": "x"},
                                     "disableSignUp": True})
    assert refused["code"] == "signup_disabled"


# --- key rotation and token checks against a provider whose keys we control ----------------

class RotatingProvider:
    """A minimal OpenID provider: discovery and a JWKS whose keys the test rotates. ID tokens
    are signed here with PyJWT, as the provider would sign them."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.keys: dict[str, object] = {}
        self.published: list[str] = []
        self.jwks_fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.url, "authorization_endpoint": f"{provider.url}/authorize",
                            "token_endpoint": f"{provider.url}/token", "jwks_uri": f"{provider.url}/jwks"}
                elif self.path == "/jwks":
                    provider.jwks_fetches += 1
                    body = {"keys": [provider.public_jwk(kid) for kid in provider.published]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def add_key(self, kid: str, publish: bool = True):
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.published.append(kid)

    def public_jwk(self, kid: str) -> dict:
        import jwt
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, kid: str, sub: str, email: str, **claims) -> str:
        import time
        import jwt
        now = int(time.time())
        payload = {"iss": self.url, "aud": CLIENT_ID, "sub": sub, "email": email, "email_verified": True,
                   "iat": now, "exp": now + 300, **claims}
        return jwt.encode(payload, self.keys[kid], algorithm="RS256", headers={"kid": kid})


def test_id_tokens_follow_key_rotation_and_expiry(server):
    import time
    idp = RotatingProvider()
    idp.add_key("k1")
    srv = server({"socialProviders": {"rotating": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                                                   "discoveryUrl": f"{idp.url}/.well-known/openid-configuration"}}})

    def sign_in(token):
        return srv.client().post("sign-in/social", {"provider": "rotating", "idToken": {"token": token}})

    email = unique_email("rot")
    assert sign_in(idp.token("k1", "r-1", email)).status_code == 200
    assert sign_in(idp.token("k1", "r-1", email)).status_code == 200
    assert idp.jwks_fetches == 1  # the key set is cached

    # Expired, wrong issuer, unsigned: refused without fetching the keys again.
    assert_error(sign_in(idp.token("k1", "r-1", email, exp=int(time.time()) - 3600)), 401, "INVALID_TOKEN")
    assert_error(sign_in(idp.token("k1", "r-1", email, iss="https://elsewhere.example")), 401, "INVALID_TOKEN")
    import jwt
    unsigned = jwt.encode({"iss": idp.url, "aud": CLIENT_ID, "sub": "r-1", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert_error(sign_in(unsigned), 401, "INVALID_TOKEN")
    # A key the provider has not published is refused; within 10 s of the last fetch the
    # unknown kid does not make the server fetch again.
    idp.add_key("rogue", publish=False)
    assert_error(sign_in(idp.token("rogue", "r-1", email)), 401, "INVALID_TOKEN")
    assert idp.jwks_fetches == 1

    # The provider rotates to k2. An unknown kid refetches the set, at most once per 10 s.
    idp.add_key("k2")
    idp.published.remove("k1")
    time.sleep(10.5)
    fetches = idp.jwks_fetches
    r = sign_in(idp.token("k2", "r-1", email))
    assert r.status_code == 200, r.text
    assert idp.jwks_fetches == fetches + 1
    assert r.json()["user"]["email"] == email
