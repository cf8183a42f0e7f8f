"""Browser + software authenticator for the WebAuthn (passkey) HTTP tests.

`SoftAuthenticator` takes the options JSON the server sends (the shapes of @simplewebauthn's
`PublicKeyCredentialCreationOptionsJSON` / `PublicKeyCredentialRequestOptionsJSON`) and returns
what `startRegistration` / `startAuthentication` of @simplewebauthn/browser would post back.

The bytes (WebAuthn Level 3, §6.1 and §6.5):
  clientDataJSON   {"type","challenge","origin","crossOrigin"}; the authenticator signs its SHA-256
  authenticatorData  rpIdHash (32, SHA-256 of the rp id) | flags (1: UP 0x01, UV 0x04, AT 0x40)
                   | signCount (4, big-endian) | attestedCredentialData (registration only:
                   aaguid (16) | credentialId length (2) | credentialId | COSE public key (CBOR))
  attestationObject  CBOR {"fmt", "attStmt", "authData"}; "packed" attStmt = {alg, sig[, x5c]}
                   where sig signs authData || SHA-256(clientDataJSON)
  assertion signature  over authenticatorData || SHA-256(clientDataJSON)

What comes from soft-fido2 (PyPI `soft-fido2`) and what is written here:
  * soft-fido2, driven in-process (no USB/UHID device): key pairs (`KeyPair`); one
    `Fido2Authenticator` per credential, which holds its key, its credential id (SHA-256 of the
    public key) and its sign counter and builds the authenticatorData (rpIdHash, flags, counter);
    the "none" and "packed" self-attestation statements; the packed signature of the x5c case
    (its self-statement builder, handed the attestation key instead of the credential key); the
    assertion signatures (ES256 DER via `ec.ECDSA`, RS256 PKCS#1 v1.5/SHA-256, EdDSA raw 64 bytes);
    the test CA and leaf certificates (`CertUtils.gen_ca_cert`, `gen_cert`, `AAGUIDExtension`).
  * Written here, because soft-fido2 cannot do it or gets it wrong:
    - the COSE key: soft-fido2 encodes Ed25519 as kty 6 (OKP is 1) and EC coordinates without
      fixed 32-byte width, so `_Credential` overrides the attestedCredentialData with a
      canonical COSE key;
    - the leaf certificate's extension set: soft-fido2's own packed x5c leaf is TPM-flavoured
      (critical subjectAltName, TCG EKU, keyCertSign on a non-CA), which RFC 5280 verifiers such
      as swift-certificates reject; its leaf also certifies the credential key, while ours is an
      independent ES256 attestation key (alg -7) and x5c holds the leaf only;
    - clientDataJSON (soft-fido2 omits crossOrigin and takes the origin from the options),
      the JSON around it (soft-fido2 pads base64 and uses old field names), excludeCredentials,
      credential choice, `counter_override` and `rp_id_override`.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
from urllib.parse import urlparse

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from soft_fido2 import CertUtils, Fido2Authenticator, KeyPair

#: alg name -> (COSE algorithm identifier, soft-fido2 key generator)
ALGORITHMS = {
    "ES256": (-7, KeyPair.generate_ecdsa),       # P-256
    "RS256": (-257, KeyPair.generate_rsa),       # RSA 2048, e = 65537
    "EdDSA": (-8, KeyPair.generate_ed25519),     # Ed25519
}
ATTESTATIONS = ("none", "packed-self", "packed-x5c")
#: AAGUID of the packed-x5c authenticator (also in its leaf certificate); the others use zeros.
X5C_AAGUID = b"gatehouse-tests!"   # 67617465-686f-7573-652d-746573747321


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(s: str) -> bytes:
    """base64url with or without padding."""
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def tamper(response: dict, field: str, index: int = -1) -> dict:
    """Deep copy of a Registration/AuthenticationResponseJSON with one byte (default the last)
    of `response[field]` (or of a top-level field such as "rawId") XOR-ed with 0x01."""
    out = copy.deepcopy(response)
    holder = out["response"] if field in out["response"] else out
    raw = bytearray(b64url_decode(holder[field]))
    raw[index] ^= 0x01
    holder[field] = b64url(bytes(raw))
    return out


def cose_public_key(public_key) -> bytes:
    """Canonical CBOR COSE_Key (RFC 9052/9053): EC2 {1:2, 3:-7, -1:1 (P-256), -2:x, -3:y},
    RSA {1:3, 3:-257, -1:n, -2:e}, OKP {1:1, 3:-8, -1:6 (Ed25519), -2:x}."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        n = public_key.public_numbers()
        key = {1: 2, 3: -7, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")}
    elif isinstance(public_key, rsa.RSAPublicKey):
        n = public_key.public_numbers()
        key = {1: 3, 3: -257, -1: n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"),
               -2: n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")}
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        key = {1: 1, 3: -8, -1: 6, -2: raw}
    else:
        raise ValueError(f"unsupported key {type(public_key).__name__}")
    return cbor2.dumps(key, canonical=True)


class _Credential(Fido2Authenticator):
    """One credential = one soft-fido2 authenticator (key pair, credential id, sign counter),
    plus the rp id and user handle it is bound to."""

    def __init__(self, key_pair: KeyPair, aaguid: bytes, rp_id: str, user_handle: bytes):
        super().__init__(keyPair=key_pair, aaguid=list(aaguid))
        self.rp_id, self.user_handle = rp_id, user_handle
        self.credential_id = b64url_decode(self.get_credential_id())  # SHA-256 of the public key

    def process_attested_credential_data(self, publicKey, credIdBytes):
        """aaguid | credentialIdLength (uint16 BE) | credentialId | COSE key (canonical)."""
        return bytes(self.aaguid) + len(credIdBytes).to_bytes(2, "big") + credIdBytes \
            + cose_public_key(publicKey)


class SoftAuthenticator:
    """A roaming (USB) authenticator holding credentials of one algorithm and attestation kind.

    Knobs for negative tests:
      counter_override  int: the next assertion carries this sign count (one shot: reset to None
                        afterwards, and the credential's own counter is left as it was)
      rp_id_override    str: rpIdHash is computed over this instead of the options' rp id
    `self.credentials` lists what it holds, oldest first: `.credential_id` (bytes), `.rp_id`,
    `.user_handle` (bytes), `.counter` (the sign count the next assertion will carry), `.kp`.
    """

    def __init__(self, alg: str = "ES256", attestation: str = "none"):
        if alg not in ALGORITHMS or attestation not in ATTESTATIONS:
            raise ValueError(f"unsupported alg/attestation {alg!r}/{attestation!r}")
        self.alg, self.attestation = alg, attestation
        self.cose_alg, self._generate = ALGORITHMS[alg]
        self.aaguid = X5C_AAGUID if attestation == "packed-x5c" else bytes(16)
        self.credentials: list[_Credential] = []
        self.counter_override: int | None = None
        self.rp_id_override: str | None = None
        self.ca_pem = self.ca_der = None
        if attestation == "packed-x5c":
            self._make_certificates()

    def _make_certificates(self) -> None:
        """Test CA (ES256, self-signed) and an attestation leaf per WebAuthn §8.2.1: version 3,
        subject C/O/OU="Authenticator Attestation"/CN, basicConstraints CA=false, and the
        id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4, OCTET STRING of the AAGUID).
        soft-fido2 marks no extension critical, not even the CA's basicConstraints: fine for
        swift-certificates and py_webauthn, only `openssl verify -x509_strict` objects."""
        def name(cn):
            return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                              x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse Tests"),
                              x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                              x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        ca_key, self._attestation_key = KeyPair.generate_ecdsa(), KeyPair.generate_ecdsa()
        ca_name = name("Gatehouse Test Attestation CA")
        ca = CertUtils.gen_ca_cert(subject=ca_name, keyPair=ca_key, serial=x509.random_serial_number())
        leaf = CertUtils.gen_cert(subject=name("Gatehouse Test Authenticator"), issuer=ca_name,
                                  serial=x509.random_serial_number(), keyPair=self._attestation_key,
                                  signKeyPair=ca_key, extensions=[
                                      x509.BasicConstraints(False, None), CertUtils.AAGUIDExtension(self.aaguid),
                                      x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.get_public())])
        self.ca_der = ca.public_bytes(serialization.Encoding.DER)
        self.ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        self.leaf_der = leaf.public_bytes(serialization.Encoding.DER)

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def register(self, options: dict, origin: str, *, user_verified: bool = True) -> dict:
        """navigator.credentials.create(): returns a RegistrationResponseJSON."""
        rp_id = (options.get("rp") or {}).get("id") or urlparse(origin).hostname
        if self.cose_alg not in [p.get("alg") for p in options.get("pubKeyCredParams", [])]:
            raise ValueError(f"NotSupportedError: options do not offer COSE alg {self.cose_alg}")
        for descriptor in options.get("excludeCredentials") or []:
            if any(c.credential_id == b64url_decode(descriptor["id"]) and c.rp_id == rp_id
                   for c in self.credentials):
                raise ValueError("InvalidStateError: authenticator holds an excluded credential")
        cred = _Credential(self._generate(), self.aaguid, rp_id, b64url_decode(options["user"]["id"]))
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        client_data_hash = hashlib.sha256(client_data).digest()
        # soft-fido2: rpIdHash | flags UP, UV?, AT | signCount (0, then the counter steps to 1) | ...
        auth_data = cred.build_authenticator_data({"rp": {"id": self.rp_id_override or rp_id}},
                                                  "packed", cred.kp, user_verified)
        if self.attestation == "none":
            fmt, statement = "none", {}
        elif self.attestation == "packed-self":   # {alg, sig} signed with the credential key
            fmt, statement = "packed", cred.process_attestation_statement(
                "packed-self", client_data_hash, auth_data, cred.credential_id, cred.kp)
        else:   # the same {alg: -7, sig} signed with the attestation key, plus its certificate
            fmt, statement = "packed", cred.process_attestation_statement(
                "packed-self", client_data_hash, auth_data, cred.credential_id, self._attestation_key)
            statement["x5c"] = [self.leaf_der]
        attestation_object = cbor2.dumps({"fmt": fmt, "attStmt": statement, "authData": auth_data},
                                         canonical=True)
        self.credentials.append(cred)
        spki = cred.kp.get_public().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        return {
            "id": b64url(cred.credential_id), "rawId": b64url(cred.credential_id),
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "transports": ["usb"],
                "publicKeyAlgorithm": self.cose_alg,
                "publicKey": b64url(spki),
                "authenticatorData": b64url(auth_data),
            },
            "type": "public-key", "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }

    def _pick(self, rp_id: str, options: dict, credential_id: bytes | None) -> _Credential:
        """credential_id if given; else the first allowed credential held for this rp; else (no
        allowCredentials: discoverable) the first credential held for this rp."""
        if credential_id is not None:
            found = [c for c in self.credentials if c.credential_id == credential_id]
        else:
            mine = [c for c in self.credentials if c.rp_id == rp_id]
            allowed = [b64url_decode(d["id"]) for d in options.get("allowCredentials") or []]
            found = [c for i in allowed for c in mine if c.credential_id == i] if allowed else mine
        if not found:
            raise ValueError("NotAllowedError: no matching credential on this authenticator")
        return found[0]

    def authenticate(self, options: dict, origin: str, *, credential_id: bytes | None = None,
                     user_verified: bool = True) -> dict:
        """navigator.credentials.get(): returns an AuthenticationResponseJSON."""
        rp_id = options.get("rpId") or urlparse(origin).hostname
        cred = self._pick(rp_id, options, credential_id)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        own_counter = cred.counter
        if self.counter_override is not None:
            cred.counter = self.counter_override
        # soft-fido2: rpIdHash | flags UP, UV? | signCount (then the counter steps)
        auth_data = cred.build_authenticator_data({"rpId": self.rp_id_override or rp_id},
                                                  None, cred.kp, user_verified)
        if self.counter_override is not None:
            cred.counter, self.counter_override = own_counter, None
        signature = cred.assertion_signature(auth_data, hashlib.sha256(client_data).digest(), cred.kp)
        return {
            "id": b64url(cred.credential_id), "rawId": b64url(cred.credential_id),
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(cred.user_handle),
            },
            "type": "public-key", "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }
