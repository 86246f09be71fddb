"""The access token and the client secret never leak: not in a repr, an exception (its whole
``__cause__``/``__context__`` chain, its pickle), a log record of any logger at any level, the
crawl's progress bar, a DataFrame's ``attrs``, a written Parquet or CSV file, the crawl's
SQLite store (raw bytes, mid-crawl included), nor a request to any host but the API's (token)
and the OAuth server's (secret).

Distinctive secrets are used throughout: the sandbox's own token and client secret (and the
tokens it issues), and for mock networks a token and a secret holding characters that URLs
percent-encode, searched for in every encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import socket
import traceback
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import httpx
import pandas as pd
import pytest

from conftest import on_sandbox
from mixframe import (Mixcloud, MixcloudError, MixcloudOAuth, MixcloudOAuthSync, MixcloudSync,
                      NotFoundError, RetryPolicy, acrawl, crawl, frames, read_crawl, sandbox)
from mixframe.widgets import LoginWidget

MOCK_TOKEN = "mfx-T0k3n+/=~SEKRIT-7c4e"
MOCK_SECRET = "mfx-Secr3t+/=~SEKRIT-91ab"
WRONG_TOKEN = "mfx-wrong-token-SEKRIT-5d2f"
REDIRECT = "http://localhost:8888/callback/"
API = "https://api.mixcloud.com"
OAUTH = "https://www.mixcloud.com/oauth"
FAST = RetryPolicy(retries=2, backoff=0.001, backoff_max=0.01)


def forms(secret: str) -> list[str]:
    """`secret` as it may show up: raw, percent-encoded, form-encoded."""
    return list(dict.fromkeys([secret, quote(secret, safe=""), quote(secret),
                               quote_plus(secret)]))


SECRETS = [sandbox.TOKEN, sandbox.CLIENT_SECRET, MOCK_TOKEN, MOCK_SECRET, WRONG_TOKEN]
# The distinctive middle of each, should a prefix get cut or re-encoded.
CORES = [sandbox.TOKEN[4:], sandbox.CLIENT_SECRET[-16:], "SEKRIT-7c4e", "SEKRIT-91ab",
         "SEKRIT-5d2f"]


def leaks(text, extra=()) -> list[str]:
    """The secrets (any form) found in `text` (str or bytes)."""
    needles = [form for secret in [*SECRETS, *extra] for form in forms(secret)] + CORES
    if isinstance(text, bytes):
        return [needle for needle in needles if needle.encode() in text]
    return [needle for needle in needles if needle in text]


def assert_clean(text, where, extra=()):
    found = leaks(text, extra)
    assert not found, f"{where} holds {found}"


def sandbox_client(app, **options) -> Mixcloud:
    return on_sandbox(app, **{"retries": FAST, **options})


def sandbox_sync(app, **options) -> MixcloudSync:
    return on_sandbox(app, MixcloudSync, **{"retries": FAST, **options})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def authorize(app_or_url, oauth) -> str:
    """Go through the authorisation page like a browser; return the code."""
    if isinstance(app_or_url, str):
        browser = httpx.AsyncClient()
    else:
        browser = httpx.AsyncClient(transport=sandbox.transport(app_or_url))
    async with browser:
        response = await browser.get(oauth.authorization_url)
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


# -- reprs ----------------------------------------------------------------------------------

async def test_reprs_hold_no_secret(sb, tmp_path):
    shown = {}
    async with sandbox_client(sb) as client:
        user = await client.get("spartacus")
        followers = await user.followers(limit=5)
        shows = await client.get("spartacus/cloudcasts", limit=2)
        show = shows[0]
        await show.load()
        action = await client.follow(followers[0].key)
        oauth = MixcloudOAuth(sandbox.oauth_root(),
                              client_id=sandbox.CLIENT_ID, client_secret=sandbox.CLIENT_SECRET,
                              redirect_uri=REDIRECT, mixcloud=client)
        shown.update(client=client, stats=client.stats, user=user, followers=followers,
                     shows=shows, show=show, tags=show.tags, action=action,
                     result=action.result, oauth=oauth, policy=client._retry)
        with sandbox_sync(sb) as sync:
            sync_user = sync.get("spartacus")
            sync_page = sync_user.followers(limit=3)
            oauth_sync = MixcloudOAuthSync(sandbox.oauth_root(),
                                           client_id=sandbox.CLIENT_ID,
                                           client_secret=sandbox.CLIENT_SECRET,
                                           redirect_uri=REDIRECT, mixcloud=sync)
            result = crawl("spartacus", connections=["followers"], store=tmp_path / "s.sqlite",
                           progress=False, client=sync)
            shown.update(sync=sync, sync_user=sync_user, sync_page=sync_page,
                         sync_next=sync_page.next(), sync_item=sync_page[0],
                         oauth_sync=oauth_sync, crawl=result,
                         reread=read_crawl(result.to_parquet(tmp_path / "out")))
            widget = LoginWidget(sandbox.CLIENT_ID, sandbox.CLIENT_SECRET, REDIRECT,
                                 oauth_root=sandbox.oauth_root(),
                                 transport=sandbox.transport(sb))
            shown.update(widget=widget)
            for name, thing in shown.items():
                texts = [repr(thing), str(thing), f"{thing!s:>5}"]
                if hasattr(type(thing), "_repr_html_") or hasattr(thing, "_repr_html_"):
                    with contextlib.suppress(AttributeError, TypeError):
                        texts.append(thing._repr_html_())
                texts.append(str(getattr(thing, "source_url", "") or ""))
                for text in texts:
                    assert_clean(text, f"repr of {name}")
            widget.close()
    for name in ("user", "followers", "show", "tags", "action"):
        data = pickle.dumps(shown[name])
        assert_clean(data, f"pickle of {name}")
    assert "access_token=set" in repr(client) and "client_secret=set" in repr(oauth)


# -- exceptions -----------------------------------------------------------------------------

def chain(error: BaseException) -> list[BaseException]:
    """`error` and every exception behind it, suppressed contexts included."""
    found, todo = [], [error]
    while todo:
        current = todo.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        todo += [current.__cause__, current.__context__]
    return found


def assert_error_clean(error: BaseException, where: str, extra=()):
    assert_clean("".join(traceback.format_exception(error)), f"traceback of {where}", extra)
    for link in chain(error):
        label = f"{where} -> {type(link).__name__}"
        for text in (str(link), repr(link), repr(link.args)):
            assert_clean(text, label, extra)
        for attribute in ("url", "data", "message", "extra"):
            value = getattr(link, attribute, None)
            if value is not None:
                assert_clean(json.dumps(value, default=str), f"{label}.{attribute}", extra)
    with contextlib.suppress(pickle.PicklingError, TypeError, AttributeError):
        assert_clean(pickle.dumps(error), f"pickle of {where}", extra)


async def collect_errors(calls) -> dict[str, BaseException]:
    caught = {}
    for name, call in calls.items():
        try:
            value = call()
            if asyncio.iscoroutine(value):
                await value
        except Exception as error:  # noqa: BLE001 - every error is checked below
            caught[name] = error
        else:
            raise AssertionError(f"{name} did not fail")
    return caught


async def test_exceptions_and_their_chains_hold_no_secret(tmp_path):
    app = sandbox.app(seed=4)
    port = closed_port()
    issued = []
    with sandbox.serve(app) as url:
        def client(**options):
            options = {"access_token": sandbox.TOKEN, "retries": FAST,
                       "raise_exceptions": True, **options}
            return Mixcloud(**sandbox.roots(url), **options)

        async def with_fault(fault, coroutine_factory):
            setattr(app.faults, fault, 1.0)
            try:
                return await coroutine_factory()
            finally:
                setattr(app.faults, fault, 0.0)

        oauth = MixcloudOAuth(sandbox.oauth_root(url), client_id=sandbox.CLIENT_ID,
                              client_secret=sandbox.CLIENT_SECRET, redirect_uri=REDIRECT,
                              raise_exceptions=True)
        code = await authorize(url, oauth)
        issued.append(await oauth.access_token(code))
        sync = MixcloudSync(**sandbox.roots(url), access_token=sandbox.TOKEN, retries=FAST,
                            raise_exceptions=True)
        html = httpx.MockTransport(lambda request: httpx.Response(
            200, text="<html>maintenance</html>", headers={"content-type": "text/html"}))
        calls = {
            "dropped connection": lambda: with_fault(
                "drop_rate", lambda: client().get("spartacus")),
            "truncated body": lambda: with_fault(
                "truncate_rate", lambda: client().get("spartacus")),
            "server error": lambda: with_fault("error_rate", lambda: client().get("spartacus")),
            "not found": lambda: client().get("no-such-user-anywhere"),
            "wrong token": lambda: client(access_token=WRONG_TOKEN).me(),
            "token refused in an action": lambda: client(access_token=WRONG_TOKEN).follow(
                "spartacus"),
            "sync not found": lambda: sync.get("no-such-user-anywhere"),
            "sync dropped": lambda: with_fault(
                "drop_rate", lambda: asyncio.to_thread(sync.get, "spartacus")),
            "connection refused": lambda: Mixcloud(
                f"http://127.0.0.1:{port}", access_token=sandbox.TOKEN, retries=0).get("x"),
            "other host, token in the URL": lambda: client().get(
                f"https://evil.example/x/?access_token={sandbox.TOKEN}", relative=False),
            "plain http": lambda: Mixcloud("http://api.example.com",
                                           access_token=sandbox.TOKEN).get("x"),
            "bad root holding the token": lambda: Mixcloud(
                f"{API}/?access_token={sandbox.TOKEN}"),
            "not JSON": lambda: Mixcloud(transport=html, access_token=MOCK_TOKEN,
                                         raise_exceptions=True).get("bob"),
            "used code": lambda: oauth.access_token(code),
            "wrong secret": lambda: MixcloudOAuth(
                sandbox.oauth_root(url), client_id=sandbox.CLIENT_ID,
                client_secret=MOCK_SECRET, redirect_uri=REDIRECT,
                raise_exceptions=True).access_token("whatever"),
            "oauth server down": lambda: MixcloudOAuth(
                f"http://127.0.0.1:{port}/oauth", client_id="id", client_secret=MOCK_SECRET,
                redirect_uri=REDIRECT).access_token("c"),
            "secret over plain http": lambda: MixcloudOAuth(
                "http://www.example.com/oauth", client_id="id", client_secret=MOCK_SECRET,
                redirect_uri=REDIRECT).access_token("c"),
            "accessor load": lambda: frames.to_frame(
                [{"key": "/no-such-user-anywhere/", "type": "user"}],
                type="user").mixcloud.load(client=sync),
        }
        caught = await collect_errors(calls)
        rate_limited = sandbox.app(seed=4, rate_limit=0.01)
        async with sandbox_client(rate_limited, raise_exceptions=True, max_wait=1) as limited:
            await limited.get("spartacus")
            caught.update(await collect_errors({"rate limit": lambda: limited.get("spartacus")}))
        sync.close()
    assert isinstance(caught["not found"], NotFoundError)
    assert all(isinstance(error, (MixcloudError, ValueError)) for error in caught.values())
    for name, error in caught.items():
        assert_error_clean(error, name, extra=issued)
    # a crawl reports its failures as rows: their text is clean too
    result = crawl(["spartacus", "no-such-user-anywhere"], connections=["followers"],
                   progress=False, client=sandbox.client(sandbox.app(seed=4), sync=False))
    assert len(result.failures) == 1
    assert_clean(result.failures.to_csv(), "crawl failures")


async def test_transport_errors_naming_the_url_leave_no_secret_in_the_chain():
    def unreachable(request):
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    caught = await collect_errors({
        "client": lambda: Mixcloud(transport=httpx.MockTransport(unreachable),
                                   access_token=MOCK_TOKEN, retries=0).get("bob"),
        "oauth": lambda: MixcloudOAuth(client_id="id", client_secret=MOCK_SECRET,
                                       redirect_uri=REDIRECT,
                                       transport=httpx.MockTransport(unreachable)
                                       ).access_token("c"),
    })
    for name, error in caught.items():
        assert "***" in str(error)  # the message itself is redacted
        assert_error_clean(error, name)


# -- logs -----------------------------------------------------------------------------------

class Everything(logging.Handler):
    """Keeps every record, fully formatted (arguments, exception and stack included)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        self.records.append(record)
        text = self.format(record)
        if record.stack_info:
            text += record.stack_info
        self.texts.append(f"{text} {record.args!r} {record.msg!r}")


