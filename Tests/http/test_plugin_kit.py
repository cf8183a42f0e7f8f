"""Plugin kit for third parties (issue 15): `gatehouse plugins new` projects in Swift and C, the
out-of-tree Swift example package and the C example with a job and a service, each built the way
its README says, outside the repository, checked with `gatehouse plugins check` and served by a
real server.

The Swift packages are built once per run, in one scratch directory (a temp dir): the second build
reuses what the first compiled of Gatehouse (PluginKit, swift-collections)."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import HOST_ABI, gatehouse_bin, wait_until

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "Plugins" / "Examples"
HEADER_DIR = REPO / "PluginAPI" / "include"
SWIFT_BUILD_TIMEOUT = 900


def run(args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs a command; fails the test with its output when it fails."""
    r = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def gatehouse(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(gatehouse_bin()), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k != "GATEHOUSE_CONFIG"})


def check(library: Path, cwd: Path) -> str:
    """`gatehouse plugins check` passes; its output."""
    r = gatehouse("plugins", "check", library, cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def need(tool: str):
    if shutil.which(tool) is None:
        pytest.skip(f"no {tool}")


def snapshot(directory: Path) -> dict[str, float]:
    return {str(p.relative_to(directory)): p.stat().st_mtime for p in sorted(directory.rglob("*"))}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A temp dir for the projects, outside the repository; the repository's examples and top level
    must look the same afterwards (an out-of-tree build writes nothing into the checkout)."""
    before = (snapshot(EXAMPLES), sorted(p.name for p in REPO.iterdir()))
    yield tmp_path_factory.mktemp("plugin-kit")
    assert (snapshot(EXAMPLES), sorted(p.name for p in REPO.iterdir())) == before, "an out-of-tree build wrote into the repository"


@pytest.fixture(scope="module")
def swift_build(work):
    """`swift build` of a package directory into the shared scratch dir; returns the products' dir."""
    need("swift")
    scratch = work / "swift-scratch"

    def build(package: Path) -> Path:
        run(["swift", "build", "--package-path", package, "--scratch-path", scratch], cwd=work, timeout=SWIFT_BUILD_TIMEOUT)
        return scratch / "debug"

    return build


@pytest.fixture(scope="module")
def generated_swift(work, swift_build) -> Path:
    """`plugins new kit-swift --lang swift`, built as generated: libkit-swift.so."""
    r = gatehouse("plugins", "new", "kit-swift", "--lang", "swift", "--dir", work / "kit-swift", cwd=work)
    assert r.returncode == 0, r.stderr
    return swift_build(work / "kit-swift") / "libkit-swift.so"


@pytest.fixture(scope="module")
def notes_example(work, swift_build) -> Path:
    """Plugins/Examples/notes-swift built from a copy of its own package directory (the copy names
    this checkout by absolute path instead of `../../..`): libnotes.so."""
    package = work / "notes-swift"
    shutil.copytree(EXAMPLES / "notes-swift", package, ignore=shutil.ignore_patterns(".build", "Package.resolved"))
    manifest = package / "Package.swift"
    text = manifest.read_text()
    assert 'path: "../../.."' in text
    manifest.write_text(text.replace('path: "../../.."', f"path: {json.dumps(str(REPO))}"))
    return swift_build(package) / "libnotes.so"


def serve(server, library: Path, plugin_id: str, settings: dict | None = None, tmp: Path | None = None):
    plugins = tmp / f"plugins-{plugin_id}"
    plugins.mkdir()
    shutil.copy(library, plugins / f"{plugin_id}.so")
    return server({"pluginsDir": str(plugins), "plugins": {plugin_id: settings or {}}})


def test_plugins_new_c_builds_tests_checks_and_serves(work, server, tmp_path):
    need("cc")
    need("make")
    project = work / "kit-c"
    r = gatehouse("plugins", "new", "kit-c", "--lang", "c", "--dir", project, cwd=work)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in project.iterdir()) == [".gitignore", "Makefile", "README.md", "gatehouse_plugin.h", "kit-c.c", "test.c"]
    # The project carries the header of this checkout, byte for byte.
    assert (project / "gatehouse_plugin.h").read_bytes() == (HEADER_DIR / "gatehouse_plugin.h").read_bytes()
    run(["make"], cwd=project)
    assert "ok: kit-c answers GET /kit-c/hello" in run(["make", "test"], cwd=project).stdout
    out = check(project / "kit-c.so", cwd=work)
    assert f"kit-c 0.1.0 (ABI {HOST_ABI}): OK" in out and "GET /kit-c/hello" in out
    srv = serve(server, project / "kit-c.so", "kit-c", {"greeting": "bonjour"}, tmp_path)
    r = srv.client().get("kit-c/hello")
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "hello from kit-c", "settings": {"greeting": "bonjour"}}


