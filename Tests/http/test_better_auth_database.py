"""A populated database made by another Better Auth server opens in Gatehouse unchanged (issue 13).

The peer is `better-auth-server` (PyPI), a Python port of Better Auth 1.7 on SQLAlchemy: its own
DDL creates the tables (no `account.issuer`; `DATETIME` columns holding
`YYYY-MM-DD HH:MM:SS.ffffff`; booleans as 0/1), and its own sign-up writes the users, accounts
and sessions. Gatehouse must migrate it without touching those rows, sign the users in, honour
the peer's session cookies, and write sessions the peer reads back. A Better Auth 1.6 database
(Kysely's SQLite DDL, no `issuer`) is covered the same way.
"""
import asyncio
import json
import shutil
import sqlite3
import subprocess
from datetime import timedelta

import pytest
import yaml

from conftest import (TEST_SECRET, GatehouseServer, _LIVE_SERVERS, assert_error, gatehouse_bin, iso_ms, now_utc,
                      parse_date, scrypt_hash, sign_token, unique_email)
from test_compat import gen_id

# sqlite_only: the peer (better-auth-server on aiosqlite) builds and reads its own SQLite files.
pytestmark = pytest.mark.sqlite_only

PASSWORD = "correct-horse-battery"


class PeerServer:
    """better-auth-server driven in-process over its own request type, on the same SQLite file."""

    def __init__(self, db_path, base_url):
        from better_auth import BetterAuth, EmailAndPassword
        from better_auth.adapters.sqlalchemy import SQLAlchemyAdapter
        from sqlalchemy.ext.asyncio import create_async_engine

        self.loop = asyncio.new_event_loop()
        self.engine = create_async_engine(f"sqlite+aiosqlite:///{db_path}")
        self.adapter = SQLAlchemyAdapter(self.engine)
        self.base_url = base_url
        self.auth = BetterAuth(secret=TEST_SECRET, base_url=base_url, adapter=self.adapter,
                               email_and_password=EmailAndPassword(enabled=True))
        self.run(self.adapter.create_tables())

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def request(self, method, path, body=None, cookie=None):
        from better_auth import AuthRequest
        headers = {"content-type": "application/json", "origin": self.base_url}
        if cookie:
            headers["cookie"] = cookie
        answer = self.run(self.auth.handle(AuthRequest(method, path, headers=headers,
                                                       body=json.dumps(body).encode() if body is not None else b"")))
        return answer

    def sign_up(self, email, name="Peer User"):
        answer = self.request("POST", "/sign-up/email", {"email": email, "password": PASSWORD, "name": name})
        assert answer.status == 200, answer
        return answer

    def close(self):
        self.run(self.engine.dispose())
        self.loop.close()


def session_cookie(answer):
    for name, value in answer.headers:
        if name.lower() == "set-cookie" and value.startswith("better-auth.session_token="):
            return value.split(";", 1)[0]
    raise AssertionError(f"no session cookie in {answer.headers}")


def rows(db_path, table):
    con = sqlite3.connect(db_path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(f'SELECT * FROM "{table}" ORDER BY id')]
    finally:
        con.close()


def gatehouse_on(db_path, workdir, overrides=None):
    workdir.mkdir(exist_ok=True)
    srv = GatehouseServer({"database": f"sqlite:{db_path}", **(overrides or {})}, name="peer-db", workdir=workdir)
    return srv


@pytest.fixture
def peer_db(tmp_path):
    """A database the peer made and filled: two users signed up, one social account, a session."""
    db_path = tmp_path / "peer.db"
    peer = PeerServer(db_path, "http://127.0.0.1:1")
    ann, bob = unique_email("ann"), unique_email("bob")
    ann_cookie = session_cookie(peer.sign_up(ann, "Ann"))
    peer.sign_up(bob, "Bob")
    bob_id = next(u["id"] for u in rows(db_path, "user") if u["email"] == bob)
    con = sqlite3.connect(db_path)
    stamp = (now_utc()).strftime("%Y-%m-%d %H:%M:%S.%f")
    con.execute('INSERT INTO account (id, "accountId", "providerId", "userId", "accessToken", scope, "createdAt", "updatedAt") '
                "VALUES (?, 'gh-4242', 'github', ?, 'token', 'read:user', ?, ?)", (gen_id(), bob_id, stamp, stamp))
    con.commit()
    con.close()
    peer.close()
    return {"path": db_path, "ann": ann, "bob": bob, "ann_cookie": ann_cookie}


