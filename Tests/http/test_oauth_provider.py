"""oauth-provider plugin: Gatehouse as an OAuth 2.1 / OpenID Connect provider (Better Auth 1.7's oauth-provider).

A real server loads jwt.so and oauth-provider.so with clients from its settings (and, on other servers,
registered dynamically). Relying parties are real third-party libraries where they exist for a step:
authlib (OAuth2Session with PKCE S256, CodeIDToken claim validation), idpyoidc (RPHandler: discovery,
dynamic registration, begin, finalize) and PyJWT (PyJWKClient on /jwks); the protocol's edges (errors,
replays, revocations) are driven with requests. A Client with its own cookie jar plays the browser: it
follows the authorization endpoint's redirects to the login and consent pages by hand (those pages are
never fetched, their URLs only carry the signed query the browser posts back).
"""
from __future__ import annotations

import hashlib
import secrets
import shutil
import time
import urllib.parse
from dataclasses import dataclass, field, replace

import jwt as pyjwt
import pytest
import requests

from conftest import assert_error, b64url_encode, now_utc, parse_date
from test_bearer import built_library

# joserfc warns on every EdDSA (RFC 9864 deprecates the name); the jwt plugin's default is still EdDSA.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

ALGS = ["EdDSA", "RS256"]
PAGES = "http://127.0.0.1:9"              # the relying parties and the login/consent pages: never fetched
LOGIN = f"{PAGES}/login"
CONSENT = f"{PAGES}/consent"
CALLBACK = f"{PAGES}/cb"
LOGGED_OUT = f"{PAGES}/logged-out"
EVIL = "https://evil.example/cb"
DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access"]
SCOPES = DEFAULT_SCOPES + ["read:things", "write:things"]
FULL = "openid profile email offline_access"
USER_NAME = "Ada Lovelace"
USER_PICTURE = "https://img.example/ada.png"
ENDPOINTS = {"authorization_endpoint": "/oauth2/authorize", "token_endpoint": "/oauth2/token",
             "userinfo_endpoint": "/oauth2/userinfo", "introspection_endpoint": "/oauth2/introspect",
             "revocation_endpoint": "/oauth2/revoke", "end_session_endpoint": "/oauth2/end-session",
             "jwks_uri": "/jwks"}


@dataclass(frozen=True)
class RP:
    """A relying party: client_id, secret (None: a public client) and its token_endpoint_auth_method."""
    client_id: str
    secret: str | None
    auth: str = "client_secret_basic"
    settings: dict = field(default_factory=dict)

    @property
    def redirect_uri(self) -> str:
        return f"{CALLBACK}/{self.client_id}"

    @property
    def other_redirect_uri(self) -> str:
        """Its second registered redirect URI."""
        return f"{self.redirect_uri}/alt"

    def config(self) -> dict:
        c = {"client_id": self.client_id, "client_name": self.client_id.replace("-", " ").title(),
             "redirect_uris": [self.redirect_uri, self.other_redirect_uri], "token_endpoint_auth_method": self.auth,
             **self.settings}
        if self.secret:
            c["client_secret"] = self.secret
        return c


CODE_AND_REFRESH = ["authorization_code", "refresh_token"]
WEB = RP("web-app", "web-app-secret-5f1c9a0b", settings={
    "grant_types": CODE_AND_REFRESH, "enable_end_session": True, "post_logout_redirect_uris": [LOGGED_OUT]})
FIRST_PARTY = RP("first-party", "first-party-secret-8e2d41", "client_secret_post",
                 {"grant_types": CODE_AND_REFRESH, "skip_consent": True})
OTHER = RP("other-app", "other-app-secret-3b7a99c2", settings={"grant_types": CODE_AND_REFRESH, "skip_consent": True})
SPA = RP("spa", None, "none", {"skip_consent": True})                      # public; authorization_code only
SERVICE = RP("service", "service-secret-9c4e17aa", settings={
    "grant_types": ["client_credentials"], "client_credentials_scopes": ["read:things"]})
CLIENTS = [WEB, FIRST_PARTY, OTHER, SPA, SERVICE]

MAIN = {"scopes": SCOPES, "accessTokenExpiresIn": 1800, "idTokenExpiresIn": 7200,
        "clients": [rp.config() for rp in CLIENTS]}
OPEN_REGISTRATION = {"allowDynamicClientRegistration": True, "allowUnauthenticatedClientRegistration": True,
                     "clients": [FIRST_PARTY.config()]}                      # every other setting at its default
SIGNED_IN_REGISTRATION = {"allowDynamicClientRegistration": True}
SHORT = {"codeExpiresIn": 2, "accessTokenExpiresIn": 2, "refreshTokenExpiresIn": 4, "clients": [FIRST_PARTY.config()]}


# ---------------------------------------------------------------------------------------------
# servers

