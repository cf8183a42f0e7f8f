"""Background jobs (ABI 1.2): a periodic job runs on schedule and never overlaps itself (also across
a reload and across instances on one database); `jobs.schedule` work runs once with its payload,
survives a kill -9, and is refused with clear errors for bad input; failures are counted in /metrics
and stop nothing; plugins built for ABI 1.1 get no jobs. The fixture plugin is
fixtures/jobs_plugin.c, built by cc from the header alone."""
import json
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import _LIVE_SERVERS, GatehouseServer, wait_until
from test_plugins import HEADER_DIR

FIXTURE = Path(__file__).parent / "fixtures" / "jobs_plugin.c"
GH_INVALID = 3


@pytest.fixture(scope="module")
def libraries(tmp_path_factory):
    """The fixture built for ABI 1.2 (the header's minor) and for 1.1."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("jobs-build")
    built = {}
    for minor in ("GATEHOUSE_ABI_MINOR", "1"):
        path = out / f"jobs-fixture-{minor}.so"
        subprocess.run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", str(HEADER_DIR), f"-DMINOR={minor}",
                        "-o", str(path), str(FIXTURE)], check=True)
        built[minor] = path
    return built


def setup(tmp_path, libraries, minor="GATEHOUSE_ABI_MINOR", name="a"):
    """A plugins directory with the fixture, its log file, and the config overrides for a server."""
    plugins = tmp_path / f"plugins-{name}"
    plugins.mkdir()
    shutil.copy(libraries[minor], plugins / "jobs-fixture.so")
    log = tmp_path / f"jobs-{name}.log"
    return {"pluginsDir": str(plugins), "plugins": {"jobs-fixture": {"log": str(log)}}}, log


def records(log: Path, what: str | None = None) -> list[tuple[str, int, dict]]:
    """The fixture's lines as (what, unix ms, envelope), in file order."""
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        kind, ms, envelope = line.split(" ", 2)
        if what is None or kind == what:
            out.append((kind, int(ms), json.loads(envelope)))
    return out


def schedule(srv, request) -> dict:
    r = srv.client().post("jobs-fixture/schedule", request)
    assert r.status_code == 200, r.text
    return r.json()


def scheduled(srv, request) -> str:
    answer = schedule(srv, request)
    assert answer["hostStatus"] == 0 and answer["error"] is None, answer
    return answer["answer"]["id"]


def runs(log: Path) -> list[tuple[int, int]]:
    """(start, end) of every finished periodic run."""
    starts = [ms for _, ms, _ in records(log, "tick-start")]
    ends = [ms for _, ms, _ in records(log, "tick-end")]
    return list(zip(starts, ends))


def assert_never_overlapping(spans: list[tuple[int, int]]):
    spans = sorted(spans)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"a run started at {start} while another ran until {end}: {spans}"


def scheduled_rows(srv) -> list[dict]:
    return srv.query('SELECT "id", "name" FROM "gatehouseScheduledJob"')


def beats(log: Path) -> list[int]:
    return [ms for _, ms, _ in records(log, "beat")]


def test_periodic_jobs_run_on_schedule_and_never_overlap_themselves(server, tmp_path, libraries):
    overrides, log = setup(tmp_path, libraries)
    srv = server(overrides)
    assert wait_until(lambda: len(runs(log)) >= 2, timeout=10), srv.logs()[-3000:]
    # A reload brings a new generation (and plugin instance) while a run may be going on.
    srv.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: len(runs(log)) >= 5 and len(beats(log)) >= 4, timeout=15)
    assert "reloaded" in srv.logs()
    # "tick" (every second) lasts 1.5 s: never two at once; the next starts soon after the last ended.
    spans = runs(log)
    assert_never_overlapping(spans)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start - end < 1500, spans
    assert all(envelope == {"name": "tick"} for _, _, envelope in records(log, "tick-start"))
    # "beat" (every 2 s) is quick: it starts every 2 s.
    times = beats(log)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(1900 <= gap <= 3500 for gap in gaps), gaps


