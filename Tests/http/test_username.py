"""username plugin: `user.username` (unique, stored lower-case) and `displayUsername` on sign-up and
update-user, `POST /sign-in/username` and `POST /is-username-available`.

The plugin is loaded from a temp plugins dir with bearer (to check a username sign-in hands out a
bearer token too). Better Auth 1.7.1's plugins/username is the reference for routes, bodies, codes
and statuses: rule violations are 400 on sign-up and update-user, 422 on sign-in and the
availability check.
"""
import shutil
import uuid

import pytest

from conftest import DEFAULT_PASSWORD, assert_error, iso_ms, now_utc, unique_email, verify_signed_value
from test_bearer import built_library

INVALID_CREDENTIALS = ("INVALID_USERNAME_OR_PASSWORD", "Invalid username or password")
TAKEN = ("USERNAME_IS_ALREADY_TAKEN", "Username is already taken. Please try another.")


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("username-plugins")
    for name in ("username", "bearer"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return plugins


def username_server(server_factory, plugins_dir, settings=None, **overrides):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"username": settings or {}}, **overrides},
                          name="username")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return username_server(server_factory, plugins_dir)


# ---------------------------------------------------------------------------------------------
# helpers


def new_name(prefix: str = "user") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def sign_up(srv, username=None, **extra):
    """A browser that signed up with `username` (and `extra` body members): (client, response)."""
    c = srv.client()
    if username is not None:
        extra["username"] = username
    return c, c.sign_up(unique_email("uname"), **extra)


def member(srv, username=None, **extra):
    c, r = sign_up(srv, username, **extra)
    assert r.status_code == 200, r.text
    return c


def stored(srv, email):
    rows = srv.query('SELECT username, "displayUsername" FROM "user" WHERE email = ?', email)
    return rows[0] if rows else None


def user_count(srv, email) -> int:
    return len(srv.query('SELECT id FROM "user" WHERE email = ?', email))


def session_count(srv, user_id) -> int:
    return len(srv.query('SELECT id FROM "session" WHERE "userId" = ?', user_id))


def sign_in(srv, username, password=DEFAULT_PASSWORD, client=None, **extra):
    c = client or srv.client()
    return c, c.post("sign-in/username", {"username": username, "password": password, **extra})


# ---------------------------------------------------------------------------------------------
# schema and sign-up


def test_schema_adds_unique_username_and_display_username(srv):
    assert {"username", "displayUsername"} <= srv.columns("user")
    assert ("username",) in srv.unique_column_sets("user")


def test_sign_up_stores_the_username_lower_case_and_displays_it_as_given(srv):
    name = new_name("Ada_Lovelace")
    c, r = sign_up(srv, name)
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert user["username"] == name.lower() and user["displayUsername"] == name, user
    assert stored(srv, c.email) == {"username": name.lower(), "displayUsername": name}
    assert c.session()["user"]["username"] == name.lower()


def test_sign_up_keeps_an_explicit_display_username(srv):
    name = new_name("Grace")
    c = member(srv, name, displayUsername="Grace Hopper")
    assert stored(srv, c.email) == {"username": name.lower(), "displayUsername": "Grace Hopper"}


def test_sign_up_takes_a_valid_display_username_as_the_username(srv):
    display = new_name("Alan_T")
    c = member(srv, displayUsername=display)
    assert stored(srv, c.email) == {"username": display.lower(), "displayUsername": display}
    # One that could not be a username stays a display name only.
    c = member(srv, displayUsername="Alan Turing")
    assert stored(srv, c.email) == {"username": None, "displayUsername": "Alan Turing"}


def test_sign_up_without_a_username_leaves_it_empty(srv):
    c = member(srv)
    assert stored(srv, c.email) == {"username": None, "displayUsername": None}


def test_a_username_taken_in_another_case_is_refused_and_nothing_created(srv):
    name = new_name("Taken")
    member(srv, name)
    for attempt in (name, name.upper(), name.lower()):
        c, r = sign_up(srv, attempt)
        assert_error(r, 400, *TAKEN)
        assert user_count(srv, c.email) == 0 and c.session_cookie is None


