"""ABI 1.6 (issue 21's host needs), driven through the host-probe plugin beside the admin plugin:
`data` in `sessions.create` (plugin session fields, never core ones), the `where` operators
NOT IN, contains, starts_with and ends_with, `UNIQUE_VIOLATION` for a duplicate write,
`email.sendVerification` and the verification rules in `host.info`. `defaultSetting` is covered
by test_admin_bans.py (`defaultRole`)."""
import pytest

from conftest import unique_email
from test_host_api import probe_server


@pytest.fixture
def probe(server, smtp_sink, tmp_path):
    call = probe_server(server, tmp_path, beside=("admin",))
    call.smtp = smtp_sink
    return call


def test_sessions_create_sets_plugin_fields_and_refuses_core_ones(probe):
    user = probe.server.client().new_user()
    admin = probe.server.client().new_user()
    made = probe("sessions.create", {"userId": user.user["id"], "data": {"impersonatedBy": admin.user["id"]}})
    assert made["ok"] is True, made
    token = made["answer"]["session"]["token"]
    row = probe.server.query('SELECT "impersonatedBy" FROM "session" WHERE token = ?', token)[0]
    assert row["impersonatedBy"] == admin.user["id"]
    before = probe.server.query('SELECT count(*) AS n FROM "session" WHERE "userId" = ?', user.user["id"])[0]["n"]
    for data in ({"token": "chosen"}, {"userId": admin.user["id"]}, {"expiresAt": "2099-01-01T00:00:00.000Z"}, {"id": "x"}):
        refused = probe("sessions.create", {"userId": user.user["id"], "data": data})
        assert refused["ok"] is False and refused["code"] == "VALIDATION_ERROR", (data, refused)
    refused = probe("sessions.create", {"userId": user.user["id"], "data": {"colour": "blue"}})
    assert refused["ok"] is False and refused["code"] == "UNKNOWN_FIELD", refused
    assert probe.server.query('SELECT count(*) AS n FROM "session" WHERE "userId" = ?', user.user["id"])[0]["n"] == before


def test_where_operators_of_1_6(probe):
    tag = unique_email("ops").split("@")[0]
    emails = [f"{tag}.{suffix}@ops.example" for suffix in ("a_1", "b%2", "c3")]
    for email in emails:
        assert probe.server.client().sign_up(email, name=f"Name {email}").status_code == 200

    def count(where):
        answer = probe("db.count", {"table": "user", "where": where})
        assert answer["ok"] is True, answer
        return answer["answer"]["count"]

    mine = {"field": "email", "operator": "starts_with", "value": tag.upper()}  # case-insensitive
    assert count([mine]) == 3
    assert count([mine, {"field": "email", "operator": "NOT IN", "value": emails[:2]}]) == 1
    assert count([mine, {"field": "email", "operator": "NOT IN", "value": []}]) == 3
    assert count([mine, {"field": "email", "operator": "contains", "value": "_1"}]) == 1   # `_` is literal
    assert count([mine, {"field": "email", "operator": "contains", "value": "%"}]) == 1    # `%` too
    assert count([mine, {"field": "email", "operator": "ends_with", "value": "C3@OPS.EXAMPLE"}]) == 1
    for where, code in (([{"field": "email", "operator": "NOT IN", "value": emails[0]}], "VALIDATION_ERROR"),
                        ([{"field": "emailVerified", "operator": "contains", "value": "t"}], "VALIDATION_ERROR"),
                        ([{"field": "email", "operator": "contains", "value": 3}], "VALIDATION_ERROR"),
                        ([{"field": "email", "operator": "LIKE", "value": "%"}], "UNKNOWN_OPERATOR")):
        refused = probe("db.count", {"table": "user", "where": where})
        assert refused["ok"] is False and refused["code"] == code, (where, refused)


def test_a_duplicate_write_is_a_unique_violation(probe):
    user = probe.server.client().new_user()
    refused = probe("db.create", {"table": "user", "data": {"name": "Twin", "email": user.email}})
    assert refused["ok"] is False and refused["code"] == "UNIQUE_VIOLATION", refused
    assert probe.server.query('SELECT count(*) AS n FROM "user" WHERE email = ?', user.email)[0]["n"] == 1


def test_send_verification_and_the_rules_in_host_info(probe):
    info = probe("host.info")["answer"]
    assert info["emailAndPassword"]["requireEmailVerification"] is False
    assert info["emailVerification"]["sendOnSignIn"] is False
    user = probe.server.client().new_user()
    assert probe("email.sendVerification", {"userId": user.user["id"], "callbackURL": "/welcome"}) == {"ok": True, "answer": {"status": True}}
    link = probe.smtp.wait_for(user.email, contains="/verify-email?").link_containing("/verify-email?")
    assert "callbackURL=%2Fwelcome" in link
    refused = probe("email.sendVerification", {"userId": "nobody"})
    assert refused["ok"] is False and refused["code"] == "USER_NOT_FOUND"
