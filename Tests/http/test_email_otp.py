"""email-otp plugin (issue 20): codes by mail for sign-in, e-mail verification and password reset.

A real server loads email-otp.so; a requests session with its own cookie jar plays the browser,
and every code comes from the mail an aiosmtpd sink received (a standalone number in the text).
Better Auth 1.7.1's plugins/email-otp is the reference for the wire details.
"""
import re
import shutil
import time

import pytest

from conftest import assert_error, unique_email
from test_bearer import built_library
from test_magic_link import (assert_no_session_cookie, assert_signed_in, cookie_session, mail_count, openapi_has,
                             session_count, user_rows, verification_rows_naming, verified_user)

TYPES = ["sign-in", "email-verification", "forget-password"]


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("email-otp-plugins")
    shutil.copy(built_library("email-otp"), plugins / "email-otp.so")
    return plugins


def otp_server(server_factory, plugins_dir, **settings):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"email-otp": settings}}, name="email-otp")


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return otp_server(server_factory, plugins_dir)


@pytest.fixture(scope="module")
def short(server_factory, plugins_dir):
    """Codes that last 2 seconds."""
    return otp_server(server_factory, plugins_dir, expiresIn=2)


# ---------------------------------------------------------------------------------------------
# helpers (test_anonymous imports them)

def code_in(mail, length: int = 6) -> str:
    """The one code in a mail: a number of `length` digits standing on its own."""
    codes = set(re.findall(r"(?<![\w#&%/=.-])(\d{" + str(length) + r"})(?![\w%])", mail.text))
    assert len(codes) == 1, f"expected one {length}-digit code in {mail.subject!r}, found {codes}:\n{mail.text}"
    return codes.pop()


def send_code(c, sink, email: str, type: str = "sign-in", length: int = 6) -> str:
    """send-verification-otp from browser `c`: answered {success: true}; returns the mailed code."""
    before = mail_count(sink, email)
    r = c.post("email-otp/send-verification-otp", {"email": email, "type": type})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True}
    return code_in(sink.wait_for(email, count=before + 1), length)


def request_reset_code(c, sink, email: str, path: str = "email-otp/request-password-reset", length: int = 6) -> str:
    before = mail_count(sink, email)
    r = c.post(path, {"email": email})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True}
    return code_in(sink.wait_for(email, count=before + 1), length)


def wrong(code: str) -> str:
    return str((int(code) + 1) % 10 ** len(code)).zfill(len(code))


def sign_in_with_code(c, email: str, otp: str, **extra):
    return c.post("sign-in/email-otp", {"email": email, "otp": otp, **extra})


def assert_otp_signed_in(r, c, email: str) -> dict:
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token", "user"}, body
    me = assert_signed_in(r, c, email)
    assert body["token"] == c.token == me["session"]["token"]
    assert body["user"]["id"] == me["user"]["id"] and body["user"]["email"] == email.lower()
    assert body["user"]["emailVerified"] is True
    return body


# ---------------------------------------------------------------------------------------------
# sign-in


def test_an_unknown_address_signs_up_with_the_mailed_code(srv, smtp_sink):
    email = unique_email("otp-newcomer")
    c = srv.client()
    code = send_code(c, smtp_sink, email)
    assert user_rows(srv, email) == [], "sending a code creates nobody"
    body = assert_otp_signed_in(sign_in_with_code(c, email, code, name="Grace Hopper", image="https://img.example/g.png"),
                                c, email)
    assert body["user"]["name"] == "Grace Hopper" and body["user"]["image"] == "https://img.example/g.png"
    assert [r["name"] for r in user_rows(srv, email)] == ["Grace Hopper"]

    # Single use.
    other = srv.client()
    r = sign_in_with_code(other, email, code)
    assert_error(r, 400, "INVALID_OTP")
    assert_no_session_cookie(r, srv)

    # Known now: a new code signs in the same user, in a new session; name and image stay.
    again = srv.client()
    body2 = assert_otp_signed_in(sign_in_with_code(again, email, send_code(again, smtp_sink, email), name="Other"), again, email)
    assert body2["user"]["id"] == body["user"]["id"] and body2["token"] != body["token"]
    assert body2["user"]["name"] == "Grace Hopper"
    assert len(user_rows(srv, email)) == 1 and session_count(srv, body["user"]["id"]) == 2


