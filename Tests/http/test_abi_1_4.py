"""ABI 1.4 (issue 18's host needs). Through a C plugin built from the header alone
(Tests/http/fixtures/raw_routes_plugin.c): an endpoint that reads its body unparsed (any media
type, malformed JSON, bytes that are not UTF-8) and one that serves a whole subtree; a plugin
built for 1.3 gets neither. Through the host-probe plugin: the sign-in holds (`users.blockSignIn`,
`users.unblockSignIn`) and `users.delete`."""
import base64
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from conftest import assert_error, build_c_plugin, iso_ms, now_utc
from test_host_api import probe  # noqa: F401 (a fixture)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "raw_routes_plugin.c"


def build(directory: Path, minor: int | None = None) -> Path:
    return build_c_plugin(FIXTURE, directory / "raw-routes.so", minor)


@pytest.fixture(scope="module")
def current(server_factory, tmp_path_factory):
    return server_factory({"pluginsDir": str(build(tmp_path_factory.mktemp("abi14")))}, name="abi14")


@pytest.fixture(scope="module")
def older(server_factory, tmp_path_factory):
    return server_factory({"pluginsDir": str(build(tmp_path_factory.mktemp("abi13"), minor=3))}, name="abi13")


@pytest.mark.parametrize("content_type, data", [
    ("application/scim+json", b'{"userName": "ada"}'),
    ("application/json", b'{"unterminated": '),
    ("text/plain", "caf\u00e9 \U0001F600".encode()),
    ("application/octet-stream", bytes([0xFF, 0x00, 0xC3, 0x28])),
])
def test_a_raw_body_reaches_the_plugin_byte_for_byte(current, content_type, data):
    r = requests.post(current.api + "/raw/echo", data=data, headers={"Content-Type": content_type})
    assert r.status_code == 200, r.text
    envelope = r.json()
    assert base64.b64decode(envelope["rawBody"]) == data
    assert envelope["body"] is None


def test_a_raw_endpoint_without_body_gets_null(current):
    r = requests.post(current.api + "/raw/echo")
    assert r.status_code == 200, r.text
    assert r.json()["rawBody"] is None


def test_a_subtree_route_serves_every_path_below_it(current):
    r = requests.get(current.api + "/tree/Users/a%2Fb")
    assert r.status_code == 200 and r.headers["x-route"] == "1"
    assert r.json()["params"] == {"**": "Users/a%2Fb"}
    r = requests.get(current.api + "/tree/x")
    assert r.headers["x-route"] == "1" and r.json()["params"] == {"**": "x"}


def test_an_exact_route_wins_over_the_subtree(current):
    r = requests.get(current.api + "/tree/fixed")
    assert r.status_code == 200 and r.headers["x-route"] == "2"


def test_the_prefix_itself_and_other_methods_are_not_served(current):
    assert requests.get(current.api + "/tree").status_code == 404
    assert requests.post(current.api + "/tree/x", json={}).status_code == 404


def test_a_plugin_built_for_1_3_gets_parsed_bodies_and_literal_paths(older):
    r = requests.post(older.api + "/raw/echo", data=b"not json", headers={"Content-Type": "text/plain"})
    assert_error(r, 415)
    r = requests.post(older.api + "/raw/echo", json={"a": 1})
    assert r.status_code == 200 and r.json()["body"] == {"a": 1} and "rawBody" not in r.json()
    assert requests.get(older.api + "/tree/x").status_code == 404


def test_a_sign_in_hold_ends_sessions_and_refuses_new_ones_until_released(probe):
    user = probe.server.client().new_user()
    user_id = user.user["id"]
    held = probe("users.blockSignIn", {"userId": user_id, "code": "USER_DEACTIVATED", "message": "Deactivated", "status": 403})
    assert held == {"ok": True, "answer": {"blocked": True}}
    assert user.session() is None                                   # the session in hand is gone
    assert_error(probe.server.client().sign_in(user.email, user.password), 403, "USER_DEACTIVATED", "Deactivated")
    refused = probe("sessions.create", {"userId": user_id})
    assert refused["ok"] is False and refused["code"] == "USER_DEACTIVATED"
    assert probe("users.unblockSignIn", {"userId": user_id})["answer"] == {"released": True}
    assert probe("users.unblockSignIn", {"userId": user_id})["answer"] == {"released": False}
    assert probe.server.client().sign_in(user.email, user.password).status_code == 200


def test_an_expired_hold_refuses_nothing_and_bad_holds_are_refused(probe):
    user = probe.server.client().new_user()
    user_id = user.user["id"]
    past = iso_ms(now_utc() - timedelta(minutes=1))
    probe("users.blockSignIn", {"userId": user_id, "code": "BANNED", "message": "Banned", "expiresAt": past})
    assert probe.server.client().sign_in(user.email, user.password).status_code == 200
    for request, code in [({"userId": "nobody", "code": "X", "message": "x"}, "USER_NOT_FOUND"),
                          ({"userId": user_id, "code": "X", "message": "x", "status": 500}, "INVALID_STATUS"),
                          ({"userId": user_id, "code": "X", "message": "x", "expiresAt": "soon"}, "INVALID_DATE"),
                          ({"userId": user_id, "message": "x"}, "MISSING_FIELD")]:
        answer = probe("users.blockSignIn", request)
        assert answer["ok"] is False and answer["code"] == code, answer


def test_users_delete_takes_sessions_and_accounts_with_the_user(probe):
    user = probe.server.client().new_user()
    user_id = user.user["id"]
    assert probe("users.delete", {"id": user_id})["answer"] == {"deleted": True}
    assert probe("users.delete", {"id": user_id})["answer"] == {"deleted": False}
    assert user.session() is None
    assert probe.server.query('SELECT count(*) AS n FROM "account" WHERE "userId" = ?', user_id)[0]["n"] == 0
    assert_error(probe.server.client().sign_in(user.email, user.password), 401)
