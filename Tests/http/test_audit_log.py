"""audit-log plugin (issue 16): security events written to the `auditLog` table before the request
answers (a "sync" subscriber), with the client's address (X-Forwarded-For, the default
advanced.ipAddress.ipAddressHeaders) and user agent, kept after the user is deleted; each user's own
view, the administrators' view, paging, retention and `enabled: false`."""
import json
import shutil
import time
from datetime import timedelta

import pytest

from conftest import assert_error, iso_ms, now_utc, unique_email, wait_until
from test_bearer import built_library
from test_organization import join, new_org

USER_AGENT = "audit-log-test/1.0"


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("audit-log-plugins")
    for name in ("audit-log", "organization"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return plugins


def config(plugins_dir, **audit_log):
    return {"pluginsDir": str(plugins_dir), "user": {"deleteUser": {"enabled": True}}, "plugins": {"audit-log": audit_log}}


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return server_factory(config(plugins_dir), name="audit-log")


def browser(srv, ip):
    """A client whose requests come from `ip` through a proxy, with a known user agent."""
    c = srv.client(user_agent=USER_AGENT)
    c.s.headers["X-Forwarded-For"] = ip
    return c


def rows(srv, user_id):
    """The user's rows straight from the database, oldest first."""
    return srv.query('SELECT * FROM "auditLog" WHERE "userId" = ? ORDER BY "createdAt", id', user_id)


def data(row):
    value = row["data"]
    return json.loads(value) if isinstance(value, str) else value


def own(c, **query):
    r = c.get("audit-log/list", params=query or None)
    assert r.status_code == 200, r.text
    return r.json()


def test_each_security_event_is_one_row_before_the_answer(srv):
    c = browser(srv, "203.0.113.10")
    c.new_user()
    user_id = c.user["id"]
    signed_up = [r["type"] for r in rows(srv, user_id)]
    assert sorted(signed_up) == ["account.linked", "session.created", "signIn.succeeded", "user.created"]
    token = c.token
    assert c.post("sign-out").status_code == 200
    assert rows(srv, user_id)[-1]["type"] == "session.revoked"

    # A wrong password names the e-mail's owner; an unknown e-mail names nobody.
    elsewhere = browser(srv, "198.51.100.7")
    assert elsewhere.sign_in(c.email, "wrong-password-1").status_code == 401
    failed = [r for r in rows(srv, user_id) if r["type"] == "signIn.failed"]
    assert len(failed) == 1 and failed[0]["ipAddress"] == "198.51.100.7" and failed[0]["userAgent"] == USER_AGENT
    assert data(failed[0])["reason"] == "INVALID_EMAIL_OR_PASSWORD"
    stranger = unique_email("stranger")
    assert elsewhere.sign_in(stranger, "whatever-pass-1").status_code == 401
    unknown = [r for r in srv.query('SELECT * FROM "auditLog" WHERE type = ? AND "userId" IS NULL', "signIn.failed")
               if data(r)["email"] == stranger]
    assert len(unknown) == 1 and unknown[0]["ipAddress"] == "198.51.100.7"

    assert c.sign_in().status_code == 200
    r = c.post("change-password", {"currentPassword": c.password, "newPassword": "changed-pass-1"})
    assert r.status_code == 200, r.text
    entries = own(c)["entries"]
    assert "password.changed" in [e["type"] for e in entries]
    assert all(e["userId"] == user_id for e in entries)
    assert {e["ipAddress"] for e in entries} == {"203.0.113.10", "198.51.100.7"}
    assert {e["userAgent"] for e in entries} == {USER_AGENT}
    assert "user.updated" not in [e["type"] for e in entries]
    texts = json.dumps(entries)
    for secret in (token, c.token, c.password, "changed-pass-1", "wrong-password-1"):
        assert secret not in texts

    # The rows outlive the user.
    before = len(rows(srv, user_id))
    r = c.post("delete-user", {"password": "changed-pass-1"})
    assert r.status_code == 200, r.text
    kept = rows(srv, user_id)
    assert len(kept) == before + 1 and kept[-1]["type"] == "user.deleted"
    assert data(kept[-1])["user"]["id"] == user_id


def test_user_updates_are_not_recorded(srv):
    c = browser(srv, "203.0.113.11").new_user()
    before = len(rows(srv, c.user["id"]))
    assert c.post("update-user", {"name": "Renamed"}).status_code == 200
    assert len(rows(srv, c.user["id"])) == before


def test_own_view_pages_newest_first(srv):
    c = browser(srv, "203.0.113.12").new_user()
    for _ in range(3):
        assert c.sign_in().status_code == 200
    everything = own(c)
    assert everything["total"] == len(everything["entries"]) == 4 + 3 * 2   # sign-up: 4 rows; sign-in: 2
    created = [e["createdAt"] for e in everything["entries"]]
    assert created == sorted(created, reverse=True)
    page = own(c, limit=3, offset=2)
    assert page["total"] == everything["total"] and [e["id"] for e in page["entries"]] == [e["id"] for e in everything["entries"][2:5]]
    sign_ins = own(c, type="signIn.succeeded")
    assert sign_ins["total"] == 4 and {e["type"] for e in sign_ins["entries"]} == {"signIn.succeeded"}
    other = browser(srv, "203.0.113.13").new_user()
    assert c.user["id"] not in {e["userId"] for e in own(other)["entries"]}

    for bad in ({"limit": "ten"}, {"limit": "-1"}, {"offset": "-1"}, {"offset": "x"}):
        assert_error(c.get("audit-log/list", params=bad), 400, "INVALID_QUERY")
    for huge in ("9223372036854775807", "99999999999999999999", "1000000000000001"):
        assert_error(c.get("audit-log/list", params={"offset": huge}), 400, "INVALID_QUERY")
        assert_error(c.get("audit-log/list", params={"limit": huge}), 400, "INVALID_QUERY")
    assert own(c, offset=1000000000000000)["entries"] == []
    assert len(own(c, limit=100000)["entries"]) == everything["total"]       # above 500: 500
    assert_error(srv.client().get("audit-log/list"), 401)
    assert_error(srv.client().get("audit-log/admin/list"), 401)


def test_administrators_see_everyone_others_nothing(server, plugins_dir):
    srv = server(config(plugins_dir))
    admin = browser(srv, "203.0.113.20").new_user()
    alice = browser(srv, "203.0.113.21").new_user()
    assert browser(srv, "203.0.113.22").sign_in(alice.email, "wrong-password-1").status_code == 401
    body = assert_error(alice.get("audit-log/admin/list"), 403, "FORBIDDEN")
    assert "entries" not in body
    assert_error(admin.get("audit-log/admin/list"), 403, "FORBIDDEN")    # nobody is an administrator yet

    srv.config["plugins"]["audit-log"]["adminUserIds"] = [admin.user["id"]]
    srv.stop()
    srv.start()
    assert_error(alice.get("audit-log/admin/list"), 403, "FORBIDDEN")
    r = admin.get("audit-log/admin/list", params={"userId": alice.user["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 5 and {e["userId"] for e in r.json()["entries"]} == {alice.user["id"]}
    r = admin.get("audit-log/admin/list", params={"userId": alice.user["id"], "type": "signIn.failed"})
    assert [e["ipAddress"] for e in r.json()["entries"]] == ["203.0.113.22"]
    everyone = admin.get("audit-log/admin/list").json()
    assert everyone["total"] == 9 and {e["userId"] for e in everyone["entries"]} == {admin.user["id"], alice.user["id"]}
    assert_error(admin.get("audit-log/admin/list", params={"limit": "1.5"}), 400, "INVALID_QUERY")


def insert_entry(srv, entry_id, user_id, age):
    srv.execute('INSERT INTO "auditLog" (id, type, "userId", "ipAddress", "userAgent", "createdAt") VALUES (?, ?, ?, NULL, NULL, ?)',
                entry_id, "session.created", user_id, iso_ms(now_utc() - age))


@pytest.mark.parametrize("retention_days", [30, 0])
def test_retention_purges_old_rows_at_start(server, plugins_dir, retention_days):
    srv = server(config(plugins_dir, retentionDays=retention_days))
    c = srv.client().new_user()
    insert_entry(srv, "old-entry", c.user["id"], timedelta(days=31))
    insert_entry(srv, "recent-entry", c.user["id"], timedelta(days=29))
    srv.stop()
    srv.start()
    old = lambda: srv.query('SELECT id FROM "auditLog" WHERE id = ?', "old-entry")  # noqa: E731
    if retention_days:
        wait_until(lambda: not old(), timeout=10)
    else:
        time.sleep(1.5)   # the job looks for due work twice a second
        assert old()
    assert srv.query('SELECT id FROM "auditLog" WHERE id = ?', "recent-entry")
    assert len(own(c)["entries"]) == 4 + 1 + int(not retention_days)


def test_organization_memberships_are_recorded(srv):
    owner = browser(srv, "203.0.113.30").new_user()
    org = new_org(owner)
    joiner, member = join(owner, org)
    r = owner.post("organization/update-member-role", {"memberId": member["id"], "role": "admin", "organizationId": org["id"]})
    assert r.status_code == 200, r.text
    r = owner.post("organization/remove-member", {"memberIdOrEmail": joiner.email, "organizationId": org["id"]})
    assert r.status_code == 200, r.text
    added = own(owner, type="organization.member.added")["entries"]
    assert len(added) == 1 and data(added[0])["organizationId"] == org["id"] and added[0]["ipAddress"] == "203.0.113.30"
    changes = [e for e in own(joiner)["entries"] if e["type"].startswith("organization.")]
    assert [e["type"] for e in reversed(changes)] == \
        ["organization.member.added", "organization.member.updated", "organization.member.removed"]
    assert all(data(e)["member"]["userId"] == joiner.user["id"] for e in changes)
    # The owner's requests made the update and the removal: their address, about the member.
    assert changes[0]["ipAddress"] == "203.0.113.30"


def test_enabled_false_turns_it_off(server, plugins_dir):
    srv = server(config(plugins_dir, enabled=False))
    c = srv.client().new_user()
    assert c.get("audit-log/list").status_code == 404
    assert "auditLog" not in {r["name"] for r in srv.query(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        if srv.on_postgres else "SELECT name FROM sqlite_master WHERE type = 'table'")}
