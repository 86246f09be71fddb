"""The sandbox's synthetic Mixcloud: a seeded, deterministic world of users, shows and activity.

A :class:`World` is generated from a seed: the same seed and size always give the same data,
whatever ``PYTHONHASHSEED`` is (every random draw comes from :class:`random.Random` instances
seeded with strings). It holds

* users with full profiles, a follow graph, favorites, listens, reposts and comments on profiles;
* cloudcasts (shows) with tags from a fixed genre list, sections, comments and consistent counts;
* tags with popular / hot / new lists, site-wide popular / hot / new lists and search;
* OAuth state: app credentials, issued tokens and authorisation codes;
* mutable state changed by actions (follow, favorite, repost, listen later) and by upload / edit.

Well-known real accounts take part in the synthetic graph with their recorded profile fields:
``spartacus`` (2018 profile and his five recorded cloudcasts) and ``NTSRadio`` (one recorded show).
Their counts (followers, listens, ...) are those of the synthetic world, so that every count matches
the lists the API serves.

Every time that orders a list (upload, follow, favourite, listen, comment time, ...) is unique in
the whole world, hence within every list, so that date-mode paging (``since`` / ``until``) is exact.
Changes made after generation take their times from a logical clock starting at :data:`CLOCK_START`,
which keeps responses reproducible.

The world renders objects in the API's shapes (:meth:`World.user`, :meth:`World.cloudcast`, ...) and
describes every list as a :class:`Listing`; :class:`mixframe.sandbox.api.MixcloudAPI` adds HTTP,
paging and ``metadata`` on top.
"""

from __future__ import annotations

import bisect
import calendar
import gc
import hashlib
import heapq
import itertools
import json
import operator
import random
import re
import time
from array import array
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

from .._api import CONNECTIONS, RESERVED_SEGMENTS
from ..constants import DESCRIPTION_MAX_SIZE, MP3_MAX_SIZE, PICTURE_MAX_SIZE

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CLOCK_START",
    "CLOUDCAST_CONNECTIONS",
    "DEFAULT_USERNAME",
    "GENRES",
    "RESERVED_USERNAMES",
    "TAG_CONNECTIONS",
    "TOKEN",
    "USER_CONNECTIONS",
    "ActionError",
    "Listing",
    "NotFound",
    "OAuthError",
    "PermissionDenied",
    "UploadError",
    "UploadedFile",
    "World",
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

#: The genre tags of generated shows, as ``(slug, name)``.
GENRES = (
    ("ambient", "Ambient"), ("chillout", "Chillout"), ("jazz", "Jazz"),
    ("soundtrack", "Soundtrack"), ("modern-classical", "Modern classical"),
    ("electro-house", "Electro house"), ("deep-house", "Deep house"), ("tech-house", "Tech house"),
    ("idm", "Idm"), ("originals", "Originals"), ("funky-house", "Funky house"), ("funk", "Funk"),
    ("soul", "Soul"), ("house", "House"), ("techno", "Techno"), ("drum-and-bass", "Drum and bass"),
    ("dubstep", "Dubstep"), ("hip-hop", "Hip hop"), ("disco", "Disco"),
    ("electronic", "Electronic"), ("experimental", "Experimental"), ("dub", "Dub"),
    ("reggae", "Reggae"), ("breaks", "Breaks"), ("garage", "Garage"), ("trance", "Trance"),
    ("minimal", "Minimal"), ("talk", "Talk"), ("afrobeats", "Afrobeats"), ("lo-fi", "Lo-fi"),
    ("jungle", "Jungle"),
)

#: Start of the logical clock used by changes made after generation (2025-01-01T00:00:00Z).
CLOCK_START = 1735689600

_WWW = "https://www.mixcloud.com"
_THUMBS = "https://thumbnailer.mixcloud.com/unsafe"
_HISTORY_START = 1230768000  # 2009-01-01: the synthetic history starts here ...
_HISTORY_END = 1735603200    # ... and ends on 2024-12-31.
_FEED_ID_BASE = 1000000000   # feed item ids are event times minus this: unique, increasing.
_COMMENT_ID_BASE = 4000000

_USER_PICTURES = (("small", 25), ("thumbnail", 50), ("medium_mobile", 80), ("medium", 100),
                  ("large", 300), ("320wx320h", 320), ("extra_large", 600), ("640wx640h", 640))
_CLOUDCAST_PICTURES = _USER_PICTURES + (("768wx768h", 768), ("1024wx1024h", 1024))
_COVER_PICTURES = (("835wx120h", 835, 120), ("1113wx160h", 1113, 160), ("1670wx240h", 1670, 240))

# Second path segments under a user that can never be cloudcast slugs.
_RESERVED_SLUGS = frozenset(USER_CONNECTIONS) | {"follow", "listen-later"}
_FEED_TITLES = {"upload": "uploaded", "listen": "listened to", "favorite": "favorited",
                "follow": "is now following"}
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no", ""})
_PUBLISH_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
_TAG_FIELD = re.compile(r"tags-(\d+)-tag\Z")
_SECTION_FIELD = re.compile(r"sections-(\d+)-(artist|song|chapter|start_time)\Z")
_HOST_FIELD = re.compile(r"hosts-(\d+)-username\Z")

