"""scim plugin (issue 18): SCIM 2.0 provisioning (RFC 7643/7644) of Gatehouse users, organization
memberships and teams by an identity provider.

scim2-tester checks the protocol as a whole; scim2-client with scim2-models objects drives the
scenarios as an identity provider's client does; raw httpx2 requests (the HTTP client scim2-client
runs on) send exactly what Microsoft Entra or an attacker sends. The token routes are driven like the
other plugins' routes (conftest's Client). After every refusal the SCIM answer and the database rows
behind it are read again: a refused request changes nothing."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import uuid
from contextlib import contextmanager
from datetime import timedelta

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (Email, EnterpriseUser, Error, Group, GroupMember, Name, PatchOp, PatchOperation,
                          ResponseParameters, SearchRequest, User)
from scim2_tester import Status, check_server

from conftest import assert_error, b64url_decode, b64url_encode, now_utc, parse_date, unique_email
from test_bearer import built_library
from test_organization import join, new_org
from test_password import request_reset

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
REALM = 'Bearer realm="SCIM"'
PASSWORD = "scim-provisioned-password"
# Top-level domains that never route (RFC 2606, RFC 6761, .internal): where placeholder addresses live.
NON_ROUTABLE = {"invalid", "test", "example", "localhost", "local", "internal"}


@pytest.fixture(scope="module")
def srv(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("scim-plugins")
    shutil.copy(built_library("organization"), plugins / "organization.so")
    shutil.copy(built_library("scim"), plugins / "scim.so")
    return server_factory({"pluginsDir": str(plugins), "plugins": {"organization": {"teams": {"enabled": True}}},
                           "user": {"deleteUser": {"enabled": True}}}, name="scim")


# ---------------------------------------------------------------------------------------------
# HTTP and answers

def scim_http(srv, authorization: str | None = None) -> httpx2.Client:
    """An HTTP client on {basePath}/scim/v2 sending `authorization` as the whole Authorization header."""
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx2.Client(base_url=srv.api + "/scim/v2", headers=headers, timeout=30, trust_env=False)


def media_type(r) -> str:
    return r.headers.get("content-type", "").split(";")[0].strip().lower()


def ok(r, status: int = 200):
    """The JSON of a SCIM success (None for 204), checking its status and its media type."""
    assert r.status_code == status, f"{r.request.method} {r.request.url}: expected {status}, got {r.status_code}: {r.text[:800]}"
    if status == 204:
        assert r.content == b"", r.content[:300]
        return None
    assert media_type(r) == SCIM_JSON, f"{r.request.method} {r.request.url}: content-type {r.headers.get('content-type')!r}"
    return r.json()


def scim_error(r, status: int, scim_type: str | None = None) -> dict:
    """The SCIM error (RFC 7644 §3.12) of a refusal: status, media type, schemas, status string, scimType."""
    assert r.status_code == status, f"{r.request.method} {r.request.url}: expected {status}, got {r.status_code}: {r.text[:800]}"
    assert media_type(r) == SCIM_JSON, f"error content-type {r.headers.get('content-type')!r}: {r.text[:300]}"
    body = r.json()
    assert body.get("schemas") == [ERROR] and body.get("status") == str(status), body
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def assert_carries(actual, sent, where: str = "resource"):
    """`actual` holds all that `sent` did, value for value and in the same order (a server may add
    sub-attributes of its own, such as `$ref` or `display`)."""
    if isinstance(sent, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in sent.items():
            assert key in actual, f"{where}.{key} missing from {actual!r}"
            assert_carries(actual[key], value, f"{where}.{key}")
    elif isinstance(sent, list):
        assert isinstance(actual, list) and len(actual) == len(sent), f"{where}: {actual!r} is not {sent!r}"
        for i, (a, s) in enumerate(zip(actual, sent)):
            assert_carries(a, s, f"{where}[{i}]")
    else:
        assert actual == sent, f"{where}: {actual!r} is not {sent!r}"


def ops(*operations, schemas=(PATCH_OP,)) -> dict:
    return {"schemas": list(schemas), "Operations": list(operations)}


# ---------------------------------------------------------------------------------------------
# database

def count(srv, table: str, **where) -> int:
    clause = " AND ".join(f'"{column}" = ?' for column in where)
    sql = f'SELECT COUNT(*) AS n FROM "{table}"' + (f" WHERE {clause}" if clause else "")
    return srv.query(sql, *where.values())[0]["n"]


def gatehouse_user(srv, user_id) -> dict | None:
    rows = srv.query('SELECT * FROM "user" WHERE id = ?', user_id)
    return rows[0] if rows else None


def memberships(srv, user_id) -> list[tuple]:
    return [(r["organizationId"], r["role"]) for r in srv.query('SELECT * FROM "member" WHERE "userId" = ?', user_id)]


def team_members(srv, team_id) -> set[str]:
    return {r["userId"] for r in srv.query('SELECT "userId" FROM "teamMember" WHERE "teamId" = ?', team_id)}


def stored(srv, resource_id: str | None = None) -> dict:
    """The rows a SCIM resource stands on, or without an id the row counts of all those tables."""
    if resource_id is None:
        return {table: count(srv, table) for table in ("user", "member", "team", "teamMember", "session", "account")}
    return {
        "user": srv.query('SELECT * FROM "user" WHERE id = ?', resource_id),
        "member": srv.query('SELECT * FROM "member" WHERE "userId" = ?', resource_id),
        "team": srv.query('SELECT * FROM "team" WHERE id = ?', resource_id),
        "teamMember": sorted((r["teamId"], r["userId"]) for r in
                             srv.query('SELECT * FROM "teamMember" WHERE "userId" = ? OR "teamId" = ?', resource_id, resource_id)),
        "session": count(srv, "session", userId=resource_id),
    }


def provider_row(srv, provider_id) -> dict | None:
    rows = srv.query('SELECT * FROM "scimProvider" WHERE "providerId" = ?', provider_id)
    return rows[0] if rows else None


def secret_of(token: str) -> str:
    return b64url_decode(token).decode().split(":")[0]


def token_hash(token: str) -> str:
    """What the server stores for a token: the unpadded base64url SHA-256 of its secret."""
    return b64url_encode(hashlib.sha256(secret_of(token).encode()).digest())


def is_placeholder(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    return bool(local) and domain.rsplit(".", 1)[-1] in NON_ROUTABLE


# ---------------------------------------------------------------------------------------------
# connections

def generate_token(caller, provider_id, org=None):
    body = {"providerId": provider_id}
    if org is not None:
        body["organizationId"] = org["id"]
    return caller.post("scim/generate-token", body)


class Connection:
    """A SCIM connection generate-token made for `admin` (for `org`, or their own without one), and
    the clients that send its token."""

    def __init__(self, srv, admin, org=None, provider_id: str | None = None):
        self.srv, self.admin, self.org = srv, admin, org
        self.provider_id = provider_id or f"idp-{uuid.uuid4().hex[:12]}"
        self.token = None
        self.renew()

    def renew(self, caller=None) -> str | None:
        """Generates the token again (by `caller`, the admin by default); answers the one it replaced."""
        r = generate_token(caller or self.admin, self.provider_id, self.org)
        assert r.status_code == 201, r.text
        old, self.token = self.token, r.json()["scimToken"]
        self.http = scim_http(self.srv, f"Bearer {self.token}")
        return old

    def client(self) -> SyncSCIMClient:
        """scim2-client over this connection, knowing the service from its discovery endpoints."""
        client = SyncSCIMClient(self.http)
        client.discover()
        return client

    def request(self, method: str, path: str, body=None, content_type: str = SCIM_JSON, **kw):
        """`body` goes as it is when it is a string, else as JSON; with `content_type`."""
        if body is not None:
            kw["content"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kw["headers"] = {"Content-Type": content_type, **kw.get("headers", {})}
        return self.http.request(method, path, **kw)

    def patch(self, path: str, *operations):
        return self.request("PATCH", path, ops(*operations))

    def get(self, path: str, **params) -> dict:
        return ok(self.http.get(path, params=params))

    def find(self, filter: str, kind: str = "Users", **params) -> list[dict]:
        body = self.get(f"/{kind}", filter=filter, **params)
        found = body.get("Resources", [])
        assert body["totalResults"] == len(found), body
        return found

    def create(self, kind: str, body: dict) -> dict:
        r = self.request("POST", f"/{kind}", body)
        created = ok(r, 201)
        location = f"{self.srv.api}/scim/v2/{kind}/{created['id']}"
        assert r.headers.get("location") == created["meta"]["location"] == location, (dict(r.headers), created["meta"])
        return created

    def user(self, **attributes) -> dict:
        schemas = [USER, ENTERPRISE] if ENTERPRISE in attributes else [USER]
        return self.create("Users", {"schemas": schemas, "userName": f"user-{uuid.uuid4().hex[:10]}", **attributes})

    def group(self, name: str, *member_ids: str, **attributes) -> dict:
        return self.create("Groups", {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in member_ids], **attributes})

    def state(self, path: str):
        r = self.http.get(path)
        return r.status_code, r.json(), stored(self.srv, path.strip("/").partition("/")[2] or None)


def org_connection(srv, owner=None) -> Connection:
    owner = owner or srv.client().new_user()
    return Connection(srv, owner, new_org(owner))


@pytest.fixture
def conn(srv) -> Connection:
    """A fresh organization, its owner, and a SCIM connection of the organization."""
    return org_connection(srv)


@contextmanager
def unchanged(conn: Connection, *paths: str):
    """The SCIM answers at `paths` and the database rows behind them are the same after the block."""
    before = [conn.state(p) for p in paths]
    yield
    after = [conn.state(p) for p in paths]
    for path, b, a in zip(paths, before, after):
        assert a == b, f"{path} changed:\nbefore {b}\nafter  {a}"


def assert_refused_token(srv, authorization: str | None):
    """The SCIM API answers 401 with the SCIM realm to `authorization`, and stores nothing."""
    api = scim_http(srv, authorization)
    before = stored(srv)
    for method, path, body in (("GET", "/Users", None), ("POST", "/Users", {"schemas": [USER], "userName": "intruder"}),
                               ("GET", "/Groups", None), ("POST", "/Groups", {"schemas": [GROUP], "displayName": "Intruders"})):
        r = api.request(method, path, json=body)
        scim_error(r, 401)
        assert r.headers.get("www-authenticate", "").startswith(REALM), (authorization, r.headers.get("www-authenticate"))
    assert stored(srv) == before


def signed_in(srv, sink, email: str):
    """A provisioned user sets a password through the reset-password e-mail, then signs in."""
    _, token, _ = request_reset(srv, sink, email)
    r = srv.client().post("reset-password", {"newPassword": PASSWORD, "token": token})
    assert r.status_code == 200, r.text
    browser = srv.client()
    r = browser.sign_in(email, PASSWORD)
    assert r.status_code == 200, r.text
    return browser


def assert_sign_in_refused(srv, email: str):
    browser = srv.client()
    r = browser.sign_in(email, PASSWORD)
    assert 400 <= r.status_code < 500, f"sign-in of {email}: {r.status_code} {r.text}"
    assert_error(r, r.status_code)
    assert browser.session_cookie is None


def full_user(tag: str) -> dict:
    """Every attribute the User and Enterprise schemas publish (manager aside), with unique addresses."""
    return {
        "userName": f"bjensen-{tag}", "externalId": f"ext-{tag}",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane",
                 "honorificPrefix": "Ms.", "honorificSuffix": "III"},
        "displayName": "Babs Jensen", "active": True, "title": "Tour Guide", "userType": "Employee", "preferredLanguage": "en-US",
        "locale": "en-US", "timezone": "America/Los_Angeles",
        "emails": [{"value": f"bjensen.{tag}@example.com", "type": "work", "primary": True}, {"value": f"babs.{tag}@jensen.org", "type": "home"}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}, {"value": "555-555-4444", "type": "mobile"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA",
                       "postalCode": "91608", "country": "USA", "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": True}],
        "roles": [{"value": "tour-guide", "display": "Tour guide", "type": "staff", "primary": True}],
        "entitlements": [{"value": "bus-pass", "type": "transport"}],
        ENTERPRISE: {"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios", "division": "Theme Park",
                     "department": "Tour Operations"},
    }


def tag() -> str:
    return uuid.uuid4().hex[:8]


# ---------------------------------------------------------------------------------------------
# scim2-tester

def describe(results) -> str:
    return "\n".join(f"{r.status.name} {r.resource_type or '-'} {r.title}: {r.reason}"
                     + ("" if r.data is None else f" | {str(r.data)[:400]}") for r in results)


def test_scim2_tester_finds_no_fault(conn):
    results = check_server(SyncSCIMClient(conn.http))
    assert {"User", "Group"} <= {r.resource_type for r in results}, "scim2-tester reached no resource:\n" + describe(results)
    faults = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    # POST /.search is not served (501): scim2-tester skips its search checks, and only those.
    skipped = [r for r in results if r.status is Status.SKIPPED and "search" not in f"{r.title} {r.reason}"]
    assert not faults and not skipped, describe(faults + skipped)


# ---------------------------------------------------------------------------------------------
# token routes

def test_generate_token_answers_a_token_bound_to_its_provider_and_stores_only_a_hash(srv):
    owner = srv.client().new_user()
    org = new_org(owner)
    for of_org in (org, None):
        conn = Connection(srv, owner, of_org)
        assert re.fullmatch(r"[A-Za-z0-9_-]+=*", conn.token), conn.token
        secret, *rest = b64url_decode(conn.token).decode().split(":")
        assert re.fullmatch(r"[A-Za-z0-9]{24,}", secret), secret
        assert rest == [conn.provider_id] + ([org["id"]] if of_org else [])
        row = provider_row(srv, conn.provider_id)
        assert row["scimToken"] == token_hash(conn.token) and secret not in json.dumps(row, default=str)
        assert row["organizationId"] == (of_org and org["id"])
        ok(conn.http.get("/ServiceProviderConfig"))
    assert row["userId"] == owner.user["id"], "a connection without organization belongs to its creator"
    assert ("providerId",) in srv.unique_column_sets("scimProvider")


def staffed_org(srv):
    """An organization with its owner, an admin and a member, and a user from outside it."""
    owner = srv.client().new_user()
    org = new_org(owner)
    admin, _ = join(owner, org, "admin")
    member, _ = join(owner, org, "member")
    return owner, org, admin, member, srv.client().new_user()


def test_generate_token_needs_a_session_and_an_owner_or_admin_of_the_organization(srv):
    owner, org, admin, member, stranger = staffed_org(srv)
    provider_id = f"idp-{tag()}"
    assert_error(generate_token(srv.client(), provider_id, org), 401)
    assert_error(generate_token(member, provider_id, org), 403)
    assert_error(generate_token(stranger, provider_id, org), 403)
    r = generate_token(stranger, provider_id, {"id": "no-such-organization"})
    assert r.status_code in (403, 404), r.text
    assert_error(r, r.status_code)
    assert provider_row(srv, provider_id) is None
    assert generate_token(admin, provider_id, org).status_code == 201
    assert generate_token(owner, f"idp-{tag()}", org).status_code == 201
    assert provider_row(srv, provider_id)["organizationId"] == org["id"]


@pytest.mark.parametrize("body", [{}, {"providerId": ""}, {"providerId": 5}, {"providerId": None}, {"providerId": ["okta"]},
                                  {"providerId": {"id": "okta"}}, {"providerId": "okta:tenant"}, {"providerId": ":"}],
                         ids=["missing", "empty", "number", "null", "array", "object", "colon", "only-colon"])
def test_generate_token_refuses_bad_provider_ids(srv, body):
    user = srv.client().new_user()
    assert_error(user.post("scim/generate-token", body), 400)
    assert srv.query('SELECT * FROM "scimProvider" WHERE "userId" = ?', user.user["id"]) == []


def test_regenerating_replaces_the_token_at_once_and_keeps_users_and_groups(conn):
    user = conn.user()
    group = conn.group("Kept", user["id"])
    old = conn.renew()
    assert old != conn.token
    assert_refused_token(conn.srv, f"Bearer {old}")
    assert [u["id"] for u in conn.get("/Users")["Resources"]] == [user["id"]]
    assert [m["value"] for m in conn.get(f"/Groups/{group['id']}")["members"]] == [user["id"]]
    assert provider_row(conn.srv, conn.provider_id)["scimToken"] == token_hash(conn.token)
    assert len(conn.srv.query('SELECT * FROM "scimProvider" WHERE "providerId" = ?', conn.provider_id)) == 1


def test_another_organizations_or_users_provider_id_is_refused(srv):
    theirs = org_connection(srv)
    personal = Connection(srv, srv.client().new_user())
    intruder = srv.client().new_user()
    intruders_org = new_org(intruder)
    owners_other_org = new_org(theirs.admin)
    before = [provider_row(srv, c.provider_id) for c in (theirs, personal)]
    attempts = [(intruder, victim.provider_id, org) for victim in (theirs, personal) for org in (intruders_org, None)]
    # Its own owner cannot move an organization's connection to another organization, or make it theirs.
    attempts += [(theirs.admin, theirs.provider_id, owners_other_org), (theirs.admin, theirs.provider_id, None)]
    for caller, provider_id, org in attempts:
        r = generate_token(caller, provider_id, org)
        assert 400 <= r.status_code < 500, f"{provider_id} for {org and org['id']}: {r.status_code} {r.text}"
        assert_error(r, r.status_code)
    assert [provider_row(srv, c.provider_id) for c in (theirs, personal)] == before
    for victim in (theirs, personal):
        ok(victim.http.get("/Users"))
    # An admin of the same organization may regenerate it; the replaced token dies.
    admin, _ = join(theirs.admin, theirs.org, "admin")
    assert_refused_token(srv, f"Bearer {theirs.renew(admin)}")
    ok(theirs.http.get("/Users"))


def test_connections_are_listed_read_and_deleted_by_their_owners_and_admins(srv):
    owner, org, admin, member, stranger = staffed_org(srv)
    shared, mine, theirs = Connection(srv, owner, org), Connection(srv, owner), Connection(srv, stranger)

    def listed(caller) -> dict:
        r = caller.get("scim/list-provider-connections")
        assert r.status_code == 200, r.text
        for c in (shared, mine, theirs):
            assert c.token not in r.text and secret_of(c.token) not in r.text and token_hash(c.token) not in r.text
        entries = r.json()["providers"]
        for entry in entries:
            assert {"id", "providerId", "organizationId"} <= set(entry) and not any("token" in k.lower() for k in entry), entry
        return {entry["providerId"]: entry for entry in entries}

    everything = listed(owner)
    assert {shared.provider_id, mine.provider_id} <= set(everything) and theirs.provider_id not in everything
    assert everything[shared.provider_id]["organizationId"] == org["id"] and everything[mine.provider_id]["organizationId"] is None
    assert shared.provider_id in listed(admin) and mine.provider_id not in listed(admin)
    assert shared.provider_id not in listed(member)
    assert set(listed(stranger)) == {theirs.provider_id}
    assert_error(srv.client().get("scim/list-provider-connections"), 401)

    def get(caller, provider_id):
        return caller.get("scim/get-provider-connection", params={"providerId": provider_id})

    def delete(caller, provider_id):
        return caller.post("scim/delete-provider-connection", {"providerId": provider_id})

    assert get(owner, shared.provider_id).json() == everything[shared.provider_id]
    assert get(admin, shared.provider_id).json() == everything[shared.provider_id]
    assert get(owner, mine.provider_id).json() == everything[mine.provider_id]
    for caller, provider_id in ((member, shared.provider_id), (stranger, shared.provider_id), (stranger, mine.provider_id), (admin, mine.provider_id)):
        for r in (get(caller, provider_id), delete(caller, provider_id)):
            assert r.status_code in (403, 404), r.text
            assert_error(r, r.status_code)
    assert_error(get(owner, "no-such-provider"), 404)
    ok(shared.http.get("/Users"))
    ok(mine.http.get("/Users"))

    r = delete(admin, shared.provider_id)
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert_refused_token(srv, f"Bearer {shared.token}")
    assert shared.provider_id not in listed(owner) and provider_row(srv, shared.provider_id) is None
    assert_error(get(owner, shared.provider_id), 404)
    assert_error(delete(owner, shared.provider_id), 404)
    assert delete(owner, mine.provider_id).json() == {"success": True}
    assert_refused_token(srv, f"Bearer {mine.token}")
    ok(theirs.http.get("/Users"))


def test_missing_and_forged_tokens_get_401_with_the_scim_realm(srv, conn):
    other = org_connection(srv)
    conn.user()
    secret = secret_of(conn.token)
    tampered = ("B" if conn.token[0] != "B" else "C") + conn.token[1:]

    def encoded(*parts):
        return b64url_encode(":".join(parts).encode())

    for authorization in (None, "", "Bearer", "Bearer garbage", f"Basic {base64.b64encode(b'admin:admin').decode()}",
                          f"Bearer {tampered}", f"Bearer {secret}", f"Token {conn.token}", conn.token,
                          f"Bearer {encoded('A' * len(secret), conn.provider_id, conn.org['id'])}",   # the right shape, a wrong secret
                          f"Bearer {encoded(secret, other.provider_id, other.org['id'])}",            # its secret on another connection
                          f"Bearer {provider_row(srv, conn.provider_id)['scimToken']}"):              # what the database holds
        assert_refused_token(srv, authorization)
    ok(conn.http.get("/Users"))


# ---------------------------------------------------------------------------------------------
# discovery, routing, media types

def schema_attributes(schema: dict) -> dict:
    return {a["name"]: a for a in schema["attributes"]}


def test_discovery_describes_the_service(conn):
    config = conn.get("/ServiceProviderConfig")
    assert config["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert config["patch"]["supported"] is True
    assert config["filter"]["supported"] is True and config["filter"]["maxResults"] == 100
    for feature in ("bulk", "sort", "etag", "changePassword"):
        assert config[feature]["supported"] is False, feature
    assert "oauthbearertoken" in {s["type"] for s in config["authenticationSchemes"]}

    types = {t["name"]: t for t in conn.get("/ResourceTypes")["Resources"]}
    assert set(types) == {"User", "Group"}
    assert (types["User"]["endpoint"], types["User"]["schema"]) == ("/Users", USER)
    assert [(e["schema"], e["required"]) for e in types["User"]["schemaExtensions"]] == [(ENTERPRISE, False)]
    assert (types["Group"]["endpoint"], types["Group"]["schema"]) == ("/Groups", GROUP)
    assert conn.get("/ResourceTypes/User") == types["User"] and conn.get("/ResourceTypes/Group") == types["Group"]

    schemas = {s["id"]: s for s in conn.get("/Schemas")["Resources"]}
    assert {USER, ENTERPRISE, GROUP} <= set(schemas)
    user = schema_attributes(schemas[USER])
    assert {"userName", "name", "displayName", "emails", "active", "title", "userType", "preferredLanguage", "locale", "timezone",
            "phoneNumbers", "addresses", "roles", "entitlements"} <= set(user)
    assert {"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"} <= \
        {a["name"] for a in user["name"]["subAttributes"]}
    assert (user["userName"]["required"], user["userName"]["caseExact"], user["userName"]["uniqueness"]) == (True, False, "server")
    assert {"employeeNumber", "costCenter", "organization", "division", "department", "manager"} <= set(schema_attributes(schemas[ENTERPRISE]))
    assert {"displayName", "members"} <= set(schema_attributes(schemas[GROUP]))
    for schema_id in (USER, ENTERPRISE, GROUP):
        assert conn.get(f"/Schemas/{schema_id}") == schemas[schema_id]

    client = conn.client()   # scim2-client composes models from what the service publishes
    assert client.get_resource_model("User") is not None and client.get_resource_model("Group") is not None
    assert client.provider.config.filter.max_results == 100


def test_discovery_endpoints_refuse_other_methods(conn):
    for path in ("/ServiceProviderConfig", "/Schemas", f"/Schemas/{USER}", "/ResourceTypes", "/ResourceTypes/User"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            scim_error(conn.request(method, path, None if method == "DELETE" else {"schemas": [USER], "userName": "x"}), 405)
        ok(conn.http.get(path))


def test_unknown_paths_are_404_and_search_is_501(conn):
    missing = uuid.uuid4().hex
    with unchanged(conn, "/Users", "/Groups"):
        for method, path, body in [
            ("GET", "/Nope", None), ("POST", "/Nope", {"schemas": [USER], "userName": "x"}), ("GET", "/users2", None),
            ("GET", f"/Schemas/{USER[:-4]}Nope", None), ("GET", "/ResourceTypes/Nope", None),
            ("GET", f"/Users/{missing}", None), ("PUT", f"/Users/{missing}", {"schemas": [USER], "userName": "x"}),
            ("PATCH", f"/Users/{missing}", ops({"op": "replace", "path": "displayName", "value": "x"})), ("DELETE", f"/Users/{missing}", None),
            ("GET", f"/Groups/{missing}", None), ("PUT", f"/Groups/{missing}", {"schemas": [GROUP], "displayName": "x"}),
            ("PATCH", f"/Groups/{missing}", ops({"op": "replace", "path": "displayName", "value": "x"})), ("DELETE", f"/Groups/{missing}", None),
        ]:
            scim_error(conn.request(method, path, body), 404)
        for path in ("/Users/.search", "/.search"):
            scim_error(conn.request("POST", path, {"schemas": [SEARCH], "filter": 'userName eq "x"'}), 501)


def test_request_media_types(conn):
    body = {"schemas": [USER], "userName": "typed"}
    with unchanged(conn, "/Users"):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
            scim_error(conn.request("POST", "/Users", body, content_type=content_type), 415)
    ok(conn.request("POST", "/Users", body, content_type="application/json"), 201)
    user = ok(conn.request("POST", "/Users", {**body, "userName": "typed-2"}, content_type="application/scim+json; charset=utf-8"), 201)
    path = f"/Users/{user['id']}"
    with unchanged(conn, path):
        scim_error(conn.request("PATCH", path, ops({"op": "replace", "path": "displayName", "value": "x"}), content_type="text/plain"), 415)
        scim_error(conn.request("PUT", path, {**body, "userName": "typed-2", "displayName": "x"}, content_type="text/html"), 415)
    ok(conn.request("PATCH", path, ops({"op": "replace", "path": "displayName", "value": "json"}), content_type="application/json"))


# ---------------------------------------------------------------------------------------------
# users

def test_create_answers_location_and_meta_and_makes_an_organization_member(conn):
    srv, org = conn.srv, conn.org
    address = unique_email("ada")
    before = now_utc()
    ada = conn.user(userName="ada", externalId="ext-ada", displayName="Ada Lovelace", emails=[{"value": address, "type": "work", "primary": True}])
    assert USER in ada["schemas"] and (ada["userName"], ada["externalId"]) == ("ada", "ext-ada")
    assert ada["meta"]["resourceType"] == "User"
    created, modified = parse_date(ada["meta"]["created"]), parse_date(ada["meta"]["lastModified"])
    assert before - timedelta(seconds=5) <= created <= modified <= now_utc() + timedelta(seconds=5)
    assert ok(conn.http.get(ada["meta"]["location"])) == ada

    row = gatehouse_user(srv, ada["id"])   # the SCIM id is the Gatehouse user's id
    assert (row["email"], row["name"]) == (address, "Ada Lovelace")
    assert memberships(srv, ada["id"]) == [(org["id"], "member")]
    members = conn.admin.get("organization/list-members", params={"organizationId": org["id"]}).json()["members"]
    assert {m["user"]["email"]: m["role"] for m in members} == {conn.admin.email: "owner", address: "member"}

    # The same through scim2-client, with scim2-models objects.
    client = conn.client()
    grace = User[EnterpriseUser](user_name="grace", name=Name(given_name="Grace", family_name="Hopper"),
                                 emails=[Email(value=unique_email("grace"), type="work", primary=True)])
    grace[EnterpriseUser] = EnterpriseUser(department="Navy")
    created = client.create(grace)
    assert created.id and created.meta.location == f"{srv.api}/scim/v2/Users/{created.id}"
    fetched = client.query(User, created.id)
    assert (fetched.user_name, fetched.name.given_name, fetched[EnterpriseUser].department) == ("grace", "Grace", "Navy")
    assert gatehouse_user(srv, created.id)["name"] == "Grace Hopper"
    assert memberships(srv, created.id) == [(org["id"], "member")]


def test_every_published_attribute_round_trips(conn):
    boss = conn.user()
    sent = full_user(tag())
    sent[ENTERPRISE]["manager"] = {"value": boss["id"]}
    user = conn.user(**sent)
    assert_carries(user, sent)
    assert_carries(conn.get(f"/Users/{user['id']}"), sent)
    assert_carries(conn.find(f'id eq "{user["id"]}"')[0], sent)
    assert_carries(ok(conn.request("PUT", f"/Users/{user['id']}", {"schemas": [USER, ENTERPRISE], **sent})), sent)
    group = conn.group("Round trip", boss["id"], user["id"], externalId="grp-round-trip")
    expected = {"displayName": "Round trip", "externalId": "grp-round-trip", "members": [{"value": boss["id"]}, {"value": user["id"]}]}
    assert_carries(group, expected)
    assert_carries(conn.get(f"/Groups/{group['id']}"), expected)


def test_the_gatehouse_user_takes_its_address_and_name_from_the_resource(conn):
    t = tag()
    cases = [  # (resource, Gatehouse email (None: a placeholder), Gatehouse name)
        ({"emails": [{"value": f"First.{t}@Example.org", "type": "work"}, {"value": f"Primary.{t}@Example.org", "type": "home", "primary": True}],
          "displayName": "Display", "name": {"formatted": "Formatted", "givenName": "Given", "familyName": "Family"}},
         f"primary.{t}@example.org", "Display"),
        ({"userName": f"Named.{t}@Example.net", "emails": [{"value": f"Listed.{t}@Example.org"}, {"value": f"second.{t}@example.org"}],
          "name": {"formatted": "Formatted Name", "givenName": "Given", "familyName": "Family"}},
         f"listed.{t}@example.org", "Formatted Name"),
        ({"userName": f"Ada.{t}@Example.org", "name": {"givenName": "Ada", "familyName": "Lovelace"}}, f"ada.{t}@example.org", "Ada Lovelace"),
        ({"userName": f"plain-{t}"}, None, f"plain-{t}"),
        ({"userName": f"other-{t}"}, None, f"other-{t}"),
    ]
    placeholders = []
    for resource, email, name in cases:
        user = conn.user(**resource)
        row = gatehouse_user(conn.srv, user["id"])
        assert row["name"] == name, (resource, row)
        if email is None:
            assert is_placeholder(row["email"]), row["email"]
            assert "emails" not in user and "emails" not in conn.get(f"/Users/{user['id']}"), "the placeholder is Gatehouse's, not the resource's"
            placeholders.append(row["email"])
        else:
            assert row["email"] == email, (resource, row)
    assert len(set(placeholders)) == 2


def test_put_and_patch_keep_the_gatehouse_user_in_sync(conn):
    t = tag()
    user = conn.user(userName="grace", name={"givenName": "Grace", "familyName": "Hopper"},
                     emails=[{"value": f"grace.{t}@navy.test", "type": "work", "primary": True}])
    path = f"/Users/{user['id']}"

    def row():
        r = gatehouse_user(conn.srv, user["id"])
        return r["email"], r["name"]

    assert row() == (f"grace.{t}@navy.test", "Grace Hopper")
    ok(conn.patch(path, {"op": "replace", "path": "displayName", "value": "Amazing Grace"}))
    assert row() == (f"grace.{t}@navy.test", "Amazing Grace")
    ok(conn.patch(path, {"op": "replace", "path": "emails", "value": [{"value": f"Hopper.{t}@Yale.test", "primary": True}]}))
    assert row() == (f"hopper.{t}@yale.test", "Amazing Grace")
    ok(conn.request("PUT", path, {"schemas": [USER], "userName": "grace", "name": {"formatted": "Rear Admiral Hopper"}}))
    email, name = row()
    assert name == "Rear Admiral Hopper" and is_placeholder(email)
    ok(conn.patch(path, {"op": "add", "path": "emails", "value": [{"value": f"g.{t}@navy.test", "type": "work"}]}))
    assert row() == (f"g.{t}@navy.test", "Rear Admiral Hopper")
    ok(conn.patch(path, {"op": "remove", "path": "name"}))
    assert row() == (f"g.{t}@navy.test", "grace")


def test_user_names_and_addresses_are_unique(conn):
    srv = conn.srv
    t = tag()
    ada = conn.user(userName="Ada", emails=[{"value": f"ada.{t}@example.org", "primary": True}])
    bob = conn.user(userName="bob")
    signed_up = srv.client().new_user()   # a Gatehouse user that no connection provisioned
    ada_path, bob_path = f"/Users/{ada['id']}", f"/Users/{bob['id']}"
    with unchanged(conn, "/Users", ada_path, bob_path, f"/Users/{signed_up.user['id']}", f"/Users/{conn.admin.user['id']}"):
        for resource in ({"userName": "ADA"}, {"userName": "aDa", "emails": [{"value": f"ada2.{t}@example.org"}]},
                         {"userName": "c1", "emails": [{"value": signed_up.email.upper()}]}, {"userName": signed_up.email},
                         {"userName": "c2", "emails": [{"value": conn.admin.email, "primary": True}]},
                         {"userName": "c3", "emails": [{"value": f"ADA.{t}@example.org"}]}):
            scim_error(conn.request("POST", "/Users", {"schemas": [USER], **resource}), 409, "uniqueness")
        scim_error(conn.patch(bob_path, {"op": "replace", "path": "userName", "value": "ada"}), 409, "uniqueness")
        scim_error(conn.request("PUT", bob_path, {"schemas": [USER], "userName": "ADA"}), 409, "uniqueness")
        scim_error(conn.patch(bob_path, {"op": "add", "path": "emails", "value": [{"value": signed_up.email}]}), 409, "uniqueness")
        scim_error(conn.request("PUT", bob_path, {"schemas": [USER], "userName": "bob", "emails": [{"value": f"ada.{t}@example.org"}]}), 409, "uniqueness")
    assert memberships(srv, signed_up.user["id"]) == []


def test_malformed_bodies_are_refused_with_their_scim_type(conn):
    user = conn.user()
    group = conn.group("Malformed")
    path, group_path = f"/Users/{user['id']}", f"/Groups/{group['id']}"
    with unchanged(conn, "/Users", path, "/Groups", group_path):
        for method, target in (("POST", "/Users"), ("PUT", path), ("PATCH", path), ("POST", "/Groups"), ("PUT", group_path), ("PATCH", group_path)):
            scim_error(conn.request(method, target, '{"schemas": ["' + USER + '"], "userName": '), 400, "invalidSyntax")
        for method, target in (("POST", "/Users"), ("PUT", path)):
            scim_error(conn.request(method, target, {"schemas": [USER], "displayName": "No user name"}), 400, "invalidValue")
            for body in ("[]", '"text"', "5", json.dumps({"schemas": [USER], "userName": 5})):
                scim_error(conn.request(method, target, body), 400)
        scim_error(conn.request("POST", "/Groups", {"schemas": [GROUP]}), 400)


# ---------------------------------------------------------------------------------------------
# filters and paging

@pytest.fixture(scope="module")
def people(srv):
    """alice, bob and carol, provisioned by one connection for the filter tests (which change nothing)."""
    conn = org_connection(srv)
    t = tag()
    resources = {
        "alice": {"externalId": "ext-1", "displayName": "Alice Smith", "active": True,
                  "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
                  "emails": [{"value": f"alice.{t}@corp.test", "type": "work", "primary": True}, {"value": f"alice.{t}@home.test", "type": "home"}]},
        "bob": {"externalId": "ext-2", "displayName": "Bob Jones", "active": False, "name": {"givenName": "Bob", "familyName": "Jones"},
                "emails": [{"value": f"bob.{t}@corp.test", "type": "home"}]},
        "carol": {"externalId": "EXT-3", "displayName": "Carol Smith", "active": True, "name": {"givenName": "Carol", "familyName": "Smith"}},
    }
    ids = {name: conn.user(userName=name, **resource)["id"] for name, resource in resources.items()}
    return conn, ids, t


EVERYONE = {"alice", "bob", "carol"}
FILTERS = [
    ('userName eq "alice"', {"alice"}),
    ('USERNAME EQ "ALICE"', {"alice"}),                    # attribute names, operators and userName values ignore case
    ('userName ne "alice"', {"bob", "carol"}),
    ('userName co "li"', {"alice"}),
    ('userName sw "B"', {"bob"}),
    ('userName ew "ol"', {"carol"}),
    ('userName gt "b"', {"bob", "carol"}),
    ('userName ge "bob"', {"bob", "carol"}),
    ('userName lt "b"', {"alice"}),
    ('userName le "bob"', {"alice", "bob"}),
    ('displayName co "smith"', {"alice", "carol"}),
    ("displayName pr", EVERYONE),
    ("name.formatted pr", {"alice"}),
    ('name.familyName eq "Smith"', {"alice", "carol"}),
    ('name.givenName sw "c"', {"carol"}),
    ('id eq "{alice}"', {"alice"}),
    ('externalId eq "ext-1"', {"alice"}),
    ('externalId eq "EXT-1"', set()),                      # externalId is caseExact
    ('externalId eq "EXT-3"', {"carol"}),
    ("emails pr", {"alice", "bob"}),
    ('emails co "bob."', {"bob"}),
    ('emails.value eq "ALICE.{tag}@CORP.TEST"', {"alice"}),
    ('emails.value ew "@corp.test"', {"alice", "bob"}),
    ('emails.type eq "home"', {"alice", "bob"}),
    ("emails.primary eq true", {"alice"}),
    ('emails[type eq "work"]', {"alice"}),
    ('EMAILS[TYPE EQ "WORK"]', {"alice"}),
    ('emails[type eq "home" and value co "bob"]', {"bob"}),
    ('emails[type eq "work" and value ew "@home.test"]', set()),   # both on the same address
    ("active eq true", {"alice", "carol"}),
    ("active eq false", {"bob"}),
    ('userName eq "alice" or userName eq "bob"', {"alice", "bob"}),
    ('name.familyName eq "Smith" and active eq true', {"alice", "carol"}),
    ('not (userName eq "alice")', {"bob", "carol"}),
    ('userName eq "alice" or userName eq "bob" and active eq true', {"alice"}),   # and binds tighter than or
    ('(userName eq "alice" or userName eq "bob") and active eq false', {"bob"}),
    ('not (name.familyName eq "Smith") and (emails pr)', {"bob"}),
    ('meta.created gt "2000-01-01T00:00:00Z"', EVERYONE),
    ('meta.created lt "2000-01-01T00:00:00Z"', set()),
    ('meta.created ge "2100-01-01T00:00:00Z"', set()),
    ('meta.lastModified le "2100-01-01T00:00:00Z"', EVERYONE),
]


@pytest.mark.parametrize("template, expected", FILTERS, ids=[f for f, _ in FILTERS])
def test_user_filters(people, template, expected):
    conn, ids, t = people
    assert {u["userName"] for u in conn.find(template.format(tag=t, **ids))} == expected


INVALID_FILTERS = [
    'title eq "x"', 'nickName eq "x"', 'phoneNumbers.value eq "1"', f'{ENTERPRISE}:department eq "x"', 'password eq "x"',
    'emails.display eq "x"', 'name.middleName eq "x"', 'meta.resourceType eq "User"', 'members.value eq "x"',
    "userName eq", 'userName zz "x"', '(userName eq "a"', 'userName eq "a")', 'userName eq "unterminated', 'emails[type eq "work"',
    'userName eq "a" and', 'and userName eq "a"', "userName eq alice", 'not userName eq "a"', 'userName eq "a" userName eq "b"',
]


@pytest.mark.parametrize("filter", INVALID_FILTERS)
def test_invalid_user_filters(people, filter):
    conn, _, _ = people
    scim_error(conn.http.get("/Users", params={"filter": filter}), 400, "invalidFilter")


def test_filter_values_are_data_never_syntax(people):
    conn, ids, _ = people
    for filter in ('userName eq "x\\" or 1 eq 1"', 'userName eq "alice\\" or userName pr or userName eq \\"x"',
                   "userName eq \"alice' OR '1'='1\"", 'userName co "%"', 'userName co "_"', 'userName sw "%a"', 'displayName ew "%"'):
        assert conn.find(filter) == [], filter
    assert [u["id"] for u in conn.find('userName eq "alice"')] == [ids["alice"]]


def test_filters_through_scim2_client(people):
    conn, _, _ = people
    client = conn.client()
    found = client.query(User, query_parameters=SearchRequest(filter='emails[type eq "work"] or userName eq "carol"'))
    assert found.total_results == 2 and [u.user_name for u in found.resources] == ["alice", "carol"]
    page = client.query(User, query_parameters=SearchRequest(filter='name.familyName eq "smith"', count=1, start_index=2))
    assert (page.total_results, page.items_per_page, page.start_index, [u.user_name for u in page.resources]) == (2, 1, 2, ["carol"])


def test_paging_in_creation_order(conn):
    ids = [conn.user(userName=f"user{i}")["id"] for i in range(5)]
    org_connection(conn.srv).user(userName="user9")   # another connection's user is never counted
    names = [f"user{i}" for i in range(5)]

    def page(kind="Users", **params):
        body = conn.get(f"/{kind}", **params)
        assert body["schemas"] == [LIST]
        found = [r.get("userName", r.get("displayName")) for r in body.get("Resources", [])]
        return body["totalResults"], body["itemsPerPage"], body["startIndex"], found

    assert page() == (5, 5, 1, names)
    assert page(startIndex=2, count=2) == (5, 2, 2, names[1:3])
    assert page(startIndex=5, count=10) == (5, 1, 5, names[4:])
    assert page(startIndex=6) == (5, 0, 6, [])
    assert page(startIndex=0, count=2) == (5, 2, 1, names[:2])
    assert page(startIndex=-3, count=1) == (5, 1, 1, names[:1])
    assert page(count=0) == (5, 0, 1, [])
    assert page(filter='userName ne "user0"', startIndex=2, count=2) == (4, 2, 2, names[2:4])

    # Changes do not reorder: the order is the order of creation.
    ok(conn.patch(f"/Users/{ids[0]}", {"op": "replace", "path": "displayName", "value": "Touched"}))
    ok(conn.request("PUT", f"/Users/{ids[1]}", {"schemas": [USER], "userName": "user1", "title": "Replaced"}))
    ok(conn.http.delete(f"/Users/{ids[2]}"), 204)
    assert page()[3] == ["user0", "user1", "user3", "user4"] == page()[3]

    client = conn.client()
    listed = client.query(User, query_parameters=SearchRequest(start_index=2, count=2))
    assert (listed.total_results, listed.items_per_page, listed.start_index) == (4, 2, 2)
    assert [u.user_name for u in listed.resources] == ["user1", "user3"]

    for i in range(3):
        conn.group(f"team{i}")
    assert page("Groups") == (3, 3, 1, ["team0", "team1", "team2"])
    assert page("Groups", startIndex=2, count=1) == (3, 1, 2, ["team1"])
    assert page("Groups", count=0) == (3, 0, 1, [])


def test_count_is_capped_at_100(srv):
    mine = Connection(srv, srv.client().new_user())   # a personal connection: no organization membership limit involved
    names = [mine.user(userName=f"bulk{i:03d}")["userName"] for i in range(101)]
    body = mine.get("/Users", count=1000)
    assert (body["totalResults"], body["itemsPerPage"]) == (101, 100)
    assert [u["userName"] for u in body["Resources"]] == names[:100]
    body = mine.get("/Users", startIndex=101, count=100)
    assert (body["totalResults"], [u["userName"] for u in body["Resources"]]) == (101, names[100:])
    assert len(mine.get("/Users").get("Resources", [])) <= 100


# ---------------------------------------------------------------------------------------------
# PUT and PATCH

def test_put_replaces_the_whole_resource(conn):
    t = tag()
    sent = full_user(t)
    user = conn.user(**sent)
    path = f"/Users/{user['id']}"
    replacement = {"schemas": [USER], "userName": sent["userName"], "displayName": "Replaced",
                   "emails": [{"value": f"replaced.{t}@example.com", "type": "work", "primary": True}]}
    replaced = ok(conn.request("PUT", path, replacement))
    assert_carries(replaced, replacement)
    for gone in ("externalId", "name", "title", "userType", "phoneNumbers", "addresses", "roles", "entitlements", ENTERPRISE):
        assert gone not in replaced, gone
    assert replaced["id"] == user["id"] and replaced["meta"]["created"] == user["meta"]["created"]
    assert parse_date(replaced["meta"]["lastModified"]) >= parse_date(user["meta"]["lastModified"])
    assert conn.get(path) == replaced
    row = gatehouse_user(conn.srv, user["id"])
    assert (row["email"], row["name"]) == (f"replaced.{t}@example.com", "Replaced")

    client = conn.client()   # read, change and replace with scim2-client
    fetched = client.query(User, user["id"])
    fetched.display_name, fetched.title = "Replaced again", "Client"
    again = client.replace(fetched)
    assert (again.id, again.user_name, again.display_name, again.title) == (user["id"], sent["userName"], "Replaced again", "Client")
    assert gatehouse_user(conn.srv, user["id"])["name"] == "Replaced again"


def test_rfc_patch_operations(conn):
    t = tag()
    work, home, other = (f"{kind}.{t}@hopper.test" for kind in ("work", "home", "other"))
    user = conn.user(userName="grace", displayName="Grace Hopper", title="Rear Admiral", name={"givenName": "Grace", "familyName": "Hopper"},
                     emails=[{"value": work, "type": "work", "primary": True}, {"value": home, "type": "home"}],
                     **{ENTERPRISE: {"department": "Navy", "employeeNumber": "1906"}})
    path = f"/Users/{user['id']}"

    def patched(*operations) -> dict:
        body = ok(conn.patch(path, *operations))
        assert body == conn.get(path), "PATCH answers the whole resource as stored"
        return body

    assert patched({"op": "replace", "path": "displayName", "value": "Amazing Grace"})["displayName"] == "Amazing Grace"
    body = patched({"op": "replace", "path": 'emails[type eq "work"].value', "value": f"new.{work}"})
    assert_carries(body["emails"], [{"value": f"new.{work}", "type": "work", "primary": True}, {"value": home, "type": "home"}])
    assert gatehouse_user(conn.srv, user["id"])["email"] == f"new.{work}"
    body = patched({"op": "add", "path": "emails", "value": [{"value": other, "type": "other"}]})
    assert [e["value"] for e in body["emails"]] == [f"new.{work}", home, other]
    body = patched({"op": "remove", "path": 'emails[type eq "other"]'})
    assert [e["value"] for e in body["emails"]] == [f"new.{work}", home]
    assert "title" not in patched({"op": "remove", "path": "title"})
    body = patched({"op": "replace", "path": "name.givenName", "value": "Amazing"})
    assert_carries(body["name"], {"givenName": "Amazing", "familyName": "Hopper"})
    body = patched({"op": "add", "value": {"title": "Admiral", "userType": "Retired"}})
    assert (body["title"], body["userType"]) == ("Admiral", "Retired")
    body = patched({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Computing"})
    assert_carries(body[ENTERPRISE], {"department": "Computing", "employeeNumber": "1906"})
    body = patched({"op": "add", "path": "phoneNumbers", "value": [{"value": "+1-555-0100", "type": "work"}]})
    assert_carries(body["phoneNumbers"], [{"value": "+1-555-0100", "type": "work"}])
    body = patched({"op": "replace", "path": "displayname", "value": "Grace"}, {"op": "remove", "path": 'emails[type eq "home"]'})
    assert body["displayName"] == "Grace" and [e["value"] for e in body["emails"]] == [f"new.{work}"]
    assert body["meta"]["created"] == user["meta"]["created"] and body["id"] == user["id"]

    client = conn.client()
    result = client.modify(User, user["id"], PatchOp[User](operations=[PatchOperation[User](op="replace", path="title", value="Commodore")]))
    assert (result.id, result.title, result.display_name) == (user["id"], "Commodore", "Grace")


@pytest.fixture(scope="module")
def patient(srv):
    """A user whose every refused change must leave it as it was."""
    conn = org_connection(srv)
    user = conn.user(userName="patient", displayName="Patient", title="Unchanged", emails=[{"value": unique_email("patient"), "type": "work", "primary": True}])
    return conn, f"/Users/{user['id']}"


REFUSED_PATCHES = [
    ("id", ops({"op": "replace", "path": "id", "value": "other"}), "mutability"),
    ("meta", ops({"op": "replace", "path": "meta", "value": {"resourceType": "Group"}}), "mutability"),
    ("meta.created", ops({"op": "replace", "path": "meta.created", "value": "2000-01-01T00:00:00Z"}), "mutability"),
    ("unknown-path", ops({"op": "replace", "path": "noSuchAttribute", "value": "x"}), "invalidPath"),
    ("unclosed-filter", ops({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}), "invalidPath"),
    ("empty-segment", ops({"op": "replace", "path": "name..givenName", "value": "x"}), "invalidPath"),
    ("unknown-schema", ops({"op": "add", "path": "urn:ietf:params:scim:schemas:extension:nope:2.0:User:x", "value": "x"}), "invalidPath"),
    ("remove-without-path", ops({"op": "remove"}), "noTarget"),
    ("remove-userName", ops({"op": "remove", "path": "userName"}), None),
    ("unknown-op", ops({"op": "move", "path": "title", "value": "x"}), None),
    ("wrong-schemas", ops({"op": "replace", "path": "title", "value": "x"}, schemas=(USER,)), None),
    ("operations-not-a-list", {"schemas": [PATCH_OP], "Operations": {"op": "replace", "path": "title", "value": "x"}}, None),
    ("not-a-boolean", ops({"op": "replace", "path": "active", "value": "maybe"}), None),
    # atomic: the valid first operation is not applied either
    ("then-id", ops({"op": "replace", "path": "displayName", "value": "First"}, {"op": "replace", "path": "id", "value": "x"}), "mutability"),
    ("then-no-target", ops({"op": "add", "path": "title", "value": "First"}, {"op": "remove"}), "noTarget"),
    ("then-bad-path", ops({"op": "replace", "path": "displayName", "value": "First"}, {"op": "replace", "path": "bogus", "value": 1}), "invalidPath"),
]


@pytest.mark.parametrize("body, scim_type", [p[1:] for p in REFUSED_PATCHES], ids=[p[0] for p in REFUSED_PATCHES])
def test_refused_patches_change_nothing(patient, body, scim_type):
    conn, path = patient
    with unchanged(conn, path):
        scim_error(conn.request("PATCH", path, body), 400, scim_type)


def test_a_patch_applies_all_its_operations_or_none(conn):
    srv = conn.srv
    other = srv.client().new_user()
    user = conn.user(displayName="Before")
    member = conn.user()
    group = conn.group("Atomic", member["id"])
    foreign = org_connection(srv).user()
    user_path, group_path = f"/Users/{user['id']}", f"/Groups/{group['id']}"
    with unchanged(conn, user_path, group_path, f"/Users/{other.user['id']}"):
        scim_error(conn.patch(user_path, {"op": "replace", "path": "displayName", "value": "After"},
                              {"op": "add", "path": "emails", "value": [{"value": other.email}]}), 409, "uniqueness")
        scim_error(conn.patch(group_path, {"op": "add", "path": "members", "value": [{"value": user["id"]}]},
                              {"op": "add", "path": "members", "value": [{"value": foreign["id"]}]}), 400, "invalidValue")
        scim_error(conn.patch(group_path, {"op": "replace", "path": "displayName", "value": "Renamed"},
                              {"op": "replace", "path": "id", "value": "x"}), 400, "mutability")


def test_entra_patches(conn):
    srv = conn.srv
    t = tag()
    user = conn.user(userName=f"entra.{t}@contoso.test", displayName="Old", active=True, name={"givenName": "Old", "familyName": "Name"},
                     emails=[{"value": f"entra.{t}@contoso.test", "type": "work", "primary": True}],
                     **{ENTERPRISE: {"department": "Sales", "employeeNumber": "7"}})
    path = f"/Users/{user['id']}"
    assert ok(conn.patch(path, {"op": "Replace", "path": "displayName", "value": "Entra Name"}))["displayName"] == "Entra Name"
    assert ok(conn.patch(path, {"op": "Replace", "path": "active", "value": "False"}))["active"] is False
    assert conn.get(path)["active"] is False
    assert ok(conn.patch(path, {"op": "replace", "path": "active", "value": "True"}))["active"] is True
    body = ok(conn.patch(path, {"op": "replace", "value": {"name.givenName": "New", f"{ENTERPRISE}:department": "Research"}}))
    assert_carries(body["name"], {"givenName": "New", "familyName": "Name"})
    assert_carries(body[ENTERPRISE], {"department": "Research", "employeeNumber": "7"})
    assert body["displayName"] == "Entra Name" and conn.get(path) == body
    assert gatehouse_user(srv, user["id"])["name"] == "Entra Name"

    members = [conn.user()["id"] for _ in range(3)]
    group = conn.group("Entra group", members[0], members[1])
    group_path = f"/Groups/{group['id']}"
    body = ok(conn.patch(group_path, {"op": "Add", "path": "members", "value": [{"value": members[2]}]}))
    assert {m["value"] for m in body["members"]} == set(members) == team_members(srv, group["id"])
    body = ok(conn.patch(group_path, {"op": "Remove", "path": "members", "value": [{"value": members[0]}]}))
    assert {m["value"] for m in body["members"]} == set(members[1:]) == team_members(srv, group["id"])
    assert ok(conn.patch(group_path, {"op": "Replace", "path": "displayName", "value": "Entra renamed"}))["displayName"] == "Entra renamed"
    assert srv.query('SELECT name FROM "team" WHERE id = ?', group["id"]) == [{"name": "Entra renamed"}]
    body = ok(conn.patch(group_path, {"op": "Remove", "path": "members", "value": [{"value": members[1]}, {"value": members[2]}]}))
    assert body.get("members", []) == [] and team_members(srv, group["id"]) == set()
    assert all(memberships(srv, m) == [(conn.org["id"], "member")] for m in members)


# ---------------------------------------------------------------------------------------------
# deactivation and deletion

def test_deactivation_ends_sessions_and_refuses_sign_in_until_reactivated(conn, smtp_sink):
    srv = conn.srv
    email = unique_email("deactivated")
    user = conn.user(userName=email, emails=[{"value": email, "type": "work", "primary": True}], active=True)
    path = f"/Users/{user['id']}"
    browser = signed_in(srv, smtp_sink, email)
    assert browser.session()["user"]["id"] == user["id"]

    assert ok(conn.patch(path, {"op": "replace", "path": "active", "value": False}))["active"] is False
    assert conn.get(path)["active"] is False
    assert browser.get_session().json() is None
    assert count(srv, "session", userId=user["id"]) == 0
    assert_sign_in_refused(srv, email)
    assert count(srv, "session", userId=user["id"]) == 0

    assert ok(conn.patch(path, {"op": "replace", "path": "active", "value": True}))["active"] is True
    again = srv.client()
    assert again.sign_in(email, PASSWORD).status_code == 200 and again.session()["user"]["id"] == user["id"]

    # PUT too: active false refuses again, and leaving active unassigned lets the user in.
    resource = {"schemas": [USER], "userName": email, "emails": [{"value": email, "type": "work", "primary": True}]}
    assert ok(conn.request("PUT", path, {**resource, "active": False}))["active"] is False
    assert again.get_session().json() is None
    assert_sign_in_refused(srv, email)
    ok(conn.request("PUT", path, resource))
    assert srv.client().sign_in(email, PASSWORD).status_code == 200


def test_delete_removes_the_gatehouse_user_its_sessions_and_memberships(conn, smtp_sink):
    srv = conn.srv
    email = unique_email("leaver")
    leaver = conn.user(emails=[{"value": email, "primary": True}])
    stayer = conn.user()
    group = conn.group("Leavers", leaver["id"], stayer["id"])
    browser = signed_in(srv, smtp_sink, email)
    uid, path = leaver["id"], f"/Users/{leaver['id']}"
    assert count(srv, "session", userId=uid) >= 1 and count(srv, "account", userId=uid) >= 1
    assert memberships(srv, uid) == [(conn.org["id"], "member")] and count(srv, "teamMember", userId=uid) == 1

    ok(conn.http.delete(path), 204)
    assert gatehouse_user(srv, uid) is None
    for table in ("session", "account", "member", "teamMember"):
        assert count(srv, table, userId=uid) == 0, table
    assert browser.get_session().json() is None
    assert 400 <= srv.client().sign_in(email, PASSWORD).status_code < 500
    scim_error(conn.http.get(path), 404)
    scim_error(conn.http.delete(path), 404)
    scim_error(conn.patch(path, {"op": "replace", "path": "displayName", "value": "Ghost"}), 404)
    assert uid not in {u["id"] for u in conn.get("/Users")["Resources"]}
    assert [m["value"] for m in conn.get(f"/Groups/{group['id']}")["members"]] == [stayer["id"]]
    assert gatehouse_user(srv, stayer["id"]) is not None

    client = conn.client()
    assert client.delete(User, stayer["id"]) is None
    gone = client.query(User, stayer["id"], raise_scim_errors=False)
    assert isinstance(gone, Error) and gone.status == 404
    assert gatehouse_user(srv, stayer["id"]) is None


# ---------------------------------------------------------------------------------------------
# groups

def test_groups_are_teams_of_the_organization(conn):
    srv, org = conn.srv, conn.org
    u1, u2, u3 = (conn.user()["id"] for _ in range(3))
    group = conn.group("Engineering", u1, u2, externalId="grp-eng")
    gid, path = group["id"], f"/Groups/{group['id']}"
    assert GROUP in group["schemas"] and group["meta"]["resourceType"] == "Group"
    assert_carries(group, {"displayName": "Engineering", "externalId": "grp-eng", "members": [{"value": u1}, {"value": u2}]})
    assert srv.query('SELECT name, "organizationId" FROM "team" WHERE id = ?', gid) == [{"name": "Engineering", "organizationId": org["id"]}]
    assert team_members(srv, gid) == {u1, u2}
    teams = conn.admin.get("organization/list-teams", params={"organizationId": org["id"]}).json()
    assert {t["id"]: t["name"] for t in teams}.get(gid) == "Engineering"

    ok(conn.patch(path, {"op": "add", "path": "members", "value": [{"value": u3}]}))
    assert team_members(srv, gid) == {u1, u2, u3}
    body = ok(conn.patch(path, {"op": "remove", "path": f'members[value eq "{u1}"]'}))
    assert [m["value"] for m in body["members"]] == [u2, u3] and team_members(srv, gid) == {u2, u3}
    assert memberships(srv, u1) == [(org["id"], "member")], "leaving a group keeps the organization membership"
    ok(conn.patch(path, {"op": "replace", "path": "displayName", "value": "Platform"}))
    assert srv.query('SELECT name FROM "team" WHERE id = ?', gid) == [{"name": "Platform"}]

    for filter in ('displayName eq "PLATFORM"', f'members.value eq "{u3}"', f'members[value eq "{u2}"]', 'externalId eq "grp-eng"', f'id eq "{gid}"'):
        assert [g["id"] for g in conn.find(filter, "Groups")] == [gid], filter
    assert conn.find(f'members[value eq "{u1}"]', "Groups") == []
    for filter in ('members.display eq "x"', 'userName eq "x"', "displayName eq", 'displayName zz "x"'):
        scim_error(conn.http.get("/Groups", params={"filter": filter}), 400, "invalidFilter")

    replaced = ok(conn.request("PUT", path, {"schemas": [GROUP], "displayName": "Core", "externalId": "grp-eng", "members": [{"value": u3}]}))
    assert [m["value"] for m in replaced["members"]] == [u3] and replaced["displayName"] == "Core"
    assert srv.query('SELECT name FROM "team" WHERE id = ?', gid) == [{"name": "Core"}] and team_members(srv, gid) == {u3}
    assert memberships(srv, u2) == [(org["id"], "member")]

    ok(conn.http.delete(path), 204)
    assert srv.query('SELECT * FROM "team" WHERE id = ?', gid) == [] and team_members(srv, gid) == set()
    scim_error(conn.http.get(path), 404)
    for uid in (u1, u2, u3):
        assert conn.get(f"/Users/{uid}")["id"] == uid and memberships(srv, uid) == [(org["id"], "member")]

    client = conn.client()   # the same through scim2-client, with scim2-models objects
    created = client.create(Group(display_name="Via client", members=[GroupMember(value=u1)]))
    assert [m.value for m in created.members] == [u1] and team_members(srv, created.id) == {u1}
    modified = client.modify(Group, created.id, PatchOp[Group](operations=[PatchOperation[Group](op="add", path="members", value=[{"value": u2}])]))
    assert {m.value for m in modified.members} == {u1, u2} == team_members(srv, created.id)


def test_group_refusals_change_nothing(conn):
    srv = conn.srv
    user = conn.user()
    eng, ops_group = conn.group("Eng", user["id"]), conn.group("Ops")
    eng_path, ops_path = f"/Groups/{eng['id']}", f"/Groups/{ops_group['id']}"
    outsiders = [conn.admin.user["id"],                            # a member of the organization, not provisioned
                 org_connection(srv).user()["id"],                 # another organization's connection's user
                 Connection(srv, conn.admin).user()["id"],         # the same admin's personal connection's user
                 "no-such-user", ops_group["id"]]                  # nothing, and a group
    with unchanged(conn, "/Groups", eng_path, ops_path):
        scim_error(conn.request("POST", "/Groups", {"schemas": [GROUP], "displayName": "Eng"}), 409, "uniqueness")
        scim_error(conn.patch(ops_path, {"op": "replace", "path": "displayName", "value": "Eng"}), 409, "uniqueness")
        scim_error(conn.request("PUT", ops_path, {"schemas": [GROUP], "displayName": "Eng"}), 409, "uniqueness")
        for outsider in outsiders:
            scim_error(conn.request("POST", "/Groups", {"schemas": [GROUP], "displayName": "Outsiders", "members": [{"value": outsider}]}),
                       400, "invalidValue")
            scim_error(conn.patch(eng_path, {"op": "add", "path": "members", "value": [{"value": outsider}]}), 400, "invalidValue")
            scim_error(conn.request("PUT", eng_path, {"schemas": [GROUP], "displayName": "Eng", "members": [{"value": user["id"]}, {"value": outsider}]}),
                       400, "invalidValue")


def test_a_personal_connection_keeps_its_groups_out_of_organizations(srv):
    mine = Connection(srv, srv.client().new_user())
    user, other = mine.user(), mine.user()
    assert memberships(srv, user["id"]) == [] and gatehouse_user(srv, user["id"]) is not None
    group = mine.group("Personal", user["id"], externalId="p-1")
    gid, path = group["id"], f"/Groups/{group['id']}"
    assert srv.query('SELECT * FROM "team" WHERE id = ?', gid) == [] and team_members(srv, gid) == set()
    assert count(srv, "teamMember", userId=user["id"]) == 0
    assert_carries(mine.get(path), {"displayName": "Personal", "externalId": "p-1", "members": [{"value": user["id"]}]})
    assert [g["id"] for g in mine.find('displayName eq "personal"', "Groups")] == [gid]
    with unchanged(mine, path, "/Groups"):
        scim_error(mine.request("POST", "/Groups", {"schemas": [GROUP], "displayName": "Personal"}), 409, "uniqueness")
    body = ok(mine.patch(path, {"op": "add", "path": "members", "value": [{"value": other["id"]}]}))
    assert [m["value"] for m in body["members"]] == [user["id"], other["id"]]
    body = ok(mine.patch(path, {"op": "remove", "path": f'members[value eq "{user["id"]}"]'}))
    assert [m["value"] for m in body["members"]] == [other["id"]]
    ok(mine.http.delete(f"/Users/{other['id']}"), 204)
    assert mine.get(path).get("members", []) == [], "a deleted user leaves its groups"
    ok(mine.http.delete(path), 204)
    scim_error(mine.http.get(path), 404)
    assert mine.get(f"/Users/{user['id']}")["id"] == user["id"]


# ---------------------------------------------------------------------------------------------
# isolation, attributes

def test_a_token_sees_only_its_connections_resources(srv):
    a = org_connection(srv)
    a2 = Connection(srv, a.admin, a.org)      # a second connection of the same organization
    b = org_connection(srv)                   # another organization's
    connections = (a, a2, b)
    users = {c: c.user(userName="same")["id"] for c in connections}          # userName is unique per connection only
    groups = {c: c.group("Same", users[c])["id"] for c in connections}       # and so is a group's displayName
    assert len(set(users.values())) == len(set(groups.values())) == 3
    assert memberships(srv, users[b]) == [(b.org["id"], "member")]
    for mine in connections:
        assert [u["id"] for u in mine.get("/Users")["Resources"]] == [users[mine]]
        assert [g["id"] for g in mine.get("/Groups")["Resources"]] == [groups[mine]]
        assert [u["id"] for u in mine.find('userName eq "same"')] == [users[mine]]
        for theirs in connections:
            if theirs is mine:
                continue
            uid, gid = users[theirs], groups[theirs]
            with unchanged(theirs, f"/Users/{uid}", f"/Groups/{gid}"):
                for method, path, body in (
                    ("GET", f"/Users/{uid}", None), ("PUT", f"/Users/{uid}", {"schemas": [USER], "userName": "taken"}),
                    ("PATCH", f"/Users/{uid}", ops({"op": "replace", "path": "active", "value": False})), ("DELETE", f"/Users/{uid}", None),
                    ("GET", f"/Groups/{gid}", None), ("PUT", f"/Groups/{gid}", {"schemas": [GROUP], "displayName": "Taken"}),
                    ("PATCH", f"/Groups/{gid}", ops({"op": "add", "path": "members", "value": [{"value": users[mine]}]})),
                    ("DELETE", f"/Groups/{gid}", None),
                ):
                    scim_error(mine.request(method, path, body), 404)
                assert mine.find(f'id eq "{uid}"') == [] and mine.find(f'id eq "{gid}"', "Groups") == []
                scim_error(mine.request("POST", "/Groups", {"schemas": [GROUP], "displayName": "Poached", "members": [{"value": uid}]}),
                           400, "invalidValue")


def test_a_deleted_connections_provider_id_reaches_none_of_its_records(srv, conn):
    """Whoever creates a connection under a deleted connection's providerId starts afresh: the
    organization's users and teams stay out of its reach."""
    user = conn.user()
    team = conn.group(f"Team {tag()}", user["id"])
    r = conn.admin.post("scim/delete-provider-connection", {"providerId": conn.provider_id})
    assert r.status_code == 200, r.text
    assert count(srv, "scimUser", userId=user["id"]) == 0
    assert gatehouse_user(srv, user["id"]) is not None and team_members(srv, team["id"]) == {user["id"]}
    squatter = Connection(srv, srv.client().new_user(), provider_id=conn.provider_id)
    assert squatter.get("/Users")["totalResults"] == 0 and squatter.get("/Groups")["totalResults"] == 0
    scim_error(squatter.http.get(f"/Users/{user['id']}"), 404)
    scim_error(squatter.patch(f"/Users/{user['id']}", {"op": "replace", "path": "displayName", "value": "Mine"}), 404)
    scim_error(squatter.http.delete(f"/Users/{user['id']}"), 404)
    scim_error(squatter.http.delete(f"/Groups/{team['id']}"), 404)
    assert gatehouse_user(srv, user["id"]) is not None and team_members(srv, team["id"]) == {user["id"]}


