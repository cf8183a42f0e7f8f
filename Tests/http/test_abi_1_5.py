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
from test_host_api import probe_server
from test_host_events import Recorder, build_recorder


@pytest.fixture
def probe(server, smtp_sink, tmp_path):
    call = probe_server(server, tmp_path, beside=("anonymous", "two-factor"))
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


def test_prove_email_has_plugins_drop_the_credentials_they_hold(probe):
    """The awaited host event user.unprovenAccessRevoked: two-factor drops a second factor the
    unverified account set up, before the caller of proveEmail signs the owner in."""
    user = probe.server.client().new_user()
    user_id = user.user["id"]
    assert user.post("two-factor/enable", {"password": user.password, "method": "otp"}).status_code == 200
    assert probe.server.query('SELECT count(*) AS n FROM "twoFactor" WHERE "userId" = ?', user_id)[0]["n"] == 1
    assert probe("users.proveEmail", {"userId": user_id})["answer"]["revoked"] is True
    assert probe.server.query('SELECT count(*) AS n FROM "twoFactor" WHERE "userId" = ?', user_id)[0]["n"] == 0
    found = probe("users.find", {"id": user_id})["answer"]["user"]
    assert found["twoFactorEnabled"] is False and found["emailVerified"] is True


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
    for recipient in (placeholder, placeholder.upper(), f"Guest <{placeholder}>", f" <{placeholder}>"):
        sent = probe("email.send", {"kind": "otp", "to": recipient, "context": {"otp": "123456"}})
        assert sent == {"ok": True, "answer": {"status": True, "suppressed": True}}, recipient
    assert guest.post("send-verification-email", {"email": placeholder}).status_code == 200
    assert probe.server.client().post("request-password-reset", {"email": placeholder}).status_code == 200
    # A real address, mailed after them through the same queue, arrives; the placeholder never does.
    real = unique_email()
    assert probe("email.send", {"kind": "otp", "to": real, "context": {"otp": "654321"}})["answer"] == {"status": True, "suppressed": False}
    assert "654321" in probe.smtp.wait_for(real).text
    probe.smtp.assert_none_for(placeholder)


def test_an_awaited_event_has_reached_its_subscribers_when_the_request_answers(probe):
    guest = probe.server.client()
    anonymous_id = guest.post("sign-in/anonymous").json()["user"]["id"]
    user_id = guest.new_user().user["id"]                  # signing up from the guest's session links it
    events = [e for e in probe("recordedEvents")["answer"] if e["name"] == "anonymous.linked"]
    assert len(events) == 1 and events[0]["source"] == "anonymous"
    assert events[0]["payload"]["anonymousUserId"] == anonymous_id and events[0]["payload"]["userId"] == user_id
    assert events[0]["payload"]["userAgent"] == guest.s.headers.get("User-Agent")   # the request's client, as for any event


def test_a_failed_awaited_subscriber_is_reported_and_the_anonymous_user_kept(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    shutil.copy(built_library("anonymous"), plugins / "anonymous.so")
    build_recorder(plugins, "failing-recorder")
    log = tmp_path / "events.jsonl"
    srv = server({"pluginsDir": str(plugins), "plugins": {"failing-recorder": {"file": str(log), "fail": True}}})
    guest = srv.client()
    anonymous_id = guest.post("sign-in/anonymous").json()["user"]["id"]
    user_id = guest.new_user().user["id"]
    linked = [e for e in Recorder(log).all() if e["name"] == "anonymous.linked"]
    assert len(linked) == 1 and linked[0]["payload"]["userId"] == user_id
    # The subscriber failed, so it may not have moved the guest's data: the guest stays.
    assert srv.query('SELECT count(*) AS n FROM "user" WHERE "id" = ?', anonymous_id)[0]["n"] == 1


def test_a_runs_last_hook_sees_the_outcome_of_a_second_factor_challenge(probe):
    """anonymous declares its linking hook `runsLast`: a sign-in that two-factor turns into a
    challenge (its hook clears the new session) links nobody, whatever the plugins' load order."""
    owner = probe.server.client().new_user()
    assert owner.post("two-factor/enable", {"password": owner.password, "method": "otp"}).status_code == 200
    guest = probe.server.client()
    anonymous_id = guest.post("sign-in/anonymous").json()["user"]["id"]
    r = guest.post("sign-in/email", {"email": owner.email, "password": owner.password})
    assert r.status_code == 200 and r.json().get("twoFactorRedirect") is True, r.text
    assert probe.server.query('SELECT count(*) AS n FROM "user" WHERE "id" = ?', anonymous_id)[0]["n"] == 1
    assert not [e for e in probe("recordedEvents")["answer"] if e["name"] == "anonymous.linked"]
