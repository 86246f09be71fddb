"""mixframe.frames: tidy tables from the recorded Mixcloud responses, loaded both as plain JSON
(timestamps as strings) and through MixcloudJSONDecoder (timestamps as datetimes)."""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

import mixframe.frames as frames
from conftest import SAMPLES, sample
from mixframe import ResourceList
from mixframe.frames import Tables, page_frame, read_csv, schema, side_tables, to_frame
from mixframe.json import MixcloudJSONDecoder

UTC = timezone.utc
TIME = "datetime64[us, UTC]"
TYPES = ["user", "cloudcast", "tag", "comment", "feed", "category", "playlist"]
SIDE = {"cloudcast": ["tags", "sections"], "feed": ["feed_targets"]}

# (file, expected table type) for every recorded body that is a list or an object
LIST_SAMPLES = {
    "user-cloudcasts-spartacus-2018.json": "cloudcast",
    "user-comments-spartacus-2018.json": "comment",
    "anon-aiomixcloud-comments-metadata.json": "comment",
    "user-favorites-spartacus-2018.json": "cloudcast",
    "anon-aiomixcloud-favorites-metadata.json": "cloudcast",
    "legacy2011-me-favorites-cloudplaylists.json": "cloudcast",
    "user-followers-spartacus-2018.json": "user",
    "anon-aiomixcloud-followers-metadata.json": "user",
    "user-following-spartacus-2018.json": "user",
    "user-following-spartacus-limit10-2023-trimmed.json": "user",
    "user-listens-spartacus-2018.json": "cloudcast",
    "user-feed-spartacus-2018.json": "feed",
    "tag-popular-funk-limit1-offset1-2018.json": "cloudcast",
    "legacy2013-search-cloudcast-party-time.json": "cloudcast",
    "legacy2013-search-user-spartacus.json": "user",
    "legacy2013-search-tag.json": "tag",
    "legacy2013-search-artist-aphex-twin.json": None,      # {url, name, key, slug}: unknown
    "user-cloudcasts-empty-nopaging.json": None,           # empty, no links
}
OBJECT_SAMPLES = {
    "user-spartacus-metadata-2018.json": "user",
    "user-spartacus-metadata-2022-from-vardump.json": "user",
    "legacy2013-user-spartacus-metadata.json": "user",
    "me-foobar-anon.json": "user",
    "cloudcast-detail-ntsradio-2014.json": "cloudcast",
    "cloudcast-list-item-ntsradio-2014.json": "cloudcast",
    "legacy2013-cloudcast-detail-metadata.json": "cloudcast",
    "legacy2011-cloudcast-detail-laidbackradio.json": "cloudcast",
    "tag-funk-metadata-2018.json": "tag",
    "legacy2013-tag-funk-metadata.json": "tag",
    "legacy2013-tag-dnb-hospital-metadata.json": "tag",
    "legacy2013-category-ambient-metadata.json": "category",
    "legacy2013-artist-aphex-twin-metadata.json": "artist",
    "legacy2013-track-everybody-metadata.json": "track",
}
DATA_ONLY_SAMPLES = {"user-cloudcasts-spartacus-data-only-2022-from-vardump.json": "cloudcast"}


def decoded(name: str):
    """A sample as the client decodes it: timestamps become aware datetimes."""
    return json.loads((SAMPLES / name).read_text(), cls=MixcloudJSONDecoder)


def frame_of(body, **options):
    if isinstance(body, dict) and "data" in body:
        return page_frame(body, **options)
    return to_frame(body if isinstance(body, list) else [body], **options)


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# ------------------------------------------------------------------------------------------
# schemas: order, dtypes, documentation

def documented_schemas() -> dict[str, dict[str, str]]:
    """The column lists written in the module docstring."""
    doc = frames.__doc__
    found = {}
    for block in re.finditer(r"^(\w+(?: ``\w+``)?)[^\n]*\n((?:    .+\n)+)", doc, re.M):
        title, body = block.group(1), " ".join(block.group(2).split())
        pairs = re.findall(r"(\w+): (string|Int64|boolean|datetime64\[us, UTC\]|"
                           r"list<item: string>\[pyarrow\])", body)
        if pairs:
            found[title.replace("``", "")] = dict(pairs)
    return found


