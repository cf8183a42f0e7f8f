"""Plugin trust (issue 15, ABI 1.2 host): every check runs before the library is opened, so a refused
library's code, constructors included, never runs. Refused: a group- or world-writable library or
plugins directory, one owned by another user, one whose SHA-256 is not in pluginTrust.sha256, one
without a good Ed25519 signature when pluginTrust.publicKeys is set. A reload that would bring in an
untrusted library keeps the previous one serving."""
import base64
import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from conftest import gatehouse_bin, wait_until

REPO = Path(__file__).resolve().parents[2]
HEADER_DIR = REPO / "PluginAPI" / "include"

# A plugin with one route, whose ELF constructor appends its id to MARKER when the library is opened.
PLUGIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gatehouse_plugin.h"
__attribute__((constructor)) static void constructed(void) {
    FILE *f = fopen(MARKER, "a");
    if (f) { fputs(ID "\n", f); fclose(f); }
}
static gh_buf own(const char *t) { size_t n = strlen(t); gh_buf b = {malloc(n), n}; memcpy(b.ptr, t, n); return b; }
static void fr(gh_buf b) { free(b.ptr); }
static gh_status init(const gh_host_api *h, gh_host *hd, gh_bytes c, void **s, gh_buf *e) {
    (void)h; (void)hd; (void)c; (void)e; *s = NULL; return GH_OK;
}
static void deinit(void *s) { (void)s; }
static gh_status handle(void *s, gh_callback_kind k, uint32_t i, gh_bytes env, gh_buf *out) {
    (void)s; (void)k; (void)i; (void)env;
    *out = own("{\"status\":200,\"body\":{\"plugin\":\"" ID "\",\"version\":\"" VERSION "\"}}"); return GH_OK;
}
static const gh_plugin_descriptor d = {
    .struct_size = sizeof(gh_plugin_descriptor), .abi_major = GATEHOUSE_ABI_MAJOR, .abi_minor = 0,
    .id = ID, .version = VERSION, .name = ID,
    .manifest_json = "{\"endpoints\":[{\"method\":\"GET\",\"path\":\"/" ID "\"}]}",
    .init = init, .deinit = deinit, .handle = handle, .free_buf = fr,
};
__attribute__((visibility("default"))) const gh_plugin_descriptor *gatehouse_plugin_entry_v1(void) { return &d; }
"""


@pytest.fixture
def plugins(tmp_path) -> Path:
    os.umask(0o022)   # the modes below are set explicitly; the folders start trusted whatever the caller's umask
    d = tmp_path / "plugins.d"
    d.mkdir()
    return d


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "constructors-ran"


def build(directory: Path, id: str, marker: Path, *, version: str = "1", name: str | None = None, mode: int = 0o644) -> Path:
    """Compiles the fixture with cc from the header alone, elsewhere, then renames it into place."""
    staging = marker.parent / "staging"
    staging.mkdir(exist_ok=True)
    source = staging / f"{id}-{version}.c"
    source.write_text(PLUGIN)
    built = staging / f"{id}-{version}.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), f'-DID="{id}"', f'-DVERSION="{version}"',
                    f'-DMARKER="{marker}"', "-o", str(built), str(source)], check=True)
    built.chmod(mode)
    target = directory / (name or f"{id}.so")
    built.rename(target)
    return target


def constructors_run(marker: Path) -> list[str]:
    return marker.read_text().split() if marker.exists() else []


def skipped(srv) -> list[dict]:
    """The server's `plugin skipped` log lines, parsed."""
    return [line for line in log_lines(srv) if line.get("msg") == "plugin skipped"]


def log_lines(srv) -> list[dict]:
    out = []
    for text in srv.logs().splitlines():
        try:
            out.append(json.loads(text))
        except ValueError:
            continue
    return out


def route(srv, id: str) -> requests.Response:
    return requests.get(f"{srv.api}/{id}", timeout=5)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gatehouse(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(gatehouse_bin()), *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd)


