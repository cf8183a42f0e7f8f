"""console plugin (issue 26): the operator console at {basePath}/console/, driven by a real browser
(Python playwright on Debian's /usr/bin/chromium, JavaScript on and off) and by `requests` for the
effects: sign-in (password, two-factor with pyotp, non-admins, bans), the path-scoped Strict cookie,
every page (dashboard numbers, users search and paging, user detail with revoke / ban / unban / set
role, organizations, plugins with live disable / enable, webhook redelivery verified with
`standardwebhooks`, the audit log), refusals with the underlying plugin's status and code, forms
posted from another origin (a second local page on another port), and on every page: the security
headers, no inline script or handler, a label for every control, the landmarks, and no secret.

One server (module scope) with admin, console, organization, audit-log, webhooks, two-factor and
jwt enabled from a pluginsDir whose available/ shelf holds them all (and bearer, only available).
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import signal
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lxml.html
import pyotp
import pytest
import requests
from playwright.sync_api import sync_playwright
from standardwebhooks import Webhook

from conftest import (DEFAULT_PASSWORD, TEST_SECRET, free_port, iso_ms, now_utc, parse_date, set_cookie_map,
                      unique_email, verify_signed_value, wait_until)
from test_bearer import built_library

CHROMIUM = "/usr/bin/chromium"
PAGE_SIZE = 3
ENABLED = ("admin", "console", "organization", "audit-log", "webhooks", "two-factor", "jwt")
ONLY_AVAILABLE = ("bearer",)
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"console-test-webhook-secret-0123").decode()
NAV = {"Dashboard": "/console/", "Users": "/console/users", "Organizations": "/console/organizations",
       "Plugins": "/console/plugins", "Webhooks": "/console/webhooks", "Audit log": "/console/audit"}
GET_PAGES = ["/console/", "/console/users", "/console/organizations", "/console/plugins", "/console/webhooks",
             "/console/audit"]

# What no console page may show: filled as the tests learn them, checked on every page as it is
# fetched, and again at the end (with everything the database holds) over every page seen.
SECRETS: set[str] = {TEST_SECRET, WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_")}
PAGES: list[tuple[str, str]] = []


def secret(*values):
    for v in values:
        if v and len(str(v)) >= 8:
            SECRETS.add(str(v))


# ---------------------------------------------------------------------------------------------
# page checks


def check_headers(status: int, headers, where: str):
    assert status < 500, f"{where}: {status}"
    h = {k.lower(): v for k, v in dict(headers).items()}
    csp = h.get("content-security-policy")
    assert csp, f"{where}: no Content-Security-Policy in {h}"
    directives = {}
    for part in csp.split(";"):
        bits = part.split()
        if bits:
            directives[bits[0].lower()] = bits[1:]
    assert directives.get("default-src") in (["'none'"], ["'self'"]), (where, csp)
    assert directives.get("script-src") == ["'self'"], (where, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    assert directives.get("form-action") == ["'self'"], (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (where, csp)
    assert "no-store" in h.get("cache-control", ""), (where, h.get("cache-control"))
    assert h.get("x-content-type-options", "").lower() == "nosniff", where
    assert h.get("referrer-policy", "").lower() == "same-origin", (where, h.get("referrer-policy"))


def check_secrets(text: str, where: str):
    for s in SECRETS:
        assert s not in text, f"{where} shows a secret ({s[:6]}…)"


def check_html(text: str, url: str, where: str, *, nav: bool = True, h1: str | None = None):
    """The markup rules of every console page; returns the parsed document."""
    PAGES.append((where, text))
    check_secrets(text, where)
    doc = lxml.html.document_fromstring(text)
    assert doc.tag == "html" and (doc.get("lang") or "").strip(), f"{where}: no <html lang>"
    title = doc.find(".//title")
    assert title is not None and title.text_content().strip(), f"{where}: no <title>"
    assert len(doc.findall(".//main")) == 1, f"{where}: not exactly one <main>"
    headings = [e.text_content().strip() for e in doc.iter("h1")]
    assert headings and all(headings), f"{where}: no <h1>"
    if h1 is not None:
        assert any(h1.lower() in t.lower() for t in headings), f"{where}: <h1> {headings} does not name {h1!r}"
    # No handler attribute, javascript: URL, inline script or inline style, as a second parser
    # (Python's tokenizer, close to a browser's) sees the tags too.
    for tag, attrs in StartTags.of(text):
        names = {name for name, _ in attrs}
        assert not [n for n in names if n.startswith("on")], f"{where}: <{tag} {sorted(names)}> has an on*= attribute"
        assert tag != "script" or "src" in names, f"{where}: an inline <script>"
        assert "style" not in names and tag != "style", f"{where}: inline style on <{tag}>"
    assert "window.confirm" not in text, where
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: <{el.tag} {name}=…>"
            assert "javascript:" not in re.sub(r"\s", "", value).lower(), f"{where}: javascript: in <{el.tag} {name}>"
            assert name.lower() != "style", f"{where}: an inline style on <{el.tag}>"
        if el.tag == "script":
            assert el.get("src") and not (el.text or "").strip(), f"{where}: an inline <script>"
        assert el.tag != "style", f"{where}: an inline <style>"
    labelled = {l.get("for") for l in doc.iter("label") if l.get("for") and l.text_content().strip()}
    for control in doc.iter("input", "select", "textarea"):
        if control.tag == "input" and (control.get("type") or "text").lower() in ("hidden", "submit", "button", "reset", "image"):
            continue
        assert control.get("id") and control.get("id") in labelled, \
            f"{where}: <{control.tag} name={control.get('name')!r}> has no <label for>"
    if nav:
        links = {}
        for n in doc.iter("nav"):
            for a in n.iter("a"):
                links.setdefault(a.text_content().strip(), urllib.parse.urljoin(url, a.get("href") or ""))
        base = urllib.parse.urlsplit(url)
        for label, path in NAV.items():
            assert label in links, f"{where}: no nav link {label!r} (links: {sorted(links)})"
            target = urllib.parse.urlsplit(links[label])
            assert target.netloc == base.netloc and target.path == "/api/auth" + path, (where, label, links[label])
        forms = [f for f in doc.iter("form") if urllib.parse.urlsplit(urllib.parse.urljoin(url, f.get("action") or "")).path
                 == "/api/auth/console/sign-out"]
        assert forms and (forms[0].get("method") or "").lower() == "post", f"{where}: no POST form to /console/sign-out"
        assert any(button_text(b) == "Sign out" for b in buttons(forms[0])), f"{where}: no \"Sign out\" button"
    return doc


class StartTags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    @classmethod
    def of(cls, text):
        parser = cls()
        parser.feed(text)
        parser.close()
        return parser.tags


def buttons(form):
    return [b for b in form.iter("button", "input")
            if b.tag == "button" and (b.get("type") or "submit").lower() == "submit"
            or b.tag == "input" and (b.get("type") or "").lower() == "submit"]


def button_text(b) -> str:
    return (b.text_content() if b.tag == "button" else b.get("value") or "").strip()


def alert(doc) -> str:
    return " ".join(e.text_content() for e in doc.xpath('//*[@role="alert"]'))


def status_message(doc) -> str:
    return " ".join(e.text_content() for e in doc.xpath('//*[@role="status"]'))


def cells(row) -> list[str]:
    return [" ".join(c.text_content().split()) for c in row.iter("td", "th")]


def rows_with(doc, text: str):
    return [tr for tr in doc.iter("tr") if text in tr.text_content()]


def user_links(doc) -> list[str]:
    """The user ids linked from a page (e-mails linking to /console/users/<id>)."""
    out = []
    for a in doc.iter("a"):
        m = re.fullmatch(r"(?:.*)/console/users/([^/?#]+)", urllib.parse.urlsplit(a.get("href") or "").path)
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


def next_link(doc, url) -> str | None:
    for a in doc.iter("a"):
        if a.text_content().strip() == "Next":
            return urllib.parse.urljoin(url, a.get("href"))
    return None


def dashboard_numbers(doc) -> dict[str, int]:
    out = {}
    for dl in doc.iter("dl"):
        for dt in dl.iter("dt"):
            dd = dt.getnext()
            while dd is not None and dd.tag != "dd":
                dd = dd.getnext()
            assert dd is not None, dt.text_content()
            out[dt.text_content().strip()] = int(dd.text_content().strip().replace(",", ""))
    return out


# ---------------------------------------------------------------------------------------------
# the console through requests: a form-driven mini browser


class Page:
    def __init__(self, resp: requests.Response, doc):
        self.resp, self.doc, self.url, self.status = resp, doc, resp.url, resp.status_code

    @property
    def text(self):
        return self.resp.text


class Console:
    """A console browser over requests (its own cookie jar; POSTs carry the server's Origin)."""

    def __init__(self, srv, client=None):
        self.srv = srv
        self.c = client or srv.client()

    @property
    def cookie(self) -> str | None:
        return self.c.cookies.get(self.srv.cookie_name("console_session"))

    def raw(self, method, path, **kw) -> requests.Response:
        r = self.c.request(method, path, **kw)
        check_headers(r.status_code, r.headers, f"{method} {path}")
        if r.headers.get("content-type", "").startswith("text/html"):
            PAGES.append((f"{method} {path}", r.text))
            check_secrets(r.text, f"{method} {path}")
        return r

    def get(self, path, expect: int | tuple = 200, nav=True, h1=None, **kw) -> Page:
        r = self.raw("GET", path, **kw)
        expected = expect if isinstance(expect, tuple) else (expect,)
        assert r.status_code in expected, f"GET {path}: {r.status_code} {r.text[:500]}"
        doc = None
        if r.status_code not in (301, 302, 303, 307, 308):
            assert r.headers.get("content-type", "").startswith("text/html"), r.headers.get("content-type")
            doc = check_html(r.text, r.url, f"GET {path}", nav=nav and r.status_code == 200, h1=h1)
        return Page(r, doc)

    def form(self, page: Page, button: str, within: str | None = None):
        """The form holding the submit button `button` (in the table row / form mentioning `within`)."""
        found = []
        for f in page.doc.iter("form"):
            if not any(button_text(b) == button for b in buttons(f)):
                continue
            if within is not None:
                scope = next((a for a in f.iterancestors() if a.tag == "tr"), f)
                if within not in scope.text_content() and within not in lxml.html.tostring(scope, encoding="unicode"):
                    continue
            found.append(f)
        assert found, f"no form with a {button!r} button{' near ' + within if within else ''} on {page.url}"
        return found[0]

    def fields(self, page: Page, form, filled: dict | None = None) -> dict:
        data = {}
        for el in form.iter("input", "select", "textarea"):
            name, kind = el.get("name"), (el.get("type") or "text").lower()
            if not name or el.tag == "input" and kind in ("submit", "button", "reset", "image"):
                continue
            if el.tag == "select":
                chosen = [o for o in el.iter("option") if o.get("selected") is not None] or list(el.iter("option"))[:1]
                data[name] = chosen[0].get("value", chosen[0].text_content()) if chosen else ""
            elif el.tag == "textarea":
                data[name] = el.text or ""
            elif kind in ("checkbox", "radio"):
                if el.get("checked") is not None:
                    data[name] = el.get("value", "on")
            else:
                data[name] = el.get("value", "")
        for label, value in (filled or {}).items():
            target = [l.get("for") for l in page.doc.iter("label") if l.text_content().strip() == label]
            assert target, f"no label {label!r} on {page.url}"
            control = page.doc.get_element_by_id(target[0])
            data[control.get("name")] = value
        return data

    def submit(self, page: Page, button: str, filled: dict | None = None, within: str | None = None,
               expect: int | tuple = 303, **kw) -> requests.Response:
        f = self.form(page, button, within)
        data = self.fields(page, f, filled)
        for b in buttons(f):
            if button_text(b) == button and b.get("name"):
                data[b.get("name")] = b.get("value", "")
        action = urllib.parse.urljoin(page.url, f.get("action") or page.url)
        method = (f.get("method") or "get").upper()
        if method == "GET":
            r = self.raw("GET", action, params=data, **kw)
        else:
            r = self.raw("POST", action, data=data, **kw)
        expected = expect if isinstance(expect, tuple) else (expect,)
        assert r.status_code in expected, f"{method} {action}: {r.status_code} {r.text[:800]}"
        if r.status_code < 300 or r.status_code >= 400:
            if r.headers.get("content-type", "").startswith("text/html"):
                check_html(r.text, r.url, f"{method} {action}", nav=False)
        return r

    def follow(self, r: requests.Response, **kw) -> Page:
        assert r.status_code == 303, f"{r.status_code} {r.text[:300]}"
        return self.get(urllib.parse.urljoin(r.url, r.headers["location"]), **kw)

    def sign_in(self, email, password, expect=303) -> requests.Response:
        page = self.get("console/sign-in", nav=False, h1="Sign in")
        return self.submit(page, "Sign in", {"Email": email, "Password": password}, expect=expect)


def location_path(r) -> str:
    return urllib.parse.urlsplit(urllib.parse.urljoin(r.url, r.headers.get("location", ""))).path


def session_rows(srv, user_id):
    return srv.query('SELECT id, token, "expiresAt" FROM "session" WHERE "userId" = ?', user_id)


def session_count(srv, user_id) -> int:
    return len(session_rows(srv, user_id))


def user_row(srv, user_id) -> dict:
    row = srv.query('SELECT email, name, role, banned, "banReason" FROM "user" WHERE id = ?', user_id)[0]
    row["banned"] = bool(int(row["banned"] or 0))
    return row


def known(c):
    """Records a client's session token and password hash as secrets."""
    secret(c.token)
    if c.user:
        for r in c.server.query('SELECT password FROM account WHERE "userId" = ? AND password IS NOT NULL', c.user["id"]):
            secret(r["password"], r["password"].split(":", 1)[-1])
    return c


# ---------------------------------------------------------------------------------------------
# playwright


def scan_response(resp, where, nav=True, h1=None):
    """Headers of the final answer and of each redirect before it, and the page rules of its body."""
    assert resp is not None, where
    hop = resp.request.redirected_from
    while hop is not None:
        earlier = hop.response()
        if earlier is not None:
            check_headers(earlier.status, earlier.all_headers(), where + " (redirect)")
        hop = hop.redirected_from
    check_headers(resp.status, resp.all_headers(), where)
    return check_html(resp.text(), resp.url, where, nav=nav and resp.status == 200, h1=h1)


def goto(page, path, nav=True, h1=None):
    resp = page.goto(path)
    return resp, scan_response(resp, f"browser GET {path}", nav=nav, h1=h1)


def click(page, locator, nav=True, h1=None):
    """Clicks something that navigates; the final answer (after redirects) and its document."""
    with page.expect_navigation() as navigation:
        locator.click()
    resp = navigation.value
    return resp, scan_response(resp, f"browser {resp.request.method} {resp.url}", nav=nav, h1=h1)


def browser_sign_in(ctx, email, password):
    """Signs in through the form; the page, on the dashboard."""
    page = ctx.new_page()
    goto(page, "/api/auth/console/sign-in", nav=False, h1="Sign in")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    resp, doc = click(page, page.get_by_role("button", name="Sign in", exact=True), h1="Dashboard")
    assert resp.status == 200 and urllib.parse.urlsplit(resp.url).path == "/api/auth/console/", (resp.status, resp.url)
    return page


def console_cookie(ctx):
    return next((c for c in ctx.cookies() if c["name"] == "better-auth.console_session"), None)


# ---------------------------------------------------------------------------------------------
# helpers around the server


class Receiver:
    """A webhook receiver on 127.0.0.1: answers 500 to bodies holding a string of `failing`, else 200."""

    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.received: list[dict] = []
        self.failing: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                with receiver.lock:
                    receiver.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                    fail = any(s in body for s in receiver.failing)
                self.send_response(500 if fail else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def about(self, text):
        with self.lock:
            return [r for r in self.received if text in r["body"]]


class OtherSite:
    """A second local web page on another port (same site, another origin) whose forms post to the console."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = site.pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def form(self, path, action, fields: dict, auto: bool):
        inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
        script = "<script>document.forms[0].submit()</script>" if auto else ""
        self.pages[path] = (f'<!doctype html><html lang="en"><title>Win a prize</title>'
                            f'<form method="post" action="{action}">{inputs}<button>Claim</button></form>{script}</html>')
        return self.url + path


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    os.umask(0o022)
    plugins = tmp_path_factory.mktemp("console-plugins")
    (plugins / "available").mkdir()
    for id in ENABLED + ONLY_AVAILABLE:
        shutil.copy(built_library(id), plugins / "available" / f"{id}.so")
    for id in ENABLED:
        shutil.copy(built_library(id), plugins / f"{id}.so")
    return plugins


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


@pytest.fixture(scope="module")
def other_site():
    site = OtherSite()
    yield site
    site.httpd.shutdown()
    site.httpd.server_close()


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir, receiver):
    return server_factory({
        "pluginsDir": str(plugins_dir),
        "plugins": {
            "console": {"pageSize": PAGE_SIZE},
            "admin": {"roles": {"support": {"user": ["list", "get"]}}},
            "webhooks": {"endpoints": [{"id": "console-hook", "url": f"http://127.0.0.1:{receiver.port}/hook",
                                        "secret": WEBHOOK_SECRET, "events": ["user.created"]}],
                         "allowPrivateNetworks": True, "retry": {"maxAttempts": 1}},
        },
    }, name="console")


def make_admin(srv, name="Console Admin", role="admin"):
    c = srv.client().new_user(name=name)
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', role, c.user["id"])
    return known(c)


@pytest.fixture(scope="module")
def admin(srv):
    return make_admin(srv)


def quick_user(srv, admin, name="Quick User", role="user", email=None, password=False) -> SimpleNamespace:
    """A user made by the admin plugin (no password hashing: scrypt costs ~1 s a time in a debug
    build); with password=True it gets a copy of the admin's credential, so DEFAULT_PASSWORD."""
    r = admin.post("admin/create-user", {"email": email or unique_email("quick"), "name": name, "role": role})
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    if password:
        given = {"id": "acc" + os.urandom(12).hex(), "accountId": user["id"], "userId": user["id"]}
        columns = sorted(srv.columns("account"))
        names = ", ".join('"%s"' % c for c in columns)
        values = ", ".join("?" if c in given else '"%s"' % c for c in columns)
        srv.execute(f"INSERT INTO account ({names}) SELECT {values} FROM account "
                    "WHERE \"userId\" = ? AND \"providerId\" = 'credential'",
                    *[given[c] for c in columns if c in given], admin.user["id"])
    return SimpleNamespace(user=user, email=user["email"], password=admin.password if password else None)


@pytest.fixture(scope="module")
def console(srv, admin):
    """The admin signed in to the console (requests)."""
    con = Console(srv)
    r = con.sign_in(admin.email, admin.password)
    assert location_path(r) == "/api/auth/console/"
    assert con.cookie
    secret(verify_signed_value(con.cookie))
    con.first = r
    return con


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no {CHROMIUM}: scripts/setup.sh --test installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_context(browser, srv, **kw):
    """A browser context that records what the page's CSP refused and every uncaught script error."""
    ctx = browser.new_context(base_url=srv.url, **kw)
    ctx.problems = []
    ctx.on("console", lambda m: ctx.problems.append(m.text) if m.type == "error" and "Content Security Policy" in m.text else None)
    ctx.on("weberror", lambda e: ctx.problems.append(str(e.error)))
    return ctx


def close_context(ctx):
    problems = list(ctx.problems)
    ctx.close()
    assert not problems, f"the browser reported: {problems}"


@pytest.fixture
def context(browser, srv):
    ctx = open_context(browser, srv)
    yield ctx
    close_context(ctx)


@pytest.fixture
def admin_page(context, admin):
    """A JavaScript-enabled browser signed in to the console as the admin."""
    return browser_sign_in(context, admin.email, admin.password)


# ---------------------------------------------------------------------------------------------
# sign-in


def test_sign_in_in_a_browser_sets_a_strict_path_scoped_cookie(srv, admin, context, console):
    page = browser_sign_in(context, admin.email, admin.password)
    cookie = console_cookie(context)
    assert cookie is not None, context.cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/api/auth/console", cookie
    assert cookie["secure"] is False                       # http://: no Secure
    assert srv.cookie_name("session_token") not in {c["name"] for c in context.cookies()}
    token = verify_signed_value(cookie["value"])
    assert token, "the console cookie is not signed like the session cookie"
    secret(token)
    row = srv.query('SELECT "userId", "expiresAt" FROM "session" WHERE token = ?', token)
    assert row and row[0]["userId"] == admin.user["id"], "the cookie does not name a session row of the admin"
    left = (parse_date(row[0]["expiresAt"]) - now_utc()).total_seconds()
    assert 28800 - 60 < left <= 28800 + 5, left
    assert page.locator("h1").first.inner_text().strip()
    # The cookie stays on the console's path: the app's own routes never see it.
    assert console_cookie(context) in context.cookies(srv.url + "/api/auth/console/users")
    assert not [c for c in context.cookies(srv.url + "/api/auth/get-session") if c["name"].endswith("console_session")]

    # The same through requests (the console fixture's sign-in): the Set-Cookie attributes themselves.
    r = console.first
    assert location_path(r) == "/api/auth/console/"
    c = set_cookie_map(r)["better-auth.console_session"]
    assert c.attrs.get("httponly") is True and str(c.attrs.get("samesite")).lower() == "strict", c
    assert c.attrs.get("path") == "/api/auth/console" and c.max_age == 28800 and "secure" not in c.attrs, c
    assert srv.cookie_name("session_token") not in set_cookie_map(r)
    assert status_message(console.follow(r, h1="Dashboard").doc).strip(), "no role=status message after sign-in"


def test_wrong_passwords_non_admins_and_foreign_origins_get_no_cookie(srv, admin, context):
    # In the browser: a wrong password is a 401 page with the form again, and no cookie.
    page = context.new_page()
    goto(page, "/api/auth/console/sign-in", nav=False, h1="Sign in")
    page.get_by_label("Email", exact=True).fill(admin.email)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    resp, doc = click(page, page.get_by_role("button", name="Sign in", exact=True), nav=False)
    assert resp.status == 401 and alert(doc).strip(), (resp.status, alert(doc))
    assert "not-the-password" not in resp.text()
    assert console_cookie(context) is None

    before = session_count(srv, admin.user["id"])
    con = Console(srv)
    r = con.sign_in(unique_email("nobody"), DEFAULT_PASSWORD, expect=401)
    assert "better-auth.console_session" not in set_cookie_map(r)
    con.sign_in("not-an-email", DEFAULT_PASSWORD, expect=(400, 401))
    assert session_count(srv, admin.user["id"]) == before

    # Not an administrator (a plain user, a custom role): 403, no cookie, no session row.
    for role in ("user", "support"):
        plain = quick_user(srv, admin, role=role, password=True)
        sessions = session_count(srv, plain.user["id"])
        r = Console(srv).sign_in(plain.email, plain.password, expect=403)
        assert "better-auth.console_session" not in set_cookie_map(r) and not set_cookie_map(r), r.headers
        assert session_count(srv, plain.user["id"]) == sessions, role
        # The refusal is a failed sign-in in the audit log, as the core's refusals are.
        wait_until(lambda: any("NOT_AN_ADMIN" in str(row["data"]) for row in srv.query(
            'SELECT data FROM "auditLog" WHERE type = ? AND "userId" = ?', "signIn.failed", plain.user["id"])))

    # A sign-in form posted from elsewhere (login CSRF): 403, nothing made.
    before = session_count(srv, admin.user["id"])
    for origin in ("http://127.0.0.1:1", "null", "https://trusted.com"):
        r = con.raw("POST", "console/sign-in", data={"email": admin.email, "password": admin.password},
                    headers={"Origin": origin})
        assert r.status_code == 403 and not set_cookie_map(r), (origin, r.status_code)
    r = con.raw("POST", "console/sign-in", data={"email": admin.email, "password": admin.password}, origin=None)
    assert r.status_code == 403 and not set_cookie_map(r), r.status_code
    assert session_count(srv, admin.user["id"]) == before


def test_requests_without_a_console_session_get_no_data(srv, admin, console):
    target = quick_user(srv, admin)
    uid = target.user["id"]
    anonymous = Console(srv)
    paths = GET_PAGES + [f"/console/users/{uid}", "/console/users?q=a&page=2", "/console/audit?type=signIn.failed"]
    for path in paths:
        r = anonymous.raw("GET", "/api/auth" + path)
        assert r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in", (path, r.status_code, r.headers)
        assert target.email not in r.text and uid not in r.text

    # The app's session cookie and its token as a Bearer token are not console credentials.
    app_cookie = f"{srv.cookie_name()}={admin.session_cookie}"
    assert admin.session() is not None
    for headers in ({"Cookie": app_cookie}, {"Authorization": f"Bearer {admin.token}"},
                    {"Cookie": f"better-auth.console_session={admin.token}"},                      # unsigned
                    {"Cookie": f"better-auth.console_session={admin.session_cookie[:-6]}AAAA%3D"},  # bad signature
                    {"Cookie": "better-auth.console_session=" + urllib.parse.quote(
                        verify_signed_value(console.cookie) + ".x", safe="")}):
        for path in ("/console/", f"/console/users/{uid}"):
            r = anonymous.raw("GET", "/api/auth" + path, headers=headers, cookies=False)
            assert r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in", (headers, path, r.status_code)

    # POSTs without a session do nothing.
    actions = [(f"console/users/{uid}/ban", {"reason": "anonymous"}), (f"console/users/{uid}/role", {"role": "admin"}),
               ("console/plugins/jwt/disable", {}), (f"console/users/{uid}/unban", {})]
    for path, data in actions:
        r = anonymous.raw("POST", path, data=data)
        assert r.status_code in (401, 403) or r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in", \
            (path, r.status_code)
        r = anonymous.raw("POST", path, data=data, headers={"Authorization": f"Bearer {admin.token}"})
        assert r.status_code in (401, 403) or r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in", \
            (path, r.status_code)
    row = user_row(srv, uid)
    assert row["banned"] is False and row["role"] == "user", row
    assert (Path(srv.config["pluginsDir"]) / "jwt.so").exists()

    # A console session whose user is no longer an admin, or whose row expired, is refused at once.
    second = quick_user(srv, admin, name="Second Admin", role="admin", password=True)
    con = Console(srv)
    con.sign_in(second.email, second.password)
    con.get("console/", h1="Dashboard")
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', "user", second.user["id"])
    r = con.raw("GET", "console/users")
    assert r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in", r.status_code
    r = con.raw("POST", f"console/users/{uid}/ban", data={"reason": "demoted"})
    assert r.status_code in (303, 401, 403) and user_row(srv, uid)["banned"] is False
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', "admin", second.user["id"])
    con.get("console/users", h1="Users")
    token = verify_signed_value(con.cookie)
    srv.execute('UPDATE "session" SET "expiresAt" = ? WHERE token = ?', iso_ms(now_utc() - timedelta(minutes=1)), token)
    r = con.raw("GET", "console/users")
    assert r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in", r.status_code


@pytest.fixture(scope="module")
def two_factor_admin(srv):
    """An admin with TOTP enabled through the two-factor plugin's routes: (client, authenticator, backup codes)."""
    adm = make_admin(srv, name="Two Factor Admin")
    r = adm.post("two-factor/enable", {"password": adm.password})
    assert r.status_code == 200, r.text
    totp = pyotp.parse_uri(r.json()["totpURI"])
    backup = r.json()["backupCodes"]
    secret(totp.secret, *backup)
    raw = base64.b32decode(totp.secret + "=" * (-len(totp.secret) % 8))
    secret(raw.decode("latin-1"))
    if time.time() % 30 > 28:
        time.sleep(2.1)
    r = adm.post("two-factor/verify-totp", {"code": totp.at(time.time() - 30)})   # now() stays unused
    assert r.status_code == 200, r.text
    assert srv.query('SELECT "twoFactorEnabled" FROM "user" WHERE id = ?', adm.user["id"])[0]["twoFactorEnabled"] in (1, True)
    return known(adm), totp, backup


def test_an_admin_with_two_factor_passes_the_code_form(srv, context, two_factor_admin):
    adm, totp, backup = two_factor_admin
    # The browser: password, then the code form (no cookie yet); a wrong code, then the right one.
    page = context.new_page()
    goto(page, "/api/auth/console/sign-in", nav=False)
    page.get_by_label("Email", exact=True).fill(adm.email)
    page.get_by_label("Password", exact=True).fill(adm.password)
    resp, doc = click(page, page.get_by_role("button", name="Sign in", exact=True), nav=False)
    assert resp.status == 200 and page.get_by_label("Code", exact=True).count() == 1, resp.status
    assert console_cookie(context) is None
    page.get_by_label("Code", exact=True).fill(f"{(int(totp.now()) + 500_000) % 1_000_000:06d}")
    resp, doc = click(page, page.get_by_role("button", name="Verify", exact=True), nav=False)
    assert resp.status in (400, 401, 403) and alert(doc).strip(), resp.status
    assert console_cookie(context) is None
    page.get_by_label("Code", exact=True).fill(totp.now())
    resp, doc = click(page, page.get_by_role("button", name="Verify", exact=True), h1="Dashboard")
    assert resp.status == 200 and urllib.parse.urlsplit(resp.url).path == "/api/auth/console/"
    assert console_cookie(context) is not None

    # requests: a backup code works once; the challenge is single-use.
    con = Console(srv)
    r = con.sign_in(adm.email, adm.password, expect=200)
    challenge = Page(r, lxml.html.document_fromstring(r.text))
    assert not con.cookie and not set_cookie_map(r)
    data = con.fields(challenge, con.form(challenge, "Verify"), {"Code": backup[0]})
    action = urllib.parse.urljoin(r.url, con.form(challenge, "Verify").get("action") or r.url)
    r = con.raw("POST", action, data=data)
    assert r.status_code == 303 and location_path(r) == "/api/auth/console/" and con.cookie, r.status_code
    again = Console(srv)
    data[[k for k, v in data.items() if v == backup[0]][0]] = backup[1]
    r = again.raw("POST", action, data=data)
    assert r.status_code in (400, 401, 403) and not again.cookie, r.status_code       # challenge used up
    r = again.sign_in(adm.email, adm.password, expect=200)
    challenge = Page(r, lxml.html.document_fromstring(r.text))
    r = again.submit(challenge, "Verify", {"Code": backup[0]}, expect=(400, 401, 403))  # backup code used up
    assert not again.cookie

    # Five wrong codes use a challenge up: the right code is refused after them.
    r = again.sign_in(adm.email, adm.password, expect=200)
    challenge = Page(r, lxml.html.document_fromstring(r.text))
    code_field = challenge.doc.get_element_by_id(next(l.get("for") for l in challenge.doc.iter("label")
                                                      if l.text_content().strip() == "Code")).get("name")
    data = again.fields(challenge, again.form(challenge, "Verify"))
    for attempt in range(5):
        wrong = f"{(int(totp.now()) + 500_000 + attempt) % 1_000_000:06d}"
        r = again.raw("POST", action, data={**data, code_field: wrong})
        assert r.status_code in (400, 401, 403, 429) and not again.cookie, (attempt, r.status_code)
    r = again.raw("POST", action, data={**data, code_field: backup[2]})
    assert r.status_code in (400, 401, 403) and not again.cookie, r.status_code


# ---------------------------------------------------------------------------------------------
# pages


def test_the_dashboard_counts(srv, admin, console):
    srv.client().post("sign-in/email", {"email": unique_email("dash"), "password": "wrong-password-1"})
    page = console.get("console/", h1="Dashboard")
    shown = dashboard_numbers(page.doc)
    users = srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"]
    active = sum(1 for r in srv.query('SELECT "expiresAt" FROM "session"') if parse_date(r["expiresAt"]) > now_utc())
    day = now_utc() - timedelta(hours=24)

    def audited(kind):
        return sum(1 for r in srv.query('SELECT "createdAt" FROM "auditLog" WHERE type = ?', kind) if parse_date(r["createdAt"]) > day)

    expected = {"Users": users, "Active sessions": active, "Sign-ins (24 h)": audited("signIn.succeeded"),
                "Failed sign-ins (24 h)": audited("signIn.failed")}
    assert {k: shown.get(k) for k in expected} == expected, shown
    assert expected["Failed sign-ins (24 h)"] > 0 and expected["Sign-ins (24 h)"] > 0
    # One more user and one more failure move the numbers.
    quick_user(srv, admin)
    srv.client().post("sign-in/email", {"email": unique_email("dash"), "password": "wrong-password-1"})
    shown = dashboard_numbers(console.get("console/").doc)
    assert shown["Users"] == users + 1 and shown["Failed sign-ins (24 h)"] == expected["Failed sign-ins (24 h)"] + 1, shown


def test_users_search_and_paging_in_the_browser(srv, admin, admin_page):
    tag = "pager" + os.urandom(4).hex()
    ids = [quick_user(srv, admin, email=f"{tag}-{i}@example.org", name=f"Pager {i}").user["id"]
           for i in range(2 * PAGE_SIZE + 1)]
    page = admin_page
    resp, doc = goto(page, "/api/auth/console/users", h1="Users")
    page.get_by_label("Search", exact=True).fill(tag)
    resp, doc = click(page, page.get_by_role("button", name="Search", exact=True), h1="Users")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(resp.url).query).get("q") == [tag], resp.url
    seen = []
    for number in range(1, 4):
        listed = user_links(doc)
        assert len(listed) == (PAGE_SIZE if number < 3 else 1), (number, listed)
        for uid in listed:
            assert page.locator(f'a[href$="/console/users/{uid}"]').first.inner_text().strip().startswith(tag)
        seen += listed
        if number < 3:
            resp, doc = click(page, page.get_by_role("link", name="Next", exact=True), h1="Users")
        else:
            assert page.get_by_role("link", name="Next", exact=True).count() == 0
    assert sorted(seen) == sorted(ids) and len(set(seen)) == len(ids)
    # The same query again gives the same order (a stable sort); by name as well as by e-mail.
    resp, doc = goto(page, f"/api/auth/console/users?q={tag}")
    assert user_links(doc) == seen[:PAGE_SIZE]
    resp, doc = goto(page, "/api/auth/console/users?q=Pager%206")
    assert ids[6] in user_links(doc)
    for q in ("<script>alert(1)</script>", '" autofocus onfocus="alert(1)', "' onfocus='alert(1)"):
        resp, doc = goto(page, "/api/auth/console/users?q=" + urllib.parse.quote(q))   # check_html: no on*= attribute
        assert "<script>alert(1)</script>" not in resp.text()
        assert page.get_by_label("Search", exact=True).input_value() == q
    # Clicking an e-mail opens the user.
    goto(page, f"/api/auth/console/users?q={tag}-0@")
    resp, doc = click(page, page.get_by_role("link", name=f"{tag}-0@example.org", exact=True))
    assert urllib.parse.urlsplit(resp.url).path == f"/api/auth/console/users/{ids[0]}"


def test_user_detail_revoke_ban_unban_and_set_role(srv, admin, admin_page):
    target, second = srv.client(user_agent="console-target/1.0"), srv.client(user_agent="console-target/2.0")
    target.s.headers["X-Forwarded-For"] = "198.51.100.23"
    second.s.headers["X-Forwarded-For"] = "198.51.100.24"
    known(target.new_user(name="Target <b>Person</b>"))
    assert second.sign_in(target.email, target.password).status_code == 200
    known(second)
    uid = target.user["id"]
    rows = {r["token"]: r["id"] for r in session_rows(srv, uid)}
    first_id, second_id = rows[target.token], rows[second.token]
    page = admin_page
    resp, doc = goto(page, f"/api/auth/console/users/{uid}")
    text = resp.text()
    assert target.email in doc.text_content() and "Target <b>Person</b>" in doc.text_content()
    assert "<b>Person" not in text                                           # escaped
    assert "credential" in doc.text_content() and "user" in doc.text_content()
    for sid, n in ((first_id, 1), (second_id, 2)):
        row = rows_with(doc, sid)
        assert row, f"no session row for {sid}"
        assert f"198.51.100.2{2 + n}" in row[0].text_content() and f"console-target/{n}.0" in row[0].text_content()
    assert target.token not in text and second.token not in text

    # Revoke the first session: its get-session is null, the other lives.
    row = page.locator("tr", has_text=first_id)
    resp, doc = click(page, row.get_by_role("button", name="Revoke", exact=True))
    assert urllib.parse.urlsplit(resp.url).path == f"/api/auth/console/users/{uid}", resp.url
    assert status_message(doc).strip(), "no role=status message after Revoke"
    assert target.get_session().json() is None
    assert second.session() is not None
    assert not rows_with(doc, first_id) and rows_with(doc, second_id)

    # Ban with a reason: the user's sign-in is 403 BANNED_USER.
    reason = "spam-" + os.urandom(3).hex()
    page.get_by_label("Ban reason", exact=True).fill(reason)
    resp, doc = click(page, page.get_by_role("button", name="Ban user", exact=True))
    assert urllib.parse.urlsplit(resp.url).path == f"/api/auth/console/users/{uid}"
    assert status_message(doc).strip()
    assert reason in doc.text_content()
    row = user_row(srv, uid)
    assert row["banned"] is True and row["banReason"] == reason, row
    r = srv.client().sign_in(target.email, target.password)
    assert r.status_code == 403 and r.json().get("code") == "BANNED_USER", r.text
    assert second.get_session().json() is None                                   # a ban ends the sessions
    resp, doc = goto(page, f"/api/auth/console/users/{uid}")
    assert not status_message(doc).strip(), "the flash message is shown twice"     # one-time
    assert reason in doc.text_content()

    # Unban: the sign-in works again.
    resp, doc = click(page, page.get_by_role("button", name="Unban user", exact=True))
    assert status_message(doc).strip()
    assert user_row(srv, uid)["banned"] is False
    back = srv.client()
    assert back.sign_in(target.email, target.password).status_code == 200
    known(back)

    # Set role (a text field or a select).
    role = page.get_by_label("Role", exact=True)
    if role.evaluate("e => e.tagName") == "SELECT":
        role.select_option("support")
    else:
        role.fill("support")
    resp, doc = click(page, page.get_by_role("button", name="Set role", exact=True))
    assert status_message(doc).strip()
    assert user_row(srv, uid)["role"] == "support"
    assert "support" in doc.text_content()


def test_refusals_keep_the_plugins_status_and_code(srv, admin, console):
    me = admin.user["id"]
    page = console.get(f"console/users/{me}")
    r = console.submit(page, "Ban user", {"Ban reason": "myself"}, expect=400)
    assert "YOU_CANNOT_BAN_YOURSELF" in alert(lxml.html.document_fromstring(r.text)), r.text[:2000]
    assert user_row(srv, me)["banned"] is False

    target = quick_user(srv, admin)
    page = console.get(f"console/users/{target.user['id']}")
    r = console.raw("POST", f"console/users/{target.user['id']}/role", data={"role": "ghost"})
    assert r.status_code == 400, r.status_code
    assert "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE" in alert(lxml.html.document_fromstring(r.text))
    check_html(r.text, r.url, "role ghost", nav=False)
    assert user_row(srv, target.user["id"])["role"] == "user"

    # A banned admin cannot open a console session: 403 showing BANNED_USER.
    banned = quick_user(srv, admin, name="Banned Admin", role="admin", password=True)
    r = console.raw("POST", f"console/users/{banned.user['id']}/ban", data={"reason": "gone"})
    assert r.status_code == 303, r.status_code
    con = Console(srv)
    r = con.sign_in(banned.email, banned.password, expect=403)
    assert "BANNED_USER" in r.text and not con.cookie


def test_javascript_off_sign_in_and_actions(srv, admin, browser):
    target = quick_user(srv, admin)
    uid = target.user["id"]
    adm = admin
    ctx = open_context(browser, srv, java_script_enabled=False)
    try:
        page = browser_sign_in(ctx, adm.email, adm.password)
        assert console_cookie(ctx) is not None
        resp, doc = goto(page, f"/api/auth/console/users/{uid}")
        page.get_by_label("Ban reason", exact=True).fill("no-script")
        resp, doc = click(page, page.get_by_role("button", name="Ban user", exact=True))
        assert status_message(doc).strip() and user_row(srv, uid)["banned"] is True
        resp, doc = click(page, page.get_by_role("button", name="Unban user", exact=True))
        assert user_row(srv, uid)["banned"] is False
        resp, doc = click(page, page.get_by_role("link", name="Users", exact=True), h1="Users")
        page.get_by_label("Search", exact=True).fill(target.email)
        resp, doc = click(page, page.get_by_role("button", name="Search", exact=True))
        assert user_links(doc) == [uid]
        resp, doc = click(page, page.get_by_role("button", name="Sign out", exact=True), nav=False)
        assert urllib.parse.urlsplit(resp.url).path == "/api/auth/console/sign-in"
        assert console_cookie(ctx) is None
    finally:
        close_context(ctx)


def test_forms_from_another_origin_are_refused(srv, admin, admin_page, other_site, console):
    target = quick_user(srv, admin)
    uid = target.user["id"]
    sessions = session_count(srv, uid)
    page = admin_page
    # A page on another port of the same host: the Strict cookie goes along, the Origin tells.
    auto = other_site.form("/auto", f"{srv.url}/api/auth/console/users/{uid}/ban", {"reason": "csrf"}, auto=True)
    with page.expect_response(lambda r: r.request.method == "POST" and "/console/users/" in r.url) as posted:
        page.goto(auto)
    assert posted.value.status == 403, posted.value.status
    assert "better-auth.console_session" in (posted.value.request.header_value("cookie") or ""), \
        "the browser did not send the cookie: the test proves nothing"
    clicked = other_site.form("/click", f"{srv.url}/api/auth/console/users/{uid}/role", {"role": "admin"}, auto=False)
    page.goto(clicked)
    with page.expect_response(lambda r: r.request.method == "POST" and "/console/users/" in r.url) as posted:
        page.get_by_role("button", name="Claim").click()
    assert posted.value.status == 403, posted.value.status
    revoke = other_site.form("/revoke", f"{srv.url}/api/auth/console/plugins/jwt/disable", {}, auto=True)
    with page.expect_response(lambda r: r.request.method == "POST" and "/console/plugins/" in r.url) as posted:
        page.goto(revoke)
    assert posted.value.status == 403, posted.value.status
    row = user_row(srv, uid)
    assert row["banned"] is False and row["role"] == "user" and session_count(srv, uid) == sessions, row

    # requests: no Origin and no Referer, a foreign Referer, Origin null: 403; a same-origin Referer alone is enough.
    path = f"console/users/{uid}/ban"
    for headers in ({}, {"Referer": other_site.url + "/x"}, {"Origin": "null"}, {"Origin": srv.url + ".evil.test"},
                    {"Origin": "https://trusted.com"}, {"Origin": srv.url.replace("127.0.0.1", "localhost")}):
        r = console.raw("POST", path, data={"reason": "no-origin"}, origin=None, headers=headers)
        assert r.status_code == 403, (headers, r.status_code)
        assert r.headers.get("content-type", "").startswith("text/html")
        check_html(r.text, r.url, f"403 {headers}", nav=False)
    assert user_row(srv, uid)["banned"] is False
    r = console.raw("POST", f"console/users/{uid}/role", data={"role": "support"}, origin=None,
                    headers={"Referer": f"{srv.url}/api/auth/console/users/{uid}"})
    assert r.status_code == 303 and user_row(srv, uid)["role"] == "support", r.status_code
    # Signing the operator out from elsewhere is refused too.
    r = console.raw("POST", "console/sign-out", headers={"Origin": other_site.url})
    assert r.status_code == 403 and not set_cookie_map(r), r.status_code
    console.get("console/", h1="Dashboard")


def test_organizations_list_and_detail(srv, admin, console):
    owner = admin
    slug = "acme-" + os.urandom(4).hex()
    r = owner.post("organization/create", {"name": "Acme Console", "slug": slug})
    assert r.status_code == 200, r.text
    org = r.json()
    made = quick_user(srv, admin, name="Org Member", password=True)
    member = srv.client()
    assert member.sign_in(made.email, made.password).status_code == 200
    known(member)
    r = owner.post("organization/invite-member", {"email": member.email, "role": "admin", "organizationId": org["id"]})
    assert r.status_code == 200, r.text
    assert member.post("organization/accept-invitation", {"invitationId": r.json()["id"]}).status_code == 200
    pending = unique_email("invited")
    r = owner.post("organization/invite-member", {"email": pending, "role": "member", "organizationId": org["id"]})
    assert r.status_code == 200, r.text

    url, found = "console/organizations", None
    for _ in range(50):
        page = console.get(url, h1="Organizations")
        links = [a for a in page.doc.iter("a") if urllib.parse.urlsplit(a.get("href") or "").path.endswith(f"/organizations/{org['id']}")]
        if links:
            found = (page, links[0])
            break
        url = next_link(page.doc, page.url)
        assert url, "the organization is on no page"
    page, link = found
    assert link.text_content().strip() == "Acme Console"
    assert slug in rows_with(page.doc, slug)[0].text_content()
    detail = console.get(urllib.parse.urljoin(page.url, link.get("href")))
    text = detail.doc.text_content()
    assert "Acme Console" in text and slug in text
    owner_row, member_row, invite_row = rows_with(detail.doc, owner.email), rows_with(detail.doc, member.email), rows_with(detail.doc, pending)
    assert owner_row and "owner" in owner_row[0].text_content()
    assert member_row and "admin" in member_row[0].text_content()
    assert invite_row and "member" in invite_row[0].text_content() and "pending" in invite_row[0].text_content()


def plugin_rows(doc) -> dict[str, list[str]]:
    out = {}
    for tr in doc.iter("tr"):
        c = cells(tr)
        if c and tr.find("td") is not None:
            out[c[0]] = c
    return out


def test_plugins_page_and_live_disable_enable(srv, plugins_dir, admin_page, console, two_factor_admin):
    page = admin_page
    resp, doc = goto(page, "/api/auth/console/plugins", h1="Plugins")
    rows = plugin_rows(doc)
    assert set(ENABLED + ONLY_AVAILABLE) <= set(rows), rows.keys()
    for id in ENABLED + ONLY_AVAILABLE:
        enabled = id in ENABLED
        file = plugins_dir / (f"{id}.so" if enabled else f"available/{id}.so")
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        row = " ".join(rows[id])
        assert digest in rows[id] or digest in row.split(), (id, row)
        assert ("enabled" if enabled else "available") in row.split(), (id, row)
        assert re.search(r"\b(trusted|not trusted)\b", row), (id, "no trust verdict", row)
        if enabled:
            assert re.search(r"\d{4}-\d{2}-\d{2}", row), (id, "no last reload", row)
    jwks = srv.api + "/jwks"
    assert requests.get(jwks).status_code == 200

    # Disable jwt: /jwks is gone within 3 s; Enable: back.
    resp, doc = click(page, page.locator("tr", has=page.locator("td", has_text=re.compile(r"^\s*jwt\s*$")))
                      .get_by_role("button", name="Disable", exact=True), h1="Plugins")
    assert urllib.parse.urlsplit(resp.url).path == "/api/auth/console/plugins" and status_message(doc).strip()
    assert wait_until(lambda: requests.get(jwks).status_code == 404, timeout=3), "jwks still served 3 s after Disable"
    assert not (plugins_dir / "jwt.so").exists() and (plugins_dir / "available" / "jwt.so").exists()
    resp, doc = goto(page, "/api/auth/console/plugins")
    assert "available" in plugin_rows(doc)["jwt"]
    resp, doc = click(page, page.locator("tr", has=page.locator("td", has_text=re.compile(r"^\s*jwt\s*$")))
                      .get_by_role("button", name="Enable", exact=True), h1="Plugins")
    assert wait_until(lambda: requests.get(jwks).status_code == 200, timeout=3), "jwks not back 3 s after Enable"
    assert (plugins_dir / "jwt.so").exists()

    # console and admin stay; unknown ids are 404.
    for id in ("console", "admin"):
        r = console.raw("POST", f"console/plugins/{id}/disable")
        assert r.status_code == 400, (id, r.status_code)
        assert alert(lxml.html.document_fromstring(r.text)).strip()
        assert (plugins_dir / f"{id}.so").exists()
    for action in ("enable", "disable"):
        r = console.raw("POST", f"console/plugins/no-such-plugin/{action}")
        assert r.status_code == 404, r.status_code
    r = console.raw("POST", "console/plugins/..%2Fconsole/disable")
    assert r.status_code in (400, 404) and (plugins_dir / "console.so").exists()

    # The optional plugins away: an admin whose row says twoFactorEnabled is refused, and the pages
    # of the missing plugins say so (no 5xx).
    adm = two_factor_admin[0]
    optional = {"two-factor": ("POST", "two-factor/enable"), "organization": ("GET", "organization/list"),
                "audit-log": ("GET", "audit-log/list"), "webhooks": ("GET", "webhooks/deliveries")}

    def served(id):
        method, path = optional[id]
        return srv.client().request(method, path, json={} if method == "POST" else None).status_code != 404

    def restore():
        """Everything enabled again; should a lost change leave one out, a SIGHUP reload brings it back
        (so that the tests after this one still have their plugins) and this test fails."""
        for id in optional:
            if not (plugins_dir / f"{id}.so").exists():
                assert console.raw("POST", f"console/plugins/{id}/enable").status_code == 303, id
        if wait_until(lambda: all(served(id) for id in optional), timeout=3):
            return True
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: all(served(id) for id in optional), timeout=10)
        return False

    # Changes one after another (a few hundredths of a second apart, like `gatehouse plugins
    # disable a; gatehouse plugins disable b`): each is live within 3 s even when it lands while the
    # server is still reloading for the one before. Twice, with other gaps.
    try:
        for round, gap in enumerate((0.05, 0.12)):
            for id in optional:
                assert served(id), id
                r = console.raw("POST", f"console/plugins/{id}/disable")
                assert r.status_code == 303, (id, r.status_code)
                time.sleep(gap)
            assert wait_until(lambda: not any(served(id) for id in optional), timeout=3), \
                ("a disable was lost", {id: served(id) for id in optional})
            if round == 0:
                con = Console(srv)
                con.sign_in(adm.email, adm.password, expect=403)
                assert not con.cookie
                for path in ("console/organizations", "console/audit", "console/webhooks"):
                    main = console.get(path).doc.find(".//main").text_content()
                    assert re.search(r"not (loaded|enabled|available)|missing|unavailable", main, re.I), (path, main[:300])
                console.get("console/", h1="Dashboard")
                console.get(f"console/users/{adm.user['id']}")
            for id in optional:
                r = console.raw("POST", f"console/plugins/{id}/enable")
                assert r.status_code == 303, (id, r.status_code)
                time.sleep(gap)
            assert wait_until(lambda: all(served(id) for id in optional), timeout=3), \
                ("an enable was lost", {id: served(id) for id in optional})
    finally:
        assert restore(), "a plugin came back only after a SIGHUP"