def test_a_connection_ends_with_its_owner_or_its_organization(srv, conn):
    owner = srv.client().new_user()
    personal = Connection(srv, owner)
    ok(personal.http.get("/Users"))
    r = owner.post("delete-user", {"password": owner.password})
    assert r.status_code == 200, r.text
    assert_refused_token(srv, f"Bearer {personal.token}")
    assert provider_row(srv, personal.provider_id) is None

    ok(conn.http.get("/Users"))
    r = conn.admin.post("organization/delete", {"organizationId": conn.org["id"]})
    assert r.status_code == 200, r.text
    assert_refused_token(srv, f"Bearer {conn.token}")


def test_an_address_changed_by_the_idp_is_unverified_and_ends_sessions(conn, smtp_sink):
    srv = conn.srv
    email = unique_email("mover")
    user = conn.user(userName=email, emails=[{"value": email, "primary": True}])
    browser = signed_in(srv, smtp_sink, email)
    srv.execute('UPDATE "user" SET "emailVerified" = ? WHERE id = ?', True, user["id"])
    moved = unique_email("moved")
    ok(conn.patch(f"/Users/{user['id']}", {"op": "replace", "path": "emails", "value": [{"value": moved, "primary": True}]}))
    row = gatehouse_user(srv, user["id"])
    assert row["email"] == moved and not row["emailVerified"]
    assert browser.get_session().json() is None and count(srv, "session", userId=user["id"]) == 0


