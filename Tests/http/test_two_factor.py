"""two-factor plugin (contract §7.1): pyotp plays the authenticator app, an SMTP sink the inbox.

Every test drives a real server with plugins.d/two-factor.so over HTTP; rows written the Better
Auth way (PyNaCl's XChaCha20-Poly1305) must verify too.
"""
import base64
import hashlib
import json
import re
import shutil
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import nacl.bindings
import nacl.utils
import numpy
import pyotp
import pytest
import zxingcpp

from conftest import TEST_SECRET, assert_error, parse_date
from test_bearer import built_library
from test_social import idp, new_subject, run_flow, social_config  # noqa: F401 (idp is a fixture)

OTP_CODE = re.compile(r"verification code is:\s+(\d{6})")


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("two-factor-plugins")
    shutil.copy(built_library("two-factor"), plugins / "two-factor.so")
    return plugins


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return server_factory({"pluginsDir": str(plugins_dir), "appName": "Gatehouse Test"}, name="two-factor")


def two_factor_server(server, plugins_dir, settings=None, **overrides):
    return server({"pluginsDir": str(plugins_dir), "plugins": {"two-factor": settings or {}}, **overrides},
                  email="email" not in overrides)


def authenticator(enable_response) -> pyotp.TOTP:
    """What an authenticator app does with the QR code: parse the otpauth:// URI."""
    return pyotp.parse_uri(enable_response.json()["totpURI"])


def previous_window_code(totp: pyotp.TOTP) -> str:
    """The code of the previous window (an authenticator whose clock runs behind), taken clear of a
    window edge, so the server, a few milliseconds later, still counts it as the previous window."""
    if time.time() % totp.interval > totp.interval - 2:
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)
    return totp.at(time.time() - totp.interval)


def enrolled(srv):
    """A signed-up user with TOTP enabled and verified: (client, authenticator, backup codes)."""
    c = srv.client().new_user()
    r = c.post("two-factor/enable", {"password": c.password})
    assert r.status_code == 200, r.text
    totp = authenticator(r)
    r = c.post("two-factor/verify-totp", {"code": previous_window_code(totp)})
    assert r.status_code == 200, r.text
    return c, totp, r.json()["user"], c.backup_codes


def challenged(c):
    """Signs in again with the password; asserts the answer is a second-factor challenge."""
    c.cookies.pop(c.server.cookie_name("session_token"), None)
    r = c.sign_in()
    assert r.status_code == 200, r.text
    assert r.json()["twoFactorRedirect"] is True, r.json()
    assert c.server.cookie_name("session_token") not in c.cookies
    assert c.server.cookie_name("two_factor") in c.cookies
    return r


def set_row(srv, sql, *args):
    srv.execute(sql, *args)


def session_count(srv, user_id):
    return srv.query('SELECT COUNT(*) AS n FROM "session" WHERE "userId" = ?', user_id)[0]["n"]


@pytest.fixture(autouse=True)
def _remember_backup_codes(monkeypatch):
    """Keeps the backup codes of the last enable call on the client (pytest-local convenience)."""
    from conftest import Client

    original = Client.post

    def post(self, path, json=None, **kw):
        r = original(self, path, json, **kw)
        if path in ("two-factor/enable", "two-factor/generate-backup-codes") and r.status_code == 200 and "backupCodes" in r.json():
            self.backup_codes = r.json()["backupCodes"]
        return r

    monkeypatch.setattr(Client, "post", post)


# ---------------------------------------------------------------------------------------------
# The journey of the issue: enable → scan → verify → sign out → challenge → codes → trust → disable


