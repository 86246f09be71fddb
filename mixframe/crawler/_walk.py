"""One run of a crawl: breadth first, a level at a time, with bounded concurrency."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from .. import _urls
from .._redact import redact, strip_secrets
from ..core import Mixcloud
from ..exceptions import MixcloudError
from ._store import Store

__all__ = ["SPILL", "Walk"]

SPILL = 1000  # walks found held in memory at most before they go to the store's frontier


class Walk:
    """One run of a crawl: breadth first, a level at a time, bounded concurrency."""

    def __init__(self, client: Mixcloud, store: Store, seeds: list[str],
                 hops: list[dict[str, tuple[str, ...]]], *, max_items: int | None,
                 page_size: int, concurrency: int, progress: Any) -> None:
        self.client, self.store, self.seeds = client, store, seeds
        self.hops, self.depth, self.max_items = hops, len(hops), max_items
        self.page_size, self.concurrency, self.progress = page_size, concurrency, progress
        self.items = self.pages = self.pages_from_store = 0
        self.full = False
        self.started, self.requests_before = time.monotonic(), client.stats.requests
        self.found: list[tuple[int, int, str, str, str]] = []  # walks not yet in the store
        self.order = itertools.count()  # the order walks were found in, kept in the frontier

    async def run(self) -> None:
        await self._pool(functools.partial(self._seed, key) for key in self.seeds)
        for level in range(1, self.depth + 1):
            self._spill()
            if self.full:
                break
            await self._pool(functools.partial(self._walk, *walk, level)
                             for walk in self.store.walks(level))

    async def _pool(self, jobs: Iterator[Callable[[], Awaitable[None]]]) -> None:
        """Run `jobs` with `concurrency` workers; each job is made only when a worker is free."""
        async def worker() -> None:
            for job in jobs:  # shared by the workers: each job goes to one of them
                if self.full:
                    return
                await job()

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    def _spill(self) -> None:
        """Move the walks found so far into the store's frontier."""
        if self.found:
            self.store.add_walks(self.found)
            self.found = []

    async def _fetch(self, url: str, source_key: str | None, connection: str | None,
                     position: int) -> dict[str, Any] | None:
        stored_url = strip_secrets(url)
        body = self.store.page(stored_url)
        if body is not None:
            self.pages_from_store += 1
            data = json.loads(body)
        else:
            try:
                data = await self.client.fetch(url, relative=False)
            except (MixcloudError, ValueError) as error:
                status = getattr(error, "status", None)
                self.store.fail(stored_url, status, str(error))
                return None
            self.store.put(stored_url, source_key, connection, position,
                           self._without_token(json.dumps(data, ensure_ascii=False,
                                                          separators=(",", ":"))))
            self.pages += 1
        if self.progress is not None:
            self.progress.update(1)
            requests = self.client.stats.requests - self.requests_before
            elapsed = max(time.monotonic() - self.started, 1e-9)
            self.progress.set_postfix_str(f"items={self.items}, requests={requests} "
                                          f"({requests / elapsed:.1f}/s)", refresh=False)
        return data

    def _without_token(self, body: str) -> str:
        """`body` with the access token removed, should the server echo it in a link."""
        return redact(body, self.client.access_token)

    def _take(self, records: list, level: int) -> None:
        """Count the new resources among `records` (found `level` hops from the seeds), up to
        max_items, and queue the lists of the next hop to walk from them."""
        expand = self.hops[level] if level < self.depth else {}
        keyed = [record for record in records
                 if isinstance(record, dict) and isinstance(record.get("key"), str)]
        for record, new in zip(keyed, self.store.first_sightings([r["key"] for r in keyed])):
            if not new:
                continue
            key = record["key"]
            if self.max_items is not None and self.items >= self.max_items:
                self.full = True
                break
            self.items += 1
            connections = (record.get("metadata") or {}).get("connections") or {}
            for name in expand.get(record.get("type"), ()):
                url = connections.get(name) or self.client.api_url(f"{key}{name}")
                url = _urls.merge_query(url, {"limit": self.page_size})
                # a server may echo the token in its links: the token is added on sending
                self.found.append((level + 1, next(self.order), key, name,
                                   strip_secrets(url)))
        if len(self.found) >= SPILL:
            self._spill()

    async def _seed(self, key: str) -> None:
        data = await self._fetch(self.client.api_url(key), None, None, 0)
        if data is not None:
            self._take([data], 0)

    async def _walk(self, source_key: str, connection: str, url: str, level: int) -> None:
        position, seen_urls = 0, set()
        while url and not self.full and url not in seen_urls:
            seen_urls.add(url)
            data = await self._fetch(url, source_key, connection, position)
            if data is None:
                return
            items = data.get("data") if isinstance(data.get("data"), list) else []
            self._take(items, level)
            if not items:
                return
            position += len(items)
            paging = data.get("paging") if isinstance(data.get("paging"), dict) else {}
            url = paging.get("next")
