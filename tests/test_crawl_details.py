"""Full rows and where they come from: crawl(details=True) fetches every resource's detail page
once (stored and resumable like every page, the seeds' never twice), each row says when and
from which page it was fetched (``fetched_at``, ``fetched_from``), and a crawl's shows come with
their tidy ``cloudcast_tags`` table."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone

import httpx
import pandas as pd
import pytest

from mixframe import RetryPolicy, acrawl, crawl, frames, read_crawl, sandbox
from mixframe.cli import main
from mixframe.crawler._store import SCHEMA_VERSION

FAST = RetryPolicy(retries=4, backoff=0.001, backoff_max=0.01)
HOPS = [["followers"], ["cloudcasts"]]  # the seed's followers, then their shows
PROFILE = ["follower_count", "city", "created_time"]


def options(app, **extra):
    return {**sandbox.roots(sandbox.IN_PROCESS_URL), "transport": sandbox.transport(app),
            "retries": FAST, **extra}


def network(app, **extra):
    return crawl("spartacus", connections=HOPS, depth=2, progress=False, **options(app),
                 **extra)


def without_times(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="fetched_at")


def stored_pages(store) -> int:
    try:
        with sqlite3.connect(store) as db:
            return db.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.Error:  # not made yet
        return 0


# -- details ------------------------------------------------------------------------------------

def test_details_make_every_row_full_and_their_fields_win(sb):
    bare = network(sb)
    assert bare.users[PROFILE].isna().any(axis=1).sum() == len(bare.users) - 1  # all but the seed
    sb.reset_log()
    full = network(sb, details=True)
    users, shows, world = full.users, full.cloudcasts, sb.world
    assert users[PROFILE].notna().all().all() and len(users) == len(bare.users)
    for row in users.itertuples():
        truth = world.user(row.key.strip("/"))
        assert (row.follower_count, row.city, row.following_count) == (
            truth["follower_count"], truth["city"], truth["following_count"])
    for row in shows.itertuples():  # sections and descriptions come with details only
        truth = world.cloudcast(*row.key.strip("/").split("/"))
        assert (row.section_count, row.description, row.play_count) == (
            len(truth["sections"]), truth["description"], truth["play_count"])
    assert bare.cloudcasts["section_count"].isna().all()
    pd.testing.assert_frame_equal(full.edges, bare.edges)
    # each detail page once, the seed's page (its detail page already) not twice
    asked = Counter((request.path, request.query.get("until")) for request in sb.requests)
    assert max(asked.values()) == 1
    paths = Counter(request.path for request in sb.requests)
    assert paths["/spartacus/"] == 1
    details = [key for key in (*users["key"], *shows["key"]) if paths[key] == 1]
    assert len(details) == len(users) + len(shows) == full.stats["details"]
    assert full.stats["requests"] == full.stats["pages"] == sb.request_count
    assert full.stats["requests"] == bare.stats["requests"] + len(users) + len(shows) - 1


def test_the_rows_are_the_detail_pages_updated_over_the_list_items():
    """A field only the list item has stays; a field both have comes from the detail page."""
    bob = {"key": "/bob/", "type": "user", "username": "bob", "name": "Bob"}
    pages = {
        "/bob/": {**bob, "follower_count": 1},
        "/bob/followers/": {"data": [{"key": "/ann/", "type": "user", "username": "ann",
                                      "name": "Ann (list)", "listed_only": "kept"},
                                     {"key": "/gone/", "type": "user", "username": "gone"}]},
        "/ann/": {"key": "/ann/", "type": "user", "username": "ann", "name": "Ann",
                  "city": "Lyon", "follower_count": 7},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path in pages:
            return httpx.Response(200, json=pages[request.url.path])
        return httpx.Response(404, json={"error": {"type": "NotFoundException",
                                                   "message": "gone"}})

    result = crawl("bob", connections=["followers"], details=True, progress=False,
                   api_root="http://api.test", retries=FAST,
                   transport=httpx.MockTransport(answer))
    ann = result.users.set_index("key").loc["/ann/"]
    assert (ann["name"], ann["city"], ann["follower_count"], ann["listed_only"]) == (
        "Ann", "Lyon", 7, "kept")
    assert ann["fetched_from"] == "http://api.test/ann/"
    gone = result.users.set_index("key").loc["/gone/"]  # its detail failed: the list's row
    assert gone["username"] == "gone" and gone["fetched_from"].startswith(
        "http://api.test/bob/followers/")
    assert list(result.failures["url"]) == ["http://api.test/gone/"]


def test_with_max_items_only_the_resources_kept_get_details(sb):
    result = crawl("NTSRadio", connections=["followers", "cloudcasts"], max_items=30,
                   details=True, progress=False, **options(sb))
    kept = set().union(*(set(frame["key"]) for frame in result.tables.values()))
    assert len(kept) == 30 and result.stats["stopped_at_max_items"]
    details = {request.path for request in sb.requests if request.path in kept}
    assert details == kept and result.stats["details"] == 30


def test_only_resources_with_a_detail_page_get_one(sb):
    result = crawl("spartacus", connections=["comments", "feed", "followers"], details=True,
                   progress=False, **options(sb))
    assert len(result.comments) and len(result.feed) and len(result.failures) == 0
    asked = {request.path for request in sb.requests}
    assert not asked & (set(result.comments["key"]) | set(result.feed["key"]))
    assert set(result.users["key"]) <= asked


async def test_an_interrupted_detail_crawl_resumes_losing_and_refetching_nothing(tmp_path):
    app = sandbox.app(seed=0, latency=0.002)
    store = tmp_path / "crawl.sqlite"
    run = dict(connections=HOPS, depth=2, details=True, store=store, progress=False,
               concurrency=4)
    lists = 37  # the seed, its followers and their 35 lists of shows: then the details
    task = asyncio.ensure_future(acrawl("spartacus", **run, **options(app)))
    while stored_pages(store) < lists + 60 and not task.done():
        await asyncio.sleep(0.002)
    assert not task.done(), "the crawl ended before the interruption"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    asked_before = Counter((r.path, r.query.get("until")) for r in app.requests)
    stored = stored_pages(store)
    app.reset_log()
    resumed = await acrawl("spartacus", **run, **options(app))
    asked_after = Counter((r.path, r.query.get("until")) for r in app.requests)
    assert resumed.stats["pages_from_store"] >= stored
    assert len(set(asked_after) & set(asked_before)) <= 4  # at most those in flight
    assert resumed.stats["requests"] == resumed.stats["pages"]
    whole = crawl("spartacus", connections=HOPS, depth=2, details=True, progress=False,
                  **options(sandbox.app(seed=0)))
    for name, frame in whole.tables.items():
        pd.testing.assert_frame_equal(without_times(resumed.tables[name]),
                                      without_times(frame), obj=name)
    assert stored + resumed.stats["pages"] == whole.stats["pages"]  # stored pages: never again


def test_a_killed_detail_crawl_process_resumes_fetching_only_what_is_not_stored(tmp_path):
    out = tmp_path / "out"
    store = out / "crawl.sqlite"
    with sandbox.serve(seed=0, latency=0.003) as url:
        command = [sys.executable, "-m", "mixframe", "crawl", "spartacus", "--api-root",
                   sandbox.roots(url)["api_root"], "--connections", "followers",
                   "--connections", "cloudcasts", "--details", "--out", str(out),
                   "--no-progress", "--concurrency", "2"]
        crawler = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while stored_pages(store) < 120 and crawler.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        crawler.send_signal(signal.SIGKILL)
        crawler.wait()
        stored = stored_pages(store)
        assert 37 < stored < 428, "killed during the details"
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    resumed = read_crawl(out)
    assert resumed.stats["requests"] == 428 - stored  # every page stored once, in all
    assert resumed.users[PROFILE].notna().all().all()


def test_frames_of_a_detailed_crawl_still_load_through_the_accessor(sb):
    users = network(sb, details=True).users
    with sandbox.client(sb) as client:
        loaded = users.head(3).mixcloud.load(client=client)
    assert list(loaded["key"]) == list(users["key"].head(3))
    assert loaded["follower_count"].tolist() == users["follower_count"].head(3).tolist()


def test_the_command_line_fetches_details_and_says_what_it_did(tmp_path, capsys):
    status = main(["crawl", "spartacus", "--sandbox", "--connections", "followers",
                   "--connections", "cloudcasts", "--details", "--out", str(tmp_path / "out"),
                   "--no-progress"])
    shown = capsys.readouterr().out
    assert status == 0
    assert "crawled spartacus: followers (hop 1), then cloudcasts (hop 2), with details" \
        in shown
    assert "users                36 rows" in shown and "cloudcast_tags" in shown
    assert "428 requests (391 detail pages)" in shown
    assert read_crawl(tmp_path / "out").users[PROFILE].notna().all().all()


# -- provenance ----------------------------------------------------------------------------------

def test_every_resource_row_says_when_and_from_which_page(sb):
    before = pd.Timestamp.now(tz="UTC").floor("ms")
    bare = crawl("spartacus", connections=HOPS, depth=2, progress=False,
                 access_token=sandbox.TOKEN, **options(sb))
    full = network(sb, details=True)
    after = pd.Timestamp.now(tz="UTC")
    for result in (bare, full):
        for name, frame in result.tables.items():
            assert str(frame["fetched_at"].dtype) == "datetime64[us, UTC]", name
            assert str(frame["fetched_from"].dtype) == "string", name
            columns = list(frame.columns)
            schema = list(frames.schema(name.rstrip("s") if name != "categories"
                                        else "category"))
            assert columns[len(schema):len(schema) + 2] == ["fetched_at", "fetched_from"]
        for frame in (result.users, result.cloudcasts):
            assert frame["fetched_at"].between(before, after).all()
            assert frame["fetched_from"].notna().all()
            assert not frame["fetched_from"].str.contains("access_token").any()
    api = sandbox.roots(sandbox.IN_PROCESS_URL)["api_root"]
    shows = bare.cloudcasts   # without details: the list page each show was first met on
    assert shows["fetched_from"].str.startswith(api).all()
    assert all(page.startswith(f"{api}{user}cloudcasts/?limit=100") for page, user in
               zip(shows["fetched_from"], shows["user_key"]))
    assert shows["fetched_from"].str.contains("until=").any()  # second pages of long lists
    assert (full.cloudcasts["fetched_from"] == api + full.cloudcasts["key"]).all()
    assert bare.users.loc[0, "fetched_from"] == f"{api}/spartacus/"


def test_fetch_times_are_the_stored_pages_and_survive_a_resume(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    first = network(sb, details=True, store=store)
    again = network(sb, details=True, store=store)
    assert again.stats["requests"] == 0
    pd.testing.assert_frame_equal(again.users, first.users)
    with sqlite3.connect(store) as db:
        stamps = dict(db.execute("SELECT url, fetched_at FROM pages"))
    for row in first.users.itertuples():
        assert row.fetched_at == pd.Timestamp(stamps[row.fetched_from])


def test_a_store_of_the_previous_version_is_upgraded_and_stays_readable(sb, tmp_path):
    """Stores of schema 1 have no fetch times: their pages get the store file's last
    modification time (the latest they can have been fetched); nothing is fetched again."""
    store = tmp_path / "crawl.sqlite"
    first = network(sb, store=store)
    with sqlite3.connect(store) as db:   # back to what schema 1 wrote
        db.execute("DROP TRIGGER stamp_pages")
        db.execute("ALTER TABLE pages DROP COLUMN fetched_at")
        db.execute("UPDATE meta SET value = '1' WHERE name = 'schema'")
    db.close()
    assert not os.path.exists(f"{store}-wal")
    written = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc).timestamp()
    os.utime(store, (written, written))
    again = network(sb, store=store)
    assert again.stats["requests"] == 0
    assert (again.users["fetched_at"] == pd.Timestamp("2025-03-04 05:06:07", tz="UTC")).all()
    pd.testing.assert_frame_equal(without_times(again.users), without_times(first.users))
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() == (
            str(SCHEMA_VERSION),)
        columns = [row[1] for row in db.execute("PRAGMA table_info(pages)")]
    db.close()
    assert columns[-1] == "fetched_at"
    sb.reset_log()
    more = crawl("spartacus", connections=HOPS, depth=2, details=True, store=store,
                 progress=False, **options(sb))   # new pages get their own time
    times = more.users.set_index("key")["fetched_at"]
    assert times["/spartacus/"] == pd.Timestamp("2025-03-04 05:06:07", tz="UTC")  # kept
    assert (times.drop("/spartacus/") > pd.Timestamp("2025-03-05", tz="UTC")).all()


# -- the tidy tags table -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_crawl_has_a_tidy_cloudcast_tags_table_that_round_trips(sb, tmp_path, fmt):
    result = network(sb, details=True)
    shows, tags = result.cloudcasts, result.cloudcast_tags
    assert list(tags.columns) == ["cloudcast_key", "position", "tag_key", "tag_name"]
    exploded = shows[["key", "tags"]].explode("tags").dropna()
    assert list(zip(tags["cloudcast_key"], tags["tag_name"])) == list(
        zip(exploded["key"], exploded["tags"]))
    assert tags["tag_key"].str.startswith("/").all()
    truth = sb.world.cloudcast(*shows.loc[0, "key"].strip("/").split("/"))["tags"]
    assert tags[tags["cloudcast_key"] == shows.loc[0, "key"]]["tag_key"].tolist() == [
        tag["key"] for tag in truth]
    assert "cloudcast_tags=" in repr(result)
    folder = getattr(result, f"to_{fmt}")(tmp_path / "out")
    assert (folder / f"cloudcast_tags.{fmt}").exists()
    assert "cloudcast_tags" in json.loads((folder / "manifest.json").read_text())["tables"]
    loaded = read_crawl(folder)
    pd.testing.assert_frame_equal(loaded.cloudcast_tags, tags)
    pd.testing.assert_frame_equal(loaded.cloudcasts, shows)
    assert loaded.cloudcasts["tags"].explode().dropna().tolist() == tags["tag_name"].tolist()
    if fmt == "csv":   # a JSON list in the file, read back as a list by frames.read_csv too
        text = (folder / "cloudcasts.csv").read_text()
        assert json.dumps(shows.loc[0, "tags"], ensure_ascii=False).replace('"', '""') in text
        back = frames.read_csv(folder / "cloudcasts.csv", "cloudcast")
        pd.testing.assert_series_equal(back["tags"], shows["tags"])
