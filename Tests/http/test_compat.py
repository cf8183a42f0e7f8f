"""Database and crypto compatibility with Better Auth 1.7 (contract §3.2, §4, §5, vectors)."""

import re
import secrets
import string
import time
from datetime import timedelta

import pytest

from conftest import (ALNUM32, ISO_MS_Z, DEFAULT_PASSWORD, assert_error, iso_ms, now_utc, parse_date,
                      scrypt_verify, set_cookie_map, sign_token, unique_email)

VECTOR_HASH = ("0123456789abcdef0123456789abcdef:e8b256b6f9f4b1641136a66d4a26ba41a47b6c8c9bad6aa4145559ffda45ece1"
               "f0f16dec8482a3e5545feada0ba62f2b05eeb943b750c9396874e1762c78d27d")
BA_DEFAULT_SECRET = "better-auth-secret-12345678901234567890"
VECTOR_TOKEN = "abcdefghijklmnopqrstuvwxyz012345"
VECTOR_COOKIE = "abcdefghijklmnopqrstuvwxyz012345.I9CRtBzOYKOp91pmsrUITzor0IvV8qog4R1ydDphbLY%3D"


def gen_id(n=32):
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def insert_ba_user(srv, email, password_hash, verified=True, name="Imported User"):
    """Writes user + credential account exactly as Better Auth 1.7 (Kysely/SQLite) would."""
    uid = gen_id()
    ts = iso_ms(now_utc())
    srv.execute('INSERT INTO "user" (id, name, email, "emailVerified", image, "createdAt", "updatedAt") '
                'VALUES (?, ?, ?, ?, NULL, ?, ?)', uid, name, email, bool(verified), ts, ts)
    srv.execute('INSERT INTO account (id, issuer, "accountId", "providerId", "userId", "accessToken", "refreshToken", "idToken", '
                '"accessTokenExpiresAt", "refreshTokenExpiresAt", scope, password, "createdAt", "updatedAt") '
                "VALUES (?, 'local:credential', ?, 'credential', ?, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?)",
                gen_id(), uid, uid, password_hash, ts, ts)
    return uid


# ---------------------------------------------------------------- schema

EXPECTED_COLUMNS = {
    "user": {"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"},
    "session": {"id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"},
    "account": {"id", "issuer", "accountId", "providerId", "userId", "accessToken", "refreshToken", "idToken",
                "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope", "password", "createdAt", "updatedAt"},
    "verification": {"id", "identifier", "value", "expiresAt", "createdAt", "updatedAt"},
}


@pytest.mark.parametrize("table", sorted(EXPECTED_COLUMNS))
def test_schema_columns(gatehouse, table):
    cols = gatehouse.columns(table)
    missing = EXPECTED_COLUMNS[table] - cols
    assert not missing, f"{table} lacks {missing} (has {cols})"


def test_session_token_unique_and_user_email_unique(gatehouse):
    unique_cols = gatehouse.unique_column_sets
    assert ("token",) in unique_cols("session")
    assert ("email",) in unique_cols("user")
    assert any(set(c) == {"issuer", "accountId"} for c in unique_cols("account")), unique_cols("account")


# ---------------------------------------------------------------- rows written by sign-up

def test_sign_up_rows(gatehouse, client):
    email = unique_email("Rows").upper()
    r = client.sign_up(email, password="hash-me-please-1")
    assert r.status_code == 200, r.text
    uid = r.json()["user"]["id"]
    user = gatehouse.query('SELECT * FROM "user" WHERE id = ?', uid)[0]
    assert ALNUM32.match(uid)
    assert user["email"] == email.lower()
    assert int(user["emailVerified"]) == 0
    created = parse_date(user["createdAt"])
    assert abs(created - now_utc()) < timedelta(minutes=2)
    acc = gatehouse.query('SELECT * FROM account WHERE "userId" = ?', uid)
    assert len(acc) == 1
    a = acc[0]
    assert a["providerId"] == "credential"
    assert a["issuer"] == "local:credential"
    assert a["accountId"] == uid
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", a["password"]), a["password"]
    assert scrypt_verify("hash-me-please-1", a["password"])
    assert not scrypt_verify("hash-me-please-2", a["password"])
    sess = gatehouse.query('SELECT * FROM session WHERE "userId" = ?', uid)
    assert len(sess) == 1 and sess[0]["token"] == r.json()["token"]
    assert ALNUM32.match(sess[0]["id"])
    assert parse_date(sess[0]["expiresAt"]) > now_utc() + timedelta(days=6)


def test_password_nfkc_normalised(gatehouse, client):
    """Better Auth hashes password.normalize('NFKC'): full-width input equals ASCII."""
    fullwidth = "ｎｆｋｃ－ｈｏｒｓｅ－１２３"
    r = client.sign_up(password=fullwidth)
    assert r.status_code == 200, r.text
    stored = gatehouse.query('SELECT password FROM account WHERE "userId" = ?', r.json()["user"]["id"])[0]["password"]
    assert scrypt_verify("nfkc-horse-123", stored)
    assert gatehouse.client().sign_in(client.email, "nfkc-horse-123").status_code == 200


