"""jwt plugin (contract §7.8): tokens verified by real JOSE libraries through the JWKS endpoint."""
import json
import shutil
import time

import jwt as pyjwt
import pytest
import requests
import yaml
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from test_bearer import built_library


def jwt_server(server, tmp_path, settings=None):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("jwt"), plugins / "jwt.so")
    return server({"pluginsDir": str(plugins), "plugins": {"jwt": settings or {}}})


@pytest.mark.parametrize("alg", ["EdDSA", "RS256", "ES256"])
def test_tokens_verify_with_pyjwt_and_joserfc(server, tmp_path, alg):
    srv = jwt_server(server, tmp_path, {"jwks": {"keyPairConfig": {"alg": alg}}})
    c = srv.client()
    user = c.sign_up().json()["user"]
    r = c.get("token")
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == alg and header["kid"]

    signing_key = pyjwt.PyJWKClient(srv.api + "/jwks").get_signing_key_from_jwt(token)
    claims = pyjwt.decode(token, signing_key.key, algorithms=[alg], audience=srv.base_url, issuer=srv.base_url)
    assert claims["sub"] == user["id"] and claims["email"] == user["email"]
    assert 890 <= claims["exp"] - claims["iat"] <= 900

    keys = KeySet.import_key_set(requests.get(srv.api + "/jwks").json())
    decoded = jose_jwt.decode(token, keys, algorithms=[alg])
    assert decoded.claims["sub"] == user["id"]

    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(tampered, signing_key.key, algorithms=[alg], audience=srv.base_url)


def test_get_session_carries_set_auth_jwt_and_token_needs_a_session(server, tmp_path):
    srv = jwt_server(server, tmp_path)
    c = srv.client()
    c.sign_up()
    r = c.get("get-session")
    token = r.headers.get("set-auth-jwt")
    assert token and "set-auth-jwt" in r.headers.get("access-control-expose-headers", "")
    key = pyjwt.PyJWKClient(srv.api + "/jwks").get_signing_key_from_jwt(token)
    assert pyjwt.decode(token, key.key, algorithms=["EdDSA"], audience=srv.base_url)["sub"] == r.json()["user"]["id"]
    anonymous = srv.client()
    assert anonymous.get("token").status_code == 401
    assert "set-auth-jwt" not in anonymous.get("get-session").headers


def test_private_keys_are_encrypted_at_rest(server, tmp_path):
    srv = jwt_server(server, tmp_path)
    c = srv.client()
    c.sign_up()
    c.get("token")
    rows = srv.query('SELECT "publicKey", "privateKey", alg, crv FROM jwks')
    assert len(rows) == 1 and rows[0]["alg"] == "EdDSA" and rows[0]["crv"] == "Ed25519"
    assert json.loads(rows[0]["publicKey"])["kty"] == "OKP"
    private = rows[0]["privateKey"]
    assert all(ch in "0123456789abcdef" for ch in private) and '"d"' not in private


def test_rotation_and_grace_period(server, tmp_path):
    srv = jwt_server(server, tmp_path, {"jwks": {"rotationInterval": 1, "gracePeriod": 2}})
    c = srv.client()
    c.sign_up()
    first = pyjwt.get_unverified_header(c.get("token").json()["token"])["kid"]
    time.sleep(1.2)
    second_token = c.get("token").json()["token"]
    second = pyjwt.get_unverified_header(second_token)["kid"]
    assert second != first
    kids = [k["kid"] for k in requests.get(srv.api + "/jwks").json()["keys"]]
    assert first in kids and second in kids                     # the old key is still published
    time.sleep(2.5)
    kids = [k["kid"] for k in requests.get(srv.api + "/jwks").json()["keys"]]
    assert first not in kids                                    # grace over


def test_invalid_algorithm_setting_skips_the_plugin(server, tmp_path):
    srv = jwt_server(server, tmp_path, {"jwks": {"keyPairConfig": {"alg": "HS256"}}})
    assert srv.client().get("jwks").status_code == 404
    assert "keyPairConfig.alg must be EdDSA, ES256 or RS256" in srv.logs()


def unverified_claims(response):
    return pyjwt.decode(response.headers["set-auth-jwt"], options={"verify_signature": False})


def test_get_session_reuses_its_jwt_until_the_user_changes(server, tmp_path):
    """Issue 24: get-session hands out the same JWT while its answer stays the same (ABI 1.9
    reuseFor), so it signs once, not per request; update-user is a new answer, hence a new token."""
    srv = jwt_server(server, tmp_path)
    c = srv.client()
    c.sign_up(name="Before")
    first = c.get("get-session")
    time.sleep(1.1)                                   # a token signed now would have a later iat
    again = c.get("get-session")
    assert again.headers["set-auth-jwt"] == first.headers["set-auth-jwt"]
    assert c.post("update-user", json={"name": "After"}).status_code == 200
    renamed = c.get("get-session")
    assert unverified_claims(renamed)["name"] == "After"
    assert unverified_claims(renamed)["iat"] > unverified_claims(first)["iat"]


def test_a_revoked_session_gets_no_jwt(server, tmp_path):
    srv = jwt_server(server, tmp_path)
    c = srv.client()
    c.sign_up()
    cookie = c.cookie_header()                       # the same session, kept by another client
    assert c.get("get-session").headers.get("set-auth-jwt")
    assert c.post("sign-out", json={}).status_code == 200
    r = srv.client().get("get-session", cookies=cookie)
    assert r.json() is None and "set-auth-jwt" not in r.headers


def test_a_plugin_reload_ends_the_reuse(server, tmp_path):
    srv = jwt_server(server, tmp_path)
    c = srv.client()
    c.sign_up()
    assert unverified_claims(c.get("get-session"))["iss"] == srv.base_url
    config = yaml.safe_load(srv.config_path.read_text())
    config["plugins"]["jwt"] = {"jwt": {"issuer": "https://issuer.example"}}
    srv.config_path.write_text(yaml.safe_dump(config))
    deadline = time.time() + 5
    while time.time() < deadline and unverified_claims(c.get("get-session"))["iss"] != "https://issuer.example":
        time.sleep(0.05)
    assert unverified_claims(c.get("get-session"))["iss"] == "https://issuer.example"