@pytest.mark.parametrize("username, code, message", [
    ("ab", "USERNAME_TOO_SHORT", "Username is too short"),
    ("a" * 31, "USERNAME_TOO_LONG", "Username is too long"),
    ("bad name!", "INVALID_USERNAME", "Username is invalid"),
    ("", "USERNAME_TOO_SHORT", "Username is too short"),
])
def test_sign_up_refuses_a_username_that_breaks_a_rule(srv, username, code, message):
    c, r = sign_up(srv, username)
    assert_error(r, 400, code, message)
    assert user_count(srv, c.email) == 0


def test_sign_up_refuses_an_ill_typed_username(srv):
    for value in (42, ["a"], {"a": 1}, True):
        c, r = sign_up(srv, value)
        assert_error(r, 400)
        assert r.status_code < 500 and user_count(srv, c.email) == 0


def test_sign_up_by_form_normalizes_too(srv):
    c = srv.client()
    email, name = unique_email("form"), new_name("Form_User")
    r = c.post("sign-up/email", data={"email": email, "password": DEFAULT_PASSWORD, "name": "F", "username": name})
    assert r.status_code == 200, r.text
    assert stored(srv, email) == {"username": name.lower(), "displayUsername": name}


# ---------------------------------------------------------------------------------------------
# update-user


def test_update_user_changes_the_username(srv):
    c = member(srv, new_name("before"), displayUsername="Before")
    name = new_name("After")
    r = c.post("update-user", {"username": name})
    assert r.status_code == 200 and r.json() == {"status": True}, r.text
    # The display username is not touched when only the username changes.
    assert stored(srv, c.email) == {"username": name.lower(), "displayUsername": "Before"}
    # Keeping one's own username, in any case, is no conflict.
    assert c.post("update-user", {"username": name.upper(), "displayUsername": "After All"}).status_code == 200
    assert stored(srv, c.email) == {"username": name.lower(), "displayUsername": "After All"}


def test_update_user_refuses_a_taken_or_broken_username_and_changes_nothing(srv):
    taken = new_name("holder")
    member(srv, taken)
    own = new_name("own")
    c = member(srv, own)
    assert_error(c.post("update-user", {"username": taken.upper(), "name": "Changed"}), 400, *TAKEN)
    assert_error(c.post("update-user", {"username": "x"}), 400, "USERNAME_TOO_SHORT")
    assert_error(c.post("update-user", {"username": "no spaces"}), 400, "INVALID_USERNAME")
    assert_error(c.post("update-user", {"username": 7}), 400)
    assert stored(srv, c.email)["username"] == own.lower()
    assert c.session()["user"]["name"] == "Test User"


def test_update_user_without_a_session_is_401_before_any_check(srv):
    taken = new_name("holder")
    member(srv, taken)
    r = srv.client().post("update-user", {"username": taken})
    assert_error(r, 401)


# ---------------------------------------------------------------------------------------------
# sign-in/username


def test_sign_in_with_a_username(srv):
    name = new_name("Signer")
    member(srv, name)
    c, r = sign_in(srv, name.upper())
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["redirect", "token", "user"], body
    assert body["redirect"] is False and body["user"]["username"] == name.lower()
    assert body["token"] == c.token and verify_signed_value(c.session_cookie) == body["token"]
    assert r.headers.get("set-auth-token", "").startswith(body["token"] + "."), "bearer sees the new session"
    assert "location" not in r.headers
    assert c.session()["user"]["id"] == body["user"]["id"]


def test_sign_in_with_a_callback_url_redirects(srv):
    name = new_name("caller")
    member(srv, name)
    _, r = sign_in(srv, name, callbackURL="https://trusted.com/home")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["redirect"] is True and body["url"] == "https://trusted.com/home"
    assert r.headers["location"] == "https://trusted.com/home"
    _, r = sign_in(srv, name, callbackURL="https://evil.example.net/")
    assert_error(r, 403)


def test_sign_in_without_remember_me_makes_a_browser_session(srv):
    name = new_name("forgetful")
    member(srv, name)
    c, r = sign_in(srv, name, rememberMe=False)
    assert r.status_code == 200, r.text
    cookie = [x for x in r.raw.headers.getlist("Set-Cookie") if x.startswith(srv.cookie_name() + "=")][0]
    assert "Max-Age" not in cookie
    assert srv.cookie_name("dont_remember") in c.cookies


