"""Rate limiting (contract §7.10)."""

import time
import uuid

import pytest

from conftest import unique_email

TOO_MANY = {"message": "Too many requests. Please try again later."}
IP_HEADER = "X-Client-IP"


def ip() -> str:
    """A unique IPv4 per test so buckets never collide on the shared rate-limited server."""
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{(n >> 8) % 250 + 1}.{(n >> 16) % 250 + 1}"


def assert_429(r, max_retry: int):
    assert r.status_code == 429, f"expected 429, got {r.status_code}: {r.text[:300]}"
    assert r.json() == TOO_MANY
    retry = r.headers.get("X-Retry-After")
    assert retry is not None, dict(r.headers)
    assert 0 <= int(retry) <= max_retry, retry


@pytest.fixture(scope="module")
def limited(server_factory):
    return server_factory({
        "rateLimit": {
            "enabled": True,
            "customRules": {
                "/get-session": {"window": 10, "max": 2},
                "/sign-up/email": False,
                "/ok": {"window": 2, "max": 1},
            },
        },
        "advanced": {"ipAddress": {"ipAddressHeaders": [IP_HEADER.lower()]}},
    }, name="ratelimit")


def test_sign_in_fourth_attempt_is_429(limited):
    c = limited.client()
    h = {IP_HEADER: ip()}
    for i in range(3):
        r = c.post("sign-in/email", {"email": unique_email(), "password": "wrong-password"}, headers=h)
        assert r.status_code == 401, (i, r.status_code, r.text)
    r = c.post("sign-in/email", {"email": unique_email(), "password": "wrong-password"}, headers=h)
    assert_429(r, 10)
    # another path from the same IP is unaffected
    assert c.get("list-accounts", headers=h).status_code == 401


def test_buckets_are_per_ip(limited):
    c = limited.client()
    a, b = {IP_HEADER: ip()}, {IP_HEADER: ip()}
    for _ in range(3):
        c.post("sign-in/email", {"email": unique_email(), "password": "wrong-password"}, headers=a)
    assert_429(c.post("sign-in/email", {"email": unique_email(), "password": "x" * 8}, headers=a), 10)
    r = c.post("sign-in/email", {"email": unique_email(), "password": "x" * 8}, headers=b)
    assert r.status_code == 401, r.text


def test_default_rule_100_per_10s(limited):
    c = limited.client()
    h = {IP_HEADER: ip()}
    codes = [c.get("list-accounts", headers=h).status_code for _ in range(100)]
    assert set(codes) == {401}, codes
    assert_429(c.get("list-accounts", headers=h), 10)


def test_custom_rule_overrides(limited):
    c = limited.client()
    h = {IP_HEADER: ip()}
    assert c.get("get-session", headers=h).status_code == 200
    assert c.get("get-session", headers=h).status_code == 200
    assert_429(c.get("get-session", headers=h), 10)


def test_custom_rule_false_disables(limited):
    c = limited.client()
    h = {IP_HEADER: ip()}
    for i in range(6):
        r = c.post("sign-up/email", {"email": unique_email("rl"), "password": "pw-12345678", "name": "r"}, headers=h)
        assert r.status_code == 200, (i, r.status_code, r.text)


def test_window_resets(limited):
    c = limited.client()
    h = {IP_HEADER: ip()}
    assert c.get("ok", headers=h).status_code == 200
    assert_429(c.get("ok", headers=h), 2)
    time.sleep(2.3)
    assert c.get("ok", headers=h).status_code == 200


def test_password_reset_rule_3_per_60s(limited):
    c = limited.client()
    h = {IP_HEADER: ip()}
    for _ in range(3):
        assert c.post("request-password-reset", {"email": unique_email()}, headers=h).status_code == 200
    assert_429(c.post("request-password-reset", {"email": unique_email()}, headers=h), 60)


def test_rate_limit_off_by_default_in_development(gatehouse):
    c = gatehouse.client()
    codes = [c.post("sign-in/email", {"email": unique_email(), "password": "wrong-password"}).status_code
             for _ in range(6)]
    assert codes == [401] * 6


def test_rate_limit_database_storage(server_factory):
    srv = server_factory({"rateLimit": {"enabled": True, "storage": "database"},
                          "advanced": {"ipAddress": {"ipAddressHeaders": [IP_HEADER.lower()]}}}, name="rl-db")
    c = srv.client()
    addr = ip()
    h = {IP_HEADER: addr}
    t0 = time.time() * 1000
    for _ in range(3):
        assert c.post("sign-in/email", {"email": unique_email(), "password": "wrong-pass"}, headers=h).status_code == 401
    assert_429(c.post("sign-in/email", {"email": unique_email(), "password": "wrong-pass"}, headers=h), 10)
    rows = srv.query('SELECT * FROM "rateLimit"')
    mine = [r for r in rows if r["key"].endswith("/sign-in/email") and addr in r["key"]]
    assert len(mine) == 1, rows
    row = mine[0]
    assert row["key"] == f"{addr}|/sign-in/email"
    assert int(row["count"]) == 3
    assert abs(int(row["lastRequest"]) - t0) < 15000, row  # epoch milliseconds


def test_rate_limit_on_by_default_in_production(server_factory):
    srv = server_factory({"mode": "production"}, name="production")
    c = srv.client()
    codes = [c.post("sign-in/email", {"email": unique_email(), "password": "wrong-password"}).status_code
             for _ in range(4)]
    assert codes[:3] == [401] * 3
    assert codes[3] == 429
