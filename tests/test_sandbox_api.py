"""Tests of the sandbox's world and Mixcloud API app, through plain httpx over ASGI."""

from __future__ import annotations

import hashlib
import json
import os
import html as htmllib
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from mixframe.sandbox import app as sandbox_app, transport as sandbox_transport
from mixframe.sandbox.api import MixcloudAPI
from mixframe.sandbox.world import (CLIENT_ID, CLIENT_SECRET, DEFAULT_USERNAME, TOKEN,
                                    USER_CONNECTIONS, NotFound, UploadedFile, World)

SAMPLES = Path(__file__).parent / "samples"
BASE = "http://sandbox.localhost"
LINK_TIME = re.compile(r"(since|until)=\d{4}-\d{2}-\d{2}\+\d{2}%3A\d{2}%3A\d{2}(&|$)")


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def client_for(world: World, base_url: str = BASE) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=MixcloudAPI(world)),
                             base_url=base_url)


@pytest.fixture
def world() -> World:
    return World(seed=0)


@pytest.fixture
async def client(world: World):
    async with client_for(world) as c:
        yield c


def walk(obj, path="$"):
    """Yield (path, dict) for every dict nested in `obj`."""
    if isinstance(obj, dict):
        yield path, obj
        for k, v in obj.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk(v, f"{path}[{i}]")


PICTURE_MAPS = ("pictures", "cover_pictures", "metadata", "connections", "paging", "result")


def typed_objects(body):
    """Dicts of a body that are API objects (not picture maps, metadata, paging, wrappers)."""
    for path, d in walk(body):
        last = path.rsplit(".", 1)[-1]
        if path == "$" and "data" in d or last in PICTURE_MAPS or last == "error":
            continue
        yield path, d


# -- shapes ---------------------------------------------------------------------------------------

async def test_user_full_form_matches_sample(client):
    recorded = sample("user-spartacus-metadata-2018.json")
    body = (await client.get("/spartacus/?metadata=1")).json()
    assert set(body) == set(recorded)
    assert set(body["metadata"]["connections"]) == set(recorded["metadata"]["connections"])
    assert body["metadata"]["connections"]["followers"] == f"{BASE}/spartacus/followers/"
    for field in ("key", "url", "name", "username", "pictures", "biog", "created_time",
                  "updated_time", "city", "country", "cover_pictures", "picture_primary_color",
                  "is_pro", "is_premium", "type"):
        assert body[field] == recorded[field], field
    plain = (await client.get("/spartacus/")).json()
    assert set(plain) == set(recorded) - {"type", "metadata"}
    assert set(plain["pictures"]) == set(recorded["pictures"])


async def test_cloudcast_list_and_detail_forms_match_samples(client):
    recorded = sample("user-cloudcasts-spartacus-2018.json")
    body = (await client.get("/spartacus/cloudcasts/")).json()
    assert body["name"] == recorded["name"] == "Spartacus's Cloudcasts"
    assert [c["key"] for c in body["data"]] == [c["key"] for c in recorded["data"]]
    for ours, theirs in zip(body["data"], recorded["data"]):
        assert set(ours) == set(theirs)
        assert set(ours["pictures"]) == set(theirs["pictures"])
        assert set(ours["user"]) == set(theirs["user"])
        for field in ("name", "slug", "created_time", "updated_time", "audio_length", "tags",
                      "pictures", "url", "user"):
            assert ours[field] == theirs[field], field
    detail = sample("cloudcast-detail-ntsradio-2014.json")
    ours = (await client.get("/NTSRadio/knee-deep-26th-august-2014/")).json()
    assert set(ours) == set(detail)
    assert ours["description"] == detail["description"]
    assert ours["picture_primary_color"] == detail["picture_primary_color"]
    assert [s["track"]["name"] for s in ours["sections"]] == \
        [s["track"]["name"] for s in detail["sections"]]
    assert set(ours["sections"][0]) == set(detail["sections"][0]) | {"start_time"}
    assert set(ours["sections"][0]["track"]) == set(detail["sections"][0]["track"])
    assert len(ours["pictures"]) == 10


async def test_other_item_shapes_match_samples(client):
    cases = [("/spartacus/comments/", "user-comments-spartacus-2018.json"),
             ("/spartacus/followers/", "user-followers-spartacus-2018.json"),
             ("/spartacus/following/", "user-following-spartacus-2018.json"),
             ("/spartacus/favorites/", "user-favorites-spartacus-2018.json"),
             ("/spartacus/listens/", "user-listens-spartacus-2018.json")]
    for path, name in cases:
        recorded = sample(name)
        body = (await client.get(path)).json()
        assert set(body) == set(recorded), path  # no "name" on following, like the sample
        assert body.get("name") == recorded.get("name"), path
        item_keys = {frozenset(k for k in item if k != "hidden_stats") for item in body["data"]}
        assert item_keys == {frozenset(recorded["data"][0]) - {"hidden_stats"}}, path
    feed = (await client.get("/spartacus/feed/?limit=100")).json()
    assert feed["name"] == "Spartacus's feed"
    recorded = sample("user-feed-spartacus-2018.json")["data"][0]
    kinds = {item["type"] for item in feed["data"]}
    assert kinds == {"upload", "listen", "favorite", "follow"} or kinds >= {"listen", "follow"}
    for item in feed["data"]:
        expected = set(recorded) - {"cloudcasts"} | ({"users"} if item["type"] == "follow"
                                                      else {"cloudcasts"})
        assert set(item) == expected
        assert item["title"] == {"upload": "uploaded", "listen": "listened to",
                                 "favorite": "favorited",
                                 "follow": "is now following"}[item["type"]]
        assert item["key"] == f"/spartacus/feed/{item['url'].rsplit('#', 1)[1]}/"


