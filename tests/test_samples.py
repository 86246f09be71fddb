"""Real recorded Mixcloud responses, replayed through the client: models and decoder must
handle every shape the API has served."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from conftest import SAMPLES, sample
from mixframe import (AccessDict, AuthError, Mixcloud, RateLimitError, Resource, ResourceList,
                      RetryPolicy)

UTC = timezone.utc
LISTS = ["user-cloudcasts-spartacus-2018.json", "user-comments-spartacus-2018.json",
         "user-favorites-spartacus-2018.json", "user-feed-spartacus-2018.json",
         "user-followers-spartacus-2018.json", "user-following-spartacus-2018.json",
         "user-listens-spartacus-2018.json", "anon-aiomixcloud-comments-metadata.json",
         "anon-aiomixcloud-favorites-metadata.json", "anon-aiomixcloud-followers-metadata.json",
         "tag-popular-funk-limit1-offset1-2018.json", "legacy2013-search-cloudcast-party-time.json",
         "legacy2011-me-favorites-cloudplaylists.json", "user-cloudcasts-empty-nopaging.json"]
OBJECTS = ["user-spartacus-metadata-2018.json", "user-spartacus-metadata-2022-from-vardump.json",
           "legacy2013-user-spartacus-metadata.json", "cloudcast-detail-ntsradio-2014.json",
           "legacy2013-cloudcast-detail-metadata.json", "legacy2011-cloudcast-detail-laidbackradio.json",
           "tag-funk-metadata-2018.json", "legacy2013-category-ambient-metadata.json",
           "legacy2013-artist-aphex-twin-metadata.json", "legacy2013-track-everybody-metadata.json",
           "me-foobar-anon.json"]


def client(recorded, **options):
    return Mixcloud(transport=recorded.transport, **options)


@pytest.mark.parametrize("name", LISTS)
async def test_recorded_lists_become_resource_lists(recorded, name):
    body = sample(name)
    recorded.add_sample("/x/list/", name)
    async with client(recorded) as mixcloud:
        page = await mixcloud.get("x/list")
    assert isinstance(page, ResourceList)
    assert len(page) == len(body["data"])
    assert page.data == json.loads((SAMPLES / name).read_text(),
                                   cls=mixcloud.json_decoder_class)
    for raw, item in zip(body["data"], page):
        assert item["key"] == raw["key"]
        assert page[raw["key"]]["key"] == raw["key"]  # found by key
        if "type" in raw or "url" in raw:
            assert isinstance(item, Resource) and raw["key"] in repr(item)
    if "name" in body:
        assert repr(page) == f"<ResourceList {body['name']!r}>"
    else:
        assert repr(page) == "<ResourceList>"


@pytest.mark.parametrize("name", OBJECTS)
async def test_recorded_objects_become_resources(recorded, name):
    body = sample(name)
    recorded.add_sample("/x/", name)
    async with client(recorded) as mixcloud:
        resource = await mixcloud.get("x")
    assert isinstance(resource, Resource)
    assert resource["key"] == body["key"]
    assert set(resource.keys()) == set(body)
    json.dumps(resource.data, default=str)  # plain data, no wrappers inside
    connections = body.get("metadata", {}).get("connections", {})
    for connection in connections:
        assert callable(getattr(resource, connection.replace("-", "_")))


async def test_timestamps_are_aware_utc_datetimes_and_names_stay_strings(recorded):
    recorded.add_sample("/spartacus/cloudcasts/", "user-cloudcasts-spartacus-2018.json")
    async with client(recorded) as mixcloud:
        page = await mixcloud.get("spartacus/cloudcasts")
    first = page[0]
    assert first.created_time == datetime(2014, 9, 10, 14, 42, 3, tzinfo=UTC)
    assert isinstance(first.name, str) and isinstance(first.play_count, int)
    assert first.user.key == "/spartacus/" and isinstance(first.user, Resource)
    assert [tag.name for tag in first.tags][:2] == ["Chillout", "Soundtrack"]


async def test_connection_urls_from_http_era_are_upgraded_to_the_api_root(recorded):
    # The 2018 profile links to http://api.mixcloud.com/...; the token must not go in clear.
    recorded.add_sample("/spartacus/", "user-spartacus-metadata-2018.json")
    recorded.add_sample("/spartacus/followers/", "user-followers-spartacus-2018.json")
    async with client(recorded, access_token="tok") as mixcloud:
        user = await mixcloud.get("spartacus")
        followers = await user.followers(limit=20)
    assert len(followers) == len(sample("user-followers-spartacus-2018.json")["data"])
    request = recorded.requests[-1]
    assert request.url.scheme == "https" and request.url.host == "api.mixcloud.com"
    assert dict(request.url.params) == {"limit": "20", "metadata": "1", "access_token": "tok"}


async def test_paging_link_is_followed_with_its_own_query(recorded):
    body = sample("user-cloudcasts-spartacus-2018.json")
    recorded.add_sample("/spartacus/cloudcasts/", "user-cloudcasts-spartacus-2018.json")
    async with client(recorded) as mixcloud:
        page = await mixcloud.get("spartacus/cloudcasts")
        assert await page.next() is None  # last page: only "previous"
        previous = await page.previous()
    assert isinstance(previous, ResourceList)
    assert "next" not in body["paging"]
    params = recorded.requests[-1].url.params
    assert params["since"] == "2014-09-10 14:42:03" and params["limit"] == "20"
    assert params["metadata"] == "1"


async def test_list_without_paging_has_no_neighbours(recorded):
    recorded.add_sample("/zanj/cloudcasts/", "user-cloudcasts-empty-nopaging.json")
    async with client(recorded) as mixcloud:
        page = await mixcloud.get("zanj/cloudcasts")
        assert (len(page), bool(page)) == (0, False)
        assert await page.next() is None and await page.previous() is None
    assert len(recorded.requests) == 1


async def test_recorded_rate_limit_is_a_typed_error_with_retry_after(recorded):
    recorded.add_sample("/me/", "error-ratelimit-403.json")
    # 452 s is longer than max_wait: no wait, the error surfaces at once.
    async with client(recorded, access_token="t", raise_exceptions=True, max_wait=60) as m:
        with pytest.raises(RateLimitError) as caught:
            await m.me()
    error = caught.value
    assert (error.status, error.retry_after, error.type) == (403, 452, "RateLimitException")
    assert str(error) == ("RateLimitException: You have hit your rate limit. Retry after 452 "
                          "seconds. (retry_after: 452)")
    assert error.url == "https://api.mixcloud.com/me/?metadata=1"  # the token joins at the edge
    assert recorded.requests[0].url.params["access_token"] == "t"
    assert len(recorded.requests) == 1


async def test_recorded_rate_limit_without_raising_comes_back_as_error_dict(recorded):
    recorded.add_sample("/x/", "error-ratelimit-403.json")
    async with client(recorded, retries=RetryPolicy(max_wait=1)) as mixcloud:
        result = await mixcloud.get("x")
    assert isinstance(result, AccessDict) and not isinstance(result, Resource)
    assert result.error.type == "RateLimitException"
    assert repr(result.error)  # the error object is no keyless Resource whose repr breaks


async def test_recorded_oauth_error_is_an_auth_error(recorded):
    recorded.add("/me/", sample("error-oauth-access-token-required-2015.json"), status=401)
    async with client(recorded, access_token="bad", raise_exceptions=True) as mixcloud:
        with pytest.raises(AuthError, match="An access_token is required"):
            await mixcloud.me()


async def test_recorded_redirect_without_trailing_slash_is_followed_on_same_host(recorded):
    meta = json.loads((SAMPLES / "redirect-301-user-spartacus-no-trailing-slash.meta.json")
                      .read_text())
    recorded.add("/spartacus", b"", status=301,
                 headers={"location": meta["headers"]["Location"][0],
                          "content-type": "text/html; charset=utf-8"})
    recorded.add_sample("/spartacus/", "user-spartacus-metadata-2018.json")
    async with client(recorded) as mixcloud:
        user = await mixcloud.get("https://api.mixcloud.com/spartacus", relative=False)
    assert user.username == "spartacus"
    assert [r.url.path for r in recorded.requests] == ["/spartacus", "/spartacus/"]