def test_totp_journey_with_an_authenticator_app(srv):
    c = srv.client().new_user()
    r = c.post("two-factor/enable", {"password": c.password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "totp"
    assert len(body["backupCodes"]) == 10 and all(re.fullmatch(r"[A-Za-z0-9]{5}-[A-Za-z0-9]{5}", code) for code in body["backupCodes"])
    totp = authenticator(r)
    uri = urllib.parse.urlsplit(body["totpURI"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert urllib.parse.unquote(uri.path) == f"/Gatehouse Test:{c.email}"
    params = urllib.parse.parse_qs(uri.query)
    assert params["issuer"] == ["Gatehouse Test"] and params["digits"] == ["6"] and params["period"] == ["30"]
    assert len(base64.b32decode(totp.secret + "=" * (-len(totp.secret) % 8))) * 8 >= 160

    # Not on until the first code is verified.
    assert c.session()["user"]["twoFactorEnabled"] is False
    old_session = c.token
    r = c.post("two-factor/verify-totp", {"code": previous_window_code(totp)})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["twoFactorEnabled"] is True
    user_id = r.json()["user"]["id"]
    assert r.json()["token"] == c.token and c.token != old_session, "enabling rotates the session"
    assert c.session()["user"]["twoFactorEnabled"] is True

    # Sign out; the password alone now only yields a challenge, with no session anywhere.
    assert c.post("sign-out").status_code == 200
    r = challenged(c)
    assert r.json()["twoFactorMethods"] == ["totp", "otp"]
    assert c.get_session().json() is None
    assert session_count(srv, user_id) == 0

    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    assert_error(c.post("two-factor/verify-totp", {"code": wrong}), 401, "INVALID_CODE")
    assert c.get_session().json() is None

    code = totp.now()
    r = c.post("two-factor/verify-totp", {"code": code})
    assert r.status_code == 200, r.text
    assert r.json()["token"] == c.token and r.json()["user"]["email"] == c.email
    assert c.server.cookie_name("two_factor") not in c.cookies
    assert c.session()["user"]["email"] == c.email

    # The same code never works twice, not even in a new challenge.
    challenged(c)
    assert_error(c.post("two-factor/verify-totp", {"code": code}), 401, "INVALID_CODE")

    # A backup code works exactly once.
    backup = c.backup_codes[0]
    r = c.post("two-factor/verify-backup-code", {"code": backup})
    assert r.status_code == 200, r.text
    assert c.session()["user"]["email"] == c.email
    challenged(c)
    assert_error(c.post("two-factor/verify-backup-code", {"code": backup}), 401, "INVALID_BACKUP_CODE")

    # Trust this device: the next sign-in skips the challenge and rotates the trust cookie.
    r = c.post("two-factor/verify-backup-code", {"code": c.backup_codes[1], "trustDevice": True})
    assert r.status_code == 200, r.text
    trust_name = c.server.cookie_name("trust_device")
    trust = c.cookies[trust_name]
    trust_cookie = [h for h in r.raw.headers.getlist("set-cookie") if h.startswith(trust_name + "=")]
    assert len(trust_cookie) == 1 and "Max-Age=2592000" in trust_cookie[0], trust_cookie
    c.post("sign-out")
    c.cookies[trust_name] = trust
    r = c.sign_in()
    assert r.status_code == 200 and "twoFactorRedirect" not in r.json(), r.text
    assert r.json()["token"] == c.token
    assert c.cookies[trust_name] != trust, "the trust cookie is rotated on use"

    # The old trust cookie is spent: another browser replaying it gets the challenge.
    thief = srv.client()
    thief.cookies[trust_name] = trust
    r = thief.sign_in(c.email, c.password)
    assert r.json().get("twoFactorRedirect") is True

    # Disable (password required); sign-in is single-factor again and the device is forgotten.
    assert_error(c.post("two-factor/disable", {"password": "not-the-password"}), 400, "INVALID_PASSWORD")
    r = c.post("two-factor/disable", {"password": c.password})
    assert r.status_code == 200 and r.json() == {"status": True}, r.text
    assert c.session()["user"]["twoFactorEnabled"] is False
    c.post("sign-out")
    r = c.sign_in()
    assert r.status_code == 200 and "twoFactorRedirect" not in r.json()
    assert srv.query('SELECT * FROM "twoFactor" WHERE "userId" = ?', user_id) == []
    assert srv.query("SELECT * FROM verification WHERE value = ? AND identifier LIKE 'trust-device-%'", user_id) == []


def scan(svg: str) -> str:
    """Rasterises the SVG's module runs and reads the symbol with ZXing, as a phone camera would."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    image = numpy.full((size * 4, size * 4), 255, dtype=numpy.uint8)
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, run = int(x), int(y), int(run)
        image[y * 4:(y + 1) * 4, x * 4:(x + run) * 4] = 0
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode, found
    return found[0].text


def test_the_qr_code_scans_to_the_totp_uri(srv):
    c = srv.client().new_user()
    r = c.post("two-factor/enable", {"password": c.password})
    body = r.json()
    assert body["totpQRCode"].startswith("<svg") and scan(body["totpQRCode"]) == body["totpURI"]
    r = c.post("two-factor/get-totp-uri", {"password": c.password})
    assert scan(r.json()["totpQRCode"]) == r.json()["totpURI"] == body["totpURI"]


def test_secrets_and_backup_codes_are_encrypted_at_rest_the_better_auth_way(srv):
    c, totp, user, codes = enrolled(srv)
    row = srv.query('SELECT * FROM "twoFactor" WHERE "userId" = ?', user["id"])[0]
    assert row["verified"] == 1 and row["failedVerificationCount"] == 0
    key = hashlib.sha256(TEST_SECRET.encode()).digest()

    def decrypt(stored):
        raw = bytes.fromhex(stored)
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], None, raw[:24], key).decode()

    secret = decrypt(row["secret"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", secret)
    assert pyotp.TOTP(base64.b32encode(secret.encode()).decode()).now() == totp.now()
    assert json.loads(decrypt(row["backupCodes"])) == codes
    assert secret not in srv.logs() and codes[0] not in srv.logs()


def test_a_row_written_by_better_auth_verifies(srv):
    """The vector is built here with PyNaCl, as Better Auth's symmetricEncrypt builds it."""
    c = srv.client().new_user()
    user_id = c.session()["user"]["id"]
    key = hashlib.sha256(TEST_SECRET.encode()).digest()

    def encrypt(text):
        nonce = nacl.utils.random(24)
        return (nonce + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(text.encode(), None, nonce, key)).hex()

    secret = "Better-Auth_secret_0123456789abc"
    codes = ["AbCde-12345", "FgHij-67890"]
    set_row(srv, 'INSERT INTO "twoFactor" (id, secret, "backupCodes", "userId") VALUES (?, ?, ?, ?)',
            "ba-row-" + user_id[:8], encrypt(secret), encrypt(json.dumps(codes)), user_id)
    set_row(srv, 'UPDATE "user" SET "twoFactorEnabled" = TRUE WHERE id = ?', user_id)

    challenged(c)
    totp = pyotp.TOTP(base64.b32encode(secret.encode()).decode())
    r = c.post("two-factor/verify-totp", {"code": totp.now()})
    assert r.status_code == 200, r.text
    challenged(c)
    r = c.post("two-factor/verify-backup-code", {"code": codes[1]})
    assert r.status_code == 200, r.text
    stored = srv.query('SELECT "backupCodes" FROM "twoFactor" WHERE "userId" = ?', user_id)[0]["backupCodes"]
    raw = bytes.fromhex(stored)
    assert json.loads(nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], None, raw[:24], key)) == codes[:1]


# ---------------------------------------------------------------------------------------------
# Refusals


def test_a_challenge_allows_five_guesses_then_is_cancelled(srv):
    c, totp, _, _ = enrolled(srv)
    challenged(c)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        assert_error(c.post("two-factor/verify-totp", {"code": wrong}), 401, "INVALID_CODE")
    assert_error(c.post("two-factor/verify-totp", {"code": totp.now()}), 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
    assert_error(c.post("two-factor/verify-totp", {"code": totp.now()}), 401, "INVALID_TWO_FACTOR_COOKIE")
    assert c.get_session().json() is None


def test_ten_failures_lock_two_factor_for_fifteen_minutes(srv):
    c, totp, user, _ = enrolled(srv)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    for _ in range(2):
        challenged(c)
        for _ in range(4):
            assert_error(c.post("two-factor/verify-totp", {"code": wrong}), 401, "INVALID_CODE")
    challenged(c)
    assert_error(c.post("two-factor/verify-backup-code", {"code": "AAAAA-AAAAA"}), 401, "INVALID_BACKUP_CODE")
    assert_error(c.post("two-factor/verify-totp", {"code": wrong}), 401, "INVALID_CODE")

    # Locked: even the right code, on a new challenge, is refused, and the user is told so.
    challenged(c)
    body = assert_error(c.post("two-factor/verify-totp", {"code": totp.now()}), 429, "ACCOUNT_TEMPORARILY_LOCKED")
    assert "15 more minutes" in body["message"]
    assert_error(c.post("two-factor/verify-backup-code", {"code": c.backup_codes[0]}), 429, "ACCOUNT_TEMPORARILY_LOCKED")
    assert c.get_session().json() is None
    row = srv.query('SELECT * FROM "twoFactor" WHERE "userId" = ?', user["id"])[0]
    locked_until = parse_date(row["lockedUntil"])
    assert timedelta(minutes=14) < locked_until - datetime.now(timezone.utc) <= timedelta(minutes=15)
    assert f"two-factor verification locked for user {user['id']}" in srv.logs()

    # Once the lock has passed, the right code works again.
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    set_row(srv, 'UPDATE "twoFactor" SET "lockedUntil" = ? WHERE "userId" = ?', past, user["id"])
    r = c.post("two-factor/verify-totp", {"code": totp.now()})
    assert r.status_code == 200, r.text


def test_a_success_resets_the_failure_count(srv):
    c, totp, user, _ = enrolled(srv)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    challenged(c)
    for _ in range(4):
        c.post("two-factor/verify-totp", {"code": wrong})
    assert srv.query('SELECT "failedVerificationCount" AS n FROM "twoFactor" WHERE "userId" = ?', user["id"])[0]["n"] == 4
    assert c.post("two-factor/verify-backup-code", {"code": c.backup_codes[0]}).status_code == 200
    assert srv.query('SELECT "failedVerificationCount" AS n FROM "twoFactor" WHERE "userId" = ?', user["id"])[0]["n"] == 0


def test_challenge_cookie_is_required_and_cannot_be_forged(srv):
    c, totp, _, _ = enrolled(srv)
    anonymous = srv.client()
    for path, body in [("two-factor/verify-totp", {"code": "123456"}), ("two-factor/verify-backup-code", {"code": "AAAAA-AAAAA"}),
                       ("two-factor/send-otp", {}), ("two-factor/verify-otp", {"code": "123456"})]:
        assert_error(anonymous.post(path, body), 401, "INVALID_TWO_FACTOR_COOKIE")
    anonymous.cookies[srv.cookie_name("two_factor")] = "2fa-forgedforgedforged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"
    assert_error(anonymous.post("two-factor/verify-totp", {"code": totp.now()}), 401, "INVALID_TWO_FACTOR_COOKIE")
    assert_error(anonymous.post("two-factor/verify-totp", {}), 400, "VALIDATION_ERROR")


def test_enrolment_needs_a_session_and_the_password(srv):
    anonymous = srv.client()
    assert anonymous.post("two-factor/enable", {"password": "x"}).status_code == 401
    c = srv.client().new_user()
    assert_error(c.post("two-factor/enable", {"password": "wrong-password"}), 400, "INVALID_PASSWORD")
    assert_error(c.post("two-factor/enable", {}), 400, "INVALID_PASSWORD")
    assert_error(c.post("two-factor/enable", {"password": c.password, "method": "sms"}), 400, "INVALID_TWO_FACTOR_METHOD")
    assert_error(c.post("two-factor/get-totp-uri", {"password": c.password}), 400, "TOTP_NOT_ENABLED")
    assert_error(c.post("two-factor/generate-backup-codes", {"password": c.password}), 400, "TWO_FACTOR_NOT_ENABLED")
    # twoFactorEnabled is the plugin's to set, not the client's.
    c.post("update-user", {"twoFactorEnabled": True})
    assert c.session()["user"]["twoFactorEnabled"] is False


def test_get_totp_uri_and_new_backup_codes(srv):
    c, totp, _, old_codes = enrolled(srv)
    r = c.post("two-factor/get-totp-uri", {"password": c.password})
    assert r.status_code == 200 and pyotp.parse_uri(r.json()["totpURI"]).secret == totp.secret
    assert_error(c.post("two-factor/get-totp-uri", {"password": "wrong-password"}), 400, "INVALID_PASSWORD")
    r = c.post("two-factor/generate-backup-codes", {"password": c.password})
    assert r.status_code == 200 and r.json()["status"] is True
    new_codes = r.json()["backupCodes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    challenged(c)
    assert_error(c.post("two-factor/verify-backup-code", {"code": old_codes[2]}), 401, "INVALID_BACKUP_CODE")
    assert c.post("two-factor/verify-backup-code", {"code": new_codes[2]}).status_code == 200


def test_enabling_again_replaces_the_secret(srv):
    c, old_totp, _, old_codes = enrolled(srv)
    r = c.post("two-factor/enable", {"password": c.password})
    new_totp = authenticator(r)
    assert new_totp.secret != old_totp.secret and set(r.json()["backupCodes"]).isdisjoint(old_codes)
    challenged(c)
    assert_error(c.post("two-factor/verify-totp", {"code": old_totp.now()}), 401, "INVALID_CODE")
    assert c.post("two-factor/verify-totp", {"code": new_totp.now()}).status_code == 200


# ---------------------------------------------------------------------------------------------
# Email OTP through the host's SMTP transport


def otp_from(smtp_sink, email, count):
    mail = smtp_sink.wait_for(email, count=count)
    match = OTP_CODE.search(mail.text)
    assert match, mail.text
    return match.group(1)


def test_email_otp_as_the_second_factor(srv, smtp_sink):
    c = srv.client().new_user()
    r = c.post("two-factor/enable", {"password": c.password, "method": "otp"})
    assert r.status_code == 200 and r.json()["method"] == "otp", r.text
    assert c.session()["user"]["twoFactorEnabled"] is True
    r = challenged(c)
    assert r.json()["twoFactorMethods"] == ["otp"], "TOTP is not offered before it was verified"

    assert c.post("two-factor/send-otp").json() == {"status": True}
    code = otp_from(smtp_sink, c.email, 1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert_error(c.post("two-factor/verify-otp", {"code": wrong}), 401, "INVALID_CODE")
    r = c.post("two-factor/verify-otp", {"code": code})
    assert r.status_code == 200, r.text
    assert c.session()["user"]["email"] == c.email
    # A used code is gone.
    challenged(c)
    assert_error(c.post("two-factor/verify-otp", {"code": code}), 400, "OTP_HAS_EXPIRED")

    # Five wrong guesses use a code up.
    c.post("two-factor/send-otp")
    code = otp_from(smtp_sink, c.email, 2)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert_error(c.post("two-factor/verify-otp", {"code": wrong}), 401, "INVALID_CODE")
    assert_error(c.post("two-factor/verify-otp", {"code": code}), 400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")

    # Codes expire (3 minutes by default): the stored one is moved into the past.
    c.post("two-factor/send-otp")
    code = otp_from(smtp_sink, c.email, 3)
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    row = srv.query("SELECT * FROM verification WHERE identifier LIKE '2fa-otp-%' ORDER BY \"createdAt\" DESC LIMIT 1")[0]
    assert code not in row["value"], "codes are stored hashed"
    expires = parse_date(row["expiresAt"])
    assert timedelta(minutes=2) < expires - datetime.now(timezone.utc) <= timedelta(minutes=3)
    set_row(srv, 'UPDATE verification SET "expiresAt" = ? WHERE id = ?', past, row["id"])
    assert_error(c.post("two-factor/verify-otp", {"code": code}), 400, "OTP_HAS_EXPIRED")


def test_otp_is_not_offered_without_an_email_transport(server, plugins_dir):
    srv = two_factor_server(server, plugins_dir, email={"transport": "none"})
    c = srv.client().new_user()
    assert_error(c.post("two-factor/enable", {"password": c.password, "method": "otp"}), 400, "OTP_NOT_CONFIGURED")
    r = c.post("two-factor/enable", {"password": c.password})
    c.post("two-factor/verify-totp", {"code": authenticator(r).now()})
    assert challenged(c).json()["twoFactorMethods"] == ["totp"]
    assert_error(c.post("two-factor/send-otp"), 400, "OTP_NOT_CONFIGURED")


# ---------------------------------------------------------------------------------------------
# Interplay with the rest of the server


def test_remember_me_off_survives_the_challenge(srv):
    c, totp, _, _ = enrolled(srv)
    c.cookies.pop(srv.cookie_name("session_token"), None)
    r = c.sign_in(rememberMe=False)
    assert r.json()["twoFactorRedirect"] is True
    r = c.post("two-factor/verify-totp", {"code": totp.now()})
    assert r.status_code == 200
    session_cookie = [h for h in r.raw.headers.getlist("set-cookie") if h.startswith(srv.cookie_name("session_token") + "=")]
    assert session_cookie and "Max-Age" not in session_cookie[0], "a browser-session cookie, as at the first sign-in"


def test_no_cached_session_is_left_behind(server, plugins_dir):
    srv = two_factor_server(server, plugins_dir, session={"cookieCache": {"enabled": True, "maxAge": 300}})
    c, totp, _, _ = enrolled(srv)
    c.post("sign-out")
    r = c.sign_in()
    assert r.json()["twoFactorRedirect"] is True
    names = [h.split("=", 1)[0] for h in r.raw.headers.getlist("set-cookie") if "=;" not in h and "Max-Age=0" not in h]
    assert not any("session_token" in n or "session_data" in n for n in names), names
    assert c.get_session().json() is None
    r = c.post("two-factor/verify-totp", {"code": totp.now()})
    assert r.status_code == 200 and c.session()["user"]["twoFactorEnabled"] is True


def test_bearer_clients_get_the_challenge_and_then_a_token(server, tmp_path):
    for name in ("bearer", "two-factor"):
        shutil.copy(built_library(name), tmp_path / f"{name}.so")
    srv = server({"pluginsDir": str(tmp_path)})
    c, totp, _, _ = enrolled(srv)
    mobile = srv.client()
    r = mobile.post("sign-in/email", {"email": c.email, "password": c.password})
    assert r.json()["twoFactorRedirect"] is True and "set-auth-token" not in r.headers
    r = mobile.post("two-factor/verify-totp", {"code": totp.now()})
    assert r.status_code == 200 and r.headers.get("set-auth-token"), r.text
    bearer = srv.client(origin=None)
    me = bearer.get("get-session", cookies=False, headers={"Authorization": f"Bearer {r.headers['set-auth-token']}"})
    assert me.json()["user"]["email"] == c.email


def test_social_sign_in_is_intercepted_too(server, plugins_dir, idp):
    srv = server({**social_config(idp), "pluginsDir": str(plugins_dir)})
    sub, email = new_subject(idp)
    c = srv.client()
    assert run_flow(idp, c, sub, callbackURL="/dashboard").status_code == 302
    # A social-only user has no password to give.
    r = c.post("two-factor/enable", {})
    assert r.status_code == 200, r.text
    totp = authenticator(r)
    assert c.post("two-factor/verify-totp", {"code": totp.now()}).status_code == 200
    c.post("sign-out")

    r = run_flow(idp, c, sub, callbackURL="/dashboard")
    assert r.status_code == 302 and r.headers["Location"] == "/dashboard?twoFactorRedirect=true"
    assert c.session_cookie is None and srv.cookie_name("two_factor") in c.cookies
    assert c.get_session().json() is None
    assert srv.query('SELECT COUNT(*) AS n FROM "session" s JOIN "user" u ON u.id = s."userId" WHERE u.email = ?', email)[0]["n"] == 0
    r = c.post("two-factor/verify-totp", {"code": totp.at(time.time() + 30)})
    assert r.status_code == 200, r.text
    assert c.session()["user"]["email"] == email


def test_two_factor_routes_are_rate_limited_three_per_ten_seconds(server, plugins_dir):
    srv = two_factor_server(server, plugins_dir, rateLimit={"enabled": True})
    c = srv.client()
    statuses = [c.post("two-factor/verify-totp", {"code": "000000"}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert int(c.last.headers["X-Retry-After"]) > 0


def test_bad_settings_keep_the_plugin_out(server, plugins_dir):
    srv = two_factor_server(server, plugins_dir, {"totpOptions": {"digits": 5}})
    assert "plugins.two-factor.totpOptions.digits must be a whole number from 6 to 8" in srv.logs()
    assert srv.client().post("two-factor/enable").status_code == 404


def test_eight_digit_codes_and_a_custom_issuer(server, plugins_dir):
    srv = two_factor_server(server, plugins_dir, {"issuer": "Acme", "totpOptions": {"digits": 8}})
    c = srv.client().new_user()
    r = c.post("two-factor/enable", {"password": c.password})
    totp = authenticator(r)
    assert totp.digits == 8 and totp.issuer == "Acme"
    assert c.post("two-factor/verify-totp", {"code": totp.now()}).status_code == 200
