"""Health, metrics, OpenAPI, /ok, /error, crash safety."""

import re
import sqlite3
import threading
import time

import pytest
import requests

from conftest import _LIVE_SERVERS, DEFAULT_PASSWORD, GatehouseServer, unique_email


def get(srv, path, **kw):
    s = requests.Session()
    s.trust_env = False
    return s.get(srv.url + path, allow_redirects=False, timeout=30, **kw)


def test_healthz(gatehouse):
    assert get(gatehouse, "/healthz").status_code == 200


def test_readyz(gatehouse):
    assert get(gatehouse, "/readyz").status_code == 200


def parse_metrics(text: str) -> tuple[dict, dict]:
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(None, 3)
            types[name] = typ.strip()
        elif line and not line.startswith("#"):
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)', line)
            assert m, f"not a Prometheus sample line: {line!r}"
            samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return types, samples


def request_counter_total(text: str) -> float:
    types, samples = parse_metrics(text)
    counters = [n for n, t in types.items() if t == "counter" and "request" in n]
    assert counters, f"no request counter in /metrics:\n{text[:2000]}"
    total = 0.0
    for key, v in samples.items():
        base = key.split("{")[0]
        if any(base == c or base == c + "_total" for c in counters):
            total += v
    return total


def test_metrics_prometheus_request_counter(gatehouse):
    # One counted request first, so the counter exists even when this test runs alone.
    assert get(gatehouse, "/api/auth/ok").status_code == 200
    r = get(gatehouse, "/metrics")
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers.get("Content-Type")
    before = request_counter_total(r.text)
    for _ in range(5):
        assert get(gatehouse, "/api/auth/ok").status_code == 200
    after = request_counter_total(get(gatehouse, "/metrics").text)
    assert after >= before + 5, (before, after)


def test_ok(gatehouse):
    r = get(gatehouse, "/api/auth/ok")
    assert r.status_code == 200
    assert r.json() == {"ok": True}
    assert r.headers.get("Content-Type", "").startswith("application/json")


def test_error_page_html(gatehouse):
    r = get(gatehouse, "/api/auth/error", params={"error": "state_mismatch"})
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/html")
    assert "state_mismatch" in r.text


def test_error_page_sanitises_code(gatehouse):
    evil = '<script>alert("x")</script>'
    r = get(gatehouse, "/api/auth/error", params={"error": evil, "error_description": "<img src=x onerror=alert(1)>"})
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/html")
    assert "<script>alert" not in r.text
    assert "<img src=x" not in r.text
    assert "UNKNOWN" in r.text


# ---------------------------------------------------------------- OpenAPI

ROUTES = [
    ("post", "/sign-up/email"), ("post", "/sign-in/email"), ("post", "/sign-out"),
    ("get", "/get-session"), ("get", "/list-sessions"), ("post", "/revoke-session"),
    ("post", "/revoke-sessions"), ("post", "/revoke-other-sessions"), ("post", "/update-session"),
    ("post", "/request-password-reset"), ("get", "/reset-password/{token}"), ("post", "/reset-password"),
    ("post", "/verify-password"), ("post", "/send-verification-email"), ("get", "/verify-email"),
    ("post", "/change-email"), ("post", "/change-password"), ("post", "/update-user"),
    ("post", "/delete-user"), ("get", "/delete-user/callback"), ("get", "/list-accounts"),
    ("post", "/unlink-account"), ("get", "/ok"), ("get", "/error"),
]


@pytest.fixture(scope="module")
def openapi_response(gatehouse):
    return get(gatehouse, "/api/auth/openapi.json")


@pytest.fixture
def openapi(openapi_response):
    r = openapi_response
    assert r.status_code == 200, f"GET /api/auth/openapi.json -> {r.status_code} {r.text[:300]}"
    return r.json()


def test_openapi_is_valid_3_1(openapi):
    from openapi_spec_validator import validate
    assert str(openapi.get("openapi", "")).startswith("3.1"), openapi.get("openapi")
    validate(openapi)


@pytest.mark.parametrize("method,path", ROUTES)
def test_openapi_lists_route(openapi, method, path):
    paths = openapi.get("paths", {})
    candidates = [path, "/api/auth" + path]
    found = [p for p in candidates if p in paths]
    assert found, f"{path} missing from OpenAPI paths ({sorted(paths)[:50]})"
    assert method in paths[found[0]], f"{method.upper()} {path} missing (has {list(paths[found[0]])})"


# ---------------------------------------------------------------- crash safety

def test_crash_safety_kill_9(smtp_sink, tmp_path):
    srv = GatehouseServer({}, smtp=smtp_sink, name="crash", workdir=tmp_path)
    srv.start()
    _LIVE_SERVERS.append(srv)
    ok_users: list[str] = []
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            email = unique_email("crash")
            try:
                r = srv.client().post("sign-up/email", {"email": email, "password": DEFAULT_PASSWORD, "name": "c"},
                                      timeout=10)
            except requests.RequestException:
                break
            if r.status_code == 200:
                ok_users.append(email)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while len(ok_users) < 8 and time.time() < deadline:
        time.sleep(0.05)
    try:
        srv.kill9()
        _LIVE_SERVERS.remove(srv)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    assert len(ok_users) >= 5, f"too few sign-ups before the crash: {len(ok_users)}"
    survivors = list(ok_users)

    again = GatehouseServer({}, smtp=smtp_sink, name="crash", workdir=tmp_path)
    again.start()
    _LIVE_SERVERS.append(again)
    try:
        if not again.on_postgres:  # SQLite's own check of the file; PostgreSQL replays its WAL by itself
            con = sqlite3.connect(f"file:{again.db_path}?mode=ro", uri=True, timeout=10)
            try:
                assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            finally:
                con.close()
        for email in survivors:
            c = again.client()
            r = c.sign_in(email, DEFAULT_PASSWORD)
            assert r.status_code == 200, (email, r.status_code, r.text)
        n = again.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"]
        assert n >= len(survivors)
    finally:
        again.stop()
        _LIVE_SERVERS.remove(again)


def test_sigterm_shuts_down_cleanly(smtp_sink, tmp_path):
    srv = GatehouseServer({}, smtp=smtp_sink, name="sigterm", workdir=tmp_path)
    srv.start()
    _LIVE_SERVERS.append(srv)
    try:
        assert srv.client().sign_up().status_code == 200
        t0 = time.time()
        srv.proc.send_signal(15)
        rc = srv.proc.wait(timeout=15)
        elapsed = time.time() - t0
        assert rc == 0, f"exit status {rc} after SIGTERM (negative = killed by signal)"
        assert elapsed < 5, f"shutdown took {elapsed:.1f}s"
        assert "crashed" not in srv.logs().lower()
    finally:
        srv.stop()
        _LIVE_SERVERS.remove(srv)
