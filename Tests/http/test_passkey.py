"""passkey plugin (contract §7.2): a software authenticator (soft-fido2) registers and signs in over
HTTP with the server's @simplewebauthn JSON; py_webauthn cross-checks what the server stored."""
import base64
import shutil

import cbor2
import pytest
import webauthn
from webauthn.helpers import parse_authentication_credential_json, parse_registration_credential_json

from conftest import assert_error
from test_bearer import built_library
from webauthn_client import SoftAuthenticator, b64url, b64url_decode, tamper


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("passkey-plugins")
    shutil.copy(built_library("passkey"), plugins / "passkey.so")
    return plugins


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return server_factory({"pluginsDir": str(plugins_dir)}, name="passkey")


def register(client, authenticator, name="My key"):
    """generate-register-options → authenticator → verify-registration; returns (options, response, answer)."""
    r = client.get("passkey/generate-register-options")
    assert r.status_code == 200, r.text
    options = r.json()
    response = authenticator.register(options, client.server.origin)
    return options, response, client.post("passkey/verify-registration", {"response": response, "name": name})


def sign_in(client, authenticator, **kw):
    """generate-authenticate-options → authenticator → verify-authentication; returns (options, assertion, answer)."""
    options = client.post("passkey/generate-authenticate-options").json()
    assertion = authenticator.authenticate(options, kw.pop("origin", client.server.origin), **kw)
    return options, assertion, client.post("passkey/verify-authentication", {"response": assertion})


def registered(srv, alg="ES256", attestation="none"):
    c = srv.client().new_user()
    authenticator = SoftAuthenticator(alg, attestation)
    _, _, r = register(c, authenticator)
    assert r.status_code == 200, r.text
    return c, authenticator, r.json()


def assert_no_session(client, r):
    assert client.server.cookie_name("session_token") not in r.headers.get("set-cookie", "")
    assert client.get_session().json() is None


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg,attestation", [("ES256", "none"), ("RS256", "packed-self"), ("EdDSA", "packed-x5c"), ("ES256", "packed-x5c")])
def test_register_and_sign_in_with_a_software_authenticator(srv, alg, attestation):
    c = srv.client().new_user()
    authenticator = SoftAuthenticator(alg, attestation)
    options, response, r = register(c, authenticator)
    assert r.status_code == 200, r.text
    assert options["rp"]["id"] == "127.0.0.1" and {p["alg"] for p in options["pubKeyCredParams"]} == {-7, -8, -257}
    assert options["authenticatorSelection"]["residentKey"] == "preferred" and options["excludeCredentials"] == []
    row = r.json()
    assert row["credentialID"] == response["id"] and row["name"] == "My key" and row["counter"] == 0
    assert row["userId"] == c.session()["user"]["id"] and row["deviceType"] == "singleDevice" and row["backedUp"] is False
    assert row["transports"] == "usb"
    assert row["attestationTrust"] == {"none": "none", "packed-self": "self", "packed-x5c": "unverified"}[attestation]
    if attestation == "packed-x5c":
        assert row["aaguid"] == "67617465-686f-7573-652d-746573747321"

    # py_webauthn reads the same credential out of the same response.
    checked = webauthn.verify_registration_response(
        credential=parse_registration_credential_json(response), expected_challenge=b64url_decode(options["challenge"]),
        expected_origin=srv.origin, expected_rp_id="127.0.0.1")
    assert b64url(checked.credential_id) == row["credentialID"]
    assert base64.b64decode(row["publicKey"]) == checked.credential_public_key
    assert [p["credentialID"] for p in c.get("passkey/list-user-passkeys").json()] == [row["credentialID"]]

    # Sign in from a fresh browser with no allow-list (a discoverable credential).
    d = srv.client()
    options, assertion, r = sign_in(d, authenticator)
    assert options["allowCredentials"] == [] and options["rpId"] == "127.0.0.1"
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["email"] == c.email and body["session"]["token"] == d.token
    assert d.session()["user"]["email"] == c.email
    # py_webauthn verifies the assertion with the key the server stored.
    webauthn.verify_authentication_response(
        credential=parse_authentication_credential_json(assertion), expected_challenge=b64url_decode(options["challenge"]),
        expected_origin=srv.origin, expected_rp_id="127.0.0.1", credential_public_key=base64.b64decode(row["publicKey"]),
        credential_current_sign_count=0)
    stored = srv.query("SELECT counter FROM passkey WHERE id = ?", row["id"])[0]
    assert stored["counter"] == 1


