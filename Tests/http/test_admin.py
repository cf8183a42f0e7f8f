"""admin plugin: every /admin route with its permissions, answers and refusals, custom roles,
adminUserIds, bans (password sign-in only: test_admin_bans.py covers the other methods and the audit
events), impersonation and the configuration checks.

The plugin is loaded from .build/debug/libadmin.so on servers of their own; a requests session plays
each browser. The first administrator is made as an operator makes one: by setting `role` in the
database. Better Auth 1.7.1's plugins/admin is the reference for routes, bodies, answers and codes.
"""
import shutil
import time
import urllib.parse

import pytest
import yaml

from conftest import (DEFAULT_PASSWORD, assert_error, now_utc, parse_date, set_cookie_map, unique_email,
                      verify_signed_value, wait_until)
from test_bearer import built_library
from test_magic_link import assert_no_session_cookie, openapi_has, session_count

BANNED_MESSAGE = "Banned: write to support@example.org"
SUPPORT_ROLES = {
    "support": {"user": ["list", "get"], "session": ["list"]},
    "editor": {"user": ["update"]},
    "reporter": {"project": ["read"]},
    "onboarding": {"user": ["create"]},
}


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("admin-plugins")
    shutil.copy(built_library("admin"), plugins / "admin.so")
    return plugins


def admin_server(server_factory, plugins_dir, settings=None, **overrides):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"admin": settings or {}}, **overrides}, name="admin")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return admin_server(server_factory, plugins_dir, {"bannedUserMessage": BANNED_MESSAGE})


@pytest.fixture(scope="module")
def roles_srv(server_factory, plugins_dir):
    """Custom roles and a custom statement beside Better Auth's."""
    return admin_server(server_factory, plugins_dir, {"roles": SUPPORT_ROLES, "statements": {"project": ["read", "write"]}})


@pytest.fixture(scope="module")
def admin(srv):
    return make_admin(srv)


# ---------------------------------------------------------------------------------------------
# helpers


def make_admin(srv, role="admin"):
    """A signed-in user given `role` in the database, as the first administrator is made."""
    c = srv.client().new_user(name="Admin")
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', role, c.user["id"])
    return c


def user_row(srv, user_id) -> dict | None:
    rows = srv.query('SELECT name, email, role, banned, "banReason", "banExpires" FROM "user" WHERE id = ?', user_id)
    if not rows:
        return None
    row = rows[0]
    row["banned"] = bool(int(row["banned"] or 0))
    return row


def account_providers(srv, user_id) -> list[str]:
    return [r["providerId"] for r in srv.query('SELECT "providerId" FROM account WHERE "userId" = ?', user_id)]


def create(admin, **body) -> dict:
    body.setdefault("email", unique_email("made"))
    body.setdefault("name", "Made User")
    r = admin.post("admin/create-user", body)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"user"}, r.json()
    return r.json()["user"]


def list_users(c, **params):
    return c.get("admin/list-users", params=params)


def listed(c, **params) -> dict:
    r = list_users(c, **params)
    assert r.status_code == 200, r.text
    return r.json()


def grant_admin_ids(srv, *user_ids):
    """Lists users in plugins.admin.adminUserIds: a configuration reload."""
    config = yaml.safe_load(srv.config_path.read_text())
    config["plugins"]["admin"]["adminUserIds"] = list(user_ids)
    srv.config_path.write_text(yaml.safe_dump(config, sort_keys=False))


def cookie_value(c, name) -> str | None:
    return c.cookies.get(c.server.cookie_name(name))


# ---------------------------------------------------------------------------------------------
# schema, settings, OpenAPI


def test_schema_and_the_default_role(srv):
    assert {"role", "banned", "banReason", "banExpires"} <= srv.columns("user")
    assert "impersonatedBy" in srv.columns("session")
    c = srv.client().new_user()
    user = c.user
    assert user["role"] == "user" and user["banned"] is False, user
    assert user["banReason"] is None and user["banExpires"] is None, user
    assert user_row(srv, user["id"])["role"] == "user"
    # The fields are input: false: a client cannot give itself a role or lift a ban.
    r = c.post("update-user", {"role": "admin", "banned": False})
    assert r.status_code in (200, 400), r.text
    assert user_row(srv, user["id"])["role"] == "user"


ROUTES = [
    ("POST", "/admin/create-user"), ("GET", "/admin/list-users"), ("GET", "/admin/get-user"), ("POST", "/admin/update-user"),
    ("POST", "/admin/set-role"), ("POST", "/admin/ban-user"), ("POST", "/admin/unban-user"),
    ("POST", "/admin/list-user-sessions"), ("POST", "/admin/revoke-user-session"), ("POST", "/admin/revoke-user-sessions"),
    ("POST", "/admin/impersonate-user"), ("POST", "/admin/stop-impersonating"), ("POST", "/admin/remove-user"),
    ("POST", "/admin/set-user-password"), ("POST", "/admin/has-permission"),
]