def test_module_docstring_documents_every_schema_in_order():
    documented = documented_schemas()
    for kind in TYPES:
        assert documented[kind] == schema(kind), kind
    for kind, names in SIDE.items():
        for name in names:
            assert documented[f"{kind} {name}"] == schema(kind, side=name)
    assert documented["generic"] == {"key": "string"}


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(frames, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0


def test_public_names():
    assert sorted(frames.__all__) == ["Tables", "page_frame", "read_csv", "schema",
                                      "side_tables", "to_frame"]
    for name in frames.__all__:
        assert getattr(frames, name).__doc__


@pytest.mark.parametrize("kind", TYPES + ["artist", None])
def test_empty_input_has_all_schema_columns_and_dtypes(kind):
    df = to_frame([], kind)
    assert len(df) == 0
    assert dtypes(df) == schema(kind)
    assert list(df.columns)[0] == "key"
    assert df.attrs["mixcloud"] == {"type": kind}


@pytest.mark.parametrize("kind", sorted(SIDE))
def test_empty_side_tables_have_their_columns(kind):
    frame, side = to_frame([], kind, side_tables=True)
    assert sorted(side) == sorted(SIDE[kind])
    for name, table in side.items():
        assert len(table) == 0 and dtypes(table) == schema(kind, side=name)
        assert table.attrs["mixcloud"] == {"type": kind, "side": name}
    assert to_frame([], "user", side_tables=True).side == {}


def test_schema_rejects_unknown_side_table():
    with pytest.raises(ValueError):
        schema("user", side="tags")


def test_column_order_does_not_follow_the_records_key_order():
    old = sample("user-spartacus-metadata-2018.json")           # hash order
    new = sample("user-spartacus-metadata-2022-from-vardump.json")  # logical order
    assert list(old) != list(new)
    assert list(to_frame([old]).columns) == list(to_frame([new]).columns) == list(schema("user"))
    shuffled = {key: old[key] for key in sorted(old)}
    pd.testing.assert_frame_equal(to_frame([shuffled]), to_frame([old]))


# ------------------------------------------------------------------------------------------
# every recorded sample, plain and decoded

ALL_SAMPLES = {**LIST_SAMPLES, **OBJECT_SAMPLES, **DATA_ONLY_SAMPLES}


@pytest.mark.parametrize("name", sorted(ALL_SAMPLES))
def test_sample_flattens_to_its_type_and_schema(name):
    body = sample(name)
    df = frame_of(body)
    kind = ALL_SAMPLES[name]
    assert df.attrs["mixcloud"]["type"] == kind
    expected = schema(kind)
    assert list(df.columns[:len(expected)]) == list(expected)
    assert {column: dtypes(df)[column] for column in expected} == expected
    items = body["data"] if isinstance(body, dict) and "data" in body else (
        body if isinstance(body, list) else [body])
    assert len(df) == len(items)
    assert df["key"].tolist() == [item.get("key") for item in items]
    assert "metadata" not in df.columns and not any(c.startswith("metadata") for c in df.columns)
    if kind != "feed":
        assert "type" not in df.columns and not any(c.endswith("_type") for c in df.columns)


@pytest.mark.parametrize("name", sorted(ALL_SAMPLES))
def test_decoded_sample_gives_the_same_frame(name):
    plain, typed = sample(name), decoded(name)
    if re.search(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', json.dumps(plain)):
        assert json.dumps(plain) != json.dumps(typed, default=str)  # datetimes were decoded
    for options in ({}, {"all_pictures": True}):
        left, right = frame_of(plain, **options), frame_of(typed, **options)
        pd.testing.assert_frame_equal(left, right)
        assert left.attrs == right.attrs


@pytest.mark.parametrize("name", sorted(n for n, k in ALL_SAMPLES.items() if k in SIDE))
def test_decoded_sample_gives_the_same_side_tables(name):
    left = frame_of(sample(name), side_tables=True).side
    right = frame_of(decoded(name), side_tables=True).side
    assert left.keys() == right.keys()
    for key in left:
        pd.testing.assert_frame_equal(left[key], right[key])


# ------------------------------------------------------------------------------------------
# cloudcasts

def test_cloudcast_list_values_and_flattened_user():
    df = page_frame(sample("user-cloudcasts-spartacus-2018.json"))
    first = df.iloc[0]
    assert first["key"] == "/spartacus/cinematic-soundscapes/"
    assert first["name"] == "Cinematic Soundscapes"
    assert first["slug"] == "cinematic-soundscapes"
    assert (first["user_key"], first["user_name"], first["user_username"], first["user_url"]) == (
        "/spartacus/", "Spartacus", "spartacus", "https://www.mixcloud.com/spartacus/")
    assert first["created_time"] == ts("2014-09-10 14:42:03")
    assert first["updated_time"] == ts("2014-09-10 14:16:00")
    assert (first["audio_length"], first["play_count"], first["favorite_count"],
            first["comment_count"], first["listener_count"], first["repost_count"]) == (
        2631, 962, 35, 2, 283, 6)
    assert first["tags"] == ["Chillout", "Soundtrack", "Modern classical"]
    assert first["picture"] == ("https://thumbnailer.mixcloud.com/unsafe/600x600/extaudio/"
                                "1/a/6/1/eaa7-151a-48a9-96f6-12df7773a25d.jpg")
    assert df["section_count"].isna().all()          # list items carry no sections
    assert df["listen_time"].isna().all() and df["hidden_stats"].isna().all()
    assert list(df.columns) == list(schema("cloudcast"))   # no extras: user pictures dropped
    assert not any("pictures" in column for column in df.columns)
    assert dtypes(df)["created_time"] == TIME
    assert df.attrs["mixcloud"] == {
        "type": "cloudcast", "list_name": "Spartacus's Cloudcasts", "next": None,
        "previous": "http://api.mixcloud.com/spartacus/cloudcasts/?limit=20&since=2014-09-10"
                    "+14%3A42%3A03", "url": None}


def test_cloudcast_detail_sections_and_description():
    body = sample("cloudcast-detail-ntsradio-2014.json")
    frame, side = to_frame([body], side_tables=True)
    row = frame.iloc[0]
    assert row["section_count"] == len(body["sections"]) == 14
    assert row["description"].startswith("TUESDAY / 6PM-8PM")
    assert row["picture_primary_color"] == "fc9a00"
    sections = side["sections"]
    assert list(sections.columns) == list(schema("cloudcast", side="sections"))
    assert len(sections) == 14
    assert sections["position"].tolist() == list(range(14))       # the API's own, 0-based
    assert sections["start_time"].isna().all()                     # not in this body
    assert set(sections["section_type"]) == {"track"}
    assert sections.loc[0, "track_name"] == body["sections"][0]["track"]["name"]
    assert sections.loc[0, "artist_name"] == body["sections"][0]["track"]["artist"]["name"]
    assert sections.loc[0, "track_key"] == body["sections"][0]["track"]["key"]
    assert sections["chapter"].isna().all()
    assert (sections["cloudcast_key"] == body["key"]).all()


def test_sections_with_start_times_and_legacy_fields():
    body = sample("legacy2013-cloudcast-detail-metadata.json")
    frame, side = to_frame([body], side_tables=True)
    sections = side["sections"]
    assert sections["position"].tolist() == [s["position"] for s in body["sections"]]
    assert sections["start_time"].tolist() == [s["start_time"] for s in body["sections"]]
    assert sections.loc[0, ["track_name", "artist_name"]].tolist() == ["Samurai (12\" Mix)",
                                                                     "Jazztronik"]
    # percentage_music (2011-2013) is not in the schema: kept as an Int64 extra column
    assert list(frame.columns) == [*schema("cloudcast"), "percentage_music"]
    assert frame.loc[0, "percentage_music"] == body["percentage_music"]
    assert dtypes(frame)["percentage_music"] == "Int64"


def test_chapter_sections_and_sections_without_position():
    show = {"key": "/bob/mix/", "audio_length": 100, "sections": [
        {"section_type": "chapter", "chapter": "Intro", "start_time": 0},
        {"section_type": "track", "start_time": 60,
         "track": {"name": "Song", "artist": {"name": "Band"}}},
        "garbage"]}
    sections = side_tables([show])["sections"]
    assert sections["position"].tolist() == [0, 1, 2]
    assert sections.loc[0, "chapter"] == "Intro" and pd.isna(sections.loc[1, "chapter"])
    assert sections.loc[1, ["track_name", "artist_name"]].tolist() == ["Song", "Band"]
    assert sections.loc[2].drop(["cloudcast_key", "position"]).isna().all()


def test_tags_column_and_tags_side_table():
    body = sample("user-favorites-spartacus-2018.json")
    frame, side = page_frame(body, side_tables=True)
    tags = side["tags"]
    assert list(tags.columns) == ["cloudcast_key", "position", "tag_key", "tag_name"]
    assert len(tags) == sum(len(item["tags"]) for item in body["data"])
    for row, item in zip(frame.itertuples(), body["data"]):
        assert row.tags == [tag["name"] for tag in item["tags"]]
        mine = tags[tags["cloudcast_key"] == item["key"]]
        assert mine["tag_name"].tolist() == [tag["name"] for tag in item["tags"]]
        assert mine["tag_key"].tolist() == [tag["key"] for tag in item["tags"]]
        assert mine["position"].tolist() == list(range(len(item["tags"])))
    assert frame.loc[1, "tags"] == []                    # a show without tags
    assert str(frame["tags"].dtype) == "list<item: string>[pyarrow]"
    exploded = frame.explode("tags")                     # one row per show and tag
    assert exploded["tags"].dropna().tolist() == tags["tag_name"].tolist()
    assert side["sections"].empty and list(side["sections"].columns) == list(
        schema("cloudcast", side="sections"))
    assert tags.attrs["mixcloud"]["side"] == "tags"
    assert tags.attrs["mixcloud"]["list_name"] == "Spartacus's favorites"


def test_side_tables_function_equals_to_frame_side_tables():
    body = sample("user-listens-spartacus-2018.json")
    result = to_frame(body["data"], side_tables=True)
    assert isinstance(result, Tables) and isinstance(result, tuple)
    pd.testing.assert_frame_equal(result.frame, to_frame(body["data"]))
    alone = side_tables(body["data"])
    assert alone.keys() == result.side.keys()
    for name in alone:
        pd.testing.assert_frame_equal(alone[name], result.side[name])


def test_listens_have_listen_time_and_hidden_stats():
    body = sample("user-listens-spartacus-2018.json")
    df = page_frame(body)
    assert df["listen_time"].notna().all()
    assert df["listen_time"].tolist() == [ts(item["listen_time"][:-1]) for item in body["data"]]
    assert df.loc[0, "listen_time"] == ts("2018-02-28 18:20:05")
    hidden = [i for i, item in enumerate(body["data"]) if item.get("hidden_stats")]
    assert len(hidden) == 1
    assert df["hidden_stats"].tolist() == [True if i in hidden else pd.NA
                                           for i in range(len(df))]
    assert str(df["hidden_stats"].dtype) == "boolean"
    assert df.loc[hidden[0], ["play_count", "favorite_count", "listener_count",
                              "repost_count", "comment_count"]].tolist() == [0, 0, 0, 0, 0]
    assert df["hidden_stats"].fillna(False).sum() == 1


def test_metadata_and_nested_type_fields_are_dropped():
    body = sample("tag-popular-funk-limit1-offset1-2018.json")
    assert body["data"][0]["type"] == "cloudcast" and body["data"][0]["user"]["type"] == "user"
    df = page_frame(body)
    assert list(df.columns) == list(schema("cloudcast"))
    df = to_frame([sample("legacy2013-cloudcast-detail-metadata.json")])
    assert "metadata" not in "".join(df.columns) and "type" not in df.columns


# ------------------------------------------------------------------------------------------
# users, comments, tags, categories, generic

def test_user_detail_counts_booleans_and_pictures():
    df = to_frame([sample("user-spartacus-metadata-2018.json")])
    row = df.iloc[0]
    assert (row["follower_count"], row["following_count"], row["cloudcast_count"],
            row["favorite_count"], row["listen_count"]) == (733, 101, 5, 74, 2310)
    assert row["is_pro"] is False or row["is_pro"] == False  # noqa: E712 (numpy bool)
    assert row["created_time"] == ts("2009-03-10 07:32:56")
    assert row["picture"].startswith("https://thumbnailer.mixcloud.com/unsafe/600x600/")
    assert row["cover_picture"].startswith("https://thumbnailer.mixcloud.com/unsafe/1670x240/")
    assert row["city"] == "London" and row["picture_primary_color"] == "1f2d32"
    assert pd.isna(row["following"]) and pd.isna(row["is_current_user"])
    assert {c: dtypes(df)[c] for c in ("is_pro", "is_premium", "follower_count")} == {
        "is_pro": "boolean", "is_premium": "boolean", "follower_count": "Int64"}


def test_authorised_user_extras():
    df = to_frame([sample("me-foobar-anon.json")])
    assert df.loc[0, ["following", "follower", "is_current_user"]].tolist() == [False, False,
                                                                             True]
    assert list(df.columns) == list(schema("user"))
    assert df.loc[0, "picture"].endswith("default_user_600x600-v4.png")
    assert "/w/600/" in df.loc[0, "picture"]


def test_following_list_without_name():
    body = sample("user-following-spartacus-2018.json")
    assert "name" not in body
    df = page_frame(body)
    assert df.attrs["mixcloud"]["type"] == "user"
    assert df.attrs["mixcloud"]["list_name"] is None
    assert df.attrs["mixcloud"]["next"] == body["paging"]["next"]
    assert df.attrs["mixcloud"]["previous"] == body["paging"]["previous"]
    assert df["username"].tolist() == [item["username"] for item in body["data"]]
    assert df["created_time"].isna().all() and df["follower_count"].isna().all()


def test_comments_flatten_their_user():
    body = sample("user-comments-spartacus-2018.json")
    df = page_frame(body)
    assert list(df.columns) == list(schema("comment"))
    first = body["data"][0]
    assert df.loc[0, "comment"] == first["comment"]
    assert df.loc[0, "submit_date"] == ts(first["submit_date"][:-1])
    assert df.loc[0, "user_username"] == first["user"]["username"]
    assert df.loc[0, "user_key"] == first["user"]["key"]
    assert df.attrs["mixcloud"]["list_name"] == "Comments on Spartacus's profile"


def test_category_picture_falls_back_to_the_best_size_present():
    body = sample("legacy2013-category-ambient-metadata.json")
    assert "extra_large" not in body["pictures"]
    df = to_frame([body])
    assert df.loc[0, ["key", "name", "slug", "format"]].tolist() == [
        "/categories/ambient/", "Ambient", "ambient", "music"]
    assert df.loc[0, "picture"] == body["pictures"]["large"]


def test_unknown_type_uses_the_generic_schema():
    df = to_frame([sample("legacy2013-track-everybody-metadata.json")])
    assert df.attrs["mixcloud"]["type"] == "track"
    assert list(df.columns) == ["key", "name", "artist_url", "artist_name", "artist_key",
                                "artist_slug", "url", "slug"]
    assert set(dtypes(df).values()) == {"string"}
    generic = to_frame([{"key": "/x/", "pictures": {"small": "s", "large": "l"},
                         "owner": {"key": "/o/", "type": "user", "pictures": {"thumbnail": "t"}},
                         "metadata": {"connections": {"a": "http://x"}}, "type": "thing"}])
    assert list(generic.columns) == ["key", "picture", "owner_key", "owner_picture"]
    assert generic.loc[0].tolist() == ["/x/", "l", "/o/", "t"]


def test_playlist_owner_from_owner_or_user():
    rows = [{"key": "/bob/playlists/a/", "name": "A", "slug": "a",
             "owner": {"key": "/bob/", "username": "bob", "name": "Bob", "url": "u"}},
            {"key": "/ann/playlists/b/", "name": "B", "user": {"key": "/ann/"}}]
    df = to_frame(rows, "playlist")
    assert list(df.columns) == list(schema("playlist"))
    assert df["owner_key"].tolist() == ["/bob/", "/ann/"]
    assert to_frame(rows[:1]).attrs["mixcloud"]["type"] == "playlist"   # from the key


# ------------------------------------------------------------------------------------------
# feed

def four_kinds_of_feed_items(body):
    """The recorded feed has listen and favorite items; upload and follow items are built
    from the same recording's shapes, as the reference describes them."""
    items = copy.deepcopy(body["data"])
    listen = next(item for item in items if item["type"] == "listen")
    favorite = next(item for item in items if item["type"] == "favorite")
    upload = copy.deepcopy(listen)
    upload.update(type="upload", title="uploaded", key="/spartacus/feed/1/",
                  url="https://www.mixcloud.com/spartacus/feed/#1",
                  cloudcasts=sample("user-cloudcasts-spartacus-2018.json")["data"][:2])
    follow = {key: value for key, value in copy.deepcopy(listen).items() if key != "cloudcasts"}
    follow.update(type="follow", title="is now following", key="/spartacus/feed/2/",
                  url="https://www.mixcloud.com/spartacus/feed/#2",
                  users=sample("user-followers-spartacus-2018.json")["data"][:3])
    return [upload, listen, favorite, follow]


@pytest.mark.parametrize("load", [sample, decoded])
def test_feed_items_of_all_four_types(load):
    body = load("user-feed-spartacus-2018.json")
    items = four_kinds_of_feed_items(body)
    frame, side = to_frame(items, side_tables=True)
    assert frame.attrs["mixcloud"]["type"] == "feed"
    assert list(frame.columns) == list(schema("feed"))
    assert frame["type"].tolist() == ["upload", "listen", "favorite", "follow"]
    assert frame["title"].tolist() == ["uploaded", "listened to", "favorited",
                                       "is now following"]
    assert (frame["from_username"] == "spartacus").all()
    assert (frame["from_key"] == "/spartacus/").all()
    assert frame.loc[0, "target_keys"] == ", ".join(c["key"] for c in items[0]["cloudcasts"])
    assert frame.loc[3, "target_keys"] == ", ".join(u["key"] for u in items[3]["users"])
    assert frame.loc[1, "created_time"] == ts("2018-02-28 18:20:05")
    targets = side["feed_targets"]
    assert list(targets.columns) == ["feed_key", "position", "target_type", "target_key"]
    assert len(targets) == 2 + 1 + 1 + 3
    follow = targets[targets["feed_key"] == "/spartacus/feed/2/"]
    assert follow["target_type"].tolist() == ["user"] * 3
    assert follow["position"].tolist() == [0, 1, 2]
    assert follow["target_key"].tolist() == [u["key"] for u in items[3]["users"]]
    assert set(targets.loc[targets["feed_key"] != "/spartacus/feed/2/", "target_type"]) == {
        "cloudcast"}


def test_recorded_feed_page():
    body = sample("user-feed-spartacus-2018.json")
    frame, side = page_frame(body, side_tables=True)
    assert set(frame["type"]) == {"listen", "favorite"}
    assert frame["target_keys"].tolist() == [item["cloudcasts"][0]["key"]
                                             for item in body["data"]]
    assert frame.attrs["mixcloud"]["list_name"] == "Spartacus's feed"
    assert side["feed_targets"].attrs["mixcloud"]["side"] == "feed_targets"
    # the cloudcasts inside feed items make a cloudcast table of their own
    shows = to_frame(c for item in body["data"] for c in item["cloudcasts"])
    assert shows.attrs["mixcloud"]["type"] == "cloudcast" and len(shows) == len(body["data"])


# ------------------------------------------------------------------------------------------
# unknown fields, missing fields, odd values

def test_unknown_fields_are_kept_after_the_schema_with_sensible_dtypes():
    items = copy.deepcopy(sample("user-cloudcasts-spartacus-2018.json")["data"])
    items[0]["is_exclusive"] = True
    items[0]["audio_format"] = {"codec": "mp3", "bitrate": 320, "levels": {"peak": -0.5}}
    items[1]["genres"] = ["house", {"name": "deep"}]
    items[1]["premiere_time"] = "2018-09-04T01:18:45Z"
    items[2]["rating"] = 4.5
    items[3]["rating"] = 3
    items[0]["user"]["is_pro"] = True
    items[2]["metadata"] = {"connections": {"similar": "http://api.mixcloud.com/x/similar/"}}
    df = to_frame(items)
    extra = list(df.columns[len(schema("cloudcast")):])
    assert extra == ["is_exclusive", "audio_format_codec", "audio_format_bitrate",
                     "audio_format_levels_peak", "genres", "premiere_time", "rating",
                     "user_is_pro"]
    assert {c: dtypes(df)[c] for c in extra} == {
        "is_exclusive": "boolean", "audio_format_codec": "string",
        "audio_format_bitrate": "Int64", "audio_format_levels_peak": "Float64",
        "genres": "string", "premiere_time": TIME, "rating": "Float64",
        "user_is_pro": "boolean"}
    assert df.loc[0, "is_exclusive"] == True and pd.isna(df.loc[1, "is_exclusive"])  # noqa
    assert df.loc[0, "audio_format_bitrate"] == 320
    assert json.loads(df.loc[1, "genres"]) == ["house", {"name": "deep"}]
    assert df.loc[1, "premiere_time"] == ts("2018-09-04 01:18:45")
    assert df["rating"].tolist()[2:4] == [4.5, 3.0]
    assert df.loc[0, "user_is_pro"] == True  # noqa: E712
    # decoded records (datetimes) give the same extras
    redecoded = json.loads(json.dumps(items), cls=MixcloudJSONDecoder)
    pd.testing.assert_frame_equal(to_frame(redecoded), df)


def test_extra_columns_with_mixed_values_become_text():
    df = to_frame([{"key": "/a/", "username": "a", "mood": "calm"},
                   {"key": "/b/", "username": "b", "mood": 3},
                   {"key": "/c/", "username": "c", "mood": True},
                   {"key": "/d/", "username": "d", "mood": [1, 2]},
                   {"key": "/e/", "username": "e", "mood": {"x": 1}},
                   {"key": "/f/", "username": "f", "mood": None}])
    assert dtypes(df)["mood"] == "string"
    assert df["mood"].tolist()[:4] == ["calm", "3", "true", "[1, 2]"]
    assert df.loc[4, "mood_x"] == 1 and df["mood_x"].isna().sum() == 5
    assert pd.isna(df.loc[5, "mood"]) and pd.isna(df.loc[4, "mood"])


def test_extra_column_that_is_always_null_is_typed_from_its_name():
    df = to_frame([{"key": "/a/", "username": "a", "repost_count": None, "is_verified": None,
                    "note": None, "submit_date": None}])
    assert {c: dtypes(df)[c] for c in ("repost_count", "is_verified", "note", "submit_date")} == {
        "repost_count": "Int64", "is_verified": "boolean", "note": "string",
        "submit_date": TIME}


def test_extra_name_clashing_with_a_schema_column_is_renamed():
    df = to_frame([{"key": "/bob/mix/", "play_count": 1, "user_key": "flat",
                    "user": {"key": "/bob/"}}])
    assert df.loc[0, "user_key"] == "/bob/" and df.loc[0, "user_key_1"] == "flat"
    df = to_frame([{"key": "/bob/mix/", "play_count": 1, "user_is_pro": "flat",
                    "user": {"key": "/bob/", "is_pro": True}}])
    assert list(df.columns[-2:]) == ["user_is_pro", "user_is_pro_1"]
    assert df.loc[0, "user_is_pro"] == "flat" and df.loc[0, "user_is_pro_1"] == True  # noqa


def test_missing_fields_and_wrong_types_never_raise():
    rows = [{"key": "/bob/mix/", "play_count": "12", "favorite_count": 2.0,
             "comment_count": "many", "listener_count": True, "repost_count": 2 ** 70,
             "hidden_stats": 1, "created_time": "yesterday", "updated_time": "2018-09-04",
             "user": None, "tags": None, "pictures": "https://x/p.jpg", "name": 42,
             "sections": "none"},
            {"key": "/bob/other/", "audio_length": 10, "tags": ["Funk", None],
             "user": "bob", "pictures": {"small": None}},
            {}]
    df = to_frame(rows)
    assert df.attrs["mixcloud"]["type"] == "cloudcast"
    assert dtypes(df) == schema("cloudcast")
    first = df.iloc[0]
    assert first["play_count"] == 12 and first["favorite_count"] == 2
    assert all(pd.isna(first[c]) for c in ("comment_count", "listener_count", "repost_count",
                                           "created_time", "user_key", "tags",
                                           "section_count"))
    assert first["hidden_stats"] == True  # noqa: E712
    assert first["updated_time"] == ts("2018-09-04")
    assert first["picture"] == "https://x/p.jpg" and first["name"] == "42"
    assert df.loc[1, "tags"] == ["Funk"] and pd.isna(df.loc[1, "user_key"])
    assert pd.isna(df.loc[1, "picture"])
    assert df.iloc[2].isna().all()


def test_timestamps_strings_datetimes_naive_and_mixed():
    aware = datetime(2018, 9, 4, 3, 18, 45, tzinfo=timezone(timedelta(hours=2)))
    rows = [{"key": "/a/", "username": "a", "created_time": "2018-09-04T01:18:45Z"},
            {"key": "/b/", "username": "b", "created_time": aware},
            {"key": "/c/", "username": "c", "created_time": datetime(2018, 9, 4, 1, 18, 45)},
            {"key": "/d/", "username": "d", "created_time": "2018-09-04T01:18:45+00:00"},
            {"key": "/e/", "username": "e", "created_time": "now"},
            {"key": "/f/", "username": "f"}]
    df = to_frame(rows)
    assert dtypes(df)["created_time"] == TIME
    assert df["created_time"].tolist()[:4] == [ts("2018-09-04 01:18:45")] * 4
    assert df["created_time"].iloc[4:].isna().all()


def test_type_inference_from_type_fields_and_shapes():
    assert to_frame([{"key": "/x/", "type": "user"}]).attrs["mixcloud"]["type"] == "user"
    assert to_frame([{"key": "/x/", "username": "x"}]).attrs["mixcloud"]["type"] == "user"
    assert to_frame([{"key": "/x/y/", "play_count": 1}]).attrs["mixcloud"]["type"] == "cloudcast"
    assert to_frame([{"key": "/x/y/", "audio_length": 1}]).attrs["mixcloud"]["type"] == (
        "cloudcast")
    assert to_frame([{"key": "/c/1/", "comment": "hi"}]).attrs["mixcloud"]["type"] == "comment"
    assert to_frame([{"key": "/u/feed/1/", "from": {}, "title": "t"}]).attrs["mixcloud"][
        "type"] == "feed"
    assert to_frame([{"key": "/discover/funk/", "name": "Funk", "url": "u"}]).attrs[
        "mixcloud"]["type"] == "tag"
    assert to_frame([{"key": "/categories/ambient/", "name": "A", "format": "music"}]).attrs[
        "mixcloud"]["type"] == "category"
    for action in ("upload", "listen", "favorite", "follow"):
        assert to_frame([{"key": "/u/feed/1/", "type": action}]).attrs["mixcloud"]["type"] == (
            "feed")
        assert to_frame([], action).attrs["mixcloud"]["type"] == "feed"
    # records whose shape tells nothing do not outvote the others
    assert to_frame([{"key": "/x/", "username": "x"}, {"key": "/y/"}]).attrs["mixcloud"][
        "type"] == "user"
    # an explicit type wins over the records
    df = to_frame([{"key": "/x/", "username": "x"}], "cloudcast")
    assert df.attrs["mixcloud"]["type"] == "cloudcast" and "username" in df.columns


def test_mixed_types_need_an_explicit_type():
    rows = [sample("user-spartacus-metadata-2018.json"),
            sample("cloudcast-detail-ntsradio-2014.json")]
    with pytest.raises(ValueError, match="several types"):
        to_frame(rows)
    assert len(to_frame(rows, "user")) == 2


def test_empty_page_type_comes_from_its_links():
    empty = {"paging": {"previous": "https://api.mixcloud.com/zanj/feed/?limit=100&offset=900"},
             "data": [], "name": "ZANJ RADIO's feed"}
    assert list(page_frame(empty).columns) == list(schema("feed"))
    assert page_frame({"data": []}, url="https://api.mixcloud.com/u/c/favorites/").attrs[
        "mixcloud"]["type"] == "user"
    assert page_frame({"data": []}, url="https://api.mixcloud.com/u/favorites/").attrs[
        "mixcloud"]["type"] == "cloudcast"
    assert page_frame({"data": []}, url="https://api.mixcloud.com/search/?q=a&type=tag").attrs[
        "mixcloud"]["type"] == "tag"
    nopaging = page_frame(sample("user-cloudcasts-empty-nopaging.json"), "cloudcast")
    assert dtypes(nopaging) == schema("cloudcast") and len(nopaging) == 0
    assert nopaging.attrs["mixcloud"]["list_name"] == "ZANJ RADIO's Cloudcasts"


def test_bad_arguments():
    with pytest.raises(TypeError):
        to_frame({"key": "/x/"})                       # one object, not a list
    with pytest.raises(TypeError):
        to_frame([None])
    with pytest.raises(TypeError):
        to_frame([], type=3)
    with pytest.raises(TypeError):
        to_frame([], source="https://api.mixcloud.com/x/")
    with pytest.raises(ValueError):
        page_frame(sample("user-spartacus-metadata-2018.json"))
    with pytest.raises(TypeError):
        page_frame([])


def test_resource_wrappers_are_accepted():
    body = sample("user-cloudcasts-spartacus-2018.json")
    page = ResourceList(copy.deepcopy(body), mixcloud=None)
    expected = page_frame(body)
    pd.testing.assert_frame_equal(page_frame(page), expected)
    assert page_frame(page).attrs == expected.attrs
    pd.testing.assert_frame_equal(to_frame(list(page)), to_frame(body["data"]))
    assert to_frame(page[0:1]).loc[0, "key"] == body["data"][0]["key"]


def test_generator_input():
    body = sample("user-followers-spartacus-2018.json")
    pd.testing.assert_frame_equal(to_frame(item for item in body["data"]),
                                  to_frame(body["data"]))


def test_all_pictures_keeps_every_size():
    body = sample("user-cloudcasts-spartacus-2018.json")
    df = page_frame(body, all_pictures=True)
    sizes = list(body["data"][0]["pictures"])
    user_sizes = list(body["data"][0]["user"]["pictures"])
    assert list(df.columns) == [*schema("cloudcast"), *(f"pictures_{s}" for s in sizes),
                                *(f"user_pictures_{s}" for s in user_sizes)]
    assert df.loc[0, "pictures_small"] == body["data"][0]["pictures"]["small"]
    user = to_frame([sample("user-spartacus-metadata-2018.json")], all_pictures=True)
    assert "cover_pictures_835wx120h" in user.columns and "pictures_thumbnail" in user.columns


# ------------------------------------------------------------------------------------------
# provenance: attrs, secrets

TOKEN, SECRET, CODE = "tok3n-SHOULD-NOT-LEAK", "s3cret-SHOULD-NOT-LEAK", "c0de-SHOULD-NOT-LEAK"


def with_secrets(url: str) -> str:
    return url.replace("?", f"?access_token={TOKEN}&", 1) + f"&client_secret={SECRET}"


def assert_no_secret(text: str):
    for secret in (TOKEN, SECRET, CODE):
        assert secret not in text


def test_attrs_never_hold_secrets(tmp_path):
    body = copy.deepcopy(sample("user-comments-spartacus-2018.json"))
    body["paging"] = {name: with_secrets(url) for name, url in body["paging"].items()}
    url = f"https://api.mixcloud.com/spartacus/comments/?limit=20&access_token={TOKEN}"
    df = page_frame(body, url=url)
    info = df.attrs["mixcloud"]
    assert_no_secret(json.dumps(info))
    assert info["url"] == "https://api.mixcloud.com/spartacus/comments/?limit=20"
    assert info["next"] == "http://api.mixcloud.com/spartacus/comments/?limit=20&until=2010-03-29+19%3A12%3A50"
    assert "access_token" not in json.dumps(info) and "client_secret" not in json.dumps(info)

    source = {"url": f"https://api.mixcloud.com/me/?access_token={TOKEN}",
              "redirect": f"https://example.com/cb?code={CODE}&state=ok",
              "implicit": f"https://example.com/cb#access_token={TOKEN}&state=ok",
              "nested": {"links": [f"https://x/?a=1;access_token={TOKEN}",
                                   f"https://x/?ACCESS_TOKEN={TOKEN}",
                                   f"https://x/?access%5Ftoken={TOKEN}",
                                   f"https://x/?next=https%3A%2F%2Fy%2F%3Faccess_token%3D{TOKEN}"]},
              "access_token": TOKEN, "client_secret": SECRET,
              "when": datetime(2020, 1, 1, tzinfo=UTC)}
    frame, sides = to_frame(sample("user-cloudcasts-spartacus-2018.json")["data"],
                            source=source, side_tables=True)
    for table in (frame, *sides.values()):
        info = table.attrs["mixcloud"]
        assert_no_secret(json.dumps(info))
        assert "access_token" not in info and "client_secret" not in info
        assert info["url"] == "https://api.mixcloud.com/me/"
        assert info["redirect"] == "https://example.com/cb?state=ok"
        assert info["implicit"] == "https://example.com/cb#state=ok"
        assert info["nested"]["links"][0] == "https://x/?a=1"
        assert info["when"] == "2020-01-01T00:00:00Z"
    path = tmp_path / "shows.parquet"
    frame.to_parquet(path)
    assert_no_secret(path.read_bytes().decode("latin-1"))
    assert pd.read_parquet(path).attrs == frame.attrs
    # the caller's dict is left as it was
    assert source["access_token"] == TOKEN and TOKEN in source["url"]


def test_source_cannot_override_the_table_type():
    df = to_frame([], "user", source={"type": "cloudcast", "list_name": "x"})
    assert df.attrs["mixcloud"] == {"type": "user", "list_name": "x"}


# ------------------------------------------------------------------------------------------
# round trips

ROUND_TRIP = ["user-cloudcasts-spartacus-2018.json", "user-listens-spartacus-2018.json",
              "user-feed-spartacus-2018.json", "user-comments-spartacus-2018.json",
              "user-following-spartacus-2018.json", "user-spartacus-metadata-2018.json",
              "me-foobar-anon.json", "legacy2013-cloudcast-detail-metadata.json",
              "legacy2013-track-everybody-metadata.json", "user-favorites-spartacus-2018.json"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_parquet_round_trip(tmp_path, name):
    frame, side = frame_of(decoded(name), side_tables=True, all_pictures=True)
    for label, table in {"main": frame, **side}.items():
        path = tmp_path / f"{label}.parquet"
        table.to_parquet(path)
        back = pd.read_parquet(path)
        pd.testing.assert_frame_equal(back, table)
        assert dtypes(back) == dtypes(table)
        assert back.attrs == table.attrs


def test_parquet_round_trip_of_extras_and_empty_frames(tmp_path):
    items = copy.deepcopy(sample("user-cloudcasts-spartacus-2018.json")["data"])
    items[0]["audio_format"] = {"bitrate": 320}
    items[1]["genres"] = ["a", "b"]
    items[2]["premiere_time"] = "2018-09-04T01:18:45Z"
    items[3]["rating"] = 2.5
    items[4]["is_exclusive"] = False
    tables = [to_frame(items)] + [to_frame([], kind) for kind in TYPES]
    for number, table in enumerate(tables):
        path = tmp_path / f"{number}.parquet"
        table.to_parquet(path)
        back = pd.read_parquet(path)
        pd.testing.assert_frame_equal(back, table)
        assert back.attrs == table.attrs


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_csv_round_trip_with_read_csv(name):
    body = sample(name)
    frame, side = frame_of(body, side_tables=True)
    kind = frame.attrs["mixcloud"]["type"]
    back = read_csv(io.StringIO(frame.to_csv(index=False)), kind)
    expected = frame.copy()
    # A CSV file cannot tell "" from missing text: an empty name reads back as <NA>.
    for column in expected.columns:
        if dtypes(expected)[column] == "string":
            expected[column] = expected[column].mask(expected[column] == "")
    expected.attrs = {}
    # the schema's columns get their dtypes back; extra columns keep names and values
    assert list(back.columns) == list(expected.columns)
    known = list(schema(kind))
    pd.testing.assert_frame_equal(back[known], expected[known])
    for column in expected.columns.difference(known):
        assert back[column].astype(object).where(back[column].notna(), None).tolist() == (
            expected[column].astype(object).where(expected[column].notna(), None).tolist())
    for table_name, table in side.items():
        back = read_csv(io.StringIO(table.to_csv(index=False)), kind, side=table_name)
        expected = table.copy()
        expected.attrs = {}
        pd.testing.assert_frame_equal(back, expected)


def test_tags_are_a_list_column_that_explodes_after_parquet_and_csv(tmp_path):
    shows = page_frame(sample("user-favorites-spartacus-2018.json"))
    names = [[tag["name"] for tag in item["tags"]]
             for item in sample("user-favorites-spartacus-2018.json")["data"]]
    assert shows["tags"].tolist() == names and [] in names
    shows.to_parquet(tmp_path / "shows.parquet")
    back = pd.read_parquet(tmp_path / "shows.parquet")   # pandas alone cannot (pandas#57411)
    pd.testing.assert_frame_equal(back, shows)
    exploded = back.explode("tags")
    assert exploded["tags"].dropna().tolist() == [name for tags in names for name in tags]
    assert exploded["tags"].value_counts().sum() == sum(map(len, names))
    for written in (shows.to_csv(index=False),                      # pandas' own form
                    shows.assign(tags=[json.dumps(tags) for tags in names]).to_csv(index=False)):
        again = read_csv(io.StringIO(written), "cloudcast")
        pd.testing.assert_series_equal(again["tags"], shows["tags"])


@pytest.mark.parametrize("cell", ['"[1, 2]"', "'House'", '"[\'a\' + \'b\']"', '"{}"'])
def test_read_csv_refuses_a_tags_cell_that_is_no_list_of_names(cell):
    with pytest.raises(ValueError, match="column 'tags'.* is not a list of names"):
        read_csv(io.StringIO(f"key,tags\n/bob/mix/,{cell}\n"), "cloudcast")


def test_csv_without_help_loses_dtypes():
    frame = page_frame(sample("user-listens-spartacus-2018.json"))
    plain = pd.read_csv(io.StringIO(frame.to_csv(index=False)))
    assert dtypes(plain)["created_time"] != TIME
    assert dtypes(plain)["hidden_stats"] != "boolean"
    assert dtypes(plain)["play_count"] == "int64"     # no missing value here, but no Int64
    helped = read_csv(io.StringIO(frame.to_csv(index=False)), "cloudcast")
    assert dtypes(helped) == dtypes(frame)


def test_read_csv_of_an_empty_table():
    empty = to_frame([], "comment")
    back = read_csv(io.StringIO(empty.to_csv(index=False)), "comment")
    assert dtypes(back) == schema("comment") and len(back) == 0