def keygen(tmp_path: Path, name: str) -> tuple[Path, str]:
    key = tmp_path / name
    r = gatehouse("plugins", "keygen", "--out", key, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    return key, r.stdout.strip()


def sign(library: Path, key: Path):
    r = gatehouse("plugins", "sign", "--key", key, library, cwd=library.parent)
    assert r.returncode == 0, r.stderr
    assert f"wrote {library}.sig" in r.stdout


@pytest.mark.parametrize("mode, who", [(0o664, "group"), (0o646, "world")])
def test_a_writable_library_is_refused_before_any_of_its_code_runs(server, plugins, marker, mode, who):
    build(plugins, "good", marker)
    loose = build(plugins, "loose", marker, mode=mode)
    srv = server({"pluginsDir": str(plugins)})
    lines = skipped(srv)
    assert len(lines) == 1, lines
    assert lines[0]["path"] == str(loose)
    assert lines[0]["reason"] == f"not trusted: {loose} is {who}-writable"
    assert constructors_run(marker) == ["good"]          # the refused library was never opened
    assert route(srv, "loose").status_code == 404
    assert route(srv, "good").json() == {"plugin": "good", "version": "1"}
    assert srv.client().sign_up().status_code == 200   # the host keeps serving

    # The control: the same bytes, made safe, load on the next reload and run their constructor.
    loose.chmod(0o644)                                   # a chmod alone is a change the watcher sees
    assert wait_until(lambda: route(srv, "loose").status_code == 200)
    assert constructors_run(marker) == ["good", "loose"]


def test_a_world_writable_plugins_directory_is_refused(server, plugins, marker):
    library = build(plugins, "good", marker)
    plugins.chmod(0o777)
    srv = server({"pluginsDir": str(plugins)})
    lines = skipped(srv)
    assert [(line["path"], line["reason"]) for line in lines] == [
        (str(library), f"not trusted: the plugins directory {plugins} is world-writable")]
    assert constructors_run(marker) == []
    assert route(srv, "good").status_code == 404
    assert srv.client().get("ok").json() == {"ok": True}


def test_a_library_owned_by_another_user_is_refused(server, plugins, marker):
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    build(plugins, "good", marker)
    foreign = build(plugins, "foreign", marker)
    os.chown(foreign, 65534, -1)
    srv = server({"pluginsDir": str(plugins)})
    lines = skipped(srv)
    assert len(lines) == 1 and lines[0]["path"] == str(foreign), lines
    assert lines[0]["reason"] == f"not trusted: {foreign} is owned by uid 65534, neither root nor the server's user (uid 0)"
    assert constructors_run(marker) == ["good"]
    assert route(srv, "good").status_code == 200 and route(srv, "foreign").status_code == 404


def test_only_listed_digests_load(server, plugins, marker, tmp_path):
    listed = build(plugins, "listed", marker)
    unlisted = build(plugins, "unlisted", marker)
    digest = sha256(listed)
    srv = server({"pluginsDir": str(plugins), "pluginTrust": {"sha256": [digest.upper()]}})   # either case is accepted
    lines = skipped(srv)
    assert [(line["path"], line["reason"]) for line in lines] == [
        (str(unlisted), f"not trusted: its SHA-256 {sha256(unlisted)} is not listed in pluginTrust.sha256")]
    assert constructors_run(marker) == ["listed"]
    assert route(srv, "listed").status_code == 200 and route(srv, "unlisted").status_code == 404

    # `plugins list` shows each library's digest and verdict, and opens only the trusted one.
    r = gatehouse("plugins", "list", "--config", srv.config_path, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = {cols[4]: cols for cols in (line.split("\t") for line in r.stdout.splitlines()) if len(cols) == 7}
    assert rows[str(listed)][3] == "loaded"
    assert rows[str(listed)][5:] == [digest, "trusted (digest listed)"]
    assert rows[str(unlisted)][3].startswith("skipped: not trusted: its SHA-256")
    assert rows[str(unlisted)][5] == sha256(unlisted)
    assert rows[str(unlisted)][6].startswith("not trusted:")
    assert constructors_run(marker).count("unlisted") == 0

    # `plugins check` applies the configuration's trust too.
    r = gatehouse("plugins", "check", "--config", srv.config_path, unlisted, cwd=tmp_path)
    assert r.returncode != 0 and "is not listed in pluginTrust.sha256" in r.stderr
    assert f"sha256 {sha256(unlisted)}" in r.stdout
    r = gatehouse("plugins", "check", "--config", srv.config_path, listed, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "listed 1 (ABI 1.0): OK" in r.stdout and f"sha256 {digest}" in r.stdout and "trusted (digest listed)" in r.stdout


def test_bad_digest_configuration_names_the_key(tmp_path):
    config = tmp_path / "gatehouse.yaml"
    config.write_text("pluginTrust:\n  sha256: [\"not-a-digest\"]\n")
    r = gatehouse("config", "validate", "--config", config, cwd=tmp_path)
    assert r.returncode == 78
    assert "pluginTrust.sha256[0]" in r.stderr
    seed = base64.b64encode(os.urandom(31)).decode()
    config.write_text(f"pluginTrust:\n  publicKeys: [\"{seed}\"]\n")
    r = gatehouse("config", "validate", "--config", config, cwd=tmp_path)
    assert r.returncode == 78
    assert "pluginTrust.publicKeys[0]" in r.stderr and seed not in r.stderr   # a key's value is never echoed


def test_signatures_decide_which_libraries_load(server, plugins, marker, tmp_path):
    key, public = keygen(tmp_path, "plugin-signing.key")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    r = gatehouse("plugins", "keygen", "--out", key, cwd=tmp_path)
    assert r.returncode != 0 and "refusing to overwrite" in r.stderr
    stranger_key, _ = keygen(tmp_path, "stranger.key")

    signed = build(plugins, "signed", marker)
    sign(signed, key)
    unsigned = build(plugins, "unsigned", marker)
    strangers = build(plugins, "strangers", marker)
    sign(strangers, stranger_key)
    tampered = build(plugins, "tampered", marker)
    sign(tampered, key)
    with open(tampered, "ab") as f:
        f.write(b"\0")                                   # changed after signing
    # Signed independently, with Python's cryptography and a key of its own.
    python_key = Ed25519PrivateKey.generate()
    python_public = base64.b64encode(python_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    independent = build(plugins, "independent", marker)
    signature = base64.b64encode(python_key.sign(independent.read_bytes())).decode()
    (plugins / "independent.so.sig").write_text(signature[:40] + "\n" + signature[40:] + "\n")   # whitespace is ignored

    # The gatehouse signature verifies with an independent Ed25519 implementation too.
    raw_public = base64.b64decode(public)
    Ed25519PublicKey.from_public_bytes(raw_public).verify(base64.b64decode((plugins / "signed.so.sig").read_text()), signed.read_bytes())

    srv = server({"pluginsDir": str(plugins), "pluginTrust": {"publicKeys": [public, python_public]}})
    reasons = {line["path"]: line["reason"] for line in skipped(srv)}
    assert reasons == {
        str(unsigned): f"not trusted: the signature {unsigned}.sig is missing (pluginTrust.publicKeys is set)",
        str(strangers): f"not trusted: the signature {strangers}.sig was not made by any key in pluginTrust.publicKeys for this file",
        str(tampered): f"not trusted: the signature {tampered}.sig was not made by any key in pluginTrust.publicKeys for this file",
    }
    assert sorted(constructors_run(marker)) == ["independent", "signed"]
    for id in ("signed", "independent"):
        assert route(srv, id).json() == {"plugin": id, "version": "1"}
    for id in ("unsigned", "strangers", "tampered"):
        assert route(srv, id).status_code == 404

    # Signing the missing one is a change the watcher sees: it loads without a restart.
    sign(unsigned, key)
    assert wait_until(lambda: route(srv, "unsigned").status_code == 200)


def test_with_both_lists_a_library_must_pass_both(server, plugins, marker, tmp_path):
    key, public = keygen(tmp_path, "plugin-signing.key")
    both = build(plugins, "both", marker)
    sign(both, key)
    signed_only = build(plugins, "signed-only", marker)
    sign(signed_only, key)
    listed_only = build(plugins, "listed-only", marker)
    srv = server({"pluginsDir": str(plugins), "pluginTrust": {"sha256": [sha256(both), sha256(listed_only)], "publicKeys": [public]}})
    reasons = {line["path"]: line["reason"] for line in skipped(srv)}
    assert set(reasons) == {str(signed_only), str(listed_only)}
    assert "is not listed in pluginTrust.sha256" in reasons[str(signed_only)]
    assert "is missing" in reasons[str(listed_only)]
    assert constructors_run(marker) == ["both"]
    assert route(srv, "both").status_code == 200


def test_a_reload_that_would_bring_in_an_untrusted_library_keeps_the_previous_one(server, plugins, marker, tmp_path):
    key, public = keygen(tmp_path, "plugin-signing.key")
    widget = build(plugins, "widget", marker, version="1")
    sign(widget, key)
    srv = server({"pluginsDir": str(plugins), "pluginTrust": {"publicKeys": [public]}})
    assert route(srv, "widget").json() == {"plugin": "widget", "version": "1"}

    # Version 2 replaces the file; the old signature does not match it.
    build(plugins, "widget", marker, version="2")
    assert wait_until(lambda: any(line.get("msg") == "plugin refused; still serving the previous library" for line in log_lines(srv)))
    refusal = next(line for line in log_lines(srv) if line.get("msg") == "plugin refused; still serving the previous library")
    assert refusal["path"] == str(widget) and refusal["plugin"] == "widget"
    assert "was not made by any key" in refusal["reason"]
    assert wait_until(lambda: srv.logs().count('"msg":"reloaded"') >= 1)
    assert route(srv, "widget").json() == {"plugin": "widget", "version": "1"}
    assert constructors_run(marker) == ["widget"]          # version 2 never ran
    assert srv.client().sign_up().status_code == 200

    # Once version 2 is signed, it replaces version 1.
    sign(widget, key)
    assert wait_until(lambda: route(srv, "widget").json().get("version") == "2")
    assert constructors_run(marker) == ["widget", "widget"]


def settle_and_reload(srv):
    """Waits out the 2 s in which a just-written file's fingerprint proves nothing, then reloads, so
    the library in service has a fingerprint that later reloads compare with (issue 24)."""
    time.sleep(2.2)
    before = srv.logs().count('"msg":"reloaded"')
    srv.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: srv.logs().count('"msg":"reloaded"') > before)


def test_a_library_rewritten_in_place_with_its_old_size_and_time_loads(server, plugins, marker):
    """A reload does not read a library whose file is untouched; a rewrite in place that keeps the
    size and puts the modification time back still changes the change time, so it loads."""
    widget = build(plugins, "widget", marker, version="1")
    srv = server({"pluginsDir": str(plugins)})
    settle_and_reload(srv)
    assert constructors_run(marker) == ["widget"]          # the untouched library was not opened again
    replacement = build(marker.parent, "widget", marker, version="2", name="widget-2.so").read_bytes()
    before = widget.stat()
    assert len(replacement) == before.st_size
    with open(widget, "r+b") as f:
        f.write(replacement)
    os.utime(widget, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert wait_until(lambda: route(srv, "widget").json().get("version") == "2")
    assert constructors_run(marker) == ["widget", "widget"]


def test_a_signature_removed_from_an_untouched_library_is_noticed(server, plugins, marker, tmp_path):
    key, public = keygen(tmp_path, "plugin-signing.key")
    widget = build(plugins, "widget", marker)
    sign(widget, key)
    srv = server({"pluginsDir": str(plugins), "pluginTrust": {"publicKeys": [public]}})
    settle_and_reload(srv)
    Path(str(widget) + ".sig").unlink()
    assert wait_until(lambda: any(line.get("msg") == "plugin refused; still serving the previous library"
                                  and "signature" in line.get("reason", "") for line in log_lines(srv)))
    assert route(srv, "widget").json() == {"plugin": "widget", "version": "1"}
