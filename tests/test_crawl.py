"""The crawler against the sandbox's ground truth: exact keys and edges, resume after
interruption (a killed process included), faults, round trips, the command line, bad input."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from conftest import ground_truth
from mixframe import RetryPolicy, sandbox
from mixframe import acrawl, crawl, read_crawl

FAST = RetryPolicy(retries=8, backoff=0.001, backoff_max=0.01)


def options(app, **extra):
    return {**sandbox.roots(), "transport": sandbox.transport(app), "retries": FAST, **extra}


def truth(world, seeds, per_type, depth):
    """Keys and edges a crawl following `per_type` at every hop must find."""
    keys, edges, _ = ground_truth(world, seeds, [per_type] * depth)
    return keys, edges


def crawled(result):
    keys = set()
    for frame in result.tables.values():
        keys |= set(frame["key"])
    edges = set(result.edges.itertuples(index=False, name=None))
    return keys, edges


@pytest.mark.parametrize("depth, per_type", [
    (0, {"user": ("followers",)}),
    (1, {"user": ("followers", "cloudcasts")}),
    (2, {"user": ("following",), "cloudcast": ("comments",)}),
])
def test_crawl_finds_exactly_the_ground_truth(sb, depth, per_type):
    seeds = ["/spartacus/", "/NTSRadio/"]
    result = crawl(["spartacus", "https://www.mixcloud.com/NTSRadio/"], connections=per_type,
                   depth=depth, progress=False, **options(sb))
    assert crawled(result) == truth(sb.world, seeds, per_type, depth)
    assert len(result.failures) == 0
    for frame in result.tables.values():
        assert frame["key"].is_unique
    assert result.stats["requests"] == sb.request_count == result.stats["pages"]


def test_each_url_is_fetched_once_and_pages_are_as_large_as_allowed(sb):
    crawl(["NTSRadio", "spartacus"], connections=["cloudcasts", "followers"], progress=False,
          **options(sb))
    urls = [(r.path, tuple(sorted(r.query.items()))) for r in sb.requests]
    assert len(urls) == len(set(urls))
    assert all(r.query.get("limit") == "100" for r in sb.requests if r.path.count("/") > 2)
    pages = [r for r in sb.requests if r.path == "/NTSRadio/cloudcasts/"]
    assert len(pages) == 2  # 142 shows: 100 + 42


def test_seed_tables_have_full_details_and_typed_columns(sb):
    result = crawl("spartacus", connections=["cloudcasts"], progress=False, **options(sb))
    users, shows = result.users, result.cloudcasts
    assert list(users.columns[:1]) == ["key"] and users.loc[0, "key"] == "/spartacus/"
    assert users.loc[0, "follower_count"] == sb.world.user("spartacus")["follower_count"]
    assert str(users["follower_count"].dtype) == "Int64"
    assert str(shows["created_time"].dtype).startswith("datetime64") and \
        str(shows["created_time"].dt.tz) == "UTC"
    assert str(shows["user_key"].dtype) == "string"
    assert result.comments.empty and "key" in result.comments.columns


def test_max_items_bounds_the_resources_stored(sb):
    result = crawl("NTSRadio", connections=["cloudcasts", "followers"], max_items=30,
                   progress=False, **options(sb))
    assert sum(len(frame) for frame in result.tables.values()) == 30
    targets = set(result.edges["target_key"])
    stored = set().union(*(set(frame["key"]) for frame in result.tables.values()))
    assert targets <= stored


@pytest.mark.parametrize("fault", [{"error_rate": 0.2}, {"drop_rate": 0.1},
                                   {"truncate_rate": 0.1}, {"rate_limit": 3}])
def test_faults_lose_and_duplicate_nothing(fault):
    app = sandbox.app(seed=5, **fault)
    per_type = {"user": ("followers", "cloudcasts")}
    result = crawl(["spartacus", "NTSRadio"], connections=per_type, progress=False,
                   **options(app))
    assert crawled(result) == truth(app.world, ["/spartacus/", "/NTSRadio/"], per_type, 1)
    assert len(result.failures) == 0
    assert result.stats["retries"] + result.stats["rate_limit_waits"] > 0


def test_a_url_that_keeps_failing_is_reported_and_the_crawl_goes_on(sb):
    sb.faults.error_rate = 0.0
    result = crawl(["spartacus", "no-such-user"], connections=["followers"], progress=False,
                   **options(sb))
    assert list(result.failures["status"]) == [404]
    assert "no-such-user" in result.failures.loc[0, "url"]
    assert "NotFound" in result.failures.loc[0, "error"]
    assert len(result.users) == 1 + len(sb.world.connection_keys("/spartacus/followers/"))


def test_rerunning_a_finished_crawl_makes_no_request(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    first = crawl("spartacus", connections=["followers", "cloudcasts"], store=store,
                  progress=False, **options(sb))
    count = sb.request_count
    again = crawl("spartacus", connections=["followers", "cloudcasts"], store=store,
                  progress=False, **options(sb))
    assert sb.request_count == count and again.stats["requests"] == 0
    assert again.stats["pages_from_store"] == first.stats["pages"]
    assert crawled(again) == crawled(first)
    pd.testing.assert_frame_equal(again.users, first.users)


async def test_an_interrupted_crawl_resumes_without_refetching(tmp_path):
    app = sandbox.app(seed=0)
    store = tmp_path / "crawl.sqlite"
    per_type = {"user": ("followers", "cloudcasts")}
    task = None

    async def interrupt_after(pages):
        while sum(1 for r in app.requests if r.status == 200) < pages:
            await __import__("asyncio").sleep(0)
        task.cancel()

    import asyncio
    task = asyncio.ensure_future(acrawl(["NTSRadio", "spartacus"], connections=per_type,
                                        depth=2, store=store, progress=False, concurrency=2,
                                        **options(app)))
    watcher = asyncio.ensure_future(interrupt_after(15))
    with pytest.raises(asyncio.CancelledError):
        await task
    await watcher
    fetched = {r.path + json.dumps(r.query, sort_keys=True) for r in app.requests}
    stored = sqlite3.connect(store).execute("SELECT count(*) FROM pages").fetchone()[0]
    assert stored >= 15
    app.reset_log()
    result = await acrawl(["NTSRadio", "spartacus"], connections=per_type, depth=2,
                          store=store, progress=False, **options(app))
    refetched = {r.path + json.dumps(r.query, sort_keys=True) for r in app.requests} & fetched
    assert len(refetched) <= 2  # at most the pages in flight at the interruption
    assert result.stats["pages_from_store"] == stored
    assert crawled(result) == truth(app.world, ["/NTSRadio/", "/spartacus/"], per_type, 2)


def test_a_killed_crawl_process_resumes_with_nothing_lost(tmp_path):
    store, ready = tmp_path / "crawl.sqlite", tmp_path / "url"
    server = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from mixframe import sandbox
            with sandbox.serve(seed=0, latency=0.02) as url:
                open({str(ready)!r}, "w").write(url)
                time.sleep(600)
            """)])
    try:
        for _ in range(300):
            if ready.exists() and ready.read_text():
                break
            time.sleep(0.05)
        url = ready.read_text()
        script = textwrap.dedent(f"""
            from mixframe import sandbox
            from mixframe import crawl
            result = crawl(["NTSRadio", "spartacus"], connections=["followers", "cloudcasts"],
                           depth=2, store={str(store)!r}, progress=False, concurrency=4,
                           **sandbox.roots({url!r}))
            print(result.stats["pages_from_store"], result.stats["requests"])
            """)
        def stored_pages():
            try:
                with sqlite3.connect(store) as db:
                    return db.execute("SELECT count(*) FROM pages").fetchone()[0]
            except sqlite3.Error:  # not created yet
                return 0

        for kill_after in (5, 25):  # pages stored before the kill
            crawler = subprocess.Popen([sys.executable, "-c", script],
                                       stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while stored_pages() < kill_after and time.monotonic() < deadline \
                    and crawler.poll() is None:
                time.sleep(0.02)
            crawler.send_signal(signal.SIGKILL)
            crawler.wait()
        assert stored_pages() >= 25
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        from_store, requests = map(int, done.stdout.split())
        assert from_store > 0
        result = crawl(["NTSRadio", "spartacus"], connections=["followers", "cloudcasts"],
                       depth=2, store=store, progress=False, **sandbox.roots(url))
        assert result.stats["requests"] == 0
        world = sandbox.World(seed=0)
        per_type = {"user": ("followers", "cloudcasts"), "cloudcast": ()}
        assert crawled(result) == truth(world, ["/NTSRadio/", "/spartacus/"], per_type, 2)
    finally:
        server.kill()
        server.wait()


def test_store_of_another_crawl_is_refused(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    crawl("spartacus", connections=["followers"], store=store, progress=False, **options(sb))
    with pytest.raises(ValueError, match="holds another crawl"):
        crawl("NTSRadio", connections=["followers"], store=store, progress=False, **options(sb))
    restarted = crawl("NTSRadio", connections=["followers"], store=store, resume=False,
                      progress=False, **options(sb))
    assert restarted.users.loc[0, "key"] == "/NTSRadio/"
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("hello " * 1000)
    with pytest.raises(ValueError, match="not a mixframe crawl store"):
        crawl("spartacus", store=not_a_store, progress=False, **options(sb))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"connections": ["followerz"]}, ValueError, "unknown connection 'followerz'"),
    ({"connections": {"user": ["similar"]}}, ValueError, "user has no connection 'similar'"),
    ({"connections": {"band": ["x"]}}, ValueError, "unknown resource type 'band'"),
    ({"depth": -1}, ValueError, "depth must be an int >= 0"),
    ({"page_size": 500}, ValueError, "page_size must be at most 100"),
    ({"max_items": 0}, ValueError, "max_items"),
    ({"concurrency": 0}, ValueError, "concurrency"),
    ({"store": "/nonexistent/dir/crawl.sqlite"}, FileNotFoundError, "does not exist"),
])
def test_bad_input_is_refused_before_any_request(sb, kwargs, error, match):
    with pytest.raises(error, match=match):
        crawl("spartacus", progress=False, **{**options(sb), **kwargs})
    assert sb.request_count == 0