def test_wrong_password_and_unknown_username_get_the_same_401(srv):
    name = new_name("guarded")
    owner = member(srv, name)
    user_id = owner.user["id"]
    before = session_count(srv, user_id)
    _, wrong = sign_in(srv, name, "not-the-password")
    _, unknown = sign_in(srv, new_name("nobody"))
    _, empty = sign_in(srv, name, "")
    for r in (wrong, unknown, empty):
        assert_error(r, 401, *INVALID_CREDENTIALS)
        assert "set-cookie" not in r.headers
    assert wrong.json() == unknown.json()
    assert session_count(srv, user_id) == before


def test_a_user_without_a_password_cannot_sign_in_by_username(srv):
    name = new_name("nopass")
    c = member(srv, name)
    srv.execute('DELETE FROM "account" WHERE "userId" = ?', c.user["id"])
    _, r = sign_in(srv, name)
    assert_error(r, 401, *INVALID_CREDENTIALS)


@pytest.mark.parametrize("username, code", [
    ("ab", "USERNAME_TOO_SHORT"), ("a" * 31, "USERNAME_TOO_LONG"), ("bad name", "INVALID_USERNAME"),
])
def test_sign_in_refuses_a_broken_username_with_422(srv, username, code):
    _, r = sign_in(srv, username)
    assert_error(r, 422, code)


@pytest.mark.parametrize("body", [
    {"password": DEFAULT_PASSWORD}, {"username": "someone"}, {"username": 5, "password": DEFAULT_PASSWORD},
    {"username": "someone", "password": ["x"]}, {"username": "someone", "password": "x", "rememberMe": "yes"},
])
def test_sign_in_refuses_missing_or_ill_typed_fields_with_400(srv, body):
    assert_error(srv.client().post("sign-in/username", body), 400, "VALIDATION_ERROR")


def test_sign_in_is_refused_to_a_held_user_with_the_hold_unchanged(srv):
    name = new_name("banned")
    c = member(srv, name)
    user_id = c.user["id"]
    srv.execute('INSERT INTO "signInBlock" (id, "userId", plugin, code, message, status, "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)',
                uuid.uuid4().hex, user_id, "admin", "BANNED_USER", "You have been banned from this application", 403,
                iso_ms(now_utc()))
    srv.execute('DELETE FROM "session" WHERE "userId" = ?', user_id)
    b, r = sign_in(srv, name)
    assert_error(r, 403, "BANNED_USER", "You have been banned from this application")
    assert b.session_cookie is None and session_count(srv, user_id) == 0