async def test_tag_shapes_and_paths(client):
    recorded = sample("tag-funk-metadata-2018.json")
    for family in ("tag", "discover", "genres"):
        body = (await client.get(f"/{family}/funk/?metadata=1")).json()
        assert set(body) == set(recorded)
        assert body["key"] == "/discover/funk/" and body["name"] == "Funk"
        assert body["metadata"]["connections"] == {
            name: f"{BASE}/{family}/funk/{name}/" for name in ("popular", "new", "hot")}
    assert (await client.get("/discover/funk/")).json() == {
        "key": "/discover/funk/", "url": "https://www.mixcloud.com/discover/funk/", "name": "Funk"}
    popular = (await client.get("/discover/funk/popular/?limit=1&metadata=1&offset=1")).json()
    theirs = sample("tag-popular-funk-limit1-offset1-2018.json")
    assert set(popular) == set(theirs) == {"data", "paging"}
    assert popular["paging"] == {
        "previous": f"{BASE}/discover/funk/popular/?limit=1&metadata=1&offset=0",
        "next": f"{BASE}/discover/funk/popular/?limit=1&metadata=1&offset=2"}
    assert set(popular["data"][0]) == set(theirs["data"][0])
    for name in ("hot", "new", "latest"):
        body = (await client.get(f"/tag/funk/{name}/")).json()
        assert body["data"] and "name" not in body
    assert (await client.get("/discover/no-such-genre/")).status_code == 404


async def test_type_fields_only_with_metadata(client):
    paths = ["/spartacus/", "/spartacus/party-time/", "/spartacus/cloudcasts/",
             "/spartacus/followers/", "/spartacus/comments/", "/spartacus/listens/",
             "/spartacus/feed/?limit=50", "/NTSRadio/knee-deep-26th-august-2014/",
             "/discover/funk/", "/popular/", "/search/?q=deep&type=user"]
    for path in paths:
        plain = (await client.get(path)).json()
        for where, obj in typed_objects(plain):
            if re.fullmatch(r"\$\.data\[\d+\]", where) and "/feed/" in path:
                assert obj["type"] in ("upload", "listen", "favorite", "follow")
            else:
                assert "type" not in obj, (path, where)
        sep = "&" if "?" in path else "?"
        typed = (await client.get(f"{path}{sep}metadata=1")).json()
        for where, obj in typed_objects(typed):
            assert "type" in obj, (path, where)
        detail_types = {obj["type"] for _, obj in typed_objects(typed)}
        if path.startswith("/NTSRadio"):
            assert detail_types == {"cloudcast", "tag", "user", "section", "track", "artist"}
    single = (await client.get("/spartacus/party-time/")).json()
    assert "metadata" not in single
    typed = (await client.get("/spartacus/party-time/?metadata=1")).json()
    assert typed["metadata"]["connections"] == {
        name: f"{BASE}/spartacus/party-time/{name}/"
        for name in ("comments", "favorites", "listeners", "similar")}


# -- HTTP conventions -----------------------------------------------------------------------------

async def test_missing_trailing_slash_redirects_like_the_real_api(client):
    recorded = sample("redirect-301-user-spartacus-no-trailing-slash.meta.json")
    r = await client.get("/spartacus?limit=1&metadata=1&offset=1")
    assert r.status_code == 301
    assert r.headers["location"] == recorded["headers"]["Location"][0]
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content == b"" and re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    r = await client.get("/tag/funk?limit=1&metadata=1&offset=1")
    assert r.headers["location"] == "/tag/funk/?metadata=1&limit=1&offset=1&metadata=1"
    assert (await client.get("/spartacus/cloudcasts")).headers["location"] == \
        "/spartacus/cloudcasts/"
    assert (await client.get("/me?access_token=x")).headers["location"] == "/me/?access_token=x"
    followed = await client.get("/spartacus?metadata=1", follow_redirects=True)
    assert followed.status_code == 200 and followed.json()["type"] == "user"


async def test_json_headers_format_and_jsonp(client):
    r = await client.get("/spartacus/")
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["vary"] == "Accept-Encoding, Origin"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    assert r.text.startswith('{\n    "key": "/spartacus/", \n')
    r = await client.get("/spartacus/?callback=handle")
    assert r.text.startswith("handle({") and r.text.endswith("});")
    assert json.loads(r.text[len("handle("):-2])["username"] == "spartacus"
    assert (await client.get("/")).json() == {}
    head = await client.head("/spartacus/")
    assert head.status_code == 200 and head.content == b""


# -- paging ---------------------------------------------------------------------------------------

async def walk_pages(client, url, link="next"):
    keys, pages = [], []
    while url:
        r = await client.get(url)
        assert r.status_code == 200, url
        body = r.json()
        pages.append(body)
        keys += [item["key"] for item in body["data"]]
        url = body.get("paging", {}).get(link)
        assert len(pages) < 200
    return keys, pages