def test_a_chain_to_a_configured_root_is_recorded_as_verified(server, plugins_dir):
    authenticator = SoftAuthenticator("ES256", "packed-x5c")
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"passkey": {"attestation": "direct",
                                                                          "attestationRoots": [authenticator.ca_pem.decode()]}}})
    c = srv.client().new_user()
    options, _, r = register(c, authenticator)
    assert options["attestation"] == "direct"
    assert r.status_code == 200 and r.json()["attestationTrust"] == "verified", r.text


def test_already_registered_credentials_are_excluded(srv):
    c, authenticator, row = registered(srv)
    options = c.get("passkey/generate-register-options").json()
    assert options["excludeCredentials"] == [{"id": row["credentialID"], "type": "public-key", "transports": ["usb"]}]
    with pytest.raises(ValueError, match="InvalidStateError"):
        authenticator.register(options, srv.origin)


def test_registration_needs_a_fresh_session(srv):
    anonymous = srv.client()
    assert_error(anonymous.get("passkey/generate-register-options"), 401)
    assert_error(anonymous.post("passkey/verify-registration", {"response": {}}), 401)


# --- refusals: each a clear 4xx and no session ---------------------------------------------------


def test_wrong_origin(srv):
    c, authenticator, _ = registered(srv)
    d = srv.client()
    _, _, r = sign_in(d, authenticator, origin="https://evil.example")
    body = assert_error(r, 401, "AUTHENTICATION_FAILED")
    assert "origin" in body["message"]
    assert_no_session(d, r)
    e = srv.client().new_user()
    r = e.get("passkey/generate-register-options")
    response = SoftAuthenticator().register(r.json(), "https://evil.example")
    assert_error(e.post("passkey/verify-registration", {"response": response}), 400, "FAILED_TO_VERIFY_REGISTRATION")


def test_wrong_rp_id(srv):
    c, authenticator, _ = registered(srv)
    authenticator.rp_id_override = "evil.example"
    d = srv.client()
    _, _, r = sign_in(d, authenticator)
    assert "rpIdHash" in assert_error(r, 401, "AUTHENTICATION_FAILED")["message"]
    assert_no_session(d, r)


def test_replayed_challenge(srv):
    c, authenticator, _ = registered(srv)
    d = srv.client()
    _, assertion, r = sign_in(d, authenticator)
    assert r.status_code == 200
    # The same assertion again, with the same challenge cookie: the challenge was used up.
    e = srv.client()
    cookie = next(h for h in r.request.headers["Cookie"].split("; ") if "passkey" in h)
    r = e.post("passkey/verify-authentication", {"response": assertion}, cookies=cookie)
    assert_error(r, 400, "CHALLENGE_NOT_FOUND")
    assert_no_session(e, r)
    assert_error(srv.client().post("passkey/verify-authentication", {"response": assertion}), 400, "CHALLENGE_NOT_FOUND")


@pytest.mark.parametrize("field,index", [("signature", -1), ("authenticatorData", 33), ("clientDataJSON", 20)])
def test_tampered_assertion(srv, field, index):
    c, authenticator, _ = registered(srv)
    d = srv.client()
    options = d.post("passkey/generate-authenticate-options").json()
    assertion = tamper(authenticator.authenticate(options, srv.origin), field, index)
    r = d.post("passkey/verify-authentication", {"response": assertion})
    assert_error(r, 401, "AUTHENTICATION_FAILED")
    assert_no_session(d, r)