def test_a_sign_up_without_a_name_gets_an_empty_name(srv, smtp_sink):
    email = unique_email("otp-nameless")
    c = srv.client()
    body = assert_otp_signed_in(sign_in_with_code(c, email, send_code(c, smtp_sink, email)), c, email)
    assert body["user"]["name"] == ""


def test_addresses_are_compared_in_lower_case(srv, smtp_sink):
    c = verified_user(srv, smtp_sink)
    shouted = c.email.upper()
    b = srv.client()
    code = send_code(b, smtp_sink, shouted)
    assert assert_otp_signed_in(sign_in_with_code(b, c.email, code), b, c.email)["user"]["id"] == c.user["id"]
    b2 = srv.client()
    code = send_code(b2, smtp_sink, c.email)
    assert assert_otp_signed_in(sign_in_with_code(b2, shouted, code), b2, c.email)["user"]["id"] == c.user["id"]
    assert len(user_rows(srv, c.email)) == 1


def test_a_new_code_replaces_the_last_one(srv, smtp_sink):
    c = verified_user(srv, smtp_sink)
    b = srv.client()
    first = send_code(b, smtp_sink, c.email)
    second = send_code(b, smtp_sink, c.email)
    if first != second:  # one chance in a million that two random codes match
        assert_error(sign_in_with_code(b, c.email, first), 400, "INVALID_OTP")
    assert_otp_signed_in(sign_in_with_code(b, c.email, second), b, c.email)


def test_codes_of_one_type_do_not_work_for_another(srv, smtp_sink):
    c = verified_user(srv, smtp_sink)
    code = send_code(srv.client(), smtp_sink, c.email, "forget-password")
    b = srv.client()
    assert_error(sign_in_with_code(b, c.email, code), 400, "INVALID_OTP")
    assert_error(b.post("email-otp/verify-email", {"email": c.email, "otp": code}), 400, "INVALID_OTP")
    assert b.session_cookie is None
    # It is still good for what it was sent for.
    r = b.post("email-otp/check-verification-otp", {"email": c.email, "type": "forget-password", "otp": code})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text


# ---------------------------------------------------------------------------------------------
# attempt limit and expiry


ATTEMPT_ROUTES = ["sign-in", "check-verification-otp", "verify-email", "reset-password"]


def attempt(srv, route: str, email: str, otp: str):
    c = srv.client()
    if route == "sign-in":
        return sign_in_with_code(c, email, otp)
    if route == "check-verification-otp":
        return c.post("email-otp/check-verification-otp", {"email": email, "type": "forget-password", "otp": otp})
    if route == "verify-email":
        return c.post("email-otp/verify-email", {"email": email, "otp": otp})
    return c.post("email-otp/reset-password", {"email": email, "otp": otp, "password": "a-brand-new-password"})


def code_for(srv, sink, route: str, email: str, length: int = 6) -> str:
    if route == "sign-in":
        return send_code(srv.client(), sink, email, "sign-in", length)
    if route == "verify-email":
        return send_code(srv.client(), sink, email, "email-verification", length)
    return request_reset_code(srv.client(), sink, email, length=length)


@pytest.mark.parametrize("route", ATTEMPT_ROUTES)
def test_three_wrong_codes_lock_the_code_out(srv, smtp_sink, route):
    c = srv.client().new_user()
    code = code_for(srv, smtp_sink, route, c.email)
    for _ in range(3):
        r = attempt(srv, route, c.email, wrong(code))
        assert_error(r, 400, "INVALID_OTP")
        assert_no_session_cookie(r, srv)
    r = attempt(srv, route, c.email, code)  # the right code, too late
    assert_error(r, 403, "TOO_MANY_ATTEMPTS")
    assert_no_session_cookie(r, srv)
    assert_error(attempt(srv, route, c.email, code), 400, "INVALID_OTP")  # and it is gone
    assert srv.client().sign_in(c.email, c.password).status_code == 200, "nothing changed"
    assert bool(int(user_rows(srv, c.email)[0]["emailVerified"])) is False
    # The lockout is the code's: a fresh code works.
    fresh = code_for(srv, smtp_sink, route, c.email)
    r = attempt(srv, route, c.email, fresh)
    assert r.status_code == 200, r.text


