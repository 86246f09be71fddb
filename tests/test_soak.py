"""Soak: long crawls over real loopback HTTP under every fault at once, and a crawl process
killed with SIGKILL again and again, must still end with exactly the sandbox's ground truth.

Marked ``soak`` (CI runs it; ``pytest -m 'not soak'`` skips it locally). The whole file takes
about a minute or two on a 2-core machine.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from conftest import ground_truth
from mixframe import RetryPolicy, crawl, sandbox

pytestmark = [pytest.mark.soak]

#: Followers of the seeds, then the shows and the followings of those followers.
HOPS = [["followers"], ["cloudcasts", "following"]]
PER_HOP = [{"user": ("followers",)}, {"user": ("cloudcasts", "following")}]
GENEROUS = RetryPolicy(retries=10, backoff=0.001, backoff_max=0.01, rate_limit_retries=30)


def check_exact(result, keys, edges):
    """The crawl found every key and edge of the truth, nothing else, nothing twice."""
    assert len(result.failures) == 0, result.failures.head().to_dict("records")
    found = set()
    for name, frame in result.tables.items():
        assert frame["key"].is_unique, f"duplicate keys in {name}"
        assert found.isdisjoint(frame["key"]), f"keys of {name} also in another table"
        found |= set(frame["key"])
    assert sum(len(frame) for frame in result.tables.values()) == len(keys)
    assert found == keys, (len(found - keys), len(keys - found))
    rows = list(result.edges.itertuples(index=False, name=None))
    assert len(rows) == len(set(rows)) == len(edges)
    assert set(rows) == edges


def request_id(path: str, query) -> tuple:
    """One page's identity: path and query, without the token and ``metadata=1`` (the client
    adds both to every request; the store keeps URLs without them)."""
    items = query.items() if isinstance(query, dict) else query
    return path, frozenset((name, json.dumps(value)) for name, value in items
                           if name not in ("access_token", "metadata"))


def stored_id(url: str) -> tuple:
    parts = urlsplit(url)
    return request_id(unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True)))


def served_pages(requests) -> Counter:
    """Complete 200 answers per page."""
    return Counter(request_id(r.path, r.query) for r in requests
                   if r.status == 200 and r.fault is None)


def seeds_of(world, count):
    """The `count` users with the most followers."""
    names = sorted(world.usernames(), key=lambda name: (-world.user(name)["follower_count"], name))
    return [f"/{name}/" for name in names[:count]]


@contextlib.contextmanager
def periodic_rate_limit(app, *, rate, on, off):
    """Switch the sandbox's rate limit on for `on` seconds every `on + off` seconds."""
    stop = threading.Event()

    def toggle():
        while not stop.wait(off):
            app.faults.rate_limit = rate
            stop.wait(on)
            app.faults.rate_limit = None

    thread = threading.Thread(target=toggle, name="rate-limit-toggle", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        app.faults.rate_limit = None


@pytest.mark.timeout(420)
def test_big_crawl_under_every_fault_ends_with_exactly_the_ground_truth(tmp_path):
    app = sandbox.app(seed=11, users=2600, latency=0.001, jitter=0.001, error_rate=0.10,
                      drop_rate=0.02, truncate_rate=0.01)
    seeds = seeds_of(app.world, 1)
    keys, edges, walks = ground_truth(app.world, seeds, PER_HOP)
    assert len(keys) >= 10_000 and walks >= 4_000  # a world big enough to soak in
    store = tmp_path / "soak.sqlite"
    with sandbox.serve(app) as url, periodic_rate_limit(app, rate=25, on=0.3, off=1.7):
        result = crawl(seeds, connections=HOPS, depth=2, store=store, progress=False,
                       retries=GENEROUS, **sandbox.roots(url))
    check_exact(result, keys, edges)

    requests = list(app.requests)
    assert len(requests) == app.request_count  # the log kept every request
    faults = Counter(r.fault for r in requests)
    for fault in ("error", "drop", "truncate", "rate_limit"):
        assert faults[fault] > 0, faults
    assert faults["error"] >= 0.05 * len(requests)
    assert {r.status for r in requests if r.fault == "error"} <= {500, 502, 503}
    # Every page was answered in full exactly once: no page lost, none fetched twice.
    served = served_pages(requests)
    assert set(served.values()) == {1}
    assert len(served) == result.stats["pages"] >= walks
    assert stored_pages(store) == set(served)
    assert result.stats["retries"] >= faults["error"] + faults["drop"] + faults["truncate"]
    assert result.stats["rate_limit_waits"] == faults["rate_limit"]


CRAWLER = """
import json, sys
from mixframe import RetryPolicy, crawl, sandbox
url, store, seeds, concurrency = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
result = crawl(seeds, connections={hops!r}, depth=2, store=store, progress=False,
               concurrency=concurrency,
               retries=RetryPolicy(retries=10, backoff=0.001, backoff_max=0.01),
               **sandbox.roots(url))
print(json.dumps(result.stats))
"""


def stored_pages(store) -> set:
    try:
        with contextlib.closing(sqlite3.connect(store, timeout=5)) as db:
            return {stored_id(url) for (url,) in db.execute("SELECT url FROM pages")}
    except sqlite3.Error:  # not created yet
        return set()


def stored_count(store) -> int:
    try:
        with contextlib.closing(sqlite3.connect(store, timeout=5)) as db:
            return db.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.timeout(420)
def test_crawl_killed_at_random_points_resumes_to_exactly_the_ground_truth(tmp_path):
    rng = random.Random(20240611)
    concurrency, kills = 4, 4
    app = sandbox.app(seed=3, users=1200, latency=0.002, jitter=0.002, error_rate=0.05,
                      drop_rate=0.01, truncate_rate=0.01)
    seeds = seeds_of(app.world, 2)
    keys, edges, walks = ground_truth(app.world, seeds, PER_HOP)
    assert walks > 400  # pages to kill in the middle of
    store = tmp_path / "killed.sqlite"
    script = CRAWLER.format(hops=HOPS)
    runs = []  # (requests served to the run, pages stored when it was killed)
    with sandbox.serve(app) as url:
        command = [sys.executable, "-c", script, url, str(store), json.dumps(seeds),
                   str(concurrency)]
        for _ in range(kills):
            before = stored_count(store)
            target = before + rng.randint(5, walks // (kills + 1))
            crawler = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            deadline = time.monotonic() + 120
            while stored_count(store) < target and crawler.poll() is None:
                assert time.monotonic() < deadline, "the crawl made no progress"
                time.sleep(0.005)
            assert crawler.poll() is None, (
                "the crawl ended before the kill: " + crawler.stderr.read().decode())
            crawler.send_signal(signal.SIGKILL)
            crawler.wait()
            crawler.stderr.close()
            time.sleep(0.2)  # let the server finish answering the dead process
            runs.append((list(app.requests), stored_pages(store)))
            app.reset_log()
            assert len(runs[-1][1]) >= target
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        stats = json.loads(done.stdout)
        runs.append((list(app.requests), None))
        app.reset_log()
        result = crawl(seeds, connections=HOPS, depth=2, store=store, progress=False,
                       **sandbox.roots(url))
    assert app.request_count == 0 and result.stats["requests"] == 0  # finished for good
    check_exact(result, keys, edges)
    assert stats["failures"] == 0
    assert stats["pages_from_store"] == len(runs[-2][1])

    # No page stored before a kill is requested again by any later run, faulty or not.
    for index, (_, stored_at_kill) in enumerate(runs[:-1]):
        for later, _ in runs[index + 1:]:
            again = {request_id(r.path, r.query) for r in later} & stored_at_kill
            assert not again, f"{len(again)} pages stored before kill {index + 1} refetched"
    # A page is answered in full once per run at most, and once in all, except those in
    # flight at a kill: at most `concurrency` per kill. (A page in flight at one kill may be
    # in flight at a later one too: a resumed run may walk a level's lists in another order.)
    for requests, _ in runs:
        assert set(served_pages(requests).values()) <= {1}
    served = served_pages(r for requests, _ in runs for r in requests)
    assert sum(count - 1 for count in served.values()) <= concurrency * kills
    assert set(served) == stored_pages(store)
