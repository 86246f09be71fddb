"""The sandbox's loopback server, fault injection, request log, in-process transport and CLI.

Everything goes over a real socket with plain httpx, except the tests of ``sandbox.transport()``.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import httpx
import pytest

import mixframe
from mixframe import sandbox
from mixframe.cli import main
from mixframe.sandbox import FaultMiddleware, Server

pytestmark = pytest.mark.timeout(20)

UPLOAD = os.urandom(3 * 1024 * 1024 + 17)


async def echo(scope, receive, send):
    """Describe the request: where it came from and what body arrived, in how many messages."""
    digest, size, sizes = hashlib.sha256(), 0, []
    while True:
        message = await receive()
        body = message.get("body", b"")
        digest.update(body)
        size += len(body)
        sizes.append(len(body))
        if not message.get("more_body"):
            break
    if scope["path"] == "/slow":
        await asyncio.sleep(0.3)
    description = {
        "method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode(),
        "client_port": scope["client"][1], "size": size, "sha256": digest.hexdigest(),
        "messages": len(sizes), "largest_message": max(sizes),
    }
    body = json.dumps(description).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/stream":
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await send({"type": "http.response.body", "body": body})


def faulty(**faults) -> FaultMiddleware:
    return FaultMiddleware(echo, **faults)


def in_process(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.roots()["api_root"],
                             transport=sandbox.transport(app))


def port_is_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return False
    return True


# --- HTTP/1.1 ---------------------------------------------------------------------------------

def test_keep_alive_reuses_one_connection():
    with sandbox.serve(echo) as url, httpx.Client(base_url=url) as client:
        ports = {client.get("/a").json()["client_port"] for _ in range(5)}
    assert len(ports) == 1


def test_connection_close_is_honoured():
    with sandbox.serve(echo) as url, httpx.Client(base_url=url) as client:
        first = client.get("/a", headers={"Connection": "close"})
        second = client.get("/a")
    assert first.headers["connection"] == "close"
    assert first.json()["client_port"] != second.json()["client_port"]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_upload_of_a_few_megabytes_streams_to_the_app(framing):
    content = UPLOAD if framing == "content-length" else iter([UPLOAD[:10**6], UPLOAD[10**6:]])
    with sandbox.serve(echo) as url, httpx.Client(base_url=url) as client:
        request = client.build_request("POST", "/upload/", content=content)
        assert request.headers.get("transfer-encoding") == "chunked" or framing in request.headers
        seen = client.send(request).json()
    assert seen["size"] == len(UPLOAD)
    assert seen["sha256"] == hashlib.sha256(UPLOAD).hexdigest()
    assert seen["messages"] > 10 and seen["largest_message"] <= 64 * 1024


def test_response_without_length_is_chunked_and_head_has_no_body():
    with sandbox.serve(echo) as url, httpx.Client(base_url=url) as client:
        streamed = client.get("/stream")
        head = client.head("/a")
        after = client.get("/a")
    assert streamed.headers["transfer-encoding"] == "chunked"
    assert streamed.content == b"one,two,three"
    assert int(head.headers["content-length"]) > 0 and head.content == b""
    assert after.json()["path"] == "/a"


async def test_concurrent_requests_are_served_in_parallel():
    with sandbox.serve(echo) as url:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=url, limits=limits) as client:
            started = time.perf_counter()
            requests = (client.get("/slow", params={"i": i}) for i in range(60))
            responses = await asyncio.gather(*requests)
            elapsed = time.perf_counter() - started
    queries = sorted(response.json()["query"] for response in responses)
    assert queries == sorted(f"i={i}" for i in range(60))
    assert elapsed < 2.5  # 60 x 0.3 s one after another would take 18 s


def test_serve_closes_the_port_and_idle_connections_on_exit():
    with sandbox.serve(echo) as url, httpx.Client(base_url=url) as client:
        client.get("/a")  # leaves an idle keep-alive connection open
        port = int(url.rsplit(":", 1)[1])
        started = time.perf_counter()
    assert time.perf_counter() - started < 1
    assert not port_is_open(port)


def stop_while_a_request_is_held() -> tuple[Server, list[httpx.Response]]:
    """Stop a server while its app holds a request, connecting to its port until the port
    closes; return the server and the held request's response."""
    in_app, release = threading.Event(), threading.Event()

    async def held(scope, receive, send):
        in_app.set()
        await asyncio.get_running_loop().run_in_executor(None, release.wait)
        await echo(scope, receive, send)

    server = Server(held)
    server.start()
    responses = []
    client = threading.Thread(target=lambda: responses.append(httpx.get(server.url + "/a")))
    client.start()
    assert in_app.wait(5)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    while True:  # connect until refused or reset: some attempts land as the port closes
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except OSError:
            break
        time.sleep(0.005)
    release.set()
    stopper.join()
    client.join()
    return server, responses


