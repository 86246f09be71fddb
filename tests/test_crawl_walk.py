"""The crawler's walk: the client's one pager and its stop rules, bad pages that end only their
own list (live and replayed from a store), lists that never end, and the same tables for the
same command whatever the timing."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx
import pandas as pd
import pytest

from mixframe import Mixcloud, RetryPolicy, acrawl, crawl, sandbox

API = "https://api.mixcloud.com"
FAST = RetryPolicy(retries=2, backoff=0.001, backoff_max=0.01)


def user(name: str, **extra) -> dict:
    return {"key": f"/{name}/", "type": "user", "name": name, "username": name,
            "url": f"https://www.mixcloud.com/{name}/", **extra}


def page(names, next_offset=None, path="/bob/followers/") -> dict:
    body = {"data": [user(name) for name in names]}
    if next_offset is not None:
        body["paging"] = {"next": f"{API}{path}?limit=100&offset={next_offset}"}
    return body


class Server:
    """A tiny API: every ``/name/`` is a user, every ``/name/followers/`` an empty list unless
    `pages` says otherwise (by path and ``offset``); `serve` can be replaced by a function of
    the offset. Keeps the requests it saw."""

    def __init__(self, pages=None, serve=None):
        self.pages = dict(pages or {})
        self.serve = serve or {}
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, offset = request.url.path, int(request.url.params.get("offset", 0))
        if path in self.serve:
            return httpx.Response(200, json=self.serve[path](offset))
        if (path, offset) in self.pages:
            body = self.pages[path, offset]
            return httpx.Response(200, content=body if isinstance(body, bytes) else
                                  json.dumps(body).encode())
        if path.endswith("/followers/"):
            return httpx.Response(200, json={"data": []})
        return httpx.Response(200, json=user(path.strip("/")))

    def options(self) -> dict:
        return {"transport": httpx.MockTransport(self.handler), "retries": FAST}

    def offsets(self, path: str) -> list[int]:
        return [int(r.url.params.get("offset", 0)) for r in self.requests if r.url.path == path]


def good_pages() -> dict:
    return {("/bob/followers/", 0): page(["f0", "f1", "f2"], next_offset=3),
            ("/bob/followers/", 3): page(["f3", "f4"]),
            ("/alice/followers/", 0): page(["a0", "a1"], path="/alice/followers/")}


def keys_of(result) -> set[str]:
    return set().union(*(set(frame["key"]) for frame in result.tables.values()))


# -- 1. one pager, one set of stop rules -------------------------------------------------------

LISTS = {  # list shape: (its pages by offset, or a function of the offset; why a walk stops)
    "a next link back to a page already followed": (
        {0: page(["f0", "f1"], next_offset=3), 3: page(["f2"], next_offset=3)},
        "repeated_next"),
    "a next link advancing over the same items for ever": (
        lambda offset: page(["f0", "f1"], next_offset=offset + 2)
        if offset < 2000 else {"data": []}, "nothing_new"),
    "some items repeated, then only repeats": (
        {0: page(["f0", "f1"], next_offset=2), 2: page(["f1", "f2"], next_offset=4),
         4: page(["f2", "f0"], next_offset=6), 6: page(["f9"])}, "nothing_new"),
    "an empty page that links to a next one": (
        {0: page(["f0"], next_offset=1), 1: {"data": [], "paging": {
            "next": f"{API}/bob/followers/?limit=100&offset=2"}}, 2: page(["f5"])},
        "empty_page"),
}


@pytest.mark.parametrize("shape", list(LISTS))
async def test_the_crawl_walks_a_list_as_the_client_pager_does(shape):
    spec, stopped = LISTS[shape]
    if callable(spec):
        server = Server(serve={"/bob/followers/": spec})
    else:
        server = Server({("/bob/followers/", offset): body for offset, body in spec.items()})
    async with Mixcloud(**server.options()) as client:
        walk = client.pages("bob/followers", limit=100)
        expected = [item.key async for page in walk for item in page]
        assert walk.stopped == stopped
        pager_offsets = server.offsets("/bob/followers/")
    server.requests.clear()
    result = await acrawl("bob", connections=["followers"], progress=False, **server.options())
    assert server.offsets("/bob/followers/") == pager_offsets
    edges = result.edges.sort_values("position")
    assert list(edges["target_key"]) == expected
    assert len(result.failures) == 0


# -- 2. one bad page ends only its own list ------------------------------------------------------

NEXT = f"{API}/bob/followers/?limit=100&offset=9"
BAD_LIST_PAGES = {
    "metadata is a str": ({"data": [user("f3", metadata="oops")]}, "metadata is a str"),
    "connections is a list": ({"data": [user("f3", metadata={"connections": []})]},
                              "connections is a list"),
    "next is an int": ({"data": [user("f3")], "paging": {"next": 5}}, "is a int"),
    "next is a list": ({"data": [user("f3")], "paging": {"next": [NEXT]}}, "is a list"),
    "type is a dict": ({"data": [{**user("f3"), "type": {"x": 1}}]}, "type is a dict"),
    "data is 5": ({"data": 5}, "'data' is int"),
    "key holds ?": ({"data": [{**user("f3"), "key": "/f3?access=1/"}]}, "cannot be part"),
    "key holds ..": ({"data": [{**user("f3"), "key": "/../../etc/"}]}, "'..'"),
    "key holds a scheme": ({"data": [{**user("f3"), "key": "https://evil.example/x/"}]},
                           "absolute URL"),
    "next is 70 KB": ({"data": [user("f3")], "paging": {"next": NEXT + "9" * 70_000}},
                      "characters long"),
    "next holds a control character": ({"data": [user("f3")], "paging": {
        "next": NEXT.replace("/followers", "/\x00followers")}}, "control character"),
}
BAD_DETAILS = {
    "metadata is a str": ({**user("bob"), "metadata": "oops"}, "metadata is a str"),
    "connections is a list": ({**user("bob"), "metadata": {"connections": ["followers"]}},
                              "connections is a list"),
    "type is a dict": ({**user("bob"), "type": {"x": 1}}, "type is a dict"),
    "key holds ..": ({**user("bob"), "key": "/bob/../../x/"}, "'..'"),
    "no key": ({"name": "bob"}, "no 'key'"),
}
GOOD_KEYS = {"/bob/", "/alice/", "/f0/", "/f1/", "/f2/", "/f3/", "/f4/", "/a0/", "/a1/"}


def check_one_failure(result, path_fragment: str, message: str) -> None:
    assert len(result.failures) == 1, result.failures.to_dict("records")
    failure = result.failures.iloc[0]
    assert path_fragment in failure["url"] and message in failure["error"], failure.to_dict()


@pytest.mark.parametrize("shape", list(BAD_LIST_PAGES))
def test_a_bad_list_page_is_a_failure_and_the_crawl_goes_on(shape, tmp_path):
    body, message = BAD_LIST_PAGES[shape]
    server = Server({**good_pages(), ("/bob/followers/", 3): body})
    store = tmp_path / "crawl.sqlite"
    run = dict(connections=["followers"], depth=2, store=store, progress=False)
    result = crawl(["bob", "alice"], **run, **server.options())
    check_one_failure(result, "/bob/followers/?limit=100&offset=3", message)
    assert keys_of(result) == GOOD_KEYS - {"/f3/", "/f4/"}
    with sqlite3.connect(store) as db:  # the bad page was never stored
        assert not db.execute("SELECT count(*) FROM pages WHERE url LIKE '%offset=3%'"
                              ).fetchone()[0]
    again = crawl(["bob", "alice"], **run, **server.options())   # a resume asks for it again
    check_one_failure(again, "offset=3", message)
    assert again.stats["requests"] == 1 and keys_of(again) == keys_of(result)


@pytest.mark.parametrize("shape", list(BAD_DETAILS))
def test_a_bad_detail_page_is_a_failure_and_the_crawl_goes_on(shape):
    body, message = BAD_DETAILS[shape]
    server = Server({**good_pages(), ("/bob/", 0): body})
    result = crawl(["bob", "alice"], connections=["followers"], depth=2, progress=False,
                   **server.options())
    check_one_failure(result, "/bob/", message)
    assert keys_of(result) == {"/alice/", "/a0/", "/a1/"}
    assert "/bob/followers/" not in {r.url.path for r in server.requests}


@pytest.mark.parametrize("where, shape", [("/bob/followers/", "type is a dict"),
                                          ("/bob/followers/", "data is 5"),
                                          ("/bob/followers/", "next is an int"),
                                          ("/bob/", "metadata is a str")])
def test_a_bad_page_already_stored_is_a_failure_on_resume(where, shape, tmp_path):
    """Stores written before pages were checked may hold bad pages: replaying one must not
    crash every resume."""
    server = Server(good_pages())
    store = tmp_path / "crawl.sqlite"
    run = dict(connections=["followers"], depth=2, store=store, progress=False)
    first = crawl(["bob", "alice"], **run, **server.options())
    assert len(first.failures) == 0 and keys_of(first) == GOOD_KEYS
    if where == "/bob/":
        body, message = BAD_DETAILS[shape]
        pattern = "%/bob/"
    else:
        body, message = BAD_LIST_PAGES[shape]
        pattern = "%/bob/followers/%offset=3"
    with sqlite3.connect(store) as db:
        changed = db.execute("UPDATE pages SET body = ? WHERE url LIKE ?",
                             (json.dumps(body), pattern)).rowcount
    assert changed == 1
    server.requests.clear()
    resumed = crawl(["bob", "alice"], **run, **server.options())
    check_one_failure(resumed, where, message)
    assert resumed.stats["requests"] == 0 and not server.requests
    lost = {"/f3/", "/f4/"} if where != "/bob/" else {"/bob/", *(f"/f{i}/" for i in range(5))}
    assert keys_of(resumed) == GOOD_KEYS - lost


# -- 3. lists that never end, and max_items --------------------------------------------------------

def test_a_list_whose_next_advances_over_the_same_items_stops():
    server = Server(serve={"/bob/followers/": lambda offset: page(
        ["f0", "f1", "f2"], next_offset=offset + 3) if offset < 3000 else {"data": []}})
    for max_items in (None, 50):
        server.requests.clear()
        result = crawl("bob", connections=["followers"], max_items=max_items, progress=False,
                       **server.options())
        assert server.offsets("/bob/followers/") == [0, 3]  # the second page brings nothing new
        assert keys_of(result) == {"/bob/", "/f0/", "/f1/", "/f2/"}
        assert not result.stats["stopped_at_max_items"]


def test_max_items_stops_an_endless_list_of_new_items_promptly():
    server = Server(serve={"/bob/followers/": lambda offset: page(
        [f"u{offset + i}" for i in range(10)], next_offset=offset + 10)
        if offset < 10_000 else {"data": []}})
    result = crawl("bob", connections=["followers"], max_items=25, concurrency=8,
                   progress=False, **server.options())
    assert server.offsets("/bob/followers/") == [0, 10, 20]  # the 26th resource is on page 3
    assert sum(len(frame) for frame in result.tables.values()) == 25
    assert list(result.users["key"]) == ["/bob/", *(f"/u{i}/" for i in range(24))]
    assert result.stats["stopped_at_max_items"]


def test_max_items_stops_a_wide_crawl_promptly(sb):
    result = crawl("NTSRadio", connections=["followers", "cloudcasts"], depth=3, max_items=30,
                   concurrency=8, progress=False, **sandbox.roots(sandbox.IN_PROCESS_URL),
                   transport=sandbox.transport(sb))
    assert sum(len(frame) for frame in result.tables.values()) == 30
    assert result.stats["stopped_at_max_items"]
    assert sb.request_count <= 3  # the details, then the two first pages of its lists


# -- 4. same command, same tables -----------------------------------------------------------------

HOPS = [["followers", "cloudcasts"], ["followers", "favorites"]]  # 857 resources in all


def jittery():
    """A world whose answers come 0 to 4 ms late, at random."""
    return sandbox.app(seed=4, users=400, latency=0.002, jitter=0.002)


def seeds_of(app):
    """The three users with the most followers."""
    world = app.world
    return sorted(world.usernames(), key=lambda name: (-world.user(name)["follower_count"],
                                                       name))[:3]


def on(app, **extra):
    return {**sandbox.roots(sandbox.IN_PROCESS_URL), "transport": sandbox.transport(app),
            "retries": FAST, **extra}


def assert_same_tables(result, reference):
    """The same tables, but for when their pages were fetched (``fetched_at``)."""
    assert set(result.tables) == set(reference.tables)
    for name, frame in reference.tables.items():
        pd.testing.assert_frame_equal(result.tables[name].drop(columns="fetched_at"),
                                      frame.drop(columns="fetched_at"), obj=name)
    pd.testing.assert_frame_equal(result.edges, reference.edges)
    assert result.stats.get("stopped_at_max_items") == reference.stats.get(
        "stopped_at_max_items")


@pytest.mark.parametrize("max_items", [None, 500])
def test_same_command_same_tables_whatever_the_timing(max_items):
    app = jittery()
    seeds = seeds_of(app)
    run = dict(connections=HOPS, depth=2, max_items=max_items, progress=False)
    reference = crawl(seeds, concurrency=1, **run, **on(app))
    assert reference.stats["items"] == (max_items or 857) and len(reference.failures) == 0
    for _ in range(3):
        assert_same_tables(crawl(seeds, concurrency=8, **run, **on(app)), reference)
    assert reference.stats["stopped_at_max_items"] == (max_items is not None)


async def test_a_resumed_crawl_gives_the_same_tables_as_an_uninterrupted_one(tmp_path):
    app = jittery()
    seeds = seeds_of(app)
    run = dict(connections=HOPS, depth=2, max_items=500, progress=False)
    reference = await acrawl(seeds, concurrency=8, **run, **on(app))
    store = tmp_path / "crawl.sqlite"
    for stop_after in (3, 12):  # stored pages at each interruption
        app.reset_log()
        task = asyncio.ensure_future(acrawl(seeds, concurrency=8, store=store, **run,
                                            **on(app)))
        while app.request_count < stop_after and not task.done():
            await asyncio.sleep(0.001)
        assert not task.done(), "the crawl ended before the interruption"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    resumed = await acrawl(seeds, concurrency=8, store=store, **run, **on(app))
    assert resumed.stats["pages_from_store"] >= 12 and resumed.stats["requests"] > 0
    assert_same_tables(resumed, reference)