def test_two_wrong_codes_are_fine_the_third_try_still_counts(srv, smtp_sink):
    c = verified_user(srv, smtp_sink)
    b = srv.client()
    code = send_code(b, smtp_sink, c.email)
    for _ in range(2):
        assert_error(sign_in_with_code(b, c.email, wrong(code)), 400, "INVALID_OTP")
    assert_otp_signed_in(sign_in_with_code(b, c.email, code), b, c.email)


def test_allowed_attempts_and_otp_length_settings(server_factory, plugins_dir, smtp_sink):
    srv = otp_server(server_factory, plugins_dir, otpLength=8, allowedAttempts=2)
    c = srv.client().new_user()
    code = send_code(srv.client(), smtp_sink, c.email, "sign-in", length=8)
    assert re.fullmatch(r"\d{8}", code)
    for _ in range(2):
        assert_error(sign_in_with_code(srv.client(), c.email, wrong(code)), 400, "INVALID_OTP")
    assert_error(sign_in_with_code(srv.client(), c.email, code), 403, "TOO_MANY_ATTEMPTS")
    assert_error(sign_in_with_code(srv.client(), c.email, code), 400, "INVALID_OTP")
    b = srv.client()
    assert_otp_signed_in(sign_in_with_code(b, c.email, send_code(b, smtp_sink, c.email, "sign-in", length=8)), b, c.email)


def test_expired_codes_are_refused(short, smtp_sink):
    late = {}
    for route in ATTEMPT_ROUTES:
        c = short.client().new_user()
        # Used at once, a code works on this server (verify-email works once per address: keep it
        # for the late code)...
        if route != "verify-email":
            r = attempt(short, route, c.email, code_for(short, smtp_sink, route, c.email))
            assert r.status_code == 200, (route, r.text)
        late[route] = (c, code_for(short, smtp_sink, route, c.email))
    # ...used after its 2 seconds, it does not, and it is gone.
    time.sleep(2.3)
    for route, (c, code) in late.items():
        r = attempt(short, route, c.email, code)
        assert_error(r, 400, "OTP_EXPIRED")
        assert_no_session_cookie(r, short)
        assert_error(attempt(short, route, c.email, code), 400, "INVALID_OTP")
    c = late["verify-email"][0]
    assert bool(int(user_rows(short, c.email)[0]["emailVerified"])) is False
    assert attempt(short, "verify-email", c.email, code_for(short, smtp_sink, "verify-email", c.email)).status_code == 200


def test_send_verification_on_sign_up(server_factory, plugins_dir, smtp_sink):
    srv = otp_server(server_factory, plugins_dir, sendVerificationOnSignUp=True)
    c = srv.client().new_user()
    code = code_in(smtp_sink.wait_for(c.email))
    r = srv.client().post("email-otp/verify-email", {"email": c.email, "otp": code})
    assert r.status_code == 200 and r.json()["user"]["emailVerified"] is True, r.text
    # A refused sign-up mails nothing.
    taken = srv.client().sign_up(c.email)
    assert taken.status_code == 422, taken.text
    time.sleep(1.0)
    assert len(smtp_sink.for_rcpt(c.email)) == 1


def test_resend_strategy_reuse_sends_the_same_code(server_factory, plugins_dir, smtp_sink):
    srv = otp_server(server_factory, plugins_dir, resendStrategy="reuse")
    c = verified_user(srv, smtp_sink)
    first = send_code(srv.client(), smtp_sink, c.email)
    assert send_code(srv.client(), smtp_sink, c.email) == first
    b = srv.client()
    assert_otp_signed_in(sign_in_with_code(b, c.email, first), b, c.email)
    assert_error(sign_in_with_code(srv.client(), c.email, first), 400, "INVALID_OTP")  # a used code is gone


