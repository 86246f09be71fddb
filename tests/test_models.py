"""Model behaviour on their own data: item and attribute access, lookup by key, slicing,
mapping semantics, pickling."""

from __future__ import annotations

import copy
import pickle

import pytest

from mixframe import AccessDict, AccessList, Mixcloud, Resource, ResourceList

USER = {"key": "/bob/", "type": "user", "name": "Bob", "url": "https://www.mixcloud.com/bob/",
        "pictures": {"small": "s.jpg"}}
LIST = {"data": [USER, {"key": "/al/", "type": "user", "name": "Al"},
                 {"key": "/al/mix/", "type": "cloudcast", "name": "Mix"}],
        "paging": {"next": "https://api.mixcloud.com/bob/followers/?offset=3"},
        "name": "Bob's followers"}


def test_wrap_gives_the_proper_models():
    data = AccessDict({"n": 1, "s": "x", "l": [1], "d": {"a": 1}, "r": USER,
                       "e": {"type": "OAuthException", "message": "m"}})
    assert (data["n"], data.s) == (1, "x")
    assert type(data.l) is AccessList and type(data.d) is AccessDict
    assert type(data.r) is Resource and type(data.e) is AccessDict


def test_attribute_access_and_errors():
    user = Resource(USER, mixcloud=None)
    assert user.name == user["name"] == "Bob" and user.pictures.small == "s.jpg"
    with pytest.raises(KeyError):
        user["nope"]
    with pytest.raises(AttributeError, match="'Resource' object has no attribute 'nope'"):
        user.nope
    user.bar = 15  # real attributes win and do not touch the data
    assert user.bar == 15 and "bar" not in user


def test_nested_wrappers_share_the_data():
    user = Resource(USER, mixcloud=None)
    user.pictures["small"] = "new.jpg"
    assert user.data["pictures"]["small"] == "new.jpg"


def test_access_list_indexing():
    items = AccessList(LIST["data"])
    assert items[0].name == "Bob" and items[-1].name == "Mix"
    assert [item.name for item in items[0:2]] == ["Bob", "Al"] and type(items[0:2]) is AccessList
    for key in ("al", "al/", "/al", "/al/"):
        assert items[key].name == "Al"
    with pytest.raises(KeyError, match="/zed/"):
        items["zed"]
    with pytest.raises(IndexError):
        items[7]
    assert "al/mix" in items and "zed" not in items


def test_resource_list_semantics():
    page = ResourceList(LIST, mixcloud=None)
    assert len(page) == 3 and [item.key for item in page] == ["/bob/", "/al/", "/al/mix/"]
    assert page["name"] == "Bob's followers" and page["al"].name == "Al" and page[1].key == "/al/"
    assert [item.key for item in page[1:]] == ["/al/", "/al/mix/"]
    assert list(page.keys()) == ["data", "paging", "name"]
    assert dict(page.items())["name"] == "Bob's followers"
    assert page == ResourceList(dict(LIST), mixcloud=None) and page == LIST
    assert repr(page) == "<ResourceList \"Bob's followers\">"
    assert repr(ResourceList({"data": []})) == "<ResourceList>"
    empty = ResourceList({})
    assert len(empty) == 0 and not empty and list(empty) == []


def test_resource_repr_is_safe():
    assert repr(Resource(USER)) == "<Resource: User '/bob/'>"
    assert repr(Resource({"type": "live_stream", "key": "/x/"})) == "<Resource: Live Stream '/x/'>"
    assert repr(Resource({"key": "/x/", "url": "u"})) == "<Resource '/x/'>"
    assert repr(Resource({})) == "<Resource>"


def test_targeted_methods_are_mirrored_with_the_key():
    client = Mixcloud()
    user = Resource(USER, mixcloud=client)
    for name in ("follow", "unfollow", "favorite", "unfavorite", "repost", "unrepost",
                 "listen_later", "unlisten_later", "embed_json", "embed_html", "oembed", "edit"):
        method = getattr(user, name)
        assert method.args == ("/bob/",) and method.func.__name__ == name
    with pytest.raises(AttributeError):
        user.me  # not a targeted method
    assert user.get("name") == "Bob"  # the Mapping method, not the client's get


async def test_connections_come_from_metadata():
    data = {**USER, "metadata": {"connections": {
        "followers": "https://api.mixcloud.com/bob/followers/",
        "listen-later": "https://api.mixcloud.com/bob/listen-later/"}}}
    full = Resource(data, full=True, mixcloud=Mixcloud())
    assert callable(full.followers) and callable(full.listen_later)
    assert full.listen_later.__name__ == "listen_later"
    with pytest.raises(TypeError):
        await full.followers("positional")
    with pytest.raises(TypeError):
        await full.followers(nonsense=1)
    assert not hasattr(Resource(data, full=False, mixcloud=Mixcloud()), "followers")
    assert not hasattr(Resource(data, full=True, create_connections=False), "followers")


def test_models_pickle_and_copy():
    client = Mixcloud()
    data = {**USER, "metadata": {"connections": {"followers": "https://x/bob/followers/"}}}
    user = Resource(data, full=True, mixcloud=client)
    restored = pickle.loads(pickle.dumps(user))
    assert restored.data == user.data and restored.mixcloud is None
    page = pickle.loads(pickle.dumps(ResourceList(LIST, mixcloud=client)))
    assert page == LIST
    assert copy.copy(user).name == "Bob"


def test_rich_and_plain_reprs():
    user = Resource({**USER, "name": "<b>Bob</b>", "follower_count": 12345}, mixcloud=None)
    html = user._repr_html_()
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html and "<b>Bob</b>" not in html and "/bob/" in html
    page = ResourceList(LIST, mixcloud=None)
    assert "Bob&#x27;s followers" in page._repr_html_() and "3 items" in page._repr_html_()
    assert len(repr(user)) < 80 and len(repr(page)) < 80
