"""sso plugin (issue 17), SAML so far: a pysaml2 identity provider (Tests/http/saml_idp.py, signing with
Debian's xmlsec1) reads the AuthnRequest the server sends it through the HTTP-Redirect binding and
answers by HTTP-POST to the ACS, as a real IdP; lxml crafts the attacks (signature wrapping, edits
after signing, unsigned and foreign-key Responses, DOCTYPE) and replays."""
from __future__ import annotations

import base64
import copy
import shutil

import pytest
import requests
from lxml import etree

from conftest import assert_error, unique_email
from saml_idp import IdentityProvider, keypair
from test_bearer import built_library

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
