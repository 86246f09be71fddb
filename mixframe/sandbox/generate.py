"""Generating a world from a seed: users, cloudcasts, follows, activity and comments.

Every random draw comes from a :class:`random.Random` seeded with a string naming the seed and
the stream (``"users"``, ``"follows"``...), so the same seed and size give the same world
whatever ``PYTHONHASHSEED`` is. Well-known real accounts take part with their recorded profile
fields: ``spartacus`` (2018 profile and his five recorded cloudcasts) and ``NTSRadio`` (one
recorded show).

Every time that orders a list (upload, follow, favourite, listen, comment time, ...) is unique in
the whole world, hence within every list, so that date-mode paging (``since`` / ``until``) is
exact: each is registered in a set of taken seconds and moved a second later if already taken.
Events are generated after what they depend on (a listen after the upload's final time), so
moving a time never breaks an order.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import operator
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from .records import (DEFAULT_USERNAME, HISTORY_END, RESERVED_USERNAMES, TOKEN, Cloudcast, Edges,
                      User, WorldState, parse_iso)
from .words import (ADJECTIVES, COMMENTS, FIRST_NAMES, GENRES, LAST_NAMES, MONTHS, NOUNS, PLACES,
                    SHOWS)

__all__ = ["draw_tags", "generate", "rng", "show_name"]

_TAG_COUNTS = (1, 2, 3, 3, 4, 5)   # tags per synthetic show, drawn uniformly


def rng(seed: int, stream: str) -> random.Random:
    """The random stream `stream` of the world seeded `seed`."""
    return random.Random(f"mixframe-sandbox:{seed}:{stream}")


def generate(seed: int, n_users: int) -> WorldState:
    """A new world of `n_users` users (at least 3), with the sandbox user's token issued."""
    state = WorldState(seed=seed)
    for slug, name in GENRES:
        state.tag_id(slug, name)
    enabled = gc.isenabled()
    gc.disable()  # generation allocates ~1M objects, none of them cyclic garbage
    try:
        _Generation(state).run(max(3, int(n_users)))
    finally:
        if enabled:
            gc.enable()
    state.tokens[TOKEN] = state.by_name[DEFAULT_USERNAME.lower()]
    return state


