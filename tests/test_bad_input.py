"""Bad input across the whole public API, in one table: every row is a call that must end in a
clear typed exception (or an error result that says what went wrong), never a hang, a crash
of the event loop or a silent wrong answer; argument errors must be refused before anything
is sent.

Rows run against the in-process sandbox (``sb``) or, for odd server behaviour, against an
``httpx.MockTransport`` that records every request. After each row the clients must still
work, and neither event loop (the test's, mixframe's private one) may have logged an error.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conftest import on_sandbox
from mixframe import (PICTURE_MAX_SIZE, AccessDict, AuthError, CrawlResult, DecodeError,
                      Mixcloud, MixcloudError, MixcloudOAuth, MixcloudOAuthError,
                      MixcloudOAuthSync, MixcloudSync, Resource, ResourceList, RetryPolicy,
                      ServerError, acrawl, crawl, frames, sandbox)
from mixframe.sync import _runner

FAST = RetryPolicy(retries=2, backoff=0.001, backoff_max=0.01)
TOKEN = "BAD-INPUT-T0KEN"
SECRET = "BAD-INPUT-SECRET"
API = "https://api.mixcloud.com"
SHOW = "spartacus/cinematic-soundscapes"


class Env:
    """What a row can use: clients on the sandbox or on a recording mock network, files."""

    def __init__(self, sb, tmp_path):
        self.sb, self.tmp = sb, tmp_path
        self.sent: list[httpx.Request] = []  # every request a mock transport saw
        self.async_clients: list[Mixcloud] = []
        self.sync_clients: list[MixcloudSync] = []
        self.mp3 = tmp_path / "show.mp3"
        self.mp3.write_bytes(b"ID3" + b"\0" * 2000)
        self.handles = []

    # -- clients ----------------------------------------------------------------------
    def client(self, **options) -> Mixcloud:
        """Async client on the in-process sandbox, with its token."""
        client = on_sandbox(self.sb, **{"retries": FAST, **options})
        self.async_clients.append(client)
        return client

    def sync(self, **options) -> MixcloudSync:
        """Blocking client on the in-process sandbox, with its token."""
        client = on_sandbox(self.sb, MixcloudSync, **{"retries": FAST, **options})
        self.sync_clients.append(client)
        return client

    def _handler(self, answer):
        def handle(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            response = answer(request) if callable(answer) else answer
            # A fresh response per request: one Response object cannot be read twice.
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=response.content)
        return httpx.MockTransport(handle)

    def mock(self, answer, **options) -> Mixcloud:
        """Async client on a mock network answering `answer` (a Response or a function)."""
        options = {"access_token": TOKEN, "retries": FAST, **options}
        client = Mixcloud(transport=self._handler(answer), **options)
        self.async_clients.append(client)
        return client

    def oauth(self, answer, sync=False, **options):
        """OAuth object whose token exchange gets `answer` from a mock network."""
        options = {"client_id": "app", "client_secret": SECRET,
                   "redirect_uri": "http://localhost:8888/cb/", "raise_exceptions": True,
                   **options}
        kind = MixcloudOAuthSync if sync else MixcloudOAuth
        return kind(transport=self._handler(answer), **options)

    def crawl_options(self, **extra) -> dict:
        return {**sandbox.roots(), "transport": sandbox.transport(self.sb),
                "retries": FAST, "progress": False, **extra}

    def mock_crawl(self, answer, seeds="bob", **extra):
        """Crawl `seeds` (followers, depth 1) on a mock network answering `answer`."""
        options = {"connections": ["followers"], "progress": False, "access_token": TOKEN,
                   "retries": FAST, **extra}
        return acrawl(seeds, transport=self._handler(answer), **options)

    # -- files ------------------------------------------------------------------------
    def sparse(self, name: str, size: int):
        path = self.tmp / name
        with open(path, "wb") as handle:
            handle.truncate(size)
        return path

    def handle(self, mode: str, *, closed: bool = False):
        handle = open(self.mp3, mode)
        self.handles.append(handle)
        if closed:
            handle.close()
        return handle

    def users(self, keys) -> Any:
        return frames.to_frame([{"key": key, "type": "user", "name": key.strip("/")}
                                for key in keys], type="user")

    async def close(self):
        for client in self.async_clients:
            await client.close()
        for client in self.sync_clients:
            client.close()
        for handle in self.handles:
            handle.close()


# -- answers of a misbehaving server ----------------------------------------------------------

def answer(status=200, body: Any = b"", content_type="text/javascript; charset=utf-8",
           headers=None):
    if not isinstance(body, bytes):
        body = (body if isinstance(body, str) else json.dumps(body)).encode()
    return httpx.Response(status, content=body,
                          headers={"content-type": content_type, **(headers or {})})


HTML_503 = answer(503, "<html><head><title>503 Service Temporarily Unavailable</title></head>"
                       "<body><h1>503</h1><hr>nginx</body></html>", "text/html")
HTML_500 = answer(500, "<html><body><h1>Internal Server Error</h1></body></html>", "text/html")
HTML_LOGIN = answer(200, "<!DOCTYPE html><html><body><form>Log in</form></body></html>",
                    "text/html")
HUGE = 20_000_000


@functools.cache
def huge_user() -> httpx.Response:
    body = json.dumps({"key": "/bob/", "type": "user", "name": "Bob", "biog": "x" * HUGE})
    return answer(200, body)


@functools.cache
def huge_list() -> httpx.Response:
    items = [{"key": f"/user{i}/", "type": "user", "name": "n" * 150} for i in range(100_000)]
    return answer(200, {"data": items, "name": "Followers"})


@functools.cache
def huge_html() -> httpx.Response:
    return answer(200, "<html>" + "<p>maintenance</p>" * (HUGE // 16) + "</html>", "text/html")


def user_then_page(page: dict, user: dict | None = None):
    """Answer the seed's details, then `page` for its followers."""
    def respond(request):
        if request.url.path.endswith("/followers/"):
            return answer(200, page)
        return answer(200, user or {"key": "/bob/", "type": "user"})
    return respond


