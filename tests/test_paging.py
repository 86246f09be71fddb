"""Public paging: Mixcloud.pages() / items(), their sync twins, the walk from a page in hand,
and the one set of stop rules, against the sandbox and small hostile servers."""

from __future__ import annotations

import logging

import httpx
import pytest

from mixframe import DecodeError, Mixcloud, MixcloudSync, NotFoundError, ResourceList, paging

from conftest import on_sandbox

API = "https://api.mixcloud.com"


def truth(sb, path):
    return sb.world.connection_keys(path)


async def test_pages_and_items_walk_a_list_to_its_end(sb, mixcloud):
    expected = truth(sb, "/spartacus/followers/")
    walk = mixcloud.pages("spartacus/followers", limit=10)
    sizes, keys = [], []
    async for page in walk:
        assert isinstance(page, ResourceList)
        sizes.append(len(page))
        keys += [user.key for user in page]
    assert keys == expected and sizes == [10, 10, 10, 5]
    assert walk.stopped == "last_page" and walk.complete and walk.next_url is None
    assert [user.key async for user in mixcloud.items("/spartacus/followers/", limit=7)
            ] == expected
    url = mixcloud.api_url("spartacus/followers") + "?limit=20"
    assert [user.key async for user in mixcloud.items(url)] == expected


async def test_bounds_stop_a_walk_where_asked(sb, mixcloud):
    expected = truth(sb, "/spartacus/followers/")
    walk = mixcloud.pages("spartacus/followers", limit=10, max_pages=2)
    assert sum([len(page) async for page in walk]) == 20
    assert walk.stopped == "max_pages" and not walk.complete
    assert walk.next_url and "until=" in walk.next_url   # where to continue
    items = [user.key async for user in mixcloud.items("spartacus/followers", limit=10,
                                                       max_items=13)]
    assert items == expected[:13]   # exactly max_items, though pages hold 10
    with pytest.raises(ValueError, match="max_pages"):
        mixcloud.pages("spartacus/followers", max_pages=0)
    with pytest.raises(TypeError):
        mixcloud.pages("spartacus/followers", limmit=10)


def test_sync_twins_are_plain_iterators(sb):
    expected = truth(sb, "/spartacus/followers/")
    with on_sandbox(sb, MixcloudSync) as mixcloud:
        walk = mixcloud.pages("spartacus/followers", limit=10)
        pages = list(walk)
        assert [user.key for page in pages for user in page] == expected
        assert walk.stopped == "last_page"
        assert [user.key for user in mixcloud.items("spartacus/followers")] == expected
        first = mixcloud.get("spartacus").followers(limit=10)
        assert [user.key for user in first] == expected[:10]   # a page: its own items only
        assert [user.key for page in first.pages() for user in page] == expected
        assert [user.key for user in first.all_items(max_items=12)] == expected[:12]
        loaded = next(iter(first.all_items())).load()          # sync models all the way
        assert loaded.key == expected[0] and loaded.follower_count is not None


async def test_a_walk_from_a_page_in_hand(sb, mixcloud):
    expected = truth(sb, "/spartacus/followers/")
    first = await (await mixcloud.get("spartacus")).followers(limit=10)
    assert [user.key for page in [p async for p in first.pages()] for user in page] == expected
    assert [user.key async for user in first.all_items()] == expected
    assert [user.key for user in first] == expected[:10]


async def test_a_failed_page_raises_its_typed_error_whatever_raise_exceptions(sb):
    async with on_sandbox(sb, raise_exceptions=False) as mixcloud:
        with pytest.raises(NotFoundError):
            async for _ in mixcloud.pages("no-such-user-anywhere/followers"):
                pass


# -- hostile servers ---------------------------------------------------------------------

def server(pages):
    """A transport answering `pages` (path -> body), and the paths it was asked for."""
    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.path) + "?" + request.url.query.decode())
        body = pages(request)
        return httpx.Response(200, json=body, headers={"content-type": "text/javascript"})

    return httpx.MockTransport(handler), asked


async def test_a_next_that_advances_over_the_same_items_stops_at_once():
    def pages(request):
        offset = int(request.url.params.get("offset", 0))
        return {"data": [{"key": "/same/"}, {"key": "/again/"}],
                "paging": {"next": f"{API}/loop/followers/?offset={offset + 2}"}}

    transport, asked = server(pages)
    async with Mixcloud(transport=transport) as mixcloud:
        walk = mixcloud.pages("loop/followers", max_items=1_000)
        assert [len(page) async for page in walk] == [2]
        assert walk.stopped == "nothing_new" and not walk.complete
        assert len(asked) == 2


