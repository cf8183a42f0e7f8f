"""bearer plugin (contract §3.5) and the Swift example plugin, loaded from .so files built by swift build."""
import shutil
from pathlib import Path

import pytest

from conftest import gatehouse_bin


def built_library(name: str) -> Path:
    lib = gatehouse_bin().parent / f"lib{name}.so"
    if not lib.exists():
        pytest.skip(f"{lib} not built")
    return lib


@pytest.fixture
def bearer_server(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("bearer"), plugins / "bearer.so")
    shutil.copy(built_library("hello-swift"), plugins / "hello-swift.so")
    return server({"pluginsDir": str(plugins), "plugins": {"hello-swift": {"greeting": "Welcome"}}})


def anonymous(srv):
    return srv.client(origin=None)


def test_sign_in_exposes_the_signed_token(bearer_server):
    c = bearer_server.client()
    r = c.sign_up()
    assert r.status_code == 200, r.text
    token = r.headers.get("set-auth-token")
    assert token and token.startswith(r.json()["token"] + ".")
    assert "set-auth-token" in r.headers.get("access-control-expose-headers", "").lower()
    r = c.get("ok")
    assert "set-auth-token" not in r.headers                      # only answers that set a session


def test_bearer_token_works_where_the_cookie_works(bearer_server):
    signed = bearer_server.client().sign_up().headers["set-auth-token"]
    api = anonymous(bearer_server)
    r = api.get("get-session", headers={"Authorization": f"Bearer {signed}"})
    assert r.status_code == 200 and r.json()["session"]["token"] == signed.split(".")[0]
    r = api.get("hello-swift", headers={"Authorization": f"Bearer {signed}"})   # a Swift plugin route with auth: session
    assert r.status_code == 200 and r.json()["message"].startswith("Welcome, ")
    r = api.get("list-sessions", headers={"authorization": f"bearer {signed}"})  # scheme is case-insensitive
    assert r.status_code == 200 and len(r.json()) == 1
    r = api.post("sign-out", {}, headers={"Authorization": f"Bearer {signed}"})
    assert r.status_code == 200
    assert api.get("get-session", headers={"Authorization": f"Bearer {signed}"}).json() is None


def test_raw_and_url_encoded_tokens(bearer_server):
    signed = bearer_server.client().sign_up().headers["set-auth-token"]
    api = anonymous(bearer_server)
    raw = signed.split(".")[0]
    assert api.get("get-session", headers={"Authorization": f"Bearer {raw}"}).json() is not None
    encoded = signed.replace("=", "%3D").replace("+", "%2B").replace("/", "%2F")
    assert api.get("get-session", headers={"Authorization": f"Bearer {encoded}"}).json() is not None


def test_forged_tokens_are_ignored(bearer_server):
    signed = bearer_server.client().sign_up().headers["set-auth-token"]
    api = anonymous(bearer_server)
    raw = signed.split(".")[0]
    for bad in [raw + ".AAAA", raw + "." + "A" * 43 + "=", "x" * 32 + "." + signed.split(".")[1], "garbage"]:
        r = api.get("get-session", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 200 and r.json() is None, bad
    r = api.get("list-sessions", headers={"Authorization": f"Bearer {raw}.AAAA"})
    assert r.status_code == 401


def test_require_signature_refuses_raw_tokens(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("bearer"), plugins / "bearer.so")
    srv = server({"pluginsDir": str(plugins), "plugins": {"bearer": {"requireSignature": True}}})
    signed = srv.client().sign_up().headers["set-auth-token"]
    api = anonymous(srv)
    assert api.get("get-session", headers={"Authorization": f"Bearer {signed.split('.')[0]}"}).json() is None
    assert api.get("get-session", headers={"Authorization": f"Bearer {signed}"}).json() is not None
