"""Incremental refresh: crawl(refresh=True) / --refresh on the store of a finished crawl fetches
what is new since, and its tables equal those of a fresh crawl of the changed world for
everything added, proved against the sandbox's ground truth (World.advance); max_age refetches
the detail pages older than it; what a refresh cannot see, a full re-walk (--restart) does."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from datetime import timedelta

import pandas as pd
import pytest

from mixframe import (RetryPolicy, StoreError, StoreMismatchError, acrawl, crawl, read_crawl,
                      sandbox)
from mixframe.cli import main

FAST = RetryPolicy(retries=4, backoff=0.001, backoff_max=0.01)
HOPS = [["followers"], ["cloudcasts"]]  # the seed's followers, then their shows
PROVENANCE = ["fetched_at", "fetched_from"]


def options(app):
    return {**sandbox.roots(sandbox.IN_PROCESS_URL), "transport": sandbox.transport(app),
            "retries": FAST}


def network(app, store=None, **extra):
    return crawl("spartacus", connections=HOPS, depth=2, details=True, store=store,
                 progress=False, **options(app), **extra)


def assert_same_crawl(result, reference, *, tables=None):
    """The same rows, edges and tags; where and when pages were fetched may differ."""
    for name in tables or reference.tables:
        pd.testing.assert_frame_equal(result.tables[name].drop(columns=PROVENANCE),
                                      reference.tables[name].drop(columns=PROVENANCE), obj=name)
    pd.testing.assert_frame_equal(result.edges, reference.edges, obj="edges")
    pd.testing.assert_frame_equal(result.cloudcast_tags, reference.cloudcast_tags)


def asked(app) -> Counter:
    return Counter((request.path, request.query.get("until")) for request in app.requests)


def more_followers(world, count=2):
    """Users who start following spartacus now (newest first in his followers)."""
    followers = set(world.connection_keys("/spartacus/followers/"))
    new = [name for name in world.usernames()[3:] if f"/{name}/" not in followers][:count]
    for name in new:
        world.follow(name, "spartacus")
    return [f"/{name}/" for name in reversed(new)]


@pytest.fixture
def finished(sb, tmp_path):
    """A finished crawl of spartacus's network, with details, in a store."""
    store = tmp_path / "crawl.sqlite"
    first = network(sb, store)
    sb.reset_log()
    return store, first


def test_a_refresh_equals_a_fresh_crawl_of_the_changed_world(sb, finished):
    store, first = finished
    changes = sb.world.advance(0.01, seed=1)
    new_follows = more_followers(sb.world)
    followers = set(sb.world.connection_keys("/spartacus/followers/"))
    new_shows = [key for key in changes.uploads if f"/{key.split('/')[1]}/" in followers]
    assert new_follows and new_shows and changes.users & followers  # the crawl sees change
    refreshed = network(sb, store, refresh=True, max_age=0)
    requests = sb.request_count
    fresh = network(sb)  # the same world, crawled from scratch
    assert_same_crawl(refreshed, fresh)
    assert refreshed.stats["refreshes"] == 1 and len(refreshed.failures) == 0
    # against the ground truth: the new follows first in the seed's list, the new shows kept,
    # every changed count read again
    follows = refreshed.edges[refreshed.edges["source_key"] == "/spartacus/"]
    assert list(follows["target_key"].head(len(new_follows))) == new_follows
    assert set(new_shows) <= set(refreshed.cloudcasts["key"]) - set(first.cloudcasts["key"])
    users = refreshed.users.set_index("key")
    for key in changes.users & set(users.index):
        assert users.loc[key, "follower_count"] == sb.world.user(key.strip("/"))[
            "follower_count"]
    assert requests <= fresh.stats["requests"]


def test_without_max_age_a_refresh_fetches_only_the_lists_heads_and_what_is_new(sb, finished):
    store, first = finished
    changes = sb.world.advance(0.01, seed=1)
    more_followers(sb.world)
    refreshed = network(sb, store, refresh=True)
    walks = Counter(path for path, _ in asked(sb) if path.endswith(("/followers/",
                                                                     "/cloudcasts/")))
    fresh = network(sb)
    # everything added is there, as a fresh crawl has it
    pd.testing.assert_frame_equal(refreshed.edges, fresh.edges)
    old = set(first.users["key"]) | set(first.cloudcasts["key"])
    for name in ("users", "cloudcasts"):
        added = ~refreshed.tables[name]["key"].isin(old)
        assert added.any()
        pd.testing.assert_frame_equal(
            refreshed.tables[name][added].drop(columns=PROVENANCE).reset_index(drop=True),
            fresh.tables[name][~fresh.tables[name]["key"].isin(old)].drop(
                columns=PROVENANCE).reset_index(drop=True), obj=name)
    # the old details were not fetched again: their rows are the first crawl's
    kept = refreshed.users.set_index("key").loc[first.users["key"]]
    pd.testing.assert_frame_equal(kept.reset_index(), first.users)
    assert changes.users & set(first.users["key"])  # some did change meanwhile
    lists = 2 + len(first.users) - 1
    assert sum(walks.values()) <= 2 * lists
    uploaders = {f"/{key.split('/')[1]}/cloudcasts/" for key in changes.uploads}
    unchanged = [path for path in walks if path.endswith("/cloudcasts/")
                 and path not in uploaders]
    assert unchanged and all(walks[path] == 1 for path in unchanged)  # one page each
    added = len(refreshed.users) + len(refreshed.cloudcasts) - len(old)
    assert refreshed.stats["details"] == added
    assert refreshed.stats["requests"] < fresh.stats["requests"] / 5


