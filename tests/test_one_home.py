"""Each rule has one home: the API vocabulary, redaction and the player's options are written
once, so every layer that uses them agrees. Each test below failed while the copies
disagreed."""

from __future__ import annotations

import copy
import html as htmllib
import logging
import re

import pandas as pd
import pytest

from mixframe import Mixcloud, MixcloudSync, crawl
from mixframe._api import CONNECTIONS, FEED_ITEM_TYPES, TABLES
from mixframe.frames import page_frame, to_frame
from mixframe.html import resource_html, resource_list_html
from mixframe.widgets import player

from conftest import on_sandbox, sample

SECRET = "SEKRIT-VALUE-42"


def test_a_feed_page_of_any_mix_of_item_types_makes_one_feed_frame():
    body = copy.deepcopy(sample("user-feed-spartacus-2018.json"))
    items = body["data"]
    items[0]["type"], items[1]["type"] = "repost", "playlist_add"   # a kind Mixcloud adds later
    frame = page_frame(body)
    assert frame.attrs["mixcloud"]["type"] == "feed"
    assert frame["type"].tolist()[:2] == ["repost", "playlist_add"]
    assert len(frame) == len(items)
    for kind in FEED_ITEM_TYPES:   # each kind on its own, and all of them together
        assert to_frame([{**items[2], "type": kind}]).attrs["mixcloud"]["type"] == "feed"
    mixed = [{**items[2], "type": kind} for kind in FEED_ITEM_TYPES]
    assert to_frame(mixed)["type"].tolist() == list(FEED_ITEM_TYPES)


def test_the_sandbox_serves_the_connections_the_client_knows(sb):
    with on_sandbox(sb, MixcloudSync) as mixcloud:
        user = mixcloud.get("spartacus")
        show = mixcloud.get(mixcloud.get("spartacus").cloudcasts(limit=1)[0].key)
        tag = mixcloud.get("genres/house")
        for kind, resource in (("user", user), ("cloudcast", show), ("tag", tag)):
            assert tuple(resource.metadata.connections) == CONNECTIONS[kind]
            for name in CONNECTIONS[kind]:   # a method for each, named after it
                assert callable(getattr(resource, name.replace("-", "_")))


def test_a_secret_parameter_in_any_case_is_masked_in_logs_errors_frames_and_html():
    url = f"https://api.mixcloud.com/spartacus/followers/?Access_Token={SECRET}&limit=20"
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(self.format(record))

    handler = Keep()
    logger = logging.getLogger("mixframe")
    logger.addHandler(handler)
    try:
        logger.warning("GET %s failed", url)
        logger.warning(f"GET {url} failed")
    finally:
        logger.removeHandler(handler)
    with pytest.raises(ValueError) as raised:
        Mixcloud(api_root=f"https://api.mixcloud.com/?ACCESS_TOKEN={SECRET}")
    frame = page_frame({"data": [{"key": "/bob/", "username": "bob"}],
                        "paging": {"next": url}}, url=url)
    html = resource_html({"key": "/bob/", "name": "Bob", "url": url}) + resource_list_html(
        {"data": [{"key": "/bob/", "name": "Bob", "url": url}]})
    shown = "\n".join([*seen, str(raised.value), repr(frame.attrs), html])
    assert len(seen) == 2 and "limit=20" in shown
    assert SECRET not in shown


@pytest.mark.parametrize("options", [
    {"width": "600px"}, {"width": 600, "height": "60"}, {"width": "100%", "mini": True},
    {"color": "#FF6600", "light": True, "hide_artwork": True},
])
def test_player_and_embed_take_the_same_options_and_build_the_same_iframe(options):
    key = "/spartacus/party-time/"
    embedded = pd.DataFrame({"key": [key]}).mixcloud.embed(**options)[0]
    shown = player(key, **options)

    def attributes(html):
        return re.search(r'<iframe (width="[^"]*" height="[^"]*" src="[^"]*")', html).group(1)

    assert attributes(embedded) == attributes(shown.value)
    assert embedded.startswith("<iframe ") and f'src="{htmllib.escape(shown.src)}"' in embedded


@pytest.mark.parametrize("options, error", [
    ({"width": "600em"}, ValueError), ({"width": "150%"}, ValueError),
    ({"height": 0}, ValueError), ({"color": "red"}, ValueError), ({"mini": "yes"}, TypeError),
])
def test_player_embed_and_the_client_refuse_the_same_options(options, error, sb):
    key = "/spartacus/party-time/"
    with pytest.raises(error):
        player(key, **options)
    with pytest.raises(error):
        pd.DataFrame({"key": [key]}).mixcloud.embed(**options)
    with on_sandbox(sb, MixcloudSync) as mixcloud, pytest.raises(error):
        mixcloud.embed_html(key, **options)
    assert sb.request_count == 0


def test_a_server_chosen_type_never_names_a_table_or_a_file(recorded, tmp_path):
    """Items whose ``type`` is not ours go to the ``other`` table, never to a table (or a file)
    named by the server."""
    root = "https://api.mixcloud.com"
    recorded.add("/spartacus/", {"key": "/spartacus/", "type": "user", "username": "spartacus",
                                 "metadata": {"connections": {"feed": f"{root}/spartacus/feed/"}}})
    recorded.add("/spartacus/feed/", {"data": [
        {"key": "/x/one/", "type": "../../../../tmp/pwned"},
        {"key": "/x/two/", "type": "users"},
        {"key": "/bob/", "type": "user", "username": "bob"}]})
    result = crawl("spartacus", connections=["feed"], progress=False,
                   transport=recorded.transport)
    assert {name for name, frame in result.tables.items() if len(frame)} == {"users", "other"}
    assert set(result.tables) == {*TABLES.values(), "other"}  # every table, empty ones too
    assert result.users["key"].tolist() == ["/spartacus/", "/bob/"]
    assert result.other["key"].tolist() == ["/x/one/", "/x/two/"]
    out = tmp_path / "out"
    result.to_csv(out)
    written = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*")
                     if path.is_file())
    assert all(name.startswith("out/") for name in written)
    assert "out/other.csv" in written and "out/users.csv" in written
