"""Fixtures for the black-box HTTP suite of Gatehouse.

Gatehouse is started as a real process (`gatehouse serve --config <tmp>/gatehouse.yaml`)
on a free 127.0.0.1 port with a fresh database: a SQLite file in its temp dir, or, when
GATEHOUSE_TEST_POSTGRES is set, a PostgreSQL database of its own. Nothing of the server is mocked.

Environment:
  GATEHOUSE_BIN       path of the binary (default: <repo>/.build/debug/gatehouse)
  GATEHOUSE_TEST_POSTGRES
                      admin URL of a PostgreSQL cluster (postgres://USER:PASS@HOST:PORT, as printed by
                      scripts/postgres-cluster.sh start): every server gets `CREATE DATABASE gh_<hex>` there
                      and `database: <URL>/gh_<hex>`; tests marked sqlite_only are skipped
  GATEHOUSE_KEEP_TMP  keep the per-server temp dirs (config, DB, server.log) after the run
  SWIFT_BACKTRACE     passed through; defaults to enable=no so crashing servers exit fast
"""

from __future__ import annotations

import base64
import copy
import email
import email.policy
import hashlib
import hmac
import html
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import pytest
import requests
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "gatehouse"
# The plugin ABI this checkout's header (and so its server) speaks, e.g. "1.3".
HOST_ABI = "1." + re.search(r"#define GATEHOUSE_ABI_MINOR (\d+)",
                            (REPO_ROOT / "PluginAPI" / "include" / "gatehouse_plugin.h").read_text()).group(1)

TEST_SECRET = "gatehouse-http-test-secret-0123456789abc"  # 40 characters
assert len(TEST_SECRET) == 40
BASE_PATH = "/api/auth"
DEFAULT_PASSWORD = "correct-horse-battery"
TRUSTED_ORIGINS = ["https://trusted.com", "https://*.example.com"]

