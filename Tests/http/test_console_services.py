"""The services an operator's console calls (issue 26), called here by the C caller fixture of
test_plugin_services (fixtures/service_plugin.c, `uses` every provider): admin (`isAdmin`, and routes run
for an actor: the routes' permission checks, refusals and `admin.*` events, recorded by
fixtures/event_recorder.c), organization `listOrganizations`, audit-log `list`/`count`, webhooks
`listDeliveries`/`redeliver`, two-factor `status`/`verify` (pyotp plays the authenticator app)."""
import shutil
import time

import pyotp
import pytest

from conftest import assert_error, unique_email, wait_until
from test_bearer import built_library
from test_host_events import Recorder, build_recorder
from test_plugin_services import OK, build, call, refused
from test_two_factor import previous_window_code

PROVIDERS = ("admin", "organization", "audit-log", "webhooks", "two-factor")
# Nothing listens on the discard port: every delivery fails at once and, with one attempt, is dead.
DEAD_ENDPOINT = {"id": "nowhere", "url": "http://127.0.0.1:9/hook", "secret": "whsec_" + "QUJD" * 8, "events": ["user.created"]}


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    return Recorder(tmp_path_factory.mktemp("console-services-events") / "events.jsonl")


@pytest.fixture(scope="module")
def srv(server_factory, tmp_path_factory, audit):
    plugins = tmp_path_factory.mktemp("console-services-plugins")
    for name in PROVIDERS:
        shutil.copy(built_library(name), plugins / f"{name}.so")
    build_recorder(plugins, "admin-recorder", events="admin.*")
    build(plugins, "console-client", uses=[{"plugin": name} for name in PROVIDERS])
    return server_factory({"pluginsDir": str(plugins), "plugins": {
        "admin-recorder": {"file": str(audit.path)},
        "webhooks": {"endpoints": [DEAD_ENDPOINT], "allowPrivateNetworks": True, "retry": {"maxAttempts": 1}},
    }}, name="console-services")


def service(srv, plugin, name, request):
    return call(srv, "console-client", plugin, name, request)


def answer(srv, plugin, name, request):
    got = service(srv, plugin, name, request)
    assert got["status"] == OK and got["error"] is None, got
    return got["answer"]


@pytest.fixture(scope="module")
def admin(srv):
    c = srv.client().new_user(name="Console Admin")
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', "admin", c.user["id"])
    return c


# --------------------------------------------------------------------------------------------- admin


def test_is_admin(srv, admin):
    someone = srv.client().new_user()
    assert answer(srv, "admin", "isAdmin", {"userId": admin.user["id"]}) == {"admin": True}
    assert answer(srv, "admin", "isAdmin", {"userId": someone.user["id"]}) == {"admin": False}
    assert answer(srv, "admin", "isAdmin", {"userId": "no-such-user"}) == {"admin": False}
    assert answer(srv, "admin", "isAdmin", {}) == {"admin": False}


