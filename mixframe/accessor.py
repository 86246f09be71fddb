"""The ``.mixcloud`` DataFrame accessor: explore and act on the rows of Mixcloud tables.

Importing :mod:`mixframe` registers it. It works on any :class:`pandas.DataFrame` with a ``key``
column of Mixcloud keys (``/spartacus/``, ``/spartacus/party-time/``): the tables of
:func:`mixframe.frames.page_frame`, :func:`mixframe.frames.to_frame` and :func:`mixframe.crawl`.

Exploration
    :meth:`~MixcloudAccessor.next_page`, :meth:`~MixcloudAccessor.previous_page`,
    :meth:`~MixcloudAccessor.all_pages` follow the paging links kept in
    ``df.attrs["mixcloud"]``; :meth:`~MixcloudAccessor.load` fetches every row's full details;
    :meth:`~MixcloudAccessor.connection` fetches a connection (``"followers"``,
    ``"comments"`` ...) of every row; :meth:`~MixcloudAccessor.crawl` crawls from the rows.
Actions
    :meth:`~MixcloudAccessor.follow`, :meth:`~MixcloudAccessor.unfollow` (user rows),
    :meth:`~MixcloudAccessor.favorite`, :meth:`~MixcloudAccessor.unfavorite`,
    :meth:`~MixcloudAccessor.repost`, :meth:`~MixcloudAccessor.unrepost`,
    :meth:`~MixcloudAccessor.listen_later`, :meth:`~MixcloudAccessor.unlisten_later`
    (cloudcast rows). Each returns one result row per input row (same index) with ``key``,
    ``action``, ``ok``, ``message`` and ``error``; an error on one row never stops the others.
    ``dry_run=True`` sends nothing; ``max_rows`` (default 25) refuses large frames before
    anything is sent.
Display
    :meth:`~MixcloudAccessor.embed` (player iframes, built locally, no request) and
    :meth:`~MixcloudAccessor.preview` (the players, rendered in a notebook).

Which client
------------
Methods that talk to the API take ``client=`` (a :class:`~mixframe.MixcloudSync` or a
:class:`~mixframe.Mixcloud`); without it they use the default set by
:func:`mixframe.set_default_client` (the login widget sets it), and raise a
:class:`RuntimeError` saying how to set one when there is none. The methods block: they run
on mixframe's private event loop thread, so they work the same in scripts and inside a running
event loop (a Jupyter cell), without ``nest_asyncio``. The accessor therefore expects a
:class:`~mixframe.MixcloudSync`, whose requests always run on that thread. An async
:class:`~mixframe.Mixcloud` works only if its session is not used on another event loop too:
one already used with ``await`` on your loop must not be passed here (its connections belong
to that loop), and one first used here should not then be awaited on your loop. The access
token is never written into a frame, its ``attrs`` or a result.

Examples
--------
>>> import mixframe
>>> from mixframe import MixcloudSync
>>> mixframe.set_default_client(MixcloudSync(access_token="..."))     # doctest: +SKIP
>>> shows = mixframe.crawl("NTSRadio", connections=["cloudcasts"]).cloudcasts  # doctest: +SKIP
>>> shows.head(3).mixcloud.favorite(dry_run=True)                     # doctest: +SKIP
>>> fans = shows.head(3).mixcloud.connection("favorites", limit=50)   # doctest: +SKIP
>>> fans.mixcloud.follow()                                            # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import inspect
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pandas as pd

from . import _urls
from ._api import ACTIONS, CONNECTIONS, RESOURCE_TYPES, connection_item_type, key_type
from ._redact import redact
from ._player import player_iframe, player_options
from .decorators import check_int, pagination_params, require_token
from .defaults import get_default_client, resolve_client
from .frames import page_frame, to_frame

__all__ = ["ACTIONS", "MixcloudAccessor", "RESULT_COLUMNS"]

#: Columns (and dtypes) of an action's result frame.
RESULT_COLUMNS: dict[str, str] = {"key": "string", "action": "string", "ok": "boolean",
                                  "message": "string", "error": "string"}

_CONNECTION_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_PAGING_NAMES = ("offset", "limit", "since", "until", "page", "per_page")
_ERRORS = ("raise", "skip")


# ------------------------------------------------------------------------------------------
# helpers

def _run(coroutine: Awaitable[Any]) -> Any:
    """Run `coroutine` on mixframe's private event loop thread and return its result."""
    from .sync import _runner

    return _runner.run(coroutine)