def test_hashed_codes_are_not_kept_in_clear(server_factory, plugins_dir, smtp_sink):
    srv = otp_server(server_factory, plugins_dir, storeOTP="hashed")
    c = verified_user(srv, smtp_sink)
    code = send_code(srv.client(), smtp_sink, c.email)
    assert srv.query("SELECT COUNT(*) AS n FROM verification WHERE value LIKE ?", f"{code}%")[0]["n"] == 0
    r = srv.client().post("email-otp/check-verification-otp", {"email": c.email, "type": "sign-in", "otp": code})
    assert r.status_code == 200, r.text
    assert_error(sign_in_with_code(srv.client(), c.email, wrong(code)), 400, "INVALID_OTP")
    b = srv.client()
    assert_otp_signed_in(sign_in_with_code(b, c.email, code), b, c.email)


@pytest.mark.parametrize("settings, key", [({"otpLength": 3}, "otpLength"), ({"expiresIn": "soon"}, "expiresIn"),
                                           ({"allowedAttempts": 0}, "allowedAttempts"), ({"storeOTP": "rot13"}, "storeOTP"),
                                           ({"sendVerificationOTP": "x"}, "sendVerificationOTP")])
def test_bad_settings_keep_the_plugin_out(server, plugins_dir, settings, key):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"email-otp": settings}})
    assert f"plugins.email-otp.{key}" in srv.logs()
    assert srv.client().post("email-otp/send-verification-otp", {"email": unique_email(), "type": "sign-in"}).status_code == 404


# ---------------------------------------------------------------------------------------------
# check-verification-otp, verify-email, reset-password


def test_check_verification_otp_does_not_use_the_code_up(srv, smtp_sink):
    c = verified_user(srv, smtp_sink)
    code = send_code(srv.client(), smtp_sink, c.email, "sign-in")
    for _ in range(3):
        r = srv.client().post("email-otp/check-verification-otp", {"email": c.email, "type": "sign-in", "otp": code})
        assert r.status_code == 200 and r.json() == {"success": True}, r.text
    b = srv.client()
    assert_otp_signed_in(sign_in_with_code(b, c.email, code), b, c.email)
    assert_error(srv.client().post("email-otp/check-verification-otp", {"email": c.email, "type": "sign-in", "otp": code}),
                 400, "INVALID_OTP")


def test_verify_email_with_a_code(srv, smtp_sink):
    c = srv.client().new_user()
    assert bool(int(user_rows(srv, c.email)[0]["emailVerified"])) is False
    code = send_code(srv.client(), smtp_sink, c.email, "email-verification")
    r = srv.client().post("email-otp/verify-email", {"email": c.email.upper(), "otp": code})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"status", "token", "user"} and body["status"] is True and body["token"] is None, body
    assert body["user"]["id"] == c.user["id"] and body["user"]["email"] == c.email.lower()
    assert body["user"]["emailVerified"] is True
    assert bool(int(user_rows(srv, c.email)[0]["emailVerified"])) is True
    assert_error(srv.client().post("email-otp/verify-email", {"email": c.email, "otp": code}), 400, "INVALID_OTP")


def test_reset_password_checks_the_length_before_using_the_code(srv, smtp_sink):
    c = srv.client().new_user()
    code = request_reset_code(srv.client(), smtp_sink, c.email)
    b = srv.client()
    # Three refusals for the password alone: the code is neither used up nor charged an attempt.
    for password, error in (("short", "PASSWORD_TOO_SHORT"), ("x" * 129, "PASSWORD_TOO_LONG"), ("1234567", "PASSWORD_TOO_SHORT")):
        assert_error(b.post("email-otp/reset-password", {"email": c.email, "otp": code, "password": password}), 400, error)
    r = b.post("email-otp/reset-password", {"email": c.email, "otp": code, "password": "x" * 128})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert_error(srv.client().sign_in(c.email, c.password), 401, "INVALID_EMAIL_OR_PASSWORD")
    assert srv.client().sign_in(c.email, "x" * 128).status_code == 200
    assert bool(int(user_rows(srv, c.email)[0]["emailVerified"])) is True, "the code proved the address"
    # Single use.
    assert_error(b.post("email-otp/reset-password", {"email": c.email, "otp": code, "password": "another-password"}),
                 400, "INVALID_OTP")
    assert srv.client().sign_in(c.email, "another-password").status_code == 401


