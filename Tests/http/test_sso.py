"""sso plugin (issue 17), SAML and OIDC sign-in so far: a pysaml2 identity provider (Tests/http/saml_idp.py, signing with
Debian's xmlsec1) reads the AuthnRequest the server sends it through the HTTP-Redirect binding and
answers by HTTP-POST to the ACS, as a real IdP; lxml crafts the attacks (signature wrapping, edits
after signing, unsigned and foreign-key Responses, DOCTYPE) and replays; oidc-provider-mock is the OIDC
provider (PKCE, state, nonce, its JWKS)."""
from __future__ import annotations

import base64
import copy
import shutil
import urllib.parse

import pytest
import requests
from lxml import etree

from conftest import TRUSTED_ORIGINS, assert_error, unique_email
from saml_idp import IdentityProvider, keypair
from test_bearer import built_library
from test_social import CLIENT_ID, CLIENT_SECRET, idp, new_subject  # noqa: F401 (idp is a fixture)

IDP_ENTITY = "https://idp.corp.test/metadata"
SSO_URL = "https://idp.corp.test/sso"
CALLBACK = "https://trusted.com/dashboard"
P = "urn:oasis:names:tc:SAML:2.0:protocol"
A = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def srv(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("sso-plugins")
    shutil.copy(built_library("sso"), plugins / "sso.so")
    return server_factory({"pluginsDir": str(plugins)}, name="sso")


class Tenant:
    """A company: its IdP (pysaml2) and the SSO provider registered for it on the server."""

    def __init__(self, srv, provider_id: str, domain: str, **saml):
        self.srv, self.provider_id, self.domain = srv, provider_id, domain
        self.idp = IdentityProvider(IDP_ENTITY + "/" + provider_id, SSO_URL + "/" + provider_id)
        self.admin = srv.client().new_user()
        self.sp_entity_id = f"{srv.base_url}/sso/{provider_id}"
        config = {"entryPoint": self.idp.sso_url, "cert": self.idp.certificate, "spMetadata": {"entityID": self.sp_entity_id},
                  "idpMetadata": {"entityID": self.idp.entity_id},
                  "identifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", **saml}
        r = self.admin.post("sso/register", {"providerId": provider_id, "issuer": self.idp.entity_id, "domain": domain, "samlConfig": config})
        assert r.status_code == 200, r.text
        self.registered = r.json()
        metadata = requests.get(srv.api + "/sso/saml2/sp/metadata", params={"providerId": provider_id})
        assert metadata.status_code == 200 and "xml" in metadata.headers["content-type"], metadata.text
        self.idp.trust(metadata.text)
        self.acs = f"{srv.api}/sso/saml2/sp/acs/{provider_id}"

    def start(self, browser, **body):
        r = browser.post("sign-in/sso", {"email": f"someone@{self.domain}", "callbackURL": CALLBACK, **body})
        assert r.status_code == 200, r.text
        assert r.json()["redirect"] is True and r.json()["url"].startswith(self.idp.sso_url + "?SAMLRequest=")
        request, relay_state = self.idp.read_request(r.json()["url"])     # pysaml2 checks it against the SP metadata
        return request, relay_state

    def response(self, request, email: str, **kw) -> str:
        return self.idp.response(acs=request.assertion_consumer_service_url, sp_entity_id=self.sp_entity_id, email=email,
                                 in_response_to=request.id, **kw)

    def post(self, xml: str, relay_state: str | None):
        """The browser carrying the IdP's auto-submitted form: a cross-site POST, no cookies."""
        return requests.post(self.acs, data=IdentityProvider.post_form(xml, relay_state), allow_redirects=False,
                             headers={"Origin": "https://idp.corp.test", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})


@pytest.fixture(scope="module")
def acme(srv):
    return Tenant(srv, "acme", "corp.test")


def session_of(srv, answer):
    """The session the ACS answer's cookies open, or None."""
    cookies = {c.name: c.value for c in answer.cookies}
    r = requests.get(srv.api + "/get-session", cookies=cookies)
    return r.json() if r.status_code == 200 else None


def test_registration_answers_the_provider_and_the_sp_metadata(srv, acme):
    assert acme.registered["providerId"] == "acme" and acme.registered["issuer"] == acme.idp.entity_id
    assert acme.registered["samlConfig"]["entryPoint"] == acme.idp.sso_url
    md = etree.fromstring(requests.get(srv.api + "/sso/saml2/sp/metadata", params={"providerId": "acme"}).content)
    assert md.get("entityID") == acme.sp_entity_id
    acs = md.find(".//{urn:oasis:names:tc:SAML:2.0:metadata}AssertionConsumerService")
    assert acs.get("Location") == acme.acs and acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def test_sp_initiated_sign_in_creates_then_finds_the_user(srv, acme):
    browser = srv.client()
    email = unique_email("ada").replace("@", "-") + "@corp.test"
    request, relay = acme.start(browser)
    assert request.issuer.text == acme.sp_entity_id and request.destination == acme.idp.sso_url
    r = acme.post(acme.response(request, email), relay)
    assert r.status_code == 302 and r.headers["location"] == CALLBACK, r.text
    session = session_of(srv, r)
    assert session and session["user"]["email"] == email and session["user"]["name"] == "Ada Lovelace"
    accounts = srv.query('SELECT * FROM "account" WHERE "userId" = ?', session["user"]["id"])
    assert [(a["providerId"], a["accountId"], a["issuer"]) for a in accounts] == [("acme", email, acme.idp.entity_id)]

    request, relay = acme.start(srv.client())                    # the same identity comes back as the same user
    again = session_of(srv, acme.post(acme.response(request, email), relay))
    assert again["user"]["id"] == session["user"]["id"]


def test_pysaml2s_own_sp_agrees_with_the_server(srv, acme):
    """The Responses this IdP writes are valid to pysaml2's reference SP too, and an edited one is
    refused by both: the refusals here are the server's judgement, not a broken harness."""
    from saml2 import BINDING_HTTP_POST
    reference = IdentityProvider.reference_sp(acme.sp_entity_id, acme.acs, acme.idp.metadata())
    request, relay = acme.start(srv.client())
    xml = acme.response(request, "crosscheck@corp.test")
    form = IdentityProvider.post_form(xml, relay)
    parsed = reference.parse_authn_request_response(form["SAMLResponse"], BINDING_HTTP_POST, outstanding={request.id: "/"})
    assert parsed.ava["email"] == ["crosscheck@corp.test"] and parsed.name_id.text == "crosscheck@corp.test"
    assert acme.post(xml, relay).status_code == 302

    root, relay = signed_document(acme)
    edit_after_signing(root)
    edited = base64.b64encode(etree.tostring(root)).decode()
    with pytest.raises(Exception):
        reference.parse_authn_request_response(edited, BINDING_HTTP_POST, outstanding={root.get("InResponseTo"): "/"})
    assert acme.post(etree.tostring(root).decode(), relay).status_code == 400


def test_the_providers_attribute_mapping_names_the_user(srv):
    tenant = Tenant(srv, "mapped", "mapped.test", mapping={"email": "mail", "firstName": "first", "lastName": "last"})
    request, relay = tenant.start(srv.client())
    xml = tenant.idp.response(acs=request.assertion_consumer_service_url, sp_entity_id=tenant.sp_entity_id, email="unused@mapped.test",
                              name_id="nameid@mapped.test", in_response_to=request.id,
                              attributes={"mail": ["Mapped@Mapped.test"], "first": ["Grace"], "last": ["Hopper"]})
    user = session_of(srv, tenant.post(xml, relay))["user"]
    assert user["email"] == "mapped@mapped.test" and user["name"] == "Grace Hopper"


def test_a_configured_audience_must_be_the_one_asserted(srv):
    # pysaml2 asserts the SP entity ID as Audience; this provider expects another one.
    tenant = Tenant(srv, "audience", "audience.test", audience="urn:audience:elsewhere")
    request, relay = tenant.start(srv.client())
    r = tenant.post(tenant.response(request, "a@audience.test"), relay)
    assert r.status_code == 400 and session_of(srv, r) is None


def test_a_response_is_used_once(srv, acme):
    request, relay = acme.start(srv.client())
    xml = acme.response(request, "once@corp.test")
    assert acme.post(xml, relay).status_code == 302
    replay = acme.post(xml, relay)
    assert replay.status_code == 400 and session_of(srv, replay) is None


def test_relay_state_must_be_the_issued_one(srv, acme):
    request, relay = acme.start(srv.client())
    r = acme.post(acme.response(request, "relay@corp.test"), "https://evil.example/steal")
    assert r.status_code == 400 and "evil" not in r.headers.get("location", "")
    assert session_of(srv, r) is None


def signed_document(acme, email="victim@corp.test"):
    request, relay = acme.start(acme.srv.client())
    return etree.fromstring(acme.response(request, email).encode()), relay


def evil_assertion(root, email="eve@corp.test"):
    good = root.find(f"{{{A}}}Assertion")
    evil = copy.deepcopy(good)
    evil.set("ID", "_evil")
    signature = evil.find(f"{{{DS}}}Signature")
    if signature is not None:
        evil.remove(signature)
    for node in evil.iter(f"{{{A}}}NameID", f"{{{A}}}AttributeValue"):
        if node.text and "@" in node.text:
            node.text = email
    return good, evil


def wrap_before(root):
    good, evil = evil_assertion(root)
    good.addprevious(evil)


def wrap_around(root):
    good, evil = evil_assertion(root)
    good.addprevious(evil)
    evil.append(good)


def wrap_in_extensions(root):
    good, evil = evil_assertion(root)
    extensions = etree.Element(f"{{{P}}}Extensions")
    root.find(f"{{{A}}}Issuer").addnext(extensions)
    good.addprevious(evil)
    extensions.append(good)


def wrap_in_object(root):
    good, evil = evil_assertion(root)
    etree.SubElement(good.find(f"{{{DS}}}Signature"), f"{{{DS}}}Object").append(evil)


def edit_after_signing(root):
    root.find(f".//{{{A}}}NameID").text = "eve@corp.test"


def unsign(root):
    good = root.find(f"{{{A}}}Assertion")
    good.remove(good.find(f"{{{DS}}}Signature"))


@pytest.mark.parametrize("attack", [wrap_before, wrap_around, wrap_in_extensions, wrap_in_object, edit_after_signing, unsign])
def test_tampered_responses_are_refused(srv, acme, attack):
    root, relay = signed_document(acme)
    attack(root)
    r = acme.post(etree.tostring(root).decode(), relay)
    assert 400 <= r.status_code < 500 or (r.status_code == 302 and "error=" in r.headers["location"]), r.text
    assert session_of(srv, r) is None
    assert not srv.query('SELECT * FROM "user" WHERE "email" = ?', "eve@corp.test")


def test_a_response_signed_by_another_key_is_refused(srv, acme, tmp_path):
    impostor = IdentityProvider(acme.idp.entity_id, acme.idp.sso_url, directory=tmp_path)
    impostor.trust(requests.get(srv.api + "/sso/saml2/sp/metadata", params={"providerId": "acme"}).text)
    request, relay = acme.start(srv.client())
    xml = impostor.response(acs=acme.acs, sp_entity_id=acme.sp_entity_id, email="eve@corp.test", in_response_to=request.id)
    r = acme.post(xml, relay)
    assert r.status_code == 400 and session_of(srv, r) is None


def test_a_comment_in_the_name_id_splits_nothing(srv, acme):
    """The IdP vouches for "victim@corp.test.evil.test"; a comment slipped in after "victim@corp.test"
    keeps the signature valid (canonicalization drops comments) but must not make that the identity."""
    request, relay = acme.start(srv.client())
    xml = acme.response(request, "victim@corp.test.evil.test")
    root = etree.fromstring(xml.encode())
    name_id = root.find(f".//{{{A}}}NameID")
    name_id.text = "victim@corp.test"
    comment = etree.Comment("")
    comment.tail = ".evil.test"
    name_id.append(comment)
    r = acme.post(etree.tostring(root).decode(), relay)
    assert r.status_code == 302, r.text
    user = session_of(srv, r)["user"]
    assert user["email"] == "victim@corp.test.evil.test"
    accounts = srv.query('SELECT "accountId" FROM "account" WHERE "userId" = ?', user["id"])
    assert [a["accountId"] for a in accounts] == ["victim@corp.test.evil.test"]
    assert not srv.query('SELECT * FROM "account" WHERE "accountId" = ?', "victim@corp.test")


def test_a_doctype_is_refused(srv, acme):
    root, relay = signed_document(acme)
    xml = '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + etree.tostring(root).decode()
    assert acme.post(xml, relay).status_code == 400


def test_unsolicited_responses_need_allow_idp_initiated(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("sso"), plugins / "sso.so")
    closed = Tenant(server({"pluginsDir": str(plugins)}), "closed", "closed.test")
    xml = closed.idp.response(acs=closed.acs, sp_entity_id=closed.sp_entity_id, email="u@closed.test", in_response_to=None)
    assert closed.post(xml, None).status_code == 400

    srv = server({"pluginsDir": str(plugins), "plugins": {"sso": {"saml": {"allowIdpInitiated": True}}}})
    open_ = Tenant(srv, "open", "open.test", idpInitiatedCallbackUrl="https://trusted.com/welcome")
    xml = open_.idp.response(acs=open_.acs, sp_entity_id=open_.sp_entity_id, email="u@open.test", in_response_to=None)
    r = open_.post(xml, "https://evil.example/ignored")
    assert r.status_code == 302 and r.headers["location"] == "https://trusted.com/welcome"
    assert session_of(srv, r)["user"]["email"] == "u@open.test"


def test_registration_refuses_bad_input_and_stores_nothing(srv, acme):
    admin = srv.client().new_user()
    _, cert = keypair(__import__("pathlib").Path(acme.idp.directory), "spare")
    good = {"entryPoint": "https://idp.example/sso", "cert": cert.read_text()}
    cases = [
        ({"providerId": "x1", "issuer": "https://idp.example", "domain": "x.test", "samlConfig": {**good, "cert": "not a cert"}}, 400),
        ({"providerId": "x2", "issuer": "https://idp.example", "domain": "x.test", "samlConfig": {**good, "entryPoint": "nope"}}, 400),
        ({"providerId": "x3", "issuer": "not a url", "domain": "x.test", "samlConfig": good}, 400),
        ({"providerId": "x4", "issuer": "https://idp.example", "domain": "x.test"}, 400),
        ({"providerId": "acme", "issuer": "https://idp.example", "domain": "x.test", "samlConfig": good}, 422),
    ]
    for body, status in cases:
        assert_error(admin.post("sso/register", body), status)
    assert_error(srv.client().post("sso/register", cases[0][0]), 401)
    assert [r["providerId"] for r in srv.query('SELECT "providerId" FROM "ssoProvider"')].count("acme") == 1
    assert not srv.query('SELECT * FROM "ssoProvider" WHERE "providerId" LIKE ?', "x%")


def test_sign_in_needs_a_known_provider_and_trusted_urls(srv, acme):
    c = srv.client()
    assert_error(c.post("sign-in/sso", {"providerId": "nobody", "callbackURL": CALLBACK}), 404)
    assert_error(c.post("sign-in/sso", {"email": "a@nowhere.test", "callbackURL": CALLBACK}), 404)
    assert_error(c.post("sign-in/sso", {"callbackURL": CALLBACK}), 400)
    assert_error(c.post("sign-in/sso", {"providerId": "acme", "callbackURL": "https://evil.example/x"}), 403, "INVALID_CALLBACK_URL")
    assert_error(c.post("sign-in/sso", {"providerId": "acme", "callbackURL": CALLBACK, "errorCallbackURL": "https://evil.example/e"}), 403,
                 "INVALID_ERROR_CALLBACK_URL")
    assert requests.get(srv.api + "/sso/saml2/sp/metadata", params={"providerId": "nobody"}).status_code == 404


# -- OIDC providers, against oidc-provider-mock ---------------------------------------------------

@pytest.fixture(scope="module")
def oidc_srv(server_factory, tmp_path_factory, idp):  # noqa: F811 (idp is a fixture)
    plugins = tmp_path_factory.mktemp("sso-oidc-plugins")
    shutil.copy(built_library("sso"), plugins / "sso.so")
    # The mock OP listens on 127.0.0.1: a private host, so its origin must be trusted.
    return server_factory({"pluginsDir": str(plugins), "trustedOrigins": [*TRUSTED_ORIGINS, idp.url]}, name="sso-oidc")


def oidc_body(idp, provider_id="okta", domain="oidc.test", **config):  # noqa: F811
    return {"providerId": provider_id, "issuer": idp.url, "domain": domain,
            "oidcConfig": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                           "discoveryEndpoint": f"{idp.url}/.well-known/openid-configuration", **config}}


