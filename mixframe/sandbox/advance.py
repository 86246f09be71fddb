"""Time passing in a world: new uploads, follows, favorites, listens and plays (World.advance).

Each change takes the next second of the world's logical clock (which starts at
:data:`~mixframe.sandbox.records.CLOCK_START`, after all generated history), so new entries are
the newest of every list they join: lists stay newest first, date paging stays exact, and a
crawler that re-walks a list from its first page meets everything new before anything it has
already stored. Counts follow from the lists, so they always match what the lists serve.

Which users and shows take part is drawn from a stream seeded by the world's seed, the
``seed`` given and the clock, so the same calls on the same world give the same changes.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from . import actions
from .generate import draw_tags, rng, show_name
from .records import Cloudcast, Edges, WorldState
from .uploads import set_public
from .words import GENRES

__all__ = ["Changes", "advance"]

_KINDS = ("uploads", "follows", "favorites", "listens", "plays")
_TRIES = 64  # draws per change before giving it up (a user already following everyone...)


@dataclass(frozen=True)
class Changes:
    """What :meth:`World.advance <mixframe.sandbox.world.World.advance>` changed.

    Keys are API keys (``"/spartacus/"``, ``"/spartacus/party-time/"``); events are in the
    order they happened, each one second after the previous one.

    Attributes
    ----------
    clock_before, clock_after : int
        The world's logical clock (Unix time) before and after: every change happened after
        `clock_before`, the last one at `clock_after`.
    uploads : tuple of str
        Keys of the new (public) cloudcasts.
    follows : tuple of (str, str)
        New follow edges, ``(follower key, followed key)``.
    favorites, listens : tuple of (str, str)
        New favorites and listens, ``(user key, cloudcast key)``.
    plays : tuple of str
        Cloudcasts that were played by someone not counted as a listener (their
        ``play_count`` grew); a key appears once per batch of plays.
    users : frozenset of str
        Users whose detail page changed: ``follower_count``, ``following_count``,
        ``cloudcast_count``, ``favorite_count`` or ``listen_count``.
    cloudcasts : frozenset of str
        Cloudcasts that existed before and whose detail page changed (``play_count``,
        ``favorite_count``, ``listener_count``); shows with hidden stats never change.
    """

    clock_before: int
    clock_after: int
    uploads: tuple[str, ...]
    follows: tuple[tuple[str, str], ...]
    favorites: tuple[tuple[str, str], ...]
    listens: tuple[tuple[str, str], ...]
    plays: tuple[str, ...]
    users: frozenset[str]
    cloudcasts: frozenset[str]


def advance(state: WorldState, fraction: float | None = None, *, uploads: int | None = None,
            follows: int | None = None, favorites: int | None = None,
            listens: int | None = None, plays: int | None = None, seed: int = 0) -> Changes:
    """Let time pass in `state`; see :meth:`World.advance`."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    counts = _counts(state, fraction, uploads=uploads, follows=follows, favorites=favorites,
                     listens=listens, plays=plays)
    draw = rng(state.seed, f"advance:{seed}:{state.clock}")
    return _Advance(state, draw).run(counts)


def _counts(state: WorldState, fraction: float | None, **given: int | None) -> dict[str, int]:
    """Changes of each kind: those given, else `fraction` of what the world holds."""
    if fraction is not None:
        number = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
        if not number or not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be a number from 0 to 1, got {fraction!r}")
    elif all(value is None for value in given.values()):
        raise ValueError("give a fraction of the world to change, or numbers of changes "
                         f"({', '.join(_KINDS)})")
    held = {"uploads": len(state.new), "follows": len(state.follows.time),
            "favorites": len(state.favorites.time), "listens": len(state.listens.time),
            "plays": len(state.new)}
    counts = {}
    for kind in _KINDS:
        value = given[kind]
        if value is None:
            value = round(held[kind] * (fraction or 0))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{kind} must be an int >= 0, got {value!r}")
        counts[kind] = value
    return counts


