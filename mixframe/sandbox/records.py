"""The world's records (users, cloudcasts, timed edges, comments) and the state holding them.

Internal to the sandbox: :class:`WorldState` is everything a :class:`~mixframe.sandbox.world.World`
knows, and the modules doing one job each (``generate``, ``render``, ``listings``, ``actions``,
``oauth``, ``uploads``, ``advance``) read and change it through the lookups defined here.

Records refer to each other by index: a cloudcast's ``owner`` is an index into
:attr:`WorldState.users`, a user's ``followers`` are ids of edges in :attr:`WorldState.follows`.
Every list of edge ids or cloudcast indexes is kept oldest first.
"""

from __future__ import annotations

import calendar
import re
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._api import CONNECTIONS, RESERVED_SEGMENTS
from .errors import NotFound

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CLOCK_START",
    "CLOUDCAST_CONNECTIONS",
    "DEFAULT_USERNAME",
    "HISTORY_END",
    "RESERVED_USERNAMES",
    "TAG_CONNECTIONS",
    "TOKEN",
    "USER_CONNECTIONS",
    "Cloudcast",
    "Comments",
    "Edges",
    "User",
    "WorldState",
    "iso",
    "parse_iso",
    "slugify",
]

#: OAuth client id of the sandbox's registered app.
CLIENT_ID = "mixframe-sandbox-app"
#: OAuth client secret of the sandbox's registered app.
CLIENT_SECRET = "sandbox-secret-5f1c0e7a9b2d4e63"
#: Username of the default authorised user (a normal synthetic user, with a Pro account).
DEFAULT_USERNAME = "sandbox-user"
#: Access token pre-issued to :data:`DEFAULT_USERNAME`, valid in every world.
TOKEN = "sbx-0c5f2a9e7d3b41869a1e6f9c2d8b0a4e"

#: First path segments that are not usernames.
RESERVED_USERNAMES = RESERVED_SEGMENTS
#: Connections of a user, as listed in its ``metadata.connections``.
USER_CONNECTIONS = CONNECTIONS["user"]
#: Connections of a cloudcast.
CLOUDCAST_CONNECTIONS = CONNECTIONS["cloudcast"]
#: Connections of a tag (``latest`` is also answered, as an alias of ``new``).
TAG_CONNECTIONS = CONNECTIONS["tag"]

#: Start of the logical clock used by changes made after generation (2025-01-01T00:00:00Z).
CLOCK_START = 1735689600
#: End of the generated history (2024-12-31T00:00:00Z): every generated time is before it.
HISTORY_END = 1735603200

# Second path segments under a user that can never be cloudcast slugs.
_RESERVED_SLUGS = frozenset(USER_CONNECTIONS) | {"follow", "listen-later"}
_CACHE_SIZE = 48


