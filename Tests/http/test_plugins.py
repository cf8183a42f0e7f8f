"""Plugin loading (issue: PluginAPI v1): a good C plugin serves routes and hooks; every kind of bad
plugin is skipped with one clear log line while the host keeps serving."""
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import HOST_ABI, wait_until
from test_bearer import built_library

REPO = Path(__file__).resolve().parents[2]
HEADER_DIR = REPO / "PluginAPI" / "include"
HELLO_C = REPO / "Plugins" / "Examples" / "hello-c" / "hello.c"

# A parameterised plugin: each load-matrix case changes one thing.
TEMPLATE = r"""
#include <stdlib.h>
#include <string.h>
#include "gatehouse_plugin.h"
static gh_buf own(const char *t) { size_t n = strlen(t); gh_buf b = {malloc(n), n}; memcpy(b.ptr, t, n); return b; }
static void fr(gh_buf b) { free(b.ptr); }
static gh_status init(const gh_host_api *h, gh_host *hd, gh_bytes c, void **s, gh_buf *e) {
    (void)h; (void)hd; (void)c; *s = NULL;
    if (INIT_FAILS) { *e = own("database of widgets unreachable"); return GH_ERROR; }
    return GH_OK;
}
static void deinit(void *s) { (void)s; }
static gh_status handle(void *s, gh_callback_kind k, uint32_t i, gh_bytes env, gh_buf *out) {
    (void)s; (void)k; (void)i; (void)env;
    *out = own("{\"status\":200,\"body\":{\"plugin\":\"" ID "\",\"version\":\"" VERSION "\"}}"); return GH_OK;
}
static const gh_plugin_descriptor d = {
    .struct_size = sizeof(gh_plugin_descriptor), .abi_major = ABI_MAJOR, .abi_minor = 0,
    .id = ID, .version = "0.1.0", .name = ID, .swift_toolchain = NULL,
    .manifest_json = "{\"endpoints\":[{\"method\":\"GET\",\"path\":\"" ROUTE "\"}],\"requires\":" REQUIRES "}",
    .init = init, .deinit = deinit, .handle = handle, .free_buf = fr,
};
__attribute__((visibility("default"))) const gh_plugin_descriptor *SYMBOL(void) { return &d; }
"""


def build_plugin(directory: Path, filename: str, *, id="widget", route="/widget", abi_major="GATEHOUSE_ABI_MAJOR",
                 symbol="gatehouse_plugin_entry_v1", init_fails=0, requires="[]", version="1") -> Path:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    source = directory / (filename + ".c")
    source.write_text(TEMPLATE)
    out = directory / filename
    defines = [f'-DID="{id}"', f'-DROUTE="{route}"', f'-DVERSION="{version}"', f"-DABI_MAJOR={abi_major}", f"-DSYMBOL={symbol}",
               f"-DINIT_FAILS={init_fails}", '-DREQUIRES="' + requires.replace('"', '\\"') + '"']
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), *defines, "-o", str(out), str(source)],
                   check=True)
    source.unlink()
    return out


def build_hello(directory: Path) -> Path:
    out = directory / "hello-c.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), "-o", str(out), str(HELLO_C)], check=True)
    return out


@pytest.fixture
def plugins_dir(tmp_path) -> Path:
    d = tmp_path / "plugins.d"
    d.mkdir()
    return d


def start_with(server, plugins_dir: Path, extra: dict | None = None):
    overrides = {"pluginsDir": str(plugins_dir)}
    overrides.update(extra or {})
    return server(overrides)


def assert_still_serving(srv):
    c = srv.client()
    assert c.get("ok").json() == {"ok": True}
    assert c.sign_up().status_code == 200


def test_c_example_plugin_serves_its_route_and_hook(server, plugins_dir):
    build_hello(plugins_dir)
    srv = start_with(server, plugins_dir, {"plugins": {"hello-c": {"greeting": "bonjour"}}})
    c = srv.client()
    r = c.get("hello-c")
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "hello from C", "settings": {"greeting": "bonjour"}}
    r = c.post("sign-in/email", {"email": "nobody@example.com", "password": "wrong-password"})
    assert r.status_code == 401
    assert r.headers.get("x-hello-c") == "seen"       # the after-hook ran on an error answer too
    assert "hello-c ready" in srv.logs()             # host->log from init
    spec = c.get("openapi.json").json()
    assert "/api/auth/hello-c" in spec["paths"]


def test_disabled_plugin_is_not_loaded(server, plugins_dir):
    build_hello(plugins_dir)
    srv = start_with(server, plugins_dir, {"plugins": {"hello-c": {"enabled": False}}})
    assert srv.client().get("hello-c").status_code == 404
    assert "plugin disabled by configuration" in srv.logs()