def test_webhooks_dead_delivery_and_redeliver(srv, admin, receiver, admin_page, console):
    email = unique_email("hook")
    receiver.failing.add(email)
    try:
        victim = known(srv.client().new_user(email=email))
        assert wait_until(lambda: receiver.about(email), timeout=10)
        assert wait_until(lambda: [r for r in srv.query('SELECT status FROM "webhookDelivery" WHERE payload LIKE ?', f"%{email}%")
                                   if r["status"] == "dead"], timeout=10)
    finally:
        receiver.failing.discard(email)
    delivery = srv.query('SELECT id FROM "webhookDelivery" WHERE payload LIKE ?', f"%{email}%")[0]["id"]
    first = receiver.about(email)[0]
    assert first["headers"]["webhook-id"] == delivery

    page = admin_page
    resp, doc = goto(page, "/api/auth/console/webhooks?status=dead", h1="Webhooks")
    row = rows_with(doc, delivery)
    assert row, "the dead delivery is not listed"
    text = " ".join(cells(row[0]))
    for part in ("console-hook", "user.created", "dead", "500"):
        assert part in text, (part, text)
    resp, doc = click(page, page.locator("tr", has_text=delivery).get_by_role("button", name="Redeliver", exact=True),
                      h1="Webhooks")
    assert urllib.parse.urlsplit(resp.url).path == "/api/auth/console/webhooks" and status_message(doc).strip()
    resent = wait_until(lambda: receiver.about(email)[1:], timeout=10)
    assert resent, "no redelivery"
    assert resent[0]["headers"]["webhook-id"] == delivery
    body = Webhook(WEBHOOK_SECRET).verify(resent[0]["body"], resent[0]["headers"])
    assert body["type"] == "user.created" and body["data"]["user"]["email"] == email
    assert body["data"]["user"]["id"] == victim.user["id"]
    assert wait_until(lambda: srv.query('SELECT status FROM "webhookDelivery" WHERE id = ?', delivery)[0]["status"] == "delivered")

    # Every delivery, newest first, paged; delivered ones have no Redeliver.
    for _ in range(PAGE_SIZE):
        quick_user(srv, admin)                                     # user.created from the admin plugin too
    assert wait_until(lambda: srv.query('SELECT COUNT(*) AS n FROM "webhookDelivery"')[0]["n"] > PAGE_SIZE)
    all_rows = console.get("console/webhooks", h1="Webhooks")
    listed = [tr for tr in all_rows.doc.iter("tr") if tr.find("td") is not None]
    assert len(listed) == PAGE_SIZE and next_link(all_rows.doc, all_rows.url)
    stamps = {r["id"]: parse_date(r["createdAt"]) for r in srv.query('SELECT id, "createdAt" FROM "webhookDelivery"')}
    shown = [next(i for i in stamps if i in tr.text_content()) for tr in listed]
    assert [stamps[i] for i in shown] == sorted((stamps[i] for i in shown), reverse=True)
    assert max(stamps.values()) == stamps[shown[0]]
    delivered = console.get(f"console/webhooks?status=delivered")
    for tr in delivered.doc.iter("tr"):
        assert "Redeliver" not in tr.text_content()
    r = console.raw("GET", "console/webhooks?status=lost")
    assert r.status_code in (200, 400), r.status_code
    r = console.raw("POST", "console/webhooks/no-such-delivery/redeliver")
    assert r.status_code == 404, r.status_code