class _Generation:
    """One generation run: the state being filled and the ordering times already taken."""

    def __init__(self, state: WorldState) -> None:
        self.state = state
        self.taken: set[int] = set()

    def run(self, n_users: int) -> None:
        state = self.state
        salt = hashlib.sha256(f"mixframe-sandbox:{state.seed}:pictures".encode()).digest()
        state.salt = int.from_bytes(salt[:8], "big")
        self.make_users(n_users)
        self.make_cloudcasts()
        follows = self.make_follows()
        favorites, listens, reposts = self.make_activity()
        comments = self.make_comments()
        self.index_cloudcasts()
        self.store_edges(state.follows, follows, "following", "followers", target_is_user=True)
        self.store_edges(state.favorites, favorites, "favorites", "favorites")
        self.store_edges(state.listens, listens, "listens", "listeners")
        self.store_edges(state.reposts, reposts, "reposts", "reposts")
        self.store_comments(comments)

    def reserve(self, t: int) -> int:
        """The first free second at or after `t`, marked taken: ordering times stay unique."""
        taken = self.taken
        while t in taken:
            t += 1
        taken.add(t)
        return t

    # -- users --------------------------------------------------------------------------------

    def make_users(self, n: int) -> None:
        state = self.state
        draw = rng(state.seed, "users")
        profile = _load("user-spartacus-metadata-2018.json")
        fixed = [
            dict(username="spartacus", name=profile["name"], biog=profile["biog"],
                 created=parse_iso(profile["created_time"]),
                 updated=parse_iso(profile["updated_time"]), city=profile["city"],
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
        users, by_name = state.users, state.by_name
        for i in range(n):
            spec = fixed[i] if i < len(fixed) else _synthetic_user(draw, taken)
            taken[spec["username"].lower()] = True
            created = spec["created"] or draw.randint(1243814400, 1703980800)  # 2009-06..2023
            updated = spec["updated"] or min(HISTORY_END, created + int(draw.random() * 63072000))
            weight = spec["weight"] or 1.0 / (1.0 - draw.random()) ** 0.83  # Pareto(1.2)
            users.append(User(
                idx=i, username=spec["username"], name=spec["name"], created=created,
                updated=updated, city=spec["city"], country=spec["country"],
                is_pro=spec["is_pro"], is_premium=spec["is_premium"], weight=weight,
                biog=spec["biog"], picture=spec["picture"], cover=spec["cover"],
                color=spec["color"]))
            by_name[spec["username"].lower()] = i

    # -- cloudcasts ---------------------------------------------------------------------------

    def make_cloudcasts(self) -> None:
        """Create every cloudcast: the recorded ones, then synthetic ones."""
        state = self.state
        draw = rng(state.seed, "cloudcasts")
        rnd = draw.random
        users = state.users
        n = len(users)
        n_genres = len(GENRES)
        synthetic = list(range(3, n))
        big = set(draw.sample(synthetic, min(len(synthetic), max(2, n // 200))))
        # Genre preferences: three genres per user, drawn once so shows of a user look alike.
        state.preferences = [draw.sample(range(n_genres), 3) for _ in range(n)]
        recorded = _load("user-cloudcasts-spartacus-2018.json")["data"]
        party = _load("legacy2013-cloudcast-detail-metadata.json")
        nts = _load("cloudcast-detail-ntsradio-2014.json")
        for item in reversed(recorded):  # oldest first
            cc = self.recorded_cloudcast(item, 0)
            if cc.slug == party["slug"]:
                cc.description = party["description"]
                cc.sections = [("track", s["track"]["artist"]["name"], s["track"]["name"],
                                s.get("start_time", 0)) for s in party["sections"]]
        nts_cc = self.recorded_cloudcast(nts, 1)
        nts_cc.color = nts["picture_primary_color"]
        nts_cc.description = nts["description"]
        step = nts["audio_length"] // max(1, len(nts["sections"]))
        nts_cc.sections = [("track", s["track"]["artist"]["name"], s["track"]["name"], i * step)
                           for i, s in enumerate(nts["sections"])]
        nts_tag = state.tag_id("nts", "NTS")
        ccs = state.cloudcasts
        reserve = self.reserve
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
            span = HISTORY_END - 172800 - lo
            prefs = state.preferences[i]
            for _ in range(count):
                idx = len(ccs)
                created = reserve(lo + int(rnd() * span))
                if i == 1:
                    day = time.gmtime(created)
                    name = (f"{SHOWS[int(rnd() * len(SHOWS))]} - {_ordinal(day.tm_mday)} "
                            f"{MONTHS[day.tm_mon - 1]} {day.tm_year}")
                else:
                    name = show_name(rnd, user, prefs, created)
                tags = draw_tags(rnd, prefs, n_genres)
                if i == 1:
                    tags = [nts_tag, *tags[:4]]
                audio_length = int(900 + 9900 * rnd() * rnd() ** 0.5)
                hidden_stats = rnd() < 0.03
                appeal = 1.0 / (1.0 - rnd()) ** 0.5  # Pareto(2)
                cc = Cloudcast(
                    idx=idx, owner=i, name=name, created=created,
                    updated=created + (idx * 7919) % 5400, audio_length=audio_length,
                    tags=tuple(tags), appeal=appeal, hidden_stats=hidden_stats,
                    extra_plays=int(15 * appeal / (1.0 - rnd()) ** 0.67))
                state.add_slug(user, cc)
                ccs.append(cc)

    def recorded_cloudcast(self, item: Mapping[str, Any], owner: int) -> Cloudcast:
        state = self.state
        created = parse_iso(item["created_time"])
        self.taken.add(created)
        cc = Cloudcast(
            idx=len(state.cloudcasts), owner=owner, name=item["name"], created=created,
            updated=parse_iso(item["updated_time"]), audio_length=item["audio_length"],
            tags=tuple(state.tag_id(t["key"].strip("/").rsplit("/", 1)[1], t["name"])
                       for t in item["tags"]),
            picture=_picture_tail(item["pictures"]["small"], "extaudio"), appeal=3.0,
            extra_plays=item["play_count"] // 2)
        state.add_slug(state.users[owner], cc, item["slug"])
        state.cloudcasts.append(cc)
        return cc

    # -- follows, favorites, listens, reposts, comments ---------------------------------------

    def make_follows(self) -> tuple[list[int], list[int], list[int]]:
        state = self.state
        draw = rng(state.seed, "follows")
        rnd = draw.random
        users = state.users
        n = len(users)
        created = [u.created for u in users]
        table = weighted_table(u.weight for u in users)
        reserve = self.reserve
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
            for b in pick(draw, k, table, n, {a}):
                lo = max(c, created[b]) + 60
                t = reserve(lo + int(rnd() * (HISTORY_END - lo)))
                src.append(a)
                dst.append(b)
                times.append(t)
        return src, dst, times

    def make_activity(self) -> tuple[tuple[list[int], list[int], list[int]], ...]:
        state = self.state
        draw = rng(state.seed, "activity")
        rnd = draw.random
        users, ccs = state.users, state.cloudcasts
        m = len(ccs)
        cc_created = [c.created for c in ccs]
        table = weighted_table(users[c.owner].weight * c.appeal for c in ccs)
        reserve = self.reserve
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
                for b in pick(draw, k, table, m, own):
                    lo = max(c, cc_created[b]) + 60
                    t = lo + int(rnd() * (HISTORY_END - lo))
                    if kind != "reposts":  # reposts order no list
                        t = reserve(t)
                    src.append(a)
                    dst.append(b)
                    times.append(t)
            out.append((src, dst, times))
        return tuple(out)

    def make_comments(self) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
        state = self.state
        draw = rng(state.seed, "comments")
        rnd = draw.random
        users, ccs = state.users, state.cloudcasts
        n, m = len(users), len(ccs)
        created = [u.created for u in users]
        cum_cc = list(itertools.accumulate(users[c.owner].weight * c.appeal for c in ccs))
        cum_users = list(itertools.accumulate(u.weight for u in users))
        n_texts = len(COMMENTS)
        reserve = self.reserve
        authors: list[int] = []
        targets: list[int] = []
        times: list[int] = []
        on_cc: list[int] = []
        texts: list[int] = []
        for c in (draw.choices(range(m), cum_weights=cum_cc, k=int(m * 0.6)) if m else ()):
            author = int(rnd() * n)
            lo = max(ccs[c].created, created[author]) + 60
            t = reserve(lo + int(rnd() * (HISTORY_END - lo)))
            authors.append(author)
            targets.append(c)
            on_cc.append(1)
            times.append(t)
            texts.append(int(rnd() * n_texts))
        for target in draw.choices(range(n), cum_weights=cum_users, k=int(n * 0.6)):
            author = int(rnd() * n)
            if author == target:
                continue
            lo = max(created[target], created[author]) + 60
            t = reserve(lo + int(rnd() * (HISTORY_END - lo)))
            authors.append(author)
            targets.append(target)
            on_cc.append(0)
            times.append(t)
            texts.append(int(rnd() * n_texts))
        return authors, targets, times, on_cc, texts

    # -- indexes ------------------------------------------------------------------------------

    def index_cloudcasts(self) -> None:
        state = self.state
        ccs = state.cloudcasts
        state.new = sorted(range(len(ccs)), key=lambda i: ccs[i].created)
        own = [u.cloudcasts for u in state.users]
        by_tag = state.tag_cloudcasts
        for i in state.new:
            cc = ccs[i]
            own[cc.owner].append(i)
            for t in cc.tags:
                by_tag[t].append(i)

    def store_edges(self, edges: Edges, raw: tuple[list[int], list[int], list[int]],
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
        users = self.state.users
        sources = [getattr(u, src_list) for u in users]
        if target_is_user:
            targets = [getattr(u, dst_list) for u in users]
            for e, a, b in zip(itertools.count(first), sa, sb):
                sources[a].append(e)
                targets[b].append(e)
            return
        by_cloudcast: defaultdict[int, list[int]] = defaultdict(list)
        for e, a, b in zip(itertools.count(first), sa, sb):
            sources[a].append(e)
            by_cloudcast[b].append(e)
        ccs = self.state.cloudcasts
        for b, lst in by_cloudcast.items():
            setattr(ccs[b], dst_list, lst)

    def store_comments(self, raw: tuple[list[int], ...]) -> None:
        authors, targets, times, on_cc, texts = raw
        if not times:
            return
        order = _time_order(times)
        get = operator.itemgetter(*order, order[0])
        state = self.state
        table = state.comments
        table.time.extend(get(times)[:-1])
        table.author.extend(get(authors)[:-1])
        target_ids = get(targets)[:-1]
        flags = get(on_cc)[:-1]
        table.target.extend(target_ids)
        table.on_cloudcast.extend(flags)
        table.text.extend(get(texts)[:-1])
        ccs, users = state.cloudcasts, state.users
        by_cloudcast: defaultdict[int, list[int]] = defaultdict(list)
        for cid, target, flag in zip(itertools.count(), target_ids, flags):
            if flag:
                by_cloudcast[target].append(cid)
            else:
                users[target].comments.append(cid)
        for target, lst in by_cloudcast.items():
            ccs[target].comments = lst


# -- shared with later changes (World.advance) -------------------------------------------------

def show_name(rnd: Callable[[], float], user: User, prefs: list[int], created: int) -> str:
    """A generated show title for `user` (preferred genres `prefs`), uploaded at `created`."""
    genre = GENRES[prefs[int(rnd() * 3)]][1]
    adj = ADJECTIVES[int(rnd() * len(ADJECTIVES))].capitalize()
    noun = NOUNS[int(rnd() * len(NOUNS))].capitalize()
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
        return f"{MONTHS[when.tm_mon - 1]} {when.tm_year} Mixtape"
    if pattern == 4:
        return f"Live in {user.city or 'the Studio'} {when.tm_year}"
    if pattern == 5:
        return f"{user.name} presents {adj} {noun} Vol. {number % 30 + 1}"
    return f"{noun} {number}"


def draw_tags(rnd: Callable[[], float], prefs: list[int], n_genres: int) -> list[int]:
    """1 to 5 genre ids, the user's first preference first, mostly its preferences."""
    k = _TAG_COUNTS[int(rnd() * 6)]
    tags = [prefs[0]]
    while len(tags) < k:
        g = prefs[int(rnd() * 3)] if rnd() < 0.6 else int(rnd() * n_genres)
        if g not in tags:
            tags.append(g)
    return tags


def weighted_table(weights: Iterable[float], per_item: int = 8) -> list[int]:
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


def pick(draw: random.Random, k: int, table: list[int], n: int, excluded: set[int]) -> list[int]:
    """`k` distinct indexes below `n`, drawn from a weighted `table`, none `excluded`."""
    chosen: dict[int, None] = {}
    size = len(table)
    rnd = draw.random
    for _ in range(4 * k + 8):
        i = table[int(rnd() * size)]
        if i not in chosen and i not in excluded:
            chosen[i] = None
            if len(chosen) == k:
                return list(chosen)
    # Tiny worlds or very skewed weights: finish uniformly.
    rest = [i for i in range(n) if i not in chosen and i not in excluded]
    chosen.update(dict.fromkeys(draw.sample(rest, min(len(rest), k - len(chosen)))))
    return list(chosen)


# -- helpers ---------------------------------------------------------------------------------

def _synthetic_user(draw: random.Random, taken: Mapping[str, bool]) -> dict[str, Any]:
    rnd = draw.random

    def choose(seq: Sequence[Any]) -> Any:
        return seq[int(rnd() * len(seq))]

    adj, noun = choose(ADJECTIVES).capitalize(), choose(NOUNS).capitalize()
    first, last = choose(FIRST_NAMES), choose(LAST_NAMES)
    pattern = int(rnd() * 5)
    if pattern == 0:
        username, name = adj + noun, f"{adj} {noun}"
    elif pattern == 1:
        username, name = f"dj{first}", f"DJ {first.capitalize()}"
    elif pattern == 2:
        username = choose(("{f}{l}", "{f}_{l}", "{f}-{l}")).format(f=first, l=last)
        name = f"{first.capitalize()} {last.capitalize()}"
    elif pattern == 3:
        kind = choose(("Radio", "Sound", "Collective", "FM", "Records"))
        username, name = noun + kind, f"{noun} {kind}"
    else:
        username, name = f"{adj.lower()}{noun.lower()}{10 + int(rnd() * 90)}", f"{adj} {noun}"
    while username.lower() in taken:
        username += str(int(rnd() * 10))
    city, country = choose(PLACES)
    return dict(username=username, name=name, biog=None, created=None, updated=None,
                city=city, country=country, is_pro=rnd() < 0.15, is_premium=rnd() < 0.1,
                picture=None, cover=None, color=None, weight=None)


def _picture_tail(url: str, kind: str) -> str:
    """Path tail of a recorded picture URL, converting the old ``images-mix`` form."""
    if "thumbnailer.mixcloud.com" in url:
        return url.split(f"/{kind}/", 1)[1]
    uuid = url.rsplit("/", 1)[1]
    return f"{uuid[0]}/{uuid[1]}/{uuid[2]}/{uuid[3]}/{uuid[4:]}"


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