def test_stop_lets_a_request_in_flight_finish():
    _, responses = stop_while_a_request_is_held()
    assert responses[0].status_code == 200
    assert responses[0].headers["connection"] == "close"


def test_connections_made_as_the_server_stops_are_closed_not_leaked():
    unclosed = []
    for _ in range(6):  # the race is met in about half the rounds
        server, responses = stop_while_a_request_is_held()
        assert responses[0].status_code == 200
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            gc.collect()  # a socket left open is reported as it is collected
        unclosed += [str(w.message) for w in caught if f"', {server.port})" in str(w.message)]
    assert unclosed == []


def test_serve_refuses_options_with_an_app():
    with pytest.raises(TypeError, match="error_rate"):
        with sandbox.serve(echo, error_rate=0.5):
            pass


# --- faults -----------------------------------------------------------------------------------

def test_latency_is_added_to_every_request():
    app = faulty(latency=0.2, jitter=0.05)
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        client.get("/warm-up")
        started = time.perf_counter()
        for _ in range(3):
            client.get("/a")
        elapsed = time.perf_counter() - started
    assert 0.45 <= elapsed < 1.2


def test_latency_counts_from_arrival_with_the_apps_own_time_inside_it():
    def timed(client, path):
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        return time.perf_counter() - started

    with sandbox.serve(faulty(latency=0.5)) as url, httpx.Client(base_url=url) as client:
        client.get("/warm-up")
        # /slow spends 0.3 s in the app: held to 0.5 s in all, not 0.8 s
        assert 0.5 <= timed(client, "/slow") < 0.7
        assert 0.5 <= timed(client, "/a") < 0.7
    with sandbox.serve(faulty(latency=0.1)) as url, httpx.Client(base_url=url) as client:
        assert timed(client, "/slow") >= 0.3  # an app slower than the latency is not cut short


def test_error_rate_is_seeded_and_within_tolerance():
    def statuses(seed):
        app = faulty(error_rate=0.3, seed=seed)
        with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
            return [client.get("/a").status_code for _ in range(300)]

    first = statuses(seed=7)
    errors = [status for status in first if status != 200]
    assert 0.22 <= len(errors) / len(first) <= 0.38
    assert set(errors) == {500, 502, 503}
    assert statuses(seed=7) == first
    assert statuses(seed=8) != first


def test_fault_rates_share_one_draw_per_request():
    faults = sandbox.Faults(seed=5, drop_rate=0.1, error_rate=0.2, truncate_rate=0.3)
    kinds = [faults.decide().fault for _ in range(20_000)]
    for kind, rate in [("drop", 0.1), ("error", 0.2), ("truncate", 0.3), (None, 0.4)]:
        assert abs(kinds.count(kind) / len(kinds) - rate) < 0.015
    faulted = []
    for kind in ("drop_rate", "error_rate", "truncate_rate"):
        faults = sandbox.Faults(seed=5, **{kind: 0.3})
        faulted.append([faults.decide().fault is not None for _ in range(200)])
    assert faulted[0] == faulted[1] == faulted[2] and 40 < sum(faulted[0]) < 80


def test_error_bodies_are_json_for_500_and_html_from_the_gateway():
    app = faulty(error_rate=1)
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        responses = {response.status_code: response
                     for response in (client.get("/a") for _ in range(30))}
    assert responses[500].json()["error"]["type"]
    assert responses[502].headers["content-type"] == "text/html"
    assert b"502 Bad Gateway" in responses[502].content


def test_rate_limit_answers_like_mixcloud():
    app = faulty(rate_limit=1)
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        allowed = client.get("/a")
        limited = client.get("/a")
    assert allowed.status_code == 200
    assert limited.status_code == 403
    assert limited.headers["retry-after"] == "1"
    assert limited.headers["content-type"] == "text/javascript; charset=utf-8"
    assert limited.json() == {"error": {
        "message": "You have hit your rate limit. Retry after 1 seconds.",
        "type": "RateLimitException",
        "retry_after": 1,
    }}
    assert [entry.fault for entry in app.requests] == [None, "rate_limit"]


def test_rate_limit_retry_after_rounds_the_wait_up():
    app = faulty(rate_limit=0.2)
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        client.get("/a")
        limited = client.get("/a")
    assert limited.headers["retry-after"] == "5"
    assert limited.json()["error"]["retry_after"] == 5


def test_faults_change_at_run_time_and_reject_bad_values():
    app = faulty()
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/a").status_code == 200
        app.faults.error_rate = 1
        assert client.get("/a").status_code >= 500
    with pytest.raises(ValueError, match="drop_rate"):
        app.faults.drop_rate = 1.5
    with pytest.raises(ValueError, match="rate_limit"):
        app.faults.rate_limit = 0


