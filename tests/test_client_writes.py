"""Actions, upload, edit and embeds against the sandbox: what is sent, and what changes."""

from __future__ import annotations

import os

import pytest

from mixframe import MP3_MAX_SIZE, PICTURE_MAX_SIZE, AccessDict, AuthError, sandbox


def last(app):
    return app.requests[-1]


@pytest.mark.parametrize("action, undo, target, path", [
    ("follow", "unfollow", "spartacus", "/spartacus/follow/"),
    ("favorite", "unfavorite", "spartacus/cinematic-soundscapes",
     "/spartacus/cinematic-soundscapes/favorite/"),
    ("repost", "unrepost", "spartacus/cinematic-soundscapes",
     "/spartacus/cinematic-soundscapes/repost/"),
    ("listen_later", "unlisten_later", "/spartacus/cinematic-soundscapes/",
     "/spartacus/cinematic-soundscapes/listen-later/"),
])
async def test_actions_on_the_wire(mixcloud, sb, action, undo, target, path):
    result = await getattr(mixcloud, action)(target)
    assert isinstance(result, AccessDict) and result.result.success is True
    assert (last(sb).method, last(sb).path, last(sb).query) == ("POST", path,
                                                                {"access_token": "***"})
    result = await getattr(mixcloud, undo)(target)
    assert result["result"]["success"] is True
    assert (last(sb).method, last(sb).path) == ("DELETE", path)


async def test_follow_from_a_resource_is_visible_in_later_reads(mixcloud, sb):
    me = await mixcloud.me()
    page = await me.following(limit=100)
    stranger = next(user for user in await (await mixcloud.get("spartacus")).followers(limit=100)
                    if user.key != me.key and user.key not in page)
    before = (await mixcloud.get(stranger.key)).follower_count
    result = await stranger.follow()
    assert result.result.success
    after = await mixcloud.get(stranger.key)
    assert after.follower_count == before + 1 and after["following"] is True
    assert stranger.key in [user.key for user in await me.following(limit=100)]
    await stranger.unfollow()
    assert (await mixcloud.get(stranger.key)).follower_count == before


async def test_favorite_and_listen_later_are_visible(mixcloud):
    show = (await mixcloud.get("spartacus/cloudcasts", limit=1))[0]
    before = (await mixcloud.get(show.key)).favorite_count
    await show.favorite()
    await show.listen_later()
    assert (await mixcloud.get(show.key)).favorite_count == before + 1
    later = await mixcloud.get("me/listen-later")
    assert show.key in [item.key for item in later]


@pytest.fixture
def audio(tmp_path):
    mp3 = tmp_path / "my show.mp3"
    mp3.write_bytes(b"ID3" + os.urandom(300_000))
    picture = tmp_path / "cover.jpg"
    picture.write_bytes(b"\xff\xd8" + os.urandom(20_000))
    return mp3, picture


async def test_upload_sends_every_field_as_multipart_strings(mixcloud, sb, audio):
    mp3, picture = audio
    result = await mixcloud.upload(
        mp3, "Perfect Mix", picture=picture, description="Deep cuts", tags=["house", "deep"],
        publish_date="2031-01-02T03:04:05Z", unlisted=True, hide_stats=True,
        sections=[{"chapter": "Intro", "start_time": 0},
                  {"artist": "Someone", "song": "Something", "start_time": 60}])
    assert result.result.success is True
    key = result.result.key
    assert last(sb).path == "/upload/" and last(sb).query == {"access_token": "***"}
    received = sb.world.uploads[-1]
    fields = received["fields"]
    assert fields["name"] == "Perfect Mix" and fields["description"] == "Deep cuts"
    assert fields["unlisted"] == "1" and fields["hide_stats"] == "1"
    assert "disable_comments" not in fields
    assert fields["publish_date"] == "2031-01-02T03:04:05Z"
    assert (fields["tags-0-tag"], fields["tags-1-tag"]) == ("house", "deep")
    assert fields["sections-0-chapter"] == "Intro" and fields["sections-1-start_time"] == "60"
    assert received["files"]["mp3"] == {"filename": "my show.mp3", "size": mp3.stat().st_size}
    assert received["files"]["picture"]["size"] == picture.stat().st_size
    show = await mixcloud.get(key)
    assert show.name == "Perfect Mix" and [t.name.lower() for t in show.tags] == ["house", "deep"]