def iso(t: int) -> str:
    """Unix time -> the API's ``YYYY-MM-DDTHH:MM:SSZ``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_iso(text: str) -> int:
    """The API's ``YYYY-MM-DDTHH:MM:SSZ`` -> Unix time."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def slugify(text: str) -> str:
    """The slug Mixcloud derives from a name: lower case, runs of other characters as ``-``."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "untitled"


@dataclass(slots=True, eq=False)
class User:
    """A user: profile fields and the indexes of everything it did or received."""

    idx: int
    username: str
    name: str
    created: int
    updated: int
    city: str
    country: str
    is_pro: bool
    is_premium: bool
    weight: float                        # how likely others follow it (Pareto)
    biog: str | None = None              # None: generated when rendered
    picture: int | str | None = None     # None: derived when rendered
    cover: int | str | None = None
    color: str | None = None
    slugs: dict[str, int] | None = None  # cloudcast slug -> index (None: no upload yet)
    cloudcasts: list[int] = field(default_factory=list)    # public cloudcasts
    drafts: list[int] = field(default_factory=list)        # unlisted / scheduled uploads
    following: list[int] = field(default_factory=list)     # follow edge ids
    followers: list[int] = field(default_factory=list)
    favorites: list[int] = field(default_factory=list)
    listens: list[int] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)      # comment ids on this profile
    listen_later: list[int] = field(default_factory=list)
    reposts: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Cloudcast:
    """A cloudcast (show); its edge lists are None while empty, as most shows have none."""

    idx: int
    owner: int                           # user index
    name: str
    created: int
    updated: int
    audio_length: int
    tags: tuple[int, ...]                # tag ids
    appeal: float                        # how likely users favorite or listen to it
    extra_plays: int                     # plays beyond its listeners
    slug: str = ""                       # set by WorldState.add_slug
    hidden_stats: bool = False
    public: bool = True
    picture: int | str | None = None     # None: derived when rendered
    color: str | None = None
    description: str | None = None       # None: generated when rendered
    sections: list[tuple] | None = None  # (kind, artist or chapter, song, start); None: generated
    disable_comments: bool = False
    publish_date: str | None = None
    hosts: tuple[str, ...] = ()
    favorites: list[int] | None = None   # edge ids (None: empty)
    listeners: list[int] | None = None
    comments: list[int] | None = None
    reposts: list[int] | None = None


@dataclass(slots=True, eq=False)
class Edges:
    """Timed edges ``a -> b`` stored column-wise; ids are assigned in time order."""

    time: array = field(default_factory=lambda: array("q"))
    a: array = field(default_factory=lambda: array("i"))
    b: array = field(default_factory=lambda: array("i"))

    def add(self, t: int, a: int, b: int) -> int:
        """Store an edge and return its id."""
        self.time.append(t)
        self.a.append(a)
        self.b.append(b)
        return len(self.time) - 1


@dataclass(slots=True, eq=False)
class Comments:
    """Comments stored column-wise; ``text`` indexes the stock texts unless ``extra_text``."""

    time: array = field(default_factory=lambda: array("q"))
    author: array = field(default_factory=lambda: array("i"))
    target: array = field(default_factory=lambda: array("i"))   # user or cloudcast index
    on_cloudcast: bytearray = field(default_factory=bytearray)
    text: array = field(default_factory=lambda: array("H"))
    extra_text: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class WorldState:
    """Everything a world holds: the generated data and what changed since.

    ``version`` counts changes (derived lists are cached per version); ``clock`` is the
    logical time of the last change, starting at :data:`CLOCK_START`.
    """

    seed: int
    salt: int = 0                        # seeds the derived picture ids and colours
    clock: int = CLOCK_START
    version: int = 0
    users: list[User] = field(default_factory=list)
    by_name: dict[str, int] = field(default_factory=dict)     # lower-case username -> index
    preferences: list[list[int]] = field(default_factory=list)  # 3 genre ids per user
    cloudcasts: list[Cloudcast] = field(default_factory=list)
    new: list[int] = field(default_factory=list)              # public cloudcasts
    tag_slugs: list[str] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    tag_index: dict[str, int] = field(default_factory=dict)
    tag_cloudcasts: list[list[int]] = field(default_factory=list)  # public ones per tag
    follows: Edges = field(default_factory=Edges)
    favorites: Edges = field(default_factory=Edges)
    listens: Edges = field(default_factory=Edges)
    reposts: Edges = field(default_factory=Edges)
    later: Edges = field(default_factory=Edges)
    comments: Comments = field(default_factory=Comments)
    clients: dict[str, str] = field(default_factory=lambda: {CLIENT_ID: CLIENT_SECRET})
    default_username: str = DEFAULT_USERNAME
    tokens: dict[str, int] = field(default_factory=dict)      # token -> user index
    codes: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    issued: int = 0                                           # secrets issued so far
    uploads: list[dict[str, Any]] = field(default_factory=list)
    cache: OrderedDict[tuple, tuple[int, Any]] = field(default_factory=OrderedDict)

    # -- lookups ------------------------------------------------------------------------------

    def user_index(self, username: str) -> int:
        i = self.by_name.get(username.lower()) if isinstance(username, str) else None
        if i is None:
            raise NotFound(f"No user with username {username!r}")
        return i

    def cloudcast_index(self, username: str, slug: str) -> int:
        user = self.users[self.user_index(username)]
        i = (user.slugs or {}).get(slug.lower())
        if i is None:
            raise NotFound(f"No cloudcast /{user.username}/{slug}/")
        return i

    def cloudcast_by_key(self, key: str) -> int:
        parts = [p for p in key.split("/") if p]
        if len(parts) != 2:
            raise NotFound(f"{key!r} is not a cloudcast key")
        return self.cloudcast_index(*parts)

    def cloudcast_key(self, cc: Cloudcast) -> str:
        return f"/{self.users[cc.owner].username}/{cc.slug}/"

    def tag_by_slug(self, slug: str) -> int:
        i = self.tag_index.get(slug.lower())
        if i is None:
            raise NotFound(f"No tag {slug!r}")
        return i

    # -- growth -------------------------------------------------------------------------------

    def tag_id(self, slug: str, name: str | None = None) -> int:
        """Id of the tag `slug`, created (named `name`) if new."""
        i = self.tag_index.get(slug)
        if i is None:
            i = len(self.tag_slugs)
            self.tag_slugs.append(slug)
            self.tag_names.append(name or slug.replace("-", " ").capitalize())
            self.tag_index[slug] = i
            self.tag_cloudcasts.append([])
        return i

    def add_slug(self, user: User, cc: Cloudcast, slug: str | None = None) -> None:
        """Give `cc` its slug (`slug`, else from its name), unique among `user`'s."""
        base = slug or slugify(cc.name)
        if user.slugs is None:
            user.slugs = {}
        slug, n = base, 1
        while slug in user.slugs or slug in _RESERVED_SLUGS:
            n += 1
            slug = f"{base}-{n}"
        cc.slug = slug
        user.slugs[slug] = cc.idx

    def tick(self) -> int:
        """Move the logical clock one second on (a change): the time of that change."""
        self.clock += 1
        self.version += 1
        return self.clock

    def cached(self, key: tuple, build: Callable[[], Any]) -> Any:
        """`build()`, remembered until the world changes (a small LRU of derived lists)."""
        cache = self.cache
        hit = cache.get(key)
        if hit is not None and hit[0] == self.version:
            cache.move_to_end(key)
            return hit[1]
        value = build()
        cache[key] = (self.version, value)
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
        return value