def test_dropped_connection_over_loopback():
    app = faulty(drop_rate=1)
    with sandbox.serve(app) as url:
        with httpx.Client(base_url=url) as client, pytest.raises(httpx.RemoteProtocolError):
            client.post("/upload/", content=UPLOAD)
        with httpx.Client(base_url=url) as client:
            app.faults.drop_rate = 0
            client.get("/a")
            app.faults.drop_rate = 1
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/a")  # on a reused keep-alive connection
    assert [entry.status for entry in app.requests] == [None, 200, None]
    assert [entry.fault for entry in app.requests] == ["drop", None, "drop"]


async def test_dropped_connection_async_and_in_process():
    app = faulty(drop_rate=1)
    with sandbox.serve(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/a")
    async with in_process(app) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/upload/", content=b"x" * 1000)
    assert app.request_count == 2


def test_truncated_body_over_loopback():
    app = faulty(truncate_rate=1)
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        with client.stream("GET", "/a") as response:
            assert response.status_code == 200
            expected = int(response.headers["content-length"])
            with pytest.raises(httpx.RemoteProtocolError, match=f"expected {expected}"):
                response.read()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/a")
        assert client.head("/a").status_code == 200  # no body, nothing to cut
    assert [entry.fault for entry in app.requests] == ["truncate", "truncate", None]


async def test_truncated_body_async_and_in_process():
    app = faulty(truncate_rate=1)
    with sandbox.serve(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/a")
    async with in_process(app) as client:
        async with client.stream("GET", "/a") as response:
            assert response.status_code == 200
            expected = int(response.headers["content-length"])
            with pytest.raises(httpx.RemoteProtocolError, match=f"expected {expected}"):
                await response.aread()


# --- request log ------------------------------------------------------------------------------

def test_request_log_counts_and_redacts_secrets():
    app = faulty()
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        client.get("/me/", params={"access_token": "s3cret", "metadata": "1"})
        client.get("/oauth/access_token",
                   params={"client_secret": "shh", "code": "c0de", "client_id": "id"})
        client.get("/me/", params=[("access_token", "s3cret"), ("tag", "a"), ("tag", "b")])
    assert app.request_count == 3
    assert app.requests.path_counts() == {"/me/": 2, "/oauth/access_token": 1}
    first, second, third = app.requests
    assert (first.method, first.path, first.status, first.fault) == ("GET", "/me/", 200, None)
    assert first.query == {"access_token": "***", "metadata": "1"}
    assert second.query == {"client_secret": "***", "code": "***", "client_id": "id"}
    assert third.query == {"access_token": "***", "tag": ["a", "b"]}
    assert "s3cret" not in repr(list(app.requests))
    assert first.timestamp <= second.timestamp <= time.time()
    app.reset_log()
    assert app.request_count == 0 and len(app.requests) == 0


def test_request_is_logged_before_its_response_ends():
    app = faulty()
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        for count in range(1, 51):
            client.get("/a", params={"n": count})
            assert app.request_count == count
            assert app.requests[-1].query == {"n": str(count)}


def test_request_log_keeps_the_latest_entries_but_counts_all():
    app = FaultMiddleware(echo, log_size=2)
    with sandbox.serve(app) as url, httpx.Client(base_url=url) as client:
        for path in ("/a", "/b", "/c"):
            client.get(path)
    assert [entry.path for entry in app.requests] == ["/b", "/c"]
    assert app.request_count == 3


# --- the sandbox app --------------------------------------------------------------------------

def test_serve_builds_a_sandbox_reachable_from_the_url():
    with sandbox.serve(seed=3, users=5, error_rate=0) as url, httpx.Client() as client:
        assert isinstance(url.app, sandbox.Sandbox)
        assert url.app.world is not None
        user = client.get(url + "/spartacus/", params={"access_token": sandbox.TOKEN}).json()
    assert user["username"] == "spartacus"
    assert url.app.request_count == 1
    assert url.app.requests[0].query == {"access_token": "***"}


def test_roots_point_every_service_at_the_sandbox():
    assert sandbox.roots("http://127.0.0.1:8000/") == {
        "api_root": "http://127.0.0.1:8000",
        "mixcloud_root": "http://127.0.0.1:8000",
        "oembed_root": "http://127.0.0.1:8000/oembed",
    }
    assert sandbox.oauth_root("http://127.0.0.1:8000") == "http://127.0.0.1:8000/oauth"
    assert sandbox.roots() == sandbox.roots("http://sandbox.localhost")  # in process
    assert sandbox.oauth_root() == "http://sandbox.localhost/oauth"


# --- sandbox.client() -------------------------------------------------------------------------

def test_client_is_a_logged_in_sync_client_on_a_new_sandbox_in_process():
    with sandbox.client() as mixcloud:
        assert isinstance(mixcloud, mixframe.MixcloudSync)
        assert mixcloud.me().username == sandbox.world.DEFAULT_USERNAME
        app = mixcloud.sandbox
        assert isinstance(app, sandbox.Sandbox) and app.world.seed == 0
        assert app.request_count == 1 and app.requests[0].query["access_token"] == "***"
    with sandbox.client() as other:
        assert other.sandbox is not app  # a fresh world each time: no state shared by tests


async def test_client_async_anonymous_on_a_given_app_with_options():
    app = sandbox.app(seed=2, users=30)
    async with sandbox.client(app, sync=False, token=False, raise_exceptions=True) as mixcloud:
        assert isinstance(mixcloud, mixframe.Mixcloud) and mixcloud.sandbox is app
        assert mixcloud.access_token is None
        assert (await mixcloud.get("spartacus")).username == "spartacus"
        with pytest.raises(mixframe.NotFoundError):
            await mixcloud.get("no-such-user-anywhere")
    assert app.request_count == 2 and "access_token" not in app.requests[0].query
    token = app.world.issue_token("NTSRadio")
    with sandbox.client(app, token=False, access_token=token) as mixcloud:
        assert mixcloud.me().username == "NTSRadio"  # an explicit token wins
    with sandbox.client(app, access_token=token) as mixcloud:
        assert mixcloud.me().username == "NTSRadio"


@pytest.mark.parametrize("kwargs, match", [
    ({"sync": "yes"}, "sync must be True or False"),
    ({"token": None}, "token must be True or False"),
    ({"transport": httpx.MockTransport(lambda request: None)}, "its own transport"),
    ({"session": None}, "session"),
])
def test_client_refuses_bad_arguments(kwargs, match):
    app = sandbox.app(seed=0, users=5)
    with pytest.raises(TypeError, match=match):
        sandbox.client(app, **kwargs)
    assert app.request_count == 0


# --- command line -----------------------------------------------------------------------------

def test_cli_serves_until_interrupted():
    env = {**os.environ, "PYTHONPATH": str(Path(mixframe.__file__).parents[1])}
    command = [sys.executable, "-m", "mixframe", "sandbox", "--port", "0", "--users", "5",
               "--latency", "0.01"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    try:
        banner = [process.stdout.readline()]
        assert banner[0].startswith("Mixcloud sandbox serving at http://127.0.0.1:"), \
            process.stderr.read()
        while "Ctrl-C" not in banner[-1]:
            banner.append(process.stdout.readline())
        url = banner[0].split()[-1]
        response = httpx.get(url + "/spartacus/", params={"access_token": sandbox.TOKEN})
        assert response.json()["username"] == "spartacus"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert sandbox.CLIENT_ID in "".join(banner) and sandbox.TOKEN in "".join(banner)
    assert "stopped" in out


@pytest.mark.parametrize(("arguments", "message"), [
    (["--error-rate", "2"], "--error-rate: must be between 0 and 1, got 2"),
    (["--drop-rate", "-0.1"], "--drop-rate: must be at least 0, got -0.1"),
    (["--truncate-rate", "half"], "--truncate-rate: not a number: half"),
    (["--rate-limit", "0"], "--rate-limit: must be more than 0, got 0"),
    (["--latency", "-1"], "--latency: must be at least 0, got -1"),
    (["--port", "65536"], "--port: a port is at most 65535, got 65536"),
    (["--port", "-1"], "--port: must be at least 0, got -1"),
])
def test_cli_rejects_bad_arguments(capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_reports_a_busy_port(capsys):
    with sandbox.serve(echo) as url:
        port = url.rsplit(":", 1)[1]
        assert main(["sandbox", "--port", port, "--users", "5"]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_held_answers_wake_in_order_never_early_and_survive_cancelled_and_closed_loops():
    from mixframe.sandbox.alarm import sleep_until

    async def hold(moment):
        await sleep_until(moment)
        return time.monotonic() - moment

    async def holds(count):
        start = time.monotonic() + 0.05
        moments = [start + 0.003 * (count - i) for i in range(count)]  # latest asked first
        cancelled = asyncio.ensure_future(sleep_until(start))
        lates = asyncio.gather(*(hold(m) for m in moments))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        return await lates

    abandoned = asyncio.new_event_loop()  # closed with a wait pending: the timer must go on
    abandoned.run_until_complete(asyncio.sleep(0))
    task = abandoned.create_task(sleep_until(time.monotonic() + 0.01))
    abandoned.run_until_complete(asyncio.sleep(0))
    task.cancel()
    abandoned.close()

    results = []
    threads = [threading.Thread(target=lambda: results.append(asyncio.run(holds(20))))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3
    for lates in results:
        assert all(late >= 0 for late in lates)  # never before the moment asked
        assert max(lates) < 0.5
    assert asyncio.run(hold(time.monotonic() - 1)) >= 1  # a moment passed: no wait at all
