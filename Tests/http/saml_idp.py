"""A SAML 2.0 identity provider for the SSO tests, on pysaml2 (PyPI `pysaml2`, which signs with Debian's
`xmlsec1`): it reads the SP's AuthnRequest from an HTTP-Redirect URL and answers with a signed Response
for the HTTP-POST binding, as a real IdP would; it can also answer unsolicited (IdP-initiated)."""
from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.authn_context import PASSWORD


def keypair(directory: Path, name: str = "idp") -> tuple[Path, Path]:
    """A fresh RSA key and self-signed certificate (PEM files)."""
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "365", "-subj", f"/CN={name}"], check=True, capture_output=True)
    return key, cert


class IdentityProvider:
    """Make one (its key and certificate come first, for the SP's registration), then `trust` the
    SP's metadata before it reads requests or answers."""

    def __init__(self, entity_id: str, sso_url: str, sp_metadata: str | None = None, directory: Path | None = None):
        if shutil.which("xmlsec1") is None:
            raise RuntimeError("pysaml2 needs the xmlsec1 program (Debian package xmlsec1)")
        self.directory = directory or Path(tempfile.mkdtemp(prefix="saml-idp-"))
        self.key, self.cert = keypair(self.directory)
        self.entity_id = entity_id
        self.sso_url = sso_url
        self.server = None
        if sp_metadata is not None:
            self.trust(sp_metadata)

    def trust(self, sp_metadata: str):
        """Loads the SP's metadata (its entity ID and ACS), as an IdP administrator does."""
        config = {
            "entityid": self.entity_id,
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
            }},
            "key_file": str(self.key), "cert_file": str(self.cert),
            "metadata": {"inline": [sp_metadata]},
            "xmlsec_binary": shutil.which("xmlsec1"),
        }
        self.server = Server(config=IdPConfig().load(config))

    def metadata(self) -> str:
        """The IdP's own metadata (entity ID, SSO service, signing certificate), as pysaml2 writes it."""
        from saml2.metadata import entity_descriptor
        return str(entity_descriptor(self.server.config))

    @property
    def certificate(self) -> str:
        return self.cert.read_text()

    def read_request(self, url: str):
        """The AuthnRequest carried by an HTTP-Redirect URL, and its RelayState."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        info = self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        return info.message, query.get("RelayState")

    def response(self, *, acs: str, sp_entity_id: str, email: str, in_response_to: str | None, name_id: str | None = None,
                 attributes: dict | None = None, sign_assertion: bool = True, sign_response: bool = False) -> str:
        """A signed Response (XML text) for `email`."""
        identity = {"email": [email], "givenName": ["Ada"], "surname": ["Lovelace"]}
        identity.update(attributes or {})
        response = self.server.create_authn_response(
            identity=identity, in_response_to=in_response_to, destination=acs, sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id or email),
            authn={"class_ref": PASSWORD, "authn_auth": self.entity_id},
            sign_assertion=sign_assertion, sign_response=sign_response)
        return str(response)

    @staticmethod
    def reference_sp(entity_id: str, acs: str, idp_metadata: str):
        """pysaml2's own service provider, to cross-check what this IdP answers."""
        from saml2 import BINDING_HTTP_POST
        from saml2.client import Saml2Client
        from saml2.config import SPConfig
        config = {"entityid": entity_id, "xmlsec_binary": shutil.which("xmlsec1"), "metadata": {"inline": [idp_metadata]},
                  "service": {"sp": {"endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                                     "want_assertions_signed": True, "want_response_signed": False}}}
        return Saml2Client(config=SPConfig().load(config))

    @staticmethod
    def post_form(xml: str, relay_state: str | None) -> dict:
        """The HTTP-POST binding's form fields."""
        form = {"SAMLResponse": base64.b64encode(xml.encode()).decode()}
        if relay_state is not None:
            form["RelayState"] = relay_state
        return form