def test_routes_are_in_openapi(srv):
    for method, path in ROUTES:
        assert openapi_has(srv, method.lower(), path), path
    paths = srv.client().get("openapi.json").json()["paths"]
    operation = next(paths[p]["post"] for p in (srv.base_path + "/admin/ban-user", "/admin/ban-user") if p in paths)
    assert operation["summary"] == "Ban a user"


@pytest.mark.parametrize("settings,key", [
    ({"ac": {"statements": {}}}, "plugins.admin.ac"),
    ({"adminRoles": ["owner"]}, "plugins.admin.adminRoles"),
    ({"roles": {"support": {"nothing": ["read"]}}}, "plugins.admin.roles.support.nothing"),
    ({"impersonationSessionDuration": "an hour"}, "plugins.admin.impersonationSessionDuration"),
    ({"sendBanEmail": True}, "plugins.admin.sendBanEmail"),
])
def test_bad_settings_refuse_the_plugin(server, plugins_dir, settings, key):
    bad = server({"pluginsDir": str(plugins_dir), "plugins": {"admin": settings}})
    assert key in bad.logs(), bad.logs()[-2000:]
    c = bad.client().new_user()
    assert c.get("admin/list-users").status_code == 404


# ---------------------------------------------------------------------------------------------
# who may call