class _Advance:
    """One advance: draws who does what, applies it and notes what changed."""

    def __init__(self, state: WorldState, draw: random.Random) -> None:
        self.state = state
        self.draw = draw
        self.existing = len(state.cloudcasts)   # cloudcasts older than this advance
        self.events: dict[str, list] = {kind: [] for kind in _KINDS}
        self.users: set[int] = set()
        self.cloudcasts: set[int] = set()
        users = state.users
        self.user_weights = list(itertools.accumulate(u.weight for u in users))
        ccs = state.cloudcasts
        self.pool = list(state.new)
        self.pool_weights = list(itertools.accumulate(
            users[ccs[i].owner].weight * ccs[i].appeal for i in self.pool))

    def run(self, counts: dict[str, int]) -> Changes:
        state = self.state
        before = state.clock
        kinds = [kind for kind in _KINDS for _ in range(counts[kind])]
        self.draw.shuffle(kinds)  # interleaved in time, as on the real site
        apply = {"uploads": self.upload, "follows": self.follow, "favorites": self.favorite,
                 "listens": self.listen, "plays": self.play}
        for kind in kinds:
            apply[kind]()
        key = self.key
        return Changes(
            clock_before=before, clock_after=state.clock,
            uploads=tuple(key(i) for i in self.events["uploads"]),
            follows=tuple((f"/{state.users[a].username}/", f"/{state.users[b].username}/")
                          for a, b in self.events["follows"]),
            favorites=tuple((f"/{state.users[a].username}/", key(c))
                            for a, c in self.events["favorites"]),
            listens=tuple((f"/{state.users[a].username}/", key(c))
                          for a, c in self.events["listens"]),
            plays=tuple(key(c) for c in self.events["plays"]),
            users=frozenset(f"/{state.users[a].username}/" for a in self.users),
            cloudcasts=frozenset(key(c) for c in self.cloudcasts))

    def key(self, i: int) -> str:
        return self.state.cloudcast_key(self.state.cloudcasts[i])

    # -- draws --------------------------------------------------------------------------------

    def any_user(self) -> int:
        return int(self.draw.random() * len(self.state.users))

    def popular_user(self) -> int:
        return bisect.bisect(self.user_weights, self.draw.random() * self.user_weights[-1])

    def popular_cloudcast(self) -> int | None:
        if not self.pool:
            return None
        weights = self.pool_weights
        return self.pool[bisect.bisect(weights, self.draw.random() * weights[-1])]

    # -- changes ------------------------------------------------------------------------------

    def upload(self) -> None:
        state, rnd = self.state, self.draw.random
        owner = self.popular_user()
        user = state.users[owner]
        prefs = state.preferences[owner]
        created = state.tick()
        name = show_name(rnd, user, prefs, created)
        tags = draw_tags(rnd, prefs, len(GENRES))
        cc = Cloudcast(
            idx=len(state.cloudcasts), owner=owner, name=name, created=created, updated=created,
            audio_length=int(900 + 9900 * rnd() * rnd() ** 0.5), tags=tuple(tags),
            appeal=1.0 / (1.0 - rnd()) ** 0.5, extra_plays=0, public=False)
        state.add_slug(user, cc)
        state.cloudcasts.append(cc)
        user.drafts.append(cc.idx)
        set_public(state, cc, True)
        self.events["uploads"].append(cc.idx)
        self.users.add(owner)

    def follow(self) -> None:
        state = self.state
        users = state.users
        for _ in range(_TRIES):
            a, b = self.any_user(), self.popular_user()
            if a != b and actions.follow(state, users[a].username, users[b].username):
                self.events["follows"].append((a, b))
                self.users.update((a, b))
                return

    def favorite(self) -> None:
        self._link("favorites", self.state.favorites, "favorites", "favorites")

    def listen(self) -> None:
        self._link("listens", self.state.listens, "listens", "listeners")

    def _link(self, kind: str, edges: Edges, user_list: str, cc_list: str) -> None:
        state = self.state
        for _ in range(_TRIES):
            a, c = self.any_user(), self.popular_cloudcast()
            if c is None:
                return
            cc = state.cloudcasts[c]
            if cc.owner == a:
                continue
            if actions.link(state, edges, user_list, cc_list, state.users[a].username,
                            state.cloudcast_key(cc), True):
                self.events[kind].append((a, c))
                self.users.add(a)
                self._touched(c)
                return

    def play(self) -> None:
        c = self.popular_cloudcast()
        if c is None:
            return
        self.state.cloudcasts[c].extra_plays += 1 + int(self.draw.random() * 20)
        self.state.tick()
        self.events["plays"].append(c)
        self._touched(c)

    def _touched(self, c: int) -> None:
        if c < self.existing and not self.state.cloudcasts[c].hidden_stats:
            self.cloudcasts.add(c)
