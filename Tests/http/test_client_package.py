"""GatehouseClient from a third-party package (issue 25): Tests/Fixtures/ClientApp depends on this
repository by path and uses the GatehouseClient product only. It must build without any of the
server's modules, and its binary must sign up against a real server with the bearer plugin and
resume the session from its FileTokenStore in a second process.
"""
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import unique_email
from test_bearer import built_library

pytestmark = [pytest.mark.sqlite_only, pytest.mark.serial]  # a swift build loads every core

FIXTURE = Path(__file__).resolve().parents[1] / "Fixtures" / "ClientApp"


@pytest.fixture(scope="module")
def client_app(tmp_path_factory) -> Path:
    scratch = tmp_path_factory.mktemp("client-app-build")
    swift = shutil.which("swift")
    if swift is None:
        pytest.fail("swift is not on PATH")
    build = subprocess.run([swift, "build", "--package-path", str(FIXTURE), "--scratch-path", str(scratch)],
                           capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    compiled = {p.parent.name for p in (scratch / "debug").glob("*.build/*.swift.o")}
    assert compiled == {"GatehouseClient.build", "ClientApp.build"}, compiled
    return scratch / "debug" / "ClientApp"


def run_app(app: Path, srv, email: str, password: str, token_file: Path) -> dict:
    r = subprocess.run([str(app), srv.url, email, password, str(token_file)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_a_third_party_app_signs_up_and_resumes(client_app, server, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(built_library("bearer"), plugins / "bearer.so")
    srv = server({"pluginsDir": str(plugins)})
    email, password, token_file = unique_email("client-app"), "Client-App-Passphrase-7731", tmp_path / "tokens.json"

    first = run_app(client_app, srv, email, password, token_file)
    assert first["resumed"] is False and first["sessions"] == 1 and "error" not in first
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    user = srv.query('SELECT id FROM "user" WHERE email = ?', email)[0]
    assert first["userId"] == user["id"]

    second = run_app(client_app, srv, email, password, token_file)
    assert second == {**first, "resumed": True}
    assert srv.query('SELECT COUNT(*) AS n FROM "session" WHERE "userId" = ?', user["id"])[0]["n"] == 1

    # Every session revoked from another device: the next run finds its own gone and signs in again.
    other = srv.client()
    assert other.sign_in(email, password).status_code == 200
    assert other.post("revoke-sessions", {}).status_code == 200
    third = run_app(client_app, srv, email, password, token_file)
    assert third["resumed"] is False and third["userId"] == user["id"] and third["sessions"] == 1
