"""siwe plugin (contract §7.3): eth-account signs real EIP-4361 messages built by the `siwe` package;
the server recovers the signer itself (libsecp256k1) and signs the wallet in."""
import re
import shutil
import urllib.parse
import warnings
from datetime import datetime, timedelta, timezone

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from conftest import assert_error, free_port
from test_bearer import built_library

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # abnf 2.8.3 warns about the grammar siwe loads
    from siwe import SiweMessage

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("siwe-plugins")
    shutil.copy(built_library("siwe"), plugins / "siwe.so")
    return plugins


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    # The domain is the server's own host:port, which the URI check compares with by default.
    port = free_port()
    return server_factory({"pluginsDir": str(plugins_dir), "server": {"port": port}, "baseURL": f"http://127.0.0.1:{port}",
                           "plugins": {"siwe": {"domain": f"127.0.0.1:{port}", "chainIds": [1, 10]}}}, name="siwe", port=port)


def iso(delta: timedelta = timedelta(0)) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message(srv, account, nonce, **fields) -> str:
    netloc = urllib.parse.urlsplit(srv.base_url).netloc
    values = {"domain": netloc, "address": account.address, "statement": "Sign in to Gatehouse.", "uri": srv.base_url,
              "version": "1", "chain_id": 1, "nonce": nonce, "issued_at": iso(), "expiration_time": iso(timedelta(minutes=10))}
    values.update(fields)
    return SiweMessage(**values).prepare_message()


def sign(account, text: str) -> str:
    return "0x" + bytes(account.sign_message(encode_defunct(text=text)).signature).hex()


def nonce(client) -> str:
    r = client.post("siwe/nonce")
    assert r.status_code == 200, r.text
    return r.json()["nonce"]


def verify(client, text, signature, **extra):
    return client.post("siwe/verify", {"message": text, "signature": signature, **extra})


def test_a_wallet_signs_in_and_comes_back_as_the_same_user(srv):
    account = Account.create()
    c = srv.client()
    n = nonce(c)
    assert re.fullmatch(r"[A-Za-z0-9]{8,}", n)
    text = message(srv, account, n)
    r = verify(c, text, sign(account, text))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["token"] == c.token
    assert body["user"]["walletAddress"] == account.address and body["user"]["chainId"] == 1
    me = c.session()["user"]
    host = urllib.parse.urlsplit(srv.base_url).hostname
    assert me["id"] == body["user"]["id"] and me["name"] == account.address and me["email"] == f"{account.address.lower()}@{host}"
    wallet = srv.query('SELECT * FROM "walletAddress" WHERE "userId" = ?', me["id"])
    assert [(w["address"], w["chainId"], bool(w["isPrimary"])) for w in wallet] == [(account.address, 1, True)]
    accounts = srv.query('SELECT "providerId", "accountId", issuer FROM account WHERE "userId" = ?', me["id"])
    assert accounts == [{"providerId": "siwe", "accountId": f"{account.address}:1", "issuer": "local:siwe"}]

    # Again, from another browser, with v as 0/1 and through the get-nonce alias.
    d = srv.client()
    text = message(srv, account, d.post("siwe/get-nonce").json()["nonce"])
    signature = sign(account, text)
    v = int(signature[-2:], 16) - 27
    r = verify(d, text, signature[:-2] + f"{v:02x}")
    assert r.status_code == 200 and r.json()["user"]["id"] == me["id"], r.text
    assert d.session()["user"]["id"] == me["id"]


def test_a_nonce_works_once(srv):
    account = Account.create()
    c = srv.client()
    text = message(srv, account, nonce(c))
    signature = sign(account, text)
    assert verify(c, text, signature).status_code == 200
    r = verify(srv.client(), text, signature)
    assert_error(r, 401, "UNAUTHORIZED_INVALID_OR_EXPIRED_NONCE")
    text = message(srv, account, "neverissued123")
    assert_error(verify(srv.client(), text, sign(account, text)), 401, "UNAUTHORIZED_INVALID_OR_EXPIRED_NONCE")


@pytest.mark.parametrize("fields,code", [
    ({"domain": "evil.example"}, "UNAUTHORIZED_SIWE_MESSAGE_MISMATCH"),
    ({"uri": "https://evil.example/login"}, "UNAUTHORIZED_SIWE_MESSAGE_MISMATCH"),
    ({"chain_id": 5}, "UNAUTHORIZED_SIWE_MESSAGE_MISMATCH"),
    ({"expiration_time": "2020-01-01T00:00:00.000Z", "issued_at": "2019-12-31T00:00:00.000Z"}, "UNAUTHORIZED_SIWE_MESSAGE_EXPIRED"),
    ({"not_before": iso(timedelta(hours=1))}, "UNAUTHORIZED_SIWE_MESSAGE_NOT_YET_VALID"),
])
def test_messages_for_somewhere_or_sometime_else(srv, fields, code):
    account = Account.create()
    c = srv.client()
    text = message(srv, account, nonce(c), **fields)
    r = verify(c, text, sign(account, text))
    assert_error(r, 401, code)
    assert c.get_session().json() is None