def test_max_age_refetches_only_the_detail_pages_older_than_it(sb, finished):
    store, first = finished
    old = list(first.users["key"][1:4]) + list(first.cloudcasts["key"][:2])
    api = sandbox.roots(sandbox.IN_PROCESS_URL)["api_root"]
    with sqlite3.connect(store) as db:
        db.executemany("UPDATE pages SET fetched_at = '2020-01-01T00:00:00.000Z' WHERE url = ?",
                       [(api + key,) for key in old])
    db.close()
    refreshed = network(sb, store, refresh=True, max_age=timedelta(hours=1))
    details = {path for path, _ in asked(sb) if not path.endswith(("/followers/",
                                                                   "/cloudcasts/"))}
    assert details == set(old) and refreshed.stats["details"] == len(old)
    times = pd.concat([refreshed.users, refreshed.cloudcasts]).set_index("key")["fetched_at"]
    assert (times[old] > pd.Timestamp("2021-01-01", tz="UTC")).all()
    assert_same_crawl(refreshed, first)


def test_refreshes_in_turn_follow_the_world_and_a_plain_rerun_makes_no_request(sb, finished):
    store, _ = finished
    for seed in (1, 2):
        sb.world.advance(uploads=6, follows=12, plays=20, seed=seed)
        refreshed = network(sb, store, refresh=True, max_age=0)
        assert refreshed.stats["refreshes"] == seed
    assert_same_crawl(refreshed, network(sb))
    sb.reset_log()
    again = network(sb, store)  # not a refresh: the store's last refresh, replayed
    assert sb.request_count == 0 and again.stats["refreshes"] == 2
    for name, frame in refreshed.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, obj=name)
    pd.testing.assert_frame_equal(again.edges, refreshed.edges)


async def test_an_interrupted_refresh_resumes_where_it_stopped(sb, finished):
    store, _ = finished
    sb.world.advance(0.02, seed=3)
    sb.faults.latency = 0.002
    run = dict(connections=HOPS, depth=2, details=True, store=store, progress=False,
               refresh=True, max_age=0, concurrency=4)
    task = asyncio.ensure_future(acrawl("spartacus", **run, **options(sb)))
    while sb.request_count < 60 and not task.done():
        await asyncio.sleep(0.002)
    assert not task.done(), "the refresh ended before the interruption"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    before = asked(sb)
    sb.reset_log()
    resumed = await acrawl("spartacus", **run, **options(sb))
    assert resumed.stats["refreshes"] == 1  # the same refresh, not another one
    assert len(set(asked(sb)) & set(before)) <= 4  # at most the requests in flight
    sb.faults.latency = 0
    assert_same_crawl(resumed, network(sb))


def test_what_a_refresh_cannot_see_a_full_rewalk_does(sb, finished):
    store, first = finished
    shows = sb.world.connection_keys("/djnina0/cloudcasts/")  # 132: two pages
    deep = shows[120]
    sb.world.edit("djnina0", deep, {"unpublish": "true"})  # gone, deep in a long list
    gone = sb.world.connection_keys("/spartacus/followers/")[3]
    sb.world.unfollow(gone.strip("/"), "spartacus")  # gone from a list walked to its end
    refreshed = network(sb, store, refresh=True)
    assert gone not in set(refreshed.users["key"])       # seen: the list was walked whole
    assert deep in set(refreshed.cloudcasts["key"])      # not seen: deep in a list
    rewalked = network(sb, store, resume=False)          # --restart
    assert deep not in set(rewalked.cloudcasts["key"])
    assert_same_crawl(rewalked, network(sb))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"refresh": True}, ValueError, "needs store="),
    ({"refresh": True, "store": "missing.sqlite"}, FileNotFoundError, "does not exist"),
    ({"max_age": 60}, ValueError, "max_age applies to a refresh"),
    ({"refresh": True, "resume": False, "store": "x.sqlite"}, ValueError, "resume=False"),
    ({"refresh": True, "max_age": -1, "store": "x.sqlite"}, ValueError, "max_age must be >= 0"),
    ({"refresh": True, "max_age": "1h", "store": "x.sqlite"}, TypeError, "max_age must be"),
    ({"details": "yes"}, TypeError, "details must be True or False"),
])
def test_bad_refresh_arguments_are_refused_before_any_request(sb, tmp_path, monkeypatch,
                                                              kwargs, error, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=match):
        crawl("spartacus", progress=False, **options(sb), **kwargs)
    assert sb.request_count == 0


def test_a_refresh_needs_a_finished_crawl_with_the_same_settings(sb, finished, tmp_path):
    store, _ = finished
    with pytest.raises(StoreMismatchError, match="seeds"):
        crawl("NTSRadio", connections=HOPS, depth=2, store=store, refresh=True,
              progress=False, **options(sb))
    unfinished = tmp_path / "unfinished.sqlite"
    sqlite3.connect(unfinished).close()
    with pytest.raises(StoreError, match="holds no finished crawl to refresh"):
        network(sb, unfinished, refresh=True)
    assert sb.request_count == 0


def test_the_command_line_refreshes(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["crawl", "spartacus", "--sandbox", "--connections", "followers", "--connections",
            "cloudcasts", "--details", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    first = read_crawl(out)
    capsys.readouterr()
    assert main([*args, "--refresh", "--max-age", "3600"]) == 0
    shown = capsys.readouterr()
    assert "refreshing" in shown.err and "refresh 1 of the crawl" in shown.out
    assert "36 requests (0 detail pages)" in shown.out  # the same world: one page per list
    assert_same_crawl(read_crawl(out), first)
    with pytest.raises(SystemExit) as refused:
        main([*args, "--refresh", "--restart"])
    assert refused.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert main([*args[:-3], "--out", str(tmp_path / "new"), "--no-progress",
                 "--refresh"]) == 3
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "new").exists()
