"""Sign-up, sign-in and sign-out (contract §2)."""

from datetime import timedelta

from conftest import (need_cookie, ALNUM32, DEFAULT_PASSWORD, ISO_MS_Z, assert_error, now_utc, parse_date, set_cookie_map,
                      unique_email, verify_signed_value)

USER_KEYS = {"id", "name", "email", "emailVerified", "createdAt", "updatedAt"}


def check_user(u: dict, email: str, name: str):
    assert USER_KEYS <= set(u), u
    assert ALNUM32.match(u["id"]), u["id"]
    assert u["email"] == email.lower()
    assert u["name"] == name
    assert u["emailVerified"] is False
    assert u.get("image") is None
    assert ISO_MS_Z.match(u["createdAt"]) and ISO_MS_Z.match(u["updatedAt"]), u
    assert "password" not in u


# ---------------------------------------------------------------- sign-up

def test_sign_up_json_returns_token_user_and_cookie(gatehouse, client):
    email = unique_email("Signup").replace("signup", "SignUp")
    r = client.post("sign-up/email", {"email": email, "password": DEFAULT_PASSWORD, "name": "Ada Lovelace"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"token", "user"}
    check_user(body["user"], email, "Ada Lovelace")
    assert ALNUM32.match(body["token"])
    cookies = set_cookie_map(r)
    c = need_cookie(r, gatehouse.cookie_name())
    assert verify_signed_value(c.value, gatehouse.secret) == body["token"]
    # the session exists and is the same
    s = client.session()
    assert s["user"]["id"] == body["user"]["id"]
    assert s["session"]["token"] == body["token"]


def test_sign_up_form_encoded(gatehouse, client):
    email = unique_email("form")
    r = client.post("sign-up/email", json=None, data={"email": email, "password": DEFAULT_PASSWORD, "name": "Form User"})
    assert r.status_code == 200, r.text
    check_user(r.json()["user"], email, "Form User")
    assert gatehouse.cookie_name() in set_cookie_map(r)


def test_sign_up_without_origin_or_cookies_passes(gatehouse):
    """curl-style request: no Origin, no Cookie, no Fetch-Metadata."""
    c = gatehouse.client(origin=None)
    r = c.sign_up(unique_email("curl"))
    assert r.status_code == 200, r.text


def test_sign_up_email_is_lowercased_in_db(gatehouse, client):
    email = "MiXeD-" + unique_email("case").upper()
    r = client.sign_up(email)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email"] == email.lower()
    rows = gatehouse.query('SELECT email FROM "user" WHERE id = ?', r.json()["user"]["id"])
    assert rows == [{"email": email.lower()}]


def test_sign_up_invalid_email(client):
    r = client.sign_up("not-an-email")
    assert_error(r, 400, "INVALID_EMAIL")


def test_sign_up_password_too_short(client):
    assert_error(client.sign_up(password="1234567"), 400, "PASSWORD_TOO_SHORT")


def test_sign_up_password_too_long(client):
    assert_error(client.sign_up(password="x" * 129), 400, "PASSWORD_TOO_LONG")


def test_sign_up_password_length_bounds_inclusive(gatehouse):
    assert gatehouse.client().sign_up(password="8-chars!").status_code == 200
    assert gatehouse.client().sign_up(password="y" * 128).status_code == 200


def test_sign_up_duplicate_email(gatehouse, user):
    r = gatehouse.client().sign_up(user.email)
    assert_error(r, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    r2 = gatehouse.client().sign_up(user.email.upper())
    assert_error(r2, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    assert len(gatehouse.query('SELECT id FROM "user" WHERE email = ?', user.email.lower())) == 1


def test_sign_up_missing_fields_validation_error(client):
    r = client.post("sign-up/email", {"email": unique_email(), "password": DEFAULT_PASSWORD})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert "name" in body["message"]
    r = client.post("sign-up/email", {"name": "x", "password": DEFAULT_PASSWORD})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert "email" in body["message"]


def test_sign_up_wrong_types_validation_error(client):
    r = client.post("sign-up/email", {"email": unique_email(), "password": 12345678, "name": "x"})
    body = assert_error(r, 400, "VALIDATION_ERROR")
    assert "password" in body["message"]


def test_sign_up_untrusted_callback_url(client):
    r = client.sign_up(callbackURL="https://evil.com/cb")
    assert_error(r, 403, "INVALID_CALLBACK_URL")


def test_sign_up_ignores_input_false_field_with_a_default(gatehouse, client):
    """emailVerified is input:false with a default: Better Auth's parseInputData drops it on create (200), never stores it."""
    email = unique_email("fna")
    r = client.post("sign-up/email", {"email": email, "password": DEFAULT_PASSWORD, "name": "x", "emailVerified": True})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["emailVerified"] is False
    assert gatehouse.query('SELECT "emailVerified" FROM "user" WHERE email = ?', email)[0]["emailVerified"] == 0


# ---------------------------------------------------------------- sign-in

def test_sign_in_json(gatehouse, user):
    c = gatehouse.client()
    r = c.sign_in(user.email, user.password)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["redirect"] is False
    assert "url" not in body or body["url"] is None
    assert ALNUM32.match(body["token"])
    assert body["user"]["id"] == user.user["id"]
    assert body["user"]["email"] == user.email.lower()
    assert "location" not in {k.lower() for k in r.headers}
    cookie = need_cookie(r, gatehouse.cookie_name())
    assert verify_signed_value(cookie.value, gatehouse.secret) == body["token"]
    assert cookie.max_age == 604800
    rows = gatehouse.query('SELECT "expiresAt", "userId" FROM session WHERE token = ?', body["token"])
    assert len(rows) == 1 and rows[0]["userId"] == user.user["id"]
    exp = parse_date(rows[0]["expiresAt"])
    assert abs((exp - now_utc()) - timedelta(days=7)) < timedelta(minutes=2), exp


def test_sign_in_form_encoded(gatehouse, user):
    c = gatehouse.client()
    r = c.post("sign-in/email", json=None, data={"email": user.email, "password": user.password})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == user.user["id"]
    assert c.session()["user"]["id"] == user.user["id"]


def test_sign_in_email_case_insensitive(gatehouse, user):
    r = gatehouse.client().sign_in(user.email.upper(), user.password)
    assert r.status_code == 200, r.text


def test_sign_in_remember_me_false(gatehouse, user):
    c = gatehouse.client()
    r = c.sign_in(user.email, user.password, rememberMe=False)
    assert r.status_code == 200, r.text
    cookies = set_cookie_map(r)
    st = need_cookie(r, gatehouse.cookie_name())
    assert st.max_age is None and "expires" not in st.attrs, st.header
    dr = need_cookie(r, gatehouse.cookie_name("dont_remember"))
    assert verify_signed_value(dr.value, gatehouse.secret) == "true"
    assert dr.max_age is None
    rows = gatehouse.query('SELECT "expiresAt" FROM session WHERE token = ?', r.json()["token"])
    exp = parse_date(rows[0]["expiresAt"])
    assert abs((exp - now_utc()) - timedelta(days=1)) < timedelta(minutes=2), exp
    assert c.session()["user"]["id"] == user.user["id"]


def test_sign_in_with_callback_url(gatehouse, user):
    r = gatehouse.client().sign_in(user.email, user.password, callbackURL="/dashboard")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["redirect"] is True
    assert body["url"] == "/dashboard"
    assert r.headers.get("Location") == "/dashboard"


def test_sign_in_with_trusted_absolute_callback(gatehouse, user):
    r = gatehouse.client().sign_in(user.email, user.password, callbackURL="https://app.example.com/home")
    assert r.status_code == 200, r.text
    assert r.json()["url"] == "https://app.example.com/home"


def test_sign_in_unknown_email_and_wrong_password_identical(gatehouse, user):
    r1 = gatehouse.client().sign_in(unique_email("nobody"), "whatever-password")
    r2 = gatehouse.client().sign_in(user.email, "wrong-password-123")
    b1 = assert_error(r1, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
    b2 = assert_error(r2, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
    assert b1 == b2
    assert gatehouse.cookie_name() not in set_cookie_map(r1)
    assert gatehouse.cookie_name() not in set_cookie_map(r2)


def test_sign_in_invalid_email(client):
    assert_error(client.sign_in("bad@@", "whatever-password"), 400, "INVALID_EMAIL")


def test_sign_in_missing_password(client):
    body = assert_error(client.post("sign-in/email", {"email": unique_email()}), 400, "VALIDATION_ERROR")
    assert "password" in body["message"]


def test_sign_in_user_agent_and_ip_recorded(gatehouse, user):
    c = gatehouse.client(user_agent="GatehouseTest/1.0")
    r = c.post("sign-in/email", {"email": user.email, "password": user.password},
               headers={"X-Forwarded-For": "203.0.113.7"})
    assert r.status_code == 200, r.text
    row = gatehouse.query('SELECT "ipAddress", "userAgent" FROM session WHERE token = ?', r.json()["token"])[0]
    assert row["userAgent"] == "GatehouseTest/1.0"
    assert row["ipAddress"] == "203.0.113.7"


# ---------------------------------------------------------------- sign-out

def test_sign_out(gatehouse, user):
    token = user.token
    old_cookie = user.session_cookie
    assert gatehouse.query("SELECT id FROM session WHERE token = ?", token)
    r = user.post("sign-out")
    assert r.status_code == 200, r.text
    assert r.json().get("success") is True
    cookies = set_cookie_map(r)
    st = need_cookie(r, gatehouse.cookie_name())
    assert st.is_deletion and st.value == "", st.header
    assert gatehouse.query("SELECT id FROM session WHERE token = ?", token) == []
    assert user.session() is None
    # the old cookie no longer works even if replayed
    replay = gatehouse.client()
    r2 = replay.get("get-session", cookies=f"{gatehouse.cookie_name()}={old_cookie}")
    assert r2.status_code == 200 and r2.json() is None


def test_sign_out_expires_dont_remember_cookie(gatehouse, user):
    c = gatehouse.client()
    assert c.sign_in(user.email, user.password, rememberMe=False).status_code == 200
    r = c.post("sign-out")
    assert r.status_code == 200
    cookies = set_cookie_map(r)
    assert need_cookie(r, gatehouse.cookie_name("dont_remember")).is_deletion
    assert need_cookie(r, gatehouse.cookie_name("session_token")).is_deletion


def test_sign_out_without_body(gatehouse, user):
    """curl -X POST with an empty body and no content type."""
    r = user.request("POST", "sign-out")
    assert r.status_code == 200, r.text
    assert user.session() is None


# ---------------------------------------------------------------- emailAndPassword options

def test_password_length_config(server_factory):
    srv = server_factory({"emailAndPassword": {"minPasswordLength": 10, "maxPasswordLength": 12}}, name="pwpolicy")
    assert_error(srv.client().sign_up(password="123456789"), 400, "PASSWORD_TOO_SHORT")
    assert_error(srv.client().sign_up(password="1234567890123"), 400, "PASSWORD_TOO_LONG")
    assert srv.client().sign_up(password="10-chars!!").status_code == 200


def test_auto_sign_in_false(server_factory):
    srv = server_factory({"emailAndPassword": {"autoSignIn": False}}, name="noautosignin")
    c = srv.client()
    email = unique_email("noauto")
    r = c.sign_up(email)
    assert r.status_code == 200, r.text
    assert r.json()["token"] is None
    assert r.json()["user"]["email"] == email
    assert srv.cookie_name() not in set_cookie_map(r)
    assert srv.query("SELECT id FROM session") == []
    # duplicate sign-up does not reveal the account in this mode
    dup = srv.client().sign_up(email)
    assert dup.status_code == 200, dup.text
    assert dup.json()["token"] is None
    assert len(srv.query('SELECT id FROM "user" WHERE email = ?', email)) == 1
    # signing in works normally
    assert srv.client().sign_in(email, DEFAULT_PASSWORD).status_code == 200


def test_email_and_password_disabled(server_factory):
    srv = server_factory({"emailAndPassword": {"enabled": False}}, name="epdisabled")
    assert_error(srv.client().sign_up(), 400, "EMAIL_PASSWORD_SIGN_UP_DISABLED")
    assert_error(srv.client().sign_in(unique_email(), DEFAULT_PASSWORD), 400, "EMAIL_PASSWORD_DISABLED")


def test_sign_up_disabled(server_factory):
    srv = server_factory({"emailAndPassword": {"disableSignUp": True}}, name="nosignup")
    assert_error(srv.client().sign_up(), 400, "EMAIL_PASSWORD_SIGN_UP_DISABLED")
    assert srv.query('SELECT COUNT(*) AS n FROM "user"')[0]["n"] == 0
