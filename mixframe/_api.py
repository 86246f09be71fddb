"""The Mixcloud API's vocabulary: resource types, connections, feed items, key shapes, actions,
search types, paging sizes, the player's URL and options, and the names of secret parameters.

This is the one home of these facts. The client, the models, the frames, the crawler, the
accessor, the widgets and the sandbox all read them from here, so that they cannot disagree
(see ``shared/reference/mixcloud-api.md`` for the evidence behind each list).

Examples
--------
>>> CONNECTIONS["cloudcast"]
('comments', 'favorites', 'listeners', 'similar')
>>> connection_item_type("favorites", "user"), connection_item_type("favorites", "cloudcast")
('cloudcast', 'user')
>>> key_type("/spartacus/"), key_type("/spartacus/party-time/"), key_type("/genres/funk/")
('user', 'cloudcast', 'tag')
>>> table_type("repost"), table_type("user"), table_type("something-new")
('feed', 'user', None)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "ACTIONS",
    "CONNECTIONS",
    "DEFAULT_PAGE_SIZE",
    "DETAIL_TYPES",
    "FEED_ITEM_TYPES",
    "MAX_PAGE_SIZE",
    "PLAYER_OPTIONS",
    "PLAYER_URL",
    "RESERVED_SEGMENTS",
    "RESOURCE_TYPES",
    "SEARCH_TYPES",
    "SECRET_PARAMS",
    "TABLES",
    "TAG_PREFIXES",
    "connection_item_type",
    "is_secret_param",
    "key_type",
    "list_item_type",
    "table_type",
]

#: Types of the resources the API serves, each with its own table schema.
RESOURCE_TYPES = ("user", "cloudcast", "tag", "comment", "feed", "category", "playlist")

#: Types of the resources that have a detail page at their key (``GET /{key}/``): the full
#: object, where a list holds a shorter form. Comments and feed items have none.
DETAIL_TYPES = ("user", "cloudcast", "tag", "category", "playlist")

#: Connections of each resource type, as its ``metadata.connections`` lists them, in that order.
CONNECTIONS: dict[str, tuple[str, ...]] = {
    "user": ("cloudcasts", "comments", "favorites", "feed", "followers", "following",
             "listens", "playlists"),
    "cloudcast": ("comments", "favorites", "listeners", "similar"),
    "tag": ("popular", "new", "hot"),
    "category": ("cloudcasts", "users", "userpick-cloudcasts", "userpick-users"),
}

#: The ``type`` of items of a user's feed. A feed item of a type not listed here (Mixcloud may
#: add some) is still a feed item: it has the feed's shape (``from`` and ``title``).
FEED_ITEM_TYPES = ("upload", "repost", "favorite", "listen", "follow")

#: Type of the items of each connection (``favorites`` depends on the source: see
#: :func:`connection_item_type`). Global lists and a user's ``listen-later`` are included.
_CONNECTION_ITEMS: dict[str, str] = {
    "cloudcasts": "cloudcast", "listens": "cloudcast", "popular": "cloudcast",
    "hot": "cloudcast", "new": "cloudcast", "latest": "cloudcast", "similar": "cloudcast",
    "listen-later": "cloudcast", "userpick-cloudcasts": "cloudcast",
    "followers": "user", "following": "user", "listeners": "user", "users": "user",
    "userpick-users": "user", "comments": "comment", "feed": "feed", "playlists": "playlist",
    "categories": "category",
}

#: First path segments of tag keys, newest first (``/genres/`` replaced ``/discover/``, which
#: replaced ``/tag/``; the old ones still answer).
TAG_PREFIXES = ("genres", "discover", "tag")

#: First path segments that are never usernames (``artist`` and ``track`` are the 2013 API's
#: retired objects).
RESERVED_SEGMENTS = frozenset({
    "oauth", "oembed", "widget", "upload", "search", "popular", "new", "me", "discover", "tag",
    "genres", "categories", "artist", "track", "comments",
})

#: Resource types :meth:`mixframe.Mixcloud.search` accepts.
SEARCH_TYPES = ("cloudcast", "user", "tag")

#: The authorised actions, and the type of resource each one applies to.
ACTIONS: dict[str, str] = {
    "follow": "user", "unfollow": "user",
    "favorite": "cloudcast", "unfavorite": "cloudcast",
    "repost": "cloudcast", "unrepost": "cloudcast",
    "listen_later": "cloudcast", "unlisten_later": "cloudcast",
}

#: Items per page when none is asked for, and the most the API serves.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

#: The Mixcloud player, embedded in an iframe (``?feed=<key>`` and the options below).
PLAYER_URL = "https://www.mixcloud.com/widget/iframe/"
#: The player's on/off options, sent as ``name=1`` when set.
PLAYER_OPTIONS = ("hide_cover", "mini", "light", "hide_artwork", "autoplay")

#: Table of each resource type in a crawl's result. Table and file names come from here only,
#: never from what a server sends.
TABLES: dict[str, str] = {
    "user": "users", "cloudcast": "cloudcasts", "tag": "tags", "comment": "comments",
    "feed": "feed", "playlist": "playlists", "category": "categories",
}

#: Query parameters whose values are secrets (compared without regard to case).
SECRET_PARAMS = frozenset({"access_token", "client_secret", "code"})


def is_secret_param(name: Any) -> bool:
    """Whether a query parameter (or mapping key) named `name` holds a secret.

    >>> is_secret_param("Access_Token"), is_secret_param("limit")
    (True, False)
    """
    return isinstance(name, str) and name.strip().lower() in SECRET_PARAMS


def table_type(item_type: Any) -> str | None:
    """The resource type whose table holds items of ``type`` `item_type`, or ``None``.

    Feed item types (``upload``, ``repost``...) are ``"feed"``; a known resource type is
    itself; anything else (an unknown or malformed type) is ``None``.
    """
    if not isinstance(item_type, str):
        return None
    name = item_type.strip().lower()
    if name in FEED_ITEM_TYPES or name == "feed_item":
        return "feed"
    return name if name in RESOURCE_TYPES else None


def _segments(key: str) -> list[str]:
    return [segment for segment in key.split("/") if segment]


def key_type(key: Any) -> str | None:
    """The resource type a key's shape says, or ``None`` when it does not tell.

    ``/user/`` is a user, ``/user/slug/`` a cloudcast, ``/genres/slug/`` (or ``/discover/``,
    ``/tag/``) a tag, ``/categories/slug/`` a category, ``/user/playlists/slug/`` a playlist,
    ``/user/feed/id/`` a feed item, ``/comments/.../`` a comment.
    """
    if not isinstance(key, str):
        return None
    parts = _segments(key)
    if not parts:
        return None
    head = parts[0]
    if head == "comments":
        return "comment"
    if head in TAG_PREFIXES:
        return "tag" if len(parts) == 2 else None
    if head == "categories":
        return "category" if len(parts) == 2 else None
    if head in RESERVED_SEGMENTS:
        return None
    if len(parts) == 1:
        return "user"
    if len(parts) == 2:
        return None if parts[1] in CONNECTIONS["user"] else "cloudcast"
    if len(parts) == 3 and parts[1] == "playlists":
        return "playlist"
    if len(parts) == 3 and parts[1] == "feed":
        return "feed"
    return None


def connection_item_type(connection: str, source_type: str | None = None) -> str | None:
    """Type of the items of `connection` of a resource of `source_type`.

    ``favorites`` of a user are cloudcasts and ``favorites`` of a cloudcast are users (its
    fans); other connections do not depend on the source.
    """
    if connection == "favorites":
        return {"user": "cloudcast", "cloudcast": "user"}.get(source_type or "")
    return _CONNECTION_ITEMS.get(connection)


def list_item_type(url: Any) -> str | None:
    """Type of the items of the list at `url` (a page or paging link), if its path tells.

    >>> list_item_type("https://api.mixcloud.com/spartacus/favorites/?limit=20")
    'cloudcast'
    >>> list_item_type("https://api.mixcloud.com/search/?q=funk&type=user")
    'user'
    """
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    segments = _segments(parts.path)
    if not segments:
        return None
    if segments == ["search"]:
        wanted = dict(parse_qsl(parts.query)).get("type")
        return wanted if wanted in SEARCH_TYPES else None
    if segments[0] == "me" and len(segments) == 2:
        return connection_item_type(segments[1], "user")
    source = "/" + "/".join(segments[:-1]) + "/"
    return connection_item_type(segments[-1], key_type(source))
