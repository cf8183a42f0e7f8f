"""Services between plugins (issue 15, ABI 1.2): `services.call` from C fixture plugins built from the
header alone (Tests/http/fixtures/service_plugin.c) — answers passed through unchanged, `uses`
(required, optional, undeclared), unknown services, refusals, failures counted in /metrics, nesting
without exhausting the worker pool, the caller's generation during a reload, manifest errors — and
the organization plugin's services called by a C plugin."""
import json
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

from conftest import unique_email, wait_until
from test_bearer import built_library

REPO = Path(__file__).resolve().parents[2]
HEADER_DIR = REPO / "PluginAPI" / "include"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "service_plugin.c"

# gh_status values
OK, ERROR, NOT_FOUND, INVALID, DENIED = 0, 1, 2, 3, 4


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(directory: Path, plugin_id: str, *, services=(), uses=(), minor: int | None = None,
          raw_services: str | None = None, raw_uses: str | None = None) -> Path:
    """The fixture as plugin `plugin_id`, its endpoint at POST /<id>/call."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    out = directory / f"{plugin_id}.so"
    defines = [f"-DID={c_string(plugin_id)}", f"-DROUTE={c_string('/' + plugin_id + '/call')}",
               f"-DSERVICES={c_string(raw_services if raw_services is not None else json.dumps(list(services)))}",
               f"-DUSES={c_string(raw_uses if raw_uses is not None else json.dumps(list(uses)))}"]
    if minor is not None:
        defines.append(f"-DMINOR={minor}")
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), *defines, "-o", str(out), str(FIXTURE)],
                   check=True)
    return out


def call(srv, caller: str, plugin: str, service: str, request=None, **extra) -> dict:
    """What `caller` got from `services.call {plugin, service, request}`: {status, answer, error, degraded}."""
    r = srv.client().post(f"{caller}/call", {"plugin": plugin, "service": service, "request": request if request is not None else {}, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def metric(srv, plugin: str, service: str, result: str) -> float:
    text = requests.get(srv.url + "/metrics").text
    for line in text.splitlines():
        if line.startswith("gatehouse_plugin_service_calls_total{") and all(
                f'{key}="{value}"' in line for key, value in (("plugin", plugin), ("service", service), ("result", result))):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


PROVIDER_SERVICES = ["echo", "refuse", "fail", "garbage", "relay", "loop"]


@pytest.fixture(scope="module")
def srv(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("service-plugins")
    build(plugins, "provider", services=PROVIDER_SERVICES, uses=[{"plugin": "helper"}, {"plugin": "caller", "optional": True}])
    build(plugins, "caller", services=["loop"],
          uses=[{"plugin": "provider"}, {"plugin": "absent", "optional": True}, {"plugin": "legacy"}])
    build(plugins, "helper", services=["echo"])
    build(plugins, "legacy", services=["echo"], minor=1)       # built for ABI 1.1: receives no service calls
    build(plugins, "stranger", services=["echo"])              # not in the caller's uses
    return server_factory({"pluginsDir": str(plugins), "plugins": {"provider": {"tag": "provider settings"}}}, name="services")


def test_a_service_call_returns_the_providers_answer_unchanged(srv):
    before = metric(srv, "provider", "echo", "ok")
    got = call(srv, "caller", "provider", "echo", {"x": [1, "two"], "nested": {"b": None}})
    assert got["status"] == OK and got["error"] is None, got
    answer = got["answer"]
    assert list(answer) == ["z", "got", "config", "a"], "members in the provider's order"
    assert answer["got"] == {"service": "echo", "request": {"x": [1, "two"], "nested": {"b": None}}, "caller": "caller"}
    assert answer["config"] == {"tag": "provider settings"} and answer["a"] == [True, None]
    assert metric(srv, "provider", "echo", "ok") == before + 1
    # `request` defaults to {}.
    r = srv.client().post("caller/call", {"plugin": "provider", "service": "echo"})
    assert r.json()["answer"]["got"]["request"] == {}


def test_a_missing_optional_provider_is_not_loaded_and_the_caller_degrades(srv):
    got = call(srv, "caller", "absent", "anything")
    assert got["status"] == NOT_FOUND and got["error"]["code"] == "PLUGIN_NOT_LOADED", got
    assert got["degraded"] is True


def test_a_plugin_not_in_uses_cannot_be_called(srv):
    got = call(srv, "caller", "stranger", "echo")
    assert got["status"] == DENIED and got["error"]["code"] == "PLUGIN_NOT_DECLARED", got
    assert "stranger" in got["error"]["message"]
    # A plugin the provider uses is not the caller's to call.
    assert call(srv, "caller", "helper", "echo")["error"]["code"] == "PLUGIN_NOT_DECLARED"


def test_an_unknown_service_is_not_found(srv):
    got = call(srv, "caller", "provider", "nope")
    assert got["status"] == NOT_FOUND and got["error"]["code"] == "UNKNOWN_SERVICE", got
    # A provider built for ABI 1.1 offers no services, whatever its manifest says.
    got = call(srv, "caller", "legacy", "echo")
    assert got["status"] == NOT_FOUND and got["error"]["code"] == "UNKNOWN_SERVICE", got


def test_missing_fields_are_invalid(srv):
    r = srv.client().post("caller/call", {"service": "echo"})
    assert r.json()["status"] == INVALID and r.json()["error"]["code"] == "MISSING_FIELD"


def test_a_refusal_reaches_the_caller_with_the_providers_code(srv):
    before = metric(srv, "provider", "refuse", "ok")
    got = call(srv, "caller", "provider", "refuse")
    assert got["status"] == DENIED, got                   # the refusal's 403
    assert got["error"] == {"code": "NOT_YOURS", "message": "Not yours", "status": 403}
    assert got["answer"] is None
    assert metric(srv, "provider", "refuse", "ok") == before + 1, "a refusal is an answer"


@pytest.mark.parametrize("service", ["fail", "garbage"])
def test_a_failing_provider_gives_service_failed_and_is_counted(srv, service):
    before = metric(srv, "provider", service, "failed")
    got = call(srv, "caller", "provider", service)
    assert got["status"] == ERROR and got["error"]["code"] == "SERVICE_FAILED", got
    assert metric(srv, "provider", service, "failed") == before + 1
    assert "plugin service failed" in srv.logs()
    # Nothing else is affected.
    assert call(srv, "caller", "provider", "echo")["status"] == OK


def test_nested_calls_under_load_never_exhaust_the_worker_pool(srv):
    """caller → provider.relay → helper.echo, 24 at once: each chain runs on its caller's worker
    thread, so a pool of 4 threads serves them all."""
    def one(i):
        return call(srv, "caller", "provider", "relay", {"plugin": "helper", "service": "echo", "request": {"n": i}})

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(one, range(24), timeout=60))
    for i, got in enumerate(results):
        assert got["status"] == OK, got
        assert got["answer"]["relayed"]["got"] == {"service": "echo", "request": {"n": i}, "caller": "provider"}


def test_a_cycle_of_calls_is_cut(srv):
    """caller.loop and provider.loop call each other: the host stops the chain at depth 8."""
    got = call(srv, "caller", "provider", "loop")
    assert got["error"]["code"] == "SERVICE_DEPTH_EXCEEDED", got
    assert call(srv, "caller", "provider", "echo")["status"] == OK


def test_a_missing_required_provider_skips_the_caller(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    build(plugins, "needy", uses=[{"plugin": "billing"}])
    build(plugins, "bare", uses=["provider-that-is-not-here"])          # a bare id is a required use
    srv = server({"pluginsDir": str(plugins)})
    assert srv.client().post("needy/call", {}).status_code == 404
    assert srv.client().post("bare/call", {}).status_code == 404
    logs = srv.logs()
    assert 'requires plugin \\"billing\\", which is not loaded' in logs
    assert 'requires plugin \\"provider-that-is-not-here\\", which is not loaded' in logs


def test_manifest_errors_skip_the_plugin_naming_the_key(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    build(plugins, "twice", services=["echo", "refuse", "echo"])
    build(plugins, "selfish", uses=[{"plugin": "selfish"}])
    build(plugins, "shapeless", raw_uses='{"plugin": "provider"}')
    build(plugins, "nameless", raw_uses='[{"optional": true}]')
    build(plugins, "unsure", raw_uses='[{"plugin": "provider", "optional": "yes"}]')
    build(plugins, "numbered", raw_services='["echo", 7]')
    build(plugins, "fine", services=["echo"])
    srv = server({"pluginsDir": str(plugins)})
    expected = {
        "twice": 'services[2] \\"echo\\" is declared twice',
        "selfish": "uses[0] names the plugin itself",
        "shapeless": "uses must be an array",
        "nameless": "uses[0].plugin must be a plugin id",
        "unsure": "uses[0].optional must be true or false",
        "numbered": "services[1] must be a non-empty string",
    }
    skipped = [json.loads(line) for line in srv.logs().splitlines() if '"plugin skipped"' in line]
    for plugin, message in expected.items():
        assert srv.client().post(f"{plugin}/call", {}).status_code == 404
        lines = [line for line in skipped if line.get("plugin") == plugin]
        assert lines and "invalid manifest" in lines[0]["reason"], (plugin, skipped)
        assert message.replace('\\"', '"') in lines[0]["reason"], (plugin, lines[0]["reason"])
    assert srv.client().post("fine/call", {"plugin": "x", "service": "y"}).json()["error"]["code"] == "PLUGIN_NOT_DECLARED"


def test_a_call_reaches_the_provider_of_the_callers_generation(server, tmp_path):
    """A request that began before a reload calls the old provider; one after it, the new one."""
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    build(plugins, "provider", services=["echo"])
    build(plugins, "caller", uses=[{"plugin": "provider"}])
    srv = server({"pluginsDir": str(plugins), "plugins": {"provider": {"generation": "first"}}})
    assert call(srv, "caller", "provider", "echo")["answer"]["config"] == {"generation": "first"}

    slow = {}
    thread = threading.Thread(target=lambda: slow.update(call(srv, "caller", "provider", "echo", sleepMs=2500)))
    thread.start()
    time.sleep(0.5)                                        # the slow request is on the first generation
    reloads = srv.logs().count('"msg":"reloaded"')
    config = yaml.safe_load(srv.config_path.read_text())
    config["plugins"]["provider"] = {"generation": "second"}
    srv.config_path.write_text(yaml.safe_dump(config))
    wait_until(lambda: srv.logs().count('"msg":"reloaded"') > reloads, timeout=10)
    assert call(srv, "caller", "provider", "echo")["answer"]["config"] == {"generation": "second"}
    thread.join(timeout=30)
    assert slow["status"] == OK and slow["answer"]["config"] == {"generation": "first"}, slow


# ------------------------------------------------------------------ the organization plugin's services

ORG_SETTINGS = {"membershipLimit": 3}


@pytest.fixture(scope="module")
def org_srv(server_factory, tmp_path_factory):
    plugins = tmp_path_factory.mktemp("organization-services")
    shutil.copy(built_library("organization"), plugins / "organization.so")
    shutil.copy(built_library("host-probe"), plugins / "host-probe.so")   # records the events it receives
    build(plugins, "org-client", uses=[{"plugin": "organization"}])
    return server_factory({"pluginsDir": str(plugins), "plugins": {"organization": ORG_SETTINGS}}, name="org-services")


def org_call(srv, service, request):
    return call(srv, "org-client", "organization", service, request)


def refused(got, code, status):
    assert got["answer"] is None and got["error"]["code"] == code and got["error"]["status"] == status, got
    return got


def new_org(srv):
    owner = srv.client().new_user()
    slug = "svc-" + unique_email().split("@")[0][-10:].lower()
    r = owner.post("organization/create", {"name": "Service Co", "slug": slug})
    assert r.status_code == 200, r.text
    return owner, r.json()


def user_id(client):
    return client.session()["user"]["id"]


def test_the_organization_services(org_srv):
    owner, org = new_org(org_srv)
    oid, owner_id = org["id"], user_id(owner)
    alice, bob, carol = (org_srv.client().new_user() for _ in range(3))

    assert org_call(org_srv, "memberCount", {"organizationId": oid}) == {"status": OK, "answer": {"count": 1}, "error": None, "degraded": False}

    # addMember: Better Auth's server API fields; the answer is the new member row.
    got = org_call(org_srv, "addMember", {"organizationId": oid, "userId": user_id(alice), "role": "admin"})
    assert got["status"] == OK, got
    member = got["answer"]
    assert member["organizationId"] == oid and member["userId"] == user_id(alice) and member["role"] == "admin" and member["id"]
    # Roles as a list, as Better Auth accepts them.
    got = org_call(org_srv, "addMember", {"organizationId": oid, "userId": user_id(bob), "role": ["member"]})
    assert got["status"] == OK and got["answer"]["role"] == "member", got
    # Refusals carry Better Auth's codes: duplicate member, unknown user, unknown organization, unknown role, the limit.
    refused(org_call(org_srv, "addMember", {"organizationId": oid, "userId": user_id(alice), "role": "member"}),
            "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION", 409)
    refused(org_call(org_srv, "addMember", {"organizationId": oid, "userId": "no-such-user", "role": "member"}), "USER_NOT_FOUND", 400)
    got = refused(org_call(org_srv, "addMember", {"organizationId": "no-such-org", "userId": user_id(carol), "role": "member"}),
                  "ORGANIZATION_NOT_FOUND", 404)
    assert got["status"] == NOT_FOUND
    refused(org_call(org_srv, "addMember", {"organizationId": oid, "userId": user_id(carol), "role": "emperor"}), "ROLE_NOT_FOUND", 404)
    refused(org_call(org_srv, "addMember", {"organizationId": oid, "userId": user_id(carol), "role": "member"}),
            "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED", 400)
    got = org_call(org_srv, "memberCount", {"organizationId": oid})
    assert got["answer"] == {"count": 3}

    # listMembers and getOrganization answer as Better Auth's listMembers / getFullOrganization.
    got = org_call(org_srv, "listMembers", {"organizationId": oid})["answer"]
    assert got["total"] == 3
    assert {m["user"]["email"]: m["role"] for m in got["members"]} == {owner.email: "owner", alice.email: "admin", bob.email: "member"}
    full = org_call(org_srv, "getOrganization", {"organizationId": oid})["answer"]
    assert full["id"] == oid and full["name"] == "Service Co" and full["slug"] == org["slug"]
    assert len(full["members"]) == 3 and full["invitations"] == []
    refused(org_call(org_srv, "getOrganization", {"organizationId": "no-such-org"}), "ORGANIZATION_NOT_FOUND", 404)
    refused(org_call(org_srv, "listMembers", {}), "VALIDATION_ERROR", 400)

    # The same rows through the routes.
    assert owner.get("organization/list-members", params={"organizationId": oid}).json()["total"] == 3

    # setMemberRole: the last owner cannot be demoted; an owner can be made and then step down.
    refused(org_call(org_srv, "setMemberRole", {"organizationId": oid, "userId": owner_id, "role": "member"}),
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", 400)
    refused(org_call(org_srv, "setMemberRole", {"organizationId": oid, "userId": user_id(carol), "role": "admin"}), "MEMBER_NOT_FOUND", 404)
    got = org_call(org_srv, "setMemberRole", {"organizationId": oid, "userId": user_id(alice), "role": "owner"})
    assert got["status"] == OK and got["answer"]["role"] == "owner" and got["answer"]["user"]["email"] == alice.email, got
    got = org_call(org_srv, "setMemberRole", {"organizationId": oid, "userId": owner_id, "role": "admin"})
    assert got["status"] == OK and got["answer"]["role"] == "admin", got

    # removeMember: never the last owner; otherwise answers {member}.
    refused(org_call(org_srv, "removeMember", {"organizationId": oid, "userId": user_id(alice)}),
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER", 400)
    got = org_call(org_srv, "removeMember", {"organizationId": oid, "userId": user_id(bob)})
    assert got["status"] == OK and got["answer"]["member"]["userId"] == user_id(bob), got
    refused(org_call(org_srv, "removeMember", {"organizationId": oid, "userId": user_id(bob)}), "MEMBER_NOT_FOUND", 404)
    assert org_call(org_srv, "memberCount", {"organizationId": oid})["answer"] == {"count": 2}
    # Room again under the limit.
    assert org_call(org_srv, "addMember", {"organizationId": oid, "userId": user_id(carol), "role": "member"})["status"] == OK


def test_organization_services_emit_the_routes_events(org_srv):
    owner, org = new_org(org_srv)
    dave = org_srv.client().new_user()
    dave_id = user_id(dave)
    org_call(org_srv, "addMember", {"organizationId": org["id"], "userId": dave_id, "role": "member"})
    org_call(org_srv, "setMemberRole", {"organizationId": org["id"], "userId": dave_id, "role": "admin"})
    org_call(org_srv, "removeMember", {"organizationId": org["id"], "userId": dave_id})

    def seen():
        received = org_srv.client().post("host-probe", {"op": "recordedEvents"}).json()["answer"]
        return [e["name"] for e in received if e["source"] == "organization" and e["payload"].get("organizationId") == org["id"]
                and (e["payload"].get("member") or {}).get("userId") == dave_id]

    wait_until(lambda: len(seen()) == 3)
    assert seen() == ["organization.member.added", "organization.member.updated", "organization.member.removed"]

