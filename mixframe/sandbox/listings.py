"""Every list of the world as a :class:`Listing`: connections, tag and site-wide lists, search.

A listing holds item references and says how to order, render and key them; the API pages it
(:mod:`mixframe.sandbox.responses`). Dated lists hold their items oldest first and page by date
(``since``/``until``) or offset; ranked lists (popular, hot, search) hold them in API order and
page by offset only. Ranked lists are cached until the world changes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import NotFound
from .records import (CLOUDCAST_CONNECTIONS, HISTORY_END, RESERVED_USERNAMES, USER_CONNECTIONS,
                      User, WorldState)
from .render import (FEED_ID_BASE, comment_key, render_cloudcast, render_comment,
                     render_feed_item, render_listen, render_tag, render_user)

__all__ = ["Listing", "listing", "search"]

_SEARCH_TYPES = ("cloudcast", "user", "tag")


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


def listing(state: WorldState, path: str, viewer: str | None = None) -> Listing:
    """The list served at API `path` (without query); see :meth:`World.listing`."""
    parts = [p for p in path.split("/") if p]
    if parts == ["popular"] or parts == ["popular", "hot"]:
        kind = "hot" if len(parts) == 2 else "popular"
        name = "Hot Cloudcasts" if kind == "hot" else "Popular Cloudcasts"
        ranked = state.cached(("global", kind), lambda: _ranked(state, state.new, kind))
        return _cloudcasts(state, name, ranked, False)
    if parts == ["new"]:
        return _cloudcasts(state, "New Cloudcasts", state.new, True)
    if len(parts) == 3 and parts[0] in ("discover", "tag", "genres"):
        t = state.tag_by_slug(parts[1])
        kind = parts[2]
        pool = state.tag_cloudcasts[t]
        if kind in ("new", "latest"):
            return _cloudcasts(state, None, pool, True)
        if kind in ("popular", "hot"):
            ranked = state.cached(("tag", t, kind), lambda: _ranked(state, pool, kind))
            return _cloudcasts(state, None, ranked, False)
        raise NotFound(f"No list {path!r}")
    if len(parts) == 2 and parts[0] not in RESERVED_USERNAMES:
        user = state.users[state.user_index(parts[0])]
        if parts[1] == "listen-later":
            if viewer is None or state.user_index(viewer) != user.idx:
                raise NotFound(f"No list {path!r}")
        elif parts[1] not in USER_CONNECTIONS:
            raise NotFound(f"No list {path!r}")
        return _user_list(state, user, parts[1])
    if len(parts) == 3 and parts[0] not in RESERVED_USERNAMES:
        if parts[2] not in CLOUDCAST_CONNECTIONS:
            raise NotFound(f"No list {path!r}")
        return _cloudcast_list(state, state.cloudcast_index(parts[0], parts[1]), parts[2])
    raise NotFound(f"No list {path!r}")


def search(state: WorldState, q: str, type: str) -> Listing:
    """Search results for `q` among `type` objects; see :meth:`World.search`."""
    if type not in _SEARCH_TYPES:
        raise ValueError(f"Unknown search type {type!r}: use cloudcast, user or tag")
    words = q.lower().split()
    users, ccs = state.users, state.cloudcasts

    def match(text: str) -> bool:
        text = text.lower()
        return all(w in text for w in words)

    def build() -> list[int]:
        if type == "user":
            found = [u.idx for u in users if match(f"{u.username} {u.name}")]
            return sorted(found, key=lambda i: (-len(users[i].followers), i))
        if type == "tag":
            found = [t for t, name in enumerate(state.tag_names)
                     if match(f"{name} {state.tag_slugs[t]}") and state.tag_cloudcasts[t]]
            return sorted(found, key=lambda t: (-len(state.tag_cloudcasts[t]), t))
        return _ranked(state, [i for i in state.new if match(ccs[i].name)], "popular")

    items = state.cached(("search", type, " ".join(words)), build)
    if type == "user":
        return Listing(None, items, None, lambda i, types: render_user(state, i, types=types),
                       lambda i: f"/{users[i].username}/")
    if type == "tag":
        return Listing(None, items, None, lambda t, types: render_tag(state, t, types),
                       lambda t: f"/discover/{state.tag_slugs[t]}/")
    return _cloudcasts(state, None, items, False)


# -- connections -----------------------------------------------------------------------------

def _user_list(state: WorldState, user: User, connection: str) -> Listing:
    who = user.name
    users, ccs = state.users, state.cloudcasts
    if connection == "cloudcasts":
        return _cloudcasts(state, f"{who}'s Cloudcasts", user.cloudcasts, True)
    if connection in ("followers", "following"):
        follows = state.follows
        ends = follows.a if connection == "followers" else follows.b
        return Listing(f"{who}'s followers" if connection == "followers" else None,
                       getattr(user, connection), follows.time.__getitem__,
                       lambda e, types: render_user(state, ends[e], types=types),
                       lambda e: f"/{users[ends[e]].username}/")
    if connection in ("favorites", "listens", "listen-later"):
        edges = {"favorites": state.favorites, "listens": state.listens,
                 "listen-later": state.later}[connection]
        items = user.listen_later if connection == "listen-later" else getattr(user, connection)
        render = (
            (lambda e, types: render_listen(state, e, types)) if connection == "listens" else
            (lambda e, types: render_cloudcast(state, edges.b[e], types=types)))
        name = {"favorites": f"{who}'s favorites", "listens": f"{who}'s listens",
                "listen-later": f"{who}'s listen later"}[connection]
        return Listing(name, items, edges.time.__getitem__, render,
                       lambda e: state.cloudcast_key(ccs[edges.b[e]]))
    if connection == "comments":
        return _comments(state, f"Comments on {who}'s profile", user.comments)
    if connection == "feed":
        return Listing(f"{who}'s feed", _feed_entries(state, user), lambda entry: entry[0],
                       lambda entry, types: render_feed_item(state, user.idx, entry, types),
                       lambda entry: f"/{user.username}/feed/{entry[0] - FEED_ID_BASE}/")
    if connection == "playlists":
        return Listing(f"{who}'s playlists", [], lambda item: 0, lambda item, types: {},
                       lambda item: "")
    raise NotFound(f"No connection {connection!r}")


def _cloudcast_list(state: WorldState, i: int, connection: str) -> Listing:
    cc = state.cloudcasts[i]
    users = state.users
    if connection in ("favorites", "listeners"):
        edges = state.favorites if connection == "favorites" else state.listens
        name = ("Favorites of " if connection == "favorites" else "Listeners of ") + cc.name
        return Listing(name, getattr(cc, connection) or [], edges.time.__getitem__,
                       lambda e, types: render_user(state, edges.a[e], types=types),
                       lambda e: f"/{users[edges.a[e]].username}/")
    if connection == "comments":
        return _comments(state, f"Comments on {cc.name}", cc.comments or [])
    if connection == "similar":
        return _cloudcasts(state, f"Similar to {cc.name}", _similar(state, i), True)
    raise NotFound(f"No connection {connection!r}")


def _cloudcasts(state: WorldState, name: str | None, items: Sequence[int],
                dated: bool) -> Listing:
    ccs = state.cloudcasts
    return Listing(name, items, (lambda i: ccs[i].created) if dated else None,
                   lambda i, types: render_cloudcast(state, i, types=types),
                   lambda i: state.cloudcast_key(ccs[i]))


def _comments(state: WorldState, name: str, items: Sequence[int]) -> Listing:
    return Listing(name, items, state.comments.time.__getitem__,
                   lambda cid, types: render_comment(state, cid, types),
                   lambda cid: comment_key(state, cid))


def _feed_entries(state: WorldState, user: User) -> list[tuple[int, str, int]]:
    ccs, listens, favorites, follows = (state.cloudcasts, state.listens, state.favorites,
                                        state.follows)
    return list(heapq.merge(
        ((ccs[i].created, "upload", i) for i in user.cloudcasts),
        ((listens.time[e], "listen", e) for e in user.listens),
        ((favorites.time[e], "favorite", e) for e in user.favorites),
        ((follows.time[e], "follow", e) for e in user.following),
    ))


def _similar(state: WorldState, i: int) -> list[int]:
    """Up to 20 public cloudcasts sharing a tag with `i`: the newest of each tag, by time."""
    cc = state.cloudcasts[i]
    found: set[int] = set()
    for t in cc.tags:
        found.update(state.tag_cloudcasts[t][-10:])
    found.discard(i)
    ccs = state.cloudcasts
    return sorted(found, key=lambda j: ccs[j].created)[-20:]


# -- rankings --------------------------------------------------------------------------------

def _play_count(state: WorldState, i: int) -> int:
    cc = state.cloudcasts[i]
    return len(cc.listeners or ()) + cc.extra_plays


def _hotness(state: WorldState, i: int) -> float:
    cc = state.cloudcasts[i]
    age_days = max(0, HISTORY_END - cc.created) / 86400
    score = _play_count(state, i) + 3 * len(cc.favorites or ()) + 2 * len(cc.reposts or ())
    return score / (age_days + 7) ** 1.2


def _ranked(state: WorldState, pool: Sequence[int], kind: str) -> list[int]:
    ccs = state.cloudcasts
    if kind == "popular":
        return sorted(pool, key=lambda i: (-_play_count(state, i), -ccs[i].created))
    return sorted(pool, key=lambda i: (-_hotness(state, i), -ccs[i].created))
