"""The world's records in the API's shapes: users, cloudcasts, tags, sections, comments, feed items.

Each function returns the JSON body the real API sends for one object, in its short form (as a
list item or nested) or its full (detail) form; ``types`` adds the ``type`` fields, as
``metadata=1`` does. Pictures, colours, biographies, descriptions and tracklists not stored are
derived from the seed, so they cost nothing until served.
"""

from __future__ import annotations

import random
from typing import Any

from .records import Cloudcast, User, WorldState, iso, slugify
from .words import ARTISTS, BIOGS, COMMENTS, DESCRIPTIONS, GENRES, SONG_WORDS

__all__ = [
    "FEED_ID_BASE",
    "comment_key",
    "render_cloudcast",
    "render_comment",
    "render_feed_item",
    "render_listen",
    "render_tag",
    "render_user",
]

#: Feed item ids are event times minus this: unique and increasing.
FEED_ID_BASE = 1000000000

_WWW = "https://www.mixcloud.com"
_THUMBS = "https://thumbnailer.mixcloud.com/unsafe"
_COMMENT_ID_BASE = 4000000
_USER_PICTURES = (("small", 25), ("thumbnail", 50), ("medium_mobile", 80), ("medium", 100),
                  ("large", 300), ("320wx320h", 320), ("extra_large", 600), ("640wx640h", 640))
_CLOUDCAST_PICTURES = _USER_PICTURES + (("768wx768h", 768), ("1024wx1024h", 1024))
_COVER_PICTURES = (("835wx120h", 835, 120), ("1113wx160h", 1113, 160), ("1670wx240h", 1670, 240))
_FEED_TITLES = {"upload": "uploaded", "listen": "listened to", "favorite": "favorited",
                "follow": "is now following"}
_M64 = (1 << 64) - 1


def render_user(state: WorldState, i: int, full: bool = False,
                types: bool = False) -> dict[str, Any]:
    """API body of user number `i`: short form (list items, nested) or `full` form."""
    u = state.users[i]
    body: dict[str, Any] = {
        "key": f"/{u.username}/", "url": f"{_WWW}/{u.username}/", "name": u.name,
        "username": u.username, "pictures": _user_pictures(state, u),
    }
    if full:
        cover = _uuid_path(_derived(state, 1, u.idx) if u.cover is None else u.cover)
        body.update(
            biog=u.biog if u.biog is not None else _biog(state, u),
            created_time=iso(u.created), updated_time=iso(u.updated),
            follower_count=len(u.followers), following_count=len(u.following),
            cloudcast_count=len(u.cloudcasts), favorite_count=len(u.favorites),
            listen_count=len(u.listens), is_pro=u.is_pro, is_premium=u.is_premium,
            city=u.city, country=u.country,
            cover_pictures={name: f"{_THUMBS}/{w}x{h}/profile_cover/{cover}"
                            for name, w, h in _COVER_PICTURES},
            picture_primary_color=u.color or f"{_derived(state, 2, u.idx, 24):06x}",
        )
    if types:
        body["type"] = "user"
    return body


def render_tag(state: WorldState, t: int, types: bool = False) -> dict[str, Any]:
    """API body of tag number `t`; its key is ``/discover/<slug>/`` whatever path served it."""
    slug = state.tag_slugs[t]
    body = {"key": f"/discover/{slug}/", "url": f"{_WWW}/discover/{slug}/",
            "name": state.tag_names[t]}
    if types:
        body["type"] = "tag"
    return body


def render_cloudcast(state: WorldState, i: int, full: bool = False,
                     types: bool = False) -> dict[str, Any]:
    """API body of cloudcast number `i`: list form or `full` (detail) form."""
    cc = state.cloudcasts[i]
    key = state.cloudcast_key(cc)
    tail = _uuid_path(_derived(state, 3, i) if cc.picture is None else cc.picture)
    hidden = cc.hidden_stats
    listeners = len(cc.listeners or ())
    body: dict[str, Any] = {
        "key": key, "url": _WWW + key, "name": cc.name,
        "tags": [render_tag(state, t, types) for t in cc.tags],
        "created_time": iso(cc.created), "updated_time": iso(cc.updated),
        "play_count": 0 if hidden else listeners + cc.extra_plays,
        "favorite_count": 0 if hidden else len(cc.favorites or ()),
        "comment_count": 0 if hidden else len(cc.comments or ()),
        "listener_count": 0 if hidden else listeners,
        "repost_count": 0 if hidden else len(cc.reposts or ()),
        "pictures": {name: f"{_THUMBS}/{size}x{size}/extaudio/{tail}"
                     for name, size in _CLOUDCAST_PICTURES},
        "slug": cc.slug, "user": render_user(state, cc.owner, types=types),
        "audio_length": cc.audio_length,
    }
    if hidden:
        body["hidden_stats"] = True
    if full:
        description, sections = _details(state, cc)
        body["description"] = description
        body["sections"] = [_render_section(pos, s, types) for pos, s in enumerate(sections)]
        body["picture_primary_color"] = cc.color or f"{_derived(state, 4, i, 24):06x}"
    if types:
        body["type"] = "cloudcast"
    return body


def render_listen(state: WorldState, e: int, types: bool) -> dict[str, Any]:
    """A ``listens`` list item: the cloudcast of listen edge `e`, with its ``listen_time``."""
    body = render_cloudcast(state, state.listens.b[e], types=types)
    body["listen_time"] = iso(state.listens.time[e])
    return body


