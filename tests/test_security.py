"""The access token goes only to the API's own origin, never in clear, and never shows up in a
repr, exception message or log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from mixframe import Mixcloud, MixcloudError, ResourceList, TransportError, sandbox

TOKEN = "S3CR3T-T0KEN"


class Recorder:
    """A mock network that records every request and answers per host."""

    def __init__(self, answer):
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request):
        self.requests.append(request)
        return self.answer(request)

    def hosts(self):
        return {request.url.host for request in self.requests}


def json_answer(body, status=200, headers=None):
    return lambda request: httpx.Response(status, json=body, headers=headers or {})


async def test_paging_link_to_another_host_is_refused():
    page = ResourceList({"data": [], "paging": {"next": "https://evil.example/steal/?limit=20"}})
    net = Recorder(json_answer({"data": []}))
    async with Mixcloud(access_token=TOKEN, transport=httpx.MockTransport(net)) as client:
        page.mixcloud = client
        with pytest.raises(ValueError, match="host is not the API host") as caught:
            await page.next()
    assert net.requests == [] and TOKEN not in str(caught.value)


async def test_connection_url_to_another_host_or_port_is_refused():
    body = {"key": "/bob/", "type": "user", "metadata": {"connections": {
        "followers": "https://evil.example/bob/followers/",
        "following": "https://api.mixcloud.com:8443/bob/following/"}}}
    net = Recorder(json_answer(body))
    async with Mixcloud(access_token=TOKEN, transport=httpx.MockTransport(net)) as client:
        user = await client.get("bob")
        for connection in (user.followers, user.following):
            with pytest.raises(ValueError, match="refusing to request"):
                await connection()
    assert net.hosts() == {"api.mixcloud.com"} and len(net.requests) == 1


async def test_redirect_to_another_host_is_not_followed():
    def answer(request):
        if request.url.host == "api.mixcloud.com":
            return httpx.Response(302, headers={
                "location": f"https://evil.example/x/?access_token={TOKEN}"})
        return httpx.Response(200, json={"key": "/x/", "type": "user"})

    net = Recorder(answer)
    async with Mixcloud(access_token=TOKEN, transport=httpx.MockTransport(net)) as client:
        result = await client.get("bob")
        assert result.error.type == "HTTPError"
        client._raise_exceptions = True
        with pytest.raises(MixcloudError) as caught:
            await client.get("bob")
    assert net.hosts() == {"api.mixcloud.com"}
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.url


async def test_same_host_redirect_is_followed_with_the_token():
    def answer(request):
        if request.url.path == "/old/":
            return httpx.Response(301, headers={"location": "/new/?metadata=1"})
        return httpx.Response(200, json={"key": "/new/", "type": "user"})

    net = Recorder(answer)
    async with Mixcloud(access_token=TOKEN, transport=httpx.MockTransport(net)) as client:
        assert (await client.get("old")).key == "/new/"
    assert net.requests[-1].url.params["access_token"] == TOKEN


async def test_token_is_never_sent_over_plain_http_except_to_loopback():
    net = Recorder(json_answer({"key": "/x/", "type": "user"}))
    async with Mixcloud("http://api.mixcloud.com", access_token=TOKEN,
                        transport=httpx.MockTransport(net)) as client:
        with pytest.raises(ValueError, match="plain http"):
            await client.get("x")
        client.access_token = None
        await client.get("x")  # without a token plain http is the caller's choice
    assert len(net.requests) == 1 and "access_token" not in net.requests[0].url.params
    for root in ("http://127.0.0.1:9", "http://localhost:9", "http://sandbox.localhost",
                 "http://[::1]:9"):
        net = Recorder(json_answer({"key": "/x/", "type": "user"}))
        async with Mixcloud(root, access_token=TOKEN,
                            transport=httpx.MockTransport(net)) as client:
            await client.get("x")
        assert net.requests[0].url.params["access_token"] == TOKEN


async def test_token_is_not_put_on_www_or_oembed_requests():
    net = Recorder(json_answer({"html": "<iframe></iframe>", "type": "rich"}))
    async with Mixcloud(access_token=TOKEN, transport=httpx.MockTransport(net)) as client:
        await client.oembed("bob/mix")
        await client.embed_json("bob/mix")
    assert all("access_token" not in request.url.params for request in net.requests)


async def test_token_is_absent_from_reprs_errors_and_logs(sb, caplog):
    caplog.set_level(logging.DEBUG)
    app = sandbox.app(seed=2, error_rate=0.5, drop_rate=0.2)
    from mixframe import RetryPolicy
    async with sandbox.client(app, sync=False, raise_exceptions=True,
                              retries=RetryPolicy(retries=2, backoff=0.001)) as client:
        assert sandbox.TOKEN not in repr(client)
        messages = []
        for key in ("spartacus", "no-such-user", "me", "spartacus/followers"):
            try:
                messages.append(repr(await client.get(key)))
            except (MixcloudError, TransportError) as error:
                messages += [str(error), repr(error), error.url or ""]
    assert messages and all(sandbox.TOKEN not in message for message in messages)
    logged = [record.getMessage() for record in caplog.records]
    assert logged and all(sandbox.TOKEN not in line for line in logged)
    assert any("access_token=***" in line for line in logged)


async def test_caller_session_is_never_closed_and_own_session_is(sb):
    session = httpx.AsyncClient(transport=sandbox.transport(sb))
    async with Mixcloud(**sandbox.roots(), session=session) as client:
        assert client._session is session
        await client.get("spartacus")
    assert not session.is_closed
    await session.aclose()
    client = sandbox.client(sb, sync=False, token=False)
    await client.get("spartacus")
    own = client._session
    await client.close()
    assert own.is_closed


def test_loop_argument_is_deprecated_and_bad_configuration_is_refused():
    with pytest.warns(DeprecationWarning, match="loop"):
        Mixcloud(loop=object())
    with pytest.raises(ValueError, match="api_root must be an http"):
        Mixcloud("ftp://api.mixcloud.com")
    with pytest.raises(TypeError, match="session must be an httpx.AsyncClient"):
        Mixcloud(session=object())
    with pytest.raises(TypeError, match="retries must be an int"):
        Mixcloud(retries="3")


def test_subclass_attributes_change_the_defaults():
    class Staging(Mixcloud):
        api_root = "https://staging.example"

    assert Staging()._api_root == "https://staging.example"
    assert Staging("https://other.example")._api_root == "https://other.example"