def test_a_non_admin_actor_is_refused_as_on_the_routes(srv, admin, audit):
    someone, target = srv.client().new_user(), srv.client().new_user()
    mark = audit.mark()
    refused(service(srv, "admin", "listUsers", {"actorUserId": someone.user["id"]}), "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", 403)
    refused(service(srv, "admin", "getUser", {"actorUserId": someone.user["id"], "id": target.user["id"]}), "YOU_ARE_NOT_ALLOWED_TO_GET_USER", 403)
    refused(service(srv, "admin", "banUser", {"actorUserId": someone.user["id"], "userId": target.user["id"]}), "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", 403)
    refused(service(srv, "admin", "setRole", {"actorUserId": someone.user["id"], "userId": someone.user["id"], "role": "admin"}),
            "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", 403)
    refused(service(srv, "admin", "listUserSessions", {"actorUserId": someone.user["id"], "userId": target.user["id"]}),
            "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", 403)
    # The same refusal as the route's.
    assert_error(someone.post("admin/ban-user", {"userId": target.user["id"]}), 403, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
    # An unknown or missing actor: 401.
    refused(service(srv, "admin", "listUsers", {"actorUserId": "no-such-user"}), "UNAUTHORIZED", 401)
    refused(service(srv, "admin", "banUser", {"userId": target.user["id"]}), "UNAUTHORIZED", 401)
    assert target.sign_in().status_code == 200, "nothing was done"
    assert srv.query('SELECT role FROM "user" WHERE id = ?', someone.user["id"])[0]["role"] == "user"
    assert audit.since(mark) == []


def test_ban_through_the_service_is_the_routes_ban(srv, admin, audit):
    by_route, by_service = srv.client().new_user(), srv.client().new_user()
    actor = admin.user["id"]

    mark = audit.mark()
    r = admin.post("admin/ban-user", {"userId": by_route.user["id"], "banReason": "Spam", "banExpiresIn": 3600})
    assert r.status_code == 200, r.text
    route_events = audit.since(mark)

    mark = audit.mark()
    got = answer(srv, "admin", "banUser", {"actorUserId": actor, "userId": by_service.user["id"], "banReason": "Spam", "banExpiresIn": 3600})
    service_events = audit.since(mark)

    assert set(got) == set(r.json()) == {"user"}
    assert got["user"]["banned"] is True and got["user"]["banReason"] == "Spam" and got["user"]["banExpires"]
    assert set(got["user"]) == set(r.json()["user"])
    assert [e["name"] for e in route_events] == [e["name"] for e in service_events] == ["admin.user.banned"], (route_events, service_events)
    for event, user in ((route_events[0], by_route), (service_events[0], by_service)):
        assert event["source"] == "admin" and event["payload"]["actorUserId"] == actor and event["payload"]["userId"] == user.user["id"]
    assert set(route_events[0]["payload"]) == set(service_events[0]["payload"])
    for user in (by_route, by_service):
        assert_error(user.sign_in(), 403, "BANNED_USER")

    # Refusals of the route: yourself, an unknown user.
    refused(service(srv, "admin", "banUser", {"actorUserId": actor, "userId": actor}), "YOU_CANNOT_BAN_YOURSELF", 400)
    refused(service(srv, "admin", "banUser", {"actorUserId": actor, "userId": "no-such-user"}), "USER_NOT_FOUND", 404)

    mark = audit.mark()
    got = answer(srv, "admin", "unbanUser", {"actorUserId": actor, "userId": by_service.user["id"]})
    assert got["user"]["banned"] is False
    assert [e["name"] for e in audit.since(mark)] == ["admin.user.unbanned"]
    assert by_service.sign_in().status_code == 200


def test_users_sessions_and_roles_for_an_actor(srv, admin, audit):
    actor = admin.user["id"]
    tag = unique_email("listed").split("@")[0]
    listed = [srv.client().new_user(email=f"{tag}-{i}@example.com") for i in range(3)]

    # Values as numbers or as a query string's text; the answer is the route's.
    got = answer(srv, "admin", "listUsers", {"actorUserId": actor, "searchValue": tag, "limit": 2, "sortBy": "email"})
    route = admin.get("admin/list-users", params={"searchValue": tag, "limit": "2", "sortBy": "email"}).json()
    assert got == route and got["total"] == 3 and got["limit"] == 2
    assert [u["email"] for u in got["users"]] == [c.email for c in listed[:2]]
    got = answer(srv, "admin", "listUsers", {"actorUserId": actor, "searchValue": tag, "limit": "2", "offset": 2, "sortBy": "email"})
    assert [u["email"] for u in got["users"]] == [listed[2].email] and got["offset"] == 2
    refused(service(srv, "admin", "listUsers", {"actorUserId": actor, "limit": "many"}), "INVALID_QUERY", 400)

    target = listed[0]
    assert answer(srv, "admin", "getUser", {"actorUserId": actor, "id": target.user["id"]}) == \
        admin.get("admin/get-user", params={"id": target.user["id"]}).json()
    refused(service(srv, "admin", "getUser", {"actorUserId": actor, "id": "no-such-user"}), "USER_NOT_FOUND", 404)

    second = target.fork()
    sessions = answer(srv, "admin", "listUserSessions", {"actorUserId": actor, "actorSessionToken": admin.token, "userId": target.user["id"]})
    assert sessions == admin.post("admin/list-user-sessions", {"userId": target.user["id"]}).json()
    assert len(sessions["sessions"]) == 2 and all(s["token"] and s["userId"] == target.user["id"] for s in sessions["sessions"])

    mark = audit.mark()
    assert answer(srv, "admin", "revokeUserSession", {"actorUserId": actor, "sessionToken": second.token}) == {"success": True}
    assert second.get_session().json() is None and target.session() is not None
    assert [e["name"] for e in audit.since(mark)] == ["admin.session.revoked"]

    mark = audit.mark()
    got = answer(srv, "admin", "setRole", {"actorUserId": actor, "userId": target.user["id"], "role": "admin"})
    assert got["user"]["role"] == "admin"
    assert answer(srv, "admin", "isAdmin", {"userId": target.user["id"]}) == {"admin": True}
    assert [e["name"] for e in audit.since(mark)] == ["admin.user.role.set"]


# --------------------------------------------------------------------------------------------- organization


def test_list_organizations(srv):
    owner = srv.client().new_user()
    before = answer(srv, "organization", "listOrganizations", {})["total"]
    made = []
    for i in range(3):
        slug = "console-" + unique_email().split("@")[0][-10:].lower()
        r = owner.post("organization/create", {"name": f"Console {i}", "slug": slug})
        assert r.status_code == 200, r.text
        made.append(r.json()["id"])

    got = answer(srv, "organization", "listOrganizations", {"offset": before, "limit": 10})
    assert got["total"] == before + 3
    assert [o["id"] for o in got["organizations"]] == made, "by createdAt, then id"
    assert got["organizations"][0]["name"] == "Console 0"
    got = answer(srv, "organization", "listOrganizations", {"offset": str(before + 1), "limit": "1"})
    assert [o["id"] for o in got["organizations"]] == made[1:2]
    refused(service(srv, "organization", "listOrganizations", {"limit": 0}), "INVALID_QUERY", 400)

    full = answer(srv, "organization", "getOrganization", {"organizationId": made[0]})
    assert [m["user"]["email"] for m in full["members"]] == [owner.email]


# --------------------------------------------------------------------------------------------- audit-log


def test_audit_log_list_and_count(srv):
    c = srv.client().new_user()
    uid = c.user["id"]
    assert c.sign_in(password="wrong-password-1").status_code == 401
    assert c.sign_in().status_code == 200

    got = answer(srv, "audit-log", "list", {"userId": uid})
    types = [e["type"] for e in got["entries"]]
    assert got["total"] == len(types) and {"user.created", "signIn.failed", "signIn.succeeded"} <= set(types), types
    stamps = [e["createdAt"] for e in got["entries"]]
    assert stamps == sorted(stamps, reverse=True), "newest first"
    assert types[0] in ("session.created", "signIn.succeeded")

    page = answer(srv, "audit-log", "list", {"userId": uid, "limit": 1, "offset": "1"})
    assert page["total"] == got["total"] and len(page["entries"]) == 1 and page["entries"][0] in got["entries"]
    assert answer(srv, "audit-log", "list", {"userId": uid, "type": "signIn.failed"})["total"] == 1

    assert answer(srv, "audit-log", "count", {"userId": uid, "type": "signIn.failed"}) == {"count": 1}
    assert answer(srv, "audit-log", "count", {"userId": uid}) == {"count": got["total"]}
    assert answer(srv, "audit-log", "count", {"type": "signIn.failed"})["count"] >= 1
    assert answer(srv, "audit-log", "count", {"userId": uid, "since": "2999-01-01T00:00:00.000Z"}) == {"count": 0}
    assert answer(srv, "audit-log", "count", {"userId": uid, "since": "2000-01-01T00:00:00Z"}) == {"count": got["total"]}
    refused(service(srv, "audit-log", "count", {"since": "yesterday"}), "INVALID_QUERY", 400)
    refused(service(srv, "audit-log", "list", {"limit": "x"}), "INVALID_QUERY", 400)


# --------------------------------------------------------------------------------------------- webhooks


def test_webhooks_deliveries_and_redelivery(srv):
    uid = srv.client().new_user().user["id"]

    def dead():
        rows = answer(srv, "webhooks", "listDeliveries", {"status": "dead", "limit": 500})["deliveries"]
        return [d for d in rows if d["endpointId"] == "nowhere" and d["eventType"] == "user.created"
                and srv.query('SELECT payload FROM "webhookDelivery" WHERE id = ?', d["id"])[0]["payload"].find(uid) >= 0]

    assert wait_until(dead, timeout=10), "the delivery did not die"
    delivery = dead()[0]
    assert "payload" not in delivery and "lockedUntil" not in delivery and delivery["attempts"] == 1

    listing = answer(srv, "webhooks", "listDeliveries", {"limit": 1})
    assert len(listing["deliveries"]) == 1 and listing["total"] >= 1
    refused(service(srv, "webhooks", "listDeliveries", {"status": "lost"}), "INVALID_QUERY", 400)

    refused(service(srv, "webhooks", "redeliver", {"id": "no-such-delivery"}), "DELIVERY_NOT_FOUND", 404)
    refused(service(srv, "webhooks", "redeliver", {}), "VALIDATION_ERROR", 400)
    assert answer(srv, "webhooks", "redeliver", {"id": delivery["id"]}) == {"status": True}
    assert wait_until(lambda: srv.query('SELECT status, attempts FROM "webhookDelivery" WHERE id = ?', delivery["id"])[0]["status"] == "dead",
                      timeout=10), "the redelivery was not attempted"


# --------------------------------------------------------------------------------------------- two-factor


def enrolled(srv):
    """A user with TOTP on: (client, authenticator, backup codes)."""
    c = srv.client().new_user()
    r = c.post("two-factor/enable", {"password": c.password})
    assert r.status_code == 200, r.text
    totp, codes = pyotp.parse_uri(r.json()["totpURI"]), r.json()["backupCodes"]
    r = c.post("two-factor/verify-totp", {"code": previous_window_code(totp)})
    assert r.status_code == 200, r.text
    return c, totp, codes


def test_two_factor_status_and_verify(srv):
    c, totp, codes = enrolled(srv)
    uid = c.user["id"]
    plain = srv.client().new_user()
    assert answer(srv, "two-factor", "status", {"userId": uid}) == {"enabled": True}
    assert answer(srv, "two-factor", "status", {"userId": plain.user["id"]}) == {"enabled": False}
    assert answer(srv, "two-factor", "status", {"userId": "no-such-user"}) == {"enabled": False}

    def verify(code, user_id=uid):
        return answer(srv, "two-factor", "verify", {"userId": user_id, "code": code})

    if time.time() % totp.interval > totp.interval - 2:   # clear of a window edge
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)
    now = totp.now()
    wrong = next(code for code in ("000000", "111111", "222222") if code not in {totp.at(time.time() + d) for d in (-60, -30, 0, 30, 60)})
    assert verify(wrong) == {"valid": False}
    assert verify(now) == {"valid": True}
    assert verify(now) == {"valid": False}, "a TOTP code works once"

    assert verify(codes[0]) == {"valid": True}
    assert verify(codes[0]) == {"valid": False}, "a backup code works once"
    assert verify(codes[1]) == {"valid": True}
    assert verify(codes[0], plain.user["id"]) == {"valid": False}
    # The failures counted above were reset by the successes: the account is not locked.
    assert srv.query('SELECT "failedVerificationCount" AS n FROM "twoFactor" WHERE "userId" = ?', uid)[0]["n"] in (0, "0")
    # The answers carry no secret.
    assert set(answer(srv, "two-factor", "verify", {"userId": uid, "code": codes[2]})) == {"valid"}


def test_two_factor_verify_counts_toward_the_lockout(srv):
    c, totp, codes = enrolled(srv)
    uid = c.user["id"]
    for _ in range(10):
        assert answer(srv, "two-factor", "verify", {"userId": uid, "code": "not-a-code"}) == {"valid": False}
    refused(service(srv, "two-factor", "verify", {"userId": uid, "code": codes[0]}), "ACCOUNT_TEMPORARILY_LOCKED", 429)
