"""The client against hostile or broken servers: a timeout is a deadline, answers are size
capped, every failure is a typed error, and the access token shows up in no log record, no
exception message and no local variable of a traceback.

Servers are tiny hostile ones on 127.0.0.1 (:mod:`hostile`) where the socket matters, and
``httpx.MockTransport`` where it does not.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest

from conftest import on_sandbox
from hostile import HostileServer
from mixframe import (AccessDict, DecodeError, Mixcloud, MixcloudError, MixcloudSync,
                      NotFoundError, Resource, ResponseTooLargeError, RetryPolicy,
                      TransportError, crawl, sandbox)

TOKEN = "hostile-T0KEN-SEKRIT-4b1d"
USER = {"key": "/bob/", "type": "user", "name": "Bob"}
FAST = RetryPolicy(retries=1, backoff=0.001, backoff_max=0.01)


def mock(answer, **options) -> Mixcloud:
    """A client whose every request `answer(request)` answers."""
    return Mixcloud(transport=httpx.MockTransport(answer), **{"retries": 0, **options})


def json_head(length: int | None = None, status: str = "200 OK") -> str:
    size = "" if length is None else f"content-length: {length}\r\n"
    return f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{size}\r\n"


# -- 10. a timeout is a deadline ------------------------------------------------------------

def trickle_headers(connection, request):
    connection.trickle(json_head(2) + "{}", every=0.5)


def trickle_body(connection, request):
    body = json.dumps({**USER, "biog": "x" * 60})
    if connection.send(json_head(len(body))):
        connection.trickle(body, every=0.5)


@pytest.mark.parametrize("answer", [trickle_headers, trickle_body])
async def test_a_server_trickling_bytes_cannot_hold_a_request_past_the_timeout(answer):
    # Each byte comes well within httpx's per-operation timeout; the whole would take 30 s
    # and more. The attempt's deadline ends it; a retry gets the whole timeout again.
    with HostileServer(answer) as server:
        async with Mixcloud(server.url, timeout=1, retries=FAST) as client:
            started = time.monotonic()
            with pytest.raises(TransportError, match=r"no whole answer within the 1 s timeout"):
                await client.get("bob")
            took = time.monotonic() - started
        assert len(server.requests) == 2  # the first attempt, and its one retry
    assert took < 2 * 1 + 2  # two deadlines, and a little


async def test_writes_are_not_sent_again_after_their_deadline():
    with HostileServer(trickle_headers) as server:
        async with Mixcloud(server.url, timeout=1, retries=FAST,
                            access_token=TOKEN) as client:
            with pytest.raises(TransportError, match="timeout"):
                await client.follow("bob")
        assert [request.method for request in server.requests] == ["POST"]


# -- 11. a size cap -------------------------------------------------------------------------

def endless_body(connection, request):
    """A JSON string that never ends, sent without a length (the connection's end would end
    it), one MiB at a time; the server counts what it managed to send."""
    connection.send(json_head().replace("\r\n\r\n", "\r\nconnection: close\r\n\r\n") + '"')
    chunk = b"a" * 2**20
    while connection.send(chunk):
        request.sent = getattr(request, "sent", 0) + len(chunk)


async def test_an_answer_larger_than_max_response_size_is_refused_while_it_streams():
    with HostileServer(endless_body) as server:
        async with Mixcloud(server.url, max_response_size=4 * 2**20,
                            raise_exceptions=False) as client:
            with pytest.raises(ResponseTooLargeError, match="larger than max_response_size") \
                    as caught:
                await client.get("bob")
        await asyncio.sleep(0.2)
        sent = server.requests[0].sent
    assert isinstance(caught.value, TransportError) and caught.value.limit == 4 * 2**20
    assert len(server.requests) == 1  # not retried: the next answer would be as large
    assert sent < 64 * 2**20  # the client stopped reading, the server could not go on


async def test_the_default_cap_refuses_a_declared_size_before_reading_it():
    declared = 256 * 2**20

    def huge(connection, request):
        connection.send(json_head(declared) + '"' + "a" * 1000)

    with HostileServer(huge) as server:
        async with Mixcloud(server.url, retries=FAST) as client:
            with pytest.raises(ResponseTooLargeError, match=f"{declared} bytes declared"):
                await client.get("bob")
    with pytest.raises(ValueError, match="max_response_size must be >= 1"):
        Mixcloud(max_response_size=0)


async def test_answers_below_the_cap_and_a_lifted_cap_read_whole():
    body = json.dumps({**USER, "biog": "x" * 100_000}).encode()
    async with mock(lambda request: httpx.Response(200, content=body),
                    max_response_size=len(body)) as client:
        assert len((await client.get("bob")).biog) == 100_000
    async with mock(lambda request: httpx.Response(200, content=body),
                    max_response_size=None) as client:
        assert (await client.fetch("bob"))["name"] == "Bob"


# -- 12. typed errors only ------------------------------------------------------------------

NESTED = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("content", [NESTED, b'{"a": ' * 50_000 + b"1" + b"}" * 50_000],
                         ids=["arrays", "objects"])
async def test_json_nested_too_deep_is_a_decode_error(content):
    answer = lambda request: httpx.Response(200, content=content)  # noqa: E731
    async with mock(answer) as client:
        result = await client.get("bob")
        assert isinstance(result, AccessDict) and result.error.type == "DecodeError"
        with pytest.raises(DecodeError, match="not a JSON object"):
            await client.fetch("bob")
    async with mock(answer, raise_exceptions=True) as client:
        with pytest.raises(DecodeError):
            await client.get("bob")


async def test_a_wrong_charset_or_a_byte_order_mark_still_decodes():
    body = json.dumps({**USER, "name": "Café Ünïcode"}, ensure_ascii=False).encode()
    answers = {
        "/utf16/": httpx.Response(200, content=body,
                                  headers={"content-type": "application/json; charset=utf-16"}),
        "/bogus/": httpx.Response(200, content=body,
                                  headers={"content-type": "text/javascript; charset=bogus-9"}),
        "/bom/": httpx.Response(200, content=b"\xef\xbb\xbf" + body),
    }
    async with mock(lambda request: answers[request.url.path], raise_exceptions=True) as client:
        for key in ("utf16", "bogus", "bom"):
            assert (await client.get(key)).name == "Café Ünïcode", key
            assert (await client.fetch(key))["name"] == "Café Ünïcode", key
            assert (await client.fetch(key, plain=False))["name"] == "Café Ünïcode", key


async def test_a_redirect_to_an_impossible_port_is_an_error_answer():
    def answer(request):
        return httpx.Response(301, headers={"location": "https://api.mixcloud.com:99999/bob/"})

    async with mock(answer) as client:
        result = await client.get("bob")
        assert result.error.type == "HTTPError" and "301" in result.error.message
    async with mock(answer, raise_exceptions=True) as client:
        with pytest.raises(MixcloudError, match="HTTP 301"):
            await client.get("bob")


async def test_keys_and_urls_too_long_to_send_are_refused_before_sending():
    sent = []
    async with mock(lambda request: sent.append(request) or httpx.Response(200, json=USER)
                    ) as client:
        with pytest.raises(ValueError, match=r"key is 100000 characters long"):
            await client.get("a" * 100_000)
        with pytest.raises(ValueError, match=r"key is 100000 characters long"):
            await client.fetch("a" * 100_000)
        with pytest.raises(ValueError, match=r"url is \d+ characters long"):
            await client.search("a" * 100_000)
        with pytest.raises(ValueError, match=r"url is \d+ characters long"):
            await client.get("https://api.mixcloud.com/bob/followers/?offset=" + "1" * 70_000,
                             relative=False)
        with pytest.raises(ValueError, match="url cannot be requested"):
            await client.get("https://api.mixcloud.com/bob/\x00/", relative=False)
    assert sent == []


async def test_closing_with_requests_in_flight_is_clean():
    def slow(connection, request):
        time.sleep(0.5)
        connection.respond(200, json.dumps(USER))

    with HostileServer(slow) as server:
        client = Mixcloud(server.url, retries=RetryPolicy(retries=3, backoff=0.001))
        in_flight = [asyncio.ensure_future(client.get(f"user{n}")) for n in range(4)]
        await asyncio.sleep(0.2)
        await client.close()  # does not raise
        outcomes = await asyncio.gather(*in_flight, return_exceptions=True)
        assert all(isinstance(outcome, TransportError) for outcome in outcomes), outcomes
        assert len(server.requests) == 4  # none sent again on the closed session
        assert (await client.get("bob")).name == "Bob"  # a new request opens a new session
        await client.close()


# -- 14. DEBUG logs of the whole HTTP stack -------------------------------------------------

class Keep(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def echoing_redirect(connection, request):
    """A same-origin 301 whose Location echoes the query, token included, as the API does."""
    if request.path == "/old/":
        connection.respond(301, headers={"location": request.target.replace("/old/", "/new/")})
    else:
        connection.respond(200, json.dumps(USER))


async def test_debug_logs_of_every_http_logger_hold_no_token():
    handler, root = Keep(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with HostileServer(echoing_redirect) as server:
            async with Mixcloud(server.url, access_token=TOKEN) as client:
                assert (await client.get("old")).name == "Bob"
            assert server.requests[0].params["access_token"] == TOKEN  # it was echoed
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    names = {record.name for record in handler.records}
    assert {"httpx", "mixframe", "httpcore.http11"} <= names, names
    lines = [f"{record.getMessage()} {record.args!r} {record.msg!r}" for record in handler.records]
    assert any("location" in line and "/new/" in line for line in lines)
    assert not [line for line in lines if TOKEN in line]


# -- 15. echoes and verbose tracebacks ------------------------------------------------------

def echo_token(request):
    token = request.url.params.get("access_token", "")
    return httpx.Response(400, json={"error": {
        "type": "OAuthException", "message": f"Invalid access token: {token}",
        "detail": {"token": token, "seen": [token]}}})


async def test_a_token_echoed_by_the_server_is_masked_in_errors_results_and_failures():
    async with mock(echo_token, access_token=TOKEN, raise_exceptions=True) as client:
        with pytest.raises(MixcloudError) as caught:
            await client.get("bob")
    error = caught.value
    assert "Invalid access token: ***" in str(error)
    for text in (str(error), repr(error), json.dumps(error.data), error.message,
                 json.dumps(error.extra), error.url):
        assert TOKEN not in text
    async with mock(echo_token, access_token=TOKEN) as client:
        result = await client.follow("bob")
        assert result.error.message == "Invalid access token: ***"
        assert TOKEN not in repr(result.data)
    result = crawl("bob", connections=["followers"], progress=False, access_token=TOKEN,
                   transport=httpx.MockTransport(echo_token), retries=0)
    assert len(result.failures) == 1 and "Invalid access token: ***" in result.failures.to_csv()
    assert TOKEN not in result.failures.to_csv()


def locals_shown(error: BaseException) -> list[str]:
    """What a verbose traceback shows: the repr of every local of every frame."""
    shown, traceback = [], error.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        for name, value in frame.f_locals.items():
            shown.append(f"{frame.f_code.co_name}: {name} = {value!r}")
        traceback = traceback.tb_next
    return shown


async def test_no_local_of_a_not_found_traceback_holds_the_token(sb):
    # The sandbox's token is read from the module each time: a local of this test's own
    # frame (part of the traceback) holding it would fail the test by itself.
    async with on_sandbox(sb, raise_exceptions=True) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.get("no-such-user-anywhere")
        missing = Resource({"key": "/no-such-user-anywhere/", "type": "user"}, mixcloud=client)
        with pytest.raises(NotFoundError) as from_a_model:
            await missing.load()
        assert client.access_token == sandbox.TOKEN  # users still read and set it
        assert "access_token=set" in repr(client)
    assert sb.requests[0].query["access_token"] == "***"  # it was sent
    with on_sandbox(sb, MixcloudSync, raise_exceptions=True) as sync:
        with pytest.raises(NotFoundError) as from_sync:
            sync.get("no-such-user-anywhere")
    for error in (caught.value, from_a_model.value, from_sync.value):
        shown = locals_shown(error)
        assert len(shown) > 5 and any("_native_result" in line for line in shown)
        assert not [line for line in shown if sandbox.TOKEN in line]


async def test_no_local_of_a_transport_error_traceback_holds_the_token():
    def unreachable(request):
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    async with mock(unreachable, access_token=TOKEN) as client:
        with pytest.raises(TransportError) as caught:
            await client.get("bob")
    assert "access_token=***" in str(caught.value) and TOKEN not in str(caught.value)
    assert not [line for line in locals_shown(caught.value) if TOKEN in line]
