"""Reading through the public client against the sandbox, in process and over loopback HTTP:
what goes over the wire and what comes back."""

from __future__ import annotations

import pytest

from conftest import walk_keys
from mixframe import (AccessDict, AuthError, Mixcloud, NotFoundError, Resource, ResourceList,
                      sandbox)


def last(app):
    return app.requests[-1]


async def test_keys_in_any_slash_form_request_the_canonical_path_once(reader):
    client, app = reader
    for key in ("spartacus", "/spartacus", "spartacus/", "/spartacus/"):
        user = await client.get(key)
        assert isinstance(user, Resource) and user.key == "/spartacus/"
    assert [(r.method, r.path, r.status) for r in app.requests] == [
        ("GET", "/spartacus/", 200)] * 4  # no 301 round trip
    assert last(app).query == {"metadata": "1", "access_token": "***"}


async def test_metadata_gives_types_and_connection_methods(reader):
    client, _ = reader
    user = await client.get("spartacus")
    assert repr(user) == "<Resource: User '/spartacus/'>"
    for name in ("cloudcasts", "comments", "favorites", "feed", "followers", "following",
                 "listens", "playlists"):
        assert name in dir(user) and callable(getattr(user, name))


async def test_extra_params_go_in_the_query(reader):
    client, app = reader
    page = await client.get("spartacus/cloudcasts", limit=5)
    assert isinstance(page, ResourceList) and len(page) == 5
    assert last(app).query == {"limit": "5", "metadata": "1", "access_token": "***"}


async def test_absolute_url_keeps_its_query_without_duplicates(reader):
    client, app = reader
    user = await client.get("spartacus")
    url = user.metadata.connections.followers + "?metadata=1&limit=3"
    page = await client.get(url, relative=False)
    assert len(page) == 3
    assert last(app).path == "/spartacus/followers/"
    assert last(app).query == {"metadata": "1", "limit": "3", "access_token": "***"}


async def test_walking_next_pages_reaches_every_item_once(reader):
    client, app = reader
    user = await client.get("spartacus")
    page = await user.followers(limit=7)
    keys = await walk_keys(page)
    assert len(keys) == len(set(keys)) == user.follower_count
    assert keys == app.world.connection_keys("/spartacus/followers/")


async def test_previous_page_goes_back(reader):
    client, _ = reader
    first = await (await client.get("spartacus")).cloudcasts(limit=2)
    second = await first.next()
    back = await second.previous()
    assert [c.key for c in back] == [c.key for c in first]


async def test_list_item_load_fetches_details_once_unless_forced(reader):
    client, app = reader
    page = await client.get("spartacus/cloudcasts", limit=1)
    show = page[0]
    with pytest.raises(AttributeError, match="'Resource' object has no attribute 'description'"):
        show.description
    count = app.request_count
    assert await show.load() is show
    assert isinstance(show.description, str) and callable(show.comments)
    assert app.request_count == count + 1
    await show.load()
    assert app.request_count == count + 1
    await show.load(force=True)
    assert app.request_count == count + 2
    import json
    json.dumps(show.data, default=str)  # still plain data after merging


async def test_error_answers_without_raising_are_access_dicts(reader):
    client, _ = reader
    missing = await client.get("no-such-user-anywhere")
    assert isinstance(missing, AccessDict) and not isinstance(missing, Resource)
    assert missing.error.type == "NotFoundException"


async def test_error_answers_raise_typed_errors_when_asked(sb):
    async with sandbox.client(sb, sync=False, token=False,
                              raise_exceptions=True) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.get("no-such-user-anywhere")
        assert caught.value.status == 404
        assert caught.value.url.endswith("/no-such-user-anywhere/?metadata=1")
        client.access_token = "not-a-token"
        with pytest.raises(AuthError, match="invalid access token"):
            await client.me()


async def test_load_failure_raises_and_leaves_resource_unchanged(mixcloud, sb):
    page = await mixcloud.get("spartacus/cloudcasts", limit=1)
    show = page[0]
    before = dict(show.data)
    show.data["key"] = "/spartacus/deleted-show/"
    with pytest.raises(NotFoundError):
        await show.load()
    assert "error" not in show.data and show.data.keys() == before.keys()


@pytest.mark.parametrize("call, path, query", [
    (lambda c: c.popular(offset=30, limit=30), "/popular/", {"offset": "30", "limit": "30"}),
    (lambda c: c.hot(page=3), "/popular/hot/", {"offset": "60", "limit": "20"}),
    (lambda c: c.new(since=1000, until=100000), "/new/", {"since": "1000", "until": "100000"}),
    (lambda c: c.popular(page=2, per_page=4), "/popular/", {"offset": "8", "limit": "4"}),
    (lambda c: c.search("party time", offset=90, limit=45), "/search/",
     {"q": "party time", "type": "cloudcast", "offset": "90", "limit": "45"}),
    (lambda c: c.search("spartacus", type="user"), "/search/",
     {"q": "spartacus", "type": "user"}),
    (lambda c: c.discover("funk"), "/discover/funk/", {}),
    (lambda c: c.me(), "/me/", {}),
])
async def test_listing_shortcuts_on_the_wire(reader, call, path, query):
    client, app = reader
    result = await call(client)
    assert "error" not in result.data
    assert last(app).path == path
    assert last(app).query == {**query, "metadata": "1", "access_token": "***"}


