"""Async functions on frames of Mixcloud rows: the work behind ``df.mixcloud``.

Each function takes a :class:`pandas.DataFrame` with a ``key`` column of Mixcloud keys
(``/spartacus/``, ``/spartacus/party-time/``), such as the tables of
:func:`mixframe.frames.page_frame`, :func:`mixframe.frames.to_frame` and :func:`mixframe.crawl`,
and returns a new object; none changes its input, and the access token is never written into a
frame, its ``attrs`` or a result. The ``df.mixcloud`` accessor runs them and blocks; in async
code (a notebook cell, an async script) await them directly::

    from mixframe import rows

    second = await rows.next_page(followers, client=mixcloud)
    details = await rows.load(followers.head(10), client=mixcloud)
    plan = await rows.act(followers.head(3), "follow", dry_run=True)

Exploration
    :func:`next_page`, :func:`previous_page` and :func:`all_pages` follow the paging links a page
    frame keeps in ``attrs["mixcloud"]``; :func:`load` fetches every row's full details;
    :func:`connection` fetches a connection (``"followers"``, ``"comments"`` ...) of every row.
    Lists are walked by :class:`mixframe.paging.ListWalk`, so they stop by its rules.
Actions
    :func:`act` follows or unfollows user rows; favorites, reposts or adds to Listen Later
    (and undoes it) cloudcast rows; one result row per input row.

Which client
------------
`client` is a :class:`~mixframe.Mixcloud`, awaited on the running event loop (use it on that loop
only), or a :class:`~mixframe.MixcloudSync`, whose requests run on mixframe's own loop thread
(reached from worker threads, so the running loop is never blocked). Without one, the default
client (:func:`mixframe.set_default_client`, set by the login widget) is used; functions that
need a client and have none raise a :class:`RuntimeError` saying how to set one.

Examples
--------
>>> import asyncio, pandas as pd
>>> from mixframe import rows
>>> shows = pd.DataFrame({"key": ["/spartacus/party-time/"]})
>>> asyncio.run(rows.act(shows, "favorite", dry_run=True)).loc[0, "message"]
'dry run: would favorite /spartacus/party-time/'
"""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _urls
from ._api import ACTIONS, CONNECTIONS, RESOURCE_TYPES, connection_item_type, key_type
from ._redact import redact
from .decorators import check_bool, check_int, pagination_params, require_token
from .defaults import get_default_client, resolve_client
from .frames import page_frame, to_frame
from .paging import DEFAULT_MAX_PAGES, ListWalk, check_page, page_items
from .sync import MixcloudSync

__all__ = ["ALL_PAGES_MAX_PAGES", "RESULT_COLUMNS", "act", "all_pages", "connection", "load",
           "next_page", "previous_page"]

#: Pages :func:`all_pages` fetches at most unless told otherwise, the page in hand included:
#: 2,000 to 10,000 rows (20 to 100 a page), enough to explore, and a bound on a request typed
#: in a hurry on a list of a million items. ``max_pages=None`` goes on to
#: :data:`mixframe.paging.DEFAULT_MAX_PAGES`.
ALL_PAGES_MAX_PAGES = 100

#: Columns (and dtypes) of an action's result frame.
RESULT_COLUMNS: dict[str, str] = {"key": "string", "action": "string", "ok": "boolean",
                                  "message": "string", "error": "string"}

_CONNECTION_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_PAGING_NAMES = ("offset", "limit", "since", "until", "page", "per_page")
_ERRORS = ("raise", "skip")
#: Where pages come from, for the error raised on a frame that is not one.
_PAGE_SOURCES = ("frames.page_frame(), ResourceList.to_frame(), next_page() or all_pages()")


# ------------------------------------------------------------------------------------------
# frames and their rows

def _key_column_help(frame: pd.DataFrame) -> str:
    """What a frame without a ``key`` column needs, naming its columns."""
    shown = ", ".join(map(repr, list(frame.columns)[:8])) or "none"
    return ("a 'key' column of Mixcloud keys such as '/spartacus/' or '/spartacus/party-time/' "
            f"(this frame's columns: {shown}). Build tables with mixframe.frames.page_frame / "
            "to_frame or mixframe.crawl, or rename your column: "
            "df.rename(columns={'id': 'key'})")