def test_vector_hash_overwrite_then_sign_in(gatehouse, user):
    gatehouse.execute("""UPDATE account SET password = ? WHERE "userId" = ? AND "providerId" = 'credential'""",
                      VECTOR_HASH, user.user["id"])
    r = gatehouse.client().sign_in(user.email, "password123")
    assert r.status_code == 200, r.text
    assert_error(gatehouse.client().sign_in(user.email, user.password), 401, "INVALID_EMAIL_OR_PASSWORD")


def test_rows_inserted_like_better_auth_can_sign_in(gatehouse):
    email = unique_email("imported")
    uid = insert_ba_user(gatehouse, email, VECTOR_HASH, verified=True)
    c = gatehouse.client()
    r = c.sign_in(email, "password123")
    assert r.status_code == 200, r.text
    u = r.json()["user"]
    assert u["id"] == uid and u["email"] == email and u["emailVerified"] is True and u["name"] == "Imported User"
    assert ISO_MS_Z.match(u["createdAt"])
    s = c.session()
    assert s["user"]["id"] == uid
    accts = c.get("list-accounts").json()
    assert [a["issuer"] for a in accts] == ["local:credential"]
    # password change on an imported user produces a new scrypt hash
    assert c.post("change-password", {"currentPassword": "password123", "newPassword": "rotated-pass-1"}).status_code == 200
    stored = gatehouse.query('SELECT password FROM account WHERE "userId" = ?', uid)[0]["password"]
    assert stored != VECTOR_HASH and scrypt_verify("rotated-pass-1", stored)


def test_malformed_stored_hash_does_not_sign_in(gatehouse):
    email = unique_email("badhash")
    insert_ba_user(gatehouse, email, "not-a-valid-hash")
    r = gatehouse.client().sign_in(email, "password123")
    assert r.status_code in (401, 500), r.text
    assert gatehouse.cookie_name() not in set_cookie_map(r)


# ---------------------------------------------------------------- signed-cookie vector

@pytest.fixture(scope="module")
def ba_secret_server(server_factory):
    return server_factory({"secret": BA_DEFAULT_SECRET}, name="ba-secret", secret=BA_DEFAULT_SECRET)


def test_signed_cookie_vector(ba_secret_server):
    srv = ba_secret_server
    assert sign_token(VECTOR_TOKEN, BA_DEFAULT_SECRET) == VECTOR_COOKIE
    email = unique_email("vector")
    uid = insert_ba_user(srv, email, VECTOR_HASH)
    ts = now_utc()
    srv.execute('INSERT INTO session (id, "expiresAt", token, "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") '
                "VALUES (?, ?, ?, ?, ?, '', '', ?)",
                gen_id(), iso_ms(ts + timedelta(days=7)), VECTOR_TOKEN, iso_ms(ts), iso_ms(ts), uid)
    c = srv.client()
    r = c.get("get-session", cookies=f"better-auth.session_token={VECTOR_COOKIE}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body is not None, "Better Auth-signed vector cookie was not accepted"
    assert body["session"]["token"] == VECTOR_TOKEN and body["user"]["id"] == uid
    # and the server signs fresh tokens the same way
    r2 = srv.client().sign_in(email, "password123")
    assert r2.status_code == 200
    tok = r2.json()["token"]
    assert f"better-auth.session_token={sign_token(tok, BA_DEFAULT_SECRET)}" in r2.headers.get("Set-Cookie", "")


def test_session_row_expired_in_db_is_not_accepted(ba_secret_server):
    srv = ba_secret_server
    email = unique_email("expired")
    uid = insert_ba_user(srv, email, VECTOR_HASH)
    token = gen_id()
    ts = now_utc()
    srv.execute('INSERT INTO session (id, "expiresAt", token, "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") '
                "VALUES (?, ?, ?, ?, ?, '', '', ?)",
                gen_id(), iso_ms(ts - timedelta(minutes=1)), token, iso_ms(ts - timedelta(days=7)),
                iso_ms(ts - timedelta(days=7)), uid)
    r = srv.client().get("get-session", cookies=f"better-auth.session_token={sign_token(token, BA_DEFAULT_SECRET)}")
    assert r.status_code == 200 and r.json() is None


@pytest.mark.parametrize("var", ["GATEHOUSE_SECRET", "BETTER_AUTH_SECRET"])
def test_secret_from_env(server, var):
    env_secret = "env-provided-secret-0123456789-abcdefghij"
    srv = server({"secret": None}, env={var: env_secret})
    c = srv.client().new_user()
    assert sign_token(c.token, env_secret) == c.session_cookie