# -- expectations -------------------------------------------------------------------------

@dataclass
class Raises:
    """The call raises `error` (or a subclass) whose message holds `match` (a regex)."""

    error: type[BaseException] | tuple
    match: str


@dataclass
class Returns:
    """The call returns; `check(value, env)` asserts on it and returns the text that must hold
    `match` (the error message of an error result, or what proves the answer right)."""

    check: Callable[[Any, Env], str]
    match: str


def error_message(value, env) -> str:
    assert isinstance(value, AccessDict) and "error" in value.data, value
    error = value.data["error"]
    return error.get("message", "") if isinstance(error, dict) else str(error)


def crawl_failure(value, env) -> str:
    assert isinstance(value, CrawlResult)
    assert len(value.failures) == 1, value.failures
    row = value.failures.iloc[0]
    return f"{row['status']} {row['error']} {row['url']}"


def none_result(value, env) -> str:
    assert value is None
    return "None"


def huge_resource(value, env) -> str:
    assert isinstance(value, Resource) and len(value.biog) == HUGE
    return value.key


def huge_page(value, env) -> str:
    assert isinstance(value, ResourceList) and len(value) == 100_000
    assert value[99_999].key == "/user99999/"
    return str(len(value))


def huge_crawl(value, env) -> str:
    assert len(value.failures) == 0 and len(value.users) == 1
    assert len(value.users.loc[0, "biog"]) == HUGE
    return value.users.loc[0, "key"]


def token_sent_verbatim(value, env) -> str:
    tokens = env.sent[-1].url.params.get_list("access_token")
    assert tokens == ["a&access_token=b c=d#e\n"], tokens
    return value.key


def no_blank_token_sent(value, env) -> str:
    assert all("access_token" not in request.url.params for request in env.sent)
    assert isinstance(value, Resource), value
    return value.key


def crawl_stops_on_paging_loop(value, env) -> str:
    assert len(value.failures) == 0 and len(value.edges) == 1
    return f"{len(env.sent)} requests"


def crawl_walks_the_api_url(value, env) -> str:
    """A connection is walked at the API's own URL, never at one the server names."""
    assert len(value.failures) == 0
    assert all(request.url.port is None for request in env.sent)
    return str(env.sent[-1].url)


def action_not_sent(value, env) -> str:
    assert list(value["ok"]) == [False]
    return value.loc[0, "error"]


def write_not_retried(value, env) -> str:
    assert len(env.sent) == 1
    return error_message(value, env)