def migrate(srv, *args):
    srv.config_path.write_text(yaml.safe_dump(srv.config, sort_keys=False))
    return subprocess.run([str(gatehouse_bin()), "migrate", "--config", str(srv.config_path), *args],
                          capture_output=True, text=True, timeout=60, cwd=str(srv.tmp))


def test_migrate_opens_a_populated_peer_database_and_keeps_its_rows(peer_db, tmp_path):
    before = {t: rows(peer_db["path"], t) for t in ("user", "session", "account")}
    srv = gatehouse_on(peer_db["path"], tmp_path / "gh")

    dry = migrate(srv, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert 'ADD COLUMN "issuer"' in dry.stdout and "local:credential" in dry.stdout
    assert rows(peer_db["path"], "account") == before["account"], "--dry-run changed the database"

    done = migrate(srv)
    assert done.returncode == 0, done.stdout + done.stderr
    again = migrate(srv, "--dry-run")
    assert again.returncode == 0 and "ALTER" not in again.stdout and "CREATE" not in again.stdout, again.stdout

    for table in ("user", "session"):
        assert rows(peer_db["path"], table) == before[table], f"{table} rows changed"
    accounts = {a["providerId"]: a for a in rows(peer_db["path"], "account")}
    assert accounts["credential"]["issuer"] == "local:credential"
    assert accounts["github"]["issuer"] is None  # github is not configured: filled at its next sign-in
    for account in rows(peer_db["path"], "account"):
        original = next(a for a in before["account"] if a["id"] == account["id"])
        assert {k: v for k, v in account.items() if k != "issuer"} == original


def test_peer_users_sign_in_and_peer_sessions_are_honoured(peer_db, tmp_path):
    srv = gatehouse_on(peer_db["path"], tmp_path / "gh").start()
    _LIVE_SERVERS.append(srv)
    try:
        # The peer's session cookie works here, with the peer's dates read as UTC.
        c = srv.client()
        c.cookies["better-auth.session_token"] = peer_db["ann_cookie"].split("=", 1)[1]
        session = c.session()
        assert session is not None and session["user"]["email"] == peer_db["ann"]
        stored = next(s for s in rows(peer_db["path"], "session") if s["token"] == session["session"]["token"])
        assert parse_date(session["session"]["expiresAt"]) == parse_date(stored["expiresAt"]).replace(
            microsecond=parse_date(stored["expiresAt"]).microsecond // 1000 * 1000)
        assert parse_date(session["session"]["expiresAt"]) > now_utc() + timedelta(days=6)
        assert session["user"]["emailVerified"] is False

        # Both users sign in with the peer's scrypt hashes.
        for email in (peer_db["ann"], peer_db["bob"]):
            r = srv.client().sign_in(email, PASSWORD)
            assert r.status_code == 200, r.text
        assert_error(srv.client().sign_in(peer_db["bob"], "wrong-password-1"), 401, "INVALID_EMAIL_OR_PASSWORD")
        bob = srv.client()
        assert bob.sign_in(peer_db["bob"], PASSWORD).status_code == 200
        accounts = {a["providerId"]: a for a in bob.get("list-accounts").json()}
        assert sorted(accounts) == ["credential", "github"]
        assert accounts["credential"]["issuer"] == "local:credential" and accounts["github"]["scopes"] == ["read:user"]
    finally:
        srv.stop()


def test_sessions_gatehouse_issues_are_read_by_the_peer(peer_db, tmp_path):
    srv = gatehouse_on(peer_db["path"], tmp_path / "gh").start()
    _LIVE_SERVERS.append(srv)
    try:
        c = srv.client()
        assert c.sign_in(peer_db["ann"], PASSWORD).status_code == 200
        cookie = f"better-auth.session_token={c.session_cookie}"
        # A Gatehouse sign-up after the migration, too: its rows carry `issuer`, the peer ignores it.
        newcomer = srv.client().new_user(unique_email("new"), PASSWORD)
    finally:
        srv.stop()
    peer = PeerServer(peer_db["path"], srv.base_url)
    try:
        answer = peer.request("GET", "/get-session", cookie=cookie)
        assert answer.status == 200 and answer.body is not None, answer
        assert answer.body["user"]["email"] == peer_db["ann"]
        assert answer.body["session"]["expiresAt"] > now_utc() + timedelta(days=6)
        signed_in = peer.request("POST", "/sign-in/email", {"email": newcomer.email, "password": PASSWORD})
        assert signed_in.status == 200, signed_in
        # The peer keeps writing accounts without an issuer; Gatehouse still reads them.
        peer.sign_up(unique_email("late"))
    finally:
        peer.close()
    srv = gatehouse_on(peer_db["path"], srv.tmp).start()
    _LIVE_SERVERS.append(srv)
    try:
        late = [u for u in rows(peer_db["path"], "user") if u["email"].startswith("late-")][0]
        assert srv.client().sign_in(late["email"], PASSWORD).status_code == 200
    finally:
        srv.stop()


# Better Auth 1.6 on SQLite (Kysely migration): no account.issuer, ISO dates, integer booleans.
BETTER_AUTH_16_DDL = """
create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique,
  "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null);
create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique,
  "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text,
  "userId" text not null references "user" ("id") on delete cascade);
create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null,
  "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text,
  "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text,
  "createdAt" date not null, "updatedAt" date not null);
create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null,
  "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null);
create index "session_userId_idx" on "session" ("userId");
create index "account_userId_idx" on "account" ("userId");
create index "verification_identifier_idx" on "verification" ("identifier");
"""


def test_better_auth_16_database_with_two_factor_and_organization_plugins(tmp_path):
    """Plugin columns on populated core tables (user.twoFactorEnabled, session.activeOrganizationId) are safe too."""
    from test_bearer import built_library
    db_path = tmp_path / "ba16.db"
    con = sqlite3.connect(db_path)
    con.executescript(BETTER_AUTH_16_DDL)
    uid, email, now = gen_id(), unique_email("ba16"), iso_ms(now_utc())
    token = gen_id()
    con.execute('INSERT INTO "user" VALUES (?, ?, ?, 1, NULL, ?, ?)', (uid, "Old Timer", email, now, now))
    con.execute('INSERT INTO account (id, "accountId", "providerId", "userId", password, "createdAt", "updatedAt") '
                "VALUES (?, ?, 'credential', ?, ?, ?, ?)", (gen_id(), uid, uid, scrypt_hash(PASSWORD, "0123456789abcdef0123456789abcdef"), now, now))
    con.execute('INSERT INTO session VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                (gen_id(), iso_ms(now_utc() + timedelta(days=3)), token, now, now, "", "", uid))
    con.commit()
    con.close()
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    for name in ("two-factor", "organization"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    srv = gatehouse_on(db_path, tmp_path / "gh", {"pluginsDir": str(plugins)})
    srv.start()
    _LIVE_SERVERS.append(srv)
    try:
        c = srv.client()
        c.cookies[srv.cookie_name()] = sign_token(token)
        session = c.session()
        assert session["user"]["email"] == email and session["user"]["twoFactorEnabled"] is False
        assert srv.client().sign_in(email, PASSWORD).status_code == 200
        org = c.post("organization/create", {"name": "Old Org", "slug": unique_email("o").split("@")[0]})
        assert org.status_code == 200, org.text
        user_row = rows(db_path, "user")[0]
        assert user_row["twoFactorEnabled"] == 0 and user_row["createdAt"] == now
    finally:
        srv.stop()