async def test_since_until_accept_datetimes_and_strings(reader):
    from datetime import datetime, timezone
    client, app = reader
    await client.new(since=datetime(2015, 8, 9, 0, 10, tzinfo=timezone.utc),
                     until="August 1, 2016 00:00:00GMT")
    assert last(app).query["since"] == "1439079000"
    assert last(app).query["until"] == "1470009600"


@pytest.mark.parametrize("kwargs, error, match", [
    ({"page": 3, "limit": 90}, ValueError, "page and offset/limit/since/until"),
    ({"page": "2"}, TypeError, "page must be an int"),
    ({"page": -1}, ValueError, "page must be >= 0"),
    ({"per_page": 30}, ValueError, "per_page only applies together with page"),
    ({"limit": 101}, ValueError, "limit must be <= 100"),
    ({"limit": 0}, ValueError, "limit must be >= 1"),
    ({"offset": 1.5}, TypeError, "offset must be an int"),
    ({"since": "random text"}, TypeError, "since: expected datetime"),
    ({"until": [1]}, TypeError, "until: expected datetime"),
])
async def test_bad_pagination_is_refused_before_any_request(mixcloud, sb, kwargs, error, match):
    with pytest.raises(error, match=match):
        await mixcloud.popular(**kwargs)
    user = await mixcloud.get("spartacus")
    with pytest.raises(error, match=match):
        await user.followers(**kwargs)
    assert sb.request_count == 1


@pytest.mark.parametrize("call, error, match", [
    (lambda c: c.search("x", type="artist"), ValueError, "type must be one of"),
    (lambda c: c.search("", type="user"), ValueError, "query must be a non-empty str"),
    (lambda c: c.get(42), TypeError, "key must be a str"),
    (lambda c: c.get("https://api.mixcloud.com/spartacus/"), ValueError, "absolute URL"),
    (lambda c: c.get("a/../b"), ValueError, "'..'"),
    (lambda c: c.get("bob?access_token=x"), ValueError, "cannot be part of a Mixcloud key"),
    (lambda c: c.get("spartacus", limit=None, flag=object()), TypeError, "'flag'"),
    (lambda c: c.discover(""), ValueError, "tag must be a non-empty str"),
])
async def test_bad_arguments_name_what_is_wrong(mixcloud, sb, call, error, match):
    with pytest.raises(error, match=match):
        await call(mixcloud)
    assert sb.request_count == 0


async def test_personal_method_without_token_raises_before_any_request(sb):
    async with sandbox.client(sb, sync=False, token=False) as client:
        for token in (None, "", "   "):
            client.access_token = token
            with pytest.raises(AuthError, match=r"access_token must be set to call me\(\)"):
                await client.me()
            with pytest.raises(AuthError, match="follow"):
                await client.follow("spartacus")
    assert sb.request_count == 0


async def test_root_lists_and_search_come_back_as_lists(reader):
    client, _ = reader
    popular = await client.popular(limit=5)
    assert isinstance(popular, ResourceList) and len(popular) == 5
    assert all(isinstance(show, Resource) and show.type == "cloudcast" for show in popular)
    found = await client.search("spartacus", type="user")
    assert "/spartacus/" in [user.key for user in found]
    tag = await client.discover("funk")
    assert tag.type == "tag" and callable(tag.popular)
    assert isinstance(await tag.popular(limit=2), ResourceList)


@pytest.mark.parametrize("answer, kind", [
    ({"status_code": 200, "text": "<html>maintenance</html>",
      "headers": {"content-type": "text/html"}}, "DecodeError"),
    ({"status_code": 502, "text": "<html>Bad gateway</html>",
      "headers": {"content-type": "text/html"}}, "ServerError"),
    ({"status_code": 400, "text": "{}", "headers": {"content-type": "text/javascript"}},
     "MixcloudError"),
    ({"status_code": 200, "text": "[1, 2]"}, "DecodeError"),
])
async def test_non_json_and_html_error_pages_are_never_silent(answer, kind):
    import httpx
    import mixframe
    transport = httpx.MockTransport(lambda request: httpx.Response(**answer))
    async with Mixcloud(transport=transport, retries=0) as client:
        result = await client.get("x")
        assert isinstance(result, AccessDict) and result.error.message
        client._raise_exceptions = True
        with pytest.raises(getattr(mixframe, kind)) as caught:
            await client.get("x")
    assert type(caught.value).__name__ == kind


async def test_empty_successful_body_is_an_empty_result():
    import httpx
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=""))
    async with Mixcloud(transport=transport, access_token="t", raise_exceptions=True) as client:
        result = await client.follow("bob")
    assert isinstance(result, AccessDict) and result.data == {}