FORBIDDEN = [
    ("POST", "admin/create-user", lambda t: {"email": unique_email("nope"), "name": "Nope"}, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS"),
    ("GET", "admin/list-users", lambda t: {}, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS"),
    ("GET", "admin/get-user", lambda t: {"id": t.user["id"]}, "YOU_ARE_NOT_ALLOWED_TO_GET_USER"),
    ("POST", "admin/update-user", lambda t: {"userId": t.user["id"], "data": {"name": "Hijacked"}}, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"),
    ("POST", "admin/set-role", lambda t: {"userId": t.user["id"], "role": "admin"}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"),
    ("POST", "admin/ban-user", lambda t: {"userId": t.user["id"]}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
    ("POST", "admin/unban-user", lambda t: {"userId": t.user["id"]}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
    ("POST", "admin/list-user-sessions", lambda t: {"userId": t.user["id"]}, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS"),
    ("POST", "admin/revoke-user-session", lambda t: {"sessionToken": t.token}, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"),
    ("POST", "admin/revoke-user-sessions", lambda t: {"userId": t.user["id"]}, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"),
    ("POST", "admin/impersonate-user", lambda t: {"userId": t.user["id"]}, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS"),
    ("POST", "admin/remove-user", lambda t: {"userId": t.user["id"]}, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS"),
    ("POST", "admin/set-user-password", lambda t: {"userId": t.user["id"], "newPassword": "hijacked-password"},
     "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"),
]


def test_every_route_needs_a_session(srv):
    target = srv.client().new_user()
    anonymous = srv.client()
    for method, path, body, _ in FORBIDDEN:
        if method == "GET":
            r = anonymous.get(path, params=body(target))
        else:
            r = anonymous.post(path, body(target))
        assert_error(r, 401)
    assert_error(anonymous.post("admin/stop-impersonating"), 401)
    assert_error(anonymous.post("admin/has-permission", {"permissions": {"user": ["list"]}}), 401)
    assert target.session() is not None and user_row(srv, target.user["id"])["name"] == "Test User"


def test_a_plain_user_is_refused_everywhere_and_nothing_changes(srv):
    target = srv.client().new_user()
    plain = srv.client().new_user()
    users_before = srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"]
    row_before = user_row(srv, target.user["id"])
    for method, path, body, code in FORBIDDEN:
        if method == "GET":
            r = plain.get(path, params=body(target))
        else:
            r = plain.post(path, body(target))
        assert_error(r, 403, code)
    assert srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"] == users_before
    assert user_row(srv, target.user["id"]) == row_before
    assert target.session()["user"]["id"] == target.user["id"]
    assert plain.session()["user"]["id"] == plain.user["id"]
    assert account_providers(srv, target.user["id"]) == ["credential"]
    assert srv.client().sign_in(target.email, target.password).status_code == 200


def test_a_role_change_applies_to_live_sessions_at_once(srv, admin):
    c = srv.client().new_user()
    assert_error(list_users(c), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
    # The first administrator: a role set in the database counts for the session already open.
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', "admin", c.user["id"])
    assert listed(c, limit=1)["total"] >= 2
    r = admin.post("admin/set-role", {"userId": c.user["id"], "role": "user"})
    assert r.status_code == 200, r.text
    assert_error(list_users(c), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
    assert c.session()["user"]["role"] == "user"


def test_admin_user_ids_have_every_permission(server_factory, plugins_dir):
    ids_srv = admin_server(server_factory, plugins_dir, {"adminUserIds": []}, )
    chief = ids_srv.client().new_user(name="Chief")
    other_admin = make_admin(ids_srv)
    target = ids_srv.client().new_user()
    assert_error(list_users(chief), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
    grant_admin_ids(ids_srv, chief.user["id"])
    assert wait_until(lambda: list_users(chief).status_code == 200, timeout=10), "adminUserIds was not applied"
    assert chief.session()["user"]["role"] == "user"
    r = chief.post("admin/has-permission", {"permissions": {"user": ["impersonate-admins", "delete"], "session": ["revoke"]}})
    assert r.json() == {"error": None, "success": True}, r.text
    assert chief.post("admin/set-role", {"userId": target.user["id"], "role": "admin"}).status_code == 200
    # Even administrators can be impersonated by them (impersonate-admins).
    r = chief.fork().post("admin/impersonate-user", {"userId": other_admin.user["id"]})
    assert r.status_code == 200, r.text
    # And they count as administrators: an admin by role may not impersonate them.
    assert_error(other_admin.post("admin/impersonate-user", {"userId": chief.user["id"]}), 403, "YOU_CANNOT_IMPERSONATE_ADMINS")


# ---------------------------------------------------------------------------------------------
# create-user


def test_create_user_with_a_password_can_sign_in(srv, admin):
    email = unique_email("made").upper()
    user = create(admin, email=email, password="made-password-1", data={"image": "https://example.org/a.png"})
    assert user["email"] == email.lower() and user["name"] == "Made User" and user["role"] == "user", user
    assert user["image"] == "https://example.org/a.png" and user["banned"] is False, user
    assert account_providers(srv, user["id"]) == ["credential"]
    assert srv.client().sign_in(email.lower(), "made-password-1").status_code == 200


def test_create_user_without_a_password_has_no_credential_account(srv, admin):
    user = create(admin)
    assert account_providers(srv, user["id"]) == []
    assert_error(srv.client().sign_in(user["email"], "whatever-password"), 401)


def test_create_user_with_roles(srv, admin):
    assert create(admin, role="admin")["role"] == "admin"
    assert create(admin, role=["admin", "user"])["role"] == "admin,user"
    # `data.role` is a role assignment too.
    assert create(admin, data={"role": "admin"})["role"] == "admin"


def test_create_user_refusals_make_nobody(srv, admin):
    taken = srv.client().new_user().email
    before = srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"]
    fresh = unique_email("refused")
    cases = [
        ({"email": taken, "name": "X"}, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"),
        ({"email": taken.upper(), "name": "X"}, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"),
        ({"email": "not-an-address", "name": "X"}, "INVALID_EMAIL"),
        ({"email": fresh, "name": "X", "password": "short"}, "PASSWORD_TOO_SHORT"),
        ({"email": fresh, "name": "X", "password": "x" * 200}, "PASSWORD_TOO_LONG"),
        ({"email": fresh, "name": "X", "data": {"favouriteColour": "blue"}}, "UNKNOWN_FIELD"),
        ({"email": fresh, "name": "X", "data": {"emailVerified": "yes"}}, "VALIDATION_ERROR"),
        ({"email": fresh, "name": "X", "role": 5}, "INVALID_ROLE_TYPE"),
        ({"email": fresh, "name": 5}, "VALIDATION_ERROR"),
        ({"email": fresh}, "VALIDATION_ERROR"),
        ({"name": "X"}, "VALIDATION_ERROR"),
        ({"email": fresh, "name": "X", "data": "not an object"}, "VALIDATION_ERROR"),
    ]
    for body, code in cases:
        assert_error(admin.post("admin/create-user", body), 400, code)
    assert srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"] == before
    assert srv.query('SELECT id FROM "user" WHERE email = ?', fresh) == []


def test_create_user_needs_set_role_and_ban_for_those_fields(roles_srv):
    onboarding = make_admin(roles_srv, role="onboarding")
    before = roles_srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"]
    for body, code in [({"role": "support"}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"),
                       ({"data": {"role": "admin"}}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"),
                       ({"data": {"banned": True}}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")]:
        r = onboarding.post("admin/create-user", {"email": unique_email("onboarded"), "name": "X", **body})
        assert_error(r, 403, code)
    assert roles_srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"] == before
    assert create(onboarding)["role"] == "user"
    # With roles configured, a new user's role must be one of them.
    boss = make_admin(roles_srv)
    assert create(boss, role="support")["role"] == "support"
    assert_error(boss.post("admin/create-user", {"email": unique_email(), "name": "X", "role": "ghost"}), 400,
                 "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
    # A user created banned gets no session.
    banned = create(boss, password="banned-password-1", data={"banned": True, "banReason": "Born banned"})
    assert banned["banned"] is True and banned["banReason"] == "Born banned", banned
    assert_error(roles_srv.client().sign_in(banned["email"], "banned-password-1"), 403, "BANNED_USER")


# ---------------------------------------------------------------------------------------------
# list-users


@pytest.fixture(scope="module")
def cohort(srv, admin):
    """Five users whose addresses share a tag: (tag, users by name)."""
    tag = "cohort" + str(int(time.time() * 1000))[-8:]
    users = {}
    for name, role in [("Alice", "user"), ("Bob", "admin"), ("Carol", "user"), ("Dave", "user"), ("Eve", "admin")]:
        users[name] = create(admin, email=f"{name.lower()}-{tag}@example.org", name=f"{name} {tag}", role=role)
    return tag, users


def names(body) -> list[str]:
    return [u["name"].split()[0] for u in body["users"]]


def test_list_users_pages_with_totals(srv, admin, cohort):
    tag, users = cohort
    everything = listed(admin, searchValue=tag)
    assert everything["total"] == 5 and set(everything) == {"users", "total"}, everything
    page = listed(admin, searchValue=tag, sortBy="name", limit=2, offset=2)
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 2, page
    assert names(page) == ["Carol", "Dave"]
    first = listed(admin, searchValue=tag, sortBy="name", limit=2, offset=0)
    assert names(first) == ["Alice", "Bob"] and "offset" not in first and first["limit"] == 2, first
    last = listed(admin, searchValue=tag, sortBy="name", sortDirection="desc", limit=2, offset=4)
    assert names(last) == ["Alice"] and last["total"] == 5
    # Users are API output: the same fields as get-user.
    assert set(page["users"][0]) == set(admin.get("admin/get-user", params={"id": users["Carol"]["id"]}).json())


def test_list_users_search(srv, admin, cohort):
    tag, _ = cohort
    assert names(listed(admin, searchValue=f"bob-{tag}", sortBy="name")) == ["Bob"]
    assert names(listed(admin, searchValue="CAROL " + tag.upper(), searchField="name")) == ["Carol"]
    assert names(listed(admin, searchValue=f"DAVE-{tag}", searchOperator="starts_with")) == ["Dave"]
    assert listed(admin, searchValue=f"{tag}@example.org", searchOperator="ends_with")["total"] == 5
    assert listed(admin, searchValue=tag, searchOperator="starts_with")["total"] == 0
    # `%` and `_` are matched as themselves.
    assert listed(admin, searchValue="%" + tag)["total"] == 0


def test_list_users_filters(srv, admin, cohort):
    tag, users = cohort
    assert names(listed(admin, searchValue=tag, filterField="role", filterValue="admin", sortBy="name")) == ["Bob", "Eve"]
    assert listed(admin, searchValue=tag, filterField="role", filterOperator="ne", filterValue="admin")["total"] == 3
    ids = f'{users["Alice"]["id"]},{users["Eve"]["id"]}'
    assert names(listed(admin, searchValue=tag, filterField="id", filterOperator="in", filterValue=ids, sortBy="name")) == ["Alice", "Eve"]
    assert listed(admin, searchValue=tag, filterField="id", filterOperator="not_in", filterValue=ids)["total"] == 3
    assert listed(admin, searchValue=tag, filterField="banned", filterValue="false")["total"] == 5
    assert listed(admin, searchValue=tag, filterField="name", filterOperator="contains", filterValue="aro")["total"] == 1
    email = users["Dave"]["email"]
    assert names(listed(admin, filterValue=email)) == ["Dave"]  # filterField defaults to email
    since = users["Carol"]["createdAt"]
    assert names(listed(admin, searchValue=tag, filterField="createdAt", filterOperator="gte", filterValue=since,
                        sortBy="createdAt")) == ["Carol", "Dave", "Eve"]


def test_list_users_bad_queries(srv, admin):
    for params in [{"sortBy": "password"}, {"sortBy": "nope"}, {"filterField": "nope", "filterValue": "x"},
                   {"filterOperator": "like", "filterValue": "x"}, {"searchValue": "x", "searchField": "role"},
                   {"searchValue": "x", "searchOperator": "regex"}, {"sortDirection": "up"}, {"limit": "ten"},
                   {"limit": "0"}, {"offset": "-1"}]:
        r = list_users(admin, **params)
        assert r.status_code == 400, (params, r.status_code, r.text)
        assert_error(r, 400)
    assert_error(list_users(admin, filterField="banned", filterOperator="contains", filterValue="x"), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------
# get-user, update-user, set-role


def test_get_user(srv, admin):
    c = srv.client().new_user()
    r = admin.get("admin/get-user", params={"id": c.user["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == c.user["id"] and r.json()["email"] == c.email and r.json()["role"] == "user", r.json()
    assert_error(admin.get("admin/get-user", params={"id": "no-such-user"}), 404, "USER_NOT_FOUND")
    assert_error(admin.get("admin/get-user"), 400)


def test_update_user(srv, admin):
    c = srv.client().new_user()
    uid = c.user["id"]
    r = admin.post("admin/update-user", {"userId": uid, "data": {"name": "Renamed", "image": "https://example.org/r.png"}})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == uid and r.json()["name"] == "Renamed" and r.json()["image"] == "https://example.org/r.png", r.json()
    assert c.session()["user"]["name"] == "Renamed"
    new_email = unique_email("moved")
    r = admin.post("admin/update-user", {"userId": uid, "data": {"email": new_email.upper(), "role": ["admin", "user"]}})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == new_email and r.json()["role"] == "admin,user", r.json()
    assert_error(admin.post("admin/update-user", {"userId": "no-such-user", "data": {"name": "X"}}), 404, "USER_NOT_FOUND")


def test_update_user_refusals_change_nothing(srv, admin):
    c = srv.client().new_user()
    uid = c.user["id"]
    before = user_row(srv, uid)
    other = srv.client().new_user().email
    cases = [
        ({"userId": uid, "data": {}}, "NO_DATA_TO_UPDATE"),
        ({"userId": uid, "data": {"password": "plain-text-1"}}, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER"),
        ({"userId": uid, "data": {"name": "X", "email": other}}, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"),
        ({"userId": uid, "data": {"name": "X", "email": "nowhere"}}, "INVALID_EMAIL"),
        ({"userId": uid, "data": {"name": "X", "favouriteColour": "blue"}}, "UNKNOWN_FIELD"),
        ({"userId": uid, "data": {"name": 5}}, "VALIDATION_ERROR"),
        ({"userId": uid, "data": {"name": "X", "role": 5}}, "INVALID_ROLE_TYPE"),
        ({"userId": uid, "data": {"id": "stolen"}}, "VALIDATION_ERROR"),
        ({"userId": admin.user["id"], "data": {"banned": True}}, "YOU_CANNOT_BAN_YOURSELF"),
        ({"userId": uid, "data": "name=X"}, "VALIDATION_ERROR"),
        ({"userId": uid}, "VALIDATION_ERROR"),
        ({"data": {"name": "X"}}, "VALIDATION_ERROR"),
    ]
    for body, code in cases:
        assert_error(admin.post("admin/update-user", body), 400, code)
    assert user_row(srv, uid) == before
    assert not user_row(srv, admin.user["id"])["banned"]


def test_update_user_needs_the_permission_of_each_field(roles_srv):
    editor = make_admin(roles_srv, role="editor")
    target = roles_srv.client().new_user()
    uid = target.user["id"]
    r = editor.post("admin/update-user", {"userId": uid, "data": {"name": "Edited"}})
    assert r.status_code == 200 and r.json()["name"] == "Edited", r.text
    for data, code in [({"role": "admin"}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"),
                       ({"banned": True}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
                       ({"email": unique_email()}, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL"),
                       ({"emailVerified": True}, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL")]:
        assert_error(editor.post("admin/update-user", {"userId": uid, "data": {"name": "Again", **data}}), 403, code)
    row = user_row(roles_srv, uid)
    assert row["name"] == "Edited" and row["role"] == "user" and not row["banned"] and row["email"] == target.email
    assert target.session() is not None


def test_set_role(srv, admin):
    c = srv.client().new_user()
    uid = c.user["id"]
    r = admin.post("admin/set-role", {"userId": uid, "role": "admin"})
    assert r.status_code == 200 and set(r.json()) == {"user"} and r.json()["user"]["role"] == "admin", r.text
    r = admin.post("admin/set-role", {"userId": uid, "role": ["user", "admin"]})
    assert r.json()["user"]["role"] == "user,admin", r.text
    # Without configured roles any name is accepted, as in Better Auth.
    assert admin.post("admin/set-role", {"userId": uid, "role": "auditor"}).json()["user"]["role"] == "auditor"
    for body, status, code in [({"userId": uid, "role": 5}, 400, "INVALID_ROLE_TYPE"),
                               ({"userId": uid, "role": ["admin", 5]}, 400, "INVALID_ROLE_TYPE"),
                               ({"userId": uid, "role": []}, 400, "INVALID_ROLE_TYPE"),
                               ({"userId": uid}, 400, "VALIDATION_ERROR"),
                               ({"role": "admin"}, 400, "VALIDATION_ERROR"),
                               ({"userId": "no-such-user", "role": "admin"}, 404, "USER_NOT_FOUND")]:
        assert_error(admin.post("admin/set-role", body), status, code)
    assert user_row(srv, uid)["role"] == "auditor"


# ---------------------------------------------------------------------------------------------
# custom roles and has-permission


def test_custom_roles(roles_srv):
    support = make_admin(roles_srv, role="support")
    boss = make_admin(roles_srv)
    target = roles_srv.client().new_user()
    uid = target.user["id"]
    assert list_users(support).status_code == 200
    assert support.get("admin/get-user", params={"id": uid}).status_code == 200
    assert support.post("admin/list-user-sessions", {"userId": uid}).status_code == 200
    assert_error(support.post("admin/ban-user", {"userId": uid}), 403, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
    assert_error(support.post("admin/revoke-user-sessions", {"userId": uid}), 403, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS")
    # With roles configured, only defined roles may be set; admin and user stay defined.
    assert_error(boss.post("admin/set-role", {"userId": uid, "role": "ghost"}), 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
    assert_error(boss.post("admin/set-role", {"userId": uid, "role": ["support", "ghost"]}), 400,
                 "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
    assert user_row(roles_srv, uid)["role"] == "user"
    assert boss.post("admin/set-role", {"userId": uid, "role": ["support", "editor"]}).json()["user"]["role"] == "support,editor"
    # Roles add up: support lists, editor updates.
    assert list_users(target).status_code == 200
    assert target.post("admin/update-user", {"userId": boss.user["id"], "data": {"name": "Boss"}}).status_code == 200
    assert boss.post("admin/set-role", {"userId": uid, "role": "user"}).status_code == 200
    assert_error(list_users(target), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")


def has_permission(c, permissions):
    r = c.post("admin/has-permission", {"permissions": permissions})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"error", "success"} and r.json()["error"] is None, r.json()
    return r.json()["success"]


def test_has_permission(srv, admin, roles_srv):
    assert has_permission(admin, {"user": ["ban", "set-role"], "session": ["revoke"]}) is True
    assert has_permission(admin, {"user": ["impersonate-admins"]}) is False
    assert has_permission(admin, {"user": ["ban"], "project": ["read"]}) is False
    assert has_permission(admin, {"user": []}) is False
    assert has_permission(admin, {}) is False
    plain = srv.client().new_user()
    assert has_permission(plain, {"user": ["list"]}) is False
    # The body's userId and role are not read over HTTP: the caller asks about itself.
    r = plain.post("admin/has-permission", {"permissions": {"user": ["list"]}, "userId": admin.user["id"], "role": "admin"})
    assert r.json()["success"] is False, r.text
    reporter = make_admin(roles_srv, role="reporter")
    assert has_permission(reporter, {"project": ["read"]}) is True
    assert has_permission(reporter, {"project": ["read", "write"]}) is False
    assert_error(admin.post("admin/has-permission", {}), 400, "INVALID_PERMISSION_CHECK_NO_PERMISSIONS_WERE_PASSED")
    assert_error(admin.post("admin/has-permission", {"permissions": {"user": "ban"}}), 400, "VALIDATION_ERROR")
    assert_error(admin.post("admin/has-permission", {"permissions": ["user"]}), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------
# bans (the other sign-in methods: test_admin_bans.py)


def test_ban_ends_sessions_and_refuses_sign_in(srv, admin):
    victim = srv.client().new_user()
    second = victim.fork()
    r = admin.post("admin/ban-user", {"userId": victim.user["id"], "banReason": "Spam"})
    assert r.status_code == 200 and set(r.json()) == {"user"}, r.text
    user = r.json()["user"]
    assert user["banned"] is True and user["banReason"] == "Spam" and user["banExpires"] is None, user
    assert session_count(srv, victim.user["id"]) == 0
    assert victim.get_session().json() is None and second.get_session().json() is None
    refused = srv.client()
    r = refused.sign_in(victim.email, victim.password)
    assert_error(r, 403, "BANNED_USER", BANNED_MESSAGE)
    assert_no_session_cookie(r, srv)
    assert session_count(srv, victim.user["id"]) == 0
    # A wrong password is still just a wrong password.
    assert_error(srv.client().sign_in(victim.email, "not-the-password"), 401)

    r = admin.post("admin/unban-user", {"userId": victim.user["id"]})
    assert r.status_code == 200, r.text
    assert {k: r.json()["user"][k] for k in ("banned", "banReason", "banExpires")} == \
        {"banned": False, "banReason": None, "banExpires": None}
    assert srv.client().sign_in(victim.email, victim.password).status_code == 200


def test_a_ban_with_an_expiry_ends_by_itself(srv, admin):
    victim = srv.client().new_user()
    r = admin.post("admin/ban-user", {"userId": victim.user["id"], "banExpiresIn": 1})
    assert r.status_code == 200, r.text
    ends = parse_date(r.json()["user"]["banExpires"])
    assert 0 < (ends - now_utc()).total_seconds() <= 1.5
    assert_error(srv.client().sign_in(victim.email, victim.password), 403, "BANNED_USER")
    time.sleep(max(0.0, (ends - now_utc()).total_seconds()) + 0.3)
    again = srv.client()
    assert again.sign_in(victim.email, victim.password).status_code == 200
    row = user_row(srv, victim.user["id"])
    assert (row["banned"], row["banReason"], row["banExpires"]) == (False, None, None), row
    assert again.session()["user"]["banned"] is False


def test_ban_refusals_change_nothing(srv, admin):
    victim = srv.client().new_user()
    uid = victim.user["id"]
    for body, status, code in [({"userId": admin.user["id"]}, 400, "YOU_CANNOT_BAN_YOURSELF"),
                               ({"userId": "no-such-user"}, 404, "USER_NOT_FOUND"),
                               ({"userId": uid, "banExpiresIn": "tomorrow"}, 400, "VALIDATION_ERROR"),
                               ({"userId": uid, "banExpiresIn": -5}, 400, "VALIDATION_ERROR"),
                               ({"userId": uid, "banReason": ["a"]}, 400, "VALIDATION_ERROR"),
                               ({"userId": 12}, 400, "VALIDATION_ERROR"),
                               ({}, 400, "VALIDATION_ERROR")]:
        assert_error(admin.post("admin/ban-user", body), status, code)
    assert not user_row(srv, uid)["banned"] and not user_row(srv, admin.user["id"])["banned"]
    assert victim.session() is not None and admin.session() is not None
    assert_error(admin.post("admin/unban-user", {"userId": "no-such-user"}), 404, "USER_NOT_FOUND")


def test_a_ban_written_to_the_database_is_enforced(server_factory, plugins_dir):
    """A database migrated from Better Auth: `banned` is set, and the plugin arrives later. Its ban
    sync runs as soon as it is loaded and gives the user the sign-in hold."""
    migrated = server_factory({"pluginsDir": str(plugins_dir), "plugins": {"admin": {"enabled": False}}}, name="admin-migrated")
    victim = migrated.client().new_user()
    bystander = migrated.client().new_user()
    migrated.execute('ALTER TABLE "user" ADD COLUMN "banned" BOOLEAN')
    migrated.execute('ALTER TABLE "user" ADD COLUMN "banReason" TEXT')
    migrated.execute('UPDATE "user" SET banned = ?, "banReason" = ? WHERE id = ?', True, "Imported", victim.user["id"])
    config = yaml.safe_load(migrated.config_path.read_text())
    config["plugins"]["admin"] = {}
    migrated.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    assert wait_until(lambda: session_count(migrated, victim.user["id"]) == 0, timeout=15), "the imported ban got no hold"
    assert_error(migrated.client().sign_in(victim.email, victim.password), 403, "BANNED_USER")
    assert bystander.session() is not None
    assert migrated.client().sign_in(bystander.email, bystander.password).status_code == 200


# ---------------------------------------------------------------------------------------------
# sessions


def test_list_and_revoke_user_sessions(srv, admin):
    victim = srv.client().new_user()
    second = victim.fork()
    r = admin.post("admin/list-user-sessions", {"userId": victim.user["id"]})
    assert r.status_code == 200 and set(r.json()) == {"sessions"}, r.text
    sessions = r.json()["sessions"]
    assert sorted(s["token"] for s in sessions) == sorted([victim.token, second.token])
    assert all(s["userId"] == victim.user["id"] and "impersonatedBy" in s for s in sessions), sessions
    r = admin.post("admin/revoke-user-session", {"sessionToken": second.token})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert second.get_session().json() is None and victim.session() is not None
    third = victim.fork()
    r = admin.post("admin/revoke-user-sessions", {"userId": victim.user["id"]})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert victim.get_session().json() is None and third.get_session().json() is None
    assert admin.post("admin/list-user-sessions", {"userId": victim.user["id"]}).json() == {"sessions": []}
    assert admin.session() is not None
    assert_error(admin.post("admin/revoke-user-session", {"sessionToken": 5}), 400, "VALIDATION_ERROR")
    assert_error(admin.post("admin/list-user-sessions", {}), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------
# impersonation


def test_impersonation_and_back(srv, admin):
    target = srv.client().new_user()
    operator = admin.fork()
    own_token = operator.token
    r = operator.post("admin/impersonate-user", {"userId": target.user["id"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"session", "user"} and body["user"]["id"] == target.user["id"], body
    session = body["session"]
    assert session["userId"] == target.user["id"] and session["impersonatedBy"] == admin.user["id"], session
    assert session["token"] == operator.token != own_token
    assert 3590 <= (parse_date(session["expiresAt"]) - now_utc()).total_seconds() <= 3600
    # The administrator's session is kept, named in the signed admin_session cookie.
    kept = verify_signed_value(cookie_value(operator, "admin_session"), srv.secret)
    assert kept == f"{own_token}:", kept
    cookies = set_cookie_map(r)
    assert cookies[srv.cookie_name("admin_session")].attrs.get("httponly") is True
    assert srv.query('SELECT "userId" FROM "session" WHERE token = ?', own_token) == [{"userId": admin.user["id"]}]
    assert operator.session()["user"]["id"] == target.user["id"]
    # get-session does not stretch the impersonation past its hour.
    time.sleep(0.05)
    assert operator.session()["session"]["expiresAt"] == session["expiresAt"]

    # The user's own list of sessions leaves the impersonation out.
    r = target.get("list-sessions")
    assert r.status_code == 200, r.text
    assert [s["token"] for s in r.json()] == [target.token]
    assert session_count(srv, target.user["id"]) == 2

    r = operator.post("admin/stop-impersonating")
    assert r.status_code == 200, r.text
    assert r.json()["session"]["token"] == own_token and r.json()["user"]["id"] == admin.user["id"], r.json()
    assert operator.token == own_token and operator.session()["user"]["id"] == admin.user["id"]
    assert cookie_value(operator, "admin_session") is None
    assert srv.query('SELECT id FROM "session" WHERE token = ?', session["token"]) == []
    assert_error(operator.post("admin/stop-impersonating"), 400, "YOU_ARE_NOT_IMPERSONATING_ANYONE")
    assert_error(srv.client().post("admin/stop-impersonating"), 401)


def test_impersonating_needs_the_admin_session_cookie(srv, admin):
    target = srv.client().new_user()
    operator = admin.fork()
    assert operator.post("admin/impersonate-user", {"userId": target.user["id"]}).status_code == 200
    impersonation = operator.token
    del operator.cookies[srv.cookie_name("admin_session")]
    assert_error(operator.post("admin/stop-impersonating"), 400, "FAILED_TO_FIND_ADMIN_SESSION")
    forged = urllib.parse.quote(f"{admin.token}:.forged", safe="")
    operator.cookies[srv.cookie_name("admin_session")] = forged
    assert_error(operator.post("admin/stop-impersonating"), 400, "FAILED_TO_FIND_ADMIN_SESSION")
    assert operator.token == impersonation and operator.session()["user"]["id"] == target.user["id"]


def test_administrators_are_not_impersonated_unless_allowed(server_factory, plugins_dir, srv, admin):
    other_admin = make_admin(srv)
    multi = srv.client().new_user()
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', "user,admin", multi.user["id"])
    for target in (other_admin, multi):
        r = admin.fork().post("admin/impersonate-user", {"userId": target.user["id"]})
        assert_error(r, 403, "YOU_CANNOT_IMPERSONATE_ADMINS")
        assert session_count(srv, target.user["id"]) == 1

    allowing = admin_server(server_factory, plugins_dir, {"allowImpersonatingAdmins": True, "impersonationSessionDuration": 600})
    boss, peer = make_admin(allowing), make_admin(allowing)
    r = boss.post("admin/impersonate-user", {"userId": peer.user["id"]})
    assert r.status_code == 200, r.text
    assert 590 <= (parse_date(r.json()["session"]["expiresAt"]) - now_utc()).total_seconds() <= 600
    assert boss.session()["user"]["id"] == peer.user["id"]


# ---------------------------------------------------------------------------------------------
# remove-user, set-user-password


def test_remove_user(srv, admin):
    leaver = srv.client().new_user()
    uid = leaver.user["id"]
    r = admin.post("admin/remove-user", {"userId": uid})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert user_row(srv, uid) is None and session_count(srv, uid) == 0 and account_providers(srv, uid) == []
    assert leaver.get_session().json() is None
    assert_error(admin.post("admin/remove-user", {"userId": uid}), 404, "USER_NOT_FOUND")
    assert_error(admin.post("admin/remove-user", {"userId": admin.user["id"]}), 400, "YOU_CANNOT_REMOVE_YOURSELF")
    assert admin.session() is not None


def test_set_user_password(srv, admin):
    user = create(admin)
    uid = user["id"]
    assert account_providers(srv, uid) == []
    for body, status, code in [({"userId": uid, "newPassword": "short"}, 400, "PASSWORD_TOO_SHORT"),
                               ({"userId": uid, "newPassword": "x" * 200}, 400, "PASSWORD_TOO_LONG"),
                               ({"userId": uid, "newPassword": ""}, 400, "VALIDATION_ERROR"),
                               ({"userId": uid}, 400, "VALIDATION_ERROR"),
                               ({"userId": "no-such-user", "newPassword": "long-enough-pw"}, 404, "USER_NOT_FOUND")]:
        assert_error(admin.post("admin/set-user-password", body), status, code)
    assert account_providers(srv, uid) == []
    r = admin.post("admin/set-user-password", {"userId": uid, "newPassword": "brand-new-password"})
    assert r.status_code == 200 and r.json() == {"status": True}, r.text
    assert account_providers(srv, uid) == ["credential"]
    assert srv.client().sign_in(user["email"], "brand-new-password").status_code == 200
    # A second time replaces the password on the same account.
    assert admin.post("admin/set-user-password", {"userId": uid, "newPassword": DEFAULT_PASSWORD}).status_code == 200
    assert account_providers(srv, uid) == ["credential"]
    assert_error(srv.client().sign_in(user["email"], "brand-new-password"), 401)
    assert srv.client().sign_in(user["email"], DEFAULT_PASSWORD).status_code == 200
