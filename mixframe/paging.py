"""Paging: walk a list of the API page by page, with one set of stop rules.

Mixcloud lists come a page at a time, each page linking to the next (``paging.next``). Every
walk in mixframe (:meth:`mixframe.Mixcloud.pages` and :meth:`~mixframe.Mixcloud.items`, a page
in hand's :meth:`~mixframe.ResourceList.pages`, the accessor's ``all_pages()`` and
``connection()``, the crawler) goes through :class:`ListWalk`, which stops at the first of:

``"last_page"``
    the page has no ``next`` link;
``"empty_page"``
    the page holds no item;
``"repeated_next"``
    the ``next`` link was already followed in this walk (a loop);
``"nothing_new"``
    every item of the page was already seen in this walk (a ``next`` that keeps advancing
    over the same items); that page is not yielded;
``"max_pages"``
    `max_pages` pages were yielded; without `max_pages`, :data:`DEFAULT_MAX_PAGES` bounds
    every walk (a warning says so when it is reached);
``"max_items"``
    `max_items` new items were seen;
``"caught_up"``
    the walk's `caught_up` callback said a page that links to a next one brings nothing the
    caller does not already hold (a refreshed crawl stops where its stored part of the list
    begins); that page is not yielded. A last page is yielded whatever it holds: the walk then
    reaches the list's end.

A list that ends (the first three) is a complete list; :attr:`ListWalk.complete` says so.
Each page is checked by :func:`check_page` before it is used: a page of the wrong shape raises
:class:`~mixframe.exceptions.DecodeError` naming what is wrong, instead of a ``TypeError``
deep inside the caller. :func:`check_resource` checks a page holding one resource (its
details) by the same rules.

Examples
--------
>>> import asyncio
>>> api = "https://api.mixcloud.com/bob/followers/?offset="
>>> book = {api + "0": {"data": [{"key": "/a/"}, {"key": "/b/"}], "paging": {"next": api + "2"}},
...         api + "2": {"data": [{"key": "/c/"}], "paging": {"next": api + "3"}},
...         api + "3": {"data": [{"key": "/a/"}], "paging": {"next": api + "4"}}}
>>> async def fetch(url):
...     return book[url]
>>> async def keys():
...     walk = ListWalk(fetch, api + "0")
...     found = [item["key"] async for page in walk for item in page["data"]]
...     return found, walk.stopped, walk.complete
>>> asyncio.run(keys())
(['/a/', '/b/', '/c/'], 'nothing_new', False)
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from . import _urls
from ._redact import strip_secrets
from .exceptions import DecodeError

__all__ = ["DEFAULT_MAX_PAGES", "MAX_NEXT_LENGTH", "STOP_REASONS", "ListWalk", "check_page",
           "check_resource", "page_items", "page_next"]

logger = logging.getLogger("mixframe")

#: Most pages of one list a walk fetches when no ``max_pages`` is given: a million items at
#: 100 a page, more than any real list, and a bound on a server that never ends one.
DEFAULT_MAX_PAGES = 10_000
#: Longest ``next`` link accepted (real ones are under 300 characters).
MAX_NEXT_LENGTH = 8_192
#: Why a walk stops; the first three mean the list ended.
STOP_REASONS = ("last_page", "empty_page", "repeated_next", "nothing_new", "max_pages",
                "max_items", "caught_up")
_ENDED = frozenset(STOP_REASONS[:3])
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # never in a URL (httpx refuses to send one)

Page = TypeVar("Page")


def _body(page: Any) -> Any:
    """The decoded body of `page`: itself, or a model's ``.data``."""
    data = getattr(page, "data", None)
    return data if isinstance(data, dict) else page


def _bad(url: str | None, problem: str, shape: str = "a list page") -> DecodeError:
    where = f"the page {_urls_shown(url)}" if url else "a page"
    return DecodeError({"error": {"type": "DecodeError",
                                  "message": f"{where} is not {shape}: {problem}"}},
                       url=_urls_shown(url) if url else None)


def _urls_shown(url: str | None) -> str:
    return strip_secrets(url or "")[:300]