async def test_numbers_as_tags_and_section_fields_are_sent_as_their_text(mixcloud, sb, audio):
    mp3, _ = audio
    result = await mixcloud.upload(mp3, "Numbers", tags=[2020, 10, 7.5],
                                   sections=[{"artist": 808, "song": 303, "start_time": 0},
                                             {"chapter": 2, "start_time": 30}])
    assert result.result.success is True
    fields = sb.world.uploads[-1]["fields"]
    assert [fields[f"tags-{i}-tag"] for i in range(3)] == ["2020", "10", "7.5"]
    assert (fields["sections-0-artist"], fields["sections-0-song"]) == ("808", "303")
    assert fields["sections-1-chapter"] == "2"
    for bad in ({"tags": [True]}, {"tags": [None]}, {"sections": [{"chapter": False}]},
                {"sections": [{"artist": b"x", "song": "y"}]}):
        with pytest.raises(TypeError, match=r"must be a str \(or a number\)"):
            await mixcloud.upload(mp3, "Refused", **bad)
    assert sb.world.uploads[-1]["fields"]["name"] == "Numbers"


async def test_upload_accepts_open_binary_files(mixcloud, sb, audio):
    mp3, _ = audio
    with open(mp3, "rb") as handle:
        result = await mixcloud.upload(handle, "From a handle")
        assert not handle.closed  # the caller's file stays the caller's
    assert result.result.success
    assert sb.world.uploads[-1]["files"]["mp3"]["size"] == mp3.stat().st_size


async def test_edit_works_with_a_resources_own_key_and_always_multipart(mixcloud, sb, audio):
    mp3, _ = audio
    key = (await mixcloud.upload(mp3, "To Edit", tags=["jazz"])).result.key
    show = await mixcloud.get(key)
    result = await show.edit(description="Edited", tags=["funk", "soul"], name="Edited Name")
    assert result.result.success
    assert last(sb).path == f"/upload{key}edit/"
    assert sb.world.uploads[-1]["content_type"].startswith("multipart/form-data")
    edited = await mixcloud.get(key)
    assert (edited.name, edited.description) == ("Edited Name", "Edited")
    assert [t.name.lower() for t in edited.tags] == ["funk", "soul"]


async def test_edit_with_a_bare_slug_resolves_the_user_through_me(mixcloud, sb, audio):
    mp3, _ = audio
    key = (await mixcloud.upload(mp3, "Slug Only")).result.key
    slug = key.strip("/").split("/")[1]
    await mixcloud.edit(slug, description="via me")
    assert [r.path for r in sb.requests][-2:] == ["/me/", f"/upload{key}edit/"]
    assert (await mixcloud.get(key)).description == "via me"


def sparse(path, size):
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize("kwargs, error, match", [
    ({"description": "x" * 1001}, ValueError, "description size must be 1000 characters"),
    ({"tags": ["a", "b", "c", "d", "e", "f"]}, ValueError, "5 tags at most"),
    ({"tags": "house"}, TypeError, "tags must be a list of strings"),
    ({"tags": ["ok", ""]}, ValueError, r"tags\[1\] must be a non-empty str"),
    ({"unlisted": "yes"}, TypeError, "unlisted must be True or False"),
    ({"publish_date": "someday"}, TypeError, "publish_date"),
    ({"sections": [{"artist": "A"}]}, ValueError, "needs 'chapter', or both 'artist' and 'song'"),
    ({"sections": [{"chapter": "A", "start": 1}]}, ValueError, "unknown fields"),
    ({"sections": [{"chapter": "A", "start_time": "1"}]}, TypeError, "start_time"),
    ({"picture": "/nonexistent/cover.jpg"}, FileNotFoundError, "picture file not found"),
])
async def test_bad_upload_arguments_are_refused_before_sending(mixcloud, sb, audio, kwargs,
                                                               error, match):
    mp3, _ = audio
    with pytest.raises(error, match=match):
        await mixcloud.upload(mp3, "Bad", **kwargs)
    with pytest.raises(error, match=match):
        await mixcloud.edit("sandbox-user/some-show", **kwargs)
    assert sb.request_count == 0


