"""One run of a crawl: breadth first, a level at a time, with bounded concurrency.

Every list is walked by :class:`mixframe.paging.ListWalk`, the client's own walk, through a
fetch that replays a stored page or fetches and stores a missing one, so the crawl stops a
list by the same rules as :meth:`mixframe.Mixcloud.pages`. Each page is checked before it is
stored and before a stored page is replayed: a bad page becomes a failure row and ends its list
only.

Which resources a crawl keeps never depends on timing: they are counted in a fixed order, level
by level, at each level the lists in the order they were found (itself fixed), each list page by
page and item by item. Lists are walked concurrently, but counted in that order as the walks
come in; ``max_items`` keeps the first resources of that order and stops the crawl at the first
one beyond it. The tables are built from the same order (:meth:`Walk.kept`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import _urls
from .._redact import redact, strip_secrets
from ..core import Mixcloud
from ..exceptions import MixcloudError
from ..paging import ListWalk, check_page, check_resource, page_items
from ._store import Store

__all__ = ["LOOKAHEAD", "SPILL", "Entry", "Walk"]

SPILL = 1000  # walks found held in memory at most before they go to the store's frontier
#: Lists of a level walked at most ahead of the first one not yet counted: bounds the
#: memory of lists walked but waiting for their turn to be counted.
LOOKAHEAD = 10_000

#: One list entry (or seed) the crawl keeps: source key and connection (``None`` for a seed),
#: position in the list, the item, and whether it is the resource's first sighting.
Entry = tuple[str | None, str | None, int, dict[str, Any], bool]


class _Ledger:
    """Counts the resources met, in the order it is shown them, up to `max_items`."""

    def __init__(self, max_items: int | None,
                 first_sightings: Callable[[list[str]], list[bool]]) -> None:
        self.max_items, self.first_sightings = max_items, first_sightings
        self.kept = 0
        self.full = False  # a resource beyond max_items was met: nothing after it counts

    def take(self, items: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any], bool]]:
        """(index, item, first sighting) of the keyed `items` that count, in order."""
        keyed = [(index, item) for index, item in enumerate(items)
                 if isinstance(item.get("key"), str)]
        taken = []
        for (index, item), new in zip(keyed, self.first_sightings([i["key"] for _, i in keyed])):
            if new:
                if self.max_items is not None and self.kept >= self.max_items:
                    self.full = True
                    break
                self.kept += 1
            taken.append((index, item, new))
        return taken


def _in_memory_sightings() -> Callable[[list[str]], list[bool]]:
    seen: set[str] = set()

    def first_sightings(keys: list[str]) -> list[bool]:
        fresh = []
        for key in keys:
            fresh.append(key not in seen)
            seen.add(key)
        return fresh

    return first_sightings


class _Failed(Exception):
    """A page cannot be used (it failed, is bad, or is not stored): its list ends there, and
    a failure row says why."""


@dataclass
class _Walked:
    """A list being walked, or walked and waiting for its turn to be counted."""

    source_key: str | None
    connection: str | None
    pages: list[tuple[str, list[dict[str, Any]] | None]] = field(default_factory=list)
    """Pages yielded and not yet counted: (stored URL, items, or None to read them back)."""
    done: bool = False


class Walk:
    """One run of a crawl: breadth first, a level at a time, bounded concurrency."""

    def __init__(self, client: Mixcloud, store: Store, seeds: list[str],
                 hops: list[dict[str, tuple[str, ...]]], *, max_items: int | None,
                 page_size: int, concurrency: int, progress: Any) -> None:
        self.client, self.store, self.seeds = client, store, seeds
        self.hops, self.depth, self.max_items = hops, len(hops), max_items
        self.page_size, self.concurrency, self.progress = page_size, concurrency, progress
        self.pages = self.pages_from_store = 0
        self.ledger = _Ledger(max_items, store.first_sightings)
        self.started, self.requests_before = time.monotonic(), client.stats.requests
        self.found: list[tuple[int, int, str, str, str]] = []  # walks not yet in the store
        self.order = itertools.count()  # the order walks were found in, kept in the frontier

    @property
    def stopped_at_max_items(self) -> bool:
        """Whether the crawl met more resources than ``max_items`` and left them out."""
        return self.ledger.full

    def _seed_lists(self) -> Iterator[tuple[str | None, str | None, str]]:
        return ((None, None, self.client.api_url(key)) for key in self.seeds)

    async def run(self) -> None:
        await self._level(0, self._seed_lists())
        for level in range(1, self.depth + 1):
            self._spill()
            if self.ledger.full:
                break
            await self._level(level, self.store.walks(level))

    # -- walking a level, counting it in order ----------------------------------------------

    async def _level(self, level: int,
                     lists: Iterable[tuple[str | None, str | None, str]]) -> None:
        """Walk `lists` (seeds at level 0) with `concurrency` workers; count them in order."""
        self._head = 0  # the first list of the level not yet counted
        self._walking: dict[int, _Walked] = {}
        self._ahead = 0  # entries walked in lists after the head, not yet counted
        self._moved = asyncio.Event()  # set (and replaced) whenever counting moves on
        numbered = enumerate(lists)  # shared by the workers: each list goes to one of them

        async def worker() -> None:
            for index, (source_key, connection, url) in numbered:
                await self._wait_for_turn(index)
                if self.ledger.full:
                    return
                walked = self._walking[index] = _Walked(source_key, connection)
                try:
                    if connection is None:
                        await self._walk_seed(index, url)
                    else:
                        await self._walk_list(index, walked, url, level)
                finally:
                    walked.done = True
                    self._count(level)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    async def _wait_for_turn(self, index: int) -> None:
        """Hold a list back while the lists before it are far from counted: more than
        LOOKAHEAD lists, or (with max_items) more entries than there is room for."""
        while not self.ledger.full and index > self._head and (
                index >= self._head + LOOKAHEAD
                or (self.max_items is not None
                    and self._ahead >= self.max_items - self.ledger.kept)):
            await self._moved.wait()

    def _yielded(self, index: int, url: str, items: list[dict[str, Any]], level: int) -> None:
        """Note a page a walk yielded; count it now if its list is the one counted next
        (else it is read back from the store on its turn: memory stays flat)."""
        if index == self._head:
            self._walking[index].pages.append((url, items))
        else:
            self._walking[index].pages.append((url, None))
            self._ahead += len(items)
        self._count(level)

    def _count(self, level: int) -> None:
        """Count the pages walked, in order, as far as the walks allow."""
        ledger = self.ledger
        while not ledger.full and (walked := self._walking.get(self._head)) is not None:
            while walked.pages and not ledger.full:
                url, items = walked.pages.pop(0)
                if items is None:
                    items = self._stored_items(url, walked.connection)
                    self._ahead -= len(items)
                self._take(items, level)
            if not walked.done:
                break
            del self._walking[self._head]
            self._head += 1
        self._moved.set()
        self._moved = asyncio.Event()

    def _stored_items(self, url: str, connection: str | None) -> list[dict[str, Any]]:
        """The items of a page a walk yielded, read back from the store (checked when it was
        stored or replayed)."""
        body = self.store.page(url)
        if body is None:
            raise LookupError(f"page {url!r} was yielded but is not in the store")
        data = json.loads(body)
        return [data] if connection is None else page_items(data)

    def _take(self, items: list[dict[str, Any]], level: int) -> None:
        """Count `items`, the next page in the crawl's order, and queue the lists of the next
        hop to walk from the new resources among them."""
        expand = self.hops[level] if level < self.depth else {}
        for _, item, new in self.ledger.take(items):
            if not new:
                continue
            for name in expand.get(str(item.get("type")), ()):
                # the API's own URL, not metadata.connections': the server never picks a host
                url = self.client.api_url(f"{item['key']}{name}")
                self.found.append((level + 1, next(self.order), item["key"], name,
                                   _urls.merge_query(url, {"limit": self.page_size})))
        if len(self.found) >= SPILL:
            self._spill()

    def _spill(self) -> None:
        """Move the walks found so far into the store's frontier."""
        if self.found:
            self.store.add_walks(self.found)
            self.found = []

    # -- fetching ---------------------------------------------------------------------------

    async def _walk_seed(self, index: int, url: str) -> None:
        try:
            body = await self._page(url, None, None, 0, check_resource)
        except _Failed:
            return
        self._yielded(index, strip_secrets(url), [body], 0)

    async def _walk_list(self, index: int, walked: _Walked, url: str, level: int) -> None:
        position, current = 0, url

        async def fetch(link: str) -> dict[str, Any]:
            nonlocal current
            current = link
            return await self._page(link, walked.source_key, walked.connection, position,
                                    check_page)

        try:
            async for page in ListWalk(fetch, url):
                items = page_items(page)
                self._yielded(index, strip_secrets(current), items, level)
                position += len(items)
                if self.ledger.full:
                    return
        except _Failed:
            return

    async def _page(self, url: str, source_key: str | None, connection: str | None,
                    position: int, check: Callable[[Any, str], Any]) -> dict[str, Any]:
        """The page at `url`: replayed from the store, or fetched and stored; checked by
        `check` either way. A page that fails or is bad is recorded as a failure, and raises
        :class:`_Failed`."""
        stored_url = strip_secrets(url)
        try:
            body = self.store.page(stored_url)
            if body is not None:
                data = json.loads(body)
                check(data, stored_url)
                self.pages_from_store += 1
            else:
                data = await self.client.fetch(url, relative=False)
                check(data, stored_url)
                self.store.put(stored_url, source_key, connection, position,
                               self._without_token(json.dumps(data, ensure_ascii=False,
                                                              separators=(",", ":"))))
                self.pages += 1
        except (MixcloudError, ValueError) as error:
            self.store.fail(stored_url, getattr(error, "status", None),
                            self._without_token(str(error)))
            raise _Failed(stored_url) from error
        if self.progress is not None:
            self.progress.update(1)
            requests = self.client.stats.requests - self.requests_before
            elapsed = max(time.monotonic() - self.started, 1e-9)
            self.progress.set_postfix_str(f"items={self.ledger.kept}, requests={requests} "
                                          f"({requests / elapsed:.1f}/s)", refresh=False)
        return data

    def _without_token(self, text: str) -> str:
        """`text` with the access token removed, should the server echo it."""
        return redact(text, self.client.access_token)

    # -- the kept entries, for the tables ----------------------------------------------------

    async def kept(self) -> AsyncIterator[Entry]:
        """Every entry the crawl keeps, in the crawl's fixed order, read back from the store
        with the walk's own rules: the same entries whatever the timing or interruptions."""
        ledger = _Ledger(self.max_items, _in_memory_sightings())
        for level in range(self.depth + 1):
            lists = self._seed_lists() if level == 0 else self.store.walks(level)
            for source_key, connection, url in lists:
                async for position, items in self._stored_pages(connection, url):
                    for index, item, new in ledger.take(items):
                        yield source_key, connection, position + index, item, new
                    if ledger.full:
                        return

    async def _stored_pages(self, connection: str | None,
                            url: str) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
        """(position, items) of each page of a list the store holds, as its walk met them."""
        def stored(link: str, check: Callable[[Any, str], Any]) -> dict[str, Any]:
            body = self.store.page(strip_secrets(link))
            if body is None:
                raise _Failed(link)
            try:
                data = json.loads(body)
                check(data, link)
            except (MixcloudError, ValueError) as error:  # as when the walk replayed it
                raise _Failed(link) from error
            return data

        try:
            if connection is None:
                yield 0, [stored(url, check_resource)]
                return
            position = 0

            async def fetch(link: str) -> dict[str, Any]:
                return stored(link, check_page)

            async for page in ListWalk(fetch, url):
                items = page_items(page)
                yield position, items
                position += len(items)
        except _Failed:
            return  # the walk ended there too