@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("oauth-provider-plugins")
    for name in ("jwt", "oauth-provider"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return plugins


def provider_config(plugins_dir, alg: str, settings: dict) -> dict:
    return {"pluginsDir": str(plugins_dir),
            "plugins": {"jwt": {"jwks": {"keyPairConfig": {"alg": alg}}},
                        "oauth-provider": {"loginPage": LOGIN, "consentPage": CONSENT, **settings}}}


def provider(server_factory, plugins_dir, alg: str, settings: dict):
    """A memoised server (the same alg and settings start one server only)."""
    return server_factory(provider_config(plugins_dir, alg, settings), name="oauth-provider")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return provider(server_factory, plugins_dir, "EdDSA", MAIN)


@pytest.fixture(scope="module", params=ALGS)
def id_srv(server_factory, plugins_dir, request):
    """The main server for each ID-token signing algorithm (the EdDSA one is `srv`)."""
    return provider(server_factory, plugins_dir, request.param, MAIN)


@pytest.fixture(scope="module")
def open_srv(server_factory, plugins_dir):
    return provider(server_factory, plugins_dir, "EdDSA", OPEN_REGISTRATION)


@pytest.fixture(scope="module")
def open_id_srv(server_factory, plugins_dir):
    """The open-registration server for idpyoidc, on RS256: OpenID Connect Discovery 1.0 §3 makes
    RS256 mandatory in id_token_signing_alg_values_supported, and idpyoidc refuses a provider
    without it (the README tells operators to choose RS256 for OpenID relying parties)."""
    return provider(server_factory, plugins_dir, "RS256", OPEN_REGISTRATION)


@pytest.fixture(scope="module")
def short_srv(server_factory, plugins_dir):
    return provider(server_factory, plugins_dir, "EdDSA", SHORT)


def issuer(srv) -> str:
    return srv.base_url + srv.base_path


def alg_of(srv) -> str:
    return srv.config["plugins"]["jwt"]["jwks"]["keyPairConfig"]["alg"]


def settings_of(srv) -> dict:
    return srv.config["plugins"]["oauth-provider"]


# ---------------------------------------------------------------------------------------------
# browsers and the authorization endpoint

def signed_in(srv):
    """A browser of a new user (named USER_NAME, with the image USER_PICTURE), signed in."""
    browser = srv.client()
    r = browser.sign_up(name=USER_NAME, image=USER_PICTURE)
    assert r.status_code == 200, r.text
    return browser


def signed_out(srv):
    """A browser without cookies that knows the credentials of a new user (whose id it keeps in .user)."""
    account = signed_in(srv)
    browser = srv.client()
    browser.email, browser.password, browser.user = account.email, account.password, account.user
    return browser


def s256(verifier: str) -> str:
    return b64url_encode(hashlib.sha256(verifier.encode()).digest())


def half_hash(value: str, alg: str) -> str:
    """at_hash: the left half of the alg's hash (SHA-512 for EdDSA, SHA-256 for RS256), base64url."""
    digest = (hashlib.sha512 if alg == "EdDSA" else hashlib.sha256)(value.encode()).digest()
    return b64url_encode(digest[: len(digest) // 2])


def auth_params(rp: RP, scope: str = FULL, **extra) -> tuple[dict, str]:
    """Authorization request parameters with PKCE S256 (an extra of None drops a parameter) and the verifier."""
    verifier = secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": rp.client_id, "redirect_uri": rp.redirect_uri, "scope": scope,
              "state": secrets.token_urlsafe(12), "nonce": secrets.token_urlsafe(12),
              "code_challenge": s256(verifier), "code_challenge_method": "S256", **extra}
    return {k: v for k, v in params.items() if v is not None}, verifier


def start(browser, params: dict, method: str = "GET"):
    """The browser arriving at the authorization endpoint (a GET, or a form POST)."""
    if method == "GET":
        return browser.get("oauth2/authorize", params=params)
    return browser.post("oauth2/authorize", data=params)


def location(r) -> str:
    assert r.status_code == 302, f"expected 302, got {r.status_code}: {r.text[:500]}"
    return urllib.parse.urljoin(r.url, r.headers["Location"])


def raw_query(url: str) -> str:
    return urllib.parse.urlsplit(url).query


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(raw_query(url), keep_blank_values=True))


def alter_query(qs: str, **changes) -> str:
    """`qs` with parameters changed in place, the others byte for byte as they were; a change is a value,
    None (drop it) or a function of the old value. Parameters not in `qs` are appended."""
    out, seen = [], set()
    for pair in filter(None, qs.split("&")):
        k, _, v = pair.partition("=")
        key = urllib.parse.unquote_plus(k)
        if key not in changes:
            out.append(pair)
            continue
        seen.add(key)
        new = changes[key]
        new = new(urllib.parse.unquote_plus(v)) if callable(new) else new
        if new is not None:
            out.append(f"{k}={urllib.parse.quote(new, safe='')}")
    out += [f"{k}={urllib.parse.quote(v, safe='')}" for k, v in changes.items()
            if k not in seen and isinstance(v, str)]
    return "&".join(out)


def flip_first(value: str) -> str:
    return ("B" if value[:1] == "A" else "A") + value[1:]


def login(browser, login_url: str):
    """Signs in on the login page: POST /sign-in/email with the login redirect's whole query as oauth_query."""
    return browser.post("sign-in/email", {"email": browser.email, "password": browser.password,
                                           "oauth_query": raw_query(login_url)})


def post_consent(browser, consent_url: str, accept: bool = True, scope: str | None = None, oauth_query: str | None = None,
                 **kw):
    body = {"accept": accept, "oauth_query": raw_query(consent_url) if oauth_query is None else oauth_query}
    if scope is not None:
        body["scope"] = scope
    return browser.post("oauth2/consent", body, **kw)


def redirect_url(r) -> str:
    """The url of a {redirect: true, url} answer."""
    assert r.status_code == 200, f"expected 200, got {r.status_code}: {r.text[:500]}"
    body = r.json()
    assert body.get("redirect") is True and isinstance(body.get("url"), str), body
    return body["url"]


def advance(browser, url: str, accept: bool = True, consent_scope: str | None = None) -> str:
    """Plays the login and consent pages until the browser is sent elsewhere; returns that URL."""
    for _ in range(3):
        if url.startswith(LOGIN + "?"):
            assert browser.session_cookie is None, "sent to the login page while signed in"
            url = redirect_url(login(browser, url))
            assert browser.session_cookie, "sign-in with oauth_query set no session cookie"
        elif url.startswith(CONSENT + "?"):
            url = redirect_url(post_consent(browser, url, accept, consent_scope))
        else:
            return url
    raise AssertionError(f"still on the login/consent pages: {url}")


@dataclass
class Grant:
    """One authorization request and the redirect that answered it."""
    rp: RP
    params: dict
    verifier: str
    url: str

    @property
    def query(self) -> dict:
        return query_of(self.url)

    @property
    def code(self) -> str:
        q = self.query
        assert q.get("code"), f"no code in {self.url}"
        return q["code"]

    @property
    def nonce(self) -> str:
        return self.params["nonce"]


def authorization(srv, browser, rp: RP, scope: str = FULL, accept: bool = True, method: str = "GET",
                  consent_scope: str | None = None, **extra) -> Grant:
    """The whole front channel: authorize, login and consent as needed; checks the redirect to the client
    carries state and iss."""
    params, verifier = auth_params(rp, scope, **extra)
    url = advance(browser, location(start(browser, params, method)), accept, consent_scope)
    assert url.startswith(params["redirect_uri"] + "?"), f"not redirected to the client: {url}"
    q = query_of(url)
    assert q.get("state") == params["state"] and q.get("iss") == issuer(srv), url
    return Grant(rp, params, verifier, url)


def error_redirect(srv, r, rp: RP, params: dict, error: str):
    """Asserts `r` sends the browser back to the client with `error`, the state and iss."""
    url = location(r)
    assert url.startswith(rp.redirect_uri + "?"), url
    q = query_of(url)
    assert q.get("error") == error and q.get("state") == params["state"] and q.get("iss") == issuer(srv), url
    assert "code" not in q, url


# ---------------------------------------------------------------------------------------------
# back channel: token, userinfo, introspection, revocation

def oauth_post(srv, path: str, rp: RP, form: dict, auth: str | None = None):
    """A form POST by a client (no cookies, no Origin), authenticated as `auth` (default: the client's own
    method; "anonymous": no client authentication at all). Never a 5xx."""
    method = auth or rp.auth
    data = {k: v for k, v in form.items() if v is not None}
    basic = None
    if method == "client_secret_basic":
        basic = (rp.client_id, rp.secret)
    elif method == "client_secret_post":
        data.update(client_id=rp.client_id, client_secret=rp.secret)
    elif method == "none":
        data["client_id"] = rp.client_id
    r = requests.post(f"{issuer(srv)}/{path}", data=data, auth=basic, allow_redirects=False, timeout=30)
    assert r.status_code < 500, f"{path}: {r.status_code} {r.text[:500]}"
    return r


def token(srv, rp: RP, auth: str | None = None, **form):
    """POST /oauth2/token; every answer, tokens or error, is Cache-Control: no-store."""
    r = oauth_post(srv, "oauth2/token", rp, form, auth)
    assert "no-store" in r.headers.get("Cache-Control", ""), (r.status_code, dict(r.headers))
    return r


def exchange(srv, grant: Grant, rp: RP | None = None, auth: str | None = None, **overrides):
    form = {"grant_type": "authorization_code", "code": grant.code, "redirect_uri": grant.params["redirect_uri"],
            "code_verifier": grant.verifier, **overrides}
    return token(srv, rp or grant.rp, auth, **form)


def issued(r) -> dict:
    """A successful token answer."""
    assert r.status_code == 200, f"expected 200, got {r.status_code}: {r.text[:500]}"
    body = r.json()
    assert body["access_token"] and body["token_type"] == "Bearer" and isinstance(body["expires_in"], int), body
    return body


def tokens(srv, grant: Grant, **overrides) -> dict:
    return issued(exchange(srv, grant, **overrides))


def refresh(srv, rp: RP, refresh_token: str, **form):
    return token(srv, rp, grant_type="refresh_token", refresh_token=refresh_token, **form)


def oauth_error(r, status: int, error: str) -> dict:
    assert r.status_code == status, f"expected {status} {error}, got {r.status_code}: {r.text[:500]}"
    body = r.json()
    assert body.get("error") == error, body
    assert isinstance(body.get("error_description"), str), body
    return body


def userinfo(srv, access_token: str):
    r = requests.get(f"{issuer(srv)}/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=30)
    assert r.status_code < 500, r.text
    return r


def introspect(srv, rp: RP, tok: str, auth: str | None = None, **form):
    return oauth_post(srv, "oauth2/introspect", rp, {"token": tok, **form}, auth)


def active(srv, rp: RP, tok: str, **form) -> bool:
    r = introspect(srv, rp, tok, **form)
    assert r.status_code == 200, r.text
    return r.json()["active"]


def revoke(srv, rp: RP, tok: str, auth: str | None = None, **form):
    return oauth_post(srv, "oauth2/revoke", rp, {"token": tok, **form}, auth)


def verified_id_token(srv, answer: dict, rp: RP, nonce: str | None) -> dict:
    """The answer's ID token, verified by PyJWT with the key /jwks names by its kid; checks iss, aud,
    nonce and at_hash."""
    id_token, alg = answer["id_token"], alg_of(srv)
    header = pyjwt.get_unverified_header(id_token)
    assert header["alg"] == alg, header
    published = requests.get(f"{issuer(srv)}/jwks", timeout=30).json()["keys"]
    assert header.get("kid") in [k.get("kid") for k in published], (header, published)
    key = pyjwt.PyJWKClient(f"{issuer(srv)}/jwks").get_signing_key_from_jwt(id_token)
    claims = pyjwt.decode(id_token, key.key, algorithms=[alg], audience=rp.client_id, issuer=issuer(srv),
                          options={"require": ["iss", "sub", "aud", "exp", "iat"]})
    assert claims.get("nonce") == nonce, claims
    assert claims.get("at_hash") == half_hash(answer["access_token"], alg), claims
    assert isinstance(claims.get("auth_time"), int) and claims["auth_time"] <= claims["iat"] + 5, claims
    return claims


def assert_refused_grant(srv, rp: RP, refresh_token: str, access_tokens: list[str]):
    """The refresh token no longer works and none of the access tokens does either."""
    oauth_error(refresh(srv, rp, refresh_token), 400, "invalid_grant")
    for at in access_tokens:
        assert userinfo(srv, at).status_code == 401
        assert active(srv, rp, at) is False


# ---------------------------------------------------------------------------------------------
# discovery and keys

def test_discovery_is_the_same_document_at_all_three_addresses(id_srv):
    iss = issuer(id_srv)
    urls = [f"{iss}/.well-known/openid-configuration", f"{iss}/.well-known/oauth-authorization-server",
            f"{id_srv.url}/.well-known/oauth-authorization-server{id_srv.base_path}"]
    docs = []
    for url in urls:
        r = requests.get(url, timeout=30)
        assert r.status_code == 200 and "json" in r.headers.get("content-type", ""), (url, r.status_code, r.text[:300])
        docs.append(r.json())
    assert docs[0] == docs[1] == docs[2]
    d = docs[0]
    assert d["issuer"] == iss
    assert {name: d.get(name) for name in ENDPOINTS} == {name: iss + path for name, path in ENDPOINTS.items()}
    assert "registration_endpoint" not in d                     # dynamic registration is off here
    assert d["response_types_supported"] == ["code"]
    assert d["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(d["grant_types_supported"])
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(d["token_endpoint_auth_methods_supported"])
    assert d["scopes_supported"] == SCOPES
    assert d["subject_types_supported"] == ["public"]
    assert alg_of(id_srv) in d["id_token_signing_alg_values_supported"]
    assert d["authorization_response_iss_parameter_supported"] is True


def test_discovery_defaults_and_registration_endpoint(open_srv):
    d = requests.get(f"{issuer(open_srv)}/.well-known/openid-configuration", timeout=30).json()
    assert d["registration_endpoint"] == f"{issuer(open_srv)}/oauth2/register"
    assert d["scopes_supported"] == DEFAULT_SCOPES


def test_jwks_has_a_key_before_anything_was_signed(server, plugins_dir):
    fresh = server(provider_config(plugins_dir, "RS256", {"clients": [SPA.config()]}))
    r = requests.get(f"{issuer(fresh)}/jwks", timeout=30)
    assert r.status_code == 200, r.text
    keys = r.json()["keys"]
    assert keys and all(k.get("kid") for k in keys)
    assert keys[0]["kty"] == "RSA" and "d" not in keys[0]


# ---------------------------------------------------------------------------------------------
# authorization endpoint

def test_signed_out_browser_goes_to_the_login_page_with_signed_parameters(srv):
    params, _ = auth_params(WEB)
    url = location(start(srv.client(), params))
    assert url.startswith(LOGIN + "?"), url
    q = query_of(url)
    assert {k: q.get(k) for k in params} == params              # every original parameter is carried
    assert q.get("sig") and q.get("exp"), q


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_login_then_consent_then_code(srv, method):
    browser = signed_out(srv)
    params, verifier = auth_params(WEB, "openid profile")
    url = redirect_url(login(browser, location(start(browser, params, method))))
    assert browser.session_cookie, "the sign-in set no session cookie"
    assert url.startswith(CONSENT + "?"), url                    # WEB is not a skip_consent client
    q = query_of(url)
    assert q.get("client_id") == WEB.client_id and q.get("scope") == "openid profile" and q.get("sig"), q

    url = redirect_url(post_consent(browser, url))
    assert url.startswith(WEB.redirect_uri + "?"), url
    q = query_of(url)
    assert q["code"] and q["state"] == params["state"] and q["iss"] == issuer(srv)
    answer = tokens(srv, Grant(WEB, params, verifier, url))
    assert set(answer["scope"].split()) == {"openid", "profile"}

    consents = srv.query('SELECT * FROM "oauthConsent" WHERE "userId" = ?', browser.user["id"])
    assert len(consents) == 1 and consents[0]["clientId"] == WEB.client_id, consents
    assert all(s in str(consents[0]["scopes"]) for s in ("openid", "profile")), consents


def test_skip_consent_client_gets_its_code_right_after_login(srv):
    browser = signed_out(srv)
    params, _ = auth_params(FIRST_PARTY)
    url = redirect_url(login(browser, location(start(browser, params))))
    q = query_of(url)
    assert url.startswith(FIRST_PARTY.redirect_uri + "?") and q.get("code") and q.get("state") == params["state"], url
    assert q.get("iss") == issuer(srv)


def test_signed_in_browser_of_a_skip_consent_client_is_sent_straight_back(srv):
    browser = signed_in(srv)
    params, _ = auth_params(FIRST_PARTY)
    url = location(start(browser, params))
    assert url.startswith(FIRST_PARTY.redirect_uri + "?") and query_of(url).get("code"), url
    assert query_of(url)["iss"] == issuer(srv)


@pytest.mark.parametrize("changes", [
    pytest.param({"redirect_uri": EVIL}, id="redirect_uri"),
    pytest.param({"client_id": OTHER.client_id}, id="client_id"),
    pytest.param({"scope": "openid profile email offline_access read:things"}, id="scope"),
    pytest.param({"state": "swapped"}, id="state"),
    pytest.param({"prompt": "none"}, id="added-parameter"),
    pytest.param({"exp": lambda old: str(int(old) + 86400) if old.isdigit() else old + "0"}, id="exp"),
    pytest.param({"sig": flip_first}, id="signature"),
    pytest.param({"sig": None}, id="no-signature"),
])
def test_altered_oauth_query_is_refused_and_signs_nobody_in(srv, changes):
    browser = signed_out(srv)
    params, _ = auth_params(WEB)
    qs = raw_query(location(start(browser, params)))
    sessions = len(srv.query('SELECT id FROM "session" WHERE "userId" = ?', browser.user["id"]))
    r = browser.post("sign-in/email", {"email": browser.email, "password": browser.password,
                                       "oauth_query": alter_query(qs, **changes)})
    assert r.status_code == 400, f"{r.status_code}: {r.text[:300]}"
    assert browser.session_cookie is None
    assert len(srv.query('SELECT id FROM "session" WHERE "userId" = ?', browser.user["id"])) == sessions


def test_stored_consent_skips_the_consent_page_until_more_is_asked(srv):
    browser = signed_in(srv)
    authorization(srv, browser, WEB, "openid profile email")
    params, _ = auth_params(WEB, "openid email")                # covered by the stored consent
    url = location(start(browser, params))
    assert url.startswith(WEB.redirect_uri + "?") and query_of(url).get("code"), url
    params, _ = auth_params(WEB, "openid email offline_access")  # more than was consented to
    assert location(start(browser, params)).startswith(CONSENT + "?")


def test_consent_rejected_redirects_with_access_denied(srv):
    browser = signed_in(srv)
    params, _ = auth_params(WEB)
    url = redirect_url(post_consent(browser, location(start(browser, params)), accept=False))
    assert url.startswith(WEB.redirect_uri + "?"), url
    q = query_of(url)
    assert q.get("error") == "access_denied" and q.get("state") == params["state"] and "code" not in q, q
    assert srv.query('SELECT * FROM "oauthConsent" WHERE "userId" = ?', browser.user["id"]) == []


def test_consent_to_narrower_scopes_grants_only_those(srv):
    browser = signed_in(srv)
    grant = authorization(srv, browser, WEB, "openid profile email", consent_scope="openid email")
    answer = tokens(srv, grant)
    assert set(answer["scope"].split()) == {"openid", "email"}
    info = userinfo(srv, answer["access_token"]).json()
    assert info["email"] == browser.email and "name" not in info, info


@pytest.mark.parametrize("changes", [
    pytest.param({"scope": "openid profile email offline_access read:things"}, id="scope"),
    pytest.param({"client_id": FIRST_PARTY.client_id}, id="client_id"),
    pytest.param({"sig": flip_first}, id="signature"),
])
def test_altered_consent_query_is_refused(srv, changes):
    browser = signed_in(srv)
    params, _ = auth_params(WEB, "openid")
    qs = raw_query(location(start(browser, params)))
    r = post_consent(browser, CONSENT, oauth_query=alter_query(qs, **changes))
    assert r.status_code == 400, f"{r.status_code}: {r.text[:300]}"
    assert srv.query('SELECT * FROM "oauthConsent" WHERE "userId" = ?', browser.user["id"]) == []


def test_login_page_query_is_no_consent(srv):
    """The login page's signed query cannot be posted as a consent: that would skip prompt=login."""
    browser = signed_in(srv)
    params, _ = auth_params(WEB, prompt="login")
    login_url = location(start(browser, params))
    assert login_url.startswith(LOGIN + "?"), login_url
    oauth_error(post_consent(browser, login_url), 400, "invalid_request")
    assert srv.query('SELECT * FROM "oauthConsent" WHERE "userId" = ?', browser.user["id"]) == []


def test_consent_query_is_bound_to_the_session_it_was_shown_to(srv):
    browser = signed_in(srv)
    params, _ = auth_params(WEB)
    consent_url = location(start(browser, params))
    assert consent_url.startswith(CONSENT + "?"), consent_url
    oauth_error(post_consent(signed_in(srv), consent_url), 400, "invalid_request")


def test_consent_needs_a_session(srv):
    browser = signed_in(srv)
    params, _ = auth_params(WEB)
    url = location(start(browser, params))
    r = post_consent(srv.client(), url)
    assert r.status_code == 401, f"{r.status_code}: {r.text[:300]}"


@pytest.mark.parametrize("origin", [None, "https://evil.example", "null"])
def test_consent_with_cookies_needs_a_trusted_origin(srv, origin):
    browser = signed_in(srv)
    params, _ = auth_params(WEB, "openid")
    url = location(start(browser, params))
    headers = {"Referer": "https://evil.example/page"} if origin is None else None
    assert_error(post_consent(browser, url, origin=origin, headers=headers), 403)
    assert srv.query('SELECT * FROM "oauthConsent" WHERE "userId" = ?', browser.user["id"]) == []
    assert redirect_url(post_consent(browser, url, origin="https://app.example.com")).startswith(WEB.redirect_uri + "?")


def test_prompt_none(srv):
    params, _ = auth_params(WEB, prompt="none")
    error_redirect(srv, start(srv.client(), params), WEB, params, "login_required")
    error_redirect(srv, start(signed_in(srv), params), WEB, params, "consent_required")


def test_prompt_login_and_consent_force_the_pages(srv):
    browser = signed_in(srv)
    authorization(srv, browser, WEB, "openid")                  # consent stored
    params, _ = auth_params(WEB, "openid", prompt="consent")
    assert location(start(browser, params)).startswith(CONSENT + "?")
    params, _ = auth_params(FIRST_PARTY, "openid", prompt="login")
    assert location(start(browser, params)).startswith(LOGIN + "?")


@pytest.mark.parametrize("extra", [
    pytest.param({"code_challenge": None, "code_challenge_method": None}, id="no-pkce"),
    pytest.param({"code_challenge_method": "plain"}, id="plain"),
    pytest.param({"code_challenge_method": None}, id="no-method"),
])
def test_pkce_s256_is_required(srv, extra):
    params, _ = auth_params(FIRST_PARTY, **extra)
    error_redirect(srv, start(signed_in(srv), params), FIRST_PARTY, params, "invalid_request")


def test_unknown_scope_is_refused(srv):
    params, _ = auth_params(FIRST_PARTY, "openid bogus:scope")
    error_redirect(srv, start(signed_in(srv), params), FIRST_PARTY, params, "invalid_scope")


@pytest.mark.parametrize("extra", [
    pytest.param({"client_id": "no-such-client", "redirect_uri": EVIL}, id="unknown-client"),
    pytest.param({"redirect_uri": EVIL}, id="unregistered"),
    pytest.param({"redirect_uri": WEB.redirect_uri + "x"}, id="prefix"),
    pytest.param({"redirect_uri": WEB.redirect_uri + "?next=1"}, id="extra-query"),
    pytest.param({"redirect_uri": WEB.redirect_uri.replace("127.0.0.1", "localhost")}, id="other-host"),
    pytest.param({"redirect_uri": None}, id="missing"),
])
@pytest.mark.parametrize("signed", [True, False], ids=["signed-in", "signed-out"])
def test_bad_client_or_redirect_uri_is_never_redirected_to(srv, extra, signed):
    params, _ = auth_params(WEB, **extra)
    r = start(signed_in(srv) if signed else srv.client(), params)
    if r.status_code in (301, 302, 303, 307, 308):
        url = location(r)
        assert url.startswith(f"{srv.api}/error?") and query_of(url).get("error"), url
    else:
        assert 400 <= r.status_code < 500, f"{r.status_code}: {r.text[:300]}"
        assert isinstance(r.json(), dict)


# ---------------------------------------------------------------------------------------------
# token endpoint: authorization_code

def test_code_exchange_answers_tokens_and_a_verified_id_token(id_srv):
    browser = signed_in(id_srv)
    grant = authorization(id_srv, browser, WEB)
    answer = tokens(id_srv, grant)
    assert answer["expires_in"] == 1800                          # accessTokenExpiresIn
    assert set(answer["scope"].split()) == set(FULL.split())
    assert answer["refresh_token"]
    claims = verified_id_token(id_srv, answer, WEB, grant.nonce)
    assert claims["sub"] == browser.user["id"]
    assert claims["exp"] - claims["iat"] == 7200                 # idTokenExpiresIn
    assert claims["sid"] == browser.session()["session"]["id"]   # WEB has enable_end_session


def test_settings_default_lifetimes(open_srv):
    grant = authorization(open_srv, signed_in(open_srv), FIRST_PARTY)
    answer = tokens(open_srv, grant)
    assert answer["expires_in"] == 3600
    claims = verified_id_token(open_srv, answer, FIRST_PARTY, grant.nonce)
    assert claims["exp"] - claims["iat"] == 36000


def test_what_the_answer_carries_depends_on_scope_and_client(srv):
    browser = signed_in(srv)
    # no offline_access: no refresh token; no enable_end_session: no sid
    answer = tokens(srv, authorization(srv, browser, FIRST_PARTY, "openid profile"))
    assert "refresh_token" not in answer and answer["id_token"]
    assert "sid" not in pyjwt.decode(answer["id_token"], options={"verify_signature": False})
    # no openid: no ID token
    answer = tokens(srv, authorization(srv, browser, FIRST_PARTY, "profile email offline_access"))
    assert "id_token" not in answer and answer["refresh_token"]
    # a public client without the refresh_token grant gets none even with offline_access
    grant = authorization(srv, browser, SPA, FULL)
    answer = tokens(srv, grant)
    assert "refresh_token" not in answer
    assert verified_id_token(srv, answer, SPA, grant.nonce)["sub"] == browser.user["id"]


@pytest.mark.parametrize("rp", [WEB, FIRST_PARTY, SPA], ids=lambda rp: rp.auth)
def test_each_client_authentication_method(srv, rp):
    answer = tokens(srv, authorization(srv, signed_in(srv), rp))
    assert userinfo(srv, answer["access_token"]).status_code == 200


@pytest.mark.parametrize("rp, presented, auth", [
    pytest.param(WEB, WEB, "anonymous", id="no-credentials"),
    pytest.param(WEB, WEB, "none", id="confidential-as-public"),
    pytest.param(WEB, replace(WEB, secret="wrong-secret"), None, id="wrong-secret-basic"),
    pytest.param(FIRST_PARTY, replace(FIRST_PARTY, secret="wrong-secret"), None, id="wrong-secret-post"),
    pytest.param(WEB, replace(WEB, client_id="no-such-client"), None, id="unknown-client"),
])
def test_bad_client_credentials_are_invalid_client(srv, rp, presented, auth):
    grant = authorization(srv, signed_in(srv), rp)
    r = exchange(srv, grant, rp=presented, auth=auth)
    oauth_error(r, 401, "invalid_client")
    if (auth or presented.auth) == "client_secret_basic":
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), r.headers


@pytest.mark.parametrize("case, error", [
    ("wrong-verifier", "invalid_grant"), ("unknown-code", "invalid_grant"), ("other-redirect-uri", "invalid_grant"),
    ("other-clients-code", "invalid_grant"), ("no-verifier", "invalid_request"), ("no-code", "invalid_request"),
])
def test_bad_code_exchanges(srv, case, error):
    grant = authorization(srv, signed_in(srv), FIRST_PARTY)
    overrides = {"wrong-verifier": {"code_verifier": secrets.token_urlsafe(48)},
                 "unknown-code": {"code": secrets.token_urlsafe(32)},
                 "other-redirect-uri": {"redirect_uri": FIRST_PARTY.other_redirect_uri},
                 "other-clients-code": {"rp": OTHER},
                 "no-verifier": {"code_verifier": None},
                 "no-code": {"code": None}}[case]
    oauth_error(exchange(srv, grant, **overrides), 400, error)


def test_unsupported_grant_types(srv):
    oauth_error(token(srv, WEB, grant_type="password", username="a", password="b"), 400, "unsupported_grant_type")
    oauth_error(token(srv, WEB, grant_type="urn:example:bogus"), 400, "unsupported_grant_type")


def test_a_code_works_once_and_its_replay_revokes_what_it_gave(srv):
    grant = authorization(srv, signed_in(srv), WEB)
    first = tokens(srv, grant)
    assert userinfo(srv, first["access_token"]).status_code == 200
    assert active(srv, WEB, first["refresh_token"], token_type_hint="refresh_token") is True
    oauth_error(exchange(srv, grant), 400, "invalid_grant")
    assert active(srv, WEB, first["refresh_token"], token_type_hint="refresh_token") is False
    assert_refused_grant(srv, WEB, first["refresh_token"], [first["access_token"]])


def test_expired_code_is_invalid_grant(short_srv):
    grant = authorization(short_srv, signed_in(short_srv), FIRST_PARTY)
    time.sleep(2.5)
    oauth_error(exchange(short_srv, grant), 400, "invalid_grant")


def test_tokens_expire(short_srv):
    answer = tokens(short_srv, authorization(short_srv, signed_in(short_srv), FIRST_PARTY))
    assert answer["expires_in"] == 2
    assert active(short_srv, FIRST_PARTY, answer["access_token"]) is True
    time.sleep(2.5)
    assert userinfo(short_srv, answer["access_token"]).status_code == 401
    assert active(short_srv, FIRST_PARTY, answer["access_token"]) is False
    time.sleep(2)
    oauth_error(refresh(short_srv, FIRST_PARTY, answer["refresh_token"]), 400, "invalid_grant")


# ---------------------------------------------------------------------------------------------
# token endpoint: refresh_token

def test_refresh_rotates_the_refresh_token(srv):
    browser = signed_in(srv)
    first = tokens(srv, authorization(srv, browser, WEB))
    second = issued(refresh(srv, WEB, first["refresh_token"]))
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert userinfo(srv, second["access_token"]).json()["sub"] == browser.user["id"]
    assert active(srv, WEB, first["refresh_token"], token_type_hint="refresh_token") is False
    third = issued(refresh(srv, WEB, second["refresh_token"]))
    assert userinfo(srv, third["access_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_its_family_only(srv):
    browser = signed_in(srv)
    first = tokens(srv, authorization(srv, browser, WEB))
    bystander = tokens(srv, authorization(srv, browser, FIRST_PARTY))   # same user, another client
    second = issued(refresh(srv, WEB, first["refresh_token"]))
    oauth_error(refresh(srv, WEB, first["refresh_token"]), 400, "invalid_grant")
    assert_refused_grant(srv, WEB, second["refresh_token"], [second["access_token"]])
    assert userinfo(srv, bystander["access_token"]).status_code == 200
    issued(refresh(srv, FIRST_PARTY, bystander["refresh_token"]))


def test_refresh_may_narrow_the_scope_but_not_widen_it(srv):
    browser = signed_in(srv)
    first = tokens(srv, authorization(srv, browser, WEB))
    oauth_error(refresh(srv, WEB, first["refresh_token"], scope=FULL + " read:things"), 400, "invalid_scope")
    narrowed = issued(refresh(srv, WEB, first["refresh_token"], scope="openid offline_access"))
    assert set(narrowed["scope"].split()) == {"openid", "offline_access"}
    info = userinfo(srv, narrowed["access_token"]).json()
    assert info["sub"] == browser.user["id"] and "email" not in info and "name" not in info, info


def test_a_refresh_token_is_bound_to_its_client(srv):
    first = tokens(srv, authorization(srv, signed_in(srv), WEB))
    oauth_error(refresh(srv, OTHER, first["refresh_token"]), 400, "invalid_grant")


# ---------------------------------------------------------------------------------------------
# token endpoint: client_credentials

def test_client_credentials_grant(srv):
    answer = issued(token(srv, SERVICE, grant_type="client_credentials", scope="read:things"))
    assert answer["scope"] == "read:things"
    assert "refresh_token" not in answer and "id_token" not in answer
    r = introspect(srv, SERVICE, answer["access_token"])
    assert r.status_code == 200 and r.json()["active"] is True and r.json()["client_id"] == SERVICE.client_id, r.text


@pytest.mark.parametrize("scope", ["openid", "profile", "email", "offline_access", "write:things", "read:things openid"])
def test_client_credentials_scopes_are_limited(srv, scope):
    oauth_error(token(srv, SERVICE, grant_type="client_credentials", scope=scope), 400, "invalid_scope")


def test_client_credentials_needs_the_grant(srv):
    r = token(srv, WEB, grant_type="client_credentials", scope="read:things")
    assert r.status_code in (400, 401) and "access_token" not in r.json(), r.text
    assert r.json().get("error") in ("unauthorized_client", "unsupported_grant_type", "invalid_grant", "invalid_client"), r.text


# ---------------------------------------------------------------------------------------------
# userinfo

@pytest.mark.parametrize("scope, present, absent", [
    ("openid", {"sub"}, {"name", "email"}),
    ("openid profile", {"sub", "name", "picture", "given_name", "family_name"}, {"email", "email_verified"}),
    ("openid email", {"sub", "email", "email_verified"}, {"name", "given_name"}),
])
def test_userinfo_claims_follow_the_scopes(srv, scope, present, absent):
    browser = signed_in(srv)
    r = userinfo(srv, tokens(srv, authorization(srv, browser, FIRST_PARTY, scope))["access_token"])
    assert r.status_code == 200, r.text
    info = r.json()
    assert present <= set(info) and not absent & set(info), info
    assert info["sub"] == browser.user["id"]
    if "email" in present:
        assert info["email"] == browser.email and info["email_verified"] is False
    if "name" in present:
        assert (info["name"], info["given_name"], info["family_name"]) == (USER_NAME, "Ada", "Lovelace")
        assert info["picture"] == USER_PICTURE


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer not-a-token", "Basic d2ViOnNlY3JldA=="])
def test_userinfo_needs_a_valid_bearer_token(srv, header):
    r = requests.get(f"{issuer(srv)}/oauth2/userinfo", headers={"Authorization": header} if header else {}, timeout=30)
    assert r.status_code == 401, f"{r.status_code}: {r.text[:300]}"


# ---------------------------------------------------------------------------------------------
# introspection and revocation

def test_introspection(srv):
    browser = signed_in(srv)
    answer = tokens(srv, authorization(srv, browser, WEB))
    r = introspect(srv, WEB, answer["access_token"], token_type_hint="access_token")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is True and body["client_id"] == WEB.client_id and body["sub"] == browser.user["id"], body
    assert set(body["scope"].split()) == set(FULL.split())
    assert abs(body["exp"] - (time.time() + 1800)) < 60, body
    assert active(srv, WEB, answer["refresh_token"], token_type_hint="refresh_token") is True
    assert introspect(srv, OTHER, answer["access_token"]).json() == {"active": False}   # not OTHER's token
    assert introspect(srv, WEB, "not-a-token").json() == {"active": False}


@pytest.mark.parametrize("endpoint", [introspect, revoke], ids=["introspect", "revoke"])
@pytest.mark.parametrize("rp, auth", [(WEB, "anonymous"), (replace(WEB, secret="wrong-secret"), None),
                                      (replace(WEB, client_id="no-such-client"), None)],
                         ids=["no-credentials", "wrong-secret", "unknown-client"])
def test_introspection_and_revocation_need_client_authentication(srv, endpoint, rp, auth):
    answer = tokens(srv, authorization(srv, signed_in(srv), WEB))
    oauth_error(endpoint(srv, rp, answer["access_token"], auth=auth), 401, "invalid_client")
    assert userinfo(srv, answer["access_token"]).status_code == 200


def test_revoking_an_access_token(srv):
    answer = tokens(srv, authorization(srv, signed_in(srv), WEB))
    assert revoke(srv, WEB, answer["access_token"], token_type_hint="access_token").status_code == 200
    assert userinfo(srv, answer["access_token"]).status_code == 401
    assert active(srv, WEB, answer["access_token"]) is False


def test_revoking_a_refresh_token_ends_its_access_tokens(srv):
    answer = tokens(srv, authorization(srv, signed_in(srv), WEB))
    assert revoke(srv, WEB, answer["refresh_token"], token_type_hint="refresh_token").status_code == 200
    assert_refused_grant(srv, WEB, answer["refresh_token"], [answer["access_token"]])


def test_revoking_unknown_or_foreign_tokens(srv):
    assert revoke(srv, WEB, "not-a-token").status_code == 200
    answer = tokens(srv, authorization(srv, signed_in(srv), WEB))
    revoke(srv, OTHER, answer["access_token"])                   # OTHER may not end WEB's token
    revoke(srv, OTHER, answer["refresh_token"], token_type_hint="refresh_token")
    assert userinfo(srv, answer["access_token"]).status_code == 200
    issued(refresh(srv, WEB, answer["refresh_token"]))


# ---------------------------------------------------------------------------------------------
# end session (RP-initiated logout)

def end_session(srv, method: str, **params):
    """The end-session endpoint, reached by a browser without Gatehouse's cookies."""
    url = f"{issuer(srv)}/oauth2/end-session"
    if method == "GET":
        r = requests.get(url, params=params, allow_redirects=False, timeout=30)
    else:
        r = requests.post(url, data=params, allow_redirects=False, timeout=30)
    assert r.status_code < 500, r.text
    return r


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_end_session_signs_the_session_out_and_redirects(srv, method):
    browser = signed_in(srv)
    keeper = browser.fork()                                      # another session of the same user
    answer = tokens(srv, authorization(srv, browser, WEB))
    r = end_session(srv, method, id_token_hint=answer["id_token"], post_logout_redirect_uri=LOGGED_OUT, state="bye-1")
    url = location(r)
    assert url.startswith(LOGGED_OUT) and query_of(url).get("state") == "bye-1", url
    assert browser.session() is None
    assert keeper.session() is not None                          # only the session the token names


def test_end_session_does_not_redirect_to_unregistered_uris(srv):
    answer = tokens(srv, authorization(srv, signed_in(srv), WEB))
    r = end_session(srv, "GET", id_token_hint=answer["id_token"], post_logout_redirect_uri=EVIL, state="s")
    assert not r.headers.get("Location", "").startswith(EVIL), r.headers


def test_end_session_refuses_bad_hints(srv):
    browser = signed_in(srv)
    answer = tokens(srv, authorization(srv, browser, WEB))
    head, payload, sig = answer["id_token"].split(".")
    for hint in ["not-a-jwt", f"{head}.{payload}.{flip_first(sig)}"]:
        r = end_session(srv, "GET", id_token_hint=hint, post_logout_redirect_uri=LOGGED_OUT)
        oauth_error(r, 401, "invalid_token")                     # Better Auth's answer to a bad hint
    assert browser.session() is not None


def test_end_session_from_a_browser_in_another_session_signs_nobody_out(srv):
    """A leaked hint replayed from inside someone else's login ends neither session."""
    victim = signed_in(srv)
    answer = tokens(srv, authorization(srv, victim, WEB))
    other = signed_in(srv)
    r = other.get("oauth2/end-session", params={"id_token_hint": answer["id_token"], "post_logout_redirect_uri": LOGGED_OUT},
                  allow_redirects=False)
    oauth_error(r, 400, "invalid_request")
    assert victim.session() is not None and other.session() is not None


def test_end_session_from_its_own_browser_clears_the_cookie_and_ends_session_tokens(srv):
    browser = signed_in(srv)
    answer = tokens(srv, authorization(srv, browser, WEB, scope="openid profile"))
    r = browser.get("oauth2/end-session", params={"id_token_hint": answer["id_token"]}, allow_redirects=False)
    assert r.status_code == 200, r.text
    assert browser.session_cookie is None and browser.session() is None
    assert userinfo(srv, answer["access_token"]).status_code == 401


def test_code_of_a_session_that_signed_out_is_refused(srv):
    browser = signed_in(srv)
    grant = authorization(srv, browser, WEB)
    assert browser.post("sign-out", {}).status_code == 200
    oauth_error(exchange(srv, grant), 400, "invalid_grant")


def test_end_session_is_only_for_clients_that_enable_it(srv):
    browser = signed_in(srv)
    answer = tokens(srv, authorization(srv, browser, FIRST_PARTY))
    end_session(srv, "GET", id_token_hint=answer["id_token"])
    assert browser.session() is not None


# ---------------------------------------------------------------------------------------------
# dynamic client registration

def register(srv, metadata: dict, browser=None):
    """POST /oauth2/register: by a signed-in browser, or anonymously (no cookies, no Origin)."""
    if browser is not None:
        r = browser.post("oauth2/register", metadata)
    else:
        r = requests.post(f"{issuer(srv)}/oauth2/register", json=metadata, timeout=30)
    assert r.status_code < 500, r.text
    return r


def client_rows(srv, client_id: str | None = None) -> list[dict]:
    if client_id is None:
        return srv.query('SELECT * FROM "oauthClient"')
    return srv.query('SELECT * FROM "oauthClient" WHERE "clientId" = ?', client_id)


def web_metadata(**extra) -> dict:
    return {"client_name": "Registered App", "redirect_uris": ["https://rp.example/cb"], **extra}


def test_registration_is_off_by_default(srv):
    before = len(client_rows(srv))
    assert register(srv, web_metadata()).status_code != 201
    assert register(srv, web_metadata(), signed_in(srv)).status_code != 201
    assert len(client_rows(srv)) == before


def test_registration_needs_a_signed_in_user_unless_allowed(server_factory, plugins_dir):
    reg = provider(server_factory, plugins_dir, "EdDSA", SIGNED_IN_REGISTRATION)
    assert register(reg, web_metadata()).status_code == 401
    assert client_rows(reg) == []
    r = register(reg, web_metadata(), signed_in(reg))
    assert r.status_code == 201, r.text
    assert len(client_rows(reg, r.json()["client_id"])) == 1


def test_registering_a_confidential_client(open_srv):
    r = register(open_srv, web_metadata(token_endpoint_auth_method="client_secret_post", some_unknown_field="x"))
    assert r.status_code == 201, r.text
    assert "no-store" in r.headers.get("Cache-Control", "")
    body = r.json()
    assert body["client_id"] and body["client_secret"]
    assert abs(body["client_id_issued_at"] - time.time()) < 300 and body["client_secret_expires_at"] == 0, body
    assert body["redirect_uris"] == ["https://rp.example/cb"] and body["client_name"] == "Registered App"
    assert body["token_endpoint_auth_method"] == "client_secret_post"
    assert "some_unknown_field" not in body
    rows = client_rows(open_srv, body["client_id"])
    assert len(rows) == 1, rows                                  # hashed as Better Auth does: base64url(SHA-256)
    assert rows[0]["clientSecret"] == b64url_encode(hashlib.sha256(body["client_secret"].encode()).digest()), rows


def test_registering_a_public_native_client_and_using_it(open_srv):
    loopback = "http://127.0.0.1:8765/callback"
    r = register(open_srv, {"client_name": "CLI", "application_type": "native", "redirect_uris": [loopback],
                            "token_endpoint_auth_method": "none", "skip_consent": True})
    assert r.status_code == 201, r.text
    body = r.json()
    assert "client_secret" not in body and body["token_endpoint_auth_method"] == "none"
    rp = RP(body["client_id"], None, "none")
    browser = signed_in(open_srv)
    params, verifier = auth_params(rp, "openid email", redirect_uri=loopback)
    url = location(start(browser, params))
    assert url.startswith(CONSENT + "?"), url                   # skip_consent is not honoured from a registration
    grant = Grant(rp, params, verifier, advance(browser, url))
    assert grant.url.startswith(loopback + "?"), grant.url
    answer = tokens(open_srv, grant)
    assert verified_id_token(open_srv, answer, rp, grant.nonce)["sub"] == browser.user["id"]


@pytest.mark.parametrize("metadata", [
    pytest.param(web_metadata(redirect_uris=["https://rp.example/cb#fragment"]), id="fragment"),
    pytest.param(web_metadata(redirect_uris=["http://rp.example/cb"]), id="http-for-web"),
    pytest.param(web_metadata(redirect_uris=["not a url"]), id="not-a-url"),
])
def test_registration_refuses_bad_redirect_uris(open_srv, metadata):
    before = len(client_rows(open_srv))
    oauth_error(register(open_srv, metadata), 400, "invalid_redirect_uri")
    assert len(client_rows(open_srv)) == before


@pytest.mark.parametrize("metadata", [
    pytest.param(web_metadata(token_endpoint_auth_method="bogus_method"), id="auth-method"),
    pytest.param(web_metadata(grant_types=["urn:example:bogus"]), id="grant-type"),
    pytest.param(web_metadata(response_types=["token"]), id="response-type"),
])
def test_registration_refuses_invalid_metadata(open_srv, metadata):
    before = len(client_rows(open_srv))
    oauth_error(register(open_srv, metadata), 400, "invalid_client_metadata")
    assert len(client_rows(open_srv)) == before


# ---------------------------------------------------------------------------------------------
# storage

def test_tokens_are_stored_hashed(srv):
    browser = signed_in(srv)
    answer = tokens(srv, authorization(srv, browser, WEB))
    access = srv.query('SELECT token FROM "oauthAccessToken"')
    assert access and all(row["token"] != answer["access_token"] for row in access)
    rows = srv.query('SELECT * FROM "oauthRefreshToken" WHERE "userId" = ?', browser.user["id"])
    assert [row["clientId"] for row in rows] == [WEB.client_id], rows
    assert rows[0]["token"] and rows[0]["token"] != answer["refresh_token"]
    lifetime = (parse_date(rows[0]["expiresAt"]) - now_utc()).total_seconds()
    assert abs(lifetime - 2592000) < 120, rows[0]                # refreshTokenExpiresIn's default


# ---------------------------------------------------------------------------------------------
# third-party relying parties

def test_authlib_code_flow_with_pkce_id_token_and_refresh(id_srv):
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt as jose_jwt
    from joserfc.errors import InvalidClaimError
    from joserfc.jwk import KeySet

    meta = requests.get(f"{issuer(id_srv)}/.well-known/openid-configuration", timeout=30).json()
    session = OAuth2Session(WEB.client_id, WEB.secret, scope=FULL, redirect_uri=WEB.redirect_uri,
                            code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier, nonce = generate_token(48), generate_token(20)
    uri, state = session.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    browser = signed_in(id_srv)
    callback = advance(browser, location(browser.get(uri)))
    assert callback.startswith(WEB.redirect_uri + "?") and query_of(callback)["iss"] == meta["issuer"], callback
    tok = session.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert tok["refresh_token"] and tok["id_token"]

    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=30).json())
    decoded = jose_jwt.decode(tok["id_token"], keys, algorithms=meta["id_token_signing_alg_values_supported"])

    def claims(nonce_value=nonce, access_token=tok["access_token"]):
        return CodeIDToken(decoded.claims, decoded.header,
                           {"iss": {"essential": True, "value": meta["issuer"]},
                            "aud": {"essential": True, "value": WEB.client_id}},
                           {"nonce": nonce_value, "client_id": WEB.client_id, "access_token": access_token})

    valid = claims()
    valid.validate(leeway=60)
    assert "at_hash" in valid and valid["sub"] == browser.user["id"]
    with pytest.raises(InvalidClaimError):                       # authlib really compares them
        claims(access_token=tok["access_token"] + "x").validate(leeway=60)
    with pytest.raises(InvalidClaimError):
        claims(nonce_value="other-nonce").validate(leeway=60)

    info = session.get(meta["userinfo_endpoint"])
    assert info.status_code == 200 and info.json()["email"] == browser.email, info.text
    renewed = session.refresh_token(meta["token_endpoint"], refresh_token=tok["refresh_token"])
    assert renewed["access_token"] != tok["access_token"] and renewed["refresh_token"] != tok["refresh_token"]
    assert session.get(meta["userinfo_endpoint"]).json()["sub"] == browser.user["id"]
    assert session.introspect_token(meta["introspection_endpoint"], token=renewed["access_token"]).json()["active"] is True
    assert session.revoke_token(meta["revocation_endpoint"], token=renewed["refresh_token"],
                                token_type_hint="refresh_token").status_code == 200
    assert session.get(meta["userinfo_endpoint"]).status_code == 401


def test_idpyoidc_discovers_registers_and_signs_in(open_id_srv):
    from idpyoidc.client.rp_handler import RPHandler

    iss = issuer(open_id_srv)
    redirect = f"http://127.0.0.1:9/cb/idpyoidc-{alg_of(open_id_srv).lower()}"
    config = {iss: {
        "issuer": iss, "client_type": "oidc", "redirect_uris": [redirect],
        "preference": {"application_type": "native", "response_types": ["code"],
                       "token_endpoint_auth_method": "client_secret_basic",
                       "scopes_supported": ["openid", "profile", "email"]},
        "add_ons": {"pkce": {"function": "idpyoidc.client.oauth2.add_on.pkce.add_support",
                             "kwargs": {"code_challenge_length": 64, "code_challenge_method": "S256"}}},
    }}
    rph = RPHandler(base_url=PAGES, client_configs=config, verify_ssl=False,
                    key_conf={"key_defs": [{"type": "RSA", "use": ["sig"]}]})
    url = rph.begin(issuer_id=iss, req_args={"scope": "openid profile email"})
    client = rph.issuer2rp[iss]
    client_id = client.get_client_id()
    rows = client_rows(open_id_srv, client_id)
    assert len(rows) == 1, rows                                  # dynamically registered

    browser = signed_in(open_id_srv)
    callback = advance(browser, location(browser.get(url)))
    assert callback.startswith(redirect + "?"), callback
    result = rph.finalize(iss, query_of(callback))
    assert "error" not in result, result
    assert result["userinfo"]["sub"] == browser.user["id"] and result["userinfo"]["email"] == browser.email, result
    assert result["id_token"]["sub"] == browser.user["id"] and client_id in result["id_token"]["aud"], result