# -- the table ----------------------------------------------------------------------------

def offline(call, error, match, **marks):
    """An argument error: refused before anything is sent."""
    return pytest.param(call, Raises(error, match), True, **marks)


def online(call, expect, **marks):
    """Odd server behaviour: something is sent; the outcome must still be clear."""
    return pytest.param(call, expect, False, **marks)




ROWS = {
    # -- malformed keys ------------------------------------------------------------------
    "key: tab": offline(lambda e: e.client().get("bob\tjazz"), ValueError,
                        "cannot be part of a Mixcloud key"),
    "key: NUL": offline(lambda e: e.client().get("bob\x00"), ValueError, "cannot be part"),
    "key: DEL": offline(lambda e: e.client().get("bob/\x7fmix"), ValueError, "cannot be part"),
    "key: newline in an action": offline(lambda e: e.client().follow("bob\n"), ValueError,
                                         "cannot be part"),
    "key: '..' in an action": offline(lambda e: e.client().favorite("a/../b"), ValueError,
                                      r"'\.\.'"),
    "key: '.' in an embed": offline(lambda e: e.client().embed_html("bob/./mix"), ValueError,
                                    r"'\.' or '\.\.'"),
    "key: '?' in an embed": offline(lambda e: e.client().embed_json("bob/mix?x=1"), ValueError,
                                    "cannot be part"),
    "key: '#' in oembed": offline(lambda e: e.client().oembed("bob/mix#t=1"), ValueError,
                                  "cannot be part"),
    "key: backslash in edit": offline(lambda e: e.client().edit("bob\\mix", description="d"),
                                      ValueError, "cannot be part"),
    "key: '..' in discover": offline(lambda e: e.client().discover(".."), ValueError,
                                     r"'\.\.'"),
    "key: None": offline(lambda e: e.client().get(None), TypeError, "key must be a str"),
    "key: bytes": offline(lambda e: e.client().get(b"bob"), TypeError, "got bytes"),
    "key: list in an action": offline(lambda e: e.client().repost(["bob", "mix"]), TypeError,
                                      "key must be a str"),
    "key: absolute URL in an action": offline(
        lambda e: e.client().follow(f"{API}/bob/"), ValueError, "absolute URL"),
    "key: absolute URL in a sync get": offline(
        lambda e: e.sync().get("http://sandbox.localhost/bob/"), ValueError, "absolute URL"),
    "key: scheme without slashes": offline(lambda e: e.client().get("https:bob"), ValueError,
                                           "absolute URL"),
    "key: empty target of an action": offline(
        lambda e: e.client().follow(""), ValueError, "key"),
    # -- absolute URLs to other hosts and ports --------------------------------------------
    "url: other host": offline(
        lambda e: e.client().get("https://evil.example/bob/", relative=False), ValueError,
        "refusing to request"),
    "url: other port": offline(
        lambda e: e.client().get("http://sandbox.localhost:8080/bob/", relative=False),
        ValueError, "not the API host"),
    "url: userinfo trick": offline(
        lambda e: e.client().get("http://sandbox.localhost@evil.example/bob/", relative=False),
        ValueError, "refusing to request"),
    "url: trailing-dot host": offline(
        lambda e: e.client().get("http://sandbox.localhost./bob/", relative=False),
        ValueError, "refusing to request"),
    "url: not http": offline(
        lambda e: e.client().get("ftp://sandbox.localhost/bob/", relative=False), ValueError,
        "absolute http"),
    "url: scheme-relative": offline(
        lambda e: e.client().get("//evil.example/bob/", relative=False), ValueError,
        "absolute http"),
    "url: paging link to another port": offline(
        lambda e: ResourceList({"data": [], "paging": {
            "next": "http://sandbox.localhost:1/bob/followers/?offset=20"}},
            mixcloud=e.client()).next(), ValueError, "not the API host"),
    "url: paging link that is no URL": offline(
        lambda e: ResourceList({"data": [], "paging": {"previous": "page 2"}},
                               mixcloud=e.client()).previous(), ValueError, "absolute http"),
    # -- pagination: wrong types and combinations ----------------------------------------
    "paging: offset as str": offline(lambda e: e.client().popular(offset="0"), TypeError,
                                     "offset must be an int"),
    "paging: limit as float": offline(lambda e: e.client().hot(limit=10.0), TypeError,
                                      "limit must be an int"),
    "paging: limit as bool": offline(lambda e: e.client().new(limit=True), TypeError,
                                     "limit must be an int, got bool"),
    "paging: page as bool": offline(lambda e: e.client().popular(page=True), TypeError,
                                    "page must be an int"),
    "paging: negative offset": offline(lambda e: e.client().popular(offset=-1), ValueError,
                                       "offset must be >= 0"),
    "paging: per_page too big": offline(
        lambda e: e.client().search("house", page=1, per_page=101), ValueError,
        "per_page must be <= 100"),
    "paging: page with until": offline(lambda e: e.client().new(page=2, until=1_600_000_000),
                                       ValueError, "page and offset/limit/since/until"),
    "paging: connection limit": offline(
        lambda e: Resource({"key": "/spartacus/", "type": "user", "metadata": {"connections": {
            "followers": "http://sandbox.localhost/spartacus/followers/"}}}, full=True,
            mixcloud=e.client()).followers(limit=500), ValueError, "limit must be <= 100"),
    "paging: sync client": offline(lambda e: e.sync().popular(limit=0), ValueError,
                                   "limit must be >= 1"),
    # -- dates ---------------------------------------------------------------------------
    "date: since='someday'": offline(lambda e: e.client().new(since="someday"), TypeError,
                                     "since: expected datetime"),
    "date: impossible day": offline(lambda e: e.client().new(until="2019-02-30"), TypeError,
                                    "until: expected datetime"),
    "date: infinite timestamp": offline(lambda e: e.client().new(until=float("inf")),
                                        ValueError, "until: timestamp out of range"),
    "date: list": offline(lambda e: e.client().popular(since=[2020]), TypeError, "since"),
    "date: publish_date='someday'": offline(
        lambda e: e.client().edit(SHOW, publish_date="someday"), TypeError, "publish_date"),
    "date: publish_date out of range": offline(
        lambda e: e.client().upload(e.mp3, "Show", publish_date=10 ** 20), ValueError,
        "publish_date"),
    # -- upload files and fields -----------------------------------------------------------
    "upload: directory as mp3": offline(lambda e: e.client().upload(e.tmp, "Show"), ValueError,
                                        "mp3 must be a regular file"),
    "upload: directory as picture": offline(
        lambda e: e.client().upload(e.mp3, "Show", picture=e.tmp), ValueError,
        "picture must be a regular file"),
    "upload: missing picture, sync": offline(
        lambda e: e.sync().upload(e.mp3, "Show", picture=e.tmp / "none.jpg"), FileNotFoundError,
        "picture file not found"),
    "upload: oversize picture on edit": offline(
        lambda e: e.client().edit(SHOW, picture=e.sparse("big.jpg", PICTURE_MAX_SIZE + 1)),
        ValueError, "picture file size must be 10485760 bytes at most"),
    "upload: closed handle": offline(
        lambda e: e.client().upload(e.handle("rb", closed=True), "Show"), ValueError,
        "closed file"),
    "upload: text-mode handle": offline(lambda e: e.client().upload(e.handle("r"), "Show"),
                                        TypeError, "binary mode"),
    "upload: mp3 None": offline(lambda e: e.client().upload(None, "Show"), TypeError,
                                "mp3 must be a path or a binary file"),
    "upload: too many tags, sync": offline(
        lambda e: e.sync().upload(e.mp3, "Show", tags=["a", "b", "c", "d", "e", "f"]),
        ValueError, "5 tags at most"),
    "upload: tag a bool": offline(lambda e: e.client().edit(SHOW, tags=["house", True]),
                                  TypeError, r"tags\[1\] must be a str \(or a number\)"),
    "upload: name blank": offline(lambda e: e.client().upload(e.mp3, "\t"), ValueError,
                                  "name must be a non-empty str"),
    # -- colours and sizes -----------------------------------------------------------------
    "display: 5-digit colour": offline(lambda e: e.client().embed_html(SHOW, color="#ff005"),
                                       ValueError, "color must be 6 hexadecimal digits"),
    "display: colour as int": offline(lambda e: e.client().embed_json(SHOW, color=0xFF0055),
                                      TypeError, "color must be a str"),
    "display: zero width": offline(lambda e: e.client().oembed(SHOW, width=0), ValueError,
                                   "width must be a positive number of pixels"),
    "display: width as bool": offline(lambda e: e.client().embed_json(SHOW, width=True),
                                      TypeError, "width must be an int"),
    "display: height in em": offline(lambda e: e.client().embed_html(SHOW, height="12em"),
                                     ValueError, "height must be a positive number of pixels"),
    "display: float width": offline(lambda e: e.client().embed_json(SHOW, width=1.5),
                                    TypeError, "width"),
    "display: unknown format": offline(lambda e: e.client().oembed(SHOW, format="yaml"),
                                       ValueError, "format must be"),
    "display: widget option not bool": offline(
        lambda e: e.client().embed_json(SHOW, autoplay="yes"), TypeError,
        "autoplay must be True or False"),
    # -- search --------------------------------------------------------------------------
    "search: plural type": offline(lambda e: e.client().search("x", type="users"), ValueError,
                                   "type must be one of cloudcast, user, tag"),
    "search: capitalised type": offline(lambda e: e.client().search("x", type="Tag"),
                                        ValueError, "type must be one of"),
    "search: None type": offline(lambda e: e.client().search("x", type=None), ValueError,
                                 "type must be one of"),
    "search: blank query": offline(lambda e: e.client().search(" \n"), ValueError,
                                   "query must be a non-empty str"),
    "search: query not a str": offline(lambda e: e.sync().search(42), ValueError,
                                       "query must be a non-empty str"),
    # -- tokens --------------------------------------------------------------------------
    "token: int on a read": offline(lambda e: e.client(access_token=123).get("spartacus"),
                                    TypeError, "access_token must be a str"),
    "token: bytes on me()": offline(lambda e: e.client(access_token=b"t").me(), TypeError,
                                    "access_token must be a str"),
    "token: empty on upload": offline(lambda e: e.client(access_token="").upload(e.mp3, "S"),
                                      AuthError, r"access_token must be set to call upload\(\)"),
    "token: whitespace on edit": offline(
        lambda e: e.client(access_token="\t ").edit(SHOW, description="d"), AuthError,
        r"call edit\(\)"),
    "token: empty on a sync action": offline(lambda e: e.sync(access_token="").follow("bob"),
                                             AuthError, r"call follow\(\)"),
    "token: whitespace on me()": offline(
        lambda e: e.client(access_token="  ").me(), AuthError, r"call me\(\)"),
    "token: whitespace is not sent on reads": online(
        lambda e: e.mock(answer(200, {"key": "/bob/", "type": "user"}),
                         access_token="   ").get("bob"),
        Returns(no_blank_token_sent, "/bob/")),
    "token: query characters are encoded": online(
        lambda e: e.mock(answer(200, {"key": "/bob/", "type": "user"}),
                         access_token="a&access_token=b c=d#e\n").get("bob"),
        Returns(token_sent_verbatim, "/bob/")),
    # -- client and OAuth configuration ---------------------------------------------------
    "config: api_root with a query": offline(lambda e: Mixcloud(f"{API}/?x=1"), ValueError,
                                             "must not hold a query"),
    "config: api_root not a str": offline(lambda e: Mixcloud(5), TypeError,
                                          "api_root must be a str"),
    "config: retries as bool": offline(lambda e: Mixcloud(retries=True), TypeError,
                                       "retries must be an int"),
    "config: negative max_wait": offline(lambda e: Mixcloud(max_wait=-1), ValueError,
                                         "max_wait must be a number >= 0"),
    "config: session and transport": offline(
        lambda e: Mixcloud(session=httpx.AsyncClient(), transport=httpx.MockTransport(None)),
        ValueError, "either session or transport"),
    "config: oauth_root not http": offline(lambda e: MixcloudOAuth("ftp://mixcloud.com/oauth"),
                                           ValueError, "oauth_root must be an http"),
    "config: oauth raise_exceptions": offline(lambda e: MixcloudOAuth(raise_exceptions="yes"),
                                              TypeError, "raise_exceptions must be"),
    "oauth: client_id not a str": offline(
        lambda e: MixcloudOAuth(client_id=5, redirect_uri="http://x/").authorization_url,
        ValueError, "client_id must be set"),
    "oauth: code None": offline(lambda e: e.oauth(answer()).access_token(None), ValueError,
                                "code must be a non-empty str"),
    "oauth: code blank, sync": offline(lambda e: e.oauth(answer(), sync=True).access_token(" "),
                                       ValueError, "code must be a non-empty str"),
    "oauth: secret not a str": offline(
        lambda e: e.oauth(answer(), client_secret=123).access_token("c"), ValueError,
        "client_secret must be set"),
    # -- OAuth answers -------------------------------------------------------------------
    "oauth answer: JSON error with 200": online(
        lambda e: e.oauth(answer(200, {"error": "invalid_grant"})).access_token("c"),
        Raises(MixcloudOAuthError, "^invalid_grant$")),
    "oauth answer: query-string error": online(
        lambda e: e.oauth(answer(400, "error=invalid_grant", "text/plain")).access_token("c"),
        Raises(MixcloudOAuthError, "^invalid_grant$")),
    "oauth answer: query-string error, sync": online(
        lambda e: e.oauth(answer(200, "error=invalid_grant&error_description=expired+code",
                                 "text/plain"), sync=True).access_token("c"),
        Raises(MixcloudOAuthError, "invalid_grant")),
    "oauth answer: HTML login page": online(
        lambda e: e.oauth(HTML_LOGIN).access_token("c"),
        Raises(MixcloudOAuthError, r"no access token in the answer \(HTTP 200\)")),
    "oauth answer: HTML 503": online(
        lambda e: e.oauth(HTML_503).access_token("c"),
        Raises(MixcloudOAuthError, r"no access token in the answer \(HTTP 503\)")),
    "oauth answer: empty body": online(
        lambda e: e.oauth(answer(200, b"")).access_token("c"),
        Raises(MixcloudOAuthError, "no access token")),
    "oauth answer: not JSON": online(
        lambda e: e.oauth(answer(200, "ok")).access_token("c"),
        Raises(MixcloudOAuthError, "no access token")),
    "oauth answer: JSON list": online(
        lambda e: e.oauth(answer(200, ["access_token", "abc"])).access_token("c"),
        Raises(MixcloudOAuthError, "no access token")),
    "oauth answer: token not a str": online(
        lambda e: e.oauth(answer(200, {"access_token": 12345})).access_token("c"),
        Raises(MixcloudOAuthError, "no access token")),
    "oauth answer: blank token": online(
        lambda e: e.oauth(answer(200, {"access_token": "  "})).access_token("c"),
        Raises(MixcloudOAuthError, "no access token")),
    "oauth answer: redirect elsewhere": online(
        lambda e: e.oauth(answer(302, b"", headers={
            "location": "https://evil.example/steal"})).access_token("c"),
        Raises(MixcloudOAuthError, r"HTTP 302")),
    "oauth answer: 20 MB of garbage": online(
        lambda e: e.oauth(huge_html()).access_token("c"),
        Raises(MixcloudOAuthError, "no access token")),
    "oauth answer: error, not raising": online(
        lambda e: e.oauth(answer(400, {"error": "invalid_grant"}),
                          raise_exceptions=False).access_token("c"),
        Returns(none_result, "None")),
    # -- odd API answers -----------------------------------------------------------------
    "api answer: string error, not raising": online(
        lambda e: e.mock(answer(400, {"error": "invalid_grant"})).get("bob"),
        Returns(error_message, "^invalid_grant$")),
    "api answer: string error, raising": online(
        lambda e: e.mock(answer(400, {"error": "invalid_grant"}),
                         raise_exceptions=True).get("bob"),
        Raises(MixcloudError, "invalid_grant")),
    "api answer: string error on an action": online(
        lambda e: e.mock(answer(401, {"error": "invalid_token"}),
                         raise_exceptions=True).follow("bob"),
        Raises(AuthError, "invalid_token")),
    "api answer: HTML 503 after retries": online(
        lambda e: e.mock(HTML_503, raise_exceptions=True).get("bob"),
        Raises(ServerError, "HTTP 503")),
    "api answer: HTML 500 on a write is not retried": online(
        lambda e: e.mock(HTML_500).follow("bob"), Returns(write_not_retried, "HTTP 500")),
    "api answer: HTML 200": online(
        lambda e: e.mock(HTML_LOGIN, raise_exceptions=True).get("bob"),
        Raises(DecodeError, r"not a JSON object \(text/html\)")),
    "api answer: not JSON": online(lambda e: e.mock(answer(200, "OK")).get("bob"),
                                   Returns(error_message, "not a JSON object")),
    "api answer: truncated JSON": online(
        lambda e: e.mock(answer(200, '{"key": "/bob/", "type": "us'),
                         raise_exceptions=True).get("bob"),
        Raises(DecodeError, "not a JSON object")),
    "api answer: empty body on a read": online(
        lambda e: e.mock(answer(200, b""), raise_exceptions=True).get("bob"),
        Raises(DecodeError, "JSON|empty")),
    "api answer: JSON null on a read": online(
        lambda e: e.mock(answer(200, "null"), raise_exceptions=True).get("bob"),
        Raises(DecodeError, "JSON|empty")),
    "api answer: redirect to another host": online(
        lambda e: e.mock(answer(301, b"", headers={"location": "https://evil.example/bob/"}),
                         raise_exceptions=True).get("bob"),
        Raises(MixcloudError, "HTTP 301")),
    "api answer: 20 MB JSON object": online(lambda e: e.mock(huge_user()).get("bob"),
                                            Returns(huge_resource, "^/bob/$")),
    "api answer: 100 000 items in one page": online(
        lambda e: e.mock(huge_list()).get("bob/followers"), Returns(huge_page, "100000")),
    "api answer: 20 MB HTML": online(
        lambda e: e.mock(huge_html(), raise_exceptions=True).get("bob"),
        Raises(DecodeError, "not a JSON object")),
    # -- crawl arguments -----------------------------------------------------------------
    "crawl: depth as str": offline(lambda e: acrawl("spartacus", depth="2", **e.crawl_options()),
                                   ValueError, "depth must be an int >= 0"),
    "crawl: depth as bool": offline(lambda e: crawl("spartacus", depth=True,
                                                    **e.crawl_options()),
                                    ValueError, "depth must be an int >= 0"),
    "crawl: unknown connection of a type": offline(
        lambda e: acrawl("spartacus", connections={"user": "followerz"}, **e.crawl_options()),
        ValueError, "user has no connection 'followerz'"),
    "crawl: connections not names": offline(
        lambda e: acrawl("spartacus", connections=42, **e.crawl_options()), TypeError,
        "connections must be a list"),
    "crawl: hops mixed with names": offline(
        lambda e: acrawl("spartacus", connections=[["followers"], "cloudcasts"], depth=2,
                         **e.crawl_options()), (TypeError, ValueError), "connections"),
    "crawl: seeds not a key": offline(
        lambda e: acrawl(42, **e.crawl_options()), (TypeError, ValueError), "seed"),
    "crawl: seed with NUL": offline(lambda e: acrawl(["spartacus", "bob\x00"],
                                                     **e.crawl_options()),
                                    ValueError, "cannot be part of a Mixcloud key"),
    "crawl: store is a directory": offline(
        lambda e: acrawl("spartacus", store=e.tmp, **e.crawl_options()), ValueError,
        "not a mixframe crawl store"),
    "crawl: store not a path": offline(lambda e: acrawl("spartacus", store=42,
                                                        **e.crawl_options()),
                                       TypeError, "os.PathLike"),
    "crawl: max_items as bool": offline(
        lambda e: acrawl("spartacus", max_items=True, **e.crawl_options()), ValueError,
        "max_items must be an int >= 1"),
    "crawl: page_size 0": offline(lambda e: crawl("spartacus", page_size=0, **e.crawl_options()),
                                  ValueError, "page_size must be an int >= 1"),
    "crawl: client not a client": offline(lambda e: acrawl("spartacus", client="me",
                                                           progress=False),
                                          TypeError, "client must be a Mixcloud"),
    "crawl: client and client options": offline(
        lambda e: acrawl("spartacus", client=e.client(), access_token="x", progress=False),
        TypeError, "either client or client options"),
    "crawl: bad retries": offline(lambda e: acrawl("spartacus", **e.crawl_options(retries="3")),
                                  TypeError, "retries must be an int"),
    "crawl: bad token": offline(lambda e: acrawl("spartacus",
                                                 **e.crawl_options(access_token=123)),
                                TypeError, "access_token must be a str"),
    # -- crawl pages from a misbehaving server -------------------------------------------
    "crawl page: HTML 503": online(lambda e: e.mock_crawl(HTML_503),
                                   Returns(crawl_failure, "^503 HTTPError: HTTP 503")),
    "crawl page: empty body": online(lambda e: e.mock_crawl(answer(200, b"")),
                                     Returns(crawl_failure, "DecodeError")),
    "crawl page: string error": online(
        lambda e: e.mock_crawl(answer(400, {"error": "invalid_grant"})),
        Returns(crawl_failure, "invalid_grant")),
    "crawl page: paging link to another host": online(
        lambda e: e.mock_crawl(user_then_page({
            "data": [{"key": "/ann/", "type": "user"}],
            "paging": {"next": "https://evil.example/bob/followers/?offset=1"}})),
        Returns(crawl_failure, "refusing to request 'https://evil.example/")),
    "crawl page: connection URL on another port": online(
        lambda e: e.mock_crawl(user_then_page({"data": []}, {
            "key": "/bob/", "type": "user", "metadata": {"connections": {
                "followers": f"{API}:8443/bob/followers/"}}})),
        Returns(crawl_walks_the_api_url, "^https://api.mixcloud.com/bob/followers/")),
    "crawl page: paging link to itself": online(
        lambda e: e.mock_crawl(user_then_page({
            "data": [{"key": "/ann/", "type": "user"}],
            "paging": {"next": f"{API}/bob/followers/?limit=100"}})),
        Returns(crawl_stops_on_paging_loop, "requests")),
    "crawl page: 20 MB seed": online(lambda e: e.mock_crawl(huge_user(), connections=None),
                                     Returns(huge_crawl, "^/bob/$")),
    # -- the DataFrame accessor ----------------------------------------------------------
    "accessor: unknown connection": offline(
        lambda e: e.users(["/spartacus/"]).mixcloud.connection("similar", client=e.sync()),
        ValueError, "user rows have no connection 'similar'"),
    "accessor: errors value": offline(
        lambda e: e.users(["/spartacus/"]).mixcloud.load(client=e.sync(), errors="ignore"),
        ValueError, "errors must be 'raise' or 'skip'"),
    "accessor: too many rows to act on": offline(
        lambda e: e.users([f"/u{i}/" for i in range(30)]).mixcloud.follow(client=e.sync()),
        ValueError, "nothing was sent"),
    # The accessor reports a bad row in its result rather than raising: an error result.
    "accessor: bad key in a row is not sent": pytest.param(
        lambda e: e.users(["a/../b"]).mixcloud.follow(client=e.sync()),
        Returns(action_not_sent, r"'\.\.'.*not sent"), True),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("call, expect, nothing_sent", list(ROWS.values()), ids=list(ROWS))
async def test_bad_input_gets_a_clear_error(sb, tmp_path, call, expect, nothing_sent):
    env = Env(sb, tmp_path)
    loop_errors = []
    loops = [asyncio.get_running_loop(), _runner._running_loop()]
    for loop in loops:
        loop.set_exception_handler(lambda loop, context: loop_errors.append(context))
    try:
        async def run():
            value = call(env)
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, timeout=30)  # a hang fails, clearly
            return value

        if isinstance(expect, Raises):
            with pytest.raises(expect.error, match=expect.match) as caught:
                await run()
            assert not isinstance(caught.value, (AttributeError, KeyError, IndexError,
                                                 UnboundLocalError, RecursionError))
        else:
            text = expect.check(await run(), env)
            assert re.search(expect.match, text), text
        if nothing_sent:
            assert sb.request_count == 0, [r.path for r in sb.requests]
            assert env.sent == []
        assert all(request.url.host != "evil.example" for request in env.sent)
        # Everything still works: the test's loop, the sandbox, and mixframe's private loop.
        assert (await env.client().get("spartacus")).key == "/spartacus/"
        assert env.sync().get("spartacus").key == "/spartacus/"
    finally:
        await env.close()
        gc.collect()  # surface "exception was never retrieved" of abandoned tasks
        await asyncio.sleep(0)
        for loop in loops:
            loop.set_exception_handler(None)
    assert loop_errors == []