DATED_LISTS = ["/spartacus/followers/", "/spartacus/following/", "/spartacus/favorites/",
               "/spartacus/listens/", "/spartacus/feed/", "/spartacus/comments/",
               "/NTSRadio/cloudcasts/", "/spartacus/party-time/listeners/",
               "/spartacus/party-time/favorites/", "/spartacus/party-time/similar/",
               "/discover/funk/new/", "/new/"]


@pytest.mark.parametrize("path", DATED_LISTS)
async def test_date_paging_walks_whole_list(client, world, path):
    expected = world.connection_keys(path)
    assert len(set(expected)) == len(expected)
    limit = max(7, len(expected) // 12)
    keys, pages = await walk_pages(client, f"{path}?limit={limit}")
    assert keys == expected
    first = pages[0]
    if expected:
        assert "previous" in first["paging"]  # even on the first page
        assert LINK_TIME.search(first["paging"]["previous"])
    for page in pages:
        assert ("next" in page.get("paging", {})) == (len(page["data"]) == limit)
        for url in page.get("paging", {}).values():
            assert url.startswith(f"{BASE}{path}?limit={limit}&")
    if len(pages) > 2:  # "previous" of page 2 is exactly page 1
        back = (await client.get(pages[1]["paging"]["previous"])).json()
        assert [i["key"] for i in back["data"]] == [i["key"] for i in first["data"]]


async def test_since_until_accept_timestamps_and_dates(client, world):
    listing = world.listing("/spartacus/followers/")
    items = listing.in_api_order()
    t = listing.ordering_time(items[5])
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
    expected_older = [listing.key(i) for i in items[6:16]]
    for value in (str(t), text, text.replace(" ", "T") + "Z"):
        body = (await client.get("/spartacus/followers/", params={"until": value,
                                                                  "limit": 10})).json()
        assert [i["key"] for i in body["data"]] == expected_older
    body = (await client.get("/spartacus/followers/", params={"since": t, "limit": 3})).json()
    assert [i["key"] for i in body["data"]] == [listing.key(i) for i in items[2:5]]
    newest = listing.ordering_time(items[0])
    body = (await client.get("/spartacus/followers/", params={"since": newest})).json()
    assert body["data"] == [] and "since=" in body["paging"]["previous"]
    bad = await client.get("/spartacus/followers/?until=yesterday")
    assert bad.status_code == 400 and "until" in bad.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/NTSRadio/cloudcasts/", "/spartacus/feed/", "/popular/",
                                  "/popular/hot/", "/discover/house/popular/",
                                  "/search/?q=a&type=user"])
async def test_offset_paging_walks_whole_list(client, world, path):
    expected = world.connection_keys(path)
    sep = "&" if "?" in path else "?"
    keys, pages = await walk_pages(client, f"{path}{sep}limit=30&offset=0")
    assert keys == expected and len(set(keys)) == len(keys)
    assert "previous" not in pages[0].get("paging", {})
    for page in pages[1:]:
        assert "offset=" in page["paging"]["previous"]
    beyond = (await client.get(f"{path}{sep}limit=30&offset={len(expected) + 40}")).json()
    assert beyond["data"] == [] and set(beyond["paging"]) == {"previous"}
    assert beyond["paging"]["previous"].endswith(f"offset={len(expected) + 10}")


async def test_search_and_global_lists(client, world):
    body = (await client.get("/search/?q=deep&type=cloudcast&limit=5")).json()
    assert all("deep" in item["name"].lower() for item in body["data"])
    assert body["paging"]["next"] == f"{BASE}/search/?q=deep&type=cloudcast&limit=5&offset=5"
    assert "previous" not in body["paging"]
    tags = (await client.get("/search/?q=house&type=tag")).json()
    assert {"/discover/deep-house/", "/discover/house/"} <= {t["key"] for t in tags["data"]}
    assert set(tags["data"][0]) == {"key", "url", "name"}
    users = (await client.get("/search/?q=spartacus&type=user")).json()
    assert users["data"][0]["key"] == "/spartacus/"
    for bad in ("/search/?q=x&type=artist", "/search/?q=x"):
        r = await client.get(bad)
        assert r.status_code == 400 and r.json()["error"]["message"]
    assert (await client.get("/popular/")).json()["name"] == "Popular Cloudcasts"
    new = (await client.get("/new/?limit=3")).json()
    assert [i["key"] for i in new["data"]] == world.connection_keys("/new/")[:3]


async def test_limit_default_and_clamp(client):
    body = (await client.get("/NTSRadio/cloudcasts/")).json()
    assert len(body["data"]) == 20 and "limit=20&until=" in body["paging"]["next"]
    body = (await client.get("/NTSRadio/cloudcasts/?limit=500")).json()
    assert len(body["data"]) == 100 and "limit=100&" in body["paging"]["next"]


async def test_links_follow_request_host_and_never_carry_tokens(world):
    async with client_for(world, "https://example.test:8443") as c:
        body = (await c.get(f"/me/followers/?limit=2&metadata=1&access_token={TOKEN}")).json()
        for url in body["paging"].values():
            assert url.startswith("https://example.test:8443/me/followers/?limit=2&metadata=1&")
            assert "access_token" not in url and TOKEN not in url
        me = (await c.get(f"/me/?metadata=1&access_token={TOKEN}")).json()
        assert me["metadata"]["connections"]["feed"] == \
            f"https://example.test:8443/{DEFAULT_USERNAME}/feed/"