def test_audit_page_filters(srv, admin, browser):
    ghost, hostile = unique_email("ghost"), unique_email("hostile")
    evil_agent = "<img src=x onerror=alert(1)>\" onmouseover=\"alert(2)"
    ua, ip = "console-audit-test/1.0", "203.0.113.77"
    ctx = open_context(browser, srv, user_agent=ua, extra_http_headers={"X-Forwarded-For": ip})
    try:
        # The console's own wrong sign-in, for an address nobody has.
        page = ctx.new_page()
        goto(page, "/api/auth/console/sign-in", nav=False)
        page.get_by_label("Email", exact=True).fill(ghost)
        page.get_by_label("Password", exact=True).fill("wrong-password-1")
        resp, _ = click(page, page.get_by_role("button", name="Sign in", exact=True), nav=False)
        assert resp.status == 401
        target = srv.client(user_agent=ua)
        target.s.headers["X-Forwarded-For"] = ip
        known(target.new_user())
        # A user agent is the client's to choose: shown as text, never as markup.
        r = srv.client(user_agent=evil_agent).post("sign-in/email", {"email": hostile, "password": "wrong-password-1"})
        assert r.status_code == 401, r.text
        page = browser_sign_in(ctx, admin.email, admin.password)
        resp, doc = goto(page, "/api/auth/console/audit", h1="Audit")
        page.get_by_label("Type", exact=True).fill("signIn.failed")
        resp, doc = click(page, page.get_by_role("button", name="Filter", exact=True), h1="Audit")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(resp.url).query)
        assert query.get("type") == ["signIn.failed"], resp.url
        entries = [tr for tr in doc.iter("tr") if tr.find("td") is not None]
        assert entries and all("signIn.failed" in tr.text_content() for tr in entries)
        mine = rows_with(doc, ghost)
        assert mine, "the signIn.failed row does not show the e-mail tried"
        assert ip in mine[0].text_content() and ua in mine[0].text_content()
        assert mine[0].find(".//time") is not None or re.search(r"\d{4}-\d{2}-\d{2}", mine[0].text_content()), "no time"
        assert rows_with(doc, hostile) and evil_agent in rows_with(doc, hostile)[0].text_content()
        assert page.locator("main img").count() == 0

        page.get_by_label("Type", exact=True).fill("")
        page.get_by_label("User", exact=True).fill(target.user["id"])
        resp, doc = click(page, page.get_by_role("button", name="Filter", exact=True))
        entries = [tr for tr in doc.iter("tr") if tr.find("td") is not None]
        kinds = {r["type"] for r in srv.query('SELECT type FROM "auditLog" WHERE "userId" = ?', target.user["id"])}
        assert entries and len(entries) <= PAGE_SIZE
        for tr in entries:
            assert target.email in tr.text_content() and any(k in tr.text_content() for k in kinds), tr.text_content()
            assert ghost not in tr.text_content()
    finally:
        close_context(ctx)


