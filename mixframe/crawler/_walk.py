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

With details, every resource kept that has a detail page (:data:`~mixframe._api.DETAIL_TYPES`)
gets it once the lists are walked, by the same number of workers; a seed's page is its detail
page, never fetched twice.

Refreshes. A store holds generations of a crawl: the first crawl is generation 0, each
refresh the next one. A page fetched by refresh ``g`` is stored under its URL marked
``#refresh=g`` (a fragment: never sent), beside the older versions. In a refresh every list is
walked again from its first page, newest first, and stops at the first page whose entries the
previous generation of that list already holds (``ListWalk``'s ``caught_up``): the list is then
the pages walked, followed by the previous generation's list without the entries already met.
A list walked to its end needs no older part. A detail page is fetched again when its newest
version is older than the refresh's ``refetch_before``. Replaying the store gives the same lists
by the same rules, so the tables of a refresh, like those of any crawl, come from the store.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn

from .. import _urls
from .._api import DETAIL_TYPES
from .._redact import redact, strip_secrets
from ..core import Mixcloud
from ..exceptions import MixcloudError
from ..paging import ListWalk, check_page, check_resource, page_items
from ._store import Store
from ._tables import table_kind

__all__ = ["LOOKAHEAD", "REFRESH_MARK", "SPILL", "Entry", "Walk", "shown_url"]

SPILL = 1000  # walks found held in memory at most before they go to the store's frontier
#: Lists of a level walked at most ahead of the first one not yet counted: bounds the
#: memory of lists walked but waiting for their turn to be counted.
LOOKAHEAD = 10_000
#: Marks the stored URL of a page fetched by a refresh: ``<url>#refresh=<generation>``.
REFRESH_MARK = "#refresh="


class Entry(NamedTuple):
    """One list entry (or seed) the crawl keeps, in the crawl's order."""

    source_key: str | None
    """Key of the resource whose list holds the entry (``None`` for a seed)."""
    connection: str | None
    """The list's connection (``None`` for a seed)."""
    position: int
    """Position in the list."""
    item: dict[str, Any]
    """The resource; on its first sighting with details, the list's item updated with its
    detail page."""
    new: bool
    """Whether this is the resource's first sighting (its row in the tables)."""
    fetched_from: str | None
    """On a first sighting, the page the row comes from (its URL, without secrets)."""
    fetched_at: str | None
    """On a first sighting, when that page was fetched (the store's time stamp)."""


#: A page of a list as a walk yields it: the page's stored URL, its items the list keeps, and
#: their indexes in the page when some were left out (``None``: all of them).
_Page = tuple[str, list[dict[str, Any]], tuple[int, ...] | None]


def stored_url(url: str, generation: int) -> str:
    """The URL `url`'s page is stored under by generation `generation` (secrets removed)."""
    plain = strip_secrets(url)
    return plain if generation == 0 else f"{plain}{REFRESH_MARK}{generation}"


def shown_url(stored: str) -> str:
    """The URL of the page stored under `stored`, as fetched (without secrets)."""
    return stored.partition(REFRESH_MARK)[0]


def _generation_of(stored: str) -> int:
    _, marked, generation = stored.partition(REFRESH_MARK)
    return int(generation) if marked and generation.isdigit() else 0


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
    pages: list[tuple[str, list[dict[str, Any]] | None, tuple[int, ...] | None]] = field(
        default_factory=list)
    """Pages yielded and not yet counted: (stored URL, items or None to read them back, the
    indexes kept)."""
    done: bool = False


class _Older:
    """A list as the previous generation holds it, read from its start as far as needed."""

    def __init__(self, pages: AsyncGenerator[_Page, None]) -> None:
        self._pages = pages
        self._read: list[_Page] = []
        self._keys: set[str] = set()
        self._count = 0
        self._done = False

    async def holds(self, keys: list[Any], upto: int) -> bool:
        """Whether every key of `keys` is among the list's first `upto` entries or earlier:
        new entries come first, so an entry that was at a position is there or further."""
        while self._count < upto and not self._done:
            page = await anext(self._pages, None)
            if page is None:
                self._done = True
                break
            self._read.append(page)
            self._count += len(page[1])
            self._keys.update(item["key"] for item in page[1] if isinstance(item.get("key"), str))
        return all(isinstance(key, str) and key in self._keys for key in keys)

    async def pages(self) -> AsyncIterator[_Page]:
        """Every page of the list, from its start."""
        while self._read:
            yield self._read.pop(0)
        async for page in self._pages:
            yield page

    async def close(self) -> None:
        """Stop reading the list (its walk may hold pages not read)."""
        await self._pages.aclose()


class Walk:
    """One run of a crawl: breadth first, a level at a time, bounded concurrency.

    `generation` is the store's (0, or the refresh it runs); `refetch_before` (a store time
    stamp) makes a refresh fetch again the detail pages fetched before it.
    """

    def __init__(self, client: Mixcloud, store: Store, seeds: list[str],
                 hops: list[dict[str, tuple[str, ...]]], *, max_items: int | None,
                 page_size: int, concurrency: int, progress: Any, details: bool = False,
                 generation: int = 0, refetch_before: str | None = None) -> None:
        self.client, self.store, self.seeds = client, store, seeds
        self.hops, self.depth, self.max_items = hops, len(hops), max_items
        self.page_size, self.concurrency, self.progress = page_size, concurrency, progress
        self.details, self.generation = details, generation
        self.refetch_before = refetch_before
        self.pages = self.pages_from_store = self.details_fetched = 0
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
        if self.details:
            await self._fetch_details()

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

    def _yielded(self, index: int, page: _Page, level: int) -> None:
        """Note a page a walk yielded; count it now if its list is the one counted next
        (else it is read back from the store on its turn: memory stays flat)."""
        url, items, kept = page
        if index == self._head:
            self._walking[index].pages.append((url, items, kept))
        else:
            self._walking[index].pages.append((url, None, kept))
            self._ahead += len(items)
        self._count(level)

    def _count(self, level: int) -> None:
        """Count the pages walked, in order, as far as the walks allow."""
        ledger = self.ledger
        while not ledger.full and (walked := self._walking.get(self._head)) is not None:
            while walked.pages and not ledger.full:
                url, items, kept = walked.pages.pop(0)
                if items is None:
                    items = self._stored_items(url, walked.connection, kept)
                    self._ahead -= len(items)
                self._take(items, level)
            if not walked.done:
                break
            del self._walking[self._head]
            self._head += 1
        self._moved.set()
        self._moved = asyncio.Event()

    def _stored_items(self, url: str, connection: str | None,
                      kept: tuple[int, ...] | None) -> list[dict[str, Any]]:
        """The items of a page a walk yielded, read back from the store (checked when it was
        stored or replayed)."""
        data = json.loads(self._body(url))
        items = [data] if connection is None else page_items(data)
        return items if kept is None else [items[index] for index in kept]

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

    async def _walk_seed(self, index: int, url: str) -> None:
        try:
            stored, body = await self._detail(url, live=True)
        except _Failed:
            return
        self._yielded(index, (stored, [body], None), 0)

    async def _walk_list(self, index: int, walked: _Walked, url: str, level: int) -> None:
        async for page in self._list(url, walked.source_key, walked.connection, live=True):
            self._yielded(index, page, level)
            if self.ledger.full:
                return

    # -- the pages of a list, of a generation ------------------------------------------------

    def _previous(self, url: str, generation: int) -> int | None:
        """The latest generation before `generation` that walked the list at `url`."""
        for stored, _ in self.store.versions(strip_secrets(url), REFRESH_MARK):
            if _generation_of(stored) < generation:
                return _generation_of(stored)
        return None

    async def _list(self, url: str, source_key: str | None, connection: str | None, *,
                    live: bool, generation: int | None = None
                    ) -> AsyncGenerator[_Page, None]:
        """The pages of the list at `url` as generation `generation` (by default the walk's
        own) holds it: its own walk of the list, then the previous generation's list without
        the entries already met when that walk stopped because it caught up. `live` fetches
        (and stores) the walk's pages the store lacks; otherwise a missing page ends the
        list, as it did when the walk met it."""
        generation = self.generation if generation is None else generation
        previous = self._previous(url, generation) if generation else None
        older = None if previous is None else _Older(self._list(
            url, source_key, connection, live=live, generation=previous))
        position = 0
        current = url
        met: set[str] = set()

        async def fetch(link: str) -> dict[str, Any]:
            """The page at `link`: this generation's, else (an older generation's walk that
            ended at a failure, continued now) the walk's own generation's; else fetched."""
            nonlocal current
            for version in dict.fromkeys((generation, self.generation)):
                current = stored_url(link, version)
                body = self.store.page(current)
                if body is not None:
                    return self._replay(current, body, check_page, live)
            if not live:
                raise _Failed(current)
            return await self._fetch(link, current, source_key, connection, position,
                                     check_page)

        async def caught_up(page: dict[str, Any]) -> bool:
            items = page_items(page)
            return older is not None and await older.holds(
                [item.get("key") for item in items], position + len(items))

        walk = ListWalk(fetch, url, caught_up=caught_up if older is not None else None)
        try:
            try:
                async for page in walk:
                    items = page_items(page)
                    if older is not None:
                        met.update(item["key"] for item in items
                                   if isinstance(item.get("key"), str))
                    yield current, items, None
                    position += len(items)
            except _Failed:
                pass  # the list ends here, or goes on with what the previous generation holds
            else:
                if walk.stopped != "caught_up":
                    return  # walked to its end (or a bound): nothing older to add
            if older is None:
                return
            async for stored, items, kept in older.pages():
                indexes = range(len(items)) if kept is None else kept
                fresh = [(index, item) for index, item in zip(indexes, items)
                         if isinstance(item.get("key"), str) and item["key"] not in met]
                met.update(item["key"] for _, item in fresh)
                if fresh:
                    yield stored, [item for _, item in fresh], tuple(i for i, _ in fresh)
        finally:
            if older is not None:
                await older.close()

    async def _detail(self, url: str, *, live: bool) -> tuple[str, dict[str, Any]]:
        """(stored URL, body) of the detail page at `url`: its newest stored version, unless
        the walk is `live` and that version was fetched before ``refetch_before`` (or there is
        none): then it is fetched and stored as this generation's. A fetch that fails falls
        back on the stored version, if any. Counts the detail pages fetched."""
        versions = [(stored, at) for stored, at in
                    self.store.versions(strip_secrets(url), REFRESH_MARK)
                    if _generation_of(stored) <= self.generation]
        if versions:
            stored, at = versions[0]
            fresh = (self.refetch_before is None or _generation_of(stored) == self.generation
                     or (at is not None and at >= self.refetch_before))
            if fresh or not live:
                return stored, self._replay(stored, self._body(stored), check_resource, live)
        if not live:
            raise _Failed(url)
        try:
            body = await self._fetch(url, stored_url(url, self.generation), None, None, 0,
                                     check_resource)
            self.details_fetched += 1
            return stored_url(url, self.generation), body
        except _Failed:
            if not versions:
                raise
            stored = versions[0][0]
            return stored, self._replay(stored, self._body(stored), check_resource, live)

    async def _fetch_details(self) -> None:
        """Fetch the detail page of every resource kept that has one and is not a seed, with
        `concurrency` workers, in the crawl's order."""
        lock = asyncio.Lock()
        entries = self._kept_entries()

        async def next_url() -> str | None:
            async with lock:  # one reader of the shared iterator at a time
                async for entry in entries:
                    if self._wants_details(entry.item, entry.new, entry.connection):
                        return self.client.api_url(entry.item["key"])
            return None

        async def worker() -> None:
            while (url := await next_url()) is not None:
                try:
                    await self._detail(url, live=True)
                except _Failed:
                    pass

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    def _wants_details(self, item: dict[str, Any], new: bool, connection: str | None) -> bool:
        return (self.details and new and connection is not None
                and table_kind(item.get("type")) in DETAIL_TYPES)

    # -- fetching and replaying one page ---------------------------------------------------------

    async def _fetch(self, url: str, stored: str, source_key: str | None,
                     connection: str | None, position: int,
                     check: Callable[[Any, str], Any]) -> dict[str, Any]:
        """Fetch the page at `url`, check it with `check` and store it as `stored`. A page
        that fails or is bad is recorded as a failure, and raises :class:`_Failed`."""
        try:
            data = await self.client.fetch(url, relative=False)
            check(data, shown_url(stored))
            self.store.put(stored, source_key, connection, position,
                           self._without_token(json.dumps(data, ensure_ascii=False,
                                                          separators=(",", ":"))))
        except (MixcloudError, ValueError) as error:
            self._failed(stored, error)
        self.pages += 1
        self._progress()
        return data

    def _replay(self, stored: str, body: str, check: Callable[[Any, str], Any],
                live: bool) -> Any:
        """The stored page `body`, checked with `check` as it was when it was stored. When
        the walk is `live`, a bad page is recorded as a failure; it raises :class:`_Failed`
        either way."""
        try:
            data = json.loads(body)
            check(data, shown_url(stored))
        except (MixcloudError, ValueError) as error:
            if not live:
                raise _Failed(stored) from error
            self._failed(stored, error)
        if live:
            self.pages_from_store += 1
            self._progress()
        return data

    def _body(self, stored: str) -> str:
        """The body of a page the store holds."""
        body = self.store.page(stored)
        if body is None:
            raise LookupError(f"page {stored!r} was stored but is not in the store")
        return body

    def _failed(self, stored: str, error: Exception) -> NoReturn:
        self.store.fail(stored, getattr(error, "status", None), self._without_token(str(error)))
        raise _Failed(stored) from error

    def _progress(self) -> None:
        if self.progress is not None:
            self.progress.update(1)
            requests = self.client.stats.requests - self.requests_before
            elapsed = max(time.monotonic() - self.started, 1e-9)
            self.progress.set_postfix_str(f"items={self.ledger.kept}, requests={requests} "
                                          f"({requests / elapsed:.1f}/s)", refresh=False)

    def _without_token(self, text: str) -> str:
        """`text` with the access token removed, should the server echo it."""
        return redact(text, self.client.access_token)

    # -- the kept entries, for the tables ----------------------------------------------------

    async def kept(self) -> AsyncIterator[Entry]:
        """Every entry the crawl keeps, in the crawl's fixed order, read back from the store
        with the walk's own rules: the same entries whatever the timing or interruptions. A
        first sighting carries its row (with its detail page's fields, when the crawl has
        details) and the page that row comes from."""
        page, fetched_at = "", None  # the last page's time: a list's rows share their page
        async for entry in self._kept_entries():
            if not entry.new:
                yield entry._replace(fetched_from=None)
                continue
            item, stored = entry.item, entry.fetched_from or ""
            if self._wants_details(item, entry.new, entry.connection):
                try:
                    stored, detail = await self._detail(self.client.api_url(item["key"]),
                                                        live=False)
                    item = {**item, **detail}
                except _Failed:
                    pass  # its failure is in the failures: the row is the list's item
            if stored != page:
                page, fetched_at = stored, self.store.fetched_at(stored)
            yield entry._replace(item=item, fetched_from=shown_url(stored),
                                 fetched_at=fetched_at)

    async def _kept_entries(self) -> AsyncIterator[Entry]:
        """The entries the crawl keeps, as its lists hold them (``fetched_from``: the stored
        URL of the page holding the entry)."""
        ledger = _Ledger(self.max_items, _in_memory_sightings())
        for level in range(self.depth + 1):
            lists = self._seed_lists() if level == 0 else self.store.walks(level)
            for source_key, connection, url in lists:
                async for position, stored, items in self._stored_pages(source_key,
                                                                        connection, url):
                    for index, item, new in ledger.take(items):
                        yield Entry(source_key, connection, position + index, item, new,
                                    stored, None)
                    if ledger.full:
                        return

    async def _stored_pages(self, source_key: str | None, connection: str | None, url: str
                            ) -> AsyncIterator[tuple[int, str, list[dict[str, Any]]]]:
        """(position, stored URL, items) of each page of a list the store holds, as its walk
        met them."""
        if connection is None:
            try:
                stored, body = await self._detail(url, live=False)
            except _Failed:
                return  # the walk ended there too
            yield 0, stored, [body]
            return
        position = 0
        async for stored, items, _ in self._list(url, source_key, connection, live=False):
            yield position, stored, items
            position += len(items)