def build_c_plugin(source: Path, library: Path, minor: int | None = None) -> Path:
    """Compiles a C test plugin from the header alone into `library` (-DMINOR=n: built as for ABI 1.n)."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    library.parent.mkdir(parents=True, exist_ok=True)
    defines = [f"-DMINOR={minor}"] if minor is not None else []
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(REPO_ROOT / "PluginAPI" / "include"), *defines,
                    "-o", str(library), str(source)], check=True)
    return library.parent


# Plugin trust refuses group- or world-writable libraries and folders: build and copy fixtures
# with the usual permissions whatever the caller's umask.
os.umask(0o022)

# PostgreSQL pass: the admin URL of the cluster (no database part), or None for SQLite files.
PG_ADMIN_URL = (os.environ.get("GATEHOUSE_TEST_POSTGRES") or "").strip().rstrip("/") or None


def on_postgres() -> bool:
    """True in the PostgreSQL pass (GATEHOUSE_TEST_POSTGRES set)."""
    return PG_ADMIN_URL is not None


ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ALNUM32 = re.compile(r"^[A-Za-z0-9]{32}$")


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if v is None:  # None removes a default key
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.org"


def sign_token(token: str, secret: str = TEST_SECRET) -> str:
    """Better Auth signed-cookie value (URL-encoded), §3.2."""
    sig = base64.b64encode(hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()).decode()
    return urllib.parse.quote(f"{token}.{sig}", safe="")


def verify_signed_value(raw_value: str, secret: str = TEST_SECRET) -> str | None:
    """Returns the unsigned value if the (URL-encoded) signed cookie value verifies, else None."""
    value = urllib.parse.unquote(raw_value)
    if "." not in value:
        return None
    payload, sig = value.rsplit(".", 1)
    if len(sig) != 44 or not sig.endswith("="):
        return None
    expected = base64.b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()).decode()
    return payload if hmac.compare_digest(expected, sig) else None


def scrypt_hash(password: str, salt: str) -> str:
    import unicodedata
    key = hashlib.scrypt(unicodedata.normalize("NFKC", password).encode(), salt=salt.encode(),
                         n=16384, r=16, p=1, dklen=64, maxmem=2 ** 27)
    return f"{salt}:{key.hex()}"


def scrypt_verify(password: str, stored: str) -> bool:
    salt, _ = stored.split(":", 1)
    return scrypt_hash(password, salt) == stored


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url_encode(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload: dict, secret: str = TEST_SECRET) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url_encode(json.dumps(header, separators=(",", ":")).encode())
    p = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url_encode(sig)}"


def decode_jwt(token: str, secret: str = TEST_SECRET) -> tuple[dict, dict, bool]:
    h, p, s = token.split(".")
    header = json.loads(b64url_decode(h))
    payload = json.loads(b64url_decode(p))
    expected = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return header, payload, hmac.compare_digest(expected, b64url_decode(s))


def parse_date(v) -> datetime:
    """Parses a date as stored by Better Auth's adapters: ISO text or epoch number (SQLite), or the
    datetime psycopg returns for a PostgreSQL timestamptz (naive values are taken as UTC)."""
    if isinstance(v, datetime):
        return v if v.tzinfo is not None else v.replace(tzinfo=timezone.utc)
    if isinstance(v, (int, float)):
        return datetime.fromtimestamp(v / 1000 if v > 1e11 else v, tz=timezone.utc)
    s = str(v).strip()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return parse_date(float(s))
    s = s.replace("Z", "+00:00").replace(" ", "T", 1)
    d = datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def iso_ms(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------
# Set-Cookie parsing
# ---------------------------------------------------------------------------

class SetCookie:
    def __init__(self, header: str):
        self.header = header
        parts = [p.strip() for p in header.split(";")]
        name, _, value = parts[0].partition("=")
        self.name = name.strip()
        self.value = value.strip()
        self.attrs: dict[str, str | bool] = {}
        for p in parts[1:]:
            if not p:
                continue
            k, eq, v = p.partition("=")
            self.attrs[k.strip().lower()] = v.strip() if eq else True

    @property
    def max_age(self):
        v = self.attrs.get("max-age")
        return None if v is None else int(v)

    @property
    def is_deletion(self) -> bool:
        if self.max_age is not None and self.max_age <= 0:
            return True
        exp = self.attrs.get("expires")
        if isinstance(exp, str):
            try:
                from email.utils import parsedate_to_datetime
                return parsedate_to_datetime(exp) <= now_utc()
            except Exception:
                return False
        return False

    def __repr__(self):
        return f"SetCookie({self.header!r})"


def set_cookies(resp: requests.Response) -> list[SetCookie]:
    raw = resp.raw.headers.getlist("Set-Cookie") if resp.raw is not None else []
    return [SetCookie(h) for h in raw]


def set_cookie_map(resp: requests.Response) -> dict[str, SetCookie]:
    return {c.name: c for c in set_cookies(resp)}


def need_cookie(resp: requests.Response, name: str) -> SetCookie:
    """The Set-Cookie for `name`, failing with the full list of Set-Cookie headers when absent."""
    m = set_cookie_map(resp)
    assert name in m, f"no Set-Cookie for {name!r}; got {[c.header for c in m.values()]}"
    return m[name]


# ---------------------------------------------------------------------------
# SMTP sink
# ---------------------------------------------------------------------------

class Mail:
    def __init__(self, envelope_from, rcpt_tos, data: bytes):
        self.envelope_from = envelope_from
        self.rcpt_tos = [r.lower() for r in rcpt_tos]
        self.raw = data
        self.msg = email.message_from_bytes(data, policy=email.policy.default)
        self.subject = str(self.msg.get("Subject", ""))
        texts = []
        for part in self.msg.walk():
            if part.get_content_maintype() == "text":
                try:
                    texts.append(part.get_content())
                except Exception:
                    texts.append(part.get_payload(decode=True).decode("utf-8", "replace"))
        self.text = html.unescape("\n".join(texts))

    def links(self) -> list[str]:
        return [l.rstrip(").,;]") for l in re.findall(r"https?://[^\s\"'<>]+", self.text)]

    def link_containing(self, fragment: str) -> str:
        for link in self.links():
            if fragment in link:
                return link
        raise AssertionError(f"no link containing {fragment!r} in mail {self.subject!r}:\n{self.text}")


class SmtpSink:
    def __init__(self):
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink._add(Mail(envelope.mail_from, envelope.rcpt_tos, envelope.original_content or envelope.content))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self._lock = threading.Lock()
        self.messages: list[Mail] = []
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def _add(self, m: Mail):
        with self._lock:
            self.messages.append(m)

    def stop(self):
        self.controller.stop()

    def for_rcpt(self, addr: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.messages if addr.lower() in m.rcpt_tos]

    def wait_for(self, addr: str, count: int = 1, timeout: float = 6.0, contains: str | None = None) -> Mail:
        """Waits until at least `count` messages (optionally containing `contains`) reached `addr`; returns the newest."""
        deadline = time.time() + timeout
        while True:
            msgs = [m for m in self.for_rcpt(addr) if contains is None or contains in m.text]
            if len(msgs) >= count:
                return msgs[-1]
            if time.time() > deadline:
                with self._lock:
                    seen = [(m.rcpt_tos, m.subject) for m in self.messages[-10:]]
                raise AssertionError(f"no mail #{count} for {addr} within {timeout}s (recent: {seen})")
            time.sleep(0.05)

    def assert_none_for(self, addr: str, wait: float = 1.5):
        time.sleep(wait)
        got = self.for_rcpt(addr)
        assert got == [], f"unexpected mail to {addr}: {[m.subject for m in got]}"


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

def pg_sql(sql: str) -> str:
    """Test SQL with sqlite3's `?` placeholders → psycopg's `%s`: every `?` outside a quoted string or
    identifier becomes `%s`, and every literal `%` (LIKE patterns) is doubled to `%%`."""
    out = []
    quote = None
    for ch in sql:
        if ch == "%":
            out.append("%%")
        elif quote is not None:
            out.append(ch)
            if ch == quote:
                quote = None  # a doubled quote ('it''s') just closes and reopens
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


def pg_connect(url: str):
    import psycopg
    from psycopg.rows import dict_row
    return psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=10)


def pg_create_database(name: str, admin: str | None = None):
    """CREATE DATABASE `name` on the test cluster (or on the cluster at `admin`)."""
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name
    last = None
    for _ in range(20):  # CREATE DATABASE fails while another session is connected to template1
        try:
            with pg_connect((admin or PG_ADMIN_URL) + "/postgres") as con:
                con.execute(f'CREATE DATABASE "{name}"')
            return
        except Exception as e:  # psycopg.errors.ObjectInUse and friends
            if type(e).__name__ == "DuplicateDatabase" and last is not None:
                return  # an earlier try did create it before failing
            last = e
            time.sleep(0.1)
    raise RuntimeError(f"CREATE DATABASE {name} failed: {last}")


def pg_drop_database(name: str):
    """Best effort: the cluster is thrown away after the run anyway; this only keeps its disk use low."""
    try:
        with pg_connect(PG_ADMIN_URL + "/postgres") as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:
        pass


def pg_database_exists(name: str) -> bool:
    with pg_connect(PG_ADMIN_URL + "/postgres") as con:
        return con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


# ---------------------------------------------------------------------------
# Server process
# ---------------------------------------------------------------------------

def gatehouse_bin() -> Path:
    return Path(os.environ.get("GATEHOUSE_BIN", str(DEFAULT_BIN)))


class GatehouseServer:
    def __init__(self, overrides: dict | None = None, smtp: SmtpSink | None = None, name: str = "gh",
                 workdir: Path | None = None, port: int | None = None, secret: str = TEST_SECRET,
                 env: dict | None = None):
        self.extra_env = dict(env or {})
        self.tmp = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"gatehouse-{name}-"))
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = self.tmp / "gatehouse.db"
        self.log_path = self.tmp / "server.log"
        self.config_path = self.tmp / "gatehouse.yaml"
        # PostgreSQL pass: one database per server, named in <tmp>/postgres-database so that a server
        # started again on the same workdir (a restart) finds the same database, as with gatehouse.db.
        pg_marker = self.tmp / "postgres-database"
        if PG_ADMIN_URL:
            self.pg_database = pg_marker.read_text().strip() if pg_marker.exists() else f"gh_{uuid.uuid4().hex}"
            default_database = f"{PG_ADMIN_URL}/{self.pg_database}"
        else:
            self.pg_database = None
            default_database = f"sqlite:{self.db_path}"
        defaults = {
            "baseURL": self.url,
            "basePath": BASE_PATH,
            "secret": secret,
            "database": default_database,
            "mode": "development",
            "trustedOrigins": list(TRUSTED_ORIGINS),
            "emailAndPassword": {"enabled": True},
            "server": {"host": "127.0.0.1", "port": self.port},
        }
        if smtp is not None:
            defaults["email"] = {
                "transport": "smtp",
                "from": "Gatehouse <noreply@gatehouse.test>",
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "secure": False, "startTLS": "off"},
            }
        self.config = deep_merge(defaults, overrides or {})
        # The URL the test helpers (query/execute/columns) use when the server is on PostgreSQL (its own
        # database, or one a test names); None when it is on SQLite (the SQLite pass, or a sqlite: override).
        self.pg_url = None
        if PG_ADMIN_URL and self.config.get("database") == default_database:
            if not pg_marker.exists():
                pg_create_database(self.pg_database)
                self.tmp.mkdir(parents=True, exist_ok=True)
                pg_marker.write_text(self.pg_database + "\n")
            self.pg_url = default_database
        elif str(self.config.get("database") or "").startswith(("postgres://", "postgresql://")):
            self.pg_url = str(self.config["database"])
        self.config["baseURL"] = str(self.config["baseURL"]).replace("{port}", str(self.port))
        self.secret = self.config.get("secret") or self.extra_env.get("GATEHOUSE_SECRET") \
            or self.extra_env.get("BETTER_AUTH_SECRET") or secret
        self.base_url = str(self.config["baseURL"]).rstrip("/")
        p = urllib.parse.urlsplit(self.base_url)
        self.origin = f"{p.scheme}://{p.netloc}"
        self.base_path = self.config.get("basePath", BASE_PATH)
        self.api = self.url + self.base_path
        self.proc: subprocess.Popen | None = None
        self._logf = None

    # -- lifecycle --
    def start(self, timeout: float = 30.0):
        binary = gatehouse_bin()
        if not binary.exists():
            pytest.skip(f"gatehouse binary not built: {binary}")
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GATEHOUSE_", "BETTER_AUTH_", "AUTH_SECRET", "NEXT_PUBLIC_BETTER", "PUBLIC_BETTER", "NUXT_PUBLIC_BETTER"))}
        # Swift's crash backtracer costs ~4 s of CPU per crashing process; opt back in with SWIFT_BACKTRACE.
        env.setdefault("SWIFT_BACKTRACE", "enable=no")
        env.update(self.extra_env)
        self._logf = open(self.log_path, "ab")
        for attempt in range(50):  # the binary may be mid-rewrite by a concurrent build (ETXTBSY)
            try:
                self.proc = subprocess.Popen([str(binary), "serve", "--config", str(self.config_path)],
                                             cwd=str(self.tmp), stdout=self._logf, stderr=subprocess.STDOUT, env=env)
                break
            except OSError as e:
                if e.errno != 26 or attempt == 49:
                    raise
                time.sleep(0.2)
        deadline = time.time() + timeout
        last_err = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gatehouse exited with {self.proc.returncode} during startup\n{self.logs()}")
            try:
                r = requests.get(self.url + "/healthz", timeout=1)
                if r.status_code == 200:
                    return self
                last_err = f"healthz {r.status_code}"
            except requests.RequestException as e:
                last_err = repr(e)
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gatehouse not ready after {timeout}s ({last_err})\n{self.logs()}")

    def terminate(self):
        """Sends SIGTERM without waiting (lets many servers shut down in parallel)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._logf:
            self._logf.close()
            self._logf = None

    def kill9(self):
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        if self._logf:
            self._logf.close()
            self._logf = None

    def logs(self, start: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return "<no log>"

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    # -- database --
    # Test SQL is written once for both engines: `?` placeholders, camelCase identifiers double-quoted
    # ("emailVerified", "user"), booleans bound as Python bools (or compared with bool()/int()), dates
    # read through parse_date (ISO text on SQLite, datetime on PostgreSQL).
    @property
    def on_postgres(self) -> bool:
        return self.pg_url is not None

    def db(self, write: bool = False) -> sqlite3.Connection:
        """A sqlite3 connection to the server's SQLite file (SQLite only; use query/execute in portable tests)."""
        assert not self.on_postgres, "srv.db() is SQLite only; use srv.query()/srv.execute()"
        if write:
            con = sqlite3.connect(str(self.db_path), timeout=10, isolation_level=None)
        else:
            con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA busy_timeout = 10000")
        return con

    def query(self, sql: str, *args) -> list[dict]:
        """Rows of `sql` (with `?` placeholders) as dicts keyed by column name, on SQLite or PostgreSQL."""
        if self.on_postgres:
            with pg_connect(self.pg_url) as con:
                cur = con.execute(pg_sql(sql), args)
                return [dict(r) for r in cur.fetchall()] if cur.description else []
        con = self.db()
        try:
            return [dict(r) for r in con.execute(sql, args).fetchall()]
        finally:
            con.close()

    def execute(self, sql: str, *args):
        """Runs one writing statement (with `?` placeholders), committed at once, on SQLite or PostgreSQL."""
        if self.on_postgres:
            with pg_connect(self.pg_url) as con:
                con.execute(pg_sql(sql), args)
            return
        con = self.db(write=True)
        try:
            con.execute(sql, args)
        finally:
            con.close()

    def cleanup(self):
        """After stop(): removes the temp dir and drops the server's own PostgreSQL database, unless
        GATEHOUSE_KEEP_TMP is set."""
        if os.environ.get("GATEHOUSE_KEEP_TMP"):
            return
        if self.pg_database and (self.tmp / "postgres-database").exists():
            pg_drop_database(self.pg_database)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def columns(self, table: str) -> set[str]:
        """The column names of `table`."""
        if self.on_postgres:
            rows = self.query("SELECT column_name AS name FROM information_schema.columns "
                              "WHERE table_schema = current_schema() AND table_name = ?", table)
        else:
            rows = self.query(f'PRAGMA table_info("{table}")')
        return {r["name"] for r in rows}

    def unique_column_sets(self, table: str) -> set[tuple[str, ...]]:
        """The column tuples (in index order) of every unique index or constraint of `table`."""
        out = set()
        if self.on_postgres:
            rows = self.query(
                "SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
                "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                "WHERE i.indisunique AND t.relname = ? AND n.nspname = current_schema() GROUP BY i.indexrelid",
                table)
            return {tuple(r["cols"]) for r in rows}
        for idx in self.query(f'PRAGMA index_list("{table}")'):
            if idx["unique"]:
                out.add(tuple(r["name"] for r in self.query(f'PRAGMA index_info("{idx["name"]}")')))
        return out

    # -- clients --
    def client(self, **kw) -> "Client":
        return Client(self, **kw)

    def cookie_name(self, name: str = "session_token") -> str:
        adv = self.config.get("advanced", {}) or {}
        prefix = adv.get("cookiePrefix", "better-auth")
        secure = adv.get("useSecureCookies")
        if secure is None:
            secure = self.base_url.startswith("https://") or self.config.get("mode") == "production"
        return ("__Secure-" if secure else "") + f"{prefix}.{name}"


# ---------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------

class Client:
    """requests.Session wrapper with its own cookie jar (name -> value) and the base path.

    POSTs carry `Origin: <baseURL origin>` unless origin=None is passed. Redirects are never followed.
    """

    def __init__(self, server: GatehouseServer, origin: str | None = "default", user_agent: str | None = None):
        self.server = server
        self.s = requests.Session()
        self.s.trust_env = False
        self.s.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # we manage cookies ourselves
        if user_agent:
            self.s.headers["User-Agent"] = user_agent
        self.origin = server.origin if origin == "default" else origin
        self.cookies: dict[str, str] = {}
        self.email: str | None = None
        self.password: str | None = None
        self.user: dict | None = None
        self.last: requests.Response | None = None

    # -- cookies --
    def cookie_header(self) -> str | None:
        if not self.cookies:
            return None
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _absorb(self, r: requests.Response):
        for c in set_cookies(r):
            if c.is_deletion or c.value == "":
                self.cookies.pop(c.name, None)
            else:
                self.cookies[c.name] = c.value

    @property
    def session_cookie(self) -> str | None:
        return self.cookies.get(self.server.cookie_name("session_token"))

    @property
    def token(self) -> str | None:
        c = self.session_cookie
        return None if c is None else urllib.parse.unquote(c).rsplit(".", 1)[0]

    # -- requests --
    def url(self, path: str) -> str:
        if path.startswith("http://") or path.startswith("https://"):
            return path
        if path.startswith("/"):  # absolute path on the server
            return self.server.url + path
        return self.server.api + "/" + path

    def request(self, method: str, path: str, *, headers: dict | None = None, origin="default",
                cookies: bool | str = True, absorb: bool = True, **kw) -> requests.Response:
        h = {}
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            o = self.origin if origin == "default" else origin
            if o is not None:
                h["Origin"] = o
        if isinstance(cookies, str):
            h["Cookie"] = cookies
        elif cookies and self.cookie_header():
            h["Cookie"] = self.cookie_header()
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        r = self.s.request(method, self.url(path), headers=h, **kw)
        self.last = r
        if absorb:
            self._absorb(r)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        if json is None and "data" not in kw:
            json = {}
        if json is not None:
            kw["json"] = json
        return self.request("POST", path, **kw)

    # -- auth helpers --
    def sign_up(self, email: str | None = None, password: str = DEFAULT_PASSWORD, name: str = "Test User",
                **extra) -> requests.Response:
        email = email or unique_email()
        r = self.post("sign-up/email", {"email": email, "password": password, "name": name, **extra})
        if r.status_code == 200:
            self.email, self.password = email, password
            self.user = r.json().get("user")
        return r

    def sign_in(self, email: str | None = None, password: str | None = None, **extra) -> requests.Response:
        email = email or self.email
        password = password or self.password
        r = self.post("sign-in/email", {"email": email, "password": password, **extra})
        if r.status_code == 200:
            self.email, self.password = email, password
            self.user = r.json().get("user")
        return r

    def new_user(self, email: str | None = None, password: str = DEFAULT_PASSWORD, name: str = "Test User") -> "Client":
        r = self.sign_up(email, password, name)
        assert r.status_code == 200, f"sign-up failed: {r.status_code} {r.text}"
        return self

    def get_session(self, **params) -> requests.Response:
        return self.get("get-session", params=params or None)

    def session(self) -> dict | None:
        r = self.get_session()
        assert r.status_code == 200, r.text
        return r.json()

    def fork(self) -> "Client":
        """A second, independent browser for the same user (new sign-in)."""
        c = Client(self.server)
        r = c.sign_in(self.email, self.password)
        assert r.status_code == 200, r.text
        return c


def assert_error(r: requests.Response, status: int, code: str | None = None, message: str | None = None):
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:500]}"
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {r.text[:500]!r} (content-type {r.headers.get('content-type')})")
    assert isinstance(body, dict), body
    if code is not None:
        assert body.get("code") == code, f"expected code {code}, got {body}"
    assert isinstance(body.get("message"), str) and body["message"], f"error without message: {body}"
    if message is not None:
        assert body["message"] == message, f"expected message {message!r}, got {body['message']!r}"
    return body