@contextlib.contextmanager
def capture_all_logs():
    handler = Everything()
    root = logging.getLogger()
    loggers = [root] + [logger for logger in logging.root.manager.loggerDict.values()
                        if isinstance(logger, logging.Logger) and not logger.propagate]
    levels = {logger: logger.level for logger in loggers}
    named = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "mixframe")}
    for logger in loggers:
        logger.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in named:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
            logger.setLevel(levels[logger])
        for name, level in named.items():
            logging.getLogger(name).setLevel(level)


async def test_no_log_record_of_any_logger_holds_a_secret(tmp_path):
    app = sandbox.app(seed=6, error_rate=0.2, drop_rate=0.1, truncate_rate=0.1, rate_limit=20)
    issued = []
    with capture_all_logs() as logs:
        with sandbox.serve(app) as url:
            async with Mixcloud(**sandbox.roots(url), access_token=sandbox.TOKEN,
                                retries=RetryPolicy(retries=10, backoff=0.001)) as client:
                page = await (await client.get("spartacus")).followers(limit=20)
                while page is not None:
                    page = await page.next()
                await client.follow("NTSRadio")
                await client.get("no-such-user-anywhere")
                client.access_token = WRONG_TOKEN
                await client.get("me")
            app.faults.error_rate = app.faults.drop_rate = app.faults.truncate_rate = 0.0
            app.faults.rate_limit = None
            oauth = MixcloudOAuth(sandbox.oauth_root(url), client_id=sandbox.CLIENT_ID,
                                  client_secret=sandbox.CLIENT_SECRET, redirect_uri=REDIRECT)
            issued.append(await oauth.access_token(await authorize(url, oauth)))
            assert await oauth.access_token("no-such-code") is None
            with MixcloudSync(**sandbox.roots(url), access_token=issued[0]) as sync:
                assert sync.me().is_current_user
                sync.get("spartacus").cloudcasts(limit=3)
            app.faults.error_rate = 0.2
            crawl("NTSRadio", connections=["followers", "cloudcasts"], store=tmp_path / "c.db",
                  progress=False, access_token=sandbox.TOKEN, **sandbox.roots(url),
                  retries=RetryPolicy(retries=10, backoff=0.001))

        def unreachable(request):
            raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

        async with Mixcloud(transport=httpx.MockTransport(unreachable), access_token=MOCK_TOKEN,
                            retries=FAST) as client:
            with pytest.raises(MixcloudError):
                await client.get("bob")
    names = {record.name for record in logs.records}
    assert "httpx" in names and "mixframe" in names
    assert any(name.startswith("httpcore") for name in names), names
    assert {record.levelno for record in logs.records} >= {logging.DEBUG, logging.INFO}
    assert any("access_token=***" in text for text in logs.texts)
    assert any("client_secret=***" in text for text in logs.texts)
    for text in logs.texts:
        assert_clean(text, "a log record", extra=issued)


