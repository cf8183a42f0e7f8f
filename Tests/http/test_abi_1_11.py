"""ABI 1.11: an endpoint's `responseHeaders`, through a C plugin built from the header alone
(Tests/http/fixtures/route_headers_plugin.c). The host adds them to every answer of the route that
lacks them: the plugin's own and the pipeline's refusals (rate limit, body too large, media type,
malformed body, validation); an answer's own header wins; other routes get none; a plugin built
for 1.10 gets none."""
from pathlib import Path

import pytest
import requests

from conftest import build_c_plugin

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "route_headers_plugin.c"
DECLARED = {"content-security-policy": "default-src 'none'", "cache-control": "no-store", "x-frame-options": "DENY"}


def plugin_server(server_factory, directory: Path, name: str, minor: int | None = None, **config):
    build_c_plugin(FIXTURE, directory / "route-headers.so", minor)
    return server_factory({"pluginsDir": str(directory), "rateLimit": {"enabled": True}, **config}, name=name)


@pytest.fixture(scope="module")
def current(server_factory, tmp_path_factory):
    return plugin_server(server_factory, tmp_path_factory.mktemp("abi111") / "plugins.d", "abi111")


@pytest.fixture(scope="module")
def older(server_factory, tmp_path_factory):
    return plugin_server(server_factory, tmp_path_factory.mktemp("abi110") / "plugins.d", "abi110", minor=10)


def declared(r, *, except_for=()):
    got = {k: r.headers.get(k) for k in DECLARED if k not in except_for}
    assert got == {k: v for k, v in DECLARED.items() if k not in except_for}, (r.status_code, dict(r.headers))


def test_the_plugins_answers_carry_them_and_its_own_header_wins(current):
    r = requests.get(current.api + "/route-headers/page", headers={"X-Forwarded-For": "192.0.2.1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    declared(r, except_for=("cache-control",))
    assert r.headers["cache-control"] == "private"              # the answer's own
    r = requests.post(current.api + "/route-headers/form", data={"name": "x"}, headers={"Origin": current.origin})
    assert r.status_code == 200 and r.json() == {"posted": True}
    declared(r)


def test_the_hosts_refusals_on_the_route_carry_them(current):
    form = current.api + "/route-headers/form"
    origin = {"Origin": current.origin}
    r = requests.post(form, data={"name": "x" * (1024 * 1024 + 10)}, headers=origin)
    assert r.status_code == 413, r.text
    declared(r)
    r = requests.post(form, data=b"name=x", headers={**origin, "Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    declared(r)
    r = requests.post(form, data=b"{not json", headers={**origin, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"], r.text
    declared(r)
    r = requests.post(form, json={"name": 5}, headers=origin)
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR", r.text
    declared(r)
    statuses = []
    for _ in range(3):
        r = requests.get(current.api + "/route-headers/page", headers={"X-Forwarded-For": "192.0.2.77"})
        statuses.append(r.status_code)
    assert statuses == [200, 200, 429], statuses
    declared(r)
    assert r.headers["content-type"].startswith("application/json")    # the host's JSON error keeps its type


def test_other_routes_and_older_plugins_get_none(current, older):
    for r in (requests.get(current.api + "/route-headers/plain"), requests.get(current.api + "/ok"),
              requests.get(older.api + "/route-headers/page", headers={"X-Forwarded-For": "192.0.2.9"})):
        assert r.status_code == 200, r.text
        assert not {k for k in DECLARED if k in r.headers and r.headers[k] == DECLARED[k]}, dict(r.headers)


def test_a_disabled_route_looks_like_a_missing_one(server_factory, tmp_path):
    """A path answered 404 before routing gets none of the route's headers, so they do not tell a
    disabled route from one that does not exist."""
    srv = plugin_server(server_factory, tmp_path / "plugins.d", "abi111-disabled",
                        advanced={"disabledPaths": ["/route-headers/page"]})
    for path in ("/route-headers/page", "/route-headers/page/", "/route-headers//page"):
        r = requests.get(srv.api + path)
        assert r.status_code == 404, (path, r.text)
        assert not {k for k in DECLARED if k in r.headers}, (path, dict(r.headers))
    r = requests.post(srv.api + "/route-headers/form", data={"name": "x"}, headers={"Origin": srv.origin})
    assert r.status_code == 200
    declared(r)
