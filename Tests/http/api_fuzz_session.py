"""Schemathesis hooks for test_api_fuzz.py: every generated request carries a live session.

Loaded by `SCHEMATHESIS_HOOKS=api_fuzz_session`. The routes that end sessions or the user
(sign-out, revoke-sessions, delete-user) get a session of a second user, signed in afresh at most
once a second, so the first user's session, which every other route gets, lives on (schemathesis
still signs it in again after a 401). A deleted user is signed up again. The server and the users
come from the environment: API_FUZZ_BASE_URL, API_FUZZ_ORIGIN, API_FUZZ_EMAIL,
API_FUZZ_THROWAWAY_EMAIL, API_FUZZ_PASSWORD, API_FUZZ_COOKIE.
"""
import os

import requests
import schemathesis

SESSION_ENDING = r"/(sign-out|revoke-sessions|delete-user)$"


def signed_in(email: str) -> str:
    """The session cookie's value for `email`, signed up first if the fuzzer deleted the user."""
    credentials = {"email": email, "password": os.environ["API_FUZZ_PASSWORD"]}
    r = post("sign-in/email", credentials)
    if r.status_code == 401:
        r = post("sign-up/email", {**credentials, "name": "Fuzz"})
    token = r.cookies.get(os.environ["API_FUZZ_COOKIE"])
    if r.status_code != 200 or not token:
        raise RuntimeError(f"sign-in of {email} for the fuzzer failed: {r.status_code} {r.text[:200]}")
    return token


def post(path: str, body: dict) -> requests.Response:
    return requests.post(f"{os.environ['API_FUZZ_BASE_URL']}/{path}", json=body, timeout=10,
                         headers={"Origin": os.environ["API_FUZZ_ORIGIN"]})


class SessionCookie:
    def set(self, case, data, ctx):
        case.cookies = {**(case.cookies or {}), os.environ["API_FUZZ_COOKIE"]: data}


@schemathesis.auth(refresh_interval=600).skip_for(path_regex=SESSION_ENDING)
class SignedInUser(SessionCookie):
    def get(self, case, ctx):
        return signed_in(os.environ["API_FUZZ_EMAIL"])


@schemathesis.auth(refresh_interval=1).apply_to(path_regex=SESSION_ENDING)
class ThrowawayUser(SessionCookie):
    def get(self, case, ctx):
        return signed_in(os.environ["API_FUZZ_THROWAWAY_EMAIL"])
