"""Retries, rate limits and faults: reads survive, writes are not repeated blindly."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from conftest import on_sandbox, walk_keys
from mixframe import (AccessDict, Mixcloud, RateLimitError, RetryPolicy, ServerError,
                      TransportError, sandbox)

FAST = RetryPolicy(retries=6, backoff=0.001, backoff_max=0.01)


def client_for(app, **options):
    return on_sandbox(app, **{"retries": FAST, **options})


@pytest.mark.parametrize("fault", ["error_rate", "drop_rate", "truncate_rate"])
async def test_reads_survive_transient_faults(fault):
    app = sandbox.app(seed=3, **{fault: 0.3})
    async with client_for(app, raise_exceptions=True) as client:
        user = await client.get("spartacus")
        page = await user.followers(limit=10)
        keys = await walk_keys(page)
        assert keys == app.world.connection_keys("/spartacus/followers/")
        assert client.stats.retries > 0
        assert client.stats.requests == app.request_count
        faults = sum(1 for request in app.requests if request.fault)
        assert faults == client.stats.retries


async def test_transient_failures_exhaust_retries_and_raise_transport_error():
    app = sandbox.app(seed=1, drop_rate=1.0)
    async with client_for(app, retries=RetryPolicy(retries=2, backoff=0.001)) as client:
        with pytest.raises(TransportError, match="GET .*/spartacus/.*failed") as caught:
            await client.get("spartacus")  # raise_exceptions=False: no body to return
        assert sandbox.TOKEN not in str(caught.value)
    assert app.request_count == 3


async def test_server_errors_after_retries_come_back_or_raise():
    app = sandbox.app(seed=1, error_rate=1.0)
    async with client_for(app, retries=RetryPolicy(retries=1, backoff=0.001)) as client:
        result = await client.get("spartacus")
        assert isinstance(result, AccessDict) and "error" in result
        client._raise_exceptions = True
        with pytest.raises(ServerError) as caught:
            await client.get("spartacus")
        assert caught.value.status >= 500
    assert app.request_count == 4


@pytest.mark.parametrize("fault", ["error_rate", "truncate_rate"])
async def test_writes_are_not_retried_after_the_request_was_sent(fault):
    app = sandbox.app(seed=1, **{fault: 1.0})
    async with client_for(app) as client:
        try:
            await client.follow("spartacus")
        except TransportError:
            pass
    assert app.request_count == 1


async def test_writes_are_retried_when_the_connection_was_never_made():
    attempts = []

    def refuse_then_answer(request):
        attempts.append(request)
        if len(attempts) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"result": {"success": True, "message": "ok"}})

    async with Mixcloud(transport=httpx.MockTransport(refuse_then_answer), access_token="t",
                        retries=FAST) as client:
        result = await client.follow("bob")
    assert result.result.success and len(attempts) == 3


async def test_a_write_dropped_after_it_was_sent_is_not_sent_again_over_a_socket():
    """Over a real socket, with the transport the client picks itself: a server that read
    the request and closed the connection may have acted on it. (The httpx-aiohttp
    transport reports this as a ConnectTimeout and the write went out three times.)"""
    import socket

    from hostile import HostileServer

    def read_then_hang_up(connection, request):
        connection.sock.shutdown(socket.SHUT_RDWR)
        connection.sock.close()

    with HostileServer(read_then_hang_up) as server:
        async with Mixcloud(server.url, access_token="t0k3n-abcdef", retries=FAST) as client:
            with pytest.raises(TransportError, match="follow"):
                await client.follow("bob")
    assert len(server.requests) == 1


async def test_rate_limit_is_waited_out_and_nothing_is_lost():
    app = sandbox.app(seed=0, rate_limit=5)  # a burst of 5, then 5 per second
    async with client_for(app) as client:
        started = time.monotonic()
        user = await client.get("spartacus")
        page = await user.followers(limit=2)
        keys = await walk_keys(page)
        elapsed = time.monotonic() - started
    limited = [r for r in app.requests if r.fault == "rate_limit"]
    assert keys == app.world.connection_keys("/spartacus/followers/")
    assert limited and all(r.status == 403 for r in limited)
    assert client.stats.rate_limit_waits == len(limited)
    assert elapsed >= client.stats.waited_s >= 1  # Retry-After is honoured (whole seconds)


async def test_rate_limit_longer_than_max_wait_surfaces_at_once():
    app = sandbox.app(seed=0, rate_limit=0.01)  # one request per 100 s
    async with client_for(app, max_wait=5, raise_exceptions=True) as client:
        await client.get("spartacus")
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            await client.get("spartacus")
        assert time.monotonic() - started < 2
    assert caught.value.retry_after > 5 and caught.value.status == 403


async def test_rate_limit_waits_are_logged_without_the_token(caplog):
    caplog.set_level("DEBUG", logger="mixframe")
    app = sandbox.app(seed=0, rate_limit=3, error_rate=0.5)
    async with client_for(app) as client:
        for _ in range(6):
            await client.get("spartacus")
    assert any("rate limited" in record.getMessage() for record in caplog.records)
    assert any("retry" in record.getMessage() for record in caplog.records)
    assert all(sandbox.TOKEN not in record.getMessage() for record in caplog.records)


def test_retry_policy_validates_and_backs_off_exponentially():
    with pytest.raises(ValueError, match="retries must be an int >= 0"):
        RetryPolicy(retries=-1)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)
    policy = RetryPolicy(backoff=1, backoff_max=8, jitter=0)
    assert [policy.backoff_delay(n) for n in range(5)] == [1, 2, 4, 8, 8]
    jittered = RetryPolicy(backoff=1, jitter=0.5)
    assert all(0.5 <= jittered.backoff_delay(0) <= 1 for _ in range(50))
    assert policy.rate_limit_delay(452, 0) == 452
    assert RetryPolicy(max_wait=60).rate_limit_delay(452, 0) is None
    assert RetryPolicy(rate_limit_retries=2).rate_limit_delay(1, 2) is None


async def test_429_without_body_is_a_rate_limit_too():
    answers = [httpx.Response(429, headers={"Retry-After": "0"}),
               httpx.Response(200, json={"key": "/x/", "type": "user"})]
    async with Mixcloud(transport=httpx.MockTransport(lambda request: answers.pop(0)),
                        retries=FAST) as client:
        assert (await client.get("x")).key == "/x/"
        assert client.stats.rate_limit_waits == 1


async def test_one_rate_limit_answer_holds_every_request_of_the_client():
    # a burst of 10, then 10 per second; answers in 0 to 0.1 s, so workers fall out of step
    app = sandbox.app(seed=0, rate_limit=10, latency=0.05, jitter=0.05)
    async with client_for(app) as client:
        async def worker(name):
            return await walk_keys(await (await client.get(name)).followers(limit=5))

        names = app.world.usernames()[:8]
        results = await asyncio.gather(*(worker(name) for name in names))
    assert results == [app.world.connection_keys(f"/{name}/followers/") for name in names]
    refused = [r.timestamp for r in app.requests if r.fault == "rate_limit"]
    assert refused and client.stats.rate_limit_waits == len(refused)
    # Requests sent before the 403 came back (at most 0.1 s after it arrived) may still
    # arrive; after that nothing goes out until Retry-After (at least 1 s) has passed.
    arrivals = [r.timestamp for r in app.requests]
    for moment in refused:
        assert not [t for t in arrivals if moment + 0.2 < t < moment + 0.9]


async def test_long_rate_limit_waits_are_information_and_giving_up_is_a_warning(caplog):
    # A wait is normal operation (notebooks showed long ones as red warnings); giving up on
    # one longer than max_wait is a real problem.
    caplog.set_level("INFO", logger="mixframe")
    waits = []

    def limited(request):
        return httpx.Response(403, headers={"Retry-After": "30"}, json={"error": {
            "type": "RateLimitException", "message": "slow down", "retry_after": 30}})

    async with Mixcloud(transport=httpx.MockTransport(limited),
                        on_wait=lambda seconds, reason: waits.append(seconds)) as client:
        task = asyncio.ensure_future(client.get("bob"))
        while not waits:
            await asyncio.sleep(0.01)
        task.cancel()  # no need to sit through the 30 s
        with pytest.raises(asyncio.CancelledError):
            await task
    async with Mixcloud(transport=httpx.MockTransport(limited), max_wait=10) as client:
        assert (await client.get("bob")).error.type == "RateLimitException"
    waiting = [r for r in caplog.records if "waiting 30.0 s" in r.getMessage()]
    giving_up = [r for r in caplog.records if "giving up" in r.getMessage()]
    assert waits == [30] and [r.levelname for r in waiting] == ["INFO"]
    assert [r.levelname for r in giving_up] == ["WARNING"]


def test_the_policy_answers_the_one_question_of_the_retry_loop():
    from mixframe.retry import Failure

    policy = RetryPolicy(retries=2, backoff=1, backoff_max=3, jitter=0, max_wait=60,
                         rate_limit_retries=2)
    transient = Failure("failed (ReadError)")
    assert [policy.next_delay(transient, n) for n in range(3)] == [1, 2, None]
    assert policy.next_delay(Failure("answered 503", retryable=False), 0) is None
    limited = Failure("rate limited", rate_limited=True, retry_after=40)
    assert [policy.next_delay(limited, n) for n in range(3)] == [40, 40, None]
    assert policy.next_delay(Failure("x", rate_limited=True, retry_after=61), 0) is None
    assert policy.next_delay(Failure("x", rate_limited=True), 1) == 2  # no Retry-After: backoff


def test_one_classifier_decides_what_an_answer_means():
    from mixframe import AuthError, DecodeError, MixcloudError, NotFoundError
    from mixframe.exceptions import NOT_JSON, classify

    limit = {"error": {"type": "RateLimitException", "retry_after": 452}}
    cases = [
        ((200, {"key": "/bob/"}), None, None),
        ((200, None), None, None),
        ((403, limit), RateLimitError, 452),
        ((429, None), RateLimitError, None),
        ((403, limit, "7"), RateLimitError, 7),          # the header first
        ((404, NOT_JSON), NotFoundError, None),
        ((200, {"error": {"type": "NotFoundException"}}), NotFoundError, None),
        ((401, None), AuthError, None),
        ((403, {"error": {"type": "OAuthException"}}), AuthError, None),
        ((502, NOT_JSON), ServerError, None),
        ((200, NOT_JSON), DecodeError, None),
        ((200, [1, 2]), DecodeError, None),
        ((301, None), MixcloudError, None),
        ((400, {"error": {"type": "SomethingElse"}}), MixcloudError, None),
    ]
    for (status, body, *header), error, retry_after in cases:
        verdict = classify(status, body, retry_after=header[0] if header else None)
        assert (verdict.error, verdict.retry_after) == (error, retry_after), (status, body)
    assert classify(200, None, expect_body=True).error is DecodeError
    error = classify(403, limit).exception(limit, status=403, url="u")
    assert isinstance(error, RateLimitError) and error.retry_after == 452