@pytest.mark.parametrize("case, reason", [
    ("wrong_abi", f"built for plugin ABI 2.0; this host speaks ABI {HOST_ABI}"),
    ("missing_symbol", "entry symbol gatehouse_plugin_entry_v1 is missing"),
    ("not_elf", "not an ELF shared object"),
    ("init_error", "init failed: database of widgets unreachable"),
    ("duplicate_id", "duplicate plugin id"),
    ("route_conflict", "route GET /ok is already registered"),
    ("missing_required", "requires plugin \\\"billing\\\", which is not loaded"),
])
def test_bad_plugins_are_skipped_with_a_clear_reason(server, plugins_dir, case, reason):
    build_plugin(plugins_dir, "a-good.so", id="good", route="/good")
    if case == "wrong_abi":
        build_plugin(plugins_dir, "bad.so", abi_major="2")
    elif case == "missing_symbol":
        build_plugin(plugins_dir, "bad.so", symbol="some_other_entry")
    elif case == "not_elf":
        (plugins_dir / "bad.so").write_text("#!/bin/sh\necho not a library\n")
    elif case == "init_error":
        build_plugin(plugins_dir, "bad.so", init_fails=1)
    elif case == "duplicate_id":
        build_plugin(plugins_dir, "bad.so", id="good", route="/other")
    elif case == "route_conflict":
        build_plugin(plugins_dir, "bad.so", route="/ok")
    elif case == "missing_required":
        build_plugin(plugins_dir, "bad.so", requires='["billing"]')
    srv = start_with(server, plugins_dir)
    logs = srv.logs()
    skipped = [line for line in logs.splitlines() if "plugin skipped" in line]
    assert len(skipped) == 1, logs
    assert reason in skipped[0], skipped[0]
    assert "bad.so" in skipped[0]
    c = srv.client()
    assert c.get("good").json() == {"plugin": "good", "version": "1"}     # the good plugin still loads
    assert c.get("widget").status_code == 404
    assert_still_serving(srv)