def test_a_team_deleted_outside_scim_takes_its_group_along(conn):
    user = conn.user()
    name = f"Team {tag()}"
    team = conn.group(name, user["id"])
    other = conn.group(f"Other {tag()}")
    assert conn.admin.post("organization/remove-team", {"teamId": team["id"]}).status_code == 200
    assert [g["id"] for g in conn.get("/Groups")["Resources"]] == [other["id"]]
    scim_error(conn.http.get(f"/Groups/{team['id']}"), 404)
    again = conn.group(name, user["id"])                      # the name is free again
    assert team_members(srv=conn.srv, team_id=again["id"]) == {user["id"]}


def test_a_member_added_outside_scim_neither_blocks_patches_nor_is_dropped(conn):
    user = conn.user()
    team = conn.group(f"Team {tag()}", user["id"])
    r = conn.admin.post("organization/add-team-member", {"teamId": team["id"], "userId": conn.admin.user["id"]})
    assert r.status_code == 200, r.text
    renamed = ok(conn.patch(f"/Groups/{team['id']}", {"op": "replace", "path": "displayName", "value": f"Renamed {tag()}"}))
    assert {m["value"] for m in renamed["members"]} == {user["id"], conn.admin.user["id"]}
    assert team_members(conn.srv, team["id"]) == {user["id"], conn.admin.user["id"]}