def test_scheduled_job_runs_once_with_its_payload(server, tmp_path, libraries):
    overrides, log = setup(tmp_path, libraries)
    srv = server(overrides)
    payload = {"user": "u_1", "attempt": 2, "tags": ["a", "b"], "nested": {"z": 1, "a": None}}
    started = int(time.time() * 1000)
    first = scheduled(srv, {"name": "once", "delaySeconds": 1, "payload": payload})
    run_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1)) + ".000Z"
    second = scheduled(srv, {"name": "once", "runAt": run_at})  # payload defaults to null
    assert wait_until(lambda: len(records(log, "once")) == 2, timeout=10), srv.logs()[-3000:]
    time.sleep(1.5)
    seen = {envelope["id"]: (ms, envelope) for _, ms, envelope in records(log, "once")}
    assert len(records(log, "once")) == 2 and set(seen) == {first, second}
    ms, envelope = seen[first]
    assert ms >= started + 1000, "ran before its delay"
    assert envelope["name"] == "once" and envelope["payload"] == payload
    assert list(json.dumps(envelope["payload"]).encode()) == list(json.dumps(payload).encode()), "keys kept in order"
    assert envelope["runAt"] and envelope["scheduledAt"]
    assert seen[second][1]["payload"] is None and seen[second][1]["runAt"] == run_at
    assert scheduled_rows(srv) == [], "a finished run leaves no row"


def test_scheduled_job_survives_kill_9_and_runs_once_after_restart(server, tmp_path, libraries):
    overrides, log = setup(tmp_path, libraries)
    srv = server(overrides)
    job = scheduled(srv, {"name": "once", "delaySeconds": 3, "payload": {"survives": True}})
    srv.kill9()
    assert [row["id"] for row in scheduled_rows(srv)] == [job]
    srv.start()
    assert wait_until(lambda: records(log, "once"), timeout=10), srv.logs()[-3000:]
    time.sleep(2)
    assert [(e["id"], e["payload"]) for _, _, e in records(log, "once")] == [(job, {"survives": True})]
    assert scheduled_rows(srv) == []


def test_a_run_cut_short_by_kill_9_runs_again_after_restart(server, tmp_path, libraries):
    """The lease of a killed process expires (15 s); the work it was doing then runs again, once."""
    overrides, log = setup(tmp_path, libraries)
    srv = server(overrides)
    job = scheduled(srv, {"name": "slow", "delaySeconds": 0})
    assert wait_until(lambda: records(log, "slow-start"), timeout=10)
    srv.kill9()
    assert records(log, "slow-end") == []
    srv.start()
    assert wait_until(lambda: records(log, "slow-end"), timeout=30), srv.logs()[-3000:]
    time.sleep(1)
    assert [e["id"] for _, _, e in records(log, "slow-start")] == [job, job]
    assert [e["id"] for _, _, e in records(log, "slow-end")] == [job]
    assert scheduled_rows(srv) == []


@pytest.fixture(scope="module")
def shared_server(server_factory, tmp_path_factory, libraries):
    overrides, _ = setup(tmp_path_factory.mktemp("jobs-shared"), libraries)
    return server_factory(overrides, name="jobs-shared")


@pytest.mark.parametrize("request_body,code", [
    ({"name": "nope", "delaySeconds": 1}, "UNKNOWN_JOB"),
    ({"delaySeconds": 1}, "MISSING_FIELD"),
    ({"name": "once"}, "MISSING_FIELD"),
    ({"name": "once", "delaySeconds": 1, "runAt": "2030-01-01T00:00:00.000Z"}, "INVALID_SCHEDULE"),
    ({"name": "once", "runAt": "tomorrow"}, "INVALID_RUN_AT"),
    ({"name": "once", "runAt": 1767225600}, "INVALID_RUN_AT"),
    ({"name": "once", "delaySeconds": -1}, "INVALID_DELAY"),
    ({"name": "once", "delaySeconds": "5"}, "INVALID_DELAY"),
    ({"name": "once", "delaySeconds": 1e12}, "INVALID_DELAY"),
], ids=["unknown-job", "no-name", "no-time", "both-times", "bad-date", "numeric-date", "negative", "text-delay", "huge-delay"])
def test_bad_schedule_requests_are_refused_clearly(shared_server, request_body, code):
    answer = schedule(shared_server, request_body)
    assert answer["hostStatus"] == GH_INVALID and answer["answer"] is None, answer
    assert answer["error"]["code"] == code and answer["error"]["message"], answer
    assert scheduled_rows(shared_server) == []


