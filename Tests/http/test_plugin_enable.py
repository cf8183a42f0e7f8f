"""Available and enabled (issue 15): <pluginsDir>/available/<id>.so is built and ready, <pluginsDir>/<id>.so
is enabled. `gatehouse plugins enable` / `disable` move libraries between the two while the server runs;
its hot reload adds and removes the routes without failing a request."""
import hashlib
import os
import threading
import time

import pytest
import requests

from conftest import wait_until
from test_plugin_trust import build, gatehouse, keygen, route, sign, skipped


@pytest.fixture
def plugins(tmp_path):
    os.umask(0o022)
    d = tmp_path / "plugins.d"
    (d / "available").mkdir(parents=True)
    marker = tmp_path / "constructors-ran"
    for id in ("alpha", "beta"):
        build(d / "available", id, marker)
    return d


def enable(srv, *ids):
    return gatehouse("plugins", "enable", "--config", srv.config_path, *ids, cwd=srv.tmp)


def disable(srv, *ids):
    return gatehouse("plugins", "disable", "--config", srv.config_path, *ids, cwd=srv.tmp)


def test_enable_and_disable_with_a_running_server_fail_no_request(server, plugins):
    srv = server({"pluginsDir": str(plugins)})
    assert route(srv, "alpha").status_code == 404        # available is not enabled: the loader never looks there

    failures, served, stop = [], [0], threading.Event()

    def keep_calling():
        session = requests.Session()
        deadline = time.time() + 30
        while not stop.is_set() and time.time() < deadline:
            try:
                r = session.get(srv.api + "/ok", timeout=5)
                if r.status_code != 200 or r.json() != {"ok": True}:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                served[0] += 1
            except requests.RequestException as e:
                failures.append(repr(e))

    caller = threading.Thread(target=keep_calling)
    caller.start()
    try:
        r = enable(srv, "alpha")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == f"enabled alpha: {plugins}/alpha.so"
        assert (plugins / "alpha.so").read_bytes() == (plugins / "available" / "alpha.so").read_bytes()
        assert oct((plugins / "alpha.so").stat().st_mode & 0o777) == "0o644"
        assert wait_until(lambda: route(srv, "alpha").status_code == 200)
        assert route(srv, "alpha").json() == {"plugin": "alpha", "version": "1"}

        r = disable(srv, "alpha")
        assert r.returncode == 0, r.stderr
        assert not (plugins / "alpha.so").exists()
        assert (plugins / "available" / "alpha.so").exists()
        assert wait_until(lambda: route(srv, "alpha").status_code == 404)
    finally:
        stop.set()
        caller.join()
    assert served[0] > 10
    assert not failures, failures[:5]
    assert skipped(srv) == []


def test_unknown_ids_fail_and_change_nothing(server, plugins):
    srv = server({"pluginsDir": str(plugins)})
    r = enable(srv, "alpha", "nonexistent")
    assert r.returncode != 0
    assert f"no such plugin in {plugins}/available: nonexistent (available: alpha, beta)" in r.stderr
    assert not (plugins / "alpha.so").exists()
    r = enable(srv, "../available/alpha")
    assert r.returncode != 0 and "no such plugin" in r.stderr
    r = disable(srv, "nonexistent")
    assert r.returncode != 0 and "no such plugin" in r.stderr
    r = disable(srv, "beta")                             # available but not enabled: nothing to do
    assert r.returncode == 0, r.stderr
    assert route(srv, "alpha").status_code == 404


def test_list_shows_available_and_enabled_libraries(server, plugins):
    srv = server({"pluginsDir": str(plugins)})
    assert enable(srv, "beta").returncode == 0
    r = gatehouse("plugins", "list", "--config", srv.config_path, cwd=srv.tmp)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split("\t")[:5] == ["beta", "1", "ABI 1.0", "loaded", f"{plugins}/beta.so"]
    assert lines[1] == "\tGET /beta"
    assert lines[lines.index(f"Available in {plugins}/available:") + 1:] == [
        "alpha\tnot enabled\t" + sha(plugins / "available" / "alpha.so"),
        "beta\tenabled\t" + sha(plugins / "available" / "beta.so"),
    ]
    assert wait_until(lambda: route(srv, "beta").status_code == 200)


def test_enable_copies_the_signature_a_trusted_server_needs(server, plugins, tmp_path):
    key, public = keygen(tmp_path, "plugin-signing.key")
    sign(plugins / "available" / "alpha.so", key)
    srv = server({"pluginsDir": str(plugins), "pluginTrust": {"publicKeys": [public]}})
    assert enable(srv, "alpha", "beta").returncode == 0
    assert (plugins / "alpha.so.sig").read_text() == (plugins / "available" / "alpha.so.sig").read_text()
    assert wait_until(lambda: route(srv, "alpha").status_code == 200)
    assert wait_until(lambda: any(line["path"] == f"{plugins}/beta.so" for line in skipped(srv)))   # beta is unsigned
    assert route(srv, "beta").status_code == 404
    assert disable(srv, "alpha").returncode == 0
    assert not (plugins / "alpha.so.sig").exists()
    assert wait_until(lambda: route(srv, "alpha").status_code == 404)


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()