def check_page(page: Any, url: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Check that `page` (a decoded body or a ``ResourceList``) is a list page; return its
    items and its ``next`` link (``None`` on the last page).

    Raises
    ------
    DecodeError
        Naming what is wrong: no ``data`` list, an item that is not an object or whose ``key``
        is not a key, ``paging`` or ``metadata`` of the wrong type, a ``next`` link that is
        not a URL (or holds a control character) or is too long.
    """
    body = _body(page)
    if not isinstance(body, Mapping):
        raise _bad(url, f"the body is a {type(body).__name__}, not an object")
    data = body.get("data")
    if not isinstance(data, list):
        raise _bad(url, f"'data' is {type(data).__name__ if 'data' in body else 'missing'}, "
                        "not a list")
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise _bad(url, f"item {index} is a {type(item).__name__}, not an object")
        _check_item(url, f"item {index}'s", item)
    paging = body.get("paging", {})
    if paging is None:
        paging = {}
    if not isinstance(paging, Mapping):
        raise _bad(url, f"'paging' is a {type(paging).__name__}, not an object")
    following = paging.get("next")
    if following in (None, ""):
        return data, None
    if not isinstance(following, str):
        raise _bad(url, f"'paging.next' is a {type(following).__name__}, not a URL")
    if len(following) > MAX_NEXT_LENGTH:
        raise _bad(url, f"'paging.next' is {len(following):,} characters long")
    if not following.lower().startswith(("http://", "https://")):
        raise _bad(url, "'paging.next' is not an http(s) URL")
    if _CONTROL.search(following):
        raise _bad(url, "'paging.next' holds a control character")
    return data, following


def check_resource(page: Any, url: str | None = None) -> None:
    """Check that `page` (a decoded body or a ``Resource``) is one resource, such as a user's
    details, by the rules an item of a list page follows.

    Raises
    ------
    DecodeError
        Naming what is wrong: not an object, no ``key`` or one that is not a key, a ``type``
        that is not a str, ``metadata`` or ``metadata.connections`` that is not an object.
    """
    body = _body(page)
    if not isinstance(body, Mapping):
        raise _bad(url, f"the body is a {type(body).__name__}, not an object", "a resource")
    if body.get("key") is None:
        raise _bad(url, "it has no 'key'", "a resource")
    _check_item(url, "its", body, "a resource")


def _check_item(url: str | None, label: str, item: Mapping[str, Any],
                shape: str = "a list page") -> None:
    """Check `item`'s ``key``, ``type`` and ``metadata``; `label` (possessive) names it."""
    key = item.get("key")
    if key is not None:
        if not isinstance(key, str):
            raise _bad(url, f"{label} key is a {type(key).__name__}, not a str", shape)
        try:
            normalized = _urls.normalize_key(key)
        except ValueError as error:
            raise _bad(url, f"{label} key: {error}", shape) from None
        if normalized == "/" or len(key) > 1_000:
            raise _bad(url, f"{label} key {key[:80]!r} names no resource", shape)
    kind = item.get("type")
    if kind is not None and not isinstance(kind, str):
        raise _bad(url, f"{label} type is a {type(kind).__name__}, not a str", shape)
    metadata = item.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise _bad(url, f"{label} metadata is a {type(metadata).__name__}", shape)
        connections = metadata.get("connections")
        if connections is not None and not isinstance(connections, Mapping):
            raise _bad(url, f"{label} metadata.connections is a "
                            f"{type(connections).__name__}, not an object", shape)


def page_items(page: Any) -> list[Any]:
    """The items of a checked page (``[]`` when it has none)."""
    data = _body(page).get("data")
    return data if isinstance(data, list) else []


def page_next(page: Any) -> str | None:
    """The ``next`` link of a checked page, or ``None`` on the last page."""
    paging = _body(page).get("paging")
    link = paging.get("next") if isinstance(paging, Mapping) else None
    return link if isinstance(link, str) and link else None


def _check_bound(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 or None, got {value}")
    return value


class ListWalk(Generic[Page]):
    """One walk along a list: an async iterator of its pages, with the stop rules above.

    Parameters
    ----------
    fetch : async callable
        ``await fetch(url)`` returns the page at `url` (a decoded body or a model wrapping one,
        such as a :class:`~mixframe.ResourceList`); errors it raises pass through.
    url : str, optional
        The first page to fetch. Without it the walk starts from `first`.
    first : page, optional
        A page already in hand: it is yielded first (and counted), then its ``next`` link is
        followed.
    max_pages, max_items : int, optional
        Bounds on the pages yielded and the new items seen.
    caught_up : async callable, optional
        ``await caught_up(page)`` is asked about each checked page that holds items and links
        to a next one, before it is yielded: when it returns true the walk stops there
        (``"caught_up"``) without yielding it.

    Attributes
    ----------
    pages, items : int
        Pages yielded and new items seen so far.
    new_positions : list of int
        Positions, in the page just yielded, of its items not seen earlier in the walk.
    stopped : str or None
        Why the walk stopped (one of :data:`STOP_REASONS`), ``None`` while it goes on.
    next_url : str or None
        The link the walk would follow next: where a stopped walk can be continued.
    """

    def __init__(self, fetch: Callable[[str], Awaitable[Page]], url: str | None = None, *,
                 first: Page | None = None, max_pages: int | None = None,
                 max_items: int | None = None,
                 caught_up: Callable[[Page], Awaitable[bool]] | None = None) -> None:
        if url is None and first is None:
            raise TypeError("ListWalk needs a url to start from or a first page")
        self._fetch = fetch
        self._caught_up = caught_up
        self._first = first
        self._start = url
        self.max_pages = _check_bound("max_pages", max_pages)
        self.max_items = _check_bound("max_items", max_items)
        self.pages = self.items = 0
        self.stopped: str | None = None
        self.next_url: str | None = url
        self._followed: set[str] = set()
        self._seen: set[Any] = set()
        self._started = False
        self.new_positions: list[int] = []

    @property
    def complete(self) -> bool:
        """Whether the walk reached the end of the list (rather than a bound)."""
        return self.stopped in _ENDED

    def __aiter__(self) -> AsyncIterator[Page]:
        if self._started:
            raise RuntimeError("a ListWalk can be iterated once; make a new one")
        self._started = True
        return self._walk()

    def _stop(self, reason: str) -> None:
        self.stopped = reason
        if reason == "max_pages" and self.max_pages is None:
            logger.warning("stopped walking %s after %d pages (mixframe.paging."
                           "DEFAULT_MAX_PAGES); pass max_pages= to go further",
                           _urls_shown(self._start), self.pages)

    def _fresh(self, items: list[Any]) -> list[int]:
        """Positions of the items not seen before in this walk, remembering them."""
        new = []
        for position, item in enumerate(items):
            marker = item.get("key") if isinstance(item, Mapping) else None
            if marker is None:
                marker = ("#", id(item))
            if marker not in self._seen:
                self._seen.add(marker)
                new.append(position)
        return new

    async def _walk(self) -> AsyncIterator[Page]:
        limit = self.max_pages if self.max_pages is not None else DEFAULT_MAX_PAGES
        page: Page | None = self._first
        url = self._start if page is None else None
        while True:
            if page is None:
                if url is None:
                    return
                self._followed.add(url)
                page = await self._fetch(url)
            items, following = check_page(page, url)
            new = self.new_positions = self._fresh(items)
            if not items:
                self.next_url = None
                self.stopped = "empty_page"
                if self.pages == 0:
                    self.pages += 1
                    yield page
                return
            if not new and self.pages > 0:
                self.next_url = None
                self.stopped = "nothing_new"
                return
            if following is not None and self._caught_up is not None \
                    and await self._caught_up(page):
                self.next_url = None
                self.stopped = "caught_up"
                return
            self.pages += 1
            self.items += len(new)
            self.next_url = following
            yield page
            if following is None:
                self.stopped = "last_page"
                return
            if following in self._followed:
                self.next_url = None
                self.stopped = "repeated_next"
                return
            if self.max_items is not None and self.items >= self.max_items:
                self._stop("max_items")
                return
            if self.pages >= limit:
                self._stop("max_pages")
                return
            page, url = None, following
