"""API fuzzing (issue 23): schemathesis against the server's own `{basePath}/openapi.json`.

The server runs with the README's default plugin set, every optional route on, and a signed-in
administrator (api_fuzz_session.py keeps the session alive through sign-out, revocations and
delete-user). Schemathesis generates requests from the document: its coverage phase (boundary
and malformed values of every parameter and body, missing and wrong sessions), then
property-based fuzzing, repeated until the time budget is spent; a fixed seed and no example
database. It fails on any 5xx and on any status the document does not list for the operation:
the document's `responses` are the route's real answers (OperationResponses, Endpoint.statuses,
the plugin manifest's `statuses`).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DEFAULT_PASSWORD, unique_email
from test_bearer import built_library

# The README's default set: what `scripts/build.sh` enables in plugins.d/ on a first build.
DEFAULT_PLUGINS = ["bearer", "jwt", "two-factor", "passkey", "siwe", "organization", "sso", "scim", "magic-link",
                   "email-otp", "one-time-token", "admin", "username", "audit-log"]
# Every optional route on, so the fuzzer reaches handlers rather than "not enabled" answers. Emails
# are logged (no SMTP sink to fill); the rate limiter is off (development), so the fuzzer reaches
# the handlers instead of a 429 after a few calls.
FUZZED_SERVER = {
    "user": {"deleteUser": {"enabled": True}, "changeEmail": {"enabled": True}},
    "plugins": {"organization": {"teams": {"enabled": True}, "dynamicAccessControl": {"enabled": True}}},
}
# content_type_conformance is left out: the document does not yet say which answers are not JSON
# (the /error page's HTML, SCIM's application/scim+json).
CHECKS = "not_a_server_error,status_code_conformance"
# Schemathesis' own bounds (examples per operation and round; the whole run, which fuzzing fills),
# so each pass of scripts/test.sh spends about two minutes here; the subprocess timeout only
# stops a hung run.
MAX_EXAMPLES = 25
MAX_SECONDS = 120


def test_schemathesis_finds_no_server_error_and_no_undocumented_status(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("default-plugins")
    for name in DEFAULT_PLUGINS:
        shutil.copy(built_library(name), plugins / f"{name}.so")
    srv = server_factory(FUZZED_SERVER | {"pluginsDir": str(plugins)}, name="api-fuzz", email=False)
    email = unique_email("fuzz")
    assert srv.client().sign_up(email=email).status_code == 200
    # An administrator reaches the admin routes' handlers, not only their 403.
    srv.execute('UPDATE "user" SET role = ? WHERE email = ?', "admin", email)

    env = {**os.environ,
           "SCHEMATHESIS_HOOKS": "api_fuzz_session",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
           "API_FUZZ_BASE_URL": srv.api, "API_FUZZ_ORIGIN": srv.origin, "API_FUZZ_EMAIL": email,
           "API_FUZZ_THROWAWAY_EMAIL": unique_email("fuzz-throwaway"),
           "API_FUZZ_PASSWORD": DEFAULT_PASSWORD, "API_FUZZ_COOKIE": srv.cookie_name()}
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{srv.api}/openapi.json",
               "--checks", CHECKS, "--phases", "coverage,fuzzing",
               "--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_SECONDS),
               "--seed", "23", "--generation-database", "none",
               "--request-timeout", "10", "--workers", "2",
               # Cookies carry the session, so every unsafe request needs a trusted Origin.
               "--header", f"Origin: {srv.origin}",
               "--no-color", "--suppress-health-check", "all", "--continue-on-failure",
               # A redirect is the answer under test, not a page to fetch.
               "--max-redirects", "0"]
    run = subprocess.run(command, env=env, cwd=str(srv.tmp), capture_output=True, text=True, timeout=MAX_SECONDS + 120)
    report = run.stdout[-30000:] + run.stderr[-5000:]
    assert run.returncode == 0, report
    assert srv.client().get("ok").json() == {"ok": True}, report  # still serving