# -- progress bar ---------------------------------------------------------------------------

def test_crawl_progress_bar_holds_no_secret(capfd):
    app = sandbox.app(seed=8, rate_limit=4, error_rate=0.2, drop_rate=0.05)
    with sandbox.serve(app) as url:
        result = crawl(["NTSRadio", "no-such-user-anywhere"],
                       connections=["followers", "cloudcasts"], progress=True,
                       access_token=sandbox.TOKEN, **sandbox.roots(url),
                       retries=RetryPolicy(retries=10, backoff=0.001))

    limited = []

    def limit_once(request):
        if request.url.path.endswith("/followers/"):
            if not limited:  # one rate-limit answer naming the URL, token and all
                limited.append(request)
                return httpx.Response(403, headers={"retry-after": "1"}, json={"error": {
                    "type": "RateLimitException", "retry_after": 1,
                    "message": f"slow down on {request.url}"}})
            return httpx.Response(200, json={"data": []})
        return httpx.Response(200, json={"key": "/bob/", "type": "user"})

    crawl("bob", connections=["followers"], progress=True, access_token=MOCK_TOKEN,
          transport=httpx.MockTransport(limit_once), retries=FAST)
    out, err = capfd.readouterr()
    assert "crawl" in err and "rate limited by Mixcloud" in err
    assert result.stats["rate_limit_waits"] > 0 and len(result.failures) == 1
    assert_clean(out, "stdout")
    assert_clean(err, "the progress bar")


