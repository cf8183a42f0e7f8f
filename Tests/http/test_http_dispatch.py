"""The host operation http.dispatch (issue 16), driven through the probe plugin against receivers on
127.0.0.1: it answers before the request is made, the outcome comes back as a run of the caller's job,
redirects are not followed, and without allowPrivateNetworks every spelling of a loopback address is
refused at connect time (the address libcurl actually connects to is checked)."""
import time

import pytest

from conftest import free_port, wait_until
from test_host_api import probe  # noqa: F401 (a fixture)
from test_webhooks import Receiver


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.down()


def dispatch(probe, url, allow=True, context=None, **request):  # noqa: F811
    answer = probe("http.dispatch", {"request": {"url": url, **request}, "job": "dispatched", "allowPrivateNetworks": allow,
                                     "context": context if context is not None else {"url": url}})
    assert answer["ok"], answer
    return answer["answer"]["id"]


def outcome(probe, dispatch_id, timeout=20):  # noqa: F811
    """The run of the job `dispatched` with this dispatch's outcome."""
    def find():
        runs = probe("recordedJobs")["answer"]
        return next((r for r in runs if r.get("payload", {}).get("id") == dispatch_id), None)
    run = wait_until(find, timeout=timeout)
    assert run, f"no outcome for {dispatch_id}"
    assert run["name"] == "dispatched"
    return run["payload"]


def test_it_answers_before_a_slow_server_does_and_the_outcome_comes_back(probe, receiver):  # noqa: F811
    receiver.always["/slow"] = ("sleep", 3)
    try:
        started = time.monotonic()
        dispatch_id = dispatch(probe, receiver.url("/slow"), context={"deliveryId": "d1", "n": 7}, body='{"a":1}',
                               headers={"content-type": "application/json", "x-trace": "t-1"})
        assert time.monotonic() - started < 1.0
        result = outcome(probe, dispatch_id)
        assert time.monotonic() - started >= 3.0
        assert result["context"] == {"deliveryId": "d1", "n": 7}
        assert result["response"]["status"] == 200 and "error" not in result
        [got] = receiver.at("/slow")
        assert got["body"] == '{"a":1}' and got["headers"]["x-trace"] == "t-1"
        assert "expect" not in got["headers"]                       # no 100-continue round trip
    finally:
        receiver.always.pop("/slow")


def test_redirects_are_answers_not_followed(probe, receiver):  # noqa: F811
    receiver.always["/hop"] = ("redirect", receiver.url("/landing"))
    try:
        result = outcome(probe, dispatch(probe, receiver.url("/hop"), body="{}"))
        assert result["response"]["status"] == 307
        assert receiver.at("/landing") == []
    finally:
        receiver.always.pop("/hop")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1", "0x7f000001", "2130706433", "[::ffff:127.0.0.1]",
                                  "0.0.0.0"])
def test_every_spelling_of_loopback_is_refused(probe, receiver, host):  # noqa: F811
    url = f"http://{host}:{receiver.port}/private"
    result = outcome(probe, dispatch(probe, url, allow=False, body="{}"))
    assert result["error"]["code"] == "ADDRESS_REFUSED", result
    assert "allowPrivateNetworks" in result["error"]["message"]
    assert receiver.at("/private") == []


def test_allow_private_networks_reaches_loopback(probe, receiver):  # noqa: F811
    result = outcome(probe, dispatch(probe, receiver.url("/allowed", host="localhost"), allow=True, body="{}"))
    assert result["response"]["status"] == 200
    assert len(receiver.at("/allowed")) == 1


def test_timeouts_and_refused_connections(probe, receiver):  # noqa: F811
    receiver.always["/hang"] = ("sleep", 5)
    try:
        result = outcome(probe, dispatch(probe, receiver.url("/hang"), body="{}", timeoutSeconds=1))
        assert result["error"]["code"] == "TIMEOUT", result
    finally:
        receiver.always.pop("/hang")
    closed = outcome(probe, dispatch(probe, f"http://127.0.0.1:{free_port()}/nobody", body="{}"))
    assert closed["error"]["code"] == "CONNECTION_FAILED", closed


@pytest.mark.parametrize("request_, code", [
    ({"url": "ftp://example.com/x"}, "INVALID_REQUEST"),
    ({"url": "file:///etc/passwd"}, "INVALID_REQUEST"),
    ({"url": "http://example.com/a b"}, "INVALID_REQUEST"),
    ({"url": "http://example.com/", "headers": {"x-a": "v\r\nX-Injected: 1"}}, "INVALID_REQUEST"),
    ({"url": "http://example.com/", "headers": {"x-a": "v\nX-Injected: 1"}}, "INVALID_REQUEST"),
    ({"url": "http://example.com/", "headers": {"bad name": "v"}}, "INVALID_REQUEST"),
    ({"url": "http://example.com/", "method": "GET /x HTTP/1.1\r\n"}, "INVALID_REQUEST"),
    ({"url": "http://example.com/", "body": {"not": "text"}}, "INVALID_REQUEST"),
    ({"url": "http://example.com/", "timeoutSeconds": 0}, "INVALID_REQUEST"),
    ({"url": "http://example.com/", "timeoutSeconds": 121}, "INVALID_REQUEST"),
])
def test_bad_requests_are_refused_before_anything_is_sent(probe, request_, code):  # noqa: F811
    answer = probe("http.dispatch", {"request": request_, "job": "dispatched"})
    assert not answer["ok"] and answer["code"] == code, answer


def test_the_job_must_be_the_callers_own(probe):  # noqa: F811
    answer = probe("http.dispatch", {"request": {"url": "http://example.com/"}, "job": "nope"})
    assert not answer["ok"] and answer["code"] == "UNKNOWN_JOB", answer
    assert "dispatched" in answer["message"]
