"""Benchmark: the sandbox's own CPU per request, in process.

The crawl benchmark's throughput depends on how much CPU the sandbox spends per page, so any
change to the sandbox is measured here before and after. Requests are made in process (no
socket), one at a time, on a seeded world, cycling through a fixed mix:

* list pages, 100 items each: ``/{u}/followers/``, ``/{u}/cloudcasts/``, ``/{u}/favorites/``
  (date paging), the second page of followers (``until``) and a tag's popular list (offset
  paging);
* detail pages with ``metadata=1``: users and cloudcasts.

Two figures, each the CPU time (``time.process_time``) of the whole run divided by the number
of requests, best of ``--repeat`` runs:

* **app**: the ASGI app called directly (what a served sandbox spends per request besides
  its HTTP server);
* **transport**: the same requests through ``httpx.AsyncClient`` on ``sandbox.transport(app)``
  (the app plus httpx's in-process round trip).

Usage::

    python bench/bench_sandbox.py [--requests 2000] [--users 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from urllib.parse import urlsplit

import httpx

from mixframe import sandbox


def request_mix(world: sandbox.World, count: int) -> list[str]:
    """`count` request targets (path and query) cycling through list and detail pages."""
    users = world.usernames()
    shows = world.cloudcast_keys()
    targets = []
    for i in range(count):
        user, show = users[(i * 7) % len(users)], shows[(i * 13) % len(shows)]
        kind = i % 7
        if kind == 0:
            targets.append(f"/{user}/followers/?limit=100")
        elif kind == 1:
            targets.append(f"/{user}/cloudcasts/?limit=100")
        elif kind == 2:
            targets.append(f"/{user}/favorites/?limit=100")
        elif kind == 3:
            targets.append("/spartacus/followers/?limit=100&until=2020-01-01+00%3A00%3A00")
        elif kind == 4:
            targets.append(f"/discover/{('house', 'techno', 'jazz')[i % 3]}/popular/?limit=100"
                           f"&offset={(i % 5) * 100}")
        elif kind == 5:
            targets.append(f"/{user}/?metadata=1")
        else:
            targets.append(f"{show}?metadata=1")
    return targets


async def call_app(app: sandbox.Sandbox, targets: list[str]) -> int:
    """Call the ASGI app directly for every target; returns the bytes served."""
    served = 0

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal served
        served += len(message.get("body", b""))

    for target in targets:
        parts = urlsplit(target)
        scope = {"type": "http", "method": "GET", "path": parts.path, "scheme": "http",
                 "query_string": parts.query.encode(), "server": ("sandbox.localhost", 80),
                 "headers": [(b"host", b"sandbox.localhost")]}
        await app(scope, receive, send)
    return served


async def call_transport(app: sandbox.Sandbox, targets: list[str]) -> int:
    """The same through httpx on the in-process transport; returns the bytes served."""
    served = 0
    async with httpx.AsyncClient(base_url="http://sandbox.localhost",  # any host: in process
                                 transport=sandbox.transport(app)) as client:
        for target in targets:
            served += len((await client.get(target)).content)
    return served


def measure(run, app: sandbox.Sandbox, targets: list[str], repeat: int) -> tuple[float, int]:
    """Best CPU milliseconds per request over `repeat` runs, and the bytes of one run."""
    best, served = float("inf"), 0
    for _ in range(repeat):
        start = time.process_time()
        served = asyncio.run(run(app, targets))
        best = min(best, time.process_time() - start)
    return best * 1000 / len(targets), served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    start = time.process_time()
    app = sandbox.app(seed=0, users=args.users, log_size=1000)
    print(f"world of {args.users} users built in {time.process_time() - start:.2f} s CPU")
    targets = request_mix(app.world, args.requests)
    asyncio.run(call_app(app, targets[:200]))  # warm caches of derived lists
    for name, run in (("app", call_app), ("transport", call_transport)):
        per_request, served = measure(run, app, targets, args.repeat)
        print(f"{name:>9}: {per_request:.3f} ms CPU per request "
              f"({args.requests} requests, {served / args.requests / 1024:.1f} KiB each)")


if __name__ == "__main__":
    main()