def _require_key_column(frame: Any) -> pd.DataFrame:
    """`frame`, checked to be a DataFrame with a ``key`` column (ValueError, TypeError)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if "key" not in frame.columns:
        raise ValueError(f"the frame needs {_key_column_help(frame)}")
    return frame


def _frame_meta(frame: pd.DataFrame) -> dict[str, Any]:
    meta = frame.attrs.get("mixcloud")
    return dict(meta) if isinstance(meta, dict) else {}


def _frame_type(frame: pd.DataFrame) -> str | None:
    """The rows' type recorded in ``attrs["mixcloud"]``, or None."""
    kind = _frame_meta(frame).get("type")
    return kind if isinstance(kind, str) and kind else None


def _frame_keys(frame: pd.DataFrame) -> list[str | None]:
    """Every row's key as a str, None where it is missing."""
    column = frame["key"]
    if isinstance(column, pd.DataFrame):   # duplicated column name: the first one
        column = column.iloc[:, 0]
    return [None if value is None or value is pd.NA or
            (isinstance(value, float) and value != value)
            else value if isinstance(value, str) else str(value)
            for value in column.tolist()]


def _row_type(key: str, frame_type: str | None) -> str | None:
    """Type of a row: the frame's type when it is a known one, else the key's shape."""
    if frame_type in RESOURCE_TYPES:
        return frame_type
    return key_type(key)


def _page_meta(frame: pd.DataFrame, function: str) -> dict[str, Any]:
    """The paging record of a page frame; a clear error for a frame that is not a page."""
    meta = _frame_meta(frame)
    if "next" not in meta or "previous" not in meta:
        raise ValueError(
            f"{function}() needs a page of a list, and this frame is not one: its "
            "attrs['mixcloud'] holds no paging links. Pages come from "
            f"{_PAGE_SOURCES}; a crawl table, a connection() result or a pd.concat of pages "
            "(pandas drops attrs that differ) is not one. To walk a list, start from one of "
            "its pages: page_frame(client.fetch('spartacus/followers'))")
    return meta


# -- keeping a page's columns -----------------------------------------------------------------

def _nullable(dtype: Any) -> Any:
    """`dtype`, or its nullable twin when it cannot hold a missing value (numpy int, bool)."""
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return pd.array(np.empty(0, dtype=dtype)).dtype
    return dtype


def _cast(column: pd.Series, dtype: Any) -> pd.Series:
    """`column` as `dtype` (or its nullable twin) when its values allow, else unchanged."""
    if column.dtype == dtype:
        return column
    for wanted in dict.fromkeys((dtype, _nullable(dtype))):
        try:
            return column.astype(wanted)
        except (TypeError, ValueError, OverflowError):
            continue
    return column


