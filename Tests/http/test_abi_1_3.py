"""ABI 1.3 (issue 17's host needs), through a C plugin built from the header alone
(Tests/http/fixtures/answers_plugin.c): a text answer with its own content type (SAML metadata),
and a route exempt from the origin check (an IdP's cross-site form POST to an assertion consumer
service). A plugin built for 1.2 gets neither: its text is a JSON string, its route is guarded."""
from pathlib import Path

import pytest
import requests

from conftest import assert_error, build_c_plugin

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "answers_plugin.c"
EVIL = "https://evil.example"


def build(directory: Path, minor: int | None = None) -> Path:
    return build_c_plugin(FIXTURE, directory / "answers.so", minor)


@pytest.fixture(scope="module")
def current(server_factory, tmp_path_factory):
    return server_factory({"pluginsDir": str(build(tmp_path_factory.mktemp("abi13")))}, name="abi13")


@pytest.fixture(scope="module")
def older(server_factory, tmp_path_factory):
    return server_factory({"pluginsDir": str(build(tmp_path_factory.mktemp("abi12"), minor=2))}, name="abi12")


def test_a_text_answer_keeps_its_content_type(current):
    r = requests.get(current.api + "/answers/xml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/samlmetadata+xml")
    assert r.text == '<md:EntityDescriptor entityID="urn:sp"/>'


def test_a_content_type_that_would_split_the_response_is_a_plugin_error(current):
    r = requests.get(current.api + "/answers/bad-type")
    assert_error(r, 500)
    assert "X-Injected" not in r.headers and "x-injected" not in {k.lower() for k in r.headers}


def test_an_exempt_route_takes_a_cross_site_form_post_with_cookies(current):
    c = current.client().new_user()
    form = {"SAMLResponse": "PHNhbWxwOlJlc3BvbnNlLz4=", "RelayState": "abc"}
    headers = {"Origin": EVIL, "Cookie": c.cookie_header(), "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    exempt = requests.post(current.api + "/answers/any-origin", data=form, headers=headers)
    assert exempt.status_code == 200 and exempt.json() == {"ok": True}
    assert requests.post(current.api + "/answers/any-origin", data=form,
                         headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}).status_code == 200
    assert_error(requests.post(current.api + "/answers/guarded", data=form, headers=headers), 403, "INVALID_ORIGIN")
    assert_error(requests.post(current.api + "/answers/guarded", data=form, headers={"Cookie": c.cookie_header()}), 403,
                 "MISSING_OR_NULL_ORIGIN")


def test_an_exempt_route_still_checks_callback_urls(current):
    r = requests.post(current.api + "/answers/any-origin", json={"callbackURL": EVIL + "/steal"}, headers={"Origin": EVIL})
    assert_error(r, 403, "INVALID_CALLBACK_URL")


def test_a_plugin_built_for_1_2_gets_json_and_the_origin_check(older):
    r = requests.get(older.api + "/answers/xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json() == '<md:EntityDescriptor entityID="urn:sp"/>'
    c = older.client().new_user()
    r = requests.post(older.api + "/answers/any-origin", data={"a": "b"}, headers={"Origin": EVIL, "Cookie": c.cookie_header()})
    assert_error(r, 403)


def test_an_invalid_origin_check_flag_refuses_the_plugin(server, tmp_path):
    source = FIXTURE.read_text().replace('\\"originCheck\\":false', '\\"originCheck\\":\\"no\\"')
    broken = tmp_path / "broken.c"
    broken.write_text(source)
    plugins = build_c_plugin(broken, tmp_path / "plugins.d" / "answers.so")
    srv = server({"pluginsDir": str(plugins)})
    assert "endpoints[2].originCheck must be true or false" in srv.logs()
    assert requests.get(srv.api + "/answers/xml").status_code == 404
