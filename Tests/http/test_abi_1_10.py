"""ABI 1.10 (issue 26's host needs), through a C plugin built from the header alone
(Tests/http/fixtures/plugin_directory_plugin.c) and the host-probe plugin: a route whose path ends
in `/`, a cookie with its own path and SameSite, the plugins directory for a plugin that declares
`managesPlugins` (and only for it), `passwords.verifySignIn {email, password}` and
`sessions.create {signIn: true}`. A plugin built for 1.9 gets none of the first three."""
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import DEFAULT_PASSWORD, REPO_ROOT, assert_error, build_c_plugin, unique_email, wait_until
from test_bearer import built_library
from test_host_api import probe_server

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "plugin_directory_plugin.c"


def build(directory: Path, name: str = "dir-fixture", minor: int | None = None) -> Path:
    return build_c_plugin(FIXTURE, directory / f"{name}.so", minor)


@pytest.fixture(scope="module")
def current(server_factory, tmp_path_factory):
    plugins = build(tmp_path_factory.mktemp("abi110") / "plugins.d")
    (plugins / "available").mkdir()
    build(plugins / "available", name="spare")
    shutil.copy(built_library("jwt"), plugins / "available" / "jwt.so")
    return server_factory({"pluginsDir": str(plugins)}, name="abi110")


@pytest.fixture(scope="module")
def older(server_factory, tmp_path_factory):
    return server_factory({"pluginsDir": str(build(tmp_path_factory.mktemp("abi19"), minor=9))}, name="abi19")


def call(srv, op, request=None):
    r = requests.post(srv.api + "/dir-fixture/call", json={"op": op, "request": request or {}})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_path_ending_in_a_slash_is_served_as_declared(current, older):
    r = requests.get(current.api + "/dir-fixture/")
    assert r.status_code == 200 and r.json() == {"trailingSlash": True}
    assert requests.get(current.api + "/dir-fixture/cookie/").status_code == 404   # only declared ones
    assert requests.get(current.api + "/get-session/").status_code == 404
    assert requests.get(older.api + "/dir-fixture/").status_code == 404            # a 1.9 plugin's never was


def test_a_cookie_keeps_to_its_path_and_same_site(current, older):
    r = requests.get(current.api + "/dir-fixture/cookie")
    assert r.status_code == 200
    assert r.headers["set-cookie"] == "better-auth.scoped=v1; Max-Age=60; Path=/api/auth/dir-fixture; HttpOnly; SameSite=Strict"
    old = requests.get(older.api + "/dir-fixture/cookie")
    assert old.headers["set-cookie"] == "better-auth.scoped=v1; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"


def test_a_cookie_path_that_would_add_an_attribute_is_a_plugin_error(current):
    r = requests.get(current.api + "/dir-fixture/bad-cookie")
    assert_error(r, 500, "PLUGIN_ERROR")
    assert "evil" not in r.headers.get("set-cookie", "")


def test_plugins_list_shows_enabled_and_available_libraries(current):
    plugins_dir = Path(current.config["pluginsDir"])
    listing = call(current, "plugins.list")
    assert listing["hostStatus"] == 0, listing
    rows = {row["id"]: row for row in listing["answer"]["plugins"]}
    assert list(rows) == ["dir-fixture", "jwt", "spare"]
    mine = rows["dir-fixture"]
    assert mine["enabled"] is True and mine["available"] is False and mine["status"] == "loaded"
    assert mine["version"] == "1.0.0" and mine["trust"] == "trusted"
    assert mine["sha256"] == hashlib.sha256((plugins_dir / "dir-fixture.so").read_bytes()).hexdigest()
    assert mine["lastReload"] == listing["answer"]["lastReload"]
    spare = rows["spare"]
    assert spare["enabled"] is False and spare["available"] is True and spare["status"] is None and spare["lastReload"] is None
    assert spare["sha256"] == hashlib.sha256((plugins_dir / "available" / "spare.so").read_bytes()).hexdigest()
    assert spare["trust"] == "trusted"


def test_plugins_enable_and_disable_go_live_by_hot_reload(current):
    assert requests.get(current.api + "/jwks").status_code == 404
    assert call(current, "plugins.enable", {"id": "jwt"})["answer"] == {"status": True}
    wait_until(lambda: requests.get(current.api + "/jwks").status_code == 200, timeout=5)
    row = next(r for r in call(current, "plugins.list")["answer"]["plugins"] if r["id"] == "jwt")
    assert row["enabled"] is True and row["available"] is True
    wait_until(lambda: next(r for r in call(current, "plugins.list")["answer"]["plugins"] if r["id"] == "jwt")["status"] == "loaded")
    assert call(current, "plugins.disable", {"id": "jwt"})["answer"] == {"status": True}
    wait_until(lambda: requests.get(current.api + "/jwks").status_code == 404, timeout=5)
    assert (Path(current.config["pluginsDir"]) / "available" / "jwt.so").exists()


