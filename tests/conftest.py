"""Shared fixtures: recorded Mixcloud responses replayed over a mock transport, and the sandbox
(in-process and over real loopback HTTP)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str):
    """Decoded body of a recorded response in tests/samples/."""
    return json.loads((SAMPLES / name).read_text())


class Recorded:
    """Replays recorded bodies by path, with the recorded status and headers, and keeps the
    requests it saw."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.requests: list[httpx.Request] = []

    def add(self, path: str, body, *, status: int = 200, headers: dict | None = None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[path] = (status, {"content-type": "text/javascript; charset=utf-8",
                                      **(headers or {})}, data)

    def add_sample(self, path: str, name: str):
        meta_file = SAMPLES / name.replace(".json", ".meta.json")
        status, headers = 200, {}
        if meta_file.exists():
            meta = json.loads(meta_file.read_text())
            if isinstance(meta.get("status"), dict):
                status = meta["status"]["code"]
            headers = {key: values[-1] for key, values in meta.get("headers", {}).items()
                       if key.lower() not in ("content-length", "connection")}
        self.add(path, (SAMPLES / name).read_bytes(), status=status, headers=headers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, json={"error": {"type": "NotFoundException",
                                                       "message": "not recorded"}})
        status, headers, body = route
        return httpx.Response(status, headers=headers, content=body)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


async def walk_keys(page) -> list[str]:
    """Keys of every item from `page` to the end of its list, following ``next()``."""
    keys = []
    while page is not None:
        keys += [item.key for item in page]
        page = await page.next()
    return keys


def ground_truth(world, seeds, hops):
    """Keys, edges and the number of lists walked that a crawl following `hops` (one
    ``{type: connections}`` per hop) must find, computed from the sandbox world the way the
    crawler walks it: breadth first, new keys only."""
    def kind(key):
        return "cloudcast" if key.strip("/").count("/") == 1 else "user"

    keys, edges, level, walks = set(seeds), set(), list(seeds), 0
    for per_type in hops:
        found = []
        for source in level:
            for name in per_type.get(kind(source), ()):
                walks += 1
                for position, target in enumerate(world.connection_keys(f"{source}{name}/")):
                    edges.add((source, name, target, position))
                    if target not in keys:
                        keys.add(target)
                        found.append(target)
        level = found
    return keys, edges, walks


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


@pytest.fixture
def local_tz(monkeypatch):
    """Run in America/New_York, so naive datetimes are provably taken as local time."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- the sandbox ------------------------------------------------------------------------------

from mixframe import Mixcloud, MixcloudSync, sandbox  # noqa: E402


def on_sandbox(app, kind=Mixcloud, **options):
    """``sandbox.client`` with the client class named: a `kind` client (Mixcloud or
    MixcloudSync) on the in-process sandbox `app`, logged in unless `options` say otherwise."""
    return sandbox.client(app, sync=kind is MixcloudSync, **options)


@pytest.fixture
def sb():
    """A fresh in-process sandbox (seed 0): its state and request log belong to one test."""
    return sandbox.app(seed=0)


@pytest.fixture(scope="session")
def served():
    """One sandbox served on a real loopback port for the whole session (read-only use)."""
    with sandbox.serve(seed=0) as url:
        yield url


@pytest.fixture
async def mixcloud(sb):
    """An authorised async client talking to `sb` in process."""
    async with sandbox.client(sb, sync=False) as client:
        yield client


@pytest.fixture(params=["in-process", "loopback"])
async def reader(request, sb):
    """An authorised client over each route: ASGI in process, and real HTTP on loopback.

    Yields ``(client, app)`` where ``app`` is the sandbox that answers (for its request log).
    """
    if request.param == "in-process":
        async with sandbox.client(sb, sync=False) as client:
            yield client, sb
    else:
        with sandbox.serve(sb) as url:
            async with Mixcloud(**sandbox.roots(url), access_token=sandbox.TOKEN) as client:
                yield client, sb