# -- world consistency ----------------------------------------------------------------------------

def test_counts_match_lists(world):
    for username in world.usernames()[:40]:
        user = world.user(username)
        for field, connection in (("follower_count", "followers"),
                                  ("following_count", "following"),
                                  ("cloudcast_count", "cloudcasts"),
                                  ("favorite_count", "favorites"), ("listen_count", "listens")):
            assert user[field] == len(world.connection_keys(f"/{username}/{connection}/"))
        for key in world.connection_keys(f"/{username}/cloudcasts/")[:5]:
            cc = world.cloudcast(*key.strip("/").split("/"))
            if cc.get("hidden_stats"):
                continue
            for field, connection in (("favorite_count", "favorites"),
                                      ("listener_count", "listeners"),
                                      ("comment_count", "comments")):
                assert cc[field] == len(world.connection_keys(f"{key}{connection}/"))
            assert cc["play_count"] >= cc["listener_count"]


def test_follow_graph_is_consistent_and_times_unique(world):
    followers = {u: set(world.connection_keys(f"/{u}/followers/")) for u in world.usernames()}
    for u in world.usernames()[:50]:
        for key in world.connection_keys(f"/{u}/following/"):
            assert f"/{u}/" in followers[key.strip("/")]
    for path in DATED_LISTS:
        listing = world.listing(path)
        times = [listing.ordering_time(i) for i in listing.items]
        assert times == sorted(times) and len(set(times)) == len(times), path


def test_hidden_stats_and_well_known_users(world):
    hidden = [k for k in world.cloudcast_keys()
              if world.cloudcast(*k.strip("/").split("/")).get("hidden_stats")]
    assert hidden
    cc = world.cloudcast(*hidden[0].strip("/").split("/"))
    assert all(cc[f] == 0 for f in ("play_count", "favorite_count", "comment_count",
                                    "listener_count", "repost_count"))
    assert world.usernames()[:3] == ["spartacus", "NTSRadio", DEFAULT_USERNAME]
    assert world.user("ntsradio")["key"] == "/NTSRadio/"
    assert len(world.connection_keys("/NTSRadio/cloudcasts/")) > 100
    assert world.connections("/spartacus/") == list(USER_CONNECTIONS)
    assert world.connections("/spartacus/party-time/") == ["comments", "favorites", "listeners",
                                                           "similar"]
    with pytest.raises(NotFound):
        world.user("no-such-user")
    assert not {"oauth", "me", "upload", "search"} & {u.lower() for u in World(
        seed=5, users=2000).usernames()}


# -- errors and auth ------------------------------------------------------------------------------

