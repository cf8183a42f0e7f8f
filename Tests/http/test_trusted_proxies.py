"""Trusted proxies (issue 23): whose X-Forwarded-For names the client, for rate limits and
session rows alike. The test servers' TCP peer is always 127.0.0.1, so trusting it or not decides."""
import subprocess
import uuid

import pytest

from conftest import gatehouse_bin, unique_email

LIMITED = {"rateLimit": {"enabled": True, "window": 60, "max": 100}}


def forged() -> str:
    n = uuid.uuid4().int
    return f"203.0.{n % 250 + 1}.{(n >> 8) % 250 + 1}"


def wrong_sign_ins(srv, headers: dict, times: int) -> list[int]:
    """Failed sign-ins (Better Auth's /sign-in rule: 3 per 10 seconds per client)."""
    c = srv.client()
    return [c.post("sign-in/email", {"email": unique_email(), "password": "wrong-password"}, headers=headers).status_code
            for _ in range(times)]


def test_forwarded_addresses_from_an_untrusted_peer_share_the_peers_bucket(server_factory):
    srv = server_factory({**LIMITED, "advanced": {"ipAddress": {"trustedProxies": ["10.0.0.0/8", "2001:db8::/32"]}}},
                         name="untrusted-peer")
    codes = [wrong_sign_ins(srv, {"X-Forwarded-For": forged()}, 1)[0] for _ in range(4)]
    assert codes == [401, 401, 401, 429], codes       # four "clients" are one: the peer


def test_a_trusted_proxy_names_the_client(server_factory):
    srv = server_factory({**LIMITED, "advanced": {"ipAddress": {"trustedProxies": ["127.0.0.1", "10.0.0.0/8"]}}},
                         name="trusted-peer")
    client = forged()
    # The client may prepend anything; the proxies append what they saw, and 10.x is ours.
    hops = {"X-Forwarded-For": f"{forged()}, {client}, 10.1.2.3"}
    assert wrong_sign_ins(srv, hops, 4) == [401, 401, 401, 429]
    assert wrong_sign_ins(srv, {"X-Forwarded-For": f"{client}, 10.9.9.9"}, 1) == [429]   # the same client
    assert wrong_sign_ins(srv, {"X-Forwarded-For": forged()}, 1) == [401]                 # another one

    browser = srv.client()
    browser.s.headers["X-Forwarded-For"] = f"{client}, 10.1.2.3"
    assert browser.sign_up().status_code == 200
    rows = srv.query('SELECT "ipAddress" FROM "session" WHERE "userId" = ?', browser.user["id"])
    assert [r["ipAddress"] for r in rows] == [client]


def test_production_ignores_forwarded_headers_until_proxies_are_named(server_factory):
    srv = server_factory({"mode": "production"}, name="production-proxies")
    codes = [wrong_sign_ins(srv, {"X-Forwarded-For": forged()}, 1)[0] for _ in range(4)]
    assert codes == [401, 401, 401, 429], codes
    lines = [line for line in srv.logs().splitlines() if "advanced.ipAddress.trustedProxies" in line]
    assert len(lines) == 1, lines


def test_development_keeps_better_auths_default(server_factory):
    srv = server_factory(LIMITED, name="dev-proxies")
    codes = [wrong_sign_ins(srv, {"X-Forwarded-For": forged()}, 1)[0] for _ in range(4)]
    assert codes == [401] * 4                           # each forged address is its own bucket
    assert "advanced.ipAddress.trustedProxies" not in srv.logs()


def test_ipv6_clients_share_a_bucket_per_subnet(server_factory):
    srv = server_factory({**LIMITED, "advanced": {"ipAddress": {"trustedProxies": ["127.0.0.1"], "ipv6Subnet": 64}}},
                         name="ipv6-subnet")
    prefix = f"2001:db8:{uuid.uuid4().int % 0xFFFF:x}:1"
    codes = [wrong_sign_ins(srv, {"X-Forwarded-For": f"{prefix}::{n + 1:x}"}, 1)[0] for n in range(4)]
    assert codes == [401, 401, 401, 429], codes
    assert wrong_sign_ins(srv, {"X-Forwarded-For": "2001:db8:ffff:2::1"}, 1) == [401]


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not-an-address", "2001:db8::/129"])
def test_a_malformed_trusted_proxy_stops_start_up_naming_the_key(tmp_path, entry):
    config = tmp_path / "gatehouse.yaml"
    config.write_text(f'advanced:\n  ipAddress:\n    trustedProxies: ["127.0.0.1", "{entry}"]\n')
    r = subprocess.run([str(gatehouse_bin()), "config", "validate", "--config", str(config)], capture_output=True, text=True,
                       timeout=60, cwd=tmp_path)
    assert r.returncode == 78, r.stderr
    assert "advanced.ipAddress.trustedProxies[1]" in r.stderr