def test_counter_going_backwards_is_a_cloned_authenticator(srv):
    c, authenticator, row = registered(srv)
    for _ in range(2):
        assert sign_in(srv.client(), authenticator)[2].status_code == 200
    authenticator.counter_override = 1
    d = srv.client()
    _, _, r = sign_in(d, authenticator)
    assert "counter" in assert_error(r, 401, "AUTHENTICATION_FAILED")["message"]
    assert_no_session(d, r)
    assert "possible cloned authenticator" in srv.logs()
    assert srv.query("SELECT counter FROM passkey WHERE id = ?", row["id"])[0]["counter"] == 2


def test_someone_elses_credential(srv):
    alice, alice_key, alice_row = registered(srv)
    bob, bob_key, bob_row = registered(srv)
    # Bob, signed in, is offered only his own credentials; Alice's authenticator answers anyway.
    options = bob.post("passkey/generate-authenticate-options").json()
    assert [a["id"] for a in options["allowCredentials"]] == [bob_row["credentialID"]]
    assertion = alice_key.authenticate({**options, "allowCredentials": []}, srv.origin)
    assert_error(bob.post("passkey/verify-authentication", {"response": assertion}), 401, "AUTHENTICATION_FAILED")
    # Nor can Bob see, rename or delete Alice's passkey.
    assert_error(bob.post("passkey/update-passkey", {"id": alice_row["id"], "name": "mine"}), 404, "PASSKEY_NOT_FOUND")
    assert_error(bob.post("passkey/delete-passkey", {"id": alice_row["id"]}), 404, "PASSKEY_NOT_FOUND")
    assert [p["id"] for p in bob.get("passkey/list-user-passkeys").json()] == [bob_row["id"]]
    assert srv.query("SELECT name FROM passkey WHERE id = ?", alice_row["id"])[0]["name"] == "My key"
    # An unknown credential id.
    d = srv.client()
    options = d.post("passkey/generate-authenticate-options").json()
    assertion = alice_key.authenticate(options, srv.origin)
    assertion["id"] = assertion["rawId"] = b64url(b"\x01" * 32)
    assert_error(d.post("passkey/verify-authentication", {"response": assertion}), 404, "PASSKEY_NOT_FOUND")


@pytest.mark.parametrize("attestation_object", [
    b"\xa3\x63fmt",                                               # truncated
    b"\xbf\x63fmtdnone\xff",                                      # indefinite-length map
    cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": b"\x00" * 10}),   # authData too short
    cbor2.dumps({"fmt": "none", "attStmt": {}}) + b"\x00",        # trailing bytes
])
def test_malformed_cbor(srv, attestation_object):
    c = srv.client().new_user()
    options = c.get("passkey/generate-register-options").json()
    response = SoftAuthenticator().register(options, srv.origin)
    response["response"]["attestationObject"] = b64url(attestation_object)
    r = c.post("passkey/verify-registration", {"response": response})
    assert_error(r, 400, "FAILED_TO_VERIFY_REGISTRATION")
    assert c.get("passkey/list-user-passkeys").json() == []


def test_tampered_attestation_and_missing_user_verification(server, plugins_dir):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"passkey": {"authenticatorSelection": {"userVerification": "required"}}}})
    c = srv.client().new_user()
    options = c.get("passkey/generate-register-options").json()
    response = tamper(SoftAuthenticator("ES256", "packed-self").register(options, srv.origin), "attestationObject", -5)
    assert_error(c.post("passkey/verify-registration", {"response": response}), 400, "FAILED_TO_VERIFY_REGISTRATION")
    options = c.get("passkey/generate-register-options").json()
    response = SoftAuthenticator().register(options, srv.origin, user_verified=False)
    assert "not verified" in assert_error(c.post("passkey/verify-registration", {"response": response}), 400)["message"]