def test_oidc_sign_in_with_pkce_state_and_nonce(oidc_srv, idp):  # noqa: F811
    admin = oidc_srv.client().new_user()
    r = admin.post("sso/register", oidc_body(idp))
    assert r.status_code == 200, r.text
    assert "clientSecret" not in r.json()["oidcConfig"] and CLIENT_SECRET not in r.text

    sub, email = new_subject(idp, email=unique_email("oidc").split("@")[0] + "@oidc.test")
    browser = oidc_srv.client()
    started = browser.post("sign-in/sso", {"email": email, "callbackURL": CALLBACK, "newUserCallbackURL": CALLBACK + "?new=1"})
    assert started.status_code == 200, started.text
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(started.json()["url"]).query))
    assert started.json()["url"].startswith(idp.url + "/oauth2/authorize?")
    assert query["redirect_uri"] == f"{oidc_srv.api}/sso/callback/okta" and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"] and query["response_type"] == "code"
    back = browser.get(idp.authorize(started.json()["url"], sub))
    assert back.status_code == 302 and back.headers["location"] == CALLBACK + "?new=1", back.text
    session = browser.session()
    assert session["user"]["email"] == email
    accounts = oidc_srv.query('SELECT * FROM "account" WHERE "userId" = ?', session["user"]["id"])
    assert [(a["providerId"], a["accountId"]) for a in accounts] == [("okta", sub)]

    again = oidc_srv.client()
    started = again.post("sign-in/sso", {"providerId": "okta", "callbackURL": CALLBACK, "newUserCallbackURL": CALLBACK + "?new=1"})
    back = again.get(idp.authorize(started.json()["url"], sub))
    assert back.headers["location"] == CALLBACK and again.session()["user"]["id"] == session["user"]["id"]


def test_oidc_tampered_state_is_refused(oidc_srv, idp):  # noqa: F811
    admin = oidc_srv.client().new_user()
    assert admin.post("sso/register", oidc_body(idp, "okta2", "oidc2.test")).status_code == 200
    sub, _ = new_subject(idp, email="t@oidc2.test")
    browser = oidc_srv.client()
    started = browser.post("sign-in/sso", {"providerId": "okta2", "callbackURL": CALLBACK})
    location = idp.authorize(started.json()["url"], sub)
    parts = urllib.parse.urlsplit(location)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    r = browser.get(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
    assert r.status_code == 302 and "error=" in r.headers["location"]
    assert browser.get_session().json() is None


def test_oidc_wrong_nonce_is_refused(oidc_srv, idp):  # noqa: F811
    admin = oidc_srv.client().new_user()
    assert admin.post("sso/register", oidc_body(idp, "okta3", "oidc3.test")).status_code == 200
    sub, _ = new_subject(idp, email="n@oidc3.test")
    browser = oidc_srv.client()
    started = browser.post("sign-in/sso", {"providerId": "okta3", "callbackURL": CALLBACK}).json()["url"]
    parts = urllib.parse.urlsplit(started)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["nonce"] = "not-the-flows-nonce"                       # the OP then signs an ID token for another nonce
    r = browser.get(idp.authorize(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))), sub))
    assert r.status_code == 302 and "error=" in r.headers["location"], r.text
    assert browser.get_session().json() is None


