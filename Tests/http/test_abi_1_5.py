"""ABI 1.5 (issue 20's host needs), driven through the host-probe plugin beside the anonymous
plugin: `users.proveEmail` (Better Auth's revokeUnprovenAccountAccess), no email to a user whose
`suppressesEmail` field is set (an anonymous user's placeholder), and `events.emit` with
`await: true` (subscribers have handled the event when the emitter goes on). `signIn:
{sessionToken}` and fractional `verifications.create` lifetimes are covered by
test_one_time_token.py."""
import shutil

import pytest

from conftest import assert_error, unique_email
from test_bearer import built_library


@pytest.fixture
def probe(server, smtp_sink, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    for name in ("host-probe", "anonymous"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    srv = server({"pluginsDir": str(plugins)})
    client = srv.client()

    def call(op, request=None):
        r = client.post("host-probe", {"op": op, "request": request or {}})
        assert r.status_code == 200, r.text
        return r.json()
    call.server = srv
    call.smtp = smtp_sink
    return call


def test_prove_email_strips_an_unverified_users_password_and_sessions(probe):
    user = probe.server.client().new_user()
    user_id = user.user["id"]
    assert user.user["emailVerified"] is False
    proved = probe("users.proveEmail", {"userId": user_id})["answer"]
    assert proved["revoked"] is True and proved["user"]["id"] == user_id and proved["user"]["emailVerified"] is True
    assert user.session() is None                                                # its session is gone
    assert_error(probe.server.client().sign_in(user.email, user.password), 401)  # and its password
    assert probe.server.query('SELECT count(*) AS n FROM "account" WHERE "userId" = ?', user_id)[0]["n"] == 0


def test_prove_email_leaves_a_verified_user_alone(probe):
    user = probe.server.client().new_user()
    user_id = user.user["id"]
    probe.server.execute('UPDATE "user" SET "emailVerified" = ? WHERE "id" = ?', True, user_id)
    proved = probe("users.proveEmail", {"userId": user_id})["answer"]
    assert proved["revoked"] is False and proved["user"]["emailVerified"] is True
    assert user.session() is not None
    assert probe.server.client().sign_in(user.email, user.password).status_code == 200
    refused = probe("users.proveEmail", {"userId": "nobody"})
    assert refused["ok"] is False and refused["code"] == "USER_NOT_FOUND"


def test_nothing_is_mailed_to_a_user_whose_suppressing_field_is_set(probe):
    guest = probe.server.client()
    r = guest.post("sign-in/anonymous")
    assert r.status_code == 200, r.text
    placeholder = r.json()["user"]["email"]
    sent = probe("email.send", {"kind": "otp", "to": placeholder, "context": {"otp": "123456"}})
    assert sent == {"ok": True, "answer": {"status": True}}
    assert guest.post("send-verification-email", {"email": placeholder}).status_code == 200
    assert probe.server.client().post("request-password-reset", {"email": placeholder}).status_code == 200
    # A real address, mailed after them through the same queue, arrives; the placeholder never does.
    real = unique_email()
    probe("email.send", {"kind": "otp", "to": real, "context": {"otp": "654321"}})
    assert "654321" in probe.smtp.wait_for(real).text
    probe.smtp.assert_none_for(placeholder)


def test_an_awaited_event_has_reached_its_subscribers_when_the_request_answers(probe):
    guest = probe.server.client()
    anonymous_id = guest.post("sign-in/anonymous").json()["user"]["id"]
    user_id = guest.new_user().user["id"]                  # signing up from the guest's session links it
    events = [e for e in probe("recordedEvents")["answer"] if e["name"] == "anonymous.linked"]
    assert len(events) == 1 and events[0]["source"] == "anonymous"
    assert events[0]["payload"]["anonymousUserId"] == anonymous_id and events[0]["payload"]["userId"] == user_id