def test_concurrent_member_patches_all_hold(conn):
    from concurrent.futures import ThreadPoolExecutor
    people = [conn.user()["id"] for _ in range(6)]
    team = conn.group(f"Team {tag()}")

    def add(user_id):
        return conn.patch(f"/Groups/{team['id']}", {"op": "add", "path": "members", "value": [{"value": user_id}]}).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(add, people)) == [200] * 6
    assert team_members(conn.srv, team["id"]) == set(people)


def test_attributes_and_excluded_attributes(conn):
    sent = full_user(tag())
    user = conn.user(**sent)
    path = f"/Users/{user['id']}"
    only = conn.get(path, attributes="userName")
    assert only["id"] == user["id"] and only["userName"] == sent["userName"]
    assert not set(only) & {"displayName", "emails", "name", "title", ENTERPRISE}, only
    assert conn.get(path, attributes="name.givenName")["name"] == {"givenName": "Barbara"}
    body = conn.get(path, attributes=f"{ENTERPRISE}:department,emails")
    assert body[ENTERPRISE] == {"department": "Tour Operations"} and len(body["emails"]) == 2 and "displayName" not in body
    body = conn.get(path, excludedAttributes="emails,displayName")
    assert not {"emails", "displayName"} & set(body) and body["userName"] == sent["userName"] and "name" in body
    assert conn.get(path, excludedAttributes="id")["id"] == user["id"], "id is always returned"
    body = conn.get(path, excludedAttributes="name.givenName")
    assert "givenName" not in body["name"] and body["name"]["familyName"] == "Jensen"
    listed = conn.get("/Users", filter=f'id eq "{user["id"]}"', attributes="userName,title")["Resources"]
    assert [set(r) & {"userName", "title", "displayName", "emails"} for r in listed] == [{"userName", "title"}]

    group = conn.group("Attributes", user["id"])
    body = conn.get(f"/Groups/{group['id']}", excludedAttributes="members")
    assert "members" not in body and body["displayName"] == "Attributes"
    assert [m["value"] for m in conn.get(f"/Groups/{group['id']}", attributes="members")["members"]] == [user["id"]]

    client = conn.client()
    partial = client.query(User, user["id"], ResponseParameters(attributes=["userName"]))
    assert (partial.user_name, partial.display_name, partial.emails) == (sent["userName"], None, None)
