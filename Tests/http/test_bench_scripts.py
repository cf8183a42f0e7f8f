"""Issue 24: scripts/bench.sh and scripts/soak.sh are scripts that print figures, not timed tests;
their --smoke runs (a second per benchmark row, five seconds of soak, on the debug build) prove
that they work: every row is printed, the soak's load meets no error answer."""
import os
import signal
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.sqlite_only, pytest.mark.serial]
ROOT = Path(__file__).resolve().parents[2]


def smoke(script):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    # Its own process group, so a timeout or an interrupt also stops the servers and wrk it started.
    process = subprocess.Popen([str(ROOT / "scripts" / script), "--smoke"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)    # its EXIT trap stops its servers and cleans up
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
    assert process.returncode == 0, out
    return out


def test_bench_smoke_prints_every_row_and_the_summary():
    out = smoke("bench.sh")
    for row in ("/ok, core (the reference)", "get-session, core", "get-session, default plugins",
                "plugin route /hello-c vs built-in /ok", "password-hash ceiling", "threads hashing at once", "sign-in at saturation",
                "get-session (paced) during sign-in saturation", "hot reload: 5 × jwt.so under load",
                "idle RSS, default plugins", "exec to first 200 on /ok"):
        assert row in out, out
    summary = [line for line in out.splitlines() if line.startswith("summary: ")]
    assert len(summary) == 1 and ("every target met" in summary[0] or "missed: " in summary[0]), out
    assert "failed reloads 0" in out, out


def test_soak_smoke_meets_no_error():
    out = smoke("soak.sh")
    for route in ("sign-up", "sign-in", "get-session", "list-sessions", "update-user", "sign-out",
                  "organization/create", "organization/invite-member"):
        assert f"\n{route} " in out, out
    assert " 0 errors" in out and "— ok" in out, out
