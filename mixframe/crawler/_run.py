"""Running a crawl: :func:`acrawl` and its blocking twin :func:`crawl`."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

from .._api import MAX_PAGE_SIZE
from ..core import Mixcloud
from ._result import CrawlResult
from ._spec import hops_of, seed_key
from ._store import Store, StoreError, stamp
from ._tables import build_tables
from ._walk import Walk, shown_url

__all__ = ["acrawl", "crawl"]

logger = logging.getLogger("mixframe.crawler")


def _say(bar: Any, message: str) -> None:
    """Tell the user how the crawl goes: in the progress bar's output, and on the log."""
    logger.info(message)
    if bar is not None:
        bar.write(message)


def _progress_bar(progress: Any):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(desc="crawl", unit=" pages", dynamic_ncols=True)


def _seconds(max_age: Any) -> float | None:
    """`max_age` (seconds or a timedelta) in seconds, checked."""
    if max_age is None:
        return None
    if isinstance(max_age, timedelta):
        seconds = max_age.total_seconds()
    elif isinstance(max_age, (int, float)) and not isinstance(max_age, bool):
        seconds = float(max_age)
    else:
        raise TypeError(f"max_age must be seconds (a number) or a timedelta, got "
                        f"{type(max_age).__name__}")
    if not seconds >= 0:
        raise ValueError(f"max_age must be >= 0, got {max_age!r}")
    return seconds