def assert_empty_404(r: requests.Response):
    assert r.status_code == 404, f"expected 404, got {r.status_code}: {r.text[:300]}"
    assert r.content == b"", f"expected empty body, got {r.content[:300]!r}"


def wait_until(fn, timeout: float = 5.0, interval: float = 0.05):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            return v
        time.sleep(interval)


# ---------------------------------------------------------------------------
# pytest wiring
# ---------------------------------------------------------------------------

_LIVE_SERVERS: list[GatehouseServer] = []


def pytest_collection_modifyitems(config, items):
    """Each pass runs its own tests: scripts/test.sh deselects with -m; should a run forget, tests
    about SQLite files (sqlite_only) are skipped on PostgreSQL, and PostgreSQL-only tests
    (postgres_only: several instances, outages) without a cluster."""
    wrong = "sqlite_only" if on_postgres() else "postgres_only"
    skip = pytest.mark.skip(reason=f"{wrong}: not for this pass")
    for item in items:
        if item.get_closest_marker(wrong):
            item.add_marker(skip)


@pytest.fixture
def pg_database():
    """A fresh database on the test cluster (PostgreSQL pass): its URL; dropped afterwards."""
    name = f"gh_{uuid.uuid4().hex[:20]}"
    pg_create_database(name)
    yield f"{PG_ADMIN_URL}/{name}"
    pg_drop_database(name)


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.stop()