def test_the_deprecated_forget_password_route_and_check_before_reset(srv, smtp_sink):
    c = srv.client().new_user()
    code = request_reset_code(srv.client(), smtp_sink, c.email, path="forget-password/email-otp")
    b = srv.client()
    r = b.post("email-otp/check-verification-otp", {"email": c.email, "type": "forget-password", "otp": code})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    r = b.post("email-otp/reset-password", {"email": c.email, "otp": code, "password": "reset-via-old-route"})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert srv.client().sign_in(c.email, "reset-via-old-route").status_code == 200


def test_a_user_without_a_password_gets_one_by_reset(srv, smtp_sink):
    email = unique_email("otp-passwordless")
    c = srv.client()
    user_id = assert_otp_signed_in(sign_in_with_code(c, email, send_code(c, smtp_sink, email)), c, email)["user"]["id"]
    assert srv.query('SELECT COUNT(*) AS n FROM account WHERE "userId" = ? AND "providerId" = ?', user_id, "credential")[0]["n"] == 0
    code = request_reset_code(srv.client(), smtp_sink, email)
    r = srv.client().post("email-otp/reset-password", {"email": email, "otp": code, "password": "first-password-1"})
    assert r.status_code == 200, r.text
    assert srv.client().sign_in(email, "first-password-1").status_code == 200


# ---------------------------------------------------------------------------------------------
# enumeration: equal answers, and which requests mail


def test_known_and_unknown_addresses_get_equal_answers_and_only_sign_in_codes_reach_unknown_ones(srv, smtp_sink):
    known = srv.client().new_user()
    unknown = unique_email("otp-unknown")
    requests_ = [("email-otp/send-verification-otp", {"type": t}) for t in TYPES]
    requests_ += [("email-otp/request-password-reset", {}), ("forget-password/email-otp", {})]
    for path, extra in requests_:
        answers = [srv.client().post(path, {"email": email, **extra}) for email in (known.email, unknown)]
        assert [(r.status_code, r.json()) for r in answers] == [(200, {"success": True})] * 2, (path, extra)
    smtp_sink.wait_for(known.email, count=len(requests_))
    time.sleep(1.0)
    assert len(smtp_sink.for_rcpt(known.email)) == len(requests_)
    to_unknown = smtp_sink.for_rcpt(unknown)
    assert len(to_unknown) == 1, [m.subject for m in to_unknown]
    # That one mail is the sign-in code, and it signs the address up.
    c = srv.client()
    assert_otp_signed_in(sign_in_with_code(c, unknown, code_in(to_unknown[0])), c, unknown)


def test_with_sign_up_disabled_unknown_addresses_get_no_code_and_no_user(server_factory, plugins_dir, smtp_sink):
    srv = otp_server(server_factory, plugins_dir, disableSignUp=True)
    known = verified_user(srv, smtp_sink)
    unknown = unique_email("otp-stranger")
    answers = [srv.client().post("email-otp/send-verification-otp", {"email": e, "type": "sign-in"}) for e in (known.email, unknown)]
    assert [(r.status_code, r.json()) for r in answers] == [(200, {"success": True})] * 2
    code = code_in(smtp_sink.wait_for(known.email, count=2))  # the verify-email link was the first mail
    b = srv.client()
    assert assert_otp_signed_in(sign_in_with_code(b, known.email, code), b, known.email)["user"]["id"] == known.user["id"]
    time.sleep(1.0)
    assert smtp_sink.for_rcpt(unknown) == []
    # No code was mailed; no guess signs up.
    r = sign_in_with_code(srv.client(), unknown, "123456", name="Stranger")
    assert_error(r, 400, "INVALID_OTP")
    assert_no_session_cookie(r, srv)
    assert user_rows(srv, unknown) == []
    assert verification_rows_naming(srv, unknown) == 0, "no code is kept for an address that gets none"