def test_bad_seeds(sb):
    with pytest.raises(ValueError, match="seeds must name at least one"):
        crawl([], progress=False, **options(sb))
    with pytest.raises(ValueError, match="a seed must be"):
        crawl([None], progress=False, **options(sb))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_through_files_keeps_dtypes(sb, tmp_path, fmt):
    result = crawl(["spartacus"], connections=["followers", "cloudcasts", "comments", "feed"],
                   progress=False, **options(sb))
    folder = getattr(result, f"to_{fmt}")(tmp_path / "out")
    loaded = read_crawl(folder)
    assert set(loaded.tables) == set(result.tables)
    for name, frame in {**result.tables, **result.side_tables}.items():
        pd.testing.assert_frame_equal(getattr(loaded, name), frame, check_dtype=True,
                                      check_like=False, obj=name)
    assert len(result.cloudcast_tags) and result.cloudcasts["tags"].list.len().sum() == len(
        result.cloudcast_tags)
    pd.testing.assert_frame_equal(loaded.edges, result.edges)
    assert loaded.stats == result.stats


def test_nothing_secret_is_stored_or_exported(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    result = crawl("spartacus", connections=["followers", "feed"], store=store,
                   progress=False, access_token=sandbox.TOKEN, **options(sb))
    folder = result.to_parquet(tmp_path / "out")
    result.to_csv(tmp_path / "csv")
    for path in [store, *folder.iterdir(), *(tmp_path / "csv").iterdir()]:
        assert sandbox.TOKEN.encode() not in path.read_bytes(), path
    for frame in result.tables.values():
        assert sandbox.TOKEN not in json.dumps(frame.attrs, default=str)


def test_progress_bar_shows_pages_and_rate_limit_waits(capsys):
    app = sandbox.app(seed=0, rate_limit=2)
    crawl("NTSRadio", connections=["cloudcasts", "followers"], progress=True, **options(app))
    err = capsys.readouterr().err
    assert "crawl:" in err and "pages" in err and "items=" in err and "/s)" in err
    assert "rate limited by Mixcloud" in err and "waiting" in err
    assert sandbox.TOKEN not in err


def test_command_line_end_to_end(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "mixframe", "crawl", "spartacus", "--sandbox",
                          "--connections", "followers,cloudcasts", "--out", str(out),
                          "--format", "csv", "--no-progress"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "users" in run.stdout and "requests" in run.stdout
    assert (out / "users.csv").exists() and (out / "edges.csv").exists()
    loaded = read_crawl(out)
    assert "/spartacus/" in set(loaded.users["key"])
    again = subprocess.run([sys.executable, "-m", "mixframe", "crawl", "spartacus", "--sandbox",
                            "--connections", "followers,cloudcasts", "--out", str(out),
                            "--format", "csv", "--no-progress"],
                           capture_output=True, text=True, timeout=120)
    assert "0 requests" in again.stdout


@pytest.mark.parametrize("args, code, message", [
    (["--connections", "nope"], 2, "unknown connection 'nope'"),
    (["--depth", "-1"], 2, "expected a number >= 0"),
    (["--format", "xlsx"], 2, "invalid choice"),
    (["--token-env", "MIXFRAME_NO_SUCH_VAR"], 2, "is not set"),
    (["--out", "/proc/forbidden"], 3, "cannot write"),
])
def test_command_line_bad_arguments(tmp_path, args, code, message):
    base = ["--out", str(tmp_path / "out")] if "--out" not in args else []
    run = subprocess.run([sys.executable, "-m", "mixframe", "crawl", "spartacus", "--sandbox",
                          "--no-progress", *base, *args], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == code and message in run.stderr


def test_connections_per_hop(sb):
    result = crawl("NTSRadio", connections=[["followers"], ["cloudcasts"]], depth=2,
                   progress=False, **options(sb))
    world = sb.world
    followers = world.connection_keys("/NTSRadio/followers/")
    expected_edges = {("/NTSRadio/", "followers", key, i) for i, key in enumerate(followers)}
    for follower in followers:
        expected_edges |= {(follower, "cloudcasts", key, i) for i, key in
                           enumerate(world.connection_keys(f"{follower}cloudcasts/"))}
    assert set(result.edges.itertuples(index=False, name=None)) == expected_edges
    with pytest.raises(ValueError, match="gives 2 hops but depth is 1"):
        crawl("NTSRadio", connections=[["followers"], ["cloudcasts"]], progress=False,
              **options(sb))


def test_tables_built_in_chunks_equal_tables_built_at_once(sb, tmp_path, monkeypatch):
    import mixframe.crawler
    store = tmp_path / "crawl.sqlite"
    whole = crawl(["NTSRadio", "spartacus"], connections=["cloudcasts", "followers", "feed"],
                  store=store, progress=False, **options(sb))
    monkeypatch.setattr(mixframe.crawler._tables, "CHUNK", 7)
    chunked = crawl(["NTSRadio", "spartacus"], connections=["cloudcasts", "followers", "feed"],
                    store=store, progress=False, **options(sb))
    assert chunked.stats["requests"] == 0
    assert set(chunked.tables) == set(whole.tables)
    for name, frame in whole.tables.items():
        pd.testing.assert_frame_equal(chunked.tables[name], frame, obj=name)
    pd.testing.assert_frame_equal(chunked.edges, whole.edges)


def test_the_frontier_goes_to_the_store_as_the_crawl_runs(sb, tmp_path, monkeypatch):
    import mixframe.crawler
    monkeypatch.setattr(mixframe.crawler._walk, "SPILL", 3)  # spill mid-level, not only at its end
    store = tmp_path / "crawl.sqlite"
    per_type = {"user": ("following",), "cloudcast": ("comments",)}
    result = crawl(["spartacus", "NTSRadio"], connections=per_type, depth=2, store=store,
                   progress=False, **options(sb))
    keys, edges, walks = ground_truth(sb.world, ["/spartacus/", "/NTSRadio/"], [per_type] * 2)
    assert crawled(result) == (keys, edges)
    with sqlite3.connect(store) as db:
        per_level = dict(db.execute("SELECT level, count(*) FROM frontier GROUP BY level"))
        urls = [url for (url,) in db.execute("SELECT url FROM frontier")]
    assert set(per_level) == {1, 2} and sum(per_level.values()) == walks
    assert len(set(urls)) == len(urls) and all("limit=100" in url for url in urls)