def _conform(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `like`'s columns first, in order and with their dtypes where the values
    allow (missing ones empty, numpy ints and bools as their nullable twins, so that the two
    frames concatenate without turning them into floats or objects), then its own new ones."""
    columns: dict[Any, Any] = {}
    for name in dict.fromkeys(like.columns):
        reference = like[name]
        if isinstance(reference, pd.DataFrame):   # duplicated column name: leave it
            continue
        if name in frame.columns:
            columns[name] = _cast(frame[name], reference.dtype)
        else:
            columns[name] = pd.Series(index=frame.index, dtype=_nullable(reference.dtype))
    for name in frame.columns:
        if name not in columns:
            columns[name] = frame[name]
    result = pd.DataFrame(columns, index=frame.index)
    result.attrs = dict(frame.attrs)
    return result


def _concat(first: pd.DataFrame, rest: pd.DataFrame) -> pd.DataFrame:
    """`first` then `rest` (already conformed to it), with a fresh index and `first`'s dtypes
    where the values allow."""
    if rest.empty:
        result = first.reset_index(drop=True)
    elif first.empty:
        result = rest.reset_index(drop=True)
    else:
        result = pd.concat([first, rest], ignore_index=True)
    for name in first.columns:
        if name in result.columns and not isinstance(result[name], pd.DataFrame):
            wanted = first[name].dtype if not first.empty else rest[name].dtype
            result[name] = _cast(result[name], wanted)
    return result


# ------------------------------------------------------------------------------------------
# the client

def _chosen_client(client: Any) -> Any:
    """`client`, else the default client, checked (RuntimeError saying how to set one)."""
    chosen = client if client is not None else get_default_client()
    resolve_client(chosen)
    return chosen


async def _call(client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``await client.<method>(...)``. A MixcloudSync's session lives on mixframe's own loop
    thread: its blocking twin runs in a worker thread, so this loop is never blocked and the
    session never leaves its loop."""
    if isinstance(client, MixcloudSync):
        return await asyncio.to_thread(getattr(client, method), *args, **kwargs)
    return await getattr(client, method)(*args, **kwargs)


def _fetcher(client: Any) -> Callable[[str], Awaitable[dict[str, Any]]]:
    """The page fetcher a walk needs: an absolute API URL to its decoded body."""
    async def fetch(url: str) -> dict[str, Any]:
        return await _call(client, "fetch", url, relative=False)

    return fetch


async def _bounded(function: Callable[[Any], Awaitable[Any]], items: Sequence[Any],
                   concurrency: int, stop_on_error: bool) -> list[Any]:
    """``[await function(item) ...]`` with at most `concurrency` at once; an exception is
    returned in place of its result. With `stop_on_error`, items not started when one fails
    are skipped (their place holds :data:`_SKIPPED`)."""
    semaphore = asyncio.Semaphore(concurrency)
    failed = False

    async def one(item: Any) -> Any:
        nonlocal failed
        async with semaphore:
            if failed:
                return _SKIPPED
            try:
                return await function(item)
            except Exception as error:   # recorded; the caller decides
                if stop_on_error:
                    failed = True
                return error

    return await asyncio.gather(*(one(item) for item in items))


_SKIPPED = object()


def _raise_first(outcomes: Sequence[Any], keys: Sequence[Any], what: str) -> None:
    for key, outcome in zip(keys, outcomes):
        if isinstance(outcome, BaseException):
            outcome.add_note(f"while {what} {key!r} (pass errors='skip' to leave such rows "
                             f"out)")
            raise outcome


def _warn_skipped(failures: list[tuple[str, BaseException]], what: str) -> None:
    if failures:
        shown = ", ".join(f"{key} ({type(error).__name__})" for key, error in failures[:5])
        more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
        warnings.warn(f"{what} failed for {len(failures)} row(s), left out: {shown}{more}",
                      RuntimeWarning, stacklevel=3)


def _check_errors(errors: Any) -> None:
    if errors not in _ERRORS:
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")


def _check_max_pages(value: Any) -> int | None:
    return None if value is None else check_int("max_pages", value, minimum=1)


# ------------------------------------------------------------------------------------------
# exploration

async def _adjacent(frame: Any, which: str, client: Any) -> pd.DataFrame | None:
    meta = _page_meta(_require_key_column(frame), f"{which}_page")
    url = meta.get(which)
    if not isinstance(url, str) or not url:
        return None
    body = await _call(_chosen_client(client), "fetch", url, relative=False)
    check_page(body, url)
    return _conform(page_frame(body, type=_frame_type(frame), url=url), frame)


async def next_page(frame: pd.DataFrame, *, client: Any = None) -> pd.DataFrame | None:
    """Fetch the page after the page `frame`, with the same columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        A page of a list: a frame from :func:`~mixframe.frames.page_frame`,
        :meth:`ResourceList.to_frame() <mixframe.ResourceList.to_frame>`, :func:`next_page`
        or :func:`all_pages`, whose ``attrs["mixcloud"]`` keeps the paging links.
    client : Mixcloud or MixcloudSync, optional
        Client to send the request with; the default client when omitted.

    Returns
    -------
    pandas.DataFrame or None
        The next page: `frame`'s columns first, in order and with their dtypes where the
        values allow (columns the page lacks are empty; numpy ints and bools become their
        nullable twins so that they can be), then fields this page adds, so that
        ``pd.concat([frame, page])`` keeps every column's kind. Its ``attrs["mixcloud"]``
        describes the new page, so calls chain. ``None`` on the last page of the list.

    Raises
    ------
    ValueError
        If `frame` is not a page of a list (a crawl table, a concat of pages): it has no
        paging links, so there is no next page to tell apart from the last one.
    RuntimeError
        If there is a next page, no client is given and no default is set.
    mixframe.MixcloudError
        If the API answers with an error.

    Examples
    --------
    >>> first = page_frame(mixcloud.fetch("NTSRadio/cloudcasts", limit=20))  # doctest: +SKIP
    >>> second = await rows.next_page(first, client=mixcloud)               # doctest: +SKIP
    """
    return await _adjacent(frame, "next", client)


async def previous_page(frame: pd.DataFrame, *, client: Any = None) -> pd.DataFrame | None:
    """Fetch the page before the page `frame`, with the same columns.

    The API gives the first page of a dated list (newest first) a ``previous`` link to newer
    items: fetching it gives an empty frame when there are none.

    Parameters
    ----------
    frame : pandas.DataFrame
        A page of a list, as for :func:`next_page`.
    client : Mixcloud or MixcloudSync, optional
        Client to send the request with; the default client when omitted.

    Returns
    -------
    pandas.DataFrame or None
        The previous page, with `frame`'s columns as for :func:`next_page`, or ``None`` when
        the page has no ``previous`` link.

    Raises
    ------
    ValueError
        If `frame` is not a page of a list.
    RuntimeError
        If there is a previous page, no client is given and no default is set.
    mixframe.MixcloudError
        If the API answers with an error.

    Examples
    --------
    >>> back = await rows.previous_page(second, client=mixcloud)   # doctest: +SKIP
    >>> back.key.equals(first.key)                                   # doctest: +SKIP
    True
    """
    return await _adjacent(frame, "previous", client)


async def all_pages(frame: pd.DataFrame, *, max_pages: int | None = ALL_PAGES_MAX_PAGES,
                    client: Any = None, progress: bool = True) -> pd.DataFrame:
    """The page `frame` and the ones after it, in one frame.

    Follows ``next`` links with :class:`mixframe.paging.ListWalk`, so the walk stops where the
    list ends (a last page, an empty page, a loop, a page that brings nothing new) or at
    `max_pages`. Each item is kept once.

    Parameters
    ----------
    frame : pandas.DataFrame
        A page of a list, as for :func:`next_page`.
    max_pages : int or None, default :data:`ALL_PAGES_MAX_PAGES` (100)
        Most pages in the result, this one included (``1`` returns a copy of this page and
        sends nothing). ``None`` goes on to :data:`mixframe.paging.DEFAULT_MAX_PAGES`, which
        bounds every walk. When the default bound stops a list that goes on, a
        :class:`RuntimeWarning` says so; call ``all_pages()`` on the result to continue.
    client : Mixcloud or MixcloudSync, optional
        Client to send the requests with; the default client when omitted.
    progress : bool, default True
        Show a progress bar (``tqdm.auto``: a widget in notebooks, text in terminals). A list
        that ends is a success: the bar's total becomes the pages fetched (a full, green bar
        in notebooks). A bar left short (red in notebooks) means the walk failed.

    Returns
    -------
    pandas.DataFrame
        The rows of every page in list order, with a fresh index, this frame's columns first
        (as for :func:`next_page`). ``attrs["mixcloud"]["next"]`` is the link after the last
        page fetched (``None`` at the end of the list), so a stopped walk can be continued.

    Raises
    ------
    ValueError
        If `frame` is not a page of a list, or `max_pages` is not >= 1.
    TypeError
        If `max_pages` is not an int or None.
    RuntimeError
        If there is a next page, no client is given and no default is set.
    mixframe.MixcloudError
        If the API answers with an error.

    Examples
    --------
    >>> first = page_frame(mixcloud.fetch("NTSRadio/cloudcasts", limit=100))  # doctest: +SKIP
    >>> shows = await rows.all_pages(first, client=mixcloud)                  # doctest: +SKIP
    >>> five = await rows.all_pages(first, max_pages=5, progress=False)       # doctest: +SKIP
    """
    meta = _page_meta(_require_key_column(frame), "all_pages")
    bound = _check_max_pages(max_pages)
    check_bool("progress", progress)
    url = meta.get("next")
    if bound == 1 or not isinstance(url, str) or not url:
        return frame.copy()
    fetch = _fetcher(_chosen_client(client))
    total = (bound if bound is not None else DEFAULT_MAX_PAGES + 1)
    walk = ListWalk(fetch, url, max_pages=total - 1)   # the page in hand is the first
    known = set(_frame_keys(frame))
    records: list[Any] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=1, desc=str(meta.get("list_name") or "pages"),
                   unit=" pages", dynamic_ncols=True)
    try:
        async for page in walk:
            items = page_items(page)
            for position in walk.new_positions:
                item = items[position]
                if item.get("key") not in known:
                    records.append(item)
            if bar is not None:
                bar.update(1)
        if bar is not None and walk.complete:
            bar.total = bar.n   # the list ended: that is all there is
            bar.refresh()
    finally:
        if bar is not None:
            bar.close()
    if walk.stopped == "max_pages" and max_pages in (None, ALL_PAGES_MAX_PAGES):
        warnings.warn(f"all_pages() stopped after {total} pages (max_pages={max_pages}) and "
                      "the list goes on: call all_pages() on the result to continue, or pass "
                      "a larger max_pages", RuntimeWarning, stacklevel=2)
    body = {"data": records, "paging": {"next": walk.next_url}, "name": meta.get("list_name")}
    rest = page_frame(body, type=_frame_type(frame), url=meta.get("url"))
    following = rest.attrs["mixcloud"]["next"]
    result = _concat(frame, _conform(rest, frame))
    result.attrs = {**frame.attrs, "mixcloud": {**meta, "next": following}}
    return result