def test_cross_site_requests_without_cookies_send_no_code(srv, smtp_sink):
    """Better Auth guards send-verification-otp with formCsrfMiddleware: a cookieless cross-site POST
    cannot make the server mail codes; a request with no browser signal (server to server) can."""
    refused = []
    for headers, code in (({"Origin": "https://evil.com"}, "INVALID_ORIGIN"),
                          ({"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
                           "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")):
        email = unique_email("otp-csrf")
        r = srv.client(origin=None).post("email-otp/send-verification-otp", {"email": email, "type": "sign-in"}, headers=headers)
        assert_error(r, 403, code)
        refused.append(email)
    s2s = unique_email("otp-s2s")
    r = srv.client(origin=None).post("email-otp/send-verification-otp", {"email": s2s, "type": "sign-in"})
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    code_in(smtp_sink.wait_for(s2s))
    time.sleep(1.0)
    assert [a for a in refused if smtp_sink.for_rcpt(a)] == []


# ---------------------------------------------------------------------------------------------
# pre-hijack defence


def test_a_code_strips_an_unverified_account_of_its_password_and_sessions(srv, smtp_sink):
    victim = unique_email("otp-victim")
    squatter = srv.client()
    r = squatter.sign_up(victim, password="squatter-password-1")
    assert r.status_code == 200, r.text
    squatted_id = r.json()["user"]["id"]
    squatter_cookie = squatter.session_cookie
    assert squatter.session() is not None

    owner = srv.client()
    body = assert_otp_signed_in(sign_in_with_code(owner, victim, send_code(owner, smtp_sink, victim)), owner, victim)
    assert body["user"]["id"] == squatted_id and body["user"]["emailVerified"] is True
    assert cookie_session(srv, squatter_cookie) is None, "the squatter's session is gone"
    assert session_count(srv, squatted_id) == 1
    assert_error(srv.client().sign_in(victim, "squatter-password-1"), 401, "INVALID_EMAIL_OR_PASSWORD")
    assert srv.query('SELECT COUNT(*) AS n FROM account WHERE "userId" = ?', squatted_id)[0]["n"] == 0
    assert bool(int(user_rows(srv, victim)[0]["emailVerified"])) is True


def test_a_verified_account_keeps_its_password_and_sessions(srv, smtp_sink):
    c = verified_user(srv, smtp_sink)
    other = c.fork()
    b = srv.client()
    assert assert_otp_signed_in(sign_in_with_code(b, c.email, send_code(b, smtp_sink, c.email)), b, c.email)["user"]["id"] == c.user["id"]
    assert c.session() is not None and other.session() is not None
    assert session_count(srv, c.user["id"]) == 3
    assert srv.client().sign_in(c.email, c.password).status_code == 200


# ---------------------------------------------------------------------------------------------
# bad input, OpenAPI


BAD_ADDRESSES = ["not-an-address", "two@@example.com", "spaces in@example.com", "@example.com", "trailing@"]


def test_missing_and_ill_typed_fields(srv):
    c = srv.client()
    e = unique_email("otp-bad")
    cases = {
        "email-otp/send-verification-otp": [{}, {"email": e}, {"type": "sign-in"}, {"email": 5, "type": "sign-in"},
                                            {"email": e, "type": 5}, {"email": [e], "type": "sign-in"}, {"email": None, "type": "sign-in"}],
        "sign-in/email-otp": [{}, {"email": e}, {"otp": "123456"}, {"email": e, "otp": 123456}, {"email": 5, "otp": "123456"},
                              {"email": e, "otp": "123456", "name": 5}, {"email": e, "otp": "123456", "image": ["x"]}],
        "email-otp/check-verification-otp": [{}, {"email": e, "otp": "123456"}, {"email": e, "type": "sign-in"},
                                             {"email": e, "type": "sign-in", "otp": 123456}],
        "email-otp/verify-email": [{}, {"email": e}, {"otp": "123456"}, {"email": e, "otp": 123456}],
        "email-otp/request-password-reset": [{}, {"email": 5}, {"email": None}],
        "forget-password/email-otp": [{}, {"email": {"a": 1}}],
        "email-otp/reset-password": [{}, {"email": e, "otp": "123456"}, {"email": e, "password": "long-enough-1"},
                                     {"email": e, "otp": "123456", "password": 12345678}],
    }
    for path, bodies in cases.items():
        for body in bodies:
            assert_error(c.post(path, body), 400, "VALIDATION_ERROR")
    assert c.session_cookie is None


def test_bad_addresses(srv, smtp_sink):
    c = srv.client()
    for bad in BAD_ADDRESSES:
        for path, body in (("email-otp/send-verification-otp", {"email": bad, "type": "sign-in"}),
                           ("sign-in/email-otp", {"email": bad, "otp": "123456"}),
                           ("email-otp/check-verification-otp", {"email": bad, "type": "sign-in", "otp": "123456"}),
                           ("email-otp/verify-email", {"email": bad, "otp": "123456"}),
                           ("email-otp/request-password-reset", {"email": bad}),
                           ("forget-password/email-otp", {"email": bad}),
                           ("email-otp/reset-password", {"email": bad, "otp": "123456", "password": "long-enough-1"})):
            assert_error(c.post(path, body), 400, "INVALID_EMAIL")
    assert srv.query('SELECT COUNT(*) AS n FROM "user" WHERE email = ?', "not-an-address")[0]["n"] == 0
    assert verification_rows_naming(srv, "not-an-address") == 0 and verification_rows_naming(srv, "trailing@") == 0


def test_unknown_and_change_email_types_are_refused(srv, smtp_sink):
    c = srv.client().new_user()
    for t in ("change-email", "password-reset", "SIGN-IN", ""):
        r = srv.client().post("email-otp/send-verification-otp", {"email": c.email, "type": t})
        assert_error(r, 400)
    time.sleep(1.0)
    assert smtp_sink.for_rcpt(c.email) == [], "a refused request sends nothing"


def test_odd_input_never_gets_a_5xx(srv):
    c = srv.client()
    long_address = "x" * 5000 + "@example.com"
    answers = [
        c.post("email-otp/send-verification-otp", data=b"{not json", headers={"content-type": "application/json"}),
        c.post("email-otp/send-verification-otp", {"email": long_address, "type": "sign-in"}),
        c.post("email-otp/send-verification-otp", {"email": "ü@例え.テスト", "type": "sign-in"}),
        c.post("sign-in/email-otp", {"email": unique_email(), "otp": "x" * 10000}),
        c.post("sign-in/email-otp", {"email": unique_email(), "otp": ""}),
        c.post("sign-in/email-otp", {"email": unique_email(), "otp": "１２３４５６"}),
        c.post("email-otp/reset-password", {"email": unique_email(), "otp": "123456", "password": "p" * 100000}),
        c.post("email-otp/check-verification-otp", {"email": unique_email(), "type": "forget-password", "otp": "' OR 1=1 --"}),
    ]
    assert [(r.request.url, r.status_code) for r in answers if r.status_code >= 500] == []
    assert all(r.status_code in (200, 400, 413, 415) for r in answers), [(r.status_code, r.text[:100]) for r in answers]


def test_routes_are_in_the_openapi_document(srv):
    for path in ("/email-otp/send-verification-otp", "/sign-in/email-otp", "/email-otp/check-verification-otp",
                 "/email-otp/verify-email", "/email-otp/request-password-reset", "/forget-password/email-otp",
                 "/email-otp/reset-password"):
        assert openapi_has(srv, "post", path), path