async def test_error_bodies(client):
    for path in ("/no-such-user/", "/spartacus/no-such-show/", "/spartacus/party-time/nope/",
                 "/spartacus/listen-later/", "/widget/", "/spartacus/party-time/x/y/"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["type"] == "NotFoundException"
    required = "An access_token is required to access this resource."
    for method, path in (("GET", "/me/"), ("GET", "/me/listen-later/"),
                         ("POST", "/spartacus/follow/"), ("POST", "/upload/"),
                         ("POST", "/upload/spartacus/party-time/edit/")):
        r = await client.request(method, path)
        assert r.status_code == 401
        assert r.json() == {"error": {"type": "OAuthException", "message": required}}
    r = await client.get("/me/?access_token=not-a-token")
    assert r.status_code == 401
    assert r.json()["error"] == {"type": "OAuthException",
                                 "message": "An invalid access token was provided"}
    assert "not-a-token" not in r.text
    r = await client.delete("/spartacus/")
    assert r.status_code == 405


# -- actions --------------------------------------------------------------------------------------

async def test_follow_and_unfollow_are_visible(client, world):
    auth = {"access_token": TOKEN}
    target = "spartacus"
    before = (await client.get(f"/{target}/", params=auth)).json()
    assert before["following"] is False
    r = await client.post(f"/{target}/follow/", params=auth)
    assert r.json() == {"result": {"success": True, "message": "Now following spartacus"}}
    after = (await client.get(f"/{target}/", params=auth)).json()
    assert after["following"] is True
    assert after["follower_count"] == before["follower_count"] + 1
    followers = (await client.get(f"/{target}/followers/")).json()
    assert followers["data"][0]["key"] == f"/{DEFAULT_USERNAME}/"
    following = (await client.get("/me/following/", params=auth)).json()
    assert following["data"][0]["key"] == "/spartacus/"
    feed = (await client.get("/me/feed/", params=auth)).json()
    assert feed["data"][0]["type"] == "follow"
    assert feed["data"][0]["users"][0]["key"] == "/spartacus/"
    r = await client.post(f"/{target}/follow/", params=auth, data={"method": "delete"})
    assert r.json()["result"] == {"success": True, "message": "No longer following spartacus"}
    assert (await client.get(f"/{target}/")).json()["follower_count"] == before["follower_count"]
    assert not world.is_following(DEFAULT_USERNAME, target)
    assert (await client.post("/nobody-here/follow/", params=auth)).status_code == 404
    assert (await client.post(f"/{DEFAULT_USERNAME}/follow/", params=auth)).status_code == 400
    me = (await client.get("/me/", params=auth)).json()
    assert me["is_current_user"] is True and me["following"] is False and me["follower"] is False


async def test_cloudcast_actions_are_visible(client, world):
    auth = {"access_token": TOKEN}
    key = "/spartacus/party-time/"
    before = (await client.get(key)).json()
    r = await client.post(f"{key}favorite/", params=auth)
    assert r.json()["result"] == {"success": True, "message": "Favorited Party Time"}
    after = (await client.get(key)).json()
    assert after["favorite_count"] == before["favorite_count"] + 1
    assert (await client.get(f"{key}favorites/")).json()["data"][0]["key"] == \
        f"/{DEFAULT_USERNAME}/"
    assert (await client.get("/me/favorites/", params=auth)).json()["data"][0]["key"] == key
    await client.post(f"{key}repost/", params=auth)
    assert (await client.get(key)).json()["repost_count"] == before["repost_count"] + 1
    r = await client.post(f"{key}listen-later/", params=auth)
    assert r.json()["result"]["success"] is True
    later = (await client.get("/me/listen-later/", params=auth)).json()
    assert [i["key"] for i in later["data"]] == [key]
    for action in ("favorite", "repost", "listen-later"):
        r = await client.delete(f"{key}{action}/", params=auth)
        assert r.status_code == 200 and r.json()["result"]["success"] is True
    final = (await client.get(key)).json()
    assert final["favorite_count"] == before["favorite_count"]
    assert final["repost_count"] == before["repost_count"]
    assert (await client.get("/me/listen-later/", params=auth)).json()["data"] == []
    assert (await client.post("/spartacus/nope/favorite/", params=auth)).status_code == 404


# -- upload and edit ------------------------------------------------------------------------------

MP3 = ("show.mp3", b"ID3" + b"\x00" * 40000, "audio/mpeg")


async def test_upload_validation(client, world):
    auth = {"access_token": TOKEN}
    cases = [
        ({"name": "x"}, {}, "mp3"),
        ({}, {"mp3": MP3}, "name"),
        ({"name": "x"}, {"mp3": MP3, "picture": ("p.jpg", b"0" * 10485761, "image/jpeg")},
         "picture"),
        ({"name": "x", "description": "d" * 1001}, {"mp3": MP3}, "description"),
        ({"name": "x", "tags-5-tag": "funk"}, {"mp3": MP3}, "tags-5-tag"),
        ({"name": "x", "sections-0-artist": "a", "sections-0-song": "s",
          "sections-0-start_time": "1m"}, {"mp3": MP3}, "sections-0-start_time"),
        ({"name": "x", "sections-1-artist": "a"}, {"mp3": MP3}, "sections-1-song"),
        ({"name": "x", "unlisted": "maybe"}, {"mp3": MP3}, "unlisted"),
        ({"name": "x", "publish_date": "2030-01-01 10:00:00"}, {"mp3": MP3}, "publish_date"),
    ]
    for fields, files, field in cases:
        r = await client.post("/upload/", params=auth, data=fields, files=files or None)
        assert r.status_code == 400, field
        error = r.json()["error"]
        assert error["type"] == "UploadException" and field in error["message"], error
    r = await client.post("/upload/", params=auth, data={"name": "form only"})
    assert r.status_code == 400 and "mp3" in r.json()["error"]["message"]
    assert world.uploads[-1]["ok"] is False and world.uploads[-1]["error"]
    r = await client.post("/upload/", params=auth, data={"name": "x", "mp3": "not a file"})
    assert "mp3" in r.json()["error"]["message"]
    ok = await client.post("/upload/", params=auth, data={"name": "x"},
                           files={"mp3": MP3, "picture": ("p.jpg", b"0" * 10485760, "image/jpeg")})
    assert ok.status_code == 200


async def test_upload_and_edit_change_the_world(client, world):
    auth = {"access_token": TOKEN}
    fields = {"name": "My First Show", "description": "Line one\r\nLine two",
              "tags-0-tag": "Funk", "tags-1-tag": "Sandbox Sounds",
              "sections-0-artist": "Heldon", "sections-0-song": "Ouais Marchais",
              "sections-0-start_time": "0", "sections-1-chapter": "Interlude",
              "sections-1-start_time": "300", "unlisted": "0", "hide_stats": "True"}
    r = await client.post("/upload/", params=auth, data=fields,
                          files={"mp3": MP3,
                                 "picture": ("cover.png", b"\x89PNG" * 10, "image/png")})
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    key = f"/{DEFAULT_USERNAME}/my-first-show/"
    assert result == {"success": True, "message": "Uploaded My First Show", "key": key}
    record = world.uploads[-1]
    assert record["ok"] and record["action"] == "upload" and record["key"] == key
    assert record["fields"] == fields
    assert record["files"] == {"mp3": {"filename": "show.mp3", "size": 40003},
                               "picture": {"filename": "cover.png", "size": 40}}
    assert record["content_type"].startswith("multipart/form-data; boundary=")
    cc = (await client.get(f"{key}?metadata=1")).json()
    assert cc["name"] == "My First Show" and cc["description"] == "Line one\r\nLine two"
    assert [t["key"] for t in cc["tags"]] == ["/discover/funk/", "/discover/sandbox-sounds/"]
    assert cc["hidden_stats"] is True
    assert cc["sections"][0]["track"]["artist"]["name"] == "Heldon"
    assert cc["sections"][1] == {"chapter": "Interlude", "position": 1, "section_type": "chapter",
                                 "start_time": 300, "type": "section"}
    mine = (await client.get("/me/cloudcasts/", params=auth)).json()
    assert mine["data"][0]["key"] == key
    assert (await client.get("/discover/sandbox-sounds/new/")).json()["data"][0]["key"] == key
    assert world.connection_keys("/new/")[0] == key

    edit = {"name": "Renamed Show", "tags-0-tag": "jazz", "sections-0-chapter": "Only chapter"}
    r = await client.post(f"/upload{key}edit/", params=auth, data=edit)
    assert r.json()["result"] == {"success": True, "message": "Updated Renamed Show", "key": key}
    cc = (await client.get(key)).json()
    assert cc["name"] == "Renamed Show" and cc["description"] == "Line one\r\nLine two"
    assert [t["key"] for t in cc["tags"]] == ["/discover/jazz/"]
    assert [s["section_type"] for s in cc["sections"]] == ["chapter"]
    assert (await client.get("/discover/sandbox-sounds/new/")).json()["data"] == []
    r = await client.post(f"/upload{key}edit/", params=auth, data={"unlisted": "on"})
    assert r.status_code == 200
    assert key not in world.connection_keys(f"/{DEFAULT_USERNAME}/cloudcasts/")
    assert (await client.get(key)).status_code == 200  # still reachable by its key
    r = await client.post(f"/upload{key}edit/", params=auth, data={"publish": "1"})
    assert world.connection_keys(f"/{DEFAULT_USERNAME}/cloudcasts/")[0] == key

    spartacus = world.issue_token("spartacus")
    r = await client.post(f"/upload{key}edit/", params={"access_token": spartacus},
                          data={"name": "Stolen"})
    assert r.status_code == 403
    r = await client.post(f"/upload/{DEFAULT_USERNAME}/nope/edit/", params=auth, data={"name": "x"})
    assert r.status_code == 404
    r = await client.post(f"/upload{key}edit/", params=auth, data={"name": ""})
    assert r.status_code == 400 and "name" in r.json()["error"]["message"]
    r = await client.post(f"/upload{key}edit/", params=auth, files={"mp3": MP3})
    assert r.status_code == 400 and "mp3" in r.json()["error"]["message"]


async def test_multipart_body_in_many_small_messages(world):
    app = MixcloudAPI(world)
    request = httpx.Request(
        "POST", f"{BASE}/upload/?access_token={TOKEN}",
        data={"name": "Chunky \u00e9 Show", "tags-0-tag": "house"},
        files={"mp3": ("a \"quoted\" name.mp3", bytes(range(256)) * 300, "audio/mpeg")})
    body = request.read()
    chunks = [body[i:i + 7] for i in range(0, len(body), 7)]
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/upload/", "scheme": "http",
             "query_string": f"access_token={TOKEN}".encode(), "server": ("sandbox.localhost", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()
                         if k.lower() != "content-length"]}
    await app(scope, receive, send)
    assert sent[0]["status"] == 200, sent[1]["body"]
    assert json.loads(sent[1]["body"])["result"]["key"] == f"/{DEFAULT_USERNAME}/chunky-show/"
    record = world.uploads[-1]
    assert record["fields"] == {"name": "Chunky \u00e9 Show", "tags-0-tag": "house"}
    assert record["files"]["mp3"]["size"] == 256 * 300
    assert record["files"]["mp3"]["filename"] in ('a "quoted" name.mp3', "a %22quoted%22 name.mp3")