# -- frames, files and the store ------------------------------------------------------------

def frames_of(tables: frames.Tables) -> dict[str, pd.DataFrame]:
    """The main frame and the side tables of a to_frame(..., side_tables=True) result."""
    return {"frame": tables.frame, **tables.side}


def store_bytes(store: Path) -> dict[str, bytes]:
    """Raw bytes of the SQLite store and its -wal and -shm files."""
    return {path.name: path.read_bytes() for path in store.parent.glob(store.name + "*")}


class StoreSnapshots(httpx.AsyncBaseTransport):
    """A transport that copies the crawl's store files as each request after the tenth goes
    out: mid-crawl by construction, however fast or slow the machine runs.

    (This test used to poll the store every 20 ms while the crawl ran and needed one poll to
    land between the 11th request and the store's closing: a window of about 10 ms on an idle
    machine, so the test failed now and then in full runs, and always without latency.)
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, store: Path) -> None:
        self.inner, self.store, self.sent, self.copies = inner, store, 0, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent > 10:
            self.copies.append(store_bytes(self.store))
        return await self.inner.handle_async_request(request)


async def test_frames_files_and_the_store_hold_no_secret(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    seeds = [f"{sandbox.roots()['api_root']}/NTSRadio/?access_token={sandbox.TOKEN}", "spartacus",
             "no-such-user-anywhere"]
    snapshots = StoreSnapshots(sandbox.transport(sb), store)
    result = await acrawl(
        seeds, connections=["followers", "cloudcasts", "comments", "feed", "favorites"],
        store=store, progress=False, concurrency=2, **sandbox.roots(),
        transport=snapshots, access_token=sandbox.TOKEN, retries=FAST)
    mid_crawl = snapshots.copies  # the store, its WAL included, while pages pour in
    assert mid_crawl and all(any(name.endswith("-wal") for name in files)
                             for files in mid_crawl)
    for files in [*mid_crawl, store_bytes(store)]:
        for name, data in files.items():
            assert_clean(data, f"store file {name}")
    assert len(result.failures) == 1 and len(result.tables) >= 3

    tables = {**result.tables, "edges": result.edges, "failures": result.failures}
    async with sandbox_client(sb) as client:
        page = await (await client.get("spartacus")).followers(limit=5)
        show = (await client.get("spartacus/cloudcasts", limit=1))[0]
        await show.load()
        tables["page"] = page.to_frame()
        side = show.to_frame(side_tables=True)
        tables.update({f"side {name}": frame for name, frame in frames_of(side).items()})
        tables["show"] = show.to_frame()
    with sandbox_sync(sb) as sync:
        first = tables["page"]
        tables["next page"] = first.mixcloud.next_page(client=sync)
        tables["all pages"] = first.mixcloud.all_pages(max_pages=3, client=sync, progress=False)
        tables["loaded"] = first.head(2).mixcloud.load(client=sync)
        tables["connection"] = first.head(2).mixcloud.connection("cloudcasts", client=sync)
        tables["followed"] = first.head(1).mixcloud.follow(client=sync)
    for name, frame in tables.items():
        assert_clean(json.dumps(frame.attrs, default=str), f"attrs of {name}")
        assert_clean(frame.to_csv(), f"cells of {name}")
    written = [*result.to_parquet(tmp_path / "parquet").iterdir(),
               *result.to_csv(tmp_path / "csv").iterdir()]
    for name in ("page", "next page", "all pages", "loaded", "connection"):
        path = tmp_path / f"{name.replace(' ', '_')}.parquet"
        tables[name].to_parquet(path)  # pandas keeps attrs in the Parquet metadata
        written.append(path)
    assert any(b"mixcloud" in path.read_bytes() for path in written if path.suffix == ".parquet")
    for path in written:
        assert_clean(path.read_bytes(), f"file {path.name}")
    reread = read_crawl(tmp_path / "parquet")
    for name, frame in reread.tables.items():
        assert_clean(json.dumps(frame.attrs, default=str), f"attrs of re-read {name}")


def echoing_server(requests: list):
    """A Graph-API-style server that echoes the caller's token in every link it sends."""
    def answer(request):
        requests.append(request)
        token = quote(request.url.params.get("access_token", ""), safe="")
        if request.url.path.endswith("/followers/"):
            offset = int(request.url.params.get("offset", 0))
            body = {"data": [{"key": f"/fan{offset}/", "type": "user",
                              "url": f"https://www.mixcloud.com/fan{offset}/"}]}
            if offset < 3:
                body["paging"] = {"next": f"{API}/bob/followers/?access_token={token}"
                                          f"&limit=1&offset={offset + 1}"}
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"key": "/bob/", "username": "bob", "type": "user",
                                         "metadata": {
            "connections": {"followers": f"{API}/bob/followers/?access_token={token}"}}})
    return answer