async def test_size_limits_are_inclusive(mixcloud, sb, tmp_path):
    assert MP3_MAX_SIZE == 4294967296 and PICTURE_MAX_SIZE == 10485760
    mp3 = sparse(tmp_path / "big.mp3", MP3_MAX_SIZE + 1)
    with pytest.raises(ValueError, match="mp3 file size must be 4294967296 bytes at most"):
        await mixcloud.upload(mp3, "Too big")
    picture = sparse(tmp_path / "big.jpg", PICTURE_MAX_SIZE + 1)
    with pytest.raises(ValueError, match="picture file size must be 10485760 bytes at most"):
        await mixcloud.upload(tmp_path / "big.mp3", "Too big picture", picture=picture)
    with pytest.raises(FileNotFoundError, match="mp3 file not found"):
        await mixcloud.upload(tmp_path / "missing.mp3", "Missing")
    with pytest.raises(ValueError, match="name must be a non-empty str"):
        await mixcloud.upload(sparse(tmp_path / "ok.mp3", 10), " ")
    assert sb.request_count == 0
    exact = sparse(tmp_path / "exact.jpg", PICTURE_MAX_SIZE)
    result = await mixcloud.upload(sparse(tmp_path / "small.mp3", 1000), "Exact", picture=exact)
    assert result.result.success


async def test_upload_without_token_raises_before_sending(sb, audio):
    mp3, _ = audio
    async with sandbox.client(sb, sync=False, token=False) as client:
        with pytest.raises(AuthError):
            await client.upload(mp3, "No token")
    assert sb.request_count == 0


async def test_server_side_upload_error_comes_back_typed(mixcloud, sb, audio):
    mp3, _ = audio
    result = await mixcloud.edit("spartacus/cinematic-soundscapes", description="not mine")
    assert "error" in result and result.error.message
    mixcloud._raise_exceptions = True
    from mixframe import MixcloudError
    with pytest.raises(MixcloudError):
        await mixcloud.edit("spartacus/cinematic-soundscapes", description="not mine")


async def test_embeds_and_oembed(mixcloud, sb):
    show = (await mixcloud.get("spartacus/cloudcasts", limit=1))[0]
    data = await show.embed_json(width=300, color="#FF0055", light=True)
    assert "<iframe" in data.html
    assert (last(sb).path, last(sb).query) == (
        f"{show.key}embed-json/", {"width": "300", "color": "ff0055", "light": "1"})
    html = await mixcloud.embed_html(show.key, width="100%", height=120)
    assert isinstance(html, str) and html.lstrip().startswith("<iframe")
    assert "access_token" not in last(sb).query
    oembed = await show.oembed(height=120)
    assert oembed.type == "rich" and oembed.provider_name == "Mixcloud"
    assert last(sb).path == "/oembed/"
    assert last(sb).query["url"].endswith(show.key) and last(sb).query["format"] == "json"
    assert "access_token" not in last(sb).query
    xml = await mixcloud.oembed(show.key, format="xml")
    assert isinstance(xml, str) and xml.lstrip().startswith("<?xml")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"color": "red"}, ValueError, "color must be 6 hexadecimal digits"),
    ({"width": -3}, ValueError, "width must be a positive number of pixels"),
    ({"height": "tall"}, ValueError, "height must be a positive number of pixels or a percentage"),
    ({"light": "yes"}, TypeError, "light must be True or False"),
    ({"format": "xml"}, TypeError, "format"),
    ({"nonexistent": 9}, TypeError, "nonexistent"),
])
async def test_bad_display_options(mixcloud, sb, kwargs, error, match):
    with pytest.raises(error, match=match):
        await mixcloud.embed_json("spartacus/cinematic-soundscapes", **kwargs)
    assert sb.request_count == 0


def open_files():
    return {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")}


async def test_upload_closes_its_files_when_the_request_fails(audio):
    import httpx
    from mixframe import Mixcloud, RetryPolicy, TransportError
    mp3, picture = audio

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    before = open_files()
    async with Mixcloud(access_token="t", transport=httpx.MockTransport(refuse),
                        retries=RetryPolicy(retries=1, backoff=0.001)) as client:
        with pytest.raises(TransportError):
            await client.upload(mp3, "Fails", picture=picture)
    assert str(mp3) not in open_files() - before
    assert str(picture) not in open_files() - before


async def test_upload_and_edit_use_their_own_timeout(audio):
    import httpx
    from mixframe import Mixcloud
    mp3, _ = audio
    seen = []

    def answer(request):
        seen.append((request.url.path, request.extensions["timeout"]["read"]))
        if request.url.path == "/me/":
            return httpx.Response(200, json={"key": "/me-user/", "type": "user"})
        return httpx.Response(200, json={"result": {"success": True}})

    async with Mixcloud(access_token="t", transport=httpx.MockTransport(answer), timeout=7,
                        upload_timeout=1234) as client:
        await client.get("x")
        await client.upload(mp3, "Timed")
        await client.edit("show", description="d")
    assert seen == [("/x/", 7), ("/upload/", 1234), ("/me/", 7), ("/upload/me-user/show/edit/", 1234)]