async def acrawl(seeds: Any, *, connections: Any = None, depth: int = 1,
                 max_items: int | None = None, page_size: int = MAX_PAGE_SIZE,
                 concurrency: int = 8, store: str | os.PathLike | None = None,
                 resume: bool = True, details: bool = False, refresh: bool = False,
                 max_age: float | timedelta | None = None, progress: bool = True,
                 client: Any = None, **client_options: Any) -> CrawlResult:
    """Crawl from `seeds`, following `connections` `depth` hops out (see :func:`crawl`)."""
    if isinstance(seeds, str) or hasattr(seeds, "data"):
        seeds = [seeds]
    elif not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a key, a URL, a resource or a list of them, got "
                        f"{type(seeds).__name__}")
    seed_keys = [seed_key(seed) for seed in seeds]
    if not seed_keys:
        raise ValueError("seeds must name at least one resource")
    for name, value, minimum in (("depth", depth, 0), ("page_size", page_size, 1),
                                 ("concurrency", concurrency, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    hops = hops_of(connections, depth)
    if page_size > MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be at most {MAX_PAGE_SIZE} (the API's largest page)")
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int)
                                  or max_items < 1):
        raise ValueError(f"max_items must be an int >= 1 or None, got {max_items!r}")
    for name, flag in (("details", details), ("refresh", refresh), ("resume", resume)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    max_age_s = _seconds(max_age)
    where = "" if store is None else os.fspath(store)
    if max_age_s is not None and not refresh:
        raise ValueError("max_age applies to a refresh: pass refresh=True too")
    if refresh:
        if store is None:
            raise ValueError("refresh=True needs store=, the store of a finished crawl")
        if not resume:
            raise ValueError("refresh=True continues the crawl in the store; resume=False "
                             "would discard it: pass one or the other")
        if not os.path.exists(store):
            raise FileNotFoundError(f"refresh=True needs the store of a finished crawl: "
                                    f"{where!r} does not exist")
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
    storage: Store | None = None
    bar: Any = None
    previous_on_wait = inner.on_wait
    before = (inner.stats.requests, inner.stats.retries, inner.stats.rate_limit_waits)
    started = time.monotonic()
    try:
        storage = Store(store)
        stored = storage.claim(identity, resume=resume)
        state = storage.state()
        refreshing = refresh and state.finished
        if refresh and not refreshing and not (stored and state.generation):
            raise StoreError(
                f"{storage.name} holds no finished crawl to refresh: run the crawl without "
                "refresh=True (the command line's --refresh) to finish it first")
        if refreshing:
            state = storage.begin_refresh(datetime.now(timezone.utc))
        bar = _progress_bar(progress)
        if refreshing:
            _say(bar, f"refreshing {where}: {stored} page{'' if stored == 1 else 's'} "
                      "stored; every list is walked again from its first page, up to what "
                      "the store holds")
        elif stored and store is not None:
            _say(bar, f"resuming {'the refresh ' if state.generation else ''}from {where}: "
                      f"{stored} page{'' if stored == 1 else 's'} already stored")
        if bar is not None:  # information, not a warning: in the bar, until the next page
            inner.on_wait = lambda seconds, reason: bar.set_postfix_str(
                f"{reason}: waiting {seconds:.0f} s" + ("" if inner.stats.pace is None else
                                                       f", then {inner.stats.pace:.3g}/s"))
        refetch_before = None
        if max_age_s is not None and state.refresh_started is not None:
            began = datetime.fromisoformat(state.refresh_started.replace("Z", "+00:00"))
            refetch_before = stamp(began - timedelta(seconds=max_age_s))
        run = Walk(inner, storage, seed_keys, hops, max_items=max_items,
                   page_size=page_size, concurrency=concurrency, progress=bar,
                   details=details, generation=state.generation,
                   refetch_before=refetch_before)
        await run.run()
        tables, side_tables, edges = await build_tables(run.kept())
        storage.finish()
        failures = storage.failures()
        failures["url"] = pd.array([shown_url(url) for url in failures["url"]], dtype="string")
        if run.stopped_at_max_items:
            _say(bar, "stopped at max_items: the crawl is incomplete")
    except sqlite3.Error as error:
        if storage is None:
            raise
        raise storage.explain(error) from error
    finally:
        inner.on_wait = previous_on_wait
        if bar is not None:
            bar.close()
        if storage is not None:
            storage.close()
        if own_client:
            await inner.close()
    stats = {"requests": inner.stats.requests - before[0], "pages": run.pages,
             "pages_from_store": run.pages_from_store,
             "items": sum(len(frame) for frame in tables.values()), "edges": len(edges),
             "failures": len(failures), "retries": inner.stats.retries - before[1],
             "rate_limit_waits": inner.stats.rate_limit_waits - before[2],
             "stopped_at_max_items": run.stopped_at_max_items, "details": run.details_fetched,
             "refreshes": state.generation, "elapsed_s": round(time.monotonic() - started, 3)}
    return CrawlResult(tables, edges, failures, stats, side_tables)


def crawl(seeds: Any, *, connections: Any = None, depth: int = 1, max_items: int | None = None,
          page_size: int = MAX_PAGE_SIZE, concurrency: int = 8,
          store: str | os.PathLike | None = None, resume: bool = True, details: bool = False,
          refresh: bool = False, max_age: float | timedelta | None = None,
          progress: bool = True, client: Any = None, **client_options: Any) -> CrawlResult:
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
        Most resources kept, seeds included: the first ones in a fixed order (the seeds, then
        level by level, the lists in the order they were found, each list in its order), so
        the same call keeps the same resources whatever the timing. The crawl stops at the
        first resource beyond it (``result.stats["stopped_at_max_items"]``); entries after it
        are left out of the edges too.
    page_size : int
        Items per page requested (the API serves at most 100).
    concurrency : int
        Lists walked at the same time.
    store : path, optional
        SQLite file keeping the raw pages as they arrive, and the frontier (the lists still to
        walk). With ``resume=True`` (default) the same call continues an interrupted crawl
        without fetching any stored page again (and says so: "resuming from ...: N pages
        already stored"); ``resume=False`` starts it over. One crawl at a time: a store in use
        by another crawl, a store of another crawl and a database that is not a store are
        refused before anything is changed. Without it, both go to a temporary SQLite
        database, in memory while small and in a file deleted at the end once large (in
        ``TMPDIR``).
    details : bool
        Also fetch the detail page of every resource kept that has one (users, shows, tags,
        categories, playlists: :data:`mixframe._api.DETAIL_TYPES`), so that rows are full: a
        list gives a user's name and picture, not their counts, city or dates. About one more
        request per resource, made once the lists are walked by the same `concurrency`
        workers, stored and resumable like every page; a seed's page is its detail page and
        is not fetched twice. The detail page's fields win over the list item's.
        ``stats["details"]`` counts the detail pages fetched (the seeds' included).
    refresh : bool
        Bring the finished crawl in `store` (the same seeds, connections and settings) up to
        date: every list is walked again from its first page and stops at the first page
        whose entries the store already holds (lists come newest first), then goes on with
        the stored rest of the list; new resources get their details. The result holds the
        whole crawl, old and new rows. It cannot see entries removed or changed deep in a
        list (a list walked to its end is seen whole): ``resume=False`` re-walks everything.
        An interrupted refresh resumes with the same call.
    max_age : float or datetime.timedelta, optional
        With `refresh`: also fetch again the detail pages (the seeds' included) fetched more
        than `max_age` (seconds) before the refresh started; ``0`` fetches them all. Without
        it, stored detail pages are kept.
    progress : bool
        Show a progress bar (``tqdm.auto``: a widget in notebooks, text in terminals), with
        rate-limit waits and the pace learned from them in its postfix, and lines saying when the crawl resumes and when it
        stopped at `max_items`. Without it, these lines go to the ``mixframe.crawler`` logger
        (INFO) only.
    client : Mixcloud or MixcloudSync, optional
        Client to crawl with; otherwise one is made from `client_options` (``access_token``,
        ``api_root``, ``retries``, ``transport``...) and closed at the end.

    Returns
    -------
    CrawlResult
        Its tables, with ``fetched_at`` and ``fetched_from`` (where each row comes from), and
        ``cloudcast_tags`` among its side tables.

    Examples
    --------
    >>> network = crawl("spartacus", connections=[["followers"], ["cloudcasts"]], depth=2,
    ...                 details=True, store="spartacus.sqlite")          # doctest: +SKIP
    >>> later = crawl("spartacus", connections=[["followers"], ["cloudcasts"]], depth=2,
    ...               details=True, store="spartacus.sqlite", refresh=True,
    ...               max_age=7 * 24 * 3600)                             # doctest: +SKIP

    Raises
    ------
    ValueError, TypeError
        For bad arguments (unknown connection names, negative depth...), before any request.
    FileNotFoundError
        `refresh` with a `store` that does not exist.
    StoreError
        `refresh` on a store without a finished crawl; or the store cannot be used: :class:`StoreLockedError` (another crawl runs on it),
        :class:`NotAStoreError` (not a mixframe store; left untouched),
        :class:`StoreMismatchError` (it holds another crawl; the message names the settings
        that differ), or a damaged store or a full disk (every page stored so far is kept:
        free some space and run the same call again). A store of another crawl and a database
        that is not a store are also ``ValueError``.
    """
    from ..sync import _runner

    return _runner.run(acrawl(seeds, connections=connections, depth=depth, max_items=max_items,
                              page_size=page_size, concurrency=concurrency, store=store,
                              resume=resume, details=details, refresh=refresh,
                              max_age=max_age, progress=progress, client=client,
                              **client_options))
