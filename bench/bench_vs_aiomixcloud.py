"""mixframe against aiomixcloud 1.0.6, side by side on one sandbox served on loopback.

aiomixcloud is installed into the bench environment only (bench/requirements.txt); it is never
a dependency of mixframe. Both clients talk real HTTP to the same sandbox, in one run:

* Workload A, "a user's network": the user's followers (all pages), then each follower's
  cloudcasts (all pages). aiomixcloud as its documentation shows (``followers()``, ``next()``,
  each follower's ``load()`` and ``cloudcasts()``), and with ``asyncio.gather`` over the
  followers; mixframe with ``crawl()`` defaults. Requests (counted by the sandbox), wall time
  at 0 and 50 ms injected latency, items collected.
* Workload B, "rate limited": the same under a sandbox rate limit; wall time against the
  minimum the rate allows, rate-limit answers received, items lost (error bodies count as lost).
* Workload C, "overhead": 2 000 detail GETs at 0 ms latency; client CPU time per request.

Run: ``python bench/bench_vs_aiomixcloud.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

from mixframe import Mixcloud, acrawl, sandbox

PAGE = 100  # mixframe's page size; aiomixcloud's documented usage gets the API default, 20


def pages(count: int, limit: int) -> int:
    """Requests to walk a list of `count` items by `limit`: a full last page still links on."""
    return max(1, math.ceil(count / limit)) + (1 if count and count % limit == 0 else 0)


def network(world, seed: str) -> tuple[set, set]:
    followers = world.connection_keys(f"{seed}followers/")
    shows = {key for user in followers for key in world.connection_keys(f"{user}cloudcasts/")}
    return set(followers), shows


def minimum_requests(world, seed: str, limit: int = PAGE) -> int:
    followers = world.connection_keys(f"{seed}followers/")
    return 1 + pages(len(followers), limit) + sum(
        pages(len(world.connection_keys(f"{user}cloudcasts/")), limit) for user in followers)


async def aiomixcloud_documented(url: str, seed: str, gather: bool = False) -> tuple[set, set]:
    from aiomixcloud import Mixcloud as AioMixcloud

    followers_seen, shows = set(), set()

    async def shows_of(follower) -> None:
        await follower.load()
        page = await follower.cloudcasts()
        while page is not None and "data" in page.data:  # an error body has no "data"
            shows.update(item["key"] for item in page)
            page = await page.next()

    async with AioMixcloud(url) as mixcloud:
        user = await mixcloud.get(seed.strip("/"))
        if "error" in user.data:  # rate limited: an error body instead of the user
            return followers_seen, shows
        page = await user.followers()
        everyone = []
        while page is not None and "data" in page.data:
            everyone += list(page)
            page = await page.next()
        followers_seen.update(follower["key"] for follower in everyone)
        if gather:
            await asyncio.gather(*(shows_of(follower) for follower in everyone),
                                 return_exceptions=True)
        else:
            for follower in everyone:
                try:
                    await shows_of(follower)
                except Exception:  # noqa: BLE001 - a failed list is a lost list
                    pass
    return followers_seen, shows


async def mixframe_crawl(url: str, seed: str, pacing: bool = True) -> tuple[set, set]:
    result = await acrawl(seed, connections=[["followers"], ["cloudcasts"]], depth=2,
                          progress=False, pacing=pacing, **sandbox.roots(url))
    edges = result.edges
    return (set(edges[edges.connection == "followers"].target_key),
            set(edges[edges.connection == "cloudcasts"].target_key))


CLIENTS = {
    "aiomixcloud (documented)": lambda url, seed: aiomixcloud_documented(url, seed),
    "aiomixcloud + gather": lambda url, seed: aiomixcloud_documented(url, seed, gather=True),
    "mixframe crawl()": mixframe_crawl,
    # how mixframe met the rate limit before it paced itself: waiting out each refusal only
    "mixframe, pacing=False": lambda url, seed: mixframe_crawl(url, seed, pacing=False),
}


def run(app, url: str, seed: str, name: str) -> dict:
    truth = network(app.world, seed)
    app.faults.rate_limit = app.faults.rate_limit  # a full allowance for every client
    app.reset_log()
    started = time.perf_counter()
    followers, shows = asyncio.run(CLIENTS[name](url, seed))
    elapsed = time.perf_counter() - started
    limited = sum(1 for request in app.requests if request.fault == "rate_limit")
    expected = len(truth[0]) + len(truth[1])
    collected = len(followers & truth[0]) + len(shows & truth[1])
    return {"requests": app.request_count, "seconds": elapsed, "items": collected,
            "lost": expected - collected, "rate_limited": limited}


def table(title: str, rows: dict[str, dict], columns: list[str], reference: str) -> None:
    print(f"\n{title}")
    print(f"  {'client':<26}" + "".join(f"{column:>14}" for column in columns)
          + f"{'time vs mixframe':>18}")
    for name, row in rows.items():
        ratio = row["seconds"] / rows[reference]["seconds"]
        cells = "".join(f"{row[c]:>14.3f}" if isinstance(row[c], float) else f"{row[c]:>14}"
                        for c in columns)
        print(f"  {name:<26}{cells}{ratio:>17.1f}x")


def overhead(app, url: str, count: int) -> dict[str, float]:
    keys = [f"/{name}/" for name in app.world.usernames()]
    keys = (keys * (count // len(keys) + 1))[:count]

    async def with_mixframe() -> float:
        async with Mixcloud(**sandbox.roots(url)) as client:
            await client.get(keys[0])  # connection set up outside the measure
            cpu = time.thread_time()
            for key in keys:
                await client.get(key)
            return time.thread_time() - cpu

    async def with_aiomixcloud() -> float:
        from aiomixcloud import Mixcloud as AioMixcloud

        async with AioMixcloud(url) as client:
            await client.get(keys[0].strip("/") + "/")
            cpu = time.thread_time()
            for key in keys:
                await client.get(key.strip("/") + "/")
            return time.thread_time() - cpu

    return {"aiomixcloud": asyncio.run(with_aiomixcloud()) / count * 1e6,
            "mixframe": asyncio.run(with_mixframe()) / count * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--rate", type=float, default=20.0, help="rate limit of workload B")
    args = parser.parse_args()
    app = sandbox.app(seed=0, users=200 if args.quick else 1000)
    world = app.world
    seed = max((f"/{name}/" for name in world.usernames()),
               key=lambda key: len(world.connection_keys(f"{key}followers/")))
    followers, shows = network(world, seed)
    with sandbox.serve(app) as url:
        print(f"sandbox {url}, seed user {seed}: {len(followers)} followers, {len(shows)} "
              f"shows; minimum requests {minimum_requests(world, seed)} at limit {PAGE}, "
              f"{minimum_requests(world, seed, 20)} at the API's default 20")
        results = {}
        for latency in (0.0, 0.05):
            app.faults.latency = latency
            rows = {name: run(app, url, seed, name) for name in CLIENTS}
            results[latency] = rows
            table(f"Workload A, latency {latency * 1000:.0f} ms", rows,
                  ["requests", "seconds", "items", "lost"], "mixframe crawl()")
        app.faults.latency = 0.0
        app.faults.rate_limit = args.rate
        rows = {name: run(app, url, seed, name) for name in CLIENTS}
        app.faults.rate_limit = None
        table(f"Workload B, rate limit {args.rate:.0f} requests/s", rows,
              ["requests", "seconds", "rate_limited", "lost"], "mixframe crawl()")
        floor = minimum_requests(world, seed) / args.rate
        print(f"  minimum time at {args.rate:.0f} requests/s for mixframe's minimum "
              f"requests: {floor:.2f} s; mixframe took "
              f"{rows['mixframe crawl()']['seconds'] / floor:.2f}x that "
              f"({rows['mixframe, pacing=False']['seconds'] / floor:.2f}x with pacing=False)")
        for name in ("mixframe crawl()", "mixframe, pacing=False"):
            row = rows[name]
            print(f"  {name}: {row['rate_limited']} of {row['requests']} requests refused "
                  f"({row['rate_limited'] / row['requests']:.1%})")
        count = 400 if args.quick else 2000
        cpu = overhead(app, url, count)
        print(f"\nWorkload C, {count} detail GETs at 0 ms: client CPU per request")
        for name, micros in cpu.items():
            print(f"  {name:<26}{micros:>10.0f} us   ({micros / cpu['mixframe']:.2f}x mixframe)")
    slow = results[0.05]
    print("\nTargets")
    checks = [
        ("mixframe requests <= minimum",
         slow["mixframe crawl()"]["requests"] <= minimum_requests(world, seed)),
        ("items equal across clients at 50 ms",
         len({row["items"] for row in slow.values()}) == 1),
        (">= 10x faster than documented aiomixcloud at 50 ms",
         slow["aiomixcloud (documented)"]["seconds"]
         >= 10 * slow["mixframe crawl()"]["seconds"]),
        ("faster than aiomixcloud + gather at 50 ms",
         slow["aiomixcloud + gather"]["seconds"] > slow["mixframe crawl()"]["seconds"]),
        ("nothing lost under the rate limit", rows["mixframe crawl()"]["lost"] == 0),
        ("within 5 % of the minimum time under the rate limit",
         rows["mixframe crawl()"]["seconds"] <= 1.05 * floor),
        ("at most 2 % of requests refused under the rate limit",
         rows["mixframe crawl()"]["rate_limited"] <= 0.02 * rows["mixframe crawl()"]["requests"]),
    ]
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")


if __name__ == "__main__":
    main()