def _type_of(frame: pd.DataFrame) -> str | None:
    meta = frame.attrs.get("mixcloud")
    kind = meta.get("type") if isinstance(meta, dict) else None
    return kind if isinstance(kind, str) and kind else None


def _key_text(value: Any) -> str | None:
    """The row's key as a str, or None when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else str(value)


def _row_type(key: str, frame_type: str | None) -> str | None:
    """Type of a row: the frame's type when it is a known one, else the key's shape."""
    if frame_type in RESOURCE_TYPES:
        return frame_type
    return key_type(key)


def _check_errors(errors: Any) -> None:
    if errors not in _ERRORS:
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")


def _check_pages(name: str, value: Any) -> None:
    if value is not None:
        check_int(name, value, minimum=1)


def _empty_like(column: pd.Series, index: pd.Index) -> pd.Series:
    """A column of missing values with `column`'s dtype (or the nearest that holds them)."""
    empty = column.iloc[:0].reset_index(drop=True).reindex(pd.RangeIndex(len(index)))
    empty.index = index
    return empty


def _conform(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `like`'s columns first (same order, missing ones empty, dtypes matched
    where the values allow), then its own other columns."""
    columns: dict[Any, Any] = {}
    for name in dict.fromkeys(like.columns):
        reference = like[name]
        if isinstance(reference, pd.DataFrame):   # duplicated column name: leave it
            continue
        if name in frame.columns:
            column = frame[name]
            if column.dtype != reference.dtype:
                try:
                    column = column.astype(reference.dtype)
                except (TypeError, ValueError, OverflowError):
                    pass
            columns[name] = column
        else:
            columns[name] = _empty_like(reference, frame.index)
    for name in frame.columns:
        if name not in columns:
            columns[name] = frame[name]
    result = pd.DataFrame(columns, index=frame.index)
    result.attrs = dict(frame.attrs)
    return result


def _concat(first: pd.DataFrame, rest: pd.DataFrame) -> pd.DataFrame:
    """`first` then `rest` (already conformed to it), with a fresh index and `first`'s dtypes."""
    if rest.empty:
        result = first.reset_index(drop=True)
    elif first.empty:
        result = rest.reset_index(drop=True)
    else:
        result = pd.concat([first, rest], ignore_index=True)
    for name in first.columns:
        if name in result.columns and not isinstance(result[name], pd.DataFrame):
            wanted = first[name].dtype if not first.empty else rest[name].dtype
            if result[name].dtype != wanted:
                try:
                    result[name] = result[name].astype(wanted)
                except (TypeError, ValueError, OverflowError):
                    pass
    return result


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


# ------------------------------------------------------------------------------------------
# the accessor