def test_unknown_plugins_are_not_found(current):
    for op, id in (("plugins.enable", "nonexistent"), ("plugins.disable", "nonexistent"), ("plugins.enable", "../available/jwt"),
                   ("plugins.enable", "dir-fixture")):   # enabled but not on the shelf: nothing to copy
        refused = call(current, op, {"id": id})
        assert refused["hostStatus"] == 2 and refused["error"]["code"] == "PLUGIN_NOT_FOUND", (op, id, refused)
    refused = call(current, "plugins.enable", {})
    assert refused["hostStatus"] == 3 and refused["error"]["code"] == "MISSING_FIELD"


def test_only_a_plugin_that_declares_it_manages_plugins(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(REPO_ROOT / "PluginAPI" / "include"), "-DMANAGES=0",
                    "-o", str(plugins / "dir-fixture.so"), str(FIXTURE)], check=True)
    srv = server({"pluginsDir": str(plugins)})
    for op in ("plugins.list", "plugins.disable"):
        refused = call(srv, op, {"id": "dir-fixture"})
        assert refused["hostStatus"] == 4 and refused["error"]["code"] == "PLUGINS_NOT_MANAGED", refused
    assert (plugins / "dir-fixture.so").exists()


@pytest.fixture
def probe(server, tmp_path):
    return probe_server(server, tmp_path, beside=("admin",))


def events_named(probe, name):
    return [e["payload"] for e in probe("recordedEvents")["answer"] if e["name"] == name]


def test_verify_sign_in_by_email_is_the_core_check_without_a_session(probe):
    user = probe.server.client().new_user()
    sessions = 'SELECT count(*) AS n FROM "session" WHERE "userId" = ?'
    before = probe.server.query(sessions, user.user["id"])[0]["n"]
    ok = probe("passwords.verifySignIn", {"email": user.email.upper(), "password": DEFAULT_PASSWORD})
    assert ok == {"ok": True, "answer": {"verified": True, "userId": user.user["id"]}}
    assert probe.server.query(sessions, user.user["id"])[0]["n"] == before
    assert probe("passwords.verifySignIn", {"email": user.email, "password": "wrong-password-1"})["answer"] == {"verified": False}
    unknown = unique_email("nobody")
    assert probe("passwords.verifySignIn", {"email": unknown, "password": DEFAULT_PASSWORD})["answer"] == {"verified": False}
    wait_until(lambda: len(events_named(probe, "signIn.failed")) >= 2)
    failed = events_named(probe, "signIn.failed")
    assert {(f["email"], f["userId"]) for f in failed} >= {(user.email, user.user["id"]), (unknown, None)}
    refused = probe("passwords.verifySignIn", {"email": "not-an-address", "password": DEFAULT_PASSWORD})
    assert refused["ok"] is False and refused["code"] == "INVALID_EMAIL"


def test_verify_sign_in_by_email_counts_towards_the_lockout(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("host-probe"), plugins / "host-probe.so")
    srv = server({"pluginsDir": str(plugins), "emailAndPassword": {"lockout": {"maxFailures": 2, "windowSeconds": 60, "lockSeconds": 30}}})
    user = srv.client().new_user()

    def verify(password):
        r = srv.client().post("host-probe", {"op": "passwords.verifySignIn", "request": {"email": user.email, "password": password}})
        return r.json()["answer"]["verified"]
    assert verify("wrong-password-1") is False and verify("wrong-password-2") is False
    assert verify(DEFAULT_PASSWORD) is False                     # locked: even the right password
    assert srv.client().sign_in(user.email, DEFAULT_PASSWORD).status_code == 401   # the core shares the count


def test_a_session_made_as_a_sign_in_is_announced(probe):
    user = probe.server.client().new_user()
    plain = probe("sessions.create", {"userId": user.user["id"]})["answer"]["session"]
    signed = probe("sessions.create", {"userId": user.user["id"], "signIn": True})["answer"]["session"]
    wait_until(lambda: any(e["sessionId"] == signed["id"] for e in events_named(probe, "signIn.succeeded")))
    assert not any(e["sessionId"] == plain["id"] for e in events_named(probe, "signIn.succeeded"))
    admin = probe.server.client().new_user()
    probe.server.execute('UPDATE "user" SET role = ? WHERE id = ?', "admin", admin.user["id"])
    assert admin.post("admin/ban-user", {"userId": user.user["id"]}).status_code == 200
    refused = probe("sessions.create", {"userId": user.user["id"], "signIn": True})
    assert refused["ok"] is False and refused["code"] == "BANNED_USER", refused
