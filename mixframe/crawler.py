"""The crawler: walk resources, their connections and every page of each list into tables.

:func:`crawl` (blocking) and :func:`acrawl` (``await``) start from seeds, fetch their details,
then walk the requested connections breadth first, ``depth`` hops out, following
``paging.next`` to the end of every list. Every raw page is committed to an SQLite store as it
arrives; the tables are derived from the stored pages, so an interrupted crawl (Ctrl-C, a
crash, ``kill -9``) resumes where it stopped with the same call: no stored page is fetched
again, nothing is lost or duplicated.

Examples
--------
>>> result = crawl(["spartacus"], connections=["followers", "cloudcasts"],
...                store="spartacus.sqlite")                       # doctest: +SKIP
>>> result.users.head()                                            # doctest: +SKIP
>>> result.edges.groupby("connection").size()                      # doctest: +SKIP
>>> result.to_parquet("out/")                                      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from . import _urls, frames
from ._api import CONNECTIONS, MAX_PAGE_SIZE, TABLES, table_type
from ._redact import redact, strip_secrets
from .core import Mixcloud
from .exceptions import MixcloudError

__all__ = ["CONNECTIONS", "CrawlResult", "acrawl", "crawl", "read_crawl"]

_EDGE_COLUMNS = {"source_key": "string", "connection": "string", "target_key": "string",
                 "position": "Int64"}
_FAILURE_COLUMNS = {"url": "string", "status": "Int64", "error": "string"}
_OTHER = "other"  # table kind of items of types we do not know
_SPILL = 1000  # walks found held in memory at most before they go to the store's frontier


def _table_type(item_type: Any) -> str:
    """The table kind of an item: its resource type, or ``"other"`` for a type we do not know
    (never a name the server chose: table and file names come from the vocabulary)."""
    return table_type(item_type) or _OTHER


def _check_connections(connections: Any) -> dict[str, tuple[str, ...]]:
    """Return the connections to follow per type, checking every name."""
    known = {name for names in CONNECTIONS.values() for name in names}
    if connections is None:
        return {}
    if isinstance(connections, str):
        connections = [name.strip() for name in connections.split(",") if name.strip()]
    if isinstance(connections, Mapping):
        per_type = {}
        for kind, names in connections.items():
            if kind not in CONNECTIONS:
                raise ValueError(f"connections: unknown resource type {kind!r}; known: "
                                 f"{', '.join(CONNECTIONS)}")
            names = [names] if isinstance(names, str) else list(names)
            unknown = [name for name in names if name not in CONNECTIONS[kind]]
            if unknown:
                raise ValueError(f"connections: {kind} has no connection {unknown[0]!r}; "
                                 f"it has {', '.join(CONNECTIONS[kind])}")
            per_type[kind] = tuple(dict.fromkeys(names))
        return per_type
    if not isinstance(connections, Iterable):
        raise TypeError("connections must be a list of names or a dict of lists by type")
    connections = list(connections)
    for name in connections:
        if not isinstance(name, str):
            raise TypeError(f"connections must be names (str), or one list or dict of names "
                            f"per hop; got {name!r} among names")
    names = list(dict.fromkeys(connections))
    for name in names:
        if name not in known:
            raise ValueError(f"connections: unknown connection {name!r}; known: "
                             f"{', '.join(sorted(known))}")
    return {kind: tuple(name for name in names if name in valid)
            for kind, valid in CONNECTIONS.items()}


def _hops(connections: Any, depth: int) -> list[dict[str, tuple[str, ...]]]:
    """Connections to follow at each hop: the same for every hop, or one spec per hop."""
    if (isinstance(connections, (list, tuple)) and connections
            and all(not isinstance(spec, str) for spec in connections)):
        if len(connections) != depth:
            raise ValueError(f"connections gives {len(connections)} hops but depth is {depth}; "
                             f"pass depth={len(connections)}")
        return [_check_connections(spec) for spec in connections]
    spec = _check_connections(connections)  # checked even when depth is 0
    return [spec] * depth


def _seed_key(seed: Any) -> str:
    if hasattr(seed, "data") and isinstance(getattr(seed, "data"), dict):
        seed = seed.data.get("key")
    if not isinstance(seed, str) or not seed.strip():
        raise ValueError(f"a seed must be a key, a URL or a resource, got {seed!r}")
    if seed.startswith(("http://", "https://")):
        seed = urlsplit(seed).path
    return _urls.normalize_key(seed)


class _Store:
    """Raw pages, failures, the frontier and the crawl's identity in SQLite.

    Pages are committed one by one as they arrive. The frontier (the lists to walk, by level)
    is where the crawl's queue spills, so that memory stays flat however many resources a
    level finds; each run starts it afresh, since replaying the stored pages finds it again.
    """

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS pages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            url TEXT NOT NULL UNIQUE,
            source_key TEXT,
            connection TEXT,
            position INTEGER NOT NULL,
            body TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS failures (
            url TEXT PRIMARY KEY, status INTEGER, error TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS frontier (
            level INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            source_key TEXT NOT NULL,
            connection TEXT NOT NULL,
            url TEXT NOT NULL,
            PRIMARY KEY (level, seq));
        CREATE TEMP TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY);
    """

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = path
        # Without a path, SQLite's private temporary database: in memory while small, then
        # spilled to a file it deletes on close, so a big crawl without a store stays flat.
        target = "" if path is None else os.fspath(path)
        if path is not None:
            parent = Path(target).resolve().parent
            if not parent.is_dir():
                raise FileNotFoundError(f"store: directory {str(parent)!r} does not exist")
        try:
            self.db = sqlite3.connect(target, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(self._SCHEMA)
        except sqlite3.DatabaseError as error:
            raise ValueError(f"store {target!r} is not a mixframe crawl store: {error}") from None

    def close(self) -> None:
        self.db.close()

    def claim(self, identity: dict[str, Any], *, resume: bool) -> None:
        """Tie the store to this crawl; refuse one that holds another crawl."""
        wanted = json.dumps(identity, sort_keys=True)
        row = self.db.execute("SELECT value FROM meta WHERE name = 'crawl'").fetchone()
        if row is not None and row[0] != wanted and resume:
            held = json.loads(row[0])
            raise ValueError(
                f"store {os.fspath(self.path)!r} holds another crawl (seeds {held['seeds']}, "
                f"connections {held['connections']}, depth {held['depth']}); use another "
                "path, or resume=False to start it over")
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM frontier")
            if row is None or row[0] != wanted or not resume:
                self.db.execute("DELETE FROM pages")
                self.db.execute("DELETE FROM failures")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('crawl', ?)", (wanted,))

    def page(self, url: str) -> str | None:
        row = self.db.execute("SELECT body FROM pages WHERE url = ?", (url,)).fetchone()
        return None if row is None else row[0]

    def put(self, url: str, source_key: str | None, connection: str | None, position: int,
            body: str) -> None:
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO pages (url, source_key, connection, "
                            "position, body) VALUES (?, ?, ?, ?, ?)",
                            (url, source_key, connection, position, body))
            self.db.execute("DELETE FROM failures WHERE url = ?", (url,))

    def fail(self, url: str, status: int | None, error: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?)",
                            (url, status, error))

    def first_sightings(self, keys: list[str]) -> list[bool]:
        """Record `keys` as stored, in one transaction; whether each was new in this run."""
        self.db.execute("BEGIN")
        try:
            return [self.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (key,)).rowcount
                    == 1 for key in keys]
        finally:
            self.db.execute("COMMIT")

    def add_walks(self, walks: list[tuple[int, int, str, str, str]]) -> None:
        """Queue lists to walk: (level, order found, source key, connection, URL) each."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO frontier VALUES (?, ?, ?, ?, ?)", walks)

    def walks(self, level: int) -> Iterator[tuple[str, str, str]]:
        """(source key, connection, URL) of the lists to walk at `level`, in the order they
        were found, read a thousand at a time."""
        after = -1
        while rows := self.db.execute(
                "SELECT seq, source_key, connection, url FROM frontier WHERE level = ? "
                "AND seq > ? ORDER BY seq LIMIT 1000", (level, after)).fetchall():
            after = rows[-1][0]
            for _, source_key, connection, url in rows:
                yield source_key, connection, url

    def pages(self) -> Iterator[tuple[str | None, str | None, int, str]]:
        yield from self.db.execute(
            "SELECT source_key, connection, position, body FROM pages ORDER BY seq")

    def failures(self) -> pd.DataFrame:
        rows = self.db.execute("SELECT url, status, error FROM failures ORDER BY url").fetchall()
        return _typed_frame(rows, _FAILURE_COLUMNS)


def _typed_frame(rows: list, columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


class _Crawl:
    """One run of a crawl: breadth first, a level at a time, bounded concurrency."""

    def __init__(self, client: Mixcloud, store: _Store, seeds: list[str],
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
        if len(self.found) >= _SPILL:
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


_CHUNK = 20_000  # records flattened at a time: bounds the memory of building the tables


def _tables(store: _Store, max_items: int | None) -> tuple[dict[str, pd.DataFrame],
                                                           pd.DataFrame]:
    """Derive the resource tables and the edges from the stored pages, in arrival order."""
    pending: dict[str, list[dict]] = {}
    parts: dict[str, list[pd.DataFrame]] = {}
    kept: set[str] = set()
    edges: dict[str, list] = {column: [] for column in _EDGE_COLUMNS}

    def flush(kind: str) -> None:
        rows = pending.pop(kind, [])
        if rows:
            parts.setdefault(kind, []).append(frames.to_frame(rows, type=kind))

    for source_key, connection, position, body in store.pages():
        data = json.loads(body)
        items = [data] if connection is None else (data.get("data") or [])
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if not isinstance(key, str):
                continue
            if key not in kept and (max_items is None or len(kept) < max_items):
                kept.add(key)
                kind = _table_type(item.get("type"))
                pending.setdefault(kind, []).append(item)
                if len(pending[kind]) >= _CHUNK:
                    flush(kind)
            if connection is not None and key in kept:
                for column, value in zip(edges, (source_key, connection, key, position + index)):
                    edges[column].append(value)
    for kind in list(pending):
        flush(kind)
    tables = {TABLES.get(kind, _OTHER): (chunks[0] if len(chunks) == 1 else
                                       pd.concat(chunks, ignore_index=True))
              for kind, chunks in parts.items()}
    return tables, pd.DataFrame(edges).astype(_EDGE_COLUMNS)


@dataclass
class CrawlResult:
    """What a crawl collected.

    Attributes
    ----------
    tables : dict of str to DataFrame
        One table per resource type met (``users``, ``cloudcasts``, ``tags``, ``comments``,
        ``feed``...); each is also an attribute (``result.users``). A type not met gives an
        empty table with the type's columns.
    edges : DataFrame
        ``source_key``, ``connection``, ``target_key``, ``position`` (the target's index in the
        source's list): one row per list entry.
    failures : DataFrame
        ``url`` (secrets removed), ``status``, ``error``: URLs that still failed after the
        client's retries. Nothing failed silently.
    stats : dict
        ``requests``, ``pages``, ``pages_from_store``, ``items``, ``edges``, ``failures``,
        ``retries``, ``rate_limit_waits``, ``elapsed_s``.
    """

    tables: dict[str, pd.DataFrame]
    edges: pd.DataFrame
    failures: pd.DataFrame
    stats: dict[str, Any]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        kinds = {table: kind for kind, table in TABLES.items()}
        if name in kinds:
            return frames.to_frame([], type=kinds[name])
        raise AttributeError(f"'CrawlResult' object has no attribute {name!r}")

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame)}" for name, frame in self.tables.items())
        return (f"<CrawlResult {sizes}, edges={len(self.edges)}, "
                f"failures={len(self.failures)}>")

    def _frames(self) -> dict[str, pd.DataFrame]:
        return {**self.tables, "edges": self.edges, "failures": self.failures}

    def _write(self, directory: str | os.PathLike, suffix: str, write) -> Path:
        folder = Path(directory)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, frame in self._frames().items():
                write(frame, folder / f"{name}.{suffix}")
            (folder / "stats.json").write_text(json.dumps(self.stats, indent=2))
        except OSError as error:
            raise OSError(f"cannot write the crawl to {str(folder)!r}: {error.strerror or error}"
                          ) from error
        return folder

    def to_parquet(self, directory: str | os.PathLike) -> Path:
        """Write one Parquet file per table (and ``stats.json``) into `directory`."""
        return self._write(directory, "parquet", lambda frame, path: frame.to_parquet(path))

    def to_csv(self, directory: str | os.PathLike) -> Path:
        """Write one CSV file per table (and ``stats.json``) into `directory`."""
        return self._write(directory, "csv", lambda frame, path: frame.to_csv(path, index=False))


def read_crawl(directory: str | os.PathLike) -> CrawlResult:
    """Load a crawl written by :meth:`CrawlResult.to_parquet` or :meth:`CrawlResult.to_csv`,
    with the same dtypes."""
    folder = Path(directory)
    files = {path.stem: path for path in folder.glob("*.parquet")}
    if not files:
        files = {path.stem: path for path in folder.glob("*.csv")}
    if "edges" not in files:
        raise FileNotFoundError(f"no crawl written in {str(folder)!r} (no edges.parquet or "
                                "edges.csv)")
    kinds = {table: kind for kind, table in TABLES.items()}

    def load(name: str, path: Path) -> pd.DataFrame:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if name == "edges":
            return pd.read_csv(path).astype(_EDGE_COLUMNS)
        if name == "failures":
            return pd.read_csv(path).astype(_FAILURE_COLUMNS)
        return frames.read_csv(path, type=kinds.get(name))

    loaded = {name: load(name, path) for name, path in files.items()}
    stats_file = folder / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    edges, failures = loaded.pop("edges"), loaded.pop("failures", _typed_frame([], _FAILURE_COLUMNS))
    return CrawlResult(loaded, edges, failures, stats)


def _progress_bar(progress: Any):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(desc="crawl", unit=" pages", dynamic_ncols=True)


async def acrawl(seeds: Any, *, connections: Any = None, depth: int = 1,
                 max_items: int | None = None, page_size: int = MAX_PAGE_SIZE,
                 concurrency: int = 8, store: str | os.PathLike | None = None,
                 resume: bool = True, progress: bool = True, client: Any = None,
                 **client_options: Any) -> CrawlResult:
    """Crawl from `seeds`, following `connections` `depth` hops out (see :func:`crawl`)."""
    if isinstance(seeds, str) or hasattr(seeds, "data"):
        seeds = [seeds]
    elif not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a key, a URL, a resource or a list of them, got "
                        f"{type(seeds).__name__}")
    seed_keys = [_seed_key(seed) for seed in seeds]
    if not seed_keys:
        raise ValueError("seeds must name at least one resource")
    for name, value, minimum in (("depth", depth, 0), ("page_size", page_size, 1),
                                 ("concurrency", concurrency, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    hops = _hops(connections, depth)
    if page_size > MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be at most {MAX_PAGE_SIZE} (the API's largest page)")
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int)
                                  or max_items < 1):
        raise ValueError(f"max_items must be an int >= 1 or None, got {max_items!r}")
    if client is not None and client_options:
        raise TypeError(f"pass either client or client options ({', '.join(client_options)})")
    inner = getattr(client, "async_client", client)  # a MixcloudSync's async client
    own_client = inner is None
    if own_client:
        inner = Mixcloud(**client_options)
    elif not isinstance(inner, Mixcloud):
        raise TypeError(f"client must be a Mixcloud or MixcloudSync, got {type(client).__name__}")
    identity = {"seeds": seed_keys,
                "connections": [{k: list(v) for k, v in hop.items()} for hop in hops],
                "depth": depth, "max_items": max_items, "page_size": page_size,
                "api_root": inner.api_url("/").rstrip("/")}
    storage = _Store(store)
    bar = _progress_bar(progress)
    previous_on_wait = inner.on_wait
    if bar is not None:
        inner.on_wait = lambda seconds, reason: bar.write(f"{reason}: waiting {seconds:.0f} s",
                                                          file=sys.stderr)
    before = (inner.stats.requests, inner.stats.retries, inner.stats.rate_limit_waits)
    started = time.monotonic()
    try:
        storage.claim(identity, resume=resume)
        run = _Crawl(inner, storage, seed_keys, hops, max_items=max_items,
                     page_size=page_size, concurrency=concurrency, progress=bar)
        await run.run()
        tables, edges = _tables(storage, max_items)
        failures = storage.failures()
    finally:
        inner.on_wait = previous_on_wait
        if bar is not None:
            bar.close()
        storage.close()
        if own_client:
            await inner.close()
    stats = {"requests": inner.stats.requests - before[0], "pages": run.pages,
             "pages_from_store": run.pages_from_store,
             "items": sum(len(frame) for frame in tables.values()), "edges": len(edges),
             "failures": len(failures), "retries": inner.stats.retries - before[1],
             "rate_limit_waits": inner.stats.rate_limit_waits - before[2],
             "elapsed_s": round(time.monotonic() - started, 3)}
    return CrawlResult(tables, edges, failures, stats)


def crawl(seeds: Any, *, connections: Any = None, depth: int = 1, max_items: int | None = None,
          page_size: int = MAX_PAGE_SIZE, concurrency: int = 8,
          store: str | os.PathLike | None = None, resume: bool = True, progress: bool = True,
          client: Any = None, **client_options: Any) -> CrawlResult:
    """Crawl Mixcloud from `seeds` into tables.

    Blocks until done; works in scripts and in notebook cells alike (it runs on mixframe's
    private event loop). Use :func:`acrawl` to ``await`` it instead.

    Parameters
    ----------
    seeds : str, resource, or list of them
        Keys (``"spartacus"``), website or API URLs, or resources. Each is fetched in full.
    connections : list of str, dict of type to list of str, or a list of those per hop
        Connections to follow: for every resource type that has them
        (``["followers", "cloudcasts"]``), or per type (``{"user": ["followers"],
        "cloudcast": ["comments"]}``), the same at every hop; or one such spec per hop,
        ``[["followers"], ["cloudcasts"]]`` (a user's followers, then their shows), with
        ``depth`` equal to the number of hops. See :data:`CONNECTIONS`.
    depth : int
        Hops from the seeds: 0 fetches only the seeds, 1 (default) also the items of their
        connections, 2 the connections of those items too, and so on.
    max_items : int, optional
        Most resources stored, seeds included.
    page_size : int
        Items per page requested (the API serves at most 100).
    concurrency : int
        Lists walked at the same time.
    store : path, optional
        SQLite file keeping the raw pages as they arrive, and the frontier (the lists still to
        walk). With ``resume=True`` (default) the same call continues an interrupted crawl
        without fetching any stored page again; ``resume=False`` starts it over. A store of
        another crawl is refused. Without it, both go to a temporary SQLite database, in
        memory while small and in a file deleted at the end once large (in ``TMPDIR``).
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in notebooks, text in terminals), with
        a line for every rate-limit wait.
    client : Mixcloud or MixcloudSync, optional
        Client to crawl with; otherwise one is made from `client_options` (``access_token``,
        ``api_root``, ``retries``, ``transport``...) and closed at the end.

    Returns
    -------
    CrawlResult

    Raises
    ------
    ValueError, TypeError
        For bad arguments (unknown connection names, negative depth...), before any request.
    """
    from .sync import _runner

    return _runner.run(acrawl(seeds, connections=connections, depth=depth, max_items=max_items,
                              page_size=page_size, concurrency=concurrency, store=store,
                              resume=resume, progress=progress, client=client,
                              **client_options))
