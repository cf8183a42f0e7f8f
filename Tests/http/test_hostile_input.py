"""Hostile request bodies against every route that takes one, with every bundled plugin loaded.

Regression for issue 13's denial of service: a JSON number beyond the 64-bit integer range used
to trap in a Double → Int64 conversion (`{"code":"123456","extra":{"n":1e19}}` on
`two-factor/verify-otp` ended the process). Every body here must get a 4xx (or a 2xx that keeps
the value) and the server must still answer `/ok` afterwards.
"""
import json
import shutil

import pytest

from conftest import unique_email
from test_bearer import built_library

BUNDLED = ["bearer", "jwt", "two-factor", "passkey", "siwe", "organization", "audit-log", "oauth-provider"]
# The oauth-provider needs its pages, and takes registrations so that route is exercised too.
SETTINGS = {"oauth-provider": {"loginPage": "http://127.0.0.1:9/login", "consentPage": "http://127.0.0.1:9/consent",
                               "allowDynamicClientRegistration": True}}

# Raw JSON texts, so the numbers reach the server exactly as written.
HOSTILE_BODIES = [
    '{"code":"123456","extra":{"n":1e19}}',
    '{"n":1e19,"email":"x@example.com","password":"xxxxxxxxxxxx","code":"123456","metadata":{"n":-1e19}}',
    '{"a":[326384347139262447616,-10000000000000000000],"id":1.7976931348623157e308}',
    '{"email":12,"password":[],"name":{"x":null},"token":true,"expiresIn":1e300,"limit":-1e19,"offset":9223372036854775808}',
    '{"d":[[[[[[[[[[{"n":9223372036854775808}]]]]]]]]]],"idToken":{"token":"x","expiresAt":1e300}}',
    '{"timeoutSeconds":1e19,"ttl":1e19,"period":-9223372036854775809,"digits":1e19,"chainId":1e19}',
]


@pytest.fixture(scope="module")
def everything(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("all-plugins")
    for name in BUNDLED:
        shutil.copy(built_library(name), plugins / f"{name}.so")
    return server_factory({"pluginsDir": str(plugins), "plugins": SETTINGS}, name="hostile")


def routes_with_bodies(srv):
    spec = srv.client().get("openapi.json").json()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete"):
                concrete = path.replace("{", "").replace("}", "")  # a path parameter becomes its own name
                found.append((method.upper(), concrete[len(srv.base_path):] if concrete.startswith(srv.base_path) else concrete.lstrip("/")))
    return found


def still_serving(srv):
    r = srv.client().get("ok")
    assert r.status_code == 200, f"server stopped answering: {r.status_code}"


def test_every_plugin_is_loaded(everything):
    paths = {path for _, path in routes_with_bodies(everything)}
    for expected in ["/two-factor/verify-otp", "/passkey/verify-registration", "/siwe/verify", "/organization/create",
                     "/oauth2/token", "/oauth2/register", "/oauth2/consent"]:
        assert expected in paths, sorted(paths)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_oversized_numbers_never_stop_the_server(everything, signed_in):
    routes = routes_with_bodies(everything)
    assert len(routes) > 40
    c = everything.client()
    if signed_in:
        c.new_user()
    failures = []
    for method, path in routes:
        for body in HOSTILE_BODIES:
            if signed_in and c.get_session().json() is None:
                c.sign_in()  # sign-out, revoke-sessions and friends ended the last one
            r = c.request(method, path.lstrip("/"), data=body, headers={"content-type": "application/json"})
            if r.status_code >= 500:
                failures.append((method, path, body, r.status_code, r.text[:200]))
            elif r.status_code >= 400:
                answer = r.json() if r.content else {}
                assert isinstance(answer, dict), (path, r.text)
        still_serving(everything)
    assert failures == []
    assert everything.proc.poll() is None


def test_verify_otp_with_a_huge_number_is_a_client_error(everything):
    c = everything.client(origin=None)
    r = c.post("two-factor/verify-otp", data='{"code":"123456","extra":{"n":1e19}}', headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    still_serving(everything)


def test_huge_numbers_in_organization_metadata_keep_their_value(everything):
    c = everything.client().new_user()
    slug = unique_email("org").split("@")[0]
    body = '{"name":"Big","slug":"%s","metadata":{"n":1e19,"m":[326384347139262447616,-10000000000000000000]}}' % slug
    r = c.post("organization/create", data=body, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    metadata = r.json()["metadata"]
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    assert metadata["n"] == 1e19
    assert [float(x) for x in metadata["m"]] == [326384347139262447616.0, -1e19]
    full = c.get("organization/get-full-organization", params={"organizationSlug": slug})
    assert full.status_code == 200, full.text
    still_serving(everything)


def test_huge_numbers_in_a_crafted_cookie_cache_are_refused(server):
    """The session_data cookie is client input too: an expiresAt past Int64 must not trap."""
    import base64
    srv = server({"session": {"cookieCache": {"enabled": True}}})
    c = srv.client().new_user()
    forged = base64.urlsafe_b64encode(json.dumps({"session": {"session": {}, "user": {}, "version": "1"},
                                                  "expiresAt": 1e300, "signature": "x"}).encode()).decode().rstrip("=")
    c.cookies[srv.cookie_name("session_data")] = forged
    r = c.get_session()
    assert r.status_code == 200 and r.json()["user"]["email"] == c.email
    still_serving(srv)