# -- embeds, oEmbed, OAuth ------------------------------------------------------------------------

async def test_embeds(client):
    r = await client.get("/spartacus/party-time/embed-json/?light=1&hide_cover=1&color=FF6600")
    html = r.json()["html"]
    src = htmllib.unescape(re.search(r'src="([^"]+)"', html).group(1))
    assert src.startswith(
        "https://www.mixcloud.com/widget/iframe/?feed=%2Fspartacus%2Fparty-time%2F&")
    assert parse_qs(urlsplit(src).query) == {"feed": ["/spartacus/party-time/"],
                                             "hide_cover": ["1"], "light": ["1"],
                                             "color": ["ff6600"]}
    assert 'width="100%"' in html and 'height="120"' in html
    r = await client.get("/spartacus/party-time/embed-html/?width=300&height=60&mini=1&autoplay=1")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text.startswith('<iframe width="300" height="60" ')
    assert "mini=1" in r.text and "autoplay=1" in r.text
    assert (await client.get("/spartacus/party-time/embed-json/?color=red")).status_code == 400
    assert (await client.get("/spartacus/nope/embed-html/")).status_code == 404


async def test_oembed(client):
    url = "https://www.mixcloud.com/spartacus/party-time/"
    r = await client.get("/oembed/", params={"url": url, "format": "json"})
    data = r.json()
    assert set(data) == {"type", "version", "provider_name", "title", "author_name",
                         "author_url", "html", "image", "thumbnail_url", "width", "height"}
    assert data["type"] == "rich" and data["provider_name"] == "Mixcloud"
    assert data["title"] == "Party Time"
    assert data["author_url"] == "https://www.mixcloud.com/spartacus/"
    assert "feed=%2Fspartacus%2Fparty-time%2F" in data["html"]
    assert data["image"].startswith("https://thumbnailer.mixcloud.com/unsafe/600x600/")
    # Any scheme and host: the path names the show (the sandbox is also the mixcloud_root).
    r = await client.get("/oembed", params={"url": f"{BASE}/spartacus/party-time/",
                                            "maxwidth": 400, "maxheight": 100})
    assert r.json()["width"] == 400 and r.json()["height"] == 100
    r = await client.get("/oembed/", params={"url": url, "format": "xml"})
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert "<title>Party Time</title>" in r.text and "&lt;iframe" in r.text
    assert (await client.get("/oembed/", params={"url": f"{BASE}/spartacus/"})).json()["title"] \
        == "Spartacus"
    assert (await client.get("/oembed/", params={"url": f"{BASE}/x/y/"})).status_code == 404
    assert (await client.get("/oembed/", params={"url": url, "format": "yaml"})).status_code == 501