def test_plugins_new_swift_builds_checks_and_serves(work, generated_swift, server, tmp_path):
    project = work / "kit-swift"
    package = (project / "Package.swift").read_text()
    # A third party's package: Gatehouse's products by package dependency (this checkout by path), nothing copied.
    assert f'.package(name: "Gatehouse", path: {json.dumps(str(REPO))})' in package
    assert '.product(name: "PluginKit", package: "Gatehouse")' in package
    assert '.product(name: "PluginKitTesting", package: "Gatehouse")' in package
    assert (project / "Tests" / "KitSwiftPluginTests" / "KitSwiftPluginTests.swift").exists()
    assert "swift test" in (project / "README.md").read_text()
    out = check(generated_swift, cwd=work)
    assert f"kit-swift 0.1.0 (ABI {HOST_ABI}): OK" in out and "GET /kit-swift/hello" in out
    exported = run(["nm", "-D", "--defined-only", generated_swift], cwd=work).stdout if shutil.which("nm") else None
    if exported is not None:
        assert [line.split()[-1] for line in exported.splitlines() if " T " in line] == ["gatehouse_plugin_entry_v1"]
    srv = serve(server, generated_swift, "kit-swift", {"greeting": "Welcome"}, tmp_path)
    r = srv.client().get("kit-swift/hello", params={"name": "Ada"})
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Welcome, Ada!"}


def test_plugins_new_refuses_bad_input(work):
    r = gatehouse("plugins", "new", "Bad_Name", "--lang", "c", cwd=work)
    assert r.returncode != 0 and "plugin id" in r.stderr
    occupied = work / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    r = gatehouse("plugins", "new", "fine", "--lang", "c", "--dir", occupied, cwd=work)
    assert r.returncode != 0 and "not an empty directory" in r.stderr
    assert sorted(p.name for p in occupied.iterdir()) == ["keep.txt"]
    r = gatehouse("plugins", "new", "fine", "--lang", "c", "--dir", work / "fine", "--gatehouse", "https://git.example.com/gatehouse.git",
                  "--gatehouse-version", "1.2.0", cwd=work)
    assert r.returncode != 0 and "checkout" in r.stderr
    r = gatehouse("plugins", "new", "fine", "--lang", "swift", "--dir", work / "fine", "--gatehouse", work, cwd=work)
    assert r.returncode != 0 and "is not a Gatehouse checkout" in r.stderr
    assert not (work / "fine").exists()


def test_plugins_new_swift_can_name_gatehouse_by_url(work):
    project = work / "by-url"
    r = gatehouse("plugins", "new", "by-url", "--lang", "swift", "--dir", project,
                  "--gatehouse", "https://git.example.com/acme/Gatehouse.git", "--gatehouse-version", "1.2.0", cwd=work)
    assert r.returncode == 0, r.stderr
    package = (project / "Package.swift").read_text()
    assert '.package(url: "https://git.example.com/acme/Gatehouse.git", from: "1.2.0")' in package
    # A URL dependency is named by its identity.
    assert package.count('package: "gatehouse"') == 2


def test_swift_example_package_builds_outside_the_repo_and_serves(work, notes_example, server, tmp_path):
    out = check(notes_example, cwd=work)
    assert f"notes 1.0.0 (ABI {HOST_ABI}): OK" in out and "POST /notes" in out
    srv = serve(server, notes_example, "notes", {"maxLength": 40}, tmp_path)
    ada = srv.client().new_user()
    assert ada.get("notes").json() == {"notes": []}
    r = ada.post("notes", {"text": "buy milk"})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "buy milk" and r.json()["userId"] == ada.user["id"]
    r = ada.post("notes", {"text": "x" * 41})
    assert r.status_code == 400 and r.json()["code"] == "NOTE_IS_TOO_LONG"
    assert [n["text"] for n in ada.get("notes").json()["notes"]] == ["buy milk"]
    assert srv.client().new_user().get("notes").json() == {"notes": []}     # only the caller's own
    assert srv.client().get("notes").status_code == 401


def test_c_example_with_a_job_and_a_service_builds_with_its_makefile_and_serves(work, server, tmp_path):
    need("cc")
    need("make")
    project = work / "reminders-c"
    shutil.copytree(EXAMPLES / "reminders-c", project)
    run(["make", f"GATEHOUSE_INCLUDE={HEADER_DIR}"], cwd=project)
    out = check(project / "reminders.so", cwd=work)
    assert f"reminders 1.0.0 (ABI {HOST_ABI}): OK" in out and "POST /reminders" in out
    srv = serve(server, project / "reminders.so", "reminders", tmp=tmp_path)
    assert "reminders ready" in srv.logs()
    ada = srv.client().new_user()
    r = ada.post("reminders", {"note": "call Bob"})
    assert r.status_code == 200, r.text
    scheduled = r.json()
    assert re.fullmatch(r"[A-Za-z0-9]+", scheduled["id"]) and scheduled["runAt"]
    # The periodic job runs when the server starts; the scheduled one about two seconds later.
    last = wait_until(lambda: (ada.get("reminders/last").json() or {}).get("last"), timeout=15)
    assert last, ada.get("reminders/last").text
    assert last["name"] == "remind" and last["id"] == scheduled["id"]
    assert last["payload"] == {"body": {"note": "call Bob"}}
    assert ada.get("reminders/last").json()["heartbeats"] >= 1