def _start(overrides, smtp, name, **kw) -> GatehouseServer:
    srv = GatehouseServer(overrides, smtp=smtp, name=name, **kw)
    srv.start()
    _LIVE_SERVERS.append(srv)
    return srv


@pytest.fixture(scope="session")
def gatehouse(smtp_sink):
    """The shared default server (Better Auth defaults + SMTP transport + trusted origins)."""
    srv = _start({}, smtp_sink, "shared")
    yield srv
    srv.stop()
    if srv in _LIVE_SERVERS:
        _LIVE_SERVERS.remove(srv)
    srv.cleanup()


@pytest.fixture(scope="session")
def server_factory(smtp_sink):
    """Session-scoped factory with memoisation: the same override dict starts one server only."""
    cache: dict[str, GatehouseServer] = {}

    def make(overrides: dict | None = None, *, name: str = "custom", email: bool = True, fresh: bool = False,
             **kw) -> GatehouseServer:
        key = json.dumps([overrides, email, kw], sort_keys=True, default=str)
        if not fresh and key in cache:
            return cache[key]
        srv = _start(overrides or {}, smtp_sink if email else None, name, **kw)
        if not fresh:
            cache[key] = srv
        return srv

    yield make
    for srv in list(_LIVE_SERVERS):
        srv.terminate()
    for srv in list(_LIVE_SERVERS):
        srv.stop()
        if srv.tmp.name.startswith("gatehouse-"):
            srv.cleanup()
    _LIVE_SERVERS.clear()


@pytest.fixture
def server(server_factory, request):
    """Function-scoped factory: `server({...})` starts a fresh server + DB for this test; stopped afterwards."""
    started: list[GatehouseServer] = []

    def make(overrides: dict | None = None, **kw) -> GatehouseServer:
        srv = server_factory(overrides, fresh=True, name=request.node.name[:30], **kw)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
        if srv in _LIVE_SERVERS:
            _LIVE_SERVERS.remove(srv)
        srv.cleanup()


@pytest.fixture
def client(gatehouse) -> Client:
    return gatehouse.client()


@pytest.fixture
def user(gatehouse) -> Client:
    """A freshly signed-up (and therefore signed-in) user on the shared server."""
    return gatehouse.client().new_user()


@pytest.fixture(autouse=True)
def _log_offsets(request):
    request.node._gh_log_offsets = {id(s): s.log_size() for s in _LIVE_SERVERS}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        offsets = getattr(item, "_gh_log_offsets", {})
        for srv in _LIVE_SERVERS:
            text = srv.logs(offsets.get(id(srv), 0))
            if text.strip():
                lines = text.splitlines()[-60:]
                rep.sections.append((f"gatehouse log ({srv.tmp})", "\n".join(lines)))