async def test_oauth_round_trip(client, world):
    redirect = "https://app.example/callback?next=%2Fhome"
    r = await client.get("/oauth/authorize", params={"client_id": CLIENT_ID,
                                                     "redirect_uri": redirect, "state": "xyz",
                                                     "user": "spartacus"})
    assert r.status_code == 302
    location = urlsplit(r.headers["location"])
    assert location.netloc == "app.example" and location.path == "/callback"
    query = dict(parse_qsl(location.query))
    assert query["next"] == "/home" and query["state"] == "xyz"
    exchange = {"client_id": CLIENT_ID, "redirect_uri": redirect,
                "client_secret": CLIENT_SECRET, "code": query["code"]}
    r = await client.get("/oauth/access_token", params=exchange)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    token = r.json()["access_token"]
    me = (await client.get("/me/", params={"access_token": token})).json()
    assert me["username"] == "spartacus"
    again = await client.get("/oauth/access_token", params=exchange)  # codes are single use
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}
    # POST form, default user, bad secret and mismatched redirect_uri.
    r = await client.get("/oauth/authorize/", params={"client_id": CLIENT_ID,
                                                      "redirect_uri": "http://localhost/cb"})
    code = dict(parse_qsl(urlsplit(r.headers["location"]).query))["code"]
    bad = await client.post("/oauth/access_token", data={**exchange, "code": code,
                                                         "redirect_uri": "http://localhost/cb",
                                                         "client_secret": "wrong"})
    assert bad.status_code == 400 and bad.json() == {"error": "invalid_client"}
    assert CLIENT_SECRET not in bad.text and "wrong" not in bad.text
    bad = await client.post("/oauth/access_token", data={**exchange, "code": code})
    assert bad.json() == {"error": "invalid_grant"}
    ok = await client.post("/oauth/access_token", data={**exchange, "code": code,
                                                        "redirect_uri": "http://localhost/cb"})
    assert world.token_user(ok.json()["access_token"]) == DEFAULT_USERNAME
    r = await client.get("/oauth/authorize", params={"client_id": "nope", "redirect_uri": redirect})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    r = await client.get("/oauth/access_token", params={"client_id": CLIENT_ID})
    assert r.status_code == 400 and r.json() == {"error": "invalid_request"}


# -- determinism ----------------------------------------------------------------------------------

DETERMINISM_PATHS = ["/spartacus/?metadata=1", "/NTSRadio/cloudcasts/?limit=100",
                     "/spartacus/feed/?limit=100&metadata=1", "/popular/hot/?limit=50",
                     "/search/?q=deep&type=cloudcast", "/spartacus/party-time/similar/",
                     "/spartacus/comments/", f"/{DEFAULT_USERNAME}/"]


async def bodies_digest(world: World) -> str:
    digest = hashlib.sha256()
    async with client_for(world) as c:
        for path in DETERMINISM_PATHS:
            r = await c.get(path)
            digest.update(r.content + r.headers["x-request-id"].encode())
        first = world.connection_keys("/new/")[0].strip("/").split("/")
        digest.update((await c.get(f"/{first[0]}/{first[1]}/")).content)
    return digest.hexdigest()


async def test_same_seed_same_bytes_other_seed_other_world():
    assert await bodies_digest(World(seed=0)) == await bodies_digest(World(seed=0))
    assert await bodies_digest(World(seed=1)) != await bodies_digest(World(seed=0))


def test_independent_of_hash_seed():
    code = ("import asyncio, sys; sys.path.insert(0, %r); import test_sandbox_api as t; "
            "from mixframe.sandbox.world import World; "
            "print(asyncio.run(t.bodies_digest(World(seed=3, users=150))))"
            % str(Path(__file__).parent))
    results = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
        results.add(out.stdout.strip())
    assert len(results) == 1


def test_world_generation_is_fast():
    started = time.perf_counter()
    World(seed=7)
    assert time.perf_counter() - started < 1.0
    assert UploadedFile("a.mp3", 1).content_type is None


# -- time passing ---------------------------------------------------------------------------------

USER_COUNTS = (("follower_count", "followers"), ("following_count", "following"),
               ("cloudcast_count", "cloudcasts"), ("favorite_count", "favorites"),
               ("listen_count", "listens"))
CLOUDCAST_COUNTS = (("favorite_count", "favorites"), ("listener_count", "listeners"))


async def snapshot(c: httpx.AsyncClient, world: World) -> dict[str, bytes]:
    """Every user's and cloudcast's detail page, as served."""
    keys = [f"/{name}/" for name in world.usernames()] + world.cloudcast_keys()
    return {key: (await c.get(key)).content for key in keys}