def test_a_token_echoed_in_links_stays_out_of_frames_and_files(tmp_path):
    requests = []
    result = crawl("bob", connections=["followers"], progress=False, access_token=MOCK_TOKEN,
                   transport=httpx.MockTransport(echoing_server(requests)), retries=FAST)
    assert len(result.users) == 5 and len(result.failures) == 0
    assert all(r.url.params.get_list("access_token") == [MOCK_TOKEN] for r in requests)
    for name, frame in {**result.tables, "edges": result.edges}.items():
        assert_clean(frame.to_csv(), f"cells of {name}")
        assert_clean(json.dumps(frame.attrs, default=str), f"attrs of {name}")
    for path in [*result.to_parquet(tmp_path / "p").iterdir(),
                 *result.to_csv(tmp_path / "c").iterdir()]:
        assert_clean(path.read_bytes(), f"file {path.name}")


def test_a_token_echoed_in_links_stays_out_of_the_store(tmp_path):
    store = tmp_path / "echo.sqlite"
    crawl("bob", connections=["followers"], progress=False, access_token=MOCK_TOKEN,
          store=store, transport=httpx.MockTransport(echoing_server([])), retries=FAST)
    for name, data in store_bytes(store).items():
        assert_clean(data, f"store file {name}")


def cache_bytes(folder: Path) -> dict[str, bytes]:
    """Raw bytes of every file of a response cache folder (its database, WAL included)."""
    return {path.name: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


async def test_the_response_cache_holds_no_secret(sb, tmp_path):
    pytest.importorskip("hishel")
    cache = tmp_path / "cache"
    result = await acrawl(["spartacus", "NTSRadio"], connections=["followers", "cloudcasts"],
                          progress=False, cache=cache, **sandbox.roots(),
                          transport=sandbox.transport(sb), access_token=sandbox.TOKEN,
                          retries=FAST)
    assert len(result.edges) > 10
    async with sandbox_client(sb, cache=cache) as client:
        await client.me()
        await client.follow("NTSRadio")
        await client.get("spartacus")
        open_files = cache_bytes(cache)  # while the database is open, WAL and all
    requests = []
    with MixcloudSync(access_token=MOCK_TOKEN, cache=cache, retries=FAST,
                      transport=httpx.MockTransport(echoing_server(requests))) as echoed:
        walked = echoed.get("bob").followers()
        assert any(r.url.params.get("access_token") == MOCK_TOKEN for r in requests)  # sent ...
        assert walked.next() is not None and echoed.fetch("bob")
    files = cache_bytes(cache)
    assert sum(len(data) for data in files.values()) > 50_000  # answers were kept
    for snapshot in (open_files, files):
        for name, data in snapshot.items():
            assert_clean(data, f"cache file {name}")  # ... but is nowhere in the cache


async def test_a_token_echoed_in_links_stays_out_of_source_urls():
    async with Mixcloud(transport=httpx.MockTransport(echoing_server([])),
                        access_token=MOCK_TOKEN) as client:
        first = await (await client.get("bob")).followers()
        second = await first.next()
        for page in (first, second):
            assert_clean(page.source_url, "source_url")


# -- where requests go ----------------------------------------------------------------------

class Network:
    """A mock Internet: records every request, answers by host and path."""

    def __init__(self):
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        host, path = request.url.host, request.url.path
        if host != "api.mixcloud.com" or request.url.scheme != "https" or request.url.port:
            return httpx.Response(200, json={"key": "/stolen/", "type": "user"})
        routes = {
            "/bob/": {"key": "/bob/", "type": "user", "metadata": {"connections": {
                "followers": "https://evil.example/bob/followers/",
                "following": f"{API}:8443/bob/following/",
                "cloudcasts": "http://api.mixcloud.com.evil.example/bob/cloudcasts/",
                "favorites": f"{API}/bob/favorites/",
                "listens": "https://api.mixcloud.com@evil.example/bob/listens/"}}},
            "/bob/favorites/": {"data": [{"key": "/bob/a-show/", "type": "cloudcast"}],
                                "paging": {"next": "https://evil.example/bob/favorites/?o=1"}},
        }
        redirects = {
            "/hop1/": "/hop2/",
            "/hop2/": "https://evil.example/hop3/",
            "/downgrade/": "http://api.mixcloud.com/bob/",
            "/port/": f"{API}:8443/bob/",
            "/upload/": "https://evil.example/upload/",
            "/bob/follow/": "https://evil.example/follow/",
        }
        if path in redirects:
            return httpx.Response(307 if request.method != "GET" else 302,
                                  headers={"location": redirects[path]})
        if path in routes:
            return httpx.Response(200, json=routes[path])
        return httpx.Response(200, json={"data": []})

    def oauth(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "www.mixcloud.com":
            return httpx.Response(302, headers={
                "location": f"https://evil.example/steal?{request.url.query.decode()}"})
        return httpx.Response(200, json={"access_token": "stolen"})


async def test_secrets_go_to_their_own_host_only(tmp_path):
    net = Network()
    transport = httpx.MockTransport(net)
    mp3 = tmp_path / "show.mp3"
    mp3.write_bytes(b"ID3" + b"\0" * 1000)
    async with Mixcloud(access_token=MOCK_TOKEN, transport=transport, retries=0) as client:
        bob = await client.get("bob")
        for name in ("followers", "following", "cloudcasts", "listens"):
            with pytest.raises(ValueError, match="refusing to request"):
                await getattr(bob, name)()
        favorites = await bob.favorites()
        with pytest.raises(ValueError, match="refusing to request"):
            await favorites.next()
        for path in ("hop1", "downgrade", "port"):
            assert "error" in await client.get(path)
        assert "error" in await client.upload(mp3, "Show")
        assert "error" in await client.follow("bob")
        await client.oembed("bob/a-show")
        await client.embed_json("bob/a-show")
    with MixcloudSync(access_token=MOCK_TOKEN, transport=transport, retries=0) as sync:
        with pytest.raises(ValueError, match="refusing to request"):
            sync.get("bob").followers()
        page = frames.page_frame(sync.get("bob").favorites().data, type="cloudcast",
                                 url=f"{API}/bob/favorites/")
        with pytest.raises(ValueError, match="refusing to request"):
            page.mixcloud.next_page(client=sync)
        result = crawl("bob", connections=["followers", "following", "favorites", "listens"],
                       progress=False, client=sync)
    # The crawl walks connections at the API's own URLs, never at those the server names:
    # only the off-host link to the favorites' next page is refused.
    assert list(result.failures["url"]) == ["https://evil.example/bob/favorites/?o=1"]
    oauth_net = httpx.MockTransport(net.oauth)
    oauth = MixcloudOAuth(client_id="app", client_secret=MOCK_SECRET, redirect_uri=REDIRECT,
                          transport=oauth_net)
    assert await oauth.access_token("a-code") is None  # the redirect is not followed
    async with Mixcloud(access_token=MOCK_TOKEN, transport=oauth_net) as attached:
        shared = MixcloudOAuth(client_id="app", client_secret=MOCK_SECRET,
                               redirect_uri=REDIRECT, mixcloud=attached)
        assert await shared.access_token("a-code") is None

    hosts = {(r.url.scheme, r.url.host, r.url.port) for r in net.requests}
    assert hosts <= {("https", "api.mixcloud.com", None), ("https", "www.mixcloud.com", None)}
    assert len(net.requests) >= 15
    for request in net.requests:
        text = [str(request.url).encode(), request.read(),
                *(f"{k}: {v}".encode() for k, v in request.headers.items())]
        holds_token = any(form.encode() in part for form in forms(MOCK_TOKEN) for part in text)
        holds_secret = any(form.encode() in part for form in forms(MOCK_SECRET) for part in text)
        if holds_token:
            assert (request.url.host, request.url.path) != ("www.mixcloud.com",
                                                            "/oauth/access_token")
            assert request.url.host == "api.mixcloud.com", request.url
        if holds_secret:
            assert (request.url.host, request.url.path) == ("www.mixcloud.com",
                                                            "/oauth/access_token")
            assert "access_token" not in request.url.params
        if request.url.host == "www.mixcloud.com" and request.url.path != "/oauth/access_token":
            assert not holds_token  # the website and oEmbed never get the token