def test_bad_input_is_404_or_400_never_5xx(srv, admin, console):
    for path in ("console/users/no-such-user", "console/organizations/no-such-org", "console/no-such-page",
                 "console/users/no-such-user/sessions", "console/plugins/jwt"):
        console.get(path, expect=404, nav=False)
    for path, data in (("console/users/no-such-user/ban", {"reason": "x"}), ("console/users/no-such-user/unban", {}),
                       ("console/users/no-such-user/role", {"role": "admin"}),
                       ("console/users/no-such-user/sessions/no-such-session/revoke", {}),
                       ("console/webhooks/no-such-delivery/redeliver", {}), ("console/plugins/no-such/enable", {})):
        r = console.raw("POST", path, data=data)
        assert r.status_code == 404, (path, r.status_code)
    target = quick_user(srv, admin)
    r = console.raw("POST", f"console/users/{target.user['id']}/sessions/no-such-session/revoke")
    assert r.status_code == 404, r.status_code
    # Another user's session is unknown below this user: 404, and it lives on.
    assert admin.session() is not None
    theirs = srv.query('SELECT id FROM "session" WHERE token = ?', admin.token)[0]["id"]
    r = console.raw("POST", f"console/users/{target.user['id']}/sessions/{theirs}/revoke")
    assert r.status_code == 404, r.status_code
    assert admin.session() is not None, "a session was revoked through another user's page"
    first = user_links(console.get("console/users").doc)
    for bad in ("abc", "0", "-1", "1.5", "99999999999999999999999", "%00", "1e3", ""):
        for path in ("console/users", "console/webhooks", "console/audit", "console/organizations"):
            r = console.raw("GET", f"{path}?page={bad}")
            assert r.status_code in (200, 400), (path, bad, r.status_code)
            if r.status_code == 200 and path == "console/users":
                assert user_links(lxml.html.document_fromstring(r.text)) == first, bad
    r = console.raw("GET", "console/users?page=100000")
    assert r.status_code in (200, 400)
    for q in ("%", "_", "'", '"', "\\", "a" * 5000, "\u00e9", "%00"):
        r = console.raw("GET", "console/users", params={"q": q})
        assert r.status_code in (200, 400), (q, r.status_code)
    for form in ({"role": ""}, {"role": "a" * 10000}, {}, {"role": ["admin", "user"]}):
        r = console.raw("POST", f"console/users/{target.user['id']}/role", data=form)
        assert r.status_code in (303, 400), (form, r.status_code)
    r = console.raw("POST", f"console/users/{target.user['id']}/ban", data=b"\xff\xfe=\x00", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code < 500
    r = console.raw("POST", f"console/users/{target.user['id']}/ban", json={"reason": "json"})
    assert r.status_code < 500
    for asset, kind in (("console/console.js", "javascript"), ("console/console.css", "css")):
        r = console.raw("GET", asset)
        assert r.status_code == 200 and kind in r.headers.get("content-type", ""), (asset, r.headers.get("content-type"))
        assert "confirm(" not in r.text and "eval(" not in r.text and "innerHTML" not in r.text
    # The trailing-slash dashboard and the sign-in page answer; /console (no slash) never 5xx.
    assert console.raw("GET", "console").status_code < 500


def test_sign_out_ends_the_session(srv, admin):
    con = Console(srv)
    con.sign_in(admin.email, admin.password)
    old = con.cookie
    token = verify_signed_value(old)
    page = con.get("console/users")
    r = con.submit(page, "Sign out")
    assert location_path(r) == "/api/auth/console/sign-in"
    c = set_cookie_map(r)["better-auth.console_session"]
    assert c.is_deletion and c.attrs.get("path") == "/api/auth/console", c
    assert not srv.query('SELECT id FROM "session" WHERE token = ?', token)
    r = con.raw("GET", "console/", cookies=f"better-auth.console_session={old}")     # the old cookie, replayed
    assert r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in"


def test_the_sign_in_rate_limit(server_factory, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    for id in ("admin", "console"):
        shutil.copy(built_library(id), plugins / f"{id}.so")
    limited = server_factory({"pluginsDir": str(plugins), "rateLimit": {"enabled": True}}, name="console-limit")
    con = Console(limited)
    statuses = []
    for _ in range(6):
        r = con.raw("POST", "console/sign-in", data={"email": "not-an-email", "password": "wrong-password-1"},
                    headers={"X-Forwarded-For": "192.0.2.44"})       # raw: the console's headers on each, the 429 too
        statuses.append(r.status_code)
    assert statuses[:5] in ([400] * 5, [401] * 5) and statuses[5] == 429, statuses
    # The host's other refusals on a console route carry them too: a body over 1 MiB.
    r = con.raw("POST", "console/sign-in", data={"email": "x" * (1024 * 1024 + 1), "password": "p"},
                headers={"X-Forwarded-For": "192.0.2.45"})
    assert r.status_code == 413


def test_on_an_https_base_url_the_cookie_is_secure_and_a_page_holds_25_users(server_factory, tmp_path):
    """On an https baseURL the console cookie is Secure and __Secure- prefixed, as the session cookie
    is; and without a pageSize setting a page lists 25 users, then "Next"."""
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    for id in ("admin", "console"):
        shutil.copy(built_library(id), plugins / f"{id}.so")
    https = server_factory({"baseURL": "https://127.0.0.1:{port}", "pluginsDir": str(plugins)}, name="console-https")
    admin = make_admin(https)
    con = Console(https)
    r = con.sign_in(admin.email, admin.password)
    assert location_path(r) == "/api/auth/console/", r.text[:300]
    cookies = set_cookie_map(r)
    assert "better-auth.console_session" not in cookies, list(cookies)
    c = cookies["__Secure-better-auth.console_session"]
    assert c.attrs.get("secure") is True and c.attrs.get("httponly") is True, c
    assert str(c.attrs.get("samesite")).lower() == "strict" and c.attrs.get("path") == "/api/auth/console", c
    assert verify_signed_value(c.value), "the console cookie is not signed"
    r = con.raw("GET", "console/", cookies=f"better-auth.console_session={c.value}")     # the unprefixed name
    assert r.status_code == 303 and location_path(r) == "/api/auth/console/sign-in"

    ids = {admin.user["id"]} | {quick_user(https, admin, name=f"Paged {i}").user["id"] for i in range(25)}
    page = con.get("console/users", h1="Users")
    first = user_links(page.doc)
    assert len(first) == 25, len(first)
    following = next_link(page.doc, page.url)
    assert following, "no Next link after a full page of 25"
    page = con.get(following, h1="Users")
    assert len(user_links(page.doc)) == 1 and next_link(page.doc, page.url) is None
    assert set(first) | set(user_links(page.doc)) == ids

def test_no_page_shows_a_secret(srv, console):
    """Everything secret the database holds, against every page the tests saw (and every list page
    and user page now); and no answer of the whole run was a 5xx."""
    for path in GET_PAGES:
        console.get("/api/auth" + path)
    for r in srv.query('SELECT DISTINCT "userId" FROM "session"'):
        console.get(f"console/users/{r['userId']}")
    for r in srv.query("SELECT password FROM account WHERE password IS NOT NULL"):
        secret(r["password"], r["password"].split(":", 1)[-1])
    for r in srv.query('SELECT token FROM "session"'):
        secret(r["token"])
    for r in srv.query('SELECT secret, "backupCodes" FROM "twoFactor"'):
        secret(r["secret"], r["backupCodes"])
    for r in srv.query('SELECT "privateKey" FROM jwks'):
        secret(r["privateKey"])
    assert len(PAGES) > len(GET_PAGES), len(PAGES)
    for where, text in PAGES:
        check_secrets(text, where)
    failed = [line for line in srv.logs().splitlines() if re.search(r'"status":"5\d\d"', line)]
    assert not failed, failed[:5]