async def load(frame: pd.DataFrame, *, client: Any = None, concurrency: int = 8,
               errors: str = "raise") -> pd.DataFrame:
    """Fetch the full details of every row: one request per distinct key.

    List items are partial (a show listed in ``/cloudcasts/`` has no sections or
    description, a user in ``/followers/`` no biography); this gets the whole objects.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a ``key`` column.
    client : Mixcloud or MixcloudSync, optional
        Client to send the requests with; the default client when omitted.
    concurrency : int, default 8
        Requests in flight at once.
    errors : {"raise", "skip"}, default "raise"
        On a failed row (a deleted show, a key that names nothing): raise its
        :class:`~mixframe.MixcloudError` (no new request is started after the failure),
        or leave the row out with a :class:`RuntimeWarning` naming it.

    Returns
    -------
    pandas.DataFrame
        A frame of the same type, one row per input row in the same order and with the
        same index labels, built by :func:`~mixframe.frames.to_frame` from the full
        objects; ``attrs["mixcloud"]`` keeps this frame's provenance.

    Raises
    ------
    ValueError
        With ``errors="raise"``, for a row without a key, before any request.
    RuntimeError
        If no client is given and no default is set.
    mixframe.MixcloudError
        With ``errors="raise"``, the first row's error.

    Examples
    --------
    >>> followers = page_frame(mixcloud.fetch("spartacus/followers"))   # doctest: +SKIP
    >>> (await rows.load(followers, client=mixcloud))[["key", "biog"]]  # doctest: +SKIP
    """
    _require_key_column(frame)
    _check_errors(errors)
    check_int("concurrency", concurrency, minimum=1)
    keys = _frame_keys(frame)
    if errors == "raise" and None in keys:
        label = frame.index[keys.index(None)]
        raise ValueError(f"row {label!r} has no key (pass errors='skip' to leave such rows "
                         "out)")
    unique = list(dict.fromkeys(key for key in keys if key is not None))
    outcomes: list[Any] = []
    if unique:
        chosen = _chosen_client(client)

        async def fetch(key: str) -> dict[str, Any]:
            return await _call(chosen, "fetch", key)

        outcomes = await _bounded(fetch, unique, concurrency, errors == "raise")
    if errors == "raise":
        _raise_first(outcomes, unique, "loading")
    by_key = dict(zip(unique, outcomes))
    records, positions, failures = [], [], []
    for position, key in enumerate(keys):
        outcome: Any = by_key.get(key) if key is not None else ValueError("row has no key")
        if isinstance(outcome, dict):
            records.append(outcome)
            positions.append(position)
        else:
            failures.append((key or f"row {frame.index[position]!r}", outcome))
    _warn_skipped(failures, "load()")
    kind = _frame_type(frame)
    meta = _frame_meta(frame)
    meta.pop("type", None)
    result = to_frame(records, type=kind if kind in RESOURCE_TYPES else None, source=meta)
    result.index = frame.index.take(positions)
    return result