def test_rename_and_delete(srv):
    c, authenticator, row = registered(srv)
    r = c.post("passkey/update-passkey", {"id": row["id"], "name": "Laptop"})
    assert r.status_code == 200 and r.json()["passkey"]["name"] == "Laptop"
    assert c.post("passkey/delete-passkey", {"id": row["id"]}).json() == {"status": True}
    assert c.get("passkey/list-user-passkeys").json() == []
    d = srv.client()
    _, _, r = sign_in(d, authenticator)
    assert_error(r, 404, "PASSKEY_NOT_FOUND")


def test_a_passkey_settles_a_two_factor_challenge(server, tmp_path):
    import pyotp
    for name in ("passkey", "two-factor"):
        shutil.copy(built_library(name), tmp_path / f"{name}.so")
    srv = server({"pluginsDir": str(tmp_path)})
    c, authenticator, _ = registered(srv)
    totp = pyotp.parse_uri(c.post("two-factor/enable", {"password": c.password}).json()["totpURI"])
    assert c.post("two-factor/verify-totp", {"code": totp.now()}).status_code == 200
    c.post("sign-out")
    assert c.sign_in().json()["twoFactorRedirect"] is True
    challenge_cookie = srv.cookie_name("two_factor")
    assert challenge_cookie in c.cookies
    _, _, r = sign_in(c, authenticator)
    assert r.status_code == 200, r.text
    assert challenge_cookie not in c.cookies and c.session()["user"]["email"] == c.email
    assert srv.query("SELECT COUNT(*) AS n FROM verification WHERE identifier LIKE '2fa-%' AND identifier NOT LIKE '2fa-attempts-%'")[0]["n"] == 0


def test_bearer_and_cookies_together_keep_the_challenge_cookie(server, tmp_path):
    """A client sending its cookies and `Authorization: Bearer` at once (issue 13): the bearer plugin
    puts its session cookie in place of session_token and keeps every other cookie, so the passkey
    challenge cookie still reaches verify-authentication."""
    for name in ("passkey", "bearer"):
        shutil.copy(built_library(name), tmp_path / f"{name}.so")
    srv = server({"pluginsDir": str(tmp_path)})
    c, authenticator, _ = registered(srv)
    bearer = {"Authorization": f"Bearer {c.session_cookie}"}
    device = srv.client()  # a device that signs in with its passkey while holding a bearer token
    device.cookies["unrelated"] = "kept"
    options = device.post("passkey/generate-authenticate-options", headers=bearer).json()
    assert srv.cookie_name("better-auth-passkey") in device.cookies, device.cookies
    assertion = authenticator.authenticate(options, srv.origin)
    r = device.post("passkey/verify-authentication", {"response": assertion}, headers=bearer)
    assert r.status_code == 200, r.text
    assert r.headers.get("set-auth-token"), r.headers
    assert device.session()["user"]["email"] == c.email
    # The same with one Cookie field per cookie (as HTTP/2 clients send them).
    options = device.post("passkey/generate-authenticate-options", headers=bearer).json()
    assertion = authenticator.authenticate(options, srv.origin)
    r = raw_post(srv, "passkey/verify-authentication", {"response": assertion},
                 [("Cookie", f"{k}={v}") for k, v in device.cookies.items()] + list(bearer.items()))
    assert r.status == 200, r.read()
    # The bearer token alone still identifies its own session, and replaces a stale session cookie.
    stale = srv.client()
    stale.cookies[srv.cookie_name()] = "stale.value"
    assert stale.get("get-session", headers=bearer).json()["session"]["token"] == c.token


def raw_post(srv, path, body, headers):
    """A POST whose header fields go out exactly as listed, repeated names included."""
    import http.client
    import json
    connection = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    payload = json.dumps(body).encode()
    connection.putrequest("POST", f"{srv.base_path}/{path}")
    for name, value in [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), ("Origin", srv.origin)] + headers:
        connection.putheader(name, value)
    connection.endheaders(payload)
    return connection.getresponse()