def render_comment(state: WorldState, cid: int, types: bool = False) -> dict[str, Any]:
    """API body of comment number `cid` (on a profile or on a cloudcast)."""
    table = state.comments
    place, number = _comment_place(state, cid)
    body = {
        "key": f"/comments/{place}/c{number}/", "url": f"{_WWW}/comments/{place}/#c{number}",
        "comment": table.extra_text.get(cid) or COMMENTS[table.text[cid]],
        "submit_date": iso(table.time[cid]),
        "user": render_user(state, table.author[cid], types=types),
    }
    if types:
        body["type"] = "comment"
    return body


def comment_key(state: WorldState, cid: int) -> str:
    """Key of comment number `cid`."""
    place, number = _comment_place(state, cid)
    return f"/comments/{place}/c{number}/"


def render_feed_item(state: WorldState, owner: int, entry: tuple[int, str, int],
                     types: bool) -> dict[str, Any]:
    """A feed item of user `owner`: ``entry`` is ``(time, kind, cloudcast or edge id)``."""
    t, kind, ref = entry
    username = state.users[owner].username
    number = t - FEED_ID_BASE
    body: dict[str, Any] = {
        "key": f"/{username}/feed/{number}/", "url": f"{_WWW}/{username}/feed/#{number}",
        "type": kind, "title": _FEED_TITLES[kind], "created_time": iso(t),
        "from": render_user(state, owner, types=types),
    }
    if kind == "follow":
        body["users"] = [render_user(state, state.follows.b[ref], types=types)]
    else:
        cc = ref if kind == "upload" else (state.listens if kind == "listen"
                                           else state.favorites).b[ref]
        body["cloudcasts"] = [render_cloudcast(state, cc, types=types)]
    return body


# -- derived fields --------------------------------------------------------------------------

def _mix64(x: int) -> int:
    """splitmix64 finaliser: a cheap, well-spread hash of a 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _derived(state: WorldState, purpose: int, i: int, bits: int = 128) -> int:
    """Deterministic pseudo-random bits for object `i` (picture ids, colours)."""
    salt = state.salt
    x = _mix64(salt ^ (i * 8 + purpose))
    if bits > 64:
        x = x << 64 | _mix64(x ^ salt)
    return x & ((1 << bits) - 1)


def _uuid_path(value: int | str) -> str:
    """Thumbnailer path tail of a picture: ``d/f/e/f/d1a8-3932-...-ac5fd2144d80.jpg``."""
    if isinstance(value, str):
        return value
    h = f"{value:032x}"
    ext = (".jpg", ".jpg", ".png", "")[value & 3]
    return f"{h[0]}/{h[1]}/{h[2]}/{h[3]}/{h[4:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}{ext}"


def _user_pictures(state: WorldState, user: User) -> dict[str, str]:
    tail = _uuid_path(_derived(state, 0, user.idx) if user.picture is None else user.picture)
    return {name: f"{_THUMBS}/{size}x{size}/profile/{tail}" for name, size in _USER_PICTURES}


def _biog(state: WorldState, u: User) -> str:
    rng = random.Random(f"mixframe-sandbox:{state.seed}:biog:{u.idx}")
    g = [GENRES[p][1] for p in state.preferences[u.idx]]
    return rng.choice(BIOGS).format(name=u.name, city=u.city or "home", G0=g[0],
                                    g0=g[0].lower(), g1=g[1].lower(), g2=g[2].lower())


def _details(state: WorldState, cc: Cloudcast) -> tuple[str, list[tuple]]:
    """The description and sections of `cc`: stored ones, else generated from the seed."""
    if cc.description is not None and cc.sections is not None:
        return cc.description, cc.sections
    rng = random.Random(f"mixframe-sandbox:{state.seed}:details:{cc.idx}")
    g = [state.tag_names[t] for t in cc.tags] + ["music", "sounds"]
    description = rng.choice(DESCRIPTIONS).format(G0=g[0], g0=g[0].lower(), g1=g[1].lower())
    count = rng.choice((0, 0, 3, 6, 8, 10, 12, 15))
    sections: list[tuple] = []
    chapters = rng.random() < 0.15
    start = 0
    for n in range(count):
        if chapters and n % 4 == 0:
            sections.append(("chapter", f"Part {n // 4 + 1}", None, start))
        else:
            song = " ".join(rng.sample(SONG_WORDS, rng.randint(1, 3)))
            sections.append(("track", rng.choice(ARTISTS), song, start))
        start += max(1, cc.audio_length // max(count, 1))
    return (cc.description if cc.description is not None else description,
            cc.sections if cc.sections is not None else sections)


def _render_section(position: int, section: tuple, types: bool) -> dict[str, Any]:
    kind, first, second, start = section
    if kind == "chapter":
        body: dict[str, Any] = {"chapter": first}
    else:
        artist_slug, song_slug = slugify(first), slugify(second)
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


def _comment_place(state: WorldState, cid: int) -> tuple[str, int]:
    comments = state.comments
    target = comments.target[cid] + 1
    place = f"cr/25/{target}" if comments.on_cloudcast[cid] else f"cr/204/{target}"
    return place, _COMMENT_ID_BASE + cid
