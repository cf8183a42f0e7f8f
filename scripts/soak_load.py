"""The soak's load (scripts/soak.sh runs it): worker threads on loopback, each living through
one user after another — sign-up, get-session, list-sessions, update-user, organization create
and invite, sign-out, sign-in, get-session, sign-out — until the time is up. Prints requests,
errors and p99 per route, and the server's RSS under load just after the warm-up and at the end
(each the median of a 10 s window sampled twice a second: password hashes come and go with
16 MiB each, so single samples jump), and once the load has stopped. Exits 1 on any error
answer, or when `--max-growth` is given and RSS grew more than that after the warm-up."""

import argparse
import statistics
import sys
import threading
import time
import uuid

import requests

PASSWORD = "soak-Password-7Gq2"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.errors = {}
        self.first_errors = []

    def record(self, route, seconds, ok, detail):
        with self.lock:
            self.latencies.setdefault(route, []).append(seconds)
            if not ok:
                self.errors[route] = self.errors.get(route, 0) + 1
                if len(self.first_errors) < 5:
                    self.first_errors.append(f"{route}: {detail}")


def lifecycle(base, origin, tally, stop):
    """One user's life, repeated with a new user until `stop` is set."""
    while not stop.is_set():
        client = requests.Session()
        client.headers["Origin"] = origin
        email = f"soak-{uuid.uuid4().hex}@example.com"

        def call(route, method, path, **kwargs):
            started = time.perf_counter()
            try:
                answer = client.request(method, base + path, timeout=30, **kwargs)
                ok, detail = answer.ok, f"{answer.status_code} {answer.text[:160]}"
            except requests.RequestException as error:
                answer, ok, detail = None, False, repr(error)
            tally.record(route, time.perf_counter() - started, ok, detail)
            return answer.json() if ok and answer.content else None

        call("sign-up", "POST", "/sign-up/email", json={"email": email, "password": PASSWORD, "name": "Soak"})
        for _ in range(5):
            call("get-session", "GET", "/get-session")
        call("list-sessions", "GET", "/list-sessions")
        call("update-user", "POST", "/update-user", json={"name": "Soak " + uuid.uuid4().hex[:6]})
        organization = call("organization/create", "POST", "/organization/create",
                            json={"name": "Soak", "slug": "soak-" + uuid.uuid4().hex})
        if organization:
            call("organization/invite-member", "POST", "/organization/invite-member",
                 json={"email": f"invitee-{uuid.uuid4().hex}@example.com", "role": "member",
                       "organizationId": organization["id"]})
        call("sign-out", "POST", "/sign-out", json={})
        call("sign-in", "POST", "/sign-in/email", json={"email": email, "password": PASSWORD})
        call("get-session", "GET", "/get-session")
        call("sign-out", "POST", "/sign-out", json={})
        client.close()


def p99_ms(samples):
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--warm-up", type=float, required=True)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--max-growth", type=float)
    args = parser.parse_args()
    origin = "/".join(args.base.split("/")[:3])

    tally, stop = Tally(), threading.Event()
    workers = [threading.Thread(target=lifecycle, args=(args.base, origin, tally, stop)) for _ in range(args.workers)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    samples = []                                       # (seconds since start, RSS MB) under load
    while (elapsed := time.monotonic() - started) < args.seconds:
        samples.append((elapsed, rss_mb(args.pid)))
        time.sleep(0.5)
    stop.set()
    for worker in workers:
        worker.join()
    rss_stopped = rss_mb(args.pid)
    window = min(10.0, (args.seconds - args.warm_up) / 2)
    # Each window holds at least one sample: the last before it ends.
    rss_start = statistics.median([r for t, r in samples if args.warm_up <= t < args.warm_up + window]
                                  or [r for t, r in samples if t < args.warm_up + window][-1:])
    rss_end = statistics.median([r for t, r in samples if t >= args.seconds - window] or [samples[-1][1]])

    total = sum(len(samples) for samples in tally.latencies.values())
    errors = sum(tally.errors.values())
    print(f"{'route':<28} {'requests':>9} {'errors':>7} {'p99 ms':>8}")
    for route, samples in sorted(tally.latencies.items()):
        print(f"{route:<28} {len(samples):>9} {tally.errors.get(route, 0):>7} {p99_ms(samples):>8.1f}")
    growth = (rss_end - rss_start) / rss_start
    print(f"{'all':<28} {total:>9} {errors:>7}")
    print(f"RSS under load after the {args.warm_up:.0f} s warm-up {rss_start:.1f} MB, at the end {rss_end:.1f} MB ({growth:+.1%});"
          f" {rss_stopped:.1f} MB once the load stopped")
    for line in tally.first_errors:
        print("error:", line)
    failed = errors > 0 or (args.max_growth is not None and growth >= args.max_growth)
    print(f"soak: {total} requests in {args.seconds:.0f} s, {errors} errors, RSS growth {growth:+.1%}"
          + (" — FAILED" if failed else " — ok"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