def test_sign_in_from_a_cross_site_form_is_blocked(srv):
    name = new_name("csrf")
    member(srv, name)
    c = srv.client(origin=None)
    r = c.post("sign-in/username", data={"username": name, "password": DEFAULT_PASSWORD},
               headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    assert_error(r, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
    r = c.post("sign-in/username", data={"username": name, "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------------------------
# is-username-available


def test_availability(srv):
    name = new_name("Avail")
    assert srv.client().post("is-username-available", {"username": name}).json() == {"available": True}
    member(srv, name)
    for attempt in (name, name.lower(), name.upper()):
        r = srv.client().post("is-username-available", {"username": attempt})
        assert r.status_code == 200 and r.json() == {"available": False}, r.text


@pytest.mark.parametrize("username, code", [
    ("", "INVALID_USERNAME"), ("ab", "USERNAME_TOO_SHORT"), ("a" * 31, "USERNAME_TOO_LONG"), ("no way", "INVALID_USERNAME"),
])
def test_availability_refuses_broken_usernames_with_422(srv, username, code):
    assert_error(srv.client().post("is-username-available", {"username": username}), 422, code)


@pytest.mark.parametrize("body", [{}, {"username": None}, {"username": 12}])
def test_availability_refuses_missing_or_ill_typed_usernames_with_400(srv, body):
    assert_error(srv.client().post("is-username-available", body), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------------------------
# the admin plugin's user writes


@pytest.fixture(scope="module")
def with_admin(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("username-admin-plugins")
    for name in ("username", "admin"):
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return server_factory({"pluginsDir": str(plugins)}, name="username-admin")


def test_admin_create_and_update_user_follow_the_username_rules(with_admin):
    srv = with_admin
    admin = member(srv, new_name("boss"))
    srv.execute('UPDATE "user" SET role = ? WHERE id = ?', "admin", admin.user["id"])
    name = new_name("Made_By_Admin")

    def create(username):
        email = unique_email("made")
        r = admin.post("admin/create-user", {"email": email, "password": DEFAULT_PASSWORD, "name": "Made",
                                             "data": {"username": username}})
        return email, r

    email, r = create(name)
    assert r.status_code == 200, r.text
    assert stored(srv, email) == {"username": name.lower(), "displayUsername": name}
    assert sign_in(srv, name)[1].status_code == 200
    for username, code in ((name.upper(), TAKEN[0]), ("ab", "USERNAME_TOO_SHORT"), ("not valid", "INVALID_USERNAME")):
        other, r = create(username)
        assert_error(r, 400, code)
        assert user_count(srv, other) == 0

    made_id = srv.query('SELECT id FROM "user" WHERE email = ?', email)[0]["id"]
    assert_error(admin.post("admin/update-user", {"userId": made_id, "data": {"username": admin.user["username"]}}), 400, *TAKEN)
    renamed = new_name("Renamed")
    r = admin.post("admin/update-user", {"userId": made_id, "data": {"username": renamed}})
    assert r.status_code == 200, r.text
    assert stored(srv, email) == {"username": renamed.lower(), "displayUsername": name}

    # A ban (the host's sign-in hold) refuses the username sign-in with the admin plugin's answer.
    assert admin.post("admin/ban-user", {"userId": made_id}).status_code == 200
    b, r = sign_in(srv, renamed)
    assert_error(r, 403, "BANNED_USER")
    assert b.session_cookie is None and session_count(srv, made_id) == 0


# ---------------------------------------------------------------------------------------------
# settings


@pytest.fixture(scope="module")
def strict(server_factory, plugins_dir):
    return username_server(server_factory, plugins_dir, {
        "minUsernameLength": 5, "maxUsernameLength": 12, "usernameValidator": "^[a-z]+$",
        "displayUsernameValidator": "^[A-Za-z ]+$", "immutableUsername": True,
    })


def test_custom_lengths_and_validators(strict):
    for username, code in (("abcd", "USERNAME_TOO_SHORT"), ("abcdefghijklm", "USERNAME_TOO_LONG"), ("abc12", "INVALID_USERNAME"),
                           ("Alice", "INVALID_USERNAME")):
        assert_error(sign_up(strict, username)[1], 400, code)
        assert_error(strict.client().post("is-username-available", {"username": username}), 422, code)
        assert_error(sign_in(strict, username)[1], 422, code)
    name = "a" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))
    assert_error(sign_up(strict, name, displayUsername="Ada 1")[1], 400, "INVALID_DISPLAY_USERNAME", "Display username is invalid")
    c = member(strict, name, displayUsername="Ada Lovelace")
    assert stored(strict, c.email) == {"username": name, "displayUsername": "Ada Lovelace"}
    assert_error(c.post("update-user", {"displayUsername": "Ada_2"}), 400, "INVALID_DISPLAY_USERNAME")


def test_immutable_usernames_are_set_once(strict):
    c = member(strict)
    assert c.post("update-user", {"username": "firstname"}).status_code == 200
    assert_error(c.post("update-user", {"username": "othername"}), 400, "USERNAME_IS_IMMUTABLE", "Username cannot be updated")
    assert_error(c.post("update-user", {"username": None}), 400, "USERNAME_IS_IMMUTABLE")
    assert c.post("update-user", {"username": "firstname", "name": "Same"}).status_code == 200
    assert stored(strict, c.email)["username"] == "firstname"


def test_normalization_can_be_switched_off(server_factory, plugins_dir):
    srv = username_server(server_factory, plugins_dir, {"usernameNormalization": False, "displayUsername": False})
    name = new_name("Mixed")
    c = member(srv, name, displayUsername="Ignored")
    assert stored(srv, c.email) == {"username": name, "displayUsername": None}
    assert srv.client().post("is-username-available", {"username": name.lower()}).json() == {"available": True}
    assert sign_in(srv, name)[1].status_code == 200
    assert_error(sign_in(srv, name.lower())[1], 401, *INVALID_CREDENTIALS)


def test_post_normalization_validates_the_stored_form(server_factory, plugins_dir):
    srv = username_server(server_factory, plugins_dir, {"usernameValidator": "^[a-z_]+$",
                                                        "validationOrder": {"username": "post-normalization"}})
    c = member(srv, "Post_Normal")
    assert stored(srv, c.email)["username"] == "post_normal"
    assert sign_in(srv, "POST_NORMAL")[1].status_code == 200


@pytest.mark.parametrize("settings, key", [
    ({"minUsernameLength": 0}, "minUsernameLength"), ({"maxUsernameLength": "long"}, "maxUsernameLength"),
    ({"minUsernameLength": 10, "maxUsernameLength": 5}, "minUsernameLength"),
    ({"usernameValidator": "[unclosed"}, "usernameValidator"), ({"usernameValidator": True}, "usernameValidator"),
    ({"usernameNormalization": "(u) => u.trim()"}, "usernameNormalization"),
    ({"displayUsernameNormalization": True}, "displayUsernameNormalization"),
    ({"validationOrder": {"username": "sometimes"}}, "validationOrder.username"),
    ({"validationOrder": {"email": "pre-normalization"}}, "validationOrder.email"),
    ({"schema": {"user": {"fields": {"username": "handle"}}}}, "schema"), ({"colour": "blue"}, "colour"),
])
def test_bad_settings_keep_the_plugin_out(server, plugins_dir, settings, key):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"username": settings}})
    assert f"plugins.username.{key}" in srv.logs()
    assert srv.client().post("is-username-available", {"username": "someone"}).status_code == 404


def test_unverified_users_are_refused_under_require_email_verification(server_factory, plugins_dir, smtp_sink):
    """As `/sign-in/email`: the right password of an unverified user is 403 EMAIL_NOT_VERIFIED,
    no session, and (`sendOnSignIn`) a fresh verification link whose callbackURL is the request's."""
    srv = username_server(server_factory, plugins_dir, emailAndPassword={"requireEmailVerification": True},
                          emailVerification={"sendOnSignIn": True})
    name = new_name("unverified")
    c, r = sign_up(srv, name)
    assert r.status_code == 200, r.text
    smtp_sink.wait_for(c.email, count=1, contains="/verify-email?")
    browser, r = sign_in(srv, name, callbackURL="/welcome")
    assert_error(r, 403, "EMAIL_NOT_VERIFIED")
    assert srv.cookie_name() not in r.headers.get("set-cookie", "")
    user_id = srv.query('SELECT id FROM "user" WHERE email = ?', c.email)[0]["id"]
    assert session_count(srv, user_id) == 0
    mail = smtp_sink.wait_for(c.email, count=2, contains="/verify-email?")
    link = mail.link_containing("/verify-email?")
    assert "callbackURL=%2Fwelcome" in link
    assert_error(sign_in(srv, name, password="not-the-password")[1], 401, *INVALID_CREDENTIALS)
    assert srv.client().get(link).status_code == 302
    assert sign_in(srv, name)[1].status_code == 200


def test_racing_claims_of_one_username_never_fail_the_server(srv):
    """Ten users claim the same username at once: one gets it, the others a 4xx (the plugin's
    400 or, when they passed its check together, the host's 409 UNIQUE_VIOLATION), never a 5xx."""
    from concurrent.futures import ThreadPoolExecutor

    name = new_name("race")
    browsers = [member(srv) for _ in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda c: c.post("update-user", {"username": name}), browsers))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(200) == 1, statuses
    assert all(s in (200, 400, 409) for s in statuses), [(r.status_code, r.text) for r in answers]
    assert len(srv.query('SELECT id FROM "user" WHERE username = ?', name)) == 1


def test_routes_are_in_openapi(srv):
    from test_magic_link import openapi_has

    assert openapi_has(srv, "post", "/sign-in/username")
    assert openapi_has(srv, "post", "/is-username-available")