async def newer_than(c: httpx.AsyncClient, path: str, since: int) -> list[str]:
    """Keys of the list at `path` newer than `since`, as the API pages them (newest first)."""
    body = (await c.get(path, params={"since": since, "limit": 100})).json()
    return [item["key"] for item in body["data"]]


async def test_time_passing_changes_exactly_what_its_summary_says():
    app = sandbox_app(seed=4, users=80)
    world = app.world
    async with httpx.AsyncClient(transport=sandbox_transport(app), base_url=BASE) as c:
        before = await snapshot(c, world)
        lists_before = {f"/{u}/{name}/": world.connection_keys(f"/{u}/{name}/")
                        for u in world.usernames() for name in ("followers", "following",
                                                                "favorites", "listens")}
        changes = world.advance(0.02, seed=9)
        after = await snapshot(c, world)
        assert changes.clock_after - changes.clock_before == (
            len(changes.uploads) + len(changes.follows) + len(changes.favorites)
            + len(changes.listens) + len(changes.plays))
        assert all(len(kind) > 0 for kind in (changes.uploads, changes.follows,
                                              changes.favorites, changes.listens, changes.plays))
        # New shows: new detail pages, the newest of /new/, of their owners' and tags' lists.
        assert set(after) - set(before) == set(changes.uploads)
        assert await newer_than(c, "/new/", changes.clock_before) == list(changes.uploads[::-1])
        for key in changes.uploads:
            owner, slug = key.strip("/").split("/")
            assert key in await newer_than(c, f"/{owner}/cloudcasts/", changes.clock_before)
            for tag in json.loads(after[key])["tags"]:
                assert key in await newer_than(c, f"{tag['key']}new/", changes.clock_before)
        # Details that changed are exactly the users and cloudcasts the summary names.
        changed = {key for key in before if before[key] != after[key]}
        assert changed == set(changes.users) | set(changes.cloudcasts)
        # New edges come first in their lists, newest first, with exact date paging.
        edges = {(name, key): [] for name in ("followers", "following", "favorites", "listens")
                 for key in [f"/{u}/" for u in world.usernames()]}
        for a, b in changes.follows:
            edges["following", a].insert(0, b)
            edges["followers", b].insert(0, a)
        for name, pairs in (("favorites", changes.favorites), ("listens", changes.listens)):
            for user, show in pairs:
                edges[name, user].insert(0, show)
        for (name, user), new in edges.items():
            path = f"{user}{name}/"
            assert await newer_than(c, path, changes.clock_before) == new, path
            assert world.connection_keys(path) == new + lists_before[path], path
        for name, pairs in (("favorites", changes.favorites), ("listeners", changes.listens)):
            for user, show in pairs:
                assert user in await newer_than(c, f"{show}{name}/", changes.clock_before)
        # Counts still equal the lists served.
        for user in changes.users:
            body = (await c.get(user)).json()
            for field, name in USER_COUNTS:
                keys, _ = await walk_pages(c, f"{user}{name}/?limit=25")
                assert body[field] == len(keys), (user, field)
        for show in changes.cloudcasts:
            body = (await c.get(show)).json()
            for field, name in CLOUDCAST_COUNTS:
                assert body[field] == len(world.connection_keys(f"{show}{name}/")), (show, field)
        for show in changes.plays:
            old, new = json.loads(before.get(show, b"{}")), json.loads(after[show])
            if show in before and not new.get("hidden_stats"):
                assert new["play_count"] > old["play_count"]


async def test_time_passing_keeps_date_paging_exact():
    world = World(seed=2, users=60)
    world.advance(follows=40, seed=1)
    world.advance(follows=40, seed=2)
    target = max(world.usernames(), key=lambda u: len(world.connection_keys(f"/{u}/followers/")))
    async with client_for(world) as c:
        keys, _ = await walk_pages(c, f"/{target}/followers/?limit=3")
    assert keys == world.connection_keys(f"/{target}/followers/")
    assert len(keys) == len(set(keys)) == world.user(target)["follower_count"]


async def test_time_passing_is_deterministic_and_seeded():
    def run(seed):
        world = World(seed=0, users=80)
        world.follow("spartacus", "NTSRadio")  # an API change in between moves the clock too
        first = world.advance(0.01, seed=seed)
        second = world.advance(uploads=2, follows=5, seed=seed)
        return world, first, second

    one, two, other = run(1), run(1), run(2)
    assert one[1:] == two[1:] and one[1] != one[2]
    assert await bodies_digest(one[0]) == await bodies_digest(two[0])
    assert other[1] != one[1] and other[2] != one[2]
    assert await bodies_digest(other[0]) != await bodies_digest(one[0])


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, ValueError, "give a fraction"),
    ({"fraction": 1.5}, ValueError, "fraction must be a number from 0 to 1"),
    ({"fraction": -0.1}, ValueError, "fraction"),
    ({"fraction": "0.1"}, ValueError, "fraction"),
    ({"uploads": -1}, ValueError, "uploads must be an int >= 0"),
    ({"follows": True}, ValueError, "follows must be an int"),
    ({"plays": 1.5}, ValueError, "plays"),
    ({"fraction": 0.1, "seed": "x"}, TypeError, "seed must be an int"),
])
def test_time_passing_refuses_bad_input(kwargs, error, match):
    world = World(seed=0, users=20)
    version = world.version
    with pytest.raises(error, match=match):
        world.advance(**kwargs)
    assert world.version == version