async def connection(frame: pd.DataFrame, name: str, *, client: Any = None,
                     max_pages: int | None = 1, concurrency: int = 8, errors: str = "raise",
                     **paging: Any) -> pd.DataFrame:
    """Fetch the connection `name` of every row, in one frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a ``key`` column.
    name : str
        The connection: for users ``"followers"``, ``"following"``, ``"cloudcasts"``,
        ``"favorites"``, ``"listens"``, ``"comments"``, ``"feed"``, ``"playlists"``; for
        cloudcasts ``"comments"``, ``"favorites"``, ``"listeners"``, ``"similar"``; for
        tags ``"popular"``, ``"hot"``, ``"new"``.
    client : Mixcloud or MixcloudSync, optional
        Client to send the requests with; the default client when omitted.
    max_pages : int or None, default 1
        Pages fetched per row: 1 gets the page the paging keywords describe, ``None``
        follows ``next`` links to the end of each list (bounded as every walk is, see
        :mod:`mixframe.paging`).
    concurrency : int, default 8
        Rows fetched at once.
    errors : {"raise", "skip"}, default "raise"
        On a failed row: raise its error, or leave it out with a :class:`RuntimeWarning`.
    **paging
        ``limit``, ``offset``, ``since``, ``until``, or ``page`` with ``per_page``, as for
        the client's list methods (checked the same way).

    Returns
    -------
    pandas.DataFrame
        The items of every row's list, rows in input order and items in list order (each
        once per list), with a ``source_key`` column (the row the item came from) after
        ``key`` and a fresh index. The same item appears once per row it is connected to; a
        key repeated in this frame is fetched, and listed, once. ``attrs["mixcloud"]`` holds
        the items' ``type`` and ``connection``; the result is not a page (it has no paging
        links).

    Raises
    ------
    ValueError, TypeError
        For an unknown connection of the rows' type or bad paging keywords, before any
        request.
    RuntimeError
        If no client is given and no default is set.
    mixframe.MixcloudError
        With ``errors="raise"``, the first failed row's error.

    Examples
    --------
    >>> users = crawl(["spartacus", "NTSRadio"], depth=0).users                  # doctest: +SKIP
    >>> fans = await rows.connection(users, "followers", limit=100)              # doctest: +SKIP
    >>> fans.groupby("source_key").size()                                        # doctest: +SKIP
    """
    _require_key_column(frame)
    if not isinstance(name, str) or not _CONNECTION_NAME.fullmatch(name.strip("/")):
        raise ValueError(f"name must be a connection name such as 'followers', got "
                         f"{name!r}")
    name = name.strip("/")
    unknown = sorted(set(paging) - set(_PAGING_NAMES))
    if unknown:
        raise TypeError(f"connection() got unexpected keyword argument(s) "
                        f"{', '.join(unknown)}; paging keywords are "
                        f"{', '.join(_PAGING_NAMES)}")
    params = pagination_params(**paging)
    _check_max_pages(max_pages)
    _check_errors(errors)
    check_int("concurrency", concurrency, minimum=1)
    keys = _frame_keys(frame)
    frame_type = _frame_type(frame)
    unique = list(dict.fromkeys(key for key in keys if key is not None))
    normalized: dict[str, str] = {}
    problems: dict[str, BaseException] = {}
    for key in unique:
        try:
            normalized[key] = _urls.normalize_key(key)
        except (TypeError, ValueError) as error:
            problems[key] = error
            continue
        kind = _row_type(normalized[key], frame_type)
        if kind in CONNECTIONS and name not in CONNECTIONS[kind]:
            raise ValueError(f"{kind} rows have no connection {name!r}; they have "
                             f"{', '.join(CONNECTIONS[kind])}")
        if kind in RESOURCE_TYPES and kind not in CONNECTIONS:
            raise ValueError(f"{kind} rows have no connections to fetch")
    if errors == "raise" and None in keys:
        label = frame.index[keys.index(None)]
        raise ValueError(f"row {label!r} has no key (pass errors='skip' to leave such rows "
                         "out)")
    if errors == "raise" and problems:
        key, problem = next(iter(problems.items()))
        raise ValueError(f"row key {key!r}: {problem} (pass errors='skip' to leave such "
                         "rows out)")
    fetched = [key for key in unique if key in normalized]
    outcomes: list[Any] = []
    if fetched:
        chosen = _chosen_client(client)
        api = resolve_client(chosen)
        fetch = _fetcher(chosen)

        async def walk_list(key: str) -> list[dict[str, Any]]:
            start = _urls.merge_query(api.api_url(f"{normalized[key]}{name}/"), params)
            walk = ListWalk(fetch, start, max_pages=max_pages)
            items: list[dict[str, Any]] = []
            async for page in walk:
                listed = page_items(page)
                items.extend(listed[position] for position in walk.new_positions)
            return items

        outcomes = await _bounded(walk_list, fetched, concurrency, errors == "raise")
    if errors == "raise":
        _raise_first(outcomes, fetched, f"fetching {name!r} of")
    by_key: dict[str, Any] = {**problems, **dict(zip(fetched, outcomes))}
    records, sources, failures = [], [], []
    for key in unique:
        outcome = by_key[key]
        if isinstance(outcome, list):
            records.extend(outcome)
            sources.extend([normalized[key]] * len(outcome))
        else:
            failures.append((key, outcome))
    failures += [(f"row {frame.index[position]!r}", ValueError("row has no key"))
                 for position, key in enumerate(keys) if key is None]
    _warn_skipped(failures, f"connection({name!r})")
    source = {"connection": name, "list_name": None, "url": None}
    if records:
        result = to_frame(records, source=source)
    else:   # no items: the connection's name tells their type
        source_types = {_row_type(key, frame_type) for key in normalized.values()}
        kind = connection_item_type(name, next(iter(source_types))
                                    if len(source_types) == 1 else None)
        result = to_frame([], type=kind, source=source)
    result.insert(1, "source_key", pd.array(sources, dtype="string"))
    return result