def test_a_uri_on_the_server_itself_is_allowed_with_another_domain(server, plugins_dir):
    port = free_port()
    srv = server({"pluginsDir": str(plugins_dir), "server": {"port": port}, "baseURL": f"http://127.0.0.1:{port}",
                  "plugins": {"siwe": {"domain": "app.example"}}}, port=port)
    account = Account.create()
    text = message(srv, account, nonce(srv.client()), domain="app.example", uri=f"http://127.0.0.1:{port}/login")
    assert verify(srv.client(), text, sign(account, text)).status_code == 200
    text = message(srv, account, nonce(srv.client()), domain="app.example", uri="https://app.example/login")
    assert verify(srv.client(), text, sign(account, text)).status_code == 200
    text = message(srv, account, nonce(srv.client()), domain="app.example", uri="https://elsewhere.example/login")
    assert_error(verify(srv.client(), text, sign(account, text)), 401, "UNAUTHORIZED_SIWE_MESSAGE_MISMATCH")


def test_a_second_allowed_chain_is_another_wallet_of_its_own(srv):
    account = Account.create()
    text = message(srv, account, nonce(srv.client()), chain_id=10)
    r = verify(srv.client(), text, sign(account, text))
    assert r.status_code == 200 and r.json()["user"]["chainId"] == 10, r.text


def test_signatures_by_another_key_or_malformed(srv):
    account, other = Account.create(), Account.create()
    c = srv.client()
    text = message(srv, account, nonce(c))
    assert "another address" in assert_error(verify(c, text, sign(other, text)), 401, "INVALID_SIWE_SIGNATURE")["message"]

    good = sign(account, text)
    r_hex, s_int, v = good[2:66], int(good[66:130], 16), int(good[130:], 16)
    high_s = "0x" + r_hex + f"{N - s_int:064x}" + f"{((v - 27) ^ 1) + 27:02x}"
    for bad in [good[:-2], good + "00", good[:-2] + "1d", high_s, "0x" + "zz" * 65, good[2:]]:
        text = message(srv, account, nonce(c))
        assert_error(verify(c, text, bad), 401, "INVALID_SIWE_SIGNATURE")
    assert c.get_session().json() is None


@pytest.mark.parametrize("mangle", [
    lambda t: t.replace("Version: 1", "Version: 2"),
    lambda t: t.replace("\n", "\r\n"),
    lambda t: t + "\n",
    lambda t: t.replace("wants you to sign in", "would like you to sign in"),
    lambda t: "not a siwe message",
])
def test_malformed_messages(srv, mangle):
    account = Account.create()
    c = srv.client()
    text = mangle(message(srv, account, nonce(c)))
    assert_error(verify(c, text, sign(account, text)), 400, "INVALID_SIWE_MESSAGE")
    assert_error(c.post("siwe/verify", {"message": text}), 400, "VALIDATION_ERROR")


def test_email_and_anonymous_setting(server, plugins_dir):
    port = free_port()
    srv = server({"pluginsDir": str(plugins_dir), "server": {"port": port}, "baseURL": f"http://127.0.0.1:{port}",
                  "plugins": {"siwe": {"domain": f"127.0.0.1:{port}", "anonymous": False, "emailDomainName": "wallets.example"}}},
                 port=port)
    account = Account.create()
    c = srv.client()
    text = message(srv, account, nonce(c))
    assert_error(verify(c, text, sign(account, text)), 400, "EMAIL_REQUIRED")
    text = message(srv, account, nonce(c))
    r = verify(c, text, sign(account, text), email="Wallet.Owner@Example.com")
    assert r.status_code == 200, r.text
    assert c.session()["user"]["email"] == "wallet.owner@example.com"


def test_the_domain_defaults_to_the_base_url_and_must_be_text(server, plugins_dir):
    port = free_port()
    srv = server({"pluginsDir": str(plugins_dir), "server": {"port": port}, "baseURL": f"http://127.0.0.1:{port}"}, port=port)
    account = Account.create()
    c = srv.client()
    text = message(srv, account, nonce(c))
    assert verify(c, text, sign(account, text)).status_code == 200
    bad = server({"pluginsDir": str(plugins_dir), "plugins": {"siwe": {"domain": 42}}})
    assert "plugins.siwe.domain must be the host users sign in to" in bad.logs()
    assert bad.client().post("siwe/nonce").status_code == 404