def metric(srv, job: str, result: str) -> float:
    text = requests.get(srv.url + "/metrics", timeout=10).text
    wanted = f'gatehouse_plugin_job_runs_total{{plugin="jobs-fixture",job="{job}",result="{result}"}}'
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == wanted:
            return float(value)
    return 0.0


def test_failing_jobs_are_counted_and_stop_nothing(server, tmp_path, libraries):
    overrides, log = setup(tmp_path, libraries)
    srv = server(overrides)
    scheduled(srv, {"name": "fail", "delaySeconds": 0})
    scheduled(srv, {"name": "garbage", "delaySeconds": 0})
    scheduled(srv, {"name": "once", "delaySeconds": 0})
    assert wait_until(lambda: metric(srv, "fail", "failed") == 1 and metric(srv, "garbage", "failed") == 1, timeout=10), srv.logs()[-3000:]
    assert wait_until(lambda: metric(srv, "once", "ok") == 1)
    assert wait_until(lambda: metric(srv, "tick", "ok") >= 1, timeout=10)
    assert srv.client().get("ok").status_code == 200
    assert scheduled_rows(srv) == [], "a failed run is not retried"
    time.sleep(1)
    assert len(records(log, "fail")) == 1 and len(records(log, "garbage")) == 1
    assert "plugin job failed" in srv.logs()


def test_a_plugin_built_for_abi_1_1_gets_no_jobs(server, tmp_path, libraries):
    overrides, log = setup(tmp_path, libraries, minor="1")
    srv = server(overrides)
    answer = schedule(srv, {"name": "once", "delaySeconds": 0})
    assert answer["hostStatus"] == GH_INVALID and answer["error"]["code"] == "UNKNOWN_JOB", answer
    time.sleep(3)
    assert records(log) == []
    assert srv.query('SELECT COUNT(*) AS n FROM "gatehouseJob"')[0]["n"] == 0


@pytest.mark.postgres_only
def test_two_instances_share_the_jobs(tmp_path, libraries, pg_database):
    """Two processes on one database: the periodic job runs once per interval across both, never at
    the same time, and each piece of scheduled work runs on exactly one of them."""
    servers, logs = [], []
    for name in ("a", "b"):
        overrides, log = setup(tmp_path, libraries, name=name)
        workdir = tmp_path / name
        workdir.mkdir()
        srv = GatehouseServer({**overrides, "database": pg_database}, name=name, workdir=workdir).start()
        _LIVE_SERVERS.append(srv)
        servers.append(srv)
        logs.append(log)
    try:
        ids = []
        lock = threading.Lock()

        def add(srv, n):
            for i in range(n):
                job = scheduled(srv, {"name": "once", "delaySeconds": 0.5, "payload": {"n": i, "via": srv.port}})
                with lock:
                    ids.append(job)

        threads = [threading.Thread(target=add, args=(srv, 5)) for srv in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        once = lambda: [e["id"] for log in logs for _, _, e in records(log, "once")]  # noqa: E731
        assert wait_until(lambda: len(once()) >= 10, timeout=20), [s.logs()[-2000:] for s in servers]
        assert wait_until(lambda: len(runs(logs[0])) + len(runs(logs[1])) >= 6, timeout=20)
        time.sleep(2)
        assert sorted(once()) == sorted(ids), "each scheduled run happens on exactly one instance"
        # "tick" outlasts its interval: never on both at once.
        assert_never_overlapping(runs(logs[0]) + runs(logs[1]))
        # "beat" (every 2 s) runs once per interval across both instances, not once per instance.
        times = sorted(beats(logs[0]) + beats(logs[1]))
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert len(times) >= 4 and all(gap >= 1900 for gap in gaps), gaps
    finally:
        for srv in servers:
            srv.stop()
            _LIVE_SERVERS.remove(srv)