# ------------------------------------------------------------------------------------------
# actions

def _outcome(answer: Any, token: Any) -> tuple[bool, str | None, str | None]:
    """``(ok, message, error)`` of an action's answer."""
    data = getattr(answer, "data", answer)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        text = f"{error.get('type') or 'Error'}: {error.get('message') or 'no message'}"
        return False, None, redact(text, token)
    result = data.get("result") if isinstance(data, dict) else None
    if isinstance(result, dict):
        message = result.get("message")
        message = None if message is None else redact(message, token)
        if result.get("success") is True:
            return True, message, None
        return False, message, "the API did not report success"
    return False, None, redact(f"unexpected answer: {str(data)[:200]}", token)


async def act(frame: pd.DataFrame, action: str, *, client: Any = None, dry_run: bool = False,
              max_rows: int | None = 25) -> pd.DataFrame:
    """Apply `action` (``"follow"``, ``"favorite"`` ...) to every row, as the authorised user.

    One request per row, in row order. An error on a row (refused by the API, a network
    failure) is recorded in its result and the next row goes on. Rows of the wrong type
    (told by ``attrs["mixcloud"]["type"]``, else by the key's shape: ``/user/`` or
    ``/user/slug/``) and rows without a valid key are reported, not sent.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with a ``key`` column.
    action : str
        ``"follow"`` or ``"unfollow"`` (user rows); ``"favorite"``, ``"unfavorite"``,
        ``"repost"``, ``"unrepost"``, ``"listen_later"``, ``"unlisten_later"`` (cloudcast
        rows).
    client : Mixcloud or MixcloudSync, optional
        Client to send the requests with (it needs an access token); the default client when
        omitted.
    dry_run : bool, default False
        Send nothing: report what would be sent (``ok`` is ``<NA>`` for those rows). Needs no
        client, and is never refused by `max_rows`: each row's message says when the real
        run would be.
    max_rows : int or None, default 25
        Refuse frames with more rows, before anything is sent; ``None`` lifts the guard.

    Returns
    -------
    pandas.DataFrame
        One row per input row, same index, with the :data:`RESULT_COLUMNS`: ``key``,
        ``action``, ``ok`` (``boolean``: the API confirmed it), ``message`` (the API's) and
        ``error`` (why the row failed or was not sent).

    Raises
    ------
    ValueError
        If `action` is unknown, or the frame has more than `max_rows` rows (not a dry run).
    RuntimeError
        If not a dry run, no client is given and no default is set.
    mixframe.AuthError
        If not a dry run and the client has no access token.

    Examples
    --------
    >>> import asyncio, pandas as pd
    >>> users = pd.DataFrame({"key": ["/ann/", "/bob/", "/cy/"]})
    >>> plan = asyncio.run(act(users, "follow", dry_run=True, max_rows=2))
    >>> plan.loc[0, "message"]
    'dry run: would follow /ann/; the real run would be refused: 3 rows, more than max_rows=2'
    """
    _require_key_column(frame)
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
    if not isinstance(dry_run, bool):
        raise TypeError(f"dry_run must be True or False, got {dry_run!r}")
    refusal = ""
    if max_rows is not None:
        check_int("max_rows", max_rows, minimum=1)
        if len(frame) > max_rows:
            if not dry_run:
                raise ValueError(
                    f"{action}() would act on {len(frame)} rows, more than "
                    f"max_rows={max_rows}: nothing was sent. Select fewer rows (df.head(n)) "
                    f"or raise the guard: {action}(max_rows={len(frame)})")
            refusal = (f"; the real run would be refused: {len(frame)} rows, more than "
                       f"max_rows={max_rows}")
    wanted = ACTIONS[action]
    chosen = None
    token = None
    if not dry_run:
        chosen = _chosen_client(client)
        require_token(resolve_client(chosen), action)
        token = resolve_client(chosen).access_token
    frame_type = _frame_type(frame)
    results: list[tuple[str | None, bool | None, str | None, str | None]] = []
    for key in _frame_keys(frame):
        if key is None:
            results.append((None, False, None, "row has no key, not sent"))
            continue
        try:
            normalized = _urls.normalize_key(key)
        except (TypeError, ValueError) as error:
            results.append((key, False, None, f"{redact(error, token)}, not sent"))
            continue
        kind = _row_type(normalized, frame_type)
        if kind != wanted:
            what = (f"a {kind} row" if kind else
                    "neither a user nor a cloudcast key (/user/ or /user/slug/)")
            results.append((key, False, None,
                            f"{action} applies to {wanted} rows; {key} is {what}, not sent"))
            continue
        if dry_run:
            results.append((key, None, f"dry run: would {action} {normalized}{refusal}", None))
            continue
        try:
            answer = await _call(chosen, action, normalized)
        except Exception as error:   # recorded per row; the next row goes on
            results.append((key, False, None,
                            redact(f"{type(error).__name__}: {error}", token)))
            continue
        results.append((key, *_outcome(answer, token)))
    result = pd.DataFrame({
        "key": pd.array([row[0] for row in results], dtype="string"),
        "action": pd.array([action] * len(results), dtype="string"),
        "ok": pd.array([row[1] for row in results], dtype="boolean"),
        "message": pd.array([row[2] for row in results], dtype="string"),
        "error": pd.array([row[3] for row in results], dtype="string"),
    }, index=frame.index.copy())
    result.attrs = {"mixcloud": {"type": None, "action": action, "dry_run": dry_run}}
    return result
