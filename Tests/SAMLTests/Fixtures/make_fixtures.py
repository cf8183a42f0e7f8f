"""Writes the SAML fixtures of SAMLTests: Responses signed with xmlsec1 (Debian `xmlsec1`) by a key made
for the run (only its certificate, idp.crt, is kept), then attacked with lxml, and one Response made by
a real IdP, pysaml2 (Tests/http/saml_idp.py; pysaml2-response.xml and pysaml2-idp.crt, issued at the
run's time). Run it from this folder: `python3 make_fixtures.py`. Times of the others: issued
2026-01-01T00:00:00Z, valid until 00:05:00Z."""
import copy
import subprocess
import tempfile
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
P = "urn:oasis:names:tc:SAML:2.0:protocol"
A = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
ACS = "http://127.0.0.1:3000/api/auth/sso/saml2/sp/acs/acme"
SP = "https://sp.example/acme"
IDP = "https://idp.example/metadata"

SIGNATURE = f"""<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="#{{id}}"><ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>
</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>"""


def assertion(id="_a1", name_id="ada@corp.test", email="ada@corp.test"):
    return f"""<saml:Assertion xmlns:saml="{A}" ID="{id}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
<saml:Issuer>{IDP}</saml:Issuer>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{name_id}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="_req1" Recipient="{ACS}" NotOnOrAfter="2026-01-01T00:05:00Z"/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotBefore="2025-12-31T23:59:00Z" NotOnOrAfter="2026-01-01T00:05:00Z"><saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AuthnStatement AuthnInstant="2026-01-01T00:00:00Z" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
<saml:AttributeStatement>
<saml:Attribute Name="email"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="givenName"><saml:AttributeValue>Ada</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="surname"><saml:AttributeValue>Lovelace</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement></saml:Assertion>"""


def response(inner, id="_r1"):
    return f"""<samlp:Response xmlns:samlp="{P}" xmlns:saml="{A}" ID="{id}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="{ACS}" InResponseTo="_req1"><saml:Issuer>{IDP}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{inner}</samlp:Response>"""


def with_signature(xml: str, element_id: str, after: str) -> str:
    """Puts a signature template for `element_id` right after the first `after` end tag inside it."""
    cut = xml.index(after, xml.index(f'ID="{element_id}"')) + len(after)
    return xml[:cut] + SIGNATURE.replace("{id}", element_id) + xml[cut:]


def sign(xml: str, key: Path, cert: Path, node: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.xml"
        src.write_text(xml)
        out = subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}", "--id-attr:ID", node,
                              "--id-attr:ID", f"{P}:Response", str(src)], capture_output=True, check=True)
        return out.stdout.decode()


def keypair(directory: Path, name: str) -> tuple[Path, Path]:
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "36500", "-subj", f"/CN={name}"], check=True, capture_output=True)
    return key, cert


def main():
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = keypair(Path(tmp), "idp")
        evil_key, evil_cert = keypair(Path(tmp), "evil")
        (HERE / "idp.crt").write_text(cert.read_text())
        node = f"{A}:Assertion"
        signed_assertion = sign(response(with_signature(assertion(), "_a1", "</saml:Issuer>")), key, cert, node)
        files = {
            "assertion-signed.xml": signed_assertion,
            "response-signed.xml": sign(with_signature(response(assertion()), "_r1", "</saml:Issuer>"), key, cert, node),
            "both-signed.xml": sign(with_signature(signed_assertion.split("?>", 1)[1], "_r1", "</saml:Issuer>"), key, cert, node),
            "unsigned.xml": response(assertion()),
            "foreign-key.xml": sign(response(with_signature(assertion(), "_a1", "</saml:Issuer>")), evil_key, evil_cert, node),
            "tampered.xml": signed_assertion.replace("ada@corp.test</saml:NameID>", "eve@corp.test</saml:NameID>"),
            "doctype.xml": signed_assertion.replace("?>", '?>\n<!DOCTYPE samlp:Response [<!ENTITY who "eve@corp.test">]>', 1),
        }
        # The IdP signed "ada@corp.test.evil.test"; a comment after "ada@corp.test" leaves the signature valid.
        commented = sign(response(with_signature(assertion(name_id="ada@corp.test.evil.test"), "_a1", "</saml:Issuer>")), key, cert, node)
        files["comment-in-name-id.xml"] = commented.replace("ada@corp.test.evil.test</saml:NameID>", "ada@corp.test<!---->.evil.test</saml:NameID>")
        files.update(wrapping_attacks(signed_assertion))
        files.update(pysaml2_response())
        for name, text in files.items():
            (HERE / name).write_text(text)


def pysaml2_response() -> dict[str, str]:
    """A Response from pysaml2's IdP for this SP (its metadata inline), the Assertion signed."""
    import sys
    sys.path.insert(0, str(HERE.parents[1] / "http"))
    from saml_idp import IdentityProvider
    metadata = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP}"><md:SPSSODescriptor
protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService
Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS}" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>"""
    idp = IdentityProvider(IDP, "https://idp.example/sso", metadata)
    xml = idp.response(acs=ACS, sp_entity_id=SP, email="ada@corp.test", in_response_to="_req1")
    return {"pysaml2-response.xml": xml, "pysaml2-idp.crt": idp.certificate}


def wrapping_attacks(signed: str) -> dict[str, str]:
    """Signature wrapping: an evil Assertion placed where a careless SP reads it, the signed one kept intact."""
    evil = etree.fromstring(assertion(id="_evil", name_id="eve@corp.test", email="eve@corp.test").encode())
    attacks = {}

    def document():
        root = etree.fromstring(signed.split("?>", 1)[1].encode())
        return root, root.find(f"{{{A}}}Assertion")

    root, good = document()                       # 1. the evil assertion before the signed one
    good.addprevious(copy.deepcopy(evil))
    attacks["wrap-before.xml"] = etree.tostring(root).decode()

    root, good = document()                       # 2. the evil assertion around the signed one
    wrapper = copy.deepcopy(evil)
    good.addprevious(wrapper)
    wrapper.append(good)
    attacks["wrap-around.xml"] = etree.tostring(root).decode()

    root, good = document()                       # 3. the signed one hidden in Extensions, the evil one in its place
    extensions = etree.Element(f"{{{P}}}Extensions")
    root.find(f"{{{A}}}Issuer").addnext(extensions)
    good.addprevious(copy.deepcopy(evil))
    extensions.append(good)
    attacks["wrap-extensions.xml"] = etree.tostring(root).decode()

    root, good = document()                       # 4. the evil one in the signature's ds:Object
    signature = good.find(f"{{{DS}}}Signature")
    obj = etree.SubElement(signature, f"{{{DS}}}Object")
    obj.append(copy.deepcopy(evil))
    attacks["wrap-object.xml"] = etree.tostring(root).decode()

    root, good = document()                       # 5. the same ID twice: the evil copy first
    twin = copy.deepcopy(evil)
    twin.set("ID", "_a1")
    good.addprevious(twin)
    attacks["duplicate-id.xml"] = etree.tostring(root).decode()
    return attacks


if __name__ == "__main__":
    main()