async def test_a_next_that_points_back_stops_at_once():
    def pages(request):
        offset = int(request.url.params.get("offset", 0))
        return {"data": [{"key": f"/u{offset}/"}],
                "paging": {"next": f"{API}/loop/followers/?offset={(offset + 1) % 3}"}}

    transport, asked = server(pages)
    async with Mixcloud(transport=transport) as mixcloud:
        walk = mixcloud.pages(f"{API}/loop/followers/?offset=0")
        assert [page[0].key async for page in walk] == ["/u0/", "/u1/", "/u2/"]
        assert walk.stopped == "repeated_next" and len(asked) == 3


async def test_every_walk_has_a_default_bound(monkeypatch, caplog):
    monkeypatch.setattr(paging, "DEFAULT_MAX_PAGES", 5)

    def pages(request):
        offset = int(request.url.params.get("offset", 0))
        return {"data": [{"key": f"/u{offset}/"}],
                "paging": {"next": f"{API}/big/followers/?offset={offset + 1}"}}

    transport, asked = server(pages)
    async with Mixcloud(transport=transport) as mixcloud:
        walk = mixcloud.pages("big/followers", offset=0)
        with caplog.at_level(logging.WARNING, logger="mixframe"):
            assert len([page async for page in walk]) == 5
    assert walk.stopped == "max_pages" and len(asked) == 5
    assert "DEFAULT_MAX_PAGES" in caplog.text


@pytest.mark.parametrize("body, problem", [
    ({"data": 5}, "'data' is int"),
    ({"items": []}, "'data' is missing"),
    ({"data": [3]}, "item 0 is a int"),
    ({"data": [{"key": "/a/", "type": {"x": 1}}]}, "type is a dict"),
    ({"data": [{"key": "/a/?x=1"}]}, "key"),
    ({"data": [{"key": "/../../etc/"}]}, "key"),
    ({"data": [{"key": "https://evil.example/a/"}]}, "key"),
    ({"data": [{"key": "/a/", "metadata": "x"}]}, "metadata is a str"),
    ({"data": [{"key": "/a/", "metadata": {"connections": []}}]}, "connections is a list"),
    ({"data": [{"key": "/a/"}], "paging": {"next": 7}}, "'paging.next' is a int"),
    ({"data": [{"key": "/a/"}], "paging": {"next": ["x"]}}, "'paging.next' is a list"),
    ({"data": [{"key": "/a/"}], "paging": []}, "'paging' is a list"),
    ({"data": [{"key": "/a/"}], "paging": {"next": f"{API}/x/?q=" + "a" * 70_000}},
     "characters long"),
])
async def test_a_page_of_the_wrong_shape_raises_a_typed_error_naming_the_problem(body, problem):
    transport, _ = server(lambda request: body)
    async with Mixcloud(transport=transport) as mixcloud:
        with pytest.raises(DecodeError, match="not a list page") as raised:
            async for _ in mixcloud.pages("bad/followers"):
                pass
    assert problem in str(raised.value)


async def test_caught_up_ends_a_walk_before_a_page_the_caller_holds():
    """The refresh's hook: a page that links on and brings nothing the caller holds is not
    yielded; a last page always is (the walk then saw the whole list)."""
    api = f"{API}/bob/followers/?offset="
    book = {api + "0": {"data": [{"key": "/new/"}, {"key": "/a/"}], "paging": {"next": api + "2"}},
            api + "2": {"data": [{"key": "/b/"}, {"key": "/c/"}], "paging": {"next": api + "4"}},
            api + "4": {"data": [{"key": "/d/"}]}}
    held = {"/a/", "/b/", "/c/", "/d/"}
    asked: list[str] = []

    async def fetch(url):
        asked.append(url)
        return book[url]

    async def caught_up(page):
        return all(item["key"] in held for item in page["data"])

    walk = paging.ListWalk(fetch, api + "0", caught_up=caught_up)
    assert [item["key"] async for page in walk for item in page["data"]] == ["/new/", "/a/"]
    assert walk.stopped == "caught_up" and not walk.complete and walk.next_url is None
    assert asked == [api + "0", api + "2"]
    held.add("/new/")
    last = paging.ListWalk(fetch, api + "4", caught_up=caught_up)
    assert [page async for page in last] == [book[api + "4"]] and last.stopped == "last_page"