_ADJECTIVES = (
    "deep", "lunar", "velvet", "electric", "midnight", "golden", "silent", "neon", "analog",
    "cosmic", "urban", "solar", "hidden", "liquid", "dusty", "crystal", "broken", "northern",
    "tropical", "infinite", "sonic", "lazy", "wild", "frozen", "rusty", "stereo", "hazy", "mellow",
    "digital", "secret", "warm", "distant", "sunday", "late", "slow", "bright",
)
_NOUNS = (
    "groove", "signal", "echo", "pulse", "orbit", "tide", "vinyl", "frequency", "horizon", "wave",
    "rhythm", "static", "harbour", "forest", "circuit", "lantern", "river", "cassette", "meadow",
    "engine", "garden", "tape", "motion", "spiral", "canyon", "mirror", "season", "shadow",
    "current", "island", "session", "basement", "rooftop", "voyage", "dream", "machine",
)
_FIRST_NAMES = (
    "alex", "sam", "maya", "leo", "nina", "omar", "ines", "kofi", "yuki", "lena", "marco", "zoe",
    "ravi", "ana", "tom", "ella", "jonas", "aisha", "felix", "mira", "dan", "sofia", "hugo",
    "lucia", "ivan", "noor", "theo", "iris", "kai", "vera",
)
_LAST_NAMES = (
    "martin", "okafor", "nakamura", "silva", "novak", "berg", "rossi", "kim", "dubois", "jensen",
    "costa", "mendes", "walsh", "haas", "patel", "moreau", "lund", "ortiz", "reyes", "fischer",
)
_PLACES = (
    ("London", "United Kingdom"), ("Bristol", "United Kingdom"), ("Manchester", "United Kingdom"),
    ("Berlin", "Germany"), ("Hamburg", "Germany"), ("Paris", "France"), ("Lyon", "France"),
    ("Amsterdam", "Netherlands"), ("Brussels", "Belgium"), ("Madrid", "Spain"),
    ("Barcelona", "Spain"), ("Lisbon", "Portugal"), ("Milan", "Italy"), ("Athens", "Greece"),
    ("Warsaw", "Poland"), ("Stockholm", "Sweden"), ("Dublin", "Ireland"),
    ("New York", "United States"), ("Chicago", "United States"), ("Detroit", "United States"),
    ("Los Angeles", "United States"), ("Toronto", "Canada"), ("Montreal", "Canada"),
    ("Sao Paulo", "Brazil"), ("Lagos", "Nigeria"), ("Johannesburg", "South Africa"),
    ("Tokyo", "Japan"), ("Melbourne", "Australia"), ("Mexico City", "Mexico"), ("", ""),
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_SHOWS = ("Knee Deep", "Low Tide", "Early Hours", "Night Shift", "Tape Club", "Basement Tapes",
          "Slow Motion", "Open Air", "The Long Weekend", "Signal Path", "Outer Orbit",
          "Dust Jacket")
_COMMENTS = (
    "Great mix, thanks for sharing!", "Lovely selection as always.", "What's the track at 23:10?",
    "This one is on repeat here.", "Perfect for a rainy afternoon.", "Wow, the transitions!",
    "Thanks for the follow!", "Big tune at the end.", "Been waiting for this one.",
    "Beautiful, deep and warm.", "Saved for the weekend.", "Cheers from across the ocean!",
    "Nice one, keep them coming.", "Tracklist please?", "Superb journey from start to finish.",
    "That opening track is gorgeous.", "Played this at work all day.", "Respect!",
    "Such a good vibe.", "One of your best.", "Can't stop listening.", "Proper selection.",
)
_BIOGS = (
    "{name} plays {g0} and {g1}.", "Mixes from {city}. {G0}, {g1} and everything in between.",
    "Weekly shows of {g0}, {g1} and {g2}.", "DJ, collector and occasional producer.",
    "Radio shows and live recordings.", "", "Music lover. {G0} head.",
)
_DESCRIPTIONS = (
    "A journey through {g0} and {g1}.", "Recorded live. {G0} all the way.",
    "{G0}, {g1} and a few surprises.\r\n\r\nEnjoy and share!", "Monthly {g0} selection.",
    "", "Two hours of {g0} for late nights.",
)
_ARTISTS = (
    "Heldon", "Soft Machine", "Aphex Twin", "Four Tet", "Floating Points", "Bonobo",
    "Kerri Chandler", "Moodymann", "Theo Parrish", "Nina Simone", "Alice Coltrane", "Burial",
    "Caribou", "Dj Koze", "Larry Heard", "Sade", "Boards of Canada", "Jon Hopkins", "Nils Frahm",
    "Roy Ayers",
)
_SONG_WORDS = ("Blue", "Night", "Dream", "Shadow", "Light", "River", "Dance", "Home", "Sun",
               "Glass", "Echoes", "Motion", "Heart", "City", "Rain", "Gold", "Fire", "Bloom",
               "Drift", "Sky")


class NotFound(LookupError):
    """No object, list or path with that key exists in the world."""


class UploadError(ValueError):
    """An upload or edit form is invalid; the message names the field at fault."""


class ActionError(ValueError):
    """An action cannot be done (for instance following oneself)."""


class PermissionDenied(Exception):
    """The user may not do this (for instance edit another user's upload)."""


class OAuthError(ValueError):
    """An OAuth request failed; ``str(error)`` is the OAuth error code, e.g. ``"invalid_grant"``."""


@dataclass(frozen=True)
class UploadedFile:
    """A file received in an upload or edit form (its content is not kept).

    Attributes
    ----------
    filename : str
        File name sent by the client.
    size : int
        Size in bytes.
    content_type : str or None
        Content type sent by the client.
    """

    filename: str
    size: int
    content_type: str | None = None


@dataclass(frozen=True)
class Listing:
    """A list resource of the world: a connection, a tag or site-wide list, or search results.

    Attributes
    ----------
    name : str or None
        The list's ``name`` (None: the API sends no ``name`` key).
    items : Sequence
        Opaque item references. Dated lists hold them oldest first (the API serves them newest
        first); ranked lists hold them in API order.
    ordering_time : callable or None
        Item reference -> Unix time ordering the list (unique within it). None for ranked lists
        (popular, hot, search), which only page by offset.
    render : callable
        ``render(item, types)`` -> the item's API body; ``types`` adds the ``type`` fields.
    key : callable
        Item reference -> the item's ``key``.
    """

    name: str | None
    items: Sequence[Any]
    ordering_time: Callable[[Any], int] | None
    render: Callable[[Any, bool], dict]
    key: Callable[[Any], str]

    @property
    def dated(self) -> bool:
        """Whether the list is ordered by time (date-mode paging possible)."""
        return self.ordering_time is not None

    def in_api_order(self) -> list[Any]:
        """Item references in the order the API serves them (newest first when dated)."""
        return list(reversed(self.items)) if self.dated else list(self.items)


class _User:
    __slots__ = ("idx", "username", "name", "biog", "created", "updated", "city", "country",
                 "is_pro", "is_premium", "picture", "cover", "color", "weight", "cloudcasts",
                 "drafts", "slugs", "following", "followers", "favorites", "listens", "comments",
                 "listen_later", "reposts")

    def __init__(self, idx: int, username: str, name: str) -> None:
        self.idx = idx
        self.username = username
        self.name = name
        self.cloudcasts: list[int] = []   # public cloudcasts, oldest first
        self.drafts: list[int] = []       # unlisted / scheduled uploads
        self.slugs: dict[str, int] | None = None
        self.following: list[int] = []    # follow edge ids, oldest first
        self.followers: list[int] = []
        self.favorites: list[int] = []
        self.listens: list[int] = []
        self.comments: list[int] = []     # comments on this profile
        self.listen_later: list[int] = []
        self.reposts: list[int] = []


class _Cloudcast:
    __slots__ = ("idx", "owner", "slug", "name", "created", "updated", "audio_length", "tags",
                 "picture", "color", "hidden_stats", "extra_plays", "appeal", "public",
                 "favorites", "listeners", "comments", "reposts", "description", "sections",
                 "disable_comments", "publish_date", "hosts")

    def __init__(self, idx: int, owner: int) -> None:
        self.idx = idx
        self.owner = owner
        self.hidden_stats = False
        self.public = True
        self.favorites: list[int] | None = None   # edge ids, oldest first (None: empty)
        self.listeners: list[int] | None = None
        self.comments: list[int] | None = None
        self.reposts: list[int] | None = None
        self.picture: int | str | None = None     # None: derived when rendered
        self.color: str | None = None
        self.description: str | None = None      # None: generated on demand
        self.sections: list[tuple] | None = None
        self.disable_comments = False
        self.publish_date: str | None = None
        self.hosts: tuple[str, ...] = ()


class _Edges:
    """Timed edges ``a -> b`` stored column-wise; ids are assigned in time order."""

    __slots__ = ("time", "a", "b")

    def __init__(self) -> None:
        self.time = array("q")
        self.a = array("i")
        self.b = array("i")

    def add(self, t: int, a: int, b: int) -> int:
        self.time.append(t)
        self.a.append(a)
        self.b.append(b)
        return len(self.time) - 1


class _Comments:
    __slots__ = ("time", "author", "target", "on_cloudcast", "text", "extra_text")

    def __init__(self) -> None:
        self.time = array("q")
        self.author = array("i")
        self.target = array("i")
        self.on_cloudcast = bytearray()
        self.text = array("H")
        self.extra_text: dict[int, str] = {}


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "untitled"


def _uuid_path(value: int | str) -> str:
    """Thumbnailer path tail of a picture: ``d/f/e/f/d1a8-3932-...-ac5fd2144d80.jpg``."""
    if isinstance(value, str):
        return value
    h = f"{value:032x}"
    ext = (".jpg", ".jpg", ".png", "")[value & 3]
    return f"{h[0]}/{h[1]}/{h[2]}/{h[3]}/{h[4:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}{ext}"


def _picture_tail(url: str, kind: str) -> str:
    """Path tail of a recorded picture URL, converting the old ``images-mix`` form."""
    if "thumbnailer.mixcloud.com" in url:
        return url.split(f"/{kind}/", 1)[1]
    uuid = url.rsplit("/", 1)[1]
    return f"{uuid[0]}/{uuid[1]}/{uuid[2]}/{uuid[3]}/{uuid[4:]}"


def _parse_iso(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _load(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath("data", name).read_text("utf-8"))


def _time_order(times: Sequence[int]) -> list[int]:
    """Indexes of `times` sorted by time (times are distinct)."""
    shift = max(1, len(times)).bit_length()
    mask = (1 << shift) - 1
    return [p & mask for p in sorted([t << shift | i for i, t in enumerate(times)])]


_M64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """splitmix64 finaliser: a cheap, well-spread hash of a 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _reserve(taken: set[int], t: int) -> int:
    """The first free second at or after `t`, marked taken: ordering times stay unique."""
    while t in taken:
        t += 1
    taken.add(t)
    return t


class World:
    """A deterministic synthetic Mixcloud, plus the state changed through the API.

    Parameters
    ----------
    seed : int
        Seed of the generated data: the same seed and size give byte-identical API responses.
    users : int
        Number of users, including the fixed ``spartacus``, ``NTSRadio`` and ``sandbox-user``
        (values below 3 are raised to 3). The default world generates in well under a second;
        20000 users take a few seconds.

    Attributes
    ----------
    seed : int
        The seed.
    clients : dict
        Registered OAuth apps, ``client_id -> client_secret`` (holds :data:`CLIENT_ID`).
    default_username : str
        User authorised by :data:`TOKEN` and by default in the OAuth flow.
    uploads : list of dict
        Every upload and edit form received, oldest first: ``{"action": "upload" | "edit",
        "username", "key", "content_type", "fields": {name: value}, "files": {name:
        {"filename", "size"}}, "ok": bool, "error": str | None}``. ``content_type`` is the
        request's (e.g. ``multipart/form-data; boundary=...``); file contents are not kept.
    version : int
        Incremented by every change; caches of derived lists depend on it.

    Examples
    --------
    >>> world = World(seed=0)
    >>> world.user("spartacus")["name"]
    'Spartacus'
    >>> keys = world.connection_keys("/spartacus/followers/")   # API order, newest first
    """

    def __init__(self, seed: int = 0, users: int = 200) -> None:
        self.seed = seed
        self.clients: dict[str, str] = {CLIENT_ID: CLIENT_SECRET}
        self.default_username = DEFAULT_USERNAME
        self.uploads: list[dict[str, Any]] = []
        self.version = 0
        self._clock = CLOCK_START
        self._tokens: dict[str, int] = {}
        self._codes: dict[str, tuple[str, str, int]] = {}
        self._issued = 0
        self._cache: OrderedDict[tuple, tuple[int, Any]] = OrderedDict()
        self._users: list[_User] = []
        self._by_name: dict[str, int] = {}
        self._cloudcasts: list[_Cloudcast] = []
        self._new: list[int] = []            # public cloudcasts, oldest first
        self._tag_slugs: list[str] = []
        self._tag_names: list[str] = []
        self._tag_index: dict[str, int] = {}
        self._tag_cloudcasts: list[list[int]] = []
        self._follows = _Edges()
        self._favorites = _Edges()
        self._listens = _Edges()
        self._reposts = _Edges()
        self._later = _Edges()
        self._comments = _Comments()
        for slug, name in GENRES:
            self._tag_id(slug, name)
        enabled = gc.isenabled()
        gc.disable()  # generation allocates ~1M objects, none of them cyclic garbage
        try:
            self._generate(max(3, int(users)))
        finally:
            if enabled:
                gc.enable()
        self._tokens[TOKEN] = self._by_name[DEFAULT_USERNAME.lower()]

    def __repr__(self) -> str:
        return (f"<World seed={self.seed!r} users={len(self._users)} "
                f"cloudcasts={len(self._cloudcasts)}>")

    # -- generation ---------------------------------------------------------------------------

    def _rng(self, stream: str) -> random.Random:
        return random.Random(f"mixframe-sandbox:{self.seed}:{stream}")

    def _generate(self, n_users: int) -> None:
        salt = hashlib.sha256(f"mixframe-sandbox:{self.seed}:pictures".encode()).digest()
        self._salt = int.from_bytes(salt[:8], "big")
        # Every ordering time is registered here and moved a second later if already taken, so
        # times are unique in the whole world. Events are generated after what they depend on
        # (a listen after the upload's final time), so moving a time never breaks an order.
        self._taken: set[int] = set()
        self._make_users(n_users)
        self._make_cloudcasts()
        follows = self._make_follows()
        favorites, listens, reposts = self._make_activity()
        comments = self._make_comments()
        del self._taken
        self._index_cloudcasts()
        self._store_edges(self._follows, follows, "following", "followers", target_is_user=True)
        self._store_edges(self._favorites, favorites, "favorites", "favorites")
        self._store_edges(self._listens, listens, "listens", "listeners")
        self._store_edges(self._reposts, reposts, "reposts", "reposts")
        self._store_comments(comments)

    def _derived(self, purpose: int, i: int, bits: int = 128) -> int:
        """Deterministic pseudo-random bits for object `i` (picture ids, colours)."""
        x = _mix64(self._salt ^ (i * 8 + purpose))
        if bits > 64:
            x = x << 64 | _mix64(x ^ self._salt)
        return x & ((1 << bits) - 1)

    def _make_users(self, n: int) -> None:
        rng = self._rng("users")
        profile = _load("user-spartacus-metadata-2018.json")
        fixed = [
            dict(username="spartacus", name=profile["name"], biog=profile["biog"],
                 created=_parse_iso(profile["created_time"]),
                 updated=_parse_iso(profile["updated_time"]), city=profile["city"],
                 country=profile["country"], is_pro=profile["is_pro"],
                 is_premium=profile["is_premium"],
                 picture=_picture_tail(profile["pictures"]["small"], "profile"),
                 cover=_picture_tail(profile["cover_pictures"]["835wx120h"], "profile_cover"),
                 color=profile["picture_primary_color"], weight=40.0),
            dict(username="NTSRadio", name="NTS Radio",
                 biog="Independent online radio: live shows every day, archived here.",
                 created=1301659226, updated=1408978800, city="London", country="United Kingdom",
                 is_pro=True, is_premium=False,
                 picture="6/c/6/2/4cae-6e61-411c-adb6-9d9cd3e9112c.jpg", cover=None,
                 color="fc9a00", weight=60.0),
            dict(username=DEFAULT_USERNAME, name="Sandbox User",
                 biog="The default authorised user of the mixframe sandbox.",
                 created=1420070400, updated=1420070400, city="London", country="United Kingdom",
                 is_pro=True, is_premium=False, picture=None, cover=None, color=None, weight=1.0),
        ]
        taken = dict.fromkeys(RESERVED_USERNAMES, True)
        for i in range(n):
            spec = fixed[i] if i < len(fixed) else self._synthetic_user(rng, taken)
            user = _User(i, spec["username"], spec["name"])
            taken[user.username.lower()] = True
            user.created = spec["created"] or rng.randint(1243814400, 1703980800)  # 2009-06..2023
            user.updated = spec["updated"] or min(
                _HISTORY_END, user.created + int(rng.random() * 63072000))
            user.city, user.country = spec["city"], spec["country"]
            user.is_pro = spec["is_pro"]
            user.is_premium = spec["is_premium"]
            user.picture = spec["picture"]  # None: derived when rendered
            user.cover = spec["cover"]
            user.color = spec["color"]
            user.weight = spec["weight"] or 1.0 / (1.0 - rng.random()) ** 0.83  # Pareto(1.2)
            user.biog = spec["biog"]  # None: generated when rendered
            self._users.append(user)
            self._by_name[user.username.lower()] = i

    @staticmethod
    def _synthetic_user(rng: random.Random, taken: Mapping[str, bool]) -> dict[str, Any]:
        rnd = rng.random

        def pick(seq: Sequence[Any]) -> Any:
            return seq[int(rnd() * len(seq))]

        adj, noun = pick(_ADJECTIVES).capitalize(), pick(_NOUNS).capitalize()
        first, last = pick(_FIRST_NAMES), pick(_LAST_NAMES)
        pattern = int(rnd() * 5)
        if pattern == 0:
            username, name = adj + noun, f"{adj} {noun}"
        elif pattern == 1:
            username, name = f"dj{first}", f"DJ {first.capitalize()}"
        elif pattern == 2:
            username = pick(("{f}{l}", "{f}_{l}", "{f}-{l}")).format(f=first, l=last)
            name = f"{first.capitalize()} {last.capitalize()}"
        elif pattern == 3:
            kind = pick(("Radio", "Sound", "Collective", "FM", "Records"))
            username, name = noun + kind, f"{noun} {kind}"
        else:
            username, name = f"{adj.lower()}{noun.lower()}{10 + int(rnd() * 90)}", f"{adj} {noun}"
        while username.lower() in taken:
            username += str(int(rnd() * 10))
        city, country = pick(_PLACES)
        return dict(username=username, name=name, biog=None, created=None, updated=None,
                    city=city, country=country, is_pro=rnd() < 0.15, is_premium=rnd() < 0.1,
                    picture=None, cover=None, color=None, weight=None)

    def _make_cloudcasts(self) -> None:
        """Create every cloudcast: the recorded ones, then synthetic ones."""
        rng = self._rng("cloudcasts")
        rnd = rng.random
        users = self._users
        n = len(users)
        n_genres = len(GENRES)
        synthetic = list(range(3, n))
        big = set(rng.sample(synthetic, min(len(synthetic), max(2, n // 200))))
        taken = self._taken
        # Genre preferences: three genres per user, drawn once so shows of a user look alike.
        self._preferences = [rng.sample(range(n_genres), 3) for _ in range(n)]
        recorded = _load("user-cloudcasts-spartacus-2018.json")["data"]
        party = _load("legacy2013-cloudcast-detail-metadata.json")
        nts = _load("cloudcast-detail-ntsradio-2014.json")
        for item in reversed(recorded):  # oldest first
            cc = self._recorded_cloudcast(item, 0)
            if cc.slug == party["slug"]:
                cc.description = party["description"]
                cc.sections = [("track", s["track"]["artist"]["name"], s["track"]["name"],
                                s.get("start_time", 0)) for s in party["sections"]]
        nts_cc = self._recorded_cloudcast(nts, 1)
        nts_cc.color = nts["picture_primary_color"]
        nts_cc.description = nts["description"]
        step = nts["audio_length"] // max(1, len(nts["sections"]))
        nts_cc.sections = [("track", s["track"]["artist"]["name"], s["track"]["name"], i * step)
                           for i, s in enumerate(nts["sections"])]
        nts_tag = self._tag_id("nts", "NTS")
        tag_counts = (1, 2, 3, 3, 4, 5)
        ccs = self._cloudcasts
        for i in range(1, n):
            user = users[i]
            if i == 1:
                count = 110 + int(rnd() * 41)
            elif i == 2:
                count = 3
            elif i in big:
                count = 101 + int(rnd() * 50)
            else:
                r = rnd()
                count = 0 if r < 0.5 else 1 + int(rnd() * 8) if r < 0.96 else 11 + int(rnd() * 30)
            lo = user.created + 3600
            span = _HISTORY_END - 172800 - lo
            prefs = self._preferences[i]
            for _ in range(count):
                cc = _Cloudcast(len(ccs), i)
                t = lo + int(rnd() * span)
                t = _reserve(taken, t)
                cc.created = t
                cc.updated = t + (cc.idx * 7919) % 5400
                if i == 1:
                    day = time.gmtime(cc.created)
                    cc.name = (f"{_SHOWS[int(rnd() * len(_SHOWS))]} - {_ordinal(day.tm_mday)} "
                               f"{_MONTHS[day.tm_mon - 1]} {day.tm_year}")
                else:
                    cc.name = self._show_name(rnd, user, prefs, cc.created)
                k = tag_counts[int(rnd() * 6)]
                tags = [prefs[0]]
                while len(tags) < k:
                    g = prefs[int(rnd() * 3)] if rnd() < 0.6 else int(rnd() * n_genres)
                    if g not in tags:
                        tags.append(g)
                if i == 1:
                    tags = [nts_tag, *tags[:4]]
                cc.tags = tuple(tags)
                cc.audio_length = int(900 + 9900 * rnd() * rnd() ** 0.5)
                cc.hidden_stats = rnd() < 0.03
                cc.appeal = 1.0 / (1.0 - rnd()) ** 0.5  # Pareto(2)
                cc.extra_plays = int(15 * cc.appeal / (1.0 - rnd()) ** 0.67)
                self._add_slug(user, cc)
                ccs.append(cc)

    def _recorded_cloudcast(self, item: Mapping[str, Any], owner: int) -> _Cloudcast:
        cc = _Cloudcast(len(self._cloudcasts), owner)
        cc.name = item["name"]
        cc.created = _parse_iso(item["created_time"])
        self._taken.add(cc.created)
        cc.updated = _parse_iso(item["updated_time"])
        cc.audio_length = item["audio_length"]
        cc.tags = tuple(self._tag_id(t["key"].strip("/").rsplit("/", 1)[1], t["name"])
                        for t in item["tags"])
        cc.picture = _picture_tail(item["pictures"]["small"], "extaudio")
        cc.appeal = 3.0
        cc.extra_plays = item["play_count"] // 2
        self._add_slug(self._users[owner], cc, item["slug"])
        self._cloudcasts.append(cc)
        return cc

    @staticmethod
    def _show_name(rnd: Callable[[], float], user: _User, prefs: list[int], created: int) -> str:
        genre = GENRES[prefs[int(rnd() * 3)]][1]
        adj = _ADJECTIVES[int(rnd() * len(_ADJECTIVES))].capitalize()
        noun = _NOUNS[int(rnd() * len(_NOUNS))].capitalize()
        number = 1 + int(rnd() * 99)
        pattern = int(rnd() * 7)
        if pattern == 0:
            return f"{adj} {noun}s"
        if pattern == 1:
            return f"{genre} Session #{number}"
        if pattern == 2:
            return f"{adj} {genre} Mix"
        when = time.gmtime(created)
        if pattern == 3:
            return f"{_MONTHS[when.tm_mon - 1]} {when.tm_year} Mixtape"
        if pattern == 4:
            return f"Live in {user.city or 'the Studio'} {when.tm_year}"
        if pattern == 5:
            return f"{user.name} presents {adj} {noun} Vol. {number % 30 + 1}"
        return f"{noun} {number}"

    def _add_slug(self, user: _User, cc: _Cloudcast, slug: str | None = None) -> None:
        base = slug or _slugify(cc.name)
        if user.slugs is None:
            user.slugs = {}
        slug, n = base, 1
        while slug in user.slugs or slug in _RESERVED_SLUGS:
            n += 1
            slug = f"{base}-{n}"
        cc.slug = slug
        user.slugs[slug] = cc.idx

    @staticmethod
    def _weighted_table(weights: Iterable[float], per_item: int = 8) -> list[int]:
        """A list holding each index about in proportion to its weight (at least once).

        Drawing uniformly from it is a weighted draw, much cheaper than bisecting cumulative
        weights when drawing hundreds of thousands of times.
        """
        weights = list(weights)
        scale = per_item * len(weights) / (sum(weights) or 1.0)
        table: list[int] = []
        for i, w in enumerate(weights):
            table.extend(itertools.repeat(i, 1 + int(w * scale)))
        return table

    @staticmethod
    def _pick(rng: random.Random, k: int, table: list[int], n: int,
              excluded: set[int]) -> list[int]:
        """`k` distinct indexes below `n`, drawn from a weighted `table`, none `excluded`."""
        chosen: dict[int, None] = {}
        size = len(table)
        rnd = rng.random
        for _ in range(4 * k + 8):
            i = table[int(rnd() * size)]
            if i not in chosen and i not in excluded:
                chosen[i] = None
                if len(chosen) == k:
                    return list(chosen)
        # Tiny worlds or very skewed weights: finish uniformly.
        rest = [i for i in range(n) if i not in chosen and i not in excluded]
        chosen.update(dict.fromkeys(rng.sample(rest, min(len(rest), k - len(chosen)))))
        return list(chosen)

    def _make_follows(self) -> tuple[list[int], list[int], list[int]]:
        rng = self._rng("follows")
        rnd = rng.random
        users = self._users
        n = len(users)
        created = [u.created for u in users]
        table = self._weighted_table(u.weight for u in users)
        taken = self._taken
        src: list[int] = []
        dst: list[int] = []
        times: list[int] = []
        for u in users:
            if u.idx == 0:
                k = 101  # spartacus's recorded following_count
            elif u.username == DEFAULT_USERNAME:
                k = 20
            else:
                k = int(2 / (1.0 - rnd()) ** 0.77)  # 2 x Pareto(1.3)
            k = min(k, 500, n - 1)
            a, c = u.idx, u.created
            for b in self._pick(rng, k, table, n, {a}):
                lo = max(c, created[b]) + 60
                t = lo + int(rnd() * (_HISTORY_END - lo))
                t = _reserve(taken, t)
                src.append(a)
                dst.append(b)
                times.append(t)
        return src, dst, times

    def _make_activity(self) -> tuple[tuple[list[int], list[int], list[int]], ...]:
        rng = self._rng("activity")
        rnd = rng.random
        users, ccs = self._users, self._cloudcasts
        m = len(ccs)
        cc_created = [c.created for c in ccs]
        table = self._weighted_table(users[c.owner].weight * c.appeal for c in ccs)
        taken = self._taken
        out = []
        for kind in ("favorites", "listens", "reposts"):
            src: list[int] = []
            dst: list[int] = []
            times: list[int] = []
            for u in users:
                if kind == "favorites":  # 74: spartacus's recorded favorite_count
                    k = 74 if u.idx == 0 else min(int(1.5 / (1.0 - rnd()) ** 0.71), 300)
                elif kind == "listens":  # spartacus: enough to page through
                    k = 150 if u.idx == 0 else min(int(2.2 / (1.0 - rnd()) ** 0.67), 400)
                else:
                    k = min(int(0.8 / (1.0 - rnd()) ** 0.5), 30)
                k = min(k, m // 2)
                if not k:
                    continue
                a, c = u.idx, u.created
                own = set(u.cloudcasts)
                for b in self._pick(rng, k, table, m, own):
                    lo = max(c, cc_created[b]) + 60
                    t = lo + int(rnd() * (_HISTORY_END - lo))
                    if kind != "reposts":  # reposts order no list
                        t = _reserve(taken, t)
                    src.append(a)
                    dst.append(b)
                    times.append(t)
            out.append((src, dst, times))
        return tuple(out)

    def _make_comments(self) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
        rng = self._rng("comments")
        rnd = rng.random
        users, ccs = self._users, self._cloudcasts
        n, m = len(users), len(ccs)
        created = [u.created for u in users]
        cum_cc = list(itertools.accumulate(users[c.owner].weight * c.appeal for c in ccs))
        cum_users = list(itertools.accumulate(u.weight for u in users))
        n_texts = len(_COMMENTS)
        taken = self._taken
        authors: list[int] = []
        targets: list[int] = []
        times: list[int] = []
        on_cc: list[int] = []
        texts: list[int] = []
        for c in (rng.choices(range(m), cum_weights=cum_cc, k=int(m * 0.6)) if m else ()):
            author = int(rnd() * n)
            lo = max(ccs[c].created, created[author]) + 60
            t = lo + int(rnd() * (_HISTORY_END - lo))
            t = _reserve(taken, t)
            authors.append(author)
            targets.append(c)
            on_cc.append(1)
            times.append(t)
            texts.append(int(rnd() * n_texts))
        for target in rng.choices(range(n), cum_weights=cum_users, k=int(n * 0.6)):
            author = int(rnd() * n)
            if author == target:
                continue
            lo = max(created[target], created[author]) + 60
            t = lo + int(rnd() * (_HISTORY_END - lo))
            t = _reserve(taken, t)
            authors.append(author)
            targets.append(target)
            on_cc.append(0)
            times.append(t)
            texts.append(int(rnd() * n_texts))
        return authors, targets, times, on_cc, texts

    def _index_cloudcasts(self) -> None:
        ccs = self._cloudcasts
        self._new = sorted(range(len(ccs)), key=lambda i: ccs[i].created)
        own = [u.cloudcasts for u in self._users]
        by_tag = self._tag_cloudcasts
        for i in self._new:
            cc = ccs[i]
            own[cc.owner].append(i)
            for t in cc.tags:
                by_tag[t].append(i)

    def _store_edges(self, edges: _Edges, raw: tuple[list[int], list[int], list[int]],
                     src_list: str, dst_list: str, target_is_user: bool = False) -> None:
        """Store generated edges in time order and index them by source and target."""
        src, dst, times = raw
        if not times:
            return
        order = _time_order(times)
        first = len(edges.time)
        get = operator.itemgetter(*order, order[0])  # always a tuple, even for one edge
        ts, sa, sb = get(times)[:-1], get(src)[:-1], get(dst)[:-1]
        edges.time.extend(ts)
        edges.a.extend(sa)
        edges.b.extend(sb)
        sources = [getattr(u, src_list) for u in self._users]
        if target_is_user:
            targets = [getattr(u, dst_list) for u in self._users]
            for e, a, b in zip(itertools.count(first), sa, sb):
                sources[a].append(e)
                targets[b].append(e)
            return
        by_cloudcast: defaultdict[int, list[int]] = defaultdict(list)
        for e, a, b in zip(itertools.count(first), sa, sb):
            sources[a].append(e)
            by_cloudcast[b].append(e)
        ccs = self._cloudcasts
        for b, lst in by_cloudcast.items():
            setattr(ccs[b], dst_list, lst)

    def _store_comments(self, raw: tuple[list[int], ...]) -> None:
        authors, targets, times, on_cc, texts = raw
        if not times:
            return
        order = _time_order(times)
        get = operator.itemgetter(*order, order[0])
        table = self._comments
        table.time.extend(get(times)[:-1])
        table.author.extend(get(authors)[:-1])
        target_ids = get(targets)[:-1]
        flags = get(on_cc)[:-1]
        table.target.extend(target_ids)
        table.on_cloudcast.extend(flags)
        table.text.extend(get(texts)[:-1])
        ccs, users = self._cloudcasts, self._users
        by_cloudcast: defaultdict[int, list[int]] = defaultdict(list)
        for cid, target, flag in zip(itertools.count(), target_ids, flags):
            if flag:
                by_cloudcast[target].append(cid)
            else:
                users[target].comments.append(cid)
        for target, lst in by_cloudcast.items():
            ccs[target].comments = lst

    def _tag_id(self, slug: str, name: str | None = None) -> int:
        i = self._tag_index.get(slug)
        if i is None:
            i = len(self._tag_slugs)
            self._tag_slugs.append(slug)
            self._tag_names.append(name or slug.replace("-", " ").capitalize())
            self._tag_index[slug] = i
            self._tag_cloudcasts.append([])
        return i

    # -- lookups ------------------------------------------------------------------------------

    def _user_index(self, username: str) -> int:
        i = self._by_name.get(username.lower()) if isinstance(username, str) else None
        if i is None:
            raise NotFound(f"No user with username {username!r}")
        return i

    def _cloudcast_index(self, username: str, slug: str) -> int:
        user = self._users[self._user_index(username)]
        i = (user.slugs or {}).get(slug.lower())
        if i is None:
            raise NotFound(f"No cloudcast /{user.username}/{slug}/")
        return i

    def _cloudcast_by_key(self, key: str) -> int:
        parts = [p for p in key.split("/") if p]
        if len(parts) != 2:
            raise NotFound(f"{key!r} is not a cloudcast key")
        return self._cloudcast_index(*parts)

    def _tag_by_slug(self, slug: str) -> int:
        i = self._tag_index.get(slug.lower())
        if i is None:
            raise NotFound(f"No tag {slug!r}")
        return i

    def usernames(self) -> list[str]:
        """Every username in generation order: ``spartacus``, ``NTSRadio``, ``sandbox-user``..."""
        return [u.username for u in self._users]

    def canonical_username(self, username: str) -> str:
        """The username as spelt in keys (lookups ignore case). Raises :class:`NotFound`."""
        return self._users[self._user_index(username)].username

    def tag_slugs(self) -> list[str]:
        """Slugs of every tag (the genre list, recorded tags, tags added by uploads)."""
        return list(self._tag_slugs)

    def cloudcast_keys(self) -> list[str]:
        """Keys of every cloudcast, public or not, in creation order."""
        return [self._cloudcast_key(cc) for cc in self._cloudcasts]

    def user(self, username: str) -> dict[str, Any]:
        """The full user object of ``GET /{username}/`` (no ``type``/``metadata``).

        Raises
        ------
        NotFound
            If there is no such user.
        """
        return self._render_user(self._user_index(username), full=True)

    def cloudcast(self, username: str, slug: str, types: bool = False) -> dict[str, Any]:
        """The full cloudcast object of ``GET /{username}/{slug}/`` (no ``metadata``).

        `types` adds the ``type`` fields (to it and everything nested), as ``metadata=1`` does.

        Raises
        ------
        NotFound
            If there is no such cloudcast.
        """
        return self._render_cloudcast(self._cloudcast_index(username, slug), full=True,
                                     types=types)

    def tag(self, slug: str) -> dict[str, Any]:
        """The tag object ``{"key", "url", "name"}``. Raises :class:`NotFound`."""
        return self._render_tag(self._tag_by_slug(slug))

    def connections(self, key: str) -> list[str]:
        """Names of the connections of the object at `key` (user, cloudcast or tag key).

        Raises
        ------
        NotFound
            If `key` names no object.
        """
        parts = [p for p in key.split("/") if p]
        if len(parts) == 2 and parts[0] in ("discover", "tag", "genres"):
            self._tag_by_slug(parts[1])
            return list(TAG_CONNECTIONS)
        if len(parts) == 1 and parts[0] not in RESERVED_USERNAMES:
            self._user_index(parts[0])
            return list(USER_CONNECTIONS)
        if len(parts) == 2 and parts[0] not in RESERVED_USERNAMES:
            self._cloudcast_index(*parts)
            return list(CLOUDCAST_CONNECTIONS)
        raise NotFound(f"No object with key {key!r}")

    def connection_keys(self, path: str) -> list[str]:
        """Item keys of a whole list, in API order (newest first for dated lists).

        Parameters
        ----------
        path : str
            API path of the list: ``"/spartacus/followers/"``,
            ``"/spartacus/party-time/listeners/"``,
            ``"/discover/funk/new/"``, ``"/popular/hot/"``, ``"/search/?q=deep&type=user"``, and
            ``"/{u}/listen-later/"`` (the list ``/me/listen-later/`` serves to `u`).

        Raises
        ------
        NotFound
            If the path names no list.
        """
        path, _, query = path.partition("?")
        parts = [p for p in path.split("/") if p]
        if parts == ["search"]:
            params = dict(parse_qsl(query))
            listing = self.search(params.get("q", ""), params.get("type", ""))
        else:
            viewer = parts[0] if len(parts) == 2 and parts[1] == "listen-later" else None
            listing = self.listing(path, viewer=viewer)
        return [listing.key(item) for item in listing.in_api_order()]

    # -- rendering ----------------------------------------------------------------------------

    def _user_pictures(self, user: _User) -> dict[str, str]:
        tail = _uuid_path(self._derived(0, user.idx) if user.picture is None else user.picture)
        return {name: f"{_THUMBS}/{size}x{size}/profile/{tail}" for name, size in _USER_PICTURES}

    def _render_user(self, i: int, full: bool = False, types: bool = False) -> dict[str, Any]:
        """API body of user number `i`: short form (list items, nested) or `full` form."""
        u = self._users[i]
        body: dict[str, Any] = {
            "key": f"/{u.username}/", "url": f"{_WWW}/{u.username}/", "name": u.name,
            "username": u.username, "pictures": self._user_pictures(u),
        }
        if full:
            cover = _uuid_path(self._derived(1, u.idx) if u.cover is None else u.cover)
            body.update(
                biog=u.biog if u.biog is not None else self._biog(u),
                created_time=_iso(u.created), updated_time=_iso(u.updated),
                follower_count=len(u.followers), following_count=len(u.following),
                cloudcast_count=len(u.cloudcasts), favorite_count=len(u.favorites),
                listen_count=len(u.listens), is_pro=u.is_pro, is_premium=u.is_premium,
                city=u.city, country=u.country,
                cover_pictures={name: f"{_THUMBS}/{w}x{h}/profile_cover/{cover}"
                                for name, w, h in _COVER_PICTURES},
                picture_primary_color=u.color or f"{self._derived(2, u.idx, 24):06x}",
            )
        if types:
            body["type"] = "user"
        return body

    def _biog(self, u: _User) -> str:
        rng = random.Random(f"mixframe-sandbox:{self.seed}:biog:{u.idx}")
        g = [GENRES[p][1] for p in self._preferences[u.idx]]
        return rng.choice(_BIOGS).format(name=u.name, city=u.city or "home", G0=g[0],
                                         g0=g[0].lower(), g1=g[1].lower(), g2=g[2].lower())

    def _render_tag(self, t: int, types: bool = False) -> dict[str, Any]:
        """API body of tag number `t`; its key is ``/discover/<slug>/`` whatever path served it."""
        slug = self._tag_slugs[t]
        body = {"key": f"/discover/{slug}/", "url": f"{_WWW}/discover/{slug}/",
                "name": self._tag_names[t]}
        if types:
            body["type"] = "tag"
        return body

    def _cloudcast_key(self, cc: _Cloudcast) -> str:
        return f"/{self._users[cc.owner].username}/{cc.slug}/"

    def _render_cloudcast(self, i: int, full: bool = False, types: bool = False) -> dict[str, Any]:
        """API body of cloudcast number `i`: list form or `full` (detail) form."""
        cc = self._cloudcasts[i]
        key = self._cloudcast_key(cc)
        tail = _uuid_path(self._derived(3, i) if cc.picture is None else cc.picture)
        hidden = cc.hidden_stats
        listeners = len(cc.listeners or ())
        body: dict[str, Any] = {
            "key": key, "url": _WWW + key, "name": cc.name,
            "tags": [self._render_tag(t, types) for t in cc.tags],
            "created_time": _iso(cc.created), "updated_time": _iso(cc.updated),
            "play_count": 0 if hidden else listeners + cc.extra_plays,
            "favorite_count": 0 if hidden else len(cc.favorites or ()),
            "comment_count": 0 if hidden else len(cc.comments or ()),
            "listener_count": 0 if hidden else listeners,
            "repost_count": 0 if hidden else len(cc.reposts or ()),
            "pictures": {name: f"{_THUMBS}/{size}x{size}/extaudio/{tail}"
                         for name, size in _CLOUDCAST_PICTURES},
            "slug": cc.slug, "user": self._render_user(cc.owner, types=types),
            "audio_length": cc.audio_length,
        }
        if hidden:
            body["hidden_stats"] = True
        if full:
            description, sections = self._details(cc)
            body["description"] = description
            body["sections"] = [self._render_section(pos, s, types)
                                for pos, s in enumerate(sections)]
            body["picture_primary_color"] = cc.color or f"{self._derived(4, i, 24):06x}"
        if types:
            body["type"] = "cloudcast"
        return body

    def _details(self, cc: _Cloudcast) -> tuple[str, list[tuple]]:
        if cc.description is not None and cc.sections is not None:
            return cc.description, cc.sections
        rng = random.Random(f"mixframe-sandbox:{self.seed}:details:{cc.idx}")
        g = [self._tag_names[t] for t in cc.tags] + ["music", "sounds"]
        description = rng.choice(_DESCRIPTIONS).format(G0=g[0], g0=g[0].lower(), g1=g[1].lower())
        count = rng.choice((0, 0, 3, 6, 8, 10, 12, 15))
        sections: list[tuple] = []
        chapters = rng.random() < 0.15
        start = 0
        for n in range(count):
            if chapters and n % 4 == 0:
                sections.append(("chapter", f"Part {n // 4 + 1}", None, start))
            else:
                song = " ".join(rng.sample(_SONG_WORDS, rng.randint(1, 3)))
                sections.append(("track", rng.choice(_ARTISTS), song, start))
            start += max(1, cc.audio_length // max(count, 1))
        return (cc.description if cc.description is not None else description,
                cc.sections if cc.sections is not None else sections)

    @staticmethod
    def _render_section(position: int, section: tuple, types: bool) -> dict[str, Any]:
        kind, first, second, start = section
        if kind == "chapter":
            body: dict[str, Any] = {"chapter": first}
        else:
            artist_slug, song_slug = _slugify(first), _slugify(second)
            artist = {"key": f"/artist/{artist_slug}/", "url": f"{_WWW}/artist/{artist_slug}/",
                      "name": first, "slug": artist_slug}
            track = {"key": f"/track/{artist_slug}/{song_slug}/",
                     "url": f"{_WWW}/track/{artist_slug}/{song_slug}/", "name": second,
                     "slug": song_slug, "artist": artist}
            if types:
                artist["type"] = "artist"
                track["type"] = "track"
            body = {"track": track}
        body.update(position=position, section_type=kind, start_time=start)
        if types:
            body["type"] = "section"
        return body

    def _render_comment(self, cid: int, types: bool = False) -> dict[str, Any]:
        """API body of comment number `cid` (on a profile or on a cloudcast)."""
        table = self._comments
        place, number = self._comment_place(cid)
        body = {
            "key": f"/comments/{place}/c{number}/", "url": f"{_WWW}/comments/{place}/#c{number}",
            "comment": table.extra_text.get(cid) or _COMMENTS[table.text[cid]],
            "submit_date": _iso(table.time[cid]),
            "user": self._render_user(table.author[cid], types=types),
        }
        if types:
            body["type"] = "comment"
        return body

    def _render_feed(self, owner: int, entry: tuple[int, str, int], types: bool) -> dict[str, Any]:
        t, kind, ref = entry
        username = self._users[owner].username
        number = t - _FEED_ID_BASE
        body: dict[str, Any] = {
            "key": f"/{username}/feed/{number}/", "url": f"{_WWW}/{username}/feed/#{number}",
            "type": kind, "title": _FEED_TITLES[kind], "created_time": _iso(t),
            "from": self._render_user(owner, types=types),
        }
        if kind == "follow":
            body["users"] = [self._render_user(self._follows.b[ref], types=types)]
        else:
            cc = ref if kind == "upload" else (self._listens if kind == "listen"
                                                else self._favorites).b[ref]
            body["cloudcasts"] = [self._render_cloudcast(cc, types=types)]
        return body

    # -- lists --------------------------------------------------------------------------------

    def _user_list(self, user: _User, connection: str) -> Listing:
        who = user.name
        users, ccs = self._users, self._cloudcasts
        follows, favorites, listens = self._follows, self._favorites, self._listens
        if connection == "cloudcasts":
            return self._cloudcasts_listing(f"{who}'s Cloudcasts", user.cloudcasts, True)
        if connection in ("followers", "following"):
            ends = follows.a if connection == "followers" else follows.b
            return Listing(f"{who}'s followers" if connection == "followers" else None,
                           getattr(user, connection), follows.time.__getitem__,
                           lambda e, types: self._render_user(ends[e], types=types),
                           lambda e: f"/{users[ends[e]].username}/")
        if connection in ("favorites", "listens", "listen-later"):
            edges = {"favorites": favorites, "listens": listens,
                     "listen-later": self._later}[connection]
            items = user.listen_later if connection == "listen-later" else getattr(user, connection)
            render = (self._render_listen if connection == "listens" else
                      lambda e, types, edges=edges: self._render_cloudcast(edges.b[e], types=types))
            name = {"favorites": f"{who}'s favorites", "listens": f"{who}'s listens",
                    "listen-later": f"{who}'s listen later"}[connection]
            return Listing(name, items, edges.time.__getitem__, render,
                           lambda e, edges=edges: self._cloudcast_key(ccs[edges.b[e]]))
        if connection == "comments":
            return Listing(f"Comments on {who}'s profile", user.comments,
                           self._comments.time.__getitem__, self._render_comment, self._comment_key)
        if connection == "feed":
            return Listing(f"{who}'s feed", self._feed_entries(user), lambda entry: entry[0],
                           lambda entry, types: self._render_feed(user.idx, entry, types),
                           lambda entry: f"/{user.username}/feed/{entry[0] - _FEED_ID_BASE}/")
        if connection == "playlists":
            return Listing(f"{who}'s playlists", [], lambda item: 0, lambda item, types: {},
                           lambda item: "")
        raise NotFound(f"No connection {connection!r}")

    def _render_listen(self, e: int, types: bool) -> dict[str, Any]:
        body = self._render_cloudcast(self._listens.b[e], types=types)
        body["listen_time"] = _iso(self._listens.time[e])
        return body

    def _comment_place(self, cid: int) -> tuple[str, int]:
        target = self._comments.target[cid] + 1
        place = f"cr/25/{target}" if self._comments.on_cloudcast[cid] else f"cr/204/{target}"
        return place, _COMMENT_ID_BASE + cid

    def _comment_key(self, cid: int) -> str:
        place, number = self._comment_place(cid)
        return f"/comments/{place}/c{number}/"

    def _feed_entries(self, user: _User) -> list[tuple[int, str, int]]:
        ccs = self._cloudcasts
        return list(heapq.merge(
            ((ccs[i].created, "upload", i) for i in user.cloudcasts),
            ((self._listens.time[e], "listen", e) for e in user.listens),
            ((self._favorites.time[e], "favorite", e) for e in user.favorites),
            ((self._follows.time[e], "follow", e) for e in user.following),
        ))

    def _cloudcast_list(self, i: int, connection: str) -> Listing:
        cc = self._cloudcasts[i]
        users, ccs = self._users, self._cloudcasts
        if connection in ("favorites", "listeners"):
            edges = self._favorites if connection == "favorites" else self._listens
            name = ("Favorites of " if connection == "favorites" else "Listeners of ") + cc.name
            return Listing(name, getattr(cc, connection) or [], edges.time.__getitem__,
                           lambda e, types: self._render_user(edges.a[e], types=types),
                           lambda e: f"/{users[edges.a[e]].username}/")
        if connection == "comments":
            return Listing(f"Comments on {cc.name}", cc.comments or [],
                           self._comments.time.__getitem__, self._render_comment, self._comment_key)
        if connection == "similar":
            return self._cloudcasts_listing(f"Similar to {cc.name}", self._similar(cc), True)
        raise NotFound(f"No connection {connection!r}")

    def _similar(self, cc: _Cloudcast) -> list[int]:
        """Up to 20 public cloudcasts sharing a tag with `cc`: the newest of each tag, by time."""
        found: set[int] = set()
        for t in cc.tags:
            found.update(self._tag_cloudcasts[t][-10:])
        found.discard(cc.idx)
        ccs = self._cloudcasts
        return sorted(found, key=lambda j: ccs[j].created)[-20:]

    def _cached(self, key: tuple, build: Callable[[], Any]) -> Any:
        """`build()`, remembered until the world changes (a small LRU of derived lists)."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.version:
            self._cache.move_to_end(key)
            return hit[1]
        value = build()
        self._cache[key] = (self.version, value)
        self._cache.move_to_end(key)
        while len(self._cache) > 48:
            self._cache.popitem(last=False)
        return value

    def _play_count(self, i: int) -> int:
        cc = self._cloudcasts[i]
        return len(cc.listeners or ()) + cc.extra_plays

    def _hotness(self, i: int) -> float:
        cc = self._cloudcasts[i]
        age_days = max(0, _HISTORY_END - cc.created) / 86400
        score = self._play_count(i) + 3 * len(cc.favorites or ()) + 2 * len(cc.reposts or ())
        return score / (age_days + 7) ** 1.2

    def _ranked(self, pool: Sequence[int], kind: str) -> list[int]:
        ccs = self._cloudcasts
        if kind == "popular":
            return sorted(pool, key=lambda i: (-self._play_count(i), -ccs[i].created))
        return sorted(pool, key=lambda i: (-self._hotness(i), -ccs[i].created))

    def _cloudcasts_listing(self, name: str | None, items: Sequence[int], dated: bool) -> Listing:
        ccs = self._cloudcasts
        return Listing(name, items, (lambda i: ccs[i].created) if dated else None,
                       lambda i, types: self._render_cloudcast(i, types=types),
                       lambda i: self._cloudcast_key(ccs[i]))

    def listing(self, path: str, *, viewer: str | None = None) -> Listing:
        """The list served at API `path` (without query), e.g. ``"/spartacus/followers/"``.

        Parameters
        ----------
        path : str
            ``/{u}/{connection}/``, ``/{u}/{slug}/{connection}/``, ``/{discover|tag|genres}/{t}/
            {popular|hot|new|latest}/``, ``/popular/``, ``/popular/hot/`` or ``/new/``.
        viewer : str, optional
            The authorised user; ``/{u}/listen-later/`` is only served to ``u`` itself.

        Raises
        ------
        NotFound
            If `path` names no list. Search is :meth:`search`.
        """
        parts = [p for p in path.split("/") if p]
        if parts == ["popular"] or parts == ["popular", "hot"]:
            kind = "hot" if len(parts) == 2 else "popular"
            name = "Hot Cloudcasts" if kind == "hot" else "Popular Cloudcasts"
            return self._cloudcasts_listing(
                name, self._cached(("global", kind), lambda: self._ranked(self._new, kind)), False)
        if parts == ["new"]:
            return self._cloudcasts_listing("New Cloudcasts", self._new, True)
        if len(parts) == 3 and parts[0] in ("discover", "tag", "genres"):
            t = self._tag_by_slug(parts[1])
            kind = parts[2]
            pool = self._tag_cloudcasts[t]
            if kind in ("new", "latest"):
                return self._cloudcasts_listing(None, pool, True)
            if kind in ("popular", "hot"):
                ranked = self._cached(("tag", t, kind), lambda: self._ranked(pool, kind))
                return self._cloudcasts_listing(None, ranked, False)
            raise NotFound(f"No list {path!r}")
        if len(parts) == 2 and parts[0] not in RESERVED_USERNAMES:
            user = self._users[self._user_index(parts[0])]
            if parts[1] == "listen-later":
                if viewer is None or self._user_index(viewer) != user.idx:
                    raise NotFound(f"No list {path!r}")
            elif parts[1] not in USER_CONNECTIONS:
                raise NotFound(f"No list {path!r}")
            return self._user_list(user, parts[1])
        if len(parts) == 3 and parts[0] not in RESERVED_USERNAMES:
            if parts[2] not in CLOUDCAST_CONNECTIONS:
                raise NotFound(f"No list {path!r}")
            return self._cloudcast_list(self._cloudcast_index(parts[0], parts[1]), parts[2])
        raise NotFound(f"No list {path!r}")

    def search(self, q: str, type: str) -> Listing:
        """Search results for `q` among ``"cloudcast"``, ``"user"`` or ``"tag"`` objects.

        Every whitespace-separated word of `q` must occur (case-insensitively) in the name (and,
        for users, the username). Results are ranked by popularity and page only by offset.

        Raises
        ------
        ValueError
            If `type` is not one of the three.
        """
        if type not in ("cloudcast", "user", "tag"):
            raise ValueError(f"Unknown search type {type!r}: use cloudcast, user or tag")
        words = q.lower().split()

        def match(text: str) -> bool:
            text = text.lower()
            return all(w in text for w in words)

        def build() -> list[int]:
            if type == "user":
                found = [u.idx for u in self._users if match(f"{u.username} {u.name}")]
                return sorted(found, key=lambda i: (-len(self._users[i].followers), i))
            if type == "tag":
                found = [t for t, name in enumerate(self._tag_names)
                         if match(f"{name} {self._tag_slugs[t]}") and self._tag_cloudcasts[t]]
                return sorted(found, key=lambda t: (-len(self._tag_cloudcasts[t]), t))
            return self._ranked([i for i in self._new if match(self._cloudcasts[i].name)],
                                "popular")

        items = self._cached(("search", type, " ".join(words)), build)
        if type == "user":
            return Listing(None, items, None, lambda i, types: self._render_user(i, types=types),
                           lambda i: f"/{self._users[i].username}/")
        if type == "tag":
            return Listing(None, items, None, self._render_tag,
                           lambda t: f"/discover/{self._tag_slugs[t]}/")
        return self._cloudcasts_listing(None, items, False)

    # -- authorisation ------------------------------------------------------------------------

    def _secret(self, purpose: str, username: str) -> str:
        self._issued += 1
        digest = hashlib.sha256(f"{self.seed}:{purpose}:{username}:{self._issued}".encode())
        return digest.hexdigest()[:32]

    def issue_token(self, username: str) -> str:
        """Issue a new access token for `username` and return it. Raises :class:`NotFound`."""
        i = self._user_index(username)
        token = "sbx-" + self._secret("token", self._users[i].username)
        self._tokens[token] = i
        return token

    def token_user(self, token: str | None) -> str | None:
        """Username authorised by `token`, or None if the token is unknown or revoked."""
        i = self._tokens.get(token) if token else None
        return None if i is None else self._users[i].username

    def revoke_token(self, token: str) -> None:
        """Revoke `token` (later requests with it get "An invalid access token was provided")."""
        self._tokens.pop(token, None)

    def issue_code(self, client_id: str, redirect_uri: str, username: str | None = None) -> str:
        """Issue a single-use OAuth code (what ``/oauth/authorize`` redirects with).

        Raises
        ------
        OAuthError
            ``invalid_client`` if `client_id` is not registered.
        NotFound
            If `username` (default: the default user) does not exist.
        """
        if client_id not in self.clients:
            raise OAuthError("invalid_client")
        i = self._user_index(username or self.default_username)
        code = self._secret("code", self._users[i].username)
        self._codes[code] = (client_id, redirect_uri, i)
        return code

    def exchange_code(self, client_id: str, client_secret: str, redirect_uri: str,
                      code: str) -> str:
        """Exchange an OAuth `code` for a new access token (the code is used up).

        Raises
        ------
        OAuthError
            ``invalid_client`` for a bad client id or secret, ``invalid_grant`` for an unknown or
            used code, or a redirect URI other than the one the code was issued for.
        """
        if self.clients.get(client_id) is None or self.clients[client_id] != client_secret:
            raise OAuthError("invalid_client")
        grant = self._codes.get(code)
        if grant is None or grant[0] != client_id or grant[1] != redirect_uri:
            raise OAuthError("invalid_grant")
        del self._codes[code]
        return self.issue_token(self._users[grant[2]].username)

    def is_following(self, username: str, target: str) -> bool:
        """Whether `username` follows `target`."""
        a, b = self._user_index(username), self._user_index(target)
        follows = self._follows
        return any(follows.b[e] == b for e in self._users[a].following)

    # -- changes ------------------------------------------------------------------------------

    def _tick(self) -> int:
        self._clock += 1
        self.version += 1
        return self._clock

    def follow(self, username: str, target: str) -> bool:
        """Make `username` follow `target`; return False if it already did.

        Raises
        ------
        NotFound
            If either user does not exist.
        ActionError
            If a user tries to follow itself.
        """
        a, b = self._user_index(username), self._user_index(target)
        if a == b:
            raise ActionError("You cannot follow yourself")
        if self.is_following(username, target):
            return False
        e = self._follows.add(self._tick(), a, b)
        self._users[a].following.append(e)
        self._users[b].followers.append(e)
        return True

    def unfollow(self, username: str, target: str) -> bool:
        """Make `username` stop following `target`; return False if it did not follow it."""
        a, b = self._user_index(username), self._user_index(target)
        for e in self._users[a].following:
            if self._follows.b[e] == b:
                self._users[a].following.remove(e)
                self._users[b].followers.remove(e)
                self.version += 1
                return True
        return False

    def _link(self, edges: _Edges, user_list: str, cc_list: str | None, username: str,
              key: str, add: bool) -> bool:
        a = self._user_index(username)
        c = self._cloudcast_by_key(key)
        user, cc = self._users[a], self._cloudcasts[c]
        lst = getattr(user, user_list)
        existing = next((e for e in lst if edges.b[e] == c), None)
        if add:
            if existing is not None:
                return False
            e = edges.add(self._tick(), a, c)
            lst.append(e)
            if cc_list:
                if getattr(cc, cc_list) is None:
                    setattr(cc, cc_list, [])
                getattr(cc, cc_list).append(e)
            return True
        if existing is None:
            return False
        lst.remove(existing)
        if cc_list:
            getattr(cc, cc_list).remove(existing)
        self.version += 1
        return True

    def favorite(self, username: str, key: str) -> bool:
        """`username` favorites the cloudcast `key`; False if already done.

        Raises
        ------
        NotFound
            If the user or the cloudcast does not exist.
        """
        return self._link(self._favorites, "favorites", "favorites", username, key, True)

    def unfavorite(self, username: str, key: str) -> bool:
        """Undo :meth:`favorite`; False if there was nothing to undo."""
        return self._link(self._favorites, "favorites", "favorites", username, key, False)

    def repost(self, username: str, key: str) -> bool:
        """`username` reposts the cloudcast `key`; False if already done."""
        return self._link(self._reposts, "reposts", "reposts", username, key, True)

    def unrepost(self, username: str, key: str) -> bool:
        """Undo :meth:`repost`; False if there was nothing to undo."""
        return self._link(self._reposts, "reposts", "reposts", username, key, False)

    def listen_later(self, username: str, key: str) -> bool:
        """Add the cloudcast `key` to the listen-later list of `username`; False if there."""
        return self._link(self._later, "listen_later", None, username, key, True)

    def unlisten_later(self, username: str, key: str) -> bool:
        """Remove the cloudcast `key` from the listen-later list of `username`."""
        return self._link(self._later, "listen_later", None, username, key, False)

    # -- upload and edit ----------------------------------------------------------------------

    def upload(self, username: str, fields: Mapping[str, str],
               files: Mapping[str, UploadedFile] | None = None, *,
               content_type: str | None = None) -> str:
        """Create a cloudcast from an upload form, as ``POST /upload/`` does; return its key.

        Parameters
        ----------
        username : str
            The uploader (the authorised user).
        fields : mapping
            Text fields: ``name`` (required), ``description``, ``tags-N-tag`` (N = 0..4),
            ``sections-N-artist|song|chapter|start_time``, ``unlisted``, ``disable_comments``,
            ``hide_stats``, ``publish_date``, ``hosts-N-username``.
        files : mapping, optional
            ``mp3`` (required) and ``picture``.
        content_type : str, optional
            Content type of the request that carried the form, kept in :attr:`uploads`.

        Raises
        ------
        UploadError
            If the form is invalid (the message names the field).
        """
        files = dict(files or {})
        record = self._record("upload", username, None, fields, files, content_type)
        user = self._users[self._user_index(username)]
        try:
            form = self._validate(user, fields, files, edit=False)
        except UploadError as error:
            record["error"] = str(error)
            raise
        rng = random.Random(f"mixframe-sandbox:{self.seed}:upload:{len(self._cloudcasts)}")
        cc = _Cloudcast(len(self._cloudcasts), user.idx)
        cc.name = form["name"]
        cc.created = self._tick()
        cc.updated = cc.created
        cc.audio_length = max(1, files["mp3"].size * 8 // 128000)
        cc.picture = rng.getrandbits(128)
        cc.color = f"{rng.getrandbits(24):06x}"
        cc.appeal = 1.0
        cc.extra_plays = 0
        cc.tags = ()
        cc.description = ""
        cc.sections = []
        self._add_slug(user, cc)
        self._cloudcasts.append(cc)
        cc.public = False
        user.drafts.append(cc.idx)
        self._apply(cc, form, new=True)
        record["key"] = self._cloudcast_key(cc)
        record["ok"] = True
        return record["key"]

    def edit(self, username: str, key: str, fields: Mapping[str, str],
             files: Mapping[str, UploadedFile] | None = None, *,
             content_type: str | None = None) -> str:
        """Change the cloudcast `key` from an edit form, as ``POST /upload/{u}/{c}/edit/`` does.

        Only fields present change; any ``tags-*`` field replaces all tags and any ``sections-*``
        field replaces all sections. ``publish`` and ``unpublish`` (booleans) move the upload out
        of or into drafts. Parameters are those of :meth:`upload`.

        Raises
        ------
        NotFound
            If there is no such cloudcast.
        PermissionDenied
            If `username` does not own it.
        UploadError
            If the form is invalid.
        """
        files = dict(files or {})
        record = self._record("edit", username, key, fields, files, content_type)
        user = self._users[self._user_index(username)]
        try:
            c = self._cloudcast_by_key(key)
        except NotFound as error:
            record["error"] = str(error)
            raise
        cc = self._cloudcasts[c]
        record["key"] = self._cloudcast_key(cc)
        if cc.owner != user.idx:
            record["error"] = "You can only edit your own uploads"
            raise PermissionDenied(record["error"])
        try:
            form = self._validate(user, fields, files, edit=True)
        except UploadError as error:
            record["error"] = str(error)
            raise
        cc.updated = self._tick()
        self._apply(cc, form, new=False)
        record["ok"] = True
        return record["key"]

    def _record(self, action: str, username: str, key: str | None, fields: Mapping[str, str],
                files: Mapping[str, UploadedFile], content_type: str | None) -> dict[str, Any]:
        record = {
            "action": action, "username": username, "key": key, "content_type": content_type,
            "fields": dict(fields),
            "files": {name: {"filename": f.filename, "size": f.size} for name, f in files.items()},
            "ok": False, "error": None,
        }
        self.uploads.append(record)
        return record

    def _validate(self, user: _User, fields: Mapping[str, str],
                  files: Mapping[str, UploadedFile], edit: bool) -> dict[str, Any]:
        """Check an upload/edit form like Mixcloud does; return the normalised changes."""
        form: dict[str, Any] = {}
        for name in files:
            if name not in ("mp3", "picture"):
                raise UploadError(f"{name}: unexpected file (only mp3 and picture are files)")
        for name in ("mp3", "picture"):
            if name in fields:
                raise UploadError(f"{name}: must be sent as a file")
        if edit:
            if "mp3" in files:
                raise UploadError("mp3: the audio of an upload cannot be changed by an edit")
        elif "mp3" not in files:
            raise UploadError("mp3: an mp3 file is required")
        elif files["mp3"].size <= 0:
            raise UploadError("mp3: the file is empty")
        elif files["mp3"].size > MP3_MAX_SIZE:
            raise UploadError(f"mp3: the file is larger than {MP3_MAX_SIZE} bytes")
        if "picture" in files:
            if files["picture"].size > PICTURE_MAX_SIZE:
                raise UploadError(f"picture: the file is larger than {PICTURE_MAX_SIZE} bytes")
            form["picture"] = True
        if "name" in fields or not edit:
            name = (fields.get("name") or "").strip()
            if not name:
                raise UploadError("name: this field is required")
            form["name"] = name
        if "description" in fields:
            if len(fields["description"]) > DESCRIPTION_MAX_SIZE:
                raise UploadError(
                    f"description: longer than {DESCRIPTION_MAX_SIZE} characters")
            form["description"] = fields["description"]
        tags: dict[int, str] = {}
        sections: dict[int, dict[str, str]] = {}
        hosts: dict[int, str] = {}
        touched_tags = touched_sections = touched_hosts = False
        for field, value in fields.items():
            if field.startswith("tags-"):
                touched_tags = True
                m = _TAG_FIELD.match(field)
                if not m:
                    raise UploadError(f"{field}: unknown field (tags are sent as tags-N-tag)")
                n = int(m.group(1))
                if n > 4:
                    raise UploadError(f"{field}: at most 5 tags, tags-0-tag to tags-4-tag")
                if value.strip():
                    tags[n] = value.strip()
            elif field.startswith("sections-"):
                touched_sections = True
                m = _SECTION_FIELD.match(field)
                if not m:
                    raise UploadError(
                        f"{field}: unknown field (sections-N-artist, -song, -chapter or "
                        "-start_time)")
                sections.setdefault(int(m.group(1)), {})[m.group(2)] = value.strip()
            elif field.startswith("hosts-"):
                touched_hosts = True
                m = _HOST_FIELD.match(field)
                if not m or int(m.group(1)) > 1:
                    raise UploadError(f"{field}: at most 2 hosts, hosts-0-username and "
                                      "hosts-1-username")
                hosts[int(m.group(1))] = value.strip()
        if touched_tags:
            form["tags"] = [tags[n] for n in sorted(tags)]
        if touched_sections:
            form["sections"] = self._check_sections(sections)
        for flag in ("unlisted", "disable_comments", "hide_stats", "publish", "unpublish"):
            if flag in fields:
                if flag in ("publish", "unpublish") and not edit:
                    raise UploadError(f"{flag}: only accepted when editing")
                value = fields[flag].strip().lower()
                if value not in _TRUE and value not in _FALSE:
                    raise UploadError(f"{flag}: must be a boolean (1, true or on; 0, false or off)")
                form[flag] = value in _TRUE
        if sum(bool(form.get(flag)) for flag in ("unlisted", "publish", "unpublish")) > 1:
            raise UploadError("unlisted, publish and unpublish cannot be combined")
        if "publish_date" in fields:
            value = fields["publish_date"].strip()
            try:
                if not _PUBLISH_DATE.match(value):
                    raise ValueError(value)
                form["publish_date"] = _parse_iso(value)
            except ValueError:
                raise UploadError("publish_date: must be formatted YYYY-MM-DDTHH:MM:SSZ (UTC), "
                                  "e.g. 2015-11-21T14:05:00Z") from None
        pro_only = [f for f in ("publish_date", "disable_comments", "hide_stats")
                    if form.get(f) not in (None, False)] + (["hosts"] if touched_hosts else [])
        if pro_only and not user.is_pro:
            raise UploadError(f"{pro_only[0]}: only available to Pro accounts")
        if touched_hosts:
            valid = [h for _, h in sorted(hosts.items()) if h.lower() in self._by_name]
            if edit and len(valid) != len([h for h in hosts.values() if h]):
                form["hosts"] = None  # one bad name cancels every host change
            else:
                form["hosts"] = tuple(self.canonical_username(h) for h in valid)
        return form

    @staticmethod
    def _check_sections(sections: Mapping[int, Mapping[str, str]]) -> list[tuple]:
        out = []
        for n in sorted(sections):
            s = sections[n]
            start = s.get("start_time", "")
            if start:
                if not re.fullmatch(r"\d+", start):
                    raise UploadError(f"sections-{n}-start_time: must be a whole number of seconds")
                start_time = int(start)
            else:
                start_time = 0
            if s.get("chapter"):
                if s.get("artist") or s.get("song"):
                    raise UploadError(f"sections-{n}-chapter: a section is either a chapter or a "
                                      "track (artist and song), not both")
                out.append(("chapter", s["chapter"], None, start_time))
            elif s.get("artist") or s.get("song"):
                for part in ("artist", "song"):
                    if not s.get(part):
                        raise UploadError(f"sections-{n}-{part}: required for a track section")
                out.append(("track", s["artist"], s["song"], start_time))
            else:
                raise UploadError(f"sections-{n}-chapter: a section needs a chapter name or an "
                                  "artist and a song")
        return out

    def _apply(self, cc: _Cloudcast, form: Mapping[str, Any], new: bool) -> None:
        was_public = cc.public
        self._set_public(cc, False)  # out of every public list while its tags may change
        if "name" in form:
            cc.name = form["name"]
        if "description" in form:
            cc.description = form["description"]
        if form.get("picture"):
            rng = random.Random(f"mixframe-sandbox:{self.seed}:picture:{self._clock}")
            cc.picture = rng.getrandbits(128)
        if "tags" in form:
            cc.tags = tuple(dict.fromkeys(self._tag_id(_slugify(t), t) for t in form["tags"]))
        if "sections" in form:
            cc.sections = form["sections"]
        if "disable_comments" in form:
            cc.disable_comments = form["disable_comments"]
        if "hide_stats" in form:
            cc.hidden_stats = form["hide_stats"]
        if form.get("hosts") is not None:
            cc.hosts = form["hosts"]
        if "publish_date" in form:
            cc.publish_date = _iso(form["publish_date"])
        public = True if new else was_public
        if form.get("unlisted") or form.get("unpublish"):
            public = False
        elif form.get("publish") or form.get("unlisted") is False:
            public = True
        scheduled = cc.publish_date is not None and _parse_iso(cc.publish_date) > self._clock
        if scheduled and not form.get("publish"):
            public = False
        self._set_public(cc, public)

    def _set_public(self, cc: _Cloudcast, public: bool) -> None:
        """Move `cc` in or out of every public list (kept sorted by upload time)."""
        user = self._users[cc.owner]
        ccs = self._cloudcasts
        lists = [user.cloudcasts, self._new] + [self._tag_cloudcasts[t] for t in cc.tags]
        if public == cc.public:
            return
        if public:
            user.drafts.remove(cc.idx)
            for lst in lists:
                bisect.insort(lst, cc.idx, key=lambda i: ccs[i].created)
        else:
            for lst in lists:
                if cc.idx in lst:
                    lst.remove(cc.idx)
            user.drafts.append(cc.idx)
        cc.public = public
        self.version += 1