def test_oidc_private_hosts_need_a_trusted_origin(server, tmp_path, idp):  # noqa: F811
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("sso"), plugins / "sso.so")
    srv = server({"pluginsDir": str(plugins)})
    admin = srv.client().new_user()
    assert_error(admin.post("sso/register", oidc_body(idp)), 400, "discovery_private_host")
    assert_error(admin.post("sso/register", {**oidc_body(idp), "issuer": "https://op.example",
                                             "oidcConfig": {"clientId": "c", "tokenEndpoint": "http://169.254.169.254/token"}}),
                 400, "discovery_private_host")
    saml = {"providerId": "lan", "issuer": "https://idp.example", "domain": "lan.test",
            "samlConfig": {"entryPoint": "http://10.0.0.5/sso", "cert": IdentityProvider("urn:x", "https://x").certificate}}
    assert_error(admin.post("sso/register", saml), 400)
    assert not srv.query('SELECT * FROM "ssoProvider"')


# -- managing providers, organizations ---------------------------------------------------------

@pytest.fixture(scope="module")
def org_srv(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("sso-org-plugins")
    for name in ("sso", "organization"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return server_factory({"pluginsDir": str(plugins)}, name="sso-org")


def test_only_the_owner_manages_a_provider_and_never_sees_a_secret(srv, idp):  # noqa: F811
    owner, other = srv.client().new_user(), srv.client().new_user()
    tenant = Tenant(srv, "managed", "managed.test")
    mine = tenant.admin
    listed = mine.get("sso/providers").json()["providers"]
    assert [p["providerId"] for p in listed] == ["managed"]
    assert listed[0]["type"] == "saml" and listed[0]["spMetadataUrl"].endswith("/sso/saml2/sp/metadata?providerId=managed")
    assert "userId" not in listed[0] and "id" not in listed[0]
    assert owner.get("sso/providers").json() == {"providers": []}
    assert mine.get("sso/get-provider", params={"providerId": "managed"}).json()["domain"] == "managed.test"
    assert_error(other.get("sso/get-provider", params={"providerId": "managed"}), 403)
    assert_error(mine.get("sso/get-provider", params={"providerId": "nobody"}), 404)
    assert_error(srv.client().get("sso/providers"), 401)

    assert_error(other.post("sso/update-provider", {"providerId": "managed", "domain": "evil.test"}), 403)
    assert_error(mine.post("sso/update-provider", {"providerId": "managed"}), 400)
    assert_error(mine.post("sso/update-provider", {"providerId": "managed", "oidcConfig": {"clientId": "x"}}), 400)
    assert_error(mine.post("sso/update-provider", {"providerId": "managed", "samlConfig": {"cert": "broken"}}), 400)
    updated = mine.post("sso/update-provider", {"providerId": "managed", "domain": "renamed.test"})
    assert updated.status_code == 200 and updated.json()["domain"] == "renamed.test"
    assert tenant.start(srv.client(), email="x@renamed.test")                                  # the new domain takes effect
    assert_error(srv.client().post("sign-in/sso", {"email": "x@managed.test", "callbackURL": CALLBACK}), 404)

    assert_error(other.post("sso/delete-provider", {"providerId": "managed"}), 403)
    assert mine.post("sso/delete-provider", {"providerId": "managed"}).json() == {"success": True}
    assert_error(mine.get("sso/get-provider", params={"providerId": "managed"}), 404)


def test_organization_providers_admins_slug_and_provisioning(org_srv):
    owner = org_srv.client().new_user()
    slug = "corp-" + unique_email().split("@")[0][-8:]
    org = owner.post("organization/create", {"name": "Corp", "slug": slug}).json()
    member = org_srv.client().new_user()
    invite = owner.post("organization/invite-member", {"email": member.email, "role": "member", "organizationId": org["id"]}).json()
    assert member.post("organization/accept-invitation", {"invitationId": invite["id"]}).status_code == 200
    stranger = org_srv.client().new_user()

    idp = IdentityProvider(IDP_ENTITY + "/corp", SSO_URL + "/corp")
    body = {"providerId": "corp", "issuer": idp.entity_id, "domain": "org.test", "organizationId": org["id"],
            "samlConfig": {"entryPoint": idp.sso_url, "cert": idp.certificate, "spMetadata": {"entityID": "urn:sp:corp"}}}
    assert_error(member.post("sso/register", body), 403)
    r = stranger.post("sso/register", body)
    assert r.status_code in (400, 403), r.text
    r = owner.post("sso/register", body)
    assert r.status_code == 200 and r.json()["organizationId"] == org["id"], r.text
    assert [p["providerId"] for p in owner.get("sso/providers").json()["providers"]] == ["corp"]
    assert_error(member.get("sso/get-provider", params={"providerId": "corp"}), 403)

    idp.trust(requests.get(org_srv.api + "/sso/saml2/sp/metadata", params={"providerId": "corp"}).text)
    browser = org_srv.client()
    started = browser.post("sign-in/sso", {"organizationSlug": slug, "callbackURL": CALLBACK})
    assert started.status_code == 200, started.text
    request, relay = idp.read_request(started.json()["url"])
    acs = f"{org_srv.api}/sso/saml2/sp/acs/corp"
    for attempt in range(2):                                                    # provisioned once, however often they sign in
        xml = idp.response(acs=acs, sp_entity_id="urn:sp:corp", email="worker@org.test", in_response_to=request.id)
        r = requests.post(acs, data=IdentityProvider.post_form(xml, relay), allow_redirects=False)
        assert r.status_code == 302 and r.headers["location"] == CALLBACK, r.text
        started = browser.post("sign-in/sso", {"organizationSlug": slug, "callbackURL": CALLBACK})
        request, relay = idp.read_request(started.json()["url"])
    worker = org_srv.query('SELECT id FROM "user" WHERE email = ?', "worker@org.test")[0]["id"]
    members = org_srv.query('SELECT role FROM "member" WHERE "organizationId" = ? AND "userId" = ?', org["id"], worker)
    assert [m["role"] for m in members] == ["member"]
    assert_error(browser.post("sign-in/sso", {"organizationSlug": "no-such-org", "callbackURL": CALLBACK}), 404)


@pytest.mark.postgres_only
def test_two_instances_share_flows_and_replays(tmp_path, pg_database):
    """Two processes behind one base URL (a load balancer's), with the organization plugin: a
    sign-in started on one ends on the other (the user joining the provider's organization once),
    and a replay is refused on either."""
    from conftest import _LIVE_SERVERS, GatehouseServer, free_port
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    for name in ("sso", "organization"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    public = f"http://127.0.0.1:{free_port()}"
    servers = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            srv = GatehouseServer({"pluginsDir": str(plugins), "database": pg_database, "baseURL": public}, name=name, workdir=workdir).start()
            _LIVE_SERVERS.append(srv)
            servers.append(srv)
        a, b = servers
        idp = IdentityProvider(IDP_ENTITY + "/shared", SSO_URL + "/shared")
        sp = "urn:sp:shared"
        owner = a.client().new_user()
        org = owner.post("organization/create", {"name": "Shared", "slug": "shared-" + unique_email().split("@")[0][-6:]}).json()
        r = owner.post("sso/register", {
            "providerId": "shared", "issuer": idp.entity_id, "domain": "shared.test", "organizationId": org["id"],
            "samlConfig": {"entryPoint": idp.sso_url, "cert": idp.certificate, "spMetadata": {"entityID": sp}}})
        assert r.status_code == 200, r.text
        idp.trust(requests.get(b.api + "/sso/saml2/sp/metadata", params={"providerId": "shared"}).text)
        started = a.client().post("sign-in/sso", {"providerId": "shared", "callbackURL": CALLBACK})
        request, relay = idp.read_request(started.json()["url"])
        assert request.assertion_consumer_service_url == public + "/api/auth/sso/saml2/sp/acs/shared"
        xml = idp.response(acs=request.assertion_consumer_service_url, sp_entity_id=sp, email="both@shared.test", in_response_to=request.id)
        form = IdentityProvider.post_form(xml, relay)
        done = requests.post(f"{b.api}/sso/saml2/sp/acs/shared", data=form, allow_redirects=False)
        assert done.status_code == 302 and done.headers["location"] == CALLBACK, done.text
        for srv in (a, b):
            assert requests.post(f"{srv.api}/sso/saml2/sp/acs/shared", data=form, allow_redirects=False).status_code == 400
        joined = a.query('SELECT m.role FROM "member" m JOIN "user" u ON u.id = m."userId" WHERE u.email = ? AND m."organizationId" = ?',
                         "both@shared.test", org["id"])
        assert [m["role"] for m in joined] == ["member"]
    finally:
        for srv in servers:
            srv.stop()
            _LIVE_SERVERS.remove(srv)


# -- what a registered IdP may not do -----------------------------------------------------------

def test_an_idp_never_links_to_an_existing_user_by_email(srv, acme):
    victim = srv.client().new_user(email="victim-" + unique_email().split("@")[0][-6:] + "@corp.test")
    request, relay = acme.start(srv.client())
    r = acme.post(acme.response(request, victim.email, name_id="attacker-nameid@corp.test"), relay)
    assert r.status_code == 302 and "error=account_not_linked" in r.headers["location"], r.headers.get("location")
    assert session_of(srv, r) is None
    accounts = srv.query('SELECT "providerId" FROM "account" WHERE "userId" = ?', victim.user["id"])
    assert [a["providerId"] for a in accounts] == ["credential"]


def test_an_idp_cannot_take_the_issuer_or_id_of_another_sign_in_method(server, tmp_path, idp):  # noqa: F811
    from test_social import social_config
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("sso"), plugins / "sso.so")
    srv = server(social_config(idp, pluginsDir=str(plugins), trustedOrigins=[*TRUSTED_ORIGINS, idp.url]))
    admin = srv.client().new_user()
    saml_idp = IdentityProvider("urn:x", "https://idp.example/sso")
    saml = {"entryPoint": "https://idp.example/sso", "cert": saml_idp.certificate}
    for provider_id in ("credential", "mock", "github"):
        assert_error(admin.post("sso/register", {"providerId": provider_id, "issuer": "https://idp.example", "domain": "x.test",
                                                 "samlConfig": saml}), 422)
    # The password accounts' issuer, and the configured OIDC provider's own issuer.
    assert_error(admin.post("sso/register", {"providerId": "fake-local", "issuer": "https://idp.example", "domain": "x.test",
                                             "samlConfig": {**saml, "idpMetadata": {"entityID": "local:credential"}}}), 400, "ISSUER_RESERVED")
    assert_error(admin.post("sso/register", oidc_body(idp, "fake-mock", "y.test")), 400, "ISSUER_RESERVED")
    assert not srv.query('SELECT * FROM "ssoProvider"')


def test_xmlsec_never_follows_a_reference_out_of_the_document(srv, acme):
    import http.server
    import threading
    hits = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        root, relay = signed_document(acme)
        signature = root.find(f"{{{A}}}Assertion").find(f"{{{DS}}}Signature")
        manifest = etree.SubElement(etree.SubElement(signature, f"{{{DS}}}Object"), f"{{{DS}}}Manifest")
        reference = etree.SubElement(manifest, f"{{{DS}}}Reference", URI=f"http://127.0.0.1:{listener.server_port}/ssrf")
        etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
        etree.SubElement(reference, f"{{{DS}}}DigestValue").text = "AAAA"
        extra = etree.SubElement(signature.find(f"{{{DS}}}SignedInfo"), f"{{{DS}}}Reference", URI=f"http://127.0.0.1:{listener.server_port}/ref")
        etree.SubElement(extra, f"{{{DS}}}DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
        etree.SubElement(extra, f"{{{DS}}}DigestValue").text = "AAAA"
        r = acme.post(etree.tostring(root).decode(), relay)
        assert r.status_code == 400 and session_of(srv, r) is None
        assert hits == []
    finally:
        listener.shutdown()


def test_provider_summaries_show_no_certificate_or_key(srv):
    tenant = Tenant(srv, "quiet", "quiet.test", privateKey="-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----")
    shown = tenant.admin.get("sso/get-provider", params={"providerId": "quiet"}).json()
    assert "cert" not in shown["samlConfig"] and "privateKey" not in shown["samlConfig"] and "secret" not in str(shown)
    assert shown["samlConfig"]["entryPoint"] == tenant.idp.sso_url


def test_a_nul_byte_in_a_provider_id_is_a_client_error(srv):
    """API fuzzing (issue 23) on PostgreSQL: a text value with a NUL byte, which PostgreSQL cannot
    store or compare, answered 500; the host now tells the plugin it is the request's fault."""
    r = srv.client().get("sso/saml2/sp/metadata", params={"providerId": "a\x00b"})
    if srv.on_postgres:
        assert_error(r, 400, "VALIDATION_ERROR")
    else:
        assert_error(r, 404, "PROVIDER_NOT_FOUND")