@pd.api.extensions.register_dataframe_accessor("mixcloud")
class MixcloudAccessor:
    """Mixcloud methods on a DataFrame of Mixcloud resources: ``df.mixcloud``.

    The frame needs a ``key`` column of Mixcloud keys. Its ``attrs["mixcloud"]`` (set by
    :func:`~mixframe.frames.page_frame` and :func:`~mixframe.frames.to_frame`) tells the rows'
    ``type`` and, for a page of a list, the ``next`` and ``previous`` page URLs. The accessor
    keeps nothing but the frame, and every method returns a new object.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame the accessor is reached from.

    Raises
    ------
    AttributeError
        If the frame has no ``key`` column.

    Examples
    --------
    >>> import pandas as pd, mixframe
    >>> df = pd.DataFrame({"key": ["/spartacus/party-time/", "/spartacus/"]})
    >>> result = df.mixcloud.favorite(dry_run=True)
    >>> result["ok"].tolist()
    [<NA>, False]
    >>> result.loc[1, "error"]
    'favorite applies to cloudcast rows; /spartacus/ is a user row, not sent'
    >>> pd.DataFrame({"id": [1]}).mixcloud                # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AttributeError: the .mixcloud accessor needs a 'key' column ...
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        if "key" not in frame.columns:
            shown = ", ".join(map(repr, list(frame.columns)[:8])) or "none"
            raise AttributeError(
                "the .mixcloud accessor needs a 'key' column of Mixcloud keys such as "
                "'/spartacus/' or '/spartacus/party-time/' (this frame's columns: "
                f"{shown}). Build tables with mixframe.frames.page_frame / to_frame or "
                "mixframe.crawl, or rename your column: df.rename(columns={'id': 'key'})")
        self._obj = frame

    # -- internals ----------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        meta = self._obj.attrs.get("mixcloud")
        return dict(meta) if isinstance(meta, dict) else {}

    def _keys(self) -> list[str | None]:
        column = self._obj["key"]
        if isinstance(column, pd.DataFrame):
            column = column.iloc[:, 0]
        return [_key_text(value) for value in column.tolist()]

    def _fetch_adjacent(self, which: str, client: Any) -> pd.DataFrame | None:
        url = self._meta().get(which)
        if not isinstance(url, str) or not url:
            return None
        inner = resolve_client(client)
        page = _run(inner.fetch(url, relative=False))
        frame = page_frame(page, type=_type_of(self._obj), url=url)
        return _conform(frame, self._obj)

    # -- exploration --------------------------------------------------------------------

    def next_page(self, client: Any = None) -> pd.DataFrame | None:
        """Fetch the page after this one, as a frame with the same columns.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
            Client to send the request with; the default client when omitted.

        Returns
        -------
        pandas.DataFrame or None
            The next page (this frame's columns first, in order, then any new ones; its
            ``attrs["mixcloud"]`` describes the new page, so ``next_page()`` can be chained),
            or ``None`` when ``attrs["mixcloud"]["next"]`` is missing: this is the last page
            or the frame is not a page of a list.

        Raises
        ------
        RuntimeError
            If no client is given and no default is set.
        mixframe.MixcloudError
            If the API answers with an error.

        Examples
        --------
        >>> page = page_frame(mixcloud.get("NTSRadio").cloudcasts(limit=20))  # doctest: +SKIP
        >>> second = page.mixcloud.next_page()                                # doctest: +SKIP
        >>> third = second.mixcloud.next_page()                               # doctest: +SKIP
        """
        return self._fetch_adjacent("next", client)

    def previous_page(self, client: Any = None) -> pd.DataFrame | None:
        """Fetch the page before this one, as a frame with the same columns.

        The API gives a first page of a dated list (newest first) a ``previous`` link to
        newer items: fetching it gives an empty frame when there are none.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
            Client to send the request with; the default client when omitted.

        Returns
        -------
        pandas.DataFrame or None
            The previous page, or ``None`` when ``attrs["mixcloud"]["previous"]`` is missing.

        Raises
        ------
        RuntimeError
            If no client is given and no default is set.
        mixframe.MixcloudError
            If the API answers with an error.

        Examples
        --------
        >>> second = page.mixcloud.next_page()              # doctest: +SKIP
        >>> second.mixcloud.previous_page().key.equals(page.key)  # doctest: +SKIP
        True
        """
        return self._fetch_adjacent("previous", client)

    def all_pages(self, max_pages: int | None = None, client: Any = None,
                  progress: bool = True) -> pd.DataFrame:
        """This page and the ones after it, in one frame.

        Follows ``next`` links until the list ends (a page without a ``next`` link, or an
        empty page) or `max_pages` pages are reached.

        Parameters
        ----------
        max_pages : int, optional
            Most pages in the result, this one included (``1`` returns a copy of this page
            and sends nothing). No limit by default.
        client : MixcloudSync or Mixcloud, optional
            Client to send the requests with; the default client when omitted.
        progress : bool, default True
            Show a progress bar (``tqdm.auto``: a widget in notebooks, text in terminals).

        Returns
        -------
        pandas.DataFrame
            The rows of every page in list order, with a fresh index, this frame's columns
            first. ``attrs["mixcloud"]["next"]`` is the link after the last page fetched
            (``None`` at the end of the list), so a stopped walk can be continued.

        Raises
        ------
        RuntimeError
            If there is a next page, no client is given and no default is set.
        ValueError, TypeError
            If `max_pages` is not an int >= 1 or None.
        mixframe.MixcloudError
            If the API answers with an error.

        Examples
        --------
        >>> page = page_frame(mixcloud.get("NTSRadio").cloudcasts(limit=100))  # doctest: +SKIP
        >>> shows = page.mixcloud.all_pages()                                  # doctest: +SKIP
        >>> first_five = page.mixcloud.all_pages(max_pages=5, progress=False)  # doctest: +SKIP
        """
        _check_pages("max_pages", max_pages)
        meta = self._meta()
        url = meta.get("next")
        result = self._obj.copy()
        if max_pages == 1 or not isinstance(url, str) or not url:
            return result
        inner = resolve_client(client)
        kind = _type_of(self._obj)
        records: list[Any] = []
        seen = {meta.get("url")}
        pages = 1
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=max_pages, initial=1, desc=str(meta.get("list_name") or "pages"),
                       unit=" pages", dynamic_ncols=True)
        try:
            while isinstance(url, str) and url and url not in seen and (
                    max_pages is None or pages < max_pages):
                seen.add(url)
                page = _run(inner.fetch(url, relative=False))
                data = page.get("data") if isinstance(page.get("data"), list) else []
                paging = page.get("paging") if isinstance(page.get("paging"), dict) else {}
                if not data:
                    url = None
                    break
                records.extend(data)
                pages += 1
                url = paging.get("next")
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        if not isinstance(url, str) or url in seen:
            url = None
        body = {"data": records, "paging": {"next": url}, "name": meta.get("list_name")}
        rest = page_frame(body, type=kind, url=meta.get("url"))
        following = rest.attrs["mixcloud"]["next"]
        result = _concat(self._obj, _conform(rest, self._obj))
        result.attrs = {**self._obj.attrs, "mixcloud": {**meta, "next": following}}
        return result

    def load(self, client: Any = None, *, concurrency: int = 8,
             errors: str = "raise") -> pd.DataFrame:
        """Fetch the full details of every row: one request per distinct key.

        List items are partial (a show listed in ``/cloudcasts/`` has no sections or
        description, a user in ``/followers/`` no biography); this gets the whole objects.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
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
        RuntimeError
            If no client is given and no default is set.
        mixframe.MixcloudError
            With ``errors="raise"``, the first row's error.

        Examples
        --------
        >>> followers = page_frame(mixcloud.get("spartacus").followers())  # doctest: +SKIP
        >>> followers.mixcloud.load()[["key", "biog"]]                     # doctest: +SKIP
        """
        _check_errors(errors)
        check_int("concurrency", concurrency, minimum=1)
        keys = self._keys()
        if errors == "raise" and None in keys:
            label = self._obj.index[keys.index(None)]
            raise ValueError(f"row {label!r} has no key (pass errors='skip' to leave such rows "
                             "out)")
        unique = list(dict.fromkeys(key for key in keys if key is not None))
        inner = resolve_client(client) if unique else None

        async def fetch(key: str) -> dict[str, Any]:
            return await inner.fetch(key)

        outcomes = (_run(_bounded(fetch, unique, concurrency, errors == "raise"))
                    if unique else [])
        if errors == "raise":
            _raise_first(outcomes, unique, "loading")
        by_key = dict(zip(unique, outcomes))
        records, positions, failures = [], [], []
        for position, key in enumerate(keys):
            outcome = by_key.get(key) if key is not None else ValueError("row has no key")
            if isinstance(outcome, dict):
                records.append(outcome)
                positions.append(position)
            else:
                failures.append((key or f"row {self._obj.index[position]!r}", outcome))
        _warn_skipped(failures, "load()")
        kind = _type_of(self._obj)
        meta = self._meta()
        meta.pop("type", None)
        result = to_frame(records, type=kind if kind in RESOURCE_TYPES else None, source=meta)
        result.index = self._obj.index.take(positions)
        return result

    def connection(self, name: str, client: Any = None, *, max_pages: int | None = 1,
                   concurrency: int = 8, errors: str = "raise", **paging: Any) -> pd.DataFrame:
        """Fetch the connection `name` of every row, in one frame.

        Parameters
        ----------
        name : str
            The connection: for users ``"followers"``, ``"following"``, ``"cloudcasts"``,
            ``"favorites"``, ``"listens"``, ``"comments"``, ``"feed"``, ``"playlists"``; for
            cloudcasts ``"comments"``, ``"favorites"``, ``"listeners"``, ``"similar"``; for
            tags ``"popular"``, ``"hot"``, ``"new"``.
        client : MixcloudSync or Mixcloud, optional
            Client to send the requests with; the default client when omitted.
        max_pages : int or None, default 1
            Pages fetched per row: 1 gets the page the paging keywords describe, ``None``
            follows ``next`` links to the end of each list.
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
            The items of every row's list, rows in input order and items in list order, with
            a ``source_key`` column (the row the item came from) after ``key`` and a fresh
            index. The same item appears once per row it is connected to; a key repeated in
            this frame is fetched, and listed, once. ``attrs["mixcloud"]`` holds the items'
            ``type`` and ``connection``.

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
        >>> users = crawl(["spartacus", "NTSRadio"], depth=0).users        # doctest: +SKIP
        >>> fans = users.mixcloud.connection("followers", limit=100)       # doctest: +SKIP
        >>> fans.groupby("source_key").size()                              # doctest: +SKIP
        """
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
        _check_pages("max_pages", max_pages)
        _check_errors(errors)
        check_int("concurrency", concurrency, minimum=1)
        keys = self._keys()
        frame_type = _type_of(self._obj)
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
            label = self._obj.index[keys.index(None)]
            raise ValueError(f"row {label!r} has no key (pass errors='skip' to leave such rows "
                             "out)")
        if errors == "raise" and problems:
            key, error = next(iter(problems.items()))
            raise ValueError(f"row key {key!r}: {error} (pass errors='skip' to leave such "
                             "rows out)")
        inner = resolve_client(client) if normalized else None

        async def fetch(key: str) -> list[dict[str, Any]]:
            url = _urls.merge_query(inner.api_url(f"{normalized[key]}{name}/"), params)
            items: list[dict[str, Any]] = []
            seen: set[str] = set()
            count = 0
            while url and url not in seen and (max_pages is None or count < max_pages):
                seen.add(url)
                page = await inner.fetch(url, relative=False)
                data = page.get("data") if isinstance(page.get("data"), list) else []
                items.extend(data)
                count += 1
                links = page.get("paging")
                url = links.get("next") if isinstance(links, dict) else None
                if not data:
                    break
            return items

        fetched = [key for key in unique if key in normalized]
        outcomes = (_run(_bounded(fetch, fetched, concurrency, errors == "raise"))
                    if fetched else [])
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
        failures += [(f"row {self._obj.index[position]!r}", ValueError("row has no key"))
                     for position, key in enumerate(keys) if key is None]
        _warn_skipped(failures, f"connection({name!r})")
        source = {"connection": name, "list_name": None, "next": None, "previous": None,
                  "url": None}
        if records:
            result = to_frame(records, source=source)
        else:   # no items: the connection's name tells their type
            sources_type = {_row_type(key, frame_type) for key in normalized.values()}
            kind = connection_item_type(name, next(iter(sources_type))
                                        if len(sources_type) == 1 else None)
            result = to_frame([], type=kind, source=source)
        result.insert(1, "source_key", pd.array(sources, dtype="string"))
        return result

    def crawl(self, **kwargs: Any) -> Any:
        """Crawl from this frame's rows: :func:`mixframe.crawl` seeded with their keys.

        Parameters
        ----------
        **kwargs
            Arguments of :func:`mixframe.crawl` (``connections``, ``depth``, ``max_items``,
            ``store``, ``progress``, ``client`` ...). Without ``client`` nor client options
            (``access_token``, ``api_root`` ...), the default client is used when one is set.

        Returns
        -------
        mixframe.CrawlResult

        Raises
        ------
        ValueError
            If the frame holds no key.

        Examples
        --------
        >>> result = users.mixcloud.crawl(connections=["followers"], depth=1)  # doctest: +SKIP
        >>> result.edges.head()                                                # doctest: +SKIP
        """
        from .crawler import crawl

        if "seeds" in kwargs:
            raise TypeError("crawl() takes its seeds from the frame's keys; call "
                            "mixframe.crawl(seeds, ...) to choose others")
        seeds = list(dict.fromkeys(key for key in self._keys() if key is not None))
        if not seeds:
            raise ValueError("the frame holds no key to crawl from")
        own = set(inspect.signature(crawl).parameters) - {"seeds", "client_options"}
        client_options = set(kwargs) - own
        if kwargs.get("client") is None and not client_options:
            kwargs["client"] = get_default_client()
        return crawl(seeds, **kwargs)

    # -- actions ------------------------------------------------------------------------

    def _act(self, action: str, client: Any, dry_run: bool, max_rows: int | None
             ) -> pd.DataFrame:
        if not isinstance(dry_run, bool):
            raise TypeError(f"dry_run must be True or False, got {dry_run!r}")
        if max_rows is not None:
            check_int("max_rows", max_rows, minimum=1)
            if len(self._obj) > max_rows:
                raise ValueError(
                    f"{action}() would act on {len(self._obj)} rows, more than "
                    f"max_rows={max_rows}: nothing was sent. Select fewer rows (df.head(n)) "
                    f"or raise the guard: df.mixcloud.{action}(max_rows={len(self._obj)})")
        wanted = ACTIONS[action]
        inner = None
        if not dry_run:
            inner = resolve_client(client)
            require_token(inner, action)
        token = getattr(inner, "access_token", None)
        frame_type = _type_of(self._obj)
        rows: list[tuple[str | None, bool | None, str | None, str | None]] = []
        for key in self._keys():
            if key is None:
                rows.append((None, False, None, "row has no key, not sent"))
                continue
            try:
                normalized = _urls.normalize_key(key)
            except (TypeError, ValueError) as error:
                rows.append((key, False, None, f"{redact(error, token)}, not sent"))
                continue
            kind = _row_type(normalized, frame_type)
            if kind != wanted:
                what = (f"a {kind} row" if kind else
                        "neither a user nor a cloudcast key (/user/ or /user/slug/)")
                rows.append((key, False, None,
                             f"{action} applies to {wanted} rows; {key} is {what}, not sent"))
                continue
            if dry_run:
                rows.append((key, None, f"dry run: would {action} {normalized}", None))
                continue
            try:
                answer = _run(getattr(inner, action)(normalized))
            except Exception as error:   # recorded per row; the next row goes on
                rows.append((key, False, None,
                             redact(f"{type(error).__name__}: {error}", token)))
                continue
            rows.append((key, *self._outcome(answer, token)))
        result = pd.DataFrame({
            "key": pd.array([row[0] for row in rows], dtype="string"),
            "action": pd.array([action] * len(rows), dtype="string"),
            "ok": pd.array([row[1] for row in rows], dtype="boolean"),
            "message": pd.array([row[2] for row in rows], dtype="string"),
            "error": pd.array([row[3] for row in rows], dtype="string"),
        }, index=self._obj.index.copy())
        result.attrs = {"mixcloud": {"type": None, "action": action, "dry_run": dry_run}}
        return result

    @staticmethod
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

    def follow(self, client: Any = None, *, dry_run: bool = False,
               max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("follow", client, dry_run, max_rows)

    def unfollow(self, client: Any = None, *, dry_run: bool = False,
                 max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unfollow", client, dry_run, max_rows)

    def favorite(self, client: Any = None, *, dry_run: bool = False,
                 max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("favorite", client, dry_run, max_rows)

    def unfavorite(self, client: Any = None, *, dry_run: bool = False,
                   max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unfavorite", client, dry_run, max_rows)

    def repost(self, client: Any = None, *, dry_run: bool = False,
               max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("repost", client, dry_run, max_rows)

    def unrepost(self, client: Any = None, *, dry_run: bool = False,
                 max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unrepost", client, dry_run, max_rows)

    def listen_later(self, client: Any = None, *, dry_run: bool = False,
                     max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("listen_later", client, dry_run, max_rows)

    def unlisten_later(self, client: Any = None, *, dry_run: bool = False,
                       max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unlisten_later", client, dry_run, max_rows)

    # -- display ------------------------------------------------------------------------

    def embed(self, *, width: int | str | None = None, height: int | str | None = None,
              color: str | None = None, light: bool | None = None,
              hide_cover: bool | None = None, mini: bool | None = None,
              hide_artwork: bool | None = None, autoplay: bool | None = None) -> pd.Series:
        """The player iframe HTML of every cloudcast row, built locally (no request).

        The same ``<iframe>`` as :func:`mixframe.widgets.player` (the player at
        ``https://www.mixcloud.com/widget/iframe/?feed=<url-encoded key>`` with the options,
        attribute values HTML-escaped).

        Parameters
        ----------
        width, height : int or str, optional
            Pixels (``300``, ``"300px"``) or a percentage (``"100%"``); default ``"100%"``
            wide and 120 px high (60 px with `mini`).
        color : str, optional
            6 hexadecimal digits, ``#`` optional.
        light, hide_cover, mini, hide_artwork, autoplay : bool, optional
            Player options; only ``True`` ones are sent.

        Returns
        -------
        pandas.Series
            ``string`` dtype, aligned to the rows (same index), named ``embed``: the iframe
            for cloudcast rows, ``<NA>`` for other rows.

        Raises
        ------
        ValueError, TypeError
            For invalid options.

        Examples
        --------
        >>> df = pd.DataFrame({"key": ["/spartacus/party-time/"]})
        >>> player = df.mixcloud.embed(width=300)[0]
        >>> player.startswith('<iframe width="300" height="120" src="https://www.mixcloud.com/')
        True
        >>> "widget/iframe/?feed=%2Fspartacus%2Fparty-time%2F" in player
        True
        """
        options = player_options(width, height, color, light=light, hide_cover=hide_cover,
                                 mini=mini, hide_artwork=hide_artwork, autoplay=autoplay)
        frame_type = _type_of(self._obj)
        values: list[str | None] = []
        for key in self._keys():
            try:
                normalized = _urls.normalize_key(key) if key is not None else None
            except (TypeError, ValueError):
                normalized = None
            if normalized is None or _row_type(normalized, frame_type) != "cloudcast":
                values.append(None)
            else:
                values.append(player_iframe(normalized, options))
        return pd.Series(pd.array(values, dtype="string"), index=self._obj.index.copy(),
                         name="embed")

    def preview(self, max_rows: int = 5, **display_options: Any) -> Any:
        """Show the players of the first cloudcast rows in a notebook.

        Parameters
        ----------
        max_rows : int, default 5
            Most players shown; the HTML says how many more rows there are.
        **display_options
            As for :meth:`embed`.

        Returns
        -------
        IPython.display.HTML
            Rendered by Jupyter when it is a cell's value.

        Raises
        ------
        ImportError
            If IPython is not installed.

        Examples
        --------
        >>> shows.mixcloud.preview(3, light=True)                     # doctest: +SKIP
        """
        check_int("max_rows", max_rows, minimum=1)
        try:
            from IPython.display import HTML
        except ImportError as error:
            raise ImportError("preview() needs IPython: pip install ipython") from error
        players = self.embed(**display_options).dropna()
        shown = players.iloc[:max_rows]
        parts = [f'<div class="mixframe-player">{player}</div>' for player in shown]
        if not parts:
            parts.append("<p>No cloudcast rows to preview.</p>")
        elif len(players) > len(shown):
            parts.append(f"<p>… and {len(players) - len(shown)} more cloudcast rows.</p>")
        return HTML("\n".join(parts))


def _action_doc(action: str) -> str:
    """The numpydoc docstring of the action method `action`."""
    wanted = ACTIONS[action]
    example = "/spartacus/" if wanted == "user" else "/spartacus/party-time/"
    verb = action.replace("_", " ")
    what = {"listen_later": "Add every cloudcast row to the Listen Later list",
            "unlisten_later": "Remove every cloudcast row from the Listen Later list"
            }.get(action, f"{verb.capitalize()} every {wanted} row")
    return f"""{what}, as the authorised user.

        One request per row, in row order. An error on a row (refused by the API, a network
        failure) is recorded in its result and the next row goes on. Rows that are not
        {wanted}s (told by ``attrs["mixcloud"]["type"]``, else by the key's shape: ``/user/``
        or ``/user/slug/``) and rows without a valid key are reported, not sent.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
            Client to send the requests with (it needs an access token); the default client
            when omitted.
        dry_run : bool, default False
            Send nothing: report what would be sent (``ok`` is ``<NA>`` for those rows).
            Needs no client.
        max_rows : int or None, default 25
            Refuse frames with more rows, before anything is sent; ``None`` lifts the guard.

        Returns
        -------
        pandas.DataFrame
            One row per input row, same index, with ``key``, ``action`` (``"{action}"``),
            ``ok`` (``boolean``: the API confirmed it), ``message`` (the API's) and ``error``
            (why the row failed or was not sent).

        Raises
        ------
        ValueError
            If the frame has more than `max_rows` rows.
        RuntimeError
            If not a dry run, no client is given and no default is set.
        mixframe.AuthError
            If not a dry run and the client has no access token.

        Examples
        --------
        >>> rows = pd.DataFrame({{"key": ["{example}"]}})
        >>> rows.mixcloud.{action}(dry_run=True).loc[0, "message"]
        'dry run: would {action} {example}'
        >>> rows.mixcloud.{action}(client=mixcloud)                 # doctest: +SKIP
        """


for _name in ACTIONS:
    getattr(MixcloudAccessor, _name).__doc__ = _action_doc(_name)
del _name
