"""OAuth: authorization URL, and trading a code for a token against the sandbox."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mixframe import MixcloudOAuth, MixcloudOAuthError, sandbox
from mixframe.sync import MixcloudOAuthSync

REDIRECT = "http://localhost:8888/callback/"


def test_authorization_url_exact_form():
    oauth = MixcloudOAuth(client_id="ks76vqq0", redirect_uri="http://test.com/code/")
    assert oauth.authorization_url == ("https://www.mixcloud.com/oauth/authorize?"
                                       "client_id=ks76vqq0&redirect_uri=http://test.com/code/")


def test_authorization_url_with_attributes_set_later_and_custom_root():
    oauth = MixcloudOAuth("https://mixcloud.com/auth/")
    oauth.client_id, oauth.redirect_uri = "0suf43kj", "http://baz.org/foo"
    assert oauth.authorization_url == ("https://mixcloud.com/auth/authorize?"
                                       "client_id=0suf43kj&redirect_uri=http://baz.org/foo")


def test_authorization_url_encodes_query_characters_of_the_redirect():
    oauth = MixcloudOAuth(client_id="id", redirect_uri="https://ex.com/cb?a=1&b=2#f")
    query = parse_qs(urlsplit(oauth.authorization_url).query)
    assert query == {"client_id": ["id"], "redirect_uri": ["https://ex.com/cb?a=1&b=2#f"]}


@pytest.mark.parametrize("settings, missing", [
    ({"client_id": "x"}, "redirect_uri"), ({"redirect_uri": "http://x/"}, "client_id"),
    ({"client_id": "", "redirect_uri": "http://x/"}, "client_id"),
])
def test_authorization_url_needs_id_and_redirect(settings, missing):
    with pytest.raises(ValueError, match=f"{missing} must be set"):
        MixcloudOAuth(**settings).authorization_url


def sandbox_oauth(app, **options):
    return MixcloudOAuth(sandbox.oauth_root(), client_id=sandbox.CLIENT_ID,
                         client_secret=sandbox.CLIENT_SECRET, redirect_uri=REDIRECT,
                         transport=sandbox.transport(app), **options)


async def authorize(app, oauth):
    async with httpx.AsyncClient(transport=sandbox.transport(app)) as browser:
        response = await browser.get(oauth.authorization_url)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return parse_qs(urlsplit(location).query)["code"][0]


async def test_code_trades_for_a_working_token(sb):
    oauth = sandbox_oauth(sb)
    token = await oauth.access_token(await authorize(sb, oauth))
    assert isinstance(token, str) and token
    async with sandbox.client(sb, sync=False, access_token=token) as client:
        me = await client.me()
    assert me.is_current_user is True
    exchange = [r for r in sb.requests if r.path == "/oauth/access_token"][-1]
    assert exchange.query["client_secret"] == "***" and exchange.query["code"] == "***"


async def test_token_request_uses_the_attached_clients_session(sb):
    async with sandbox.client(sb, sync=False, token=False) as client:
        oauth = MixcloudOAuth(sandbox.oauth_root(),
                              client_id=sandbox.CLIENT_ID, client_secret=sandbox.CLIENT_SECRET,
                              redirect_uri=REDIRECT, mixcloud=client)
        client.access_token = await oauth.access_token(await authorize(sb, oauth))
        assert (await client.me()).is_current_user


@pytest.mark.parametrize("own, attached, raises", [
    (None, None, False), (None, False, False), (None, True, True),
    (True, False, True), (False, True, False), (True, None, True),
])
async def test_failed_exchange_tri_state_raise(sb, own, attached, raises):
    client = None if attached is None else sandbox.client(
        sb, sync=False, token=False, raise_exceptions=attached)
    oauth = MixcloudOAuth(sandbox.oauth_root(),
                          client_id=sandbox.CLIENT_ID, client_secret=sandbox.CLIENT_SECRET,
                          redirect_uri=REDIRECT, raise_exceptions=own, mixcloud=client,
                          transport=None if client else sandbox.transport(sb))
    if raises:
        with pytest.raises(MixcloudOAuthError) as caught:
            await oauth.access_token("wrong-code")
        assert str(caught.value) and sandbox.CLIENT_SECRET not in str(caught.value)
        assert sandbox.CLIENT_SECRET not in (caught.value.url or "")
    else:
        assert await oauth.access_token("wrong-code") is None
    if client:
        await client.close()


async def test_codes_are_single_use(sb):
    oauth = sandbox_oauth(sb, raise_exceptions=True)
    code = await authorize(sb, oauth)
    await oauth.access_token(code)
    with pytest.raises(MixcloudOAuthError):
        await oauth.access_token(code)


@pytest.mark.parametrize("answer", [
    httpx.Response(200, text='{"access_token": "abc"}',
                   headers={"content-type": "text/javascript"}),
    httpx.Response(200, text='{"access_token": "abc"}', headers={"content-type": "text/html"}),
    httpx.Response(200, text="access_token=abc", headers={"content-type": "text/plain"}),
])
async def test_token_answer_is_read_whatever_its_content_type(answer):
    oauth = MixcloudOAuth(client_id="i", client_secret="s", redirect_uri="http://x/",
                          transport=httpx.MockTransport(lambda request: answer))
    assert await oauth.access_token("c") == "abc"


@pytest.mark.parametrize("answer, message", [
    (httpx.Response(400, json={"error": "invalid_grant"}), "invalid_grant"),
    (httpx.Response(400, json={"error": {"type": "OAuthException", "message": "bad"}}), "bad"),
    (httpx.Response(502, text="<html>Bad gateway</html>"), "no access token"),
])
async def test_error_answers_give_clear_oauth_errors(answer, message):
    oauth = MixcloudOAuth(client_id="i", client_secret="s", redirect_uri="http://x/",
                          raise_exceptions=True,
                          transport=httpx.MockTransport(lambda request: answer))
    with pytest.raises(MixcloudOAuthError, match=message):
        await oauth.access_token("c")


@pytest.mark.parametrize("settings, match", [
    ({"client_secret": None}, "client_secret must be set"),
    ({"client_id": None}, "client_id must be set"),
    ({"redirect_uri": ""}, "redirect_uri must be set"),
])
async def test_exchange_needs_all_credentials(settings, match):
    oauth = MixcloudOAuth(**{"client_id": "i", "client_secret": "s", "redirect_uri": "http://x/",
                             **settings})
    with pytest.raises(ValueError, match=match):
        await oauth.access_token("c")


async def test_secret_is_never_sent_in_clear_nor_shown(caplog):
    caplog.set_level(logging.DEBUG)
    oauth = MixcloudOAuth("http://www.mixcloud.com/oauth", client_id="i",
                          client_secret="TOPSECRET", redirect_uri="http://x/")
    with pytest.raises(ValueError, match="plain http"):
        await oauth.access_token("c")
    assert "TOPSECRET" not in repr(oauth)
    assert all("TOPSECRET" not in r.getMessage() for r in caplog.records)


def test_sync_oauth_with_a_sync_client(sb):
    with sandbox.client(sb, token=False) as client:
        oauth = MixcloudOAuthSync(sandbox.oauth_root(),
                                  client_id=sandbox.CLIENT_ID,
                                  client_secret=sandbox.CLIENT_SECRET,
                                  redirect_uri=REDIRECT, mixcloud=client)
        import asyncio
        code = asyncio.run(authorize(sb, oauth))
        client.access_token = oauth.access_token(code)
        assert client.me().is_current_user is True
