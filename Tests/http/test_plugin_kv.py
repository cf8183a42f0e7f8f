"""The plugin key-value store (ABI 1.2): in the database, kept across restarts, with expiry, and
atomic across processes; plugins built for ABI 1.1 keep calling it from callbacks they declared
non-blocking, while a 1.2 plugin is refused there (GH_DENIED)."""
import subprocess
import threading
import time

import pytest

from conftest import GatehouseServer, _LIVE_SERVERS
from test_plugins import HEADER_DIR

# GET /count adds 1 (no expiry), /count-expiring adds 1 to a key living 1 s, /count-fast is
# declared non-blocking; each answers {"count": n, "status": gh_status of kv_increment}.
COUNTER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gatehouse_plugin.h"
typedef struct { const gh_host_api *host; gh_host *handle; } state_t;
static gh_buf own(const char *t) { size_t n = strlen(t); gh_buf b = {malloc(n), n}; memcpy(b.ptr, t, n); return b; }
static void fr(gh_buf b) { free(b.ptr); }
static gh_status init(const gh_host_api *h, gh_host *hd, gh_bytes c, void **s, gh_buf *e) {
    (void)c; (void)e; state_t *st = malloc(sizeof *st); st->host = h; st->handle = hd; *s = st; return GH_OK;
}
static void deinit(void *s) { free(s); }
static gh_status handle(void *s, gh_callback_kind k, uint32_t i, gh_bytes env, gh_buf *out) {
    (void)k; (void)env; state_t *st = s;
    const char *key = i == 1 ? "expiring" : "hits";
    int64_t value = -1;
    gh_status status = st->host->kv_increment(st->handle, (gh_bytes){(const uint8_t *)key, strlen(key)}, 1, i == 1 ? 1 : 0, &value);
    char body[160];
    snprintf(body, sizeof body, "{\"status\":200,\"body\":{\"count\":%lld,\"status\":%d}}", (long long)value, (int)status);
    *out = own(body); return GH_OK;
}
static const gh_plugin_descriptor d = {
    .struct_size = sizeof(gh_plugin_descriptor), .abi_major = GATEHOUSE_ABI_MAJOR, .abi_minor = ABI_MINOR,
    .id = "counter", .version = "1.0.0", .name = "counter", .swift_toolchain = NULL,
    .manifest_json = "{\"endpoints\":[{\"method\":\"GET\",\"path\":\"/count\"},{\"method\":\"GET\",\"path\":\"/count-expiring\"},"
                     "{\"method\":\"GET\",\"path\":\"/count-fast\",\"blocking\":false,\"envelope\":[]}]}",
    .init = init, .deinit = deinit, .handle = handle, .free_buf = fr,
};
__attribute__((visibility("default"))) const gh_plugin_descriptor *gatehouse_plugin_entry_v1(void) { return &d; }
"""
GH_OK, GH_DENIED = 0, 4


def build_counter(directory, abi_minor=2):
    source = directory / "counter.c"
    source.write_text(COUNTER)
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), f"-DABI_MINOR={abi_minor}",
                    "-o", str(directory / "counter.so"), str(source)], check=True)
    source.unlink()


def count(srv, path="count"):
    r = srv.client().get(path)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def counter_dir(tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    build_counter(plugins)
    return plugins


def test_counts_survive_a_restart_and_expire(server, counter_dir):
    srv = server({"pluginsDir": str(counter_dir)})
    assert [count(srv)["count"] for _ in range(3)] == [1, 2, 3]
    assert count(srv, "count-expiring")["count"] == 1 and count(srv, "count-expiring")["count"] == 2
    srv.stop()
    srv.start()
    assert count(srv)["count"] == 4, "the store did not survive the restart"
    time.sleep(1.5)
    assert count(srv, "count-expiring")["count"] == 1, "an expired key must count from 0 again"
    assert srv.query('SELECT COUNT(*) AS n FROM "gatehouseKeyValue" WHERE "key" = ?', "counter:hits")[0]["n"] == 1


def test_parallel_increments_lose_nothing(server, counter_dir):
    srv = server({"pluginsDir": str(counter_dir)})
    seen, errors = [], []

    def worker():
        for _ in range(10):
            answer = count(srv)
            (seen if answer["status"] == GH_OK else errors).append(answer["count"])

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(seen) == list(range(1, 51))


def test_a_1_2_plugin_is_refused_kv_in_a_non_blocking_callback(server, counter_dir):
    srv = server({"pluginsDir": str(counter_dir)})
    assert count(srv, "count-fast") == {"count": -1, "status": GH_DENIED}
    assert count(srv)["count"] == 1


def test_a_1_1_plugin_keeps_using_kv_from_a_callback_it_declared_non_blocking(server, tmp_path):
    plugins = tmp_path / "plugins.d"
    plugins.mkdir()
    build_counter(plugins, abi_minor=1)
    srv = server({"pluginsDir": str(plugins)})
    assert count(srv, "count-fast") == {"count": 1, "status": GH_OK}
    assert count(srv)["count"] == 2


@pytest.mark.postgres_only
def test_two_instances_count_together(counter_dir, tmp_path, pg_database):
    """Two processes on one PostgreSQL database increment one counter: no count is lost."""
    servers = []
    for name in ("a", "b"):
        workdir = tmp_path / name
        workdir.mkdir()
        srv = GatehouseServer({"pluginsDir": str(counter_dir), "database": pg_database}, name=name, workdir=workdir).start()
        _LIVE_SERVERS.append(srv)
        servers.append(srv)
    results = []

    def worker(srv):
        for _ in range(20):
            results.append(count(srv)["count"])

    threads = [threading.Thread(target=worker, args=(srv,)) for srv in servers for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 81))
    for srv in servers:
        srv.stop()
    servers[0].start()
    assert count(servers[0])["count"] == 81
    servers[0].stop()