def test_plugins_check_command(plugins_dir):
    from conftest import gatehouse_bin
    good = build_hello(plugins_dir)
    r = subprocess.run([str(gatehouse_bin()), "plugins", "check", str(good)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert f"hello-c 1.0.0 (ABI {HOST_ABI}): OK" in r.stdout and "GET /hello-c" in r.stdout
    bad = build_plugin(plugins_dir, "bad.so", abi_major="2")
    r = subprocess.run([str(gatehouse_bin()), "plugins", "check", str(bad)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "built for plugin ABI 2.0" in r.stderr


NONBLOCKING = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gatehouse_plugin.h"
typedef struct { const gh_host_api *api; gh_host *h; } st;
static void fr(gh_buf b) { free(b.ptr); }
static gh_status init(const gh_host_api *api, gh_host *h, gh_bytes c, void **s, gh_buf *e) {
    (void)c; (void)e; st *x = malloc(sizeof *x); x->api = api; x->h = h; *s = x; return GH_OK;
}
static void deinit(void *s) { free(s); }
static gh_status handle(void *s, gh_callback_kind k, uint32_t i, gh_bytes env, gh_buf *out) {
    (void)k; (void)env; st *x = s;
    gh_buf answer = {0}, error = {0};
    const char *op = "users.find", *req = "{\"email\":\"nobody@example.com\"}";
    gh_status status = x->api->call(x->h, (gh_bytes){(const uint8_t *)op, strlen(op)},
                                    (gh_bytes){(const uint8_t *)req, strlen(req)}, &answer, &error);
    x->api->free_buf(answer); x->api->free_buf(error);
    char *text = malloc(96);
    int n = snprintf(text, 96, "{\"status\":200,\"body\":{\"index\":%u,\"hostStatus\":%d}}", i, (int)status);
    *out = (gh_buf){(uint8_t *)text, (size_t)n};
    return GH_OK;
}
static const gh_plugin_descriptor d = {
    .struct_size = sizeof(gh_plugin_descriptor), .abi_major = GATEHOUSE_ABI_MAJOR, .abi_minor = MINOR,
    .id = "styles", .version = "1", .name = "styles",
    .manifest_json = "{\"endpoints\":[{\"method\":\"GET\",\"path\":\"/styles/inline\",\"blocking\":false,\"envelope\":[]},"
                     "{\"method\":\"GET\",\"path\":\"/styles/worker\"}]}",
    .init = init, .deinit = deinit, .handle = handle, .free_buf = fr,
};
__attribute__((visibility("default"))) const gh_plugin_descriptor *gatehouse_plugin_entry_v1(void) { return &d; }
"""


@pytest.mark.parametrize("minor,inline_status", [("GATEHOUSE_ABI_MINOR", 4), ("1", 0)], ids=["abi-current", "abi-1.1"])
def test_non_blocking_callbacks_may_not_make_blocking_host_calls(server, plugins_dir, minor, inline_status):
    """A plugin built for 1.2 gets GH_DENIED on the request's thread; for one built before 1.2 the
    host ignores "blocking": false (its kv calls never blocked then), so the call is served."""
    source = plugins_dir.parent / "styles.c"
    source.write_text(NONBLOCKING)
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), f"-DMINOR={minor}",
                    "-o", str(plugins_dir / "styles.so"), str(source)], check=True)
    srv = start_with(server, plugins_dir)
    c = srv.client()
    assert c.get("styles/worker").json() == {"index": 1, "hostStatus": 0}     # GH_OK on a worker thread
    assert c.get("styles/inline").json() == {"index": 0, "hostStatus": inline_status}


def test_plugins_list_command(plugins_dir, tmp_path):
    from conftest import PG_ADMIN_URL, gatehouse_bin, on_postgres, pg_database_exists
    build_hello(plugins_dir)
    build_plugin(plugins_dir, "z-bad.so", abi_major="2")
    config = tmp_path / "list.yaml"
    never_created = f"gh_{uuid.uuid4().hex}"  # PostgreSQL pass: a database that does not exist and must stay so
    database = f"{PG_ADMIN_URL}/{never_created}" if on_postgres() else f"sqlite:{tmp_path}/list.db"
    config.write_text(f"pluginsDir: {plugins_dir}\ndatabase: {json.dumps(database)}\n")
    r = subprocess.run([str(gatehouse_bin()), "plugins", "list", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split("\t")[:4] == ["hello-c", "1.0.0", f"ABI {HOST_ABI}", "loaded"]
    assert "GET /hello-c" in lines[1]
    assert any("skipped: built for plugin ABI 2.0" in line for line in lines)
    # listing never touches the database
    assert not (pg_database_exists(never_created) if on_postgres() else (tmp_path / "list.db").exists())


# A C plugin that subscribes to every event and appends each envelope it receives to a file.
EVENT_LISTENER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gatehouse_plugin.h"
static void fr(gh_buf b) { free(b.ptr); }
static gh_status init(const gh_host_api *h, gh_host *hd, gh_bytes c, void **s, gh_buf *e) {
    (void)h; (void)hd; (void)c; (void)e; *s = NULL; return GH_OK;
}
static void deinit(void *s) { (void)s; }
static gh_status handle(void *s, gh_callback_kind k, uint32_t i, gh_bytes env, gh_buf *out) {
    (void)s; (void)i; (void)out;
    FILE *f = fopen(LOG, "a");
    if (!f) return GH_ERROR;
    fprintf(f, "%d ", (int)k); fwrite(env.ptr, 1, env.len, f); fputc('\n', f); fclose(f);
    return GH_OK;
}
static const gh_plugin_descriptor d = {
    .struct_size = sizeof(gh_plugin_descriptor), .abi_major = GATEHOUSE_ABI_MAJOR, .abi_minor = MINOR,
    .id = ID, .version = "0.1.0", .name = ID, .swift_toolchain = NULL,
    .manifest_json = "{\"events\":[{\"name\":\"test.*\"}]}",
    .init = init, .deinit = deinit, .handle = handle, .free_buf = fr,
};
__attribute__((visibility("default"))) const gh_plugin_descriptor *gatehouse_plugin_entry_v1(void) { return &d; }
"""


def test_events_reach_plugins_built_for_abi_1_1_only(server, plugins_dir, tmp_path):
    """ABI 1.1: events.emit from one plugin reaches a C plugin that subscribed; a plugin built for
    1.0 with the same manifest still loads but receives nothing."""
    source = tmp_path / "listener.c"
    source.write_text(EVENT_LISTENER)
    logs = {}
    for name, minor in [("listener-new", 1), ("listener-old", 0)]:
        logs[name] = tmp_path / f"{name}.log"
        subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), f'-DID="{name}"', f"-DMINOR={minor}",
                        f'-DLOG="{logs[name]}"', "-o", str(plugins_dir / f"{name}.so"), str(source)], check=True)
    shutil.copy(built_library("host-probe"), plugins_dir / "host-probe.so")
    srv = start_with(server, plugins_dir)
    c = srv.client()
    r = c.post("host-probe", {"op": "events.emit", "request": {"name": "test.ping", "payload": {"n": 1}}})
    assert r.json() == {"ok": True, "answer": {"status": True, "subscribers": 1}}, r.text
    assert c.post("host-probe", {"op": "events.emit", "request": {"name": "other.ping"}}).json()["answer"]["subscribers"] == 0
    assert wait_until(lambda: logs["listener-new"].exists())
    line = logs["listener-new"].read_text().strip()
    assert line == '7 {"name":"test.ping","payload":{"n":1},"source":"host-probe"}', line
    assert not logs["listener-old"].exists()
