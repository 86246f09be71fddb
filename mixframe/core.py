"""Main functionality coordination: the :class:`Mixcloud` client.

One client holds the configuration, the HTTP session (an :class:`httpx.AsyncClient`) and every
method that reaches the API: :meth:`Mixcloud.get` for any key or URL, listings with pagination,
search, the authorised actions, upload and edit, and embedding.

Every request goes through one place, :meth:`Mixcloud._send`, which attaches the access token
only for the API's own origin, refuses plain http except to loopback, applies the retry
policy, and logs URLs with secrets masked. The transport is the I/O seam: pass ``transport=``
(e.g. :func:`mixframe.sandbox.transport`) or a whole ``session=``.
"""

from __future__ import annotations

import asyncio
import json
import contextlib
import logging
import os
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpx

from . import _logging, _urls
from ._api import SEARCH_TYPES
from ._redact import redact, strip_secrets
from .constants import API_ROOT, MIXCLOUD_ROOT, MP3_MAX_SIZE, OEMBED_ROOT
from .decorators import (check_int, displayed, file_size, paginated, pagination_params,
                         personal, require_token, targeting, uploading, walking)
from .exceptions import (DecodeError, MixcloudError, RateLimitError, TransportError,
                         _error_for)
from .json import MixcloudJSONDecoder
from .models import AccessDict, Resource, ResourceList
from .paging import ListWalk
from .retry import RateLimitPause, RetryPolicy

__all__ = ["ClientStats", "Mixcloud", "SEARCH_TYPES"]

logger = _logging.logger
_logging.install()

#: Timeout of reads, in seconds.
DEFAULT_TIMEOUT = 30.0
#: Timeout of upload and edit requests, in seconds (large files on slow links take long).
DEFAULT_UPLOAD_TIMEOUT = 3600.0
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
_UNSET: Any = object()
_UNDECODABLE: Any = object()


@dataclass
class ClientStats:
    """Counters of what a client did: requests sent, retries and rate-limit waits."""

    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_s: float = 0.0


def _rate_limited(response: httpx.Response, body: Any) -> bool:
    if response.status_code == 429:
        return True
    error = body.get("error") if isinstance(body, dict) else None
    return (response.status_code == 403 and isinstance(error, dict)
            and error.get("type") == "RateLimitException")


def _retry_after(response: httpx.Response, body: Any) -> float | None:
    error = body.get("error") if isinstance(body, dict) else None
    for value in (response.headers.get("retry-after"),
                  error.get("retry_after") if isinstance(error, dict) else None):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            return seconds
    return None


def _decode_error(response: httpx.Response) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "no content type")
    return {"error": {"type": "DecodeError",
                      "message": f"response of {redact(str(response.request.url))} is not "
                                 f"a JSON object ({content_type})"}}


class Mixcloud:
    """Asynchronous Mixcloud API handler.

    Parameters
    ----------
    api_root : str
        Base URL of API requests.
    access_token : str, optional
        OAuth access token, needed by personal methods (``me()``, actions, upload, edit). It is
        sent only to `api_root`'s origin, never over plain http except to loopback, and never
        appears in a repr, log line or exception message.
    mixcloud_root, oembed_root : str
        Base URLs of the website and of oEmbed requests.
    json_decoder_class : type
        Decoder of response bodies; :class:`json.JSONDecoder` switches datetime conversion off.
    resource_class, resource_list_class : type
        Models built for single objects and for lists.
    raise_exceptions : bool
        Raise a typed :class:`~mixframe.exceptions.MixcloudError` on an error answer; when
        false (the default, as in the reference client) the error body is returned as an
        :class:`~mixframe.models.AccessDict` with an ``error`` item. Failures with no answer
        at all (:class:`~mixframe.exceptions.TransportError`) always raise.
    session : httpx.AsyncClient, optional
        Session to send requests from. The client never closes a session it was given.
    loop : None
        Accepted for compatibility with the reference signature; ignored with a warning.
    timeout : float or httpx.Timeout, optional
        Timeout of reads (default 30 s, or the given session's own).
    upload_timeout : float or httpx.Timeout or None
        Timeout of upload and edit requests (default one hour; ``None`` for none).
    retries : int or RetryPolicy
        Retry policy, or the number of retries of transient failures with the default policy.
    max_wait : float, optional
        Longest rate-limit wait honoured, in seconds (overrides the policy's ``max_wait``).
        While one request waits out a rate limit, every request of the client waits with it.
    transport : httpx.AsyncBaseTransport, optional
        Transport for the session the client creates (e.g. the in-process sandbox).
    on_wait : callable, optional
        Called as ``on_wait(seconds, reason)`` before each rate-limit wait, to show it (the
        crawler's progress bar does). Waits are logged on the ``mixframe`` logger anyway.

    Examples
    --------
    >>> async def main():
    ...     async with Mixcloud() as mixcloud:
    ...         user = await mixcloud.get("spartacus")
    ...         followers = await user.followers(limit=50)
    """

    #: Default Mixcloud API root URL
    api_root = API_ROOT
    #: Default Mixcloud root URL
    mixcloud_root = MIXCLOUD_ROOT
    #: Default Mixcloud oEmbed root URL
    oembed_root = OEMBED_ROOT
    json_decoder_class = MixcloudJSONDecoder
    resource_class = Resource
    resource_list_class = ResourceList

    def __init__(self, api_root: str = API_ROOT, *, access_token: str | None = None,
                 mixcloud_root: str = MIXCLOUD_ROOT, oembed_root: str = OEMBED_ROOT,
                 json_decoder_class: type = MixcloudJSONDecoder,
                 resource_class: type = Resource, resource_list_class: type = ResourceList,
                 raise_exceptions: bool = False, session: httpx.AsyncClient | None = None,
                 loop: Any = None, timeout: Any = _UNSET,
                 upload_timeout: Any = DEFAULT_UPLOAD_TIMEOUT,
                 retries: int | RetryPolicy = 3, max_wait: float | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 on_wait: Callable[[float, str], Any] | None = None) -> None:
        if loop is not None:
            warnings.warn("the loop argument is ignored: the client runs on the running loop",
                          DeprecationWarning, stacklevel=2)
        cls = type(self)
        # A subclass overriding the class attributes changes the defaults too.
        self._api_root = self._check_root("api_root", cls.api_root if api_root == API_ROOT
                                          else api_root)
        self._mixcloud_root = self._check_root(
            "mixcloud_root", cls.mixcloud_root if mixcloud_root == MIXCLOUD_ROOT
            else mixcloud_root)
        self._oembed_root = self._check_root(
            "oembed_root", cls.oembed_root if oembed_root == OEMBED_ROOT else oembed_root)
        decoder = (cls.json_decoder_class if json_decoder_class is MixcloudJSONDecoder
                   else json_decoder_class)
        self._json_decode = decoder().decode
        self._resource_class = (cls.resource_class if resource_class is Resource
                                else resource_class)
        self._resource_list_class = (cls.resource_list_class
                                     if resource_list_class is ResourceList
                                     else resource_list_class)
        self.access_token = access_token
        self._raise_exceptions = bool(raise_exceptions)
        if session is not None and not isinstance(session, httpx.AsyncClient):
            raise TypeError(f"session must be an httpx.AsyncClient, got {type(session).__name__}")
        if session is not None and transport is not None:
            raise ValueError("pass either session or transport, not both")
        self._session = session
        self._owns_session = session is None
        self._transport = transport
        self._timeout = timeout
        self._upload_timeout = upload_timeout
        if isinstance(retries, RetryPolicy):
            policy = retries
        else:
            check_int("retries", retries, minimum=0)
            policy = RetryPolicy(retries=retries)
        if max_wait is not None:
            policy = RetryPolicy(**{**policy.__dict__, "max_wait": max_wait})
        self._retry = policy
        self._rate_limit_pause = RateLimitPause()
        self.on_wait = on_wait
        self.stats = ClientStats()

    @staticmethod
    def _check_root(name: str, url: Any) -> str:
        if not isinstance(url, str):
            raise TypeError(f"{name} must be a str URL, got {type(url).__name__}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{name} must be an http(s) URL like 'https://api.mixcloud.com', "
                             f"got {redact(url)!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"{name} must not hold a query or fragment: {redact(url)!r}")
        return url.rstrip("/")

    def __repr__(self) -> str:
        token = "set" if self.access_token else "none"
        return f"<{type(self).__name__} api_root={self._api_root!r} access_token={token}>"

    # -- session ------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._session is None:
            timeout = DEFAULT_TIMEOUT if self._timeout is _UNSET else self._timeout
            self._session = httpx.AsyncClient(
                transport=self._transport, timeout=timeout,
                headers={"User-Agent": "mixframe (+https://github.com/mixframe/mixframe)"})
        return self._session

    async def close(self) -> None:
        """Close the session, if this client created it; a session passed in stays open."""
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.aclose()

    async def __aenter__(self) -> Mixcloud:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # -- URLs ---------------------------------------------------------------------------

    @staticmethod
    def _url_join(url: str, segment: str) -> str:
        """Return a URL consisting of `url`, followed by `segment` (leading slash stripped).

        A trailing slash of `segment` is kept and characters outside a path are encoded.
        """
        return url.rstrip("/") + "/" + quote(segment.lstrip("/"), safe=_urls.KEY_SAFE)

    def _build_url(self, segment: str) -> str:
        """Return the URL of the resource `segment` (a key): API root plus normalised key."""
        return _urls.join(self._api_root, segment)

    def _absolute(self, url: str) -> str:
        """Return absolute `url` rebased on the API root when it names the API's host.

        Recorded responses carry ``http://api.mixcloud.com/...`` links; those are upgraded to
        the configured root so that the token never travels in clear.
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, got {type(url).__name__}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be an absolute http(s) URL, got {redact(url)!r}")
        api = urlsplit(self._api_root)
        if _urls.same_host(url, self._api_root):
            return urlunsplit((api.scheme, api.netloc, parts.path, parts.query, ""))
        raise ValueError(f"refusing to request {redact(url)!r}: its host is not the API "
                         f"host {api.netloc!r}")

    def _is_api(self, url: str) -> bool:
        return _urls.origin(url) == _urls.origin(self._api_root)

    def _with_token(self, url: str) -> str:
        """Return `url` with the access token, if any, checked for where it may go."""
        token = self.access_token
        if token is not None and not isinstance(token, str):
            raise TypeError(f"access_token must be a str, got {type(token).__name__}")
        if not token or not token.strip():  # blank counts as unset, as for personal methods
            return url
        scheme, host, _ = _urls.origin(url)
        if scheme != "https" and not _urls.is_loopback(host):
            raise ValueError(f"refusing to send the access token over plain http to {host!r}; "
                             "use an https api_root")
        return _urls.merge_query(url, {"access_token": token})

    # -- sending ------------------------------------------------------------------------

    async def _send(self, method: str, url: str, *, write: bool = False, timeout: Any = _UNSET,
                    files: Any = None) -> httpx.Response:
        """Send a request with the retry policy and return the final response.

        `url` must already be complete (query, token). Reads retry on transient failures;
        writes (`write`) only where the server cannot have acted: the connection was never
        made, or the rate limit refused them. Same-origin redirects are followed, others not.

        Raises
        ------
        TransportError
            When no complete response arrived, after the retries.
        """
        session = self._client()
        failures = rate_limits = redirects = 0
        if timeout is _UNSET and self._timeout is not _UNSET and not self._owns_session:
            timeout = self._timeout  # an explicit timeout= beats the given session's
        extra = {} if timeout is _UNSET else {"timeout": timeout}
        while True:
            shown = redact(url)
            await self._rate_limit_pause.wait()
            self.stats.requests += 1
            logger.debug("%s %s", method, shown)
            failure = None
            try:
                response = await session.request(method, url, files=files,
                                                 follow_redirects=False, **extra)
            except httpx.HTTPError as error:
                never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
                retryable = never_sent or (not write and isinstance(error, httpx.TransportError))
                reason = f"{type(error).__name__}: {redact(str(error)) or 'no detail'}"
                failure = (retryable, reason)
            if failure is not None:
                # Raised outside the except block: httpx's exception, whose request holds the
                # token, must not ride along as __context__.
                retryable, reason = failure
                if retryable and failures < self._retry.retries:
                    await self._backoff(failures, f"{method} {shown} failed ({reason})")
                    failures += 1
                    continue
                raise TransportError({"error": {
                    "type": "TransportError",
                    "message": f"{method} {shown} failed: {reason}"}}, url=shown)
            status = response.status_code
            if status in _REDIRECTS and "location" in response.headers:
                target = urljoin(url, response.headers["location"])
                if _urls.origin(target) != _urls.origin(url) or redirects >= _MAX_REDIRECTS:
                    return response  # not followed: reported as an error by the caller
                redirects += 1
                url = self._with_token(target) if self._is_api(target) else target
                continue
            body = self._decode(response) if status in (403, 429) else None
            if status in (403, 429) and _rate_limited(response, body):
                retry_after = _retry_after(response, body)
                delay = self._retry.rate_limit_delay(retry_after, rate_limits)
                if delay is None:
                    logger.warning("rate limited by Mixcloud on %s %s (retry after %s s, "
                                   "max_wait=%s s): giving up", method, shown, retry_after,
                                   self._retry.max_wait)
                    return response
                rate_limits += 1
                self.stats.rate_limit_waits += 1
                self.stats.waited_s += delay
                logger.log(logging.WARNING if delay >= 5 else logging.INFO,
                           "rate limited by Mixcloud on %s %s; waiting %.1f s", method, shown,
                           delay)
                if self.on_wait is not None:
                    self.on_wait(delay, f"rate limited by Mixcloud on {method} {shown}")
                self._rate_limit_pause.extend(delay)
                continue  # the loop's top waits, with every other request of this client
            if status >= 500 and not write and failures < self._retry.retries:
                await self._backoff(failures, f"{method} {shown} answered {status}")
                failures += 1
                continue
            return response

    async def _backoff(self, attempt: int, reason: str) -> None:
        delay = self._retry.backoff_delay(attempt)
        self.stats.retries += 1
        logger.info("%s; retry %d of %d in %.2f s", reason, attempt + 1, self._retry.retries,
                    delay)
        await asyncio.sleep(delay)

    def _decode(self, response: httpx.Response) -> Any:
        """Decoded JSON body; ``None`` when empty; :data:`_UNDECODABLE` when not JSON."""
        text = response.text
        if not text.strip():
            return None
        try:
            return self._json_decode(text)
        except ValueError:
            return _UNDECODABLE

    async def _process_response(self, response: httpx.Response) -> Any:
        """Return JSON-decoded data out of `response`, or ``None`` for an empty body.

        A body that is not JSON raises :class:`~mixframe.exceptions.DecodeError` when
        ``raise_exceptions`` is set, and gives ``None`` otherwise.
        """
        body = self._decode(response)
        if body is _UNDECODABLE:
            if self._raise_exceptions:
                raise DecodeError(_decode_error(response), status=response.status_code,
                                  url=redact(str(response.request.url)))
            return None
        return body

    async def _native_result(self, response: httpx.Response, *,
                             raise_errors: bool | None = None,
                             expect_body: bool = False) -> AccessDict:
        """Return the response as an :class:`AccessDict`, or raise its typed error.

        Error answers are an ``error`` body, any status >= 400 and a body that is not a JSON
        object: with ``raise_exceptions`` (or `raise_errors`) they raise, otherwise they come
        back as ``AccessDict({"error": {"type": ..., "message": ...}})``. An empty successful
        body gives an empty ``AccessDict``, unless `expect_body` (reads) makes it an error.
        """
        body = self._decode(response)
        status = response.status_code
        if isinstance(body, dict) and "error" in body:
            data = body
        elif status >= 400 or status in _REDIRECTS:
            data = {"error": {"type": "HTTPError",
                              "message": f"HTTP {status} {response.reason_phrase}".strip()}}
        elif body is None and not expect_body:
            return AccessDict({}, mixcloud=self)
        elif body is None:
            shown = redact(str(response.request.url))
            data = {"error": {"type": "DecodeError", "message": f"empty response of {shown}"}}
        elif isinstance(body, dict):
            return AccessDict(body, mixcloud=self)
        else:
            data = _decode_error(response)
        if self._raise_exceptions if raise_errors is None else raise_errors:
            shown = redact(str(response.request.url))
            error = data["error"]
            if isinstance(error, dict) and error.get("type") == "DecodeError":
                raise DecodeError(data, status=status, url=shown)
            raise _error_for(data, status, url=shown, retry_after=_retry_after(response, body))
        return AccessDict(data, mixcloud=self)

    async def _proper_result(self, response: httpx.Response) -> Any:
        """Return an :class:`AccessDict` for a JSON response, else the body text (a ``str``)."""
        content_type = response.headers.get("content-type", "")
        if ("javascript" in content_type or "json" in content_type
                or response.status_code >= 400):
            return await self._native_result(response)
        return response.text

    async def _fetch_json(self, url: str, *, relative: bool = True,
                          raise_errors: bool | None = None, **params: Any) -> Any:
        """GET `url` with ``metadata=1`` and the token; return the body dict or an error."""
        full = self._build_url(url) if relative else self._absolute(url)
        full = _urls.merge_query(full, {**params, "metadata": 1})
        if self._is_api(full):
            full = self._with_token(full)
        result = await self._native_result(await self._send("GET", full),
                                           raise_errors=raise_errors, expect_body=True)
        return result if "error" in result.data else result.data

    def api_url(self, key: str) -> str:
        """Return the absolute API URL of the resource `key` (slashes normalised).

        >>> Mixcloud().api_url("spartacus/followers")
        'https://api.mixcloud.com/spartacus/followers/'
        """
        return self._build_url(key)

    async def fetch(self, url: str, *, relative: bool = True, plain: bool = True,
                    **params: Any) -> dict[str, Any]:
        """GET a key or API URL (``metadata=1`` and the token added) and return its JSON body.

        For code that works on raw API objects (tables, crawls): the body is a plain ``dict``,
        not a model, and any error answer raises its typed
        :class:`~mixframe.exceptions.MixcloudError`, whatever ``raise_exceptions`` says.

        Parameters
        ----------
        url : str
            A key when `relative`, else an absolute URL on the API's host (paging links).
        plain : bool
            Decode with :mod:`json` (timestamps stay strings, as the API sends them) rather
            than with the client's ``json_decoder_class``.
        **params
            Extra query parameters (``None`` values are left out).
        """
        full = self._build_url(url) if relative else self._absolute(url)
        full = self._with_token(_urls.merge_query(full, {**params, "metadata": 1}))
        response = await self._send("GET", full)
        data: Any = None
        if response.status_code < 400:
            try:
                data = json.loads(response.text) if plain else self._decode(response)
            except ValueError:
                data = None
        if not isinstance(data, dict) or "error" in data:
            await self._native_result(response, raise_errors=True)
            raise DecodeError(_decode_error(response), status=response.status_code,
                              url=redact(full))
        return data

    # -- reading ------------------------------------------------------------------------

    async def get(self, url: str, *, relative: bool = True, create_connections: bool = True,
                  **params: Any) -> Any:
        """Send a GET request to the API and return the result as a model.

        Parameters
        ----------
        url : str
            A resource key (``"bob"``, ``"/bob/cool-mix/"``: slashes are normalised) when
            `relative`, else an absolute URL on the API's host (paging and connection URLs).
        create_connections : bool
            Create the connection methods of a returned resource.
        **params
            Extra query parameters (``None`` values are left out). ``metadata=1`` is always
            sent, and the access token when set.

        Returns
        -------
        Resource, ResourceList or AccessDict
            A list response (with a ``data`` list) gives a resource list, a single object a
            full resource, an error answer (unless ``raise_exceptions``) an ``AccessDict``
            with an ``error`` item.
        """
        data = await self._fetch_json(url, relative=relative, **params)
        if isinstance(data, AccessDict):
            return data
        if isinstance(data.get("data"), list):
            result = self._resource_list_class(data, mixcloud=self)
        else:
            result = self._resource_class(data, full=True, create_connections=create_connections,
                                          mixcloud=self)
        source = self._build_url(url) if relative else self._absolute(url)
        result.source_url = strip_secrets(
            _urls.merge_query(source, {**params, "metadata": 1}))
        return result

    # -- walking lists ------------------------------------------------------------------

    @walking
    def pages(self, url: Any, *, max_pages: int | None = None, max_items: int | None = None,
              **paging: Any) -> ListWalk[Any]:
        """Walk a list page by page: ``async for page in mixcloud.pages("bob/followers")``.

        Parameters
        ----------
        url : str or ResourceList
            A list's key (``"spartacus/followers"``), its absolute API URL, or a page in hand
            (a :class:`~mixframe.ResourceList`, yielded first, then followed).
        max_pages, max_items : int, optional
            Stop after that many pages, or once that many distinct items were seen. Every
            walk is bounded anyway (see :mod:`mixframe.paging` for all the stop rules).
        **paging
            ``limit``, ``offset``, ``since``, ``until``, or ``page`` with ``per_page``, as for
            the list methods (checked the same way), for the first page.

        Returns
        -------
        ListWalk
            An async iterator of :class:`~mixframe.ResourceList` pages; its ``stopped``,
            ``complete`` and ``next_url`` say why and where the walk ended. A page that fails
            raises its typed :class:`~mixframe.exceptions.MixcloudError`, whatever
            ``raise_exceptions`` says: a walk cannot go on without it.

        Examples
        --------
        >>> async def followers(mixcloud):
        ...     async for page in mixcloud.pages("spartacus/followers", limit=100):
        ...         print(len(page), page.source_url)
        """
        first = None
        if isinstance(url, ResourceList):
            first, start = url, None
            if paging:
                raise TypeError("paging keywords apply to a list's first page; a page in hand "
                                "is already fetched")
        else:
            params = pagination_params(**paging)
            if not isinstance(url, str):
                raise TypeError(f"url must be a key, an API URL or a ResourceList, "
                                f"got {type(url).__name__}")
            absolute = url.lower().startswith(("http://", "https://"))
            start = _urls.merge_query(self._absolute(url) if absolute else self._build_url(url),
                                      params)
        return ListWalk(self._list_page, start, first=first, max_pages=max_pages,
                        max_items=max_items)

    @walking
    async def items(self, url: Any, *, max_pages: int | None = None,
                    max_items: int | None = None, **paging: Any) -> AsyncIterator[Any]:
        """Walk a list item by item: ``async for user in mixcloud.items("bob/followers")``.

        Takes the same arguments as :meth:`pages` and yields each distinct item once, as a
        :class:`~mixframe.Resource`, stopping after exactly `max_items` items.
        """
        walk = self.pages(url, max_pages=max_pages, max_items=max_items, **paging)
        yielded = 0
        async for page in walk:
            new = set(walk.new_positions)
            for position, item in enumerate(page):
                if position in new:
                    yield item
                    yielded += 1
                    if max_items is not None and yielded >= max_items:
                        return

    async def _list_page(self, url: str) -> Any:
        """The list page at `url`, as a model; any error answer raises."""
        data = await self.fetch(url, relative=False, plain=False)
        page = self._resource_list_class(data, mixcloud=self)
        page.source_url = strip_secrets(_urls.merge_query(self._absolute(url), {"metadata": 1}))
        return page

    @personal
    async def me(self) -> Any:
        """Get information about the user authorised by the access token."""
        return await self.get("me")

    async def discover(self, tag: str) -> Any:
        """Get information about `tag` (a genre slug such as ``"jazz"``)."""
        if not isinstance(tag, str) or not tag.strip("/ "):
            raise ValueError(f"tag must be a non-empty str like 'jazz', got {tag!r}")
        return await self.get(f"discover/{tag.strip('/')}")

    @paginated
    async def popular(self, params: dict[str, Any]) -> Any:
        """Get information about popular cloudcasts."""
        return await self.get("popular", **params)

    @paginated
    async def hot(self, params: dict[str, Any]) -> Any:
        """Get information about hot cloudcasts."""
        return await self.get("popular/hot", **params)

    @paginated
    async def new(self, params: dict[str, Any]) -> Any:
        """Get information about new cloudcasts."""
        return await self.get("new", **params)

    @paginated
    async def search(self, query: str, params: dict[str, Any], *,
                     type: str = "cloudcast") -> Any:
        """Search resources of `type` (``"cloudcast"``, ``"user"`` or ``"tag"``) by `query`."""
        if not isinstance(query, str) or not query.strip():
            raise ValueError(f"query must be a non-empty str, got {query!r}")
        if type not in SEARCH_TYPES:
            raise ValueError(f"type must be one of {', '.join(SEARCH_TYPES)}; got {type!r}")
        return await self.get("search", q=query, type=type, **params)

    # -- actions ------------------------------------------------------------------------

    async def _do_action(self, url: str, action: str, method: str) -> AccessDict:
        """Make HTTP `method` request about `action` to the resource `url` and return results.

        Needs the access token, like every action.
        """
        if method not in ("post", "delete"):
            raise ValueError(f"method must be 'post' or 'delete', got {method!r}")
        name = action.replace("-", "_")
        require_token(self, name if method == "post" else f"un{name}")
        if _urls.normalize_key(url) == "/":
            raise ValueError(f"{name}() needs the key of a resource, got {url!r}")
        full = self._with_token(self._build_url(f"{_urls.normalize_key(url)}{action}/"))
        return await self._native_result(await self._send(method.upper(), full, write=True))

    async def _post_action(self, url: str, action: str) -> AccessDict:
        """Make HTTP POST request about `action` to the resource `url` and return results."""
        return await self._do_action(url, action, "post")

    async def _delete_action(self, url: str, action: str) -> AccessDict:
        """Make HTTP DELETE request about `action` to the resource `url` and return results."""
        return await self._do_action(url, action, "delete")

    @targeting
    async def follow(self, user: str) -> AccessDict:
        """Follow `user` and return results of the request."""
        return await self._post_action(user, "follow")

    @targeting
    async def unfollow(self, user: str) -> AccessDict:
        """Unfollow `user` and return results of the request."""
        return await self._delete_action(user, "follow")

    @targeting
    async def favorite(self, cloudcast: str) -> AccessDict:
        """Favorite `cloudcast` and return results of the request."""
        return await self._post_action(cloudcast, "favorite")

    @targeting
    async def unfavorite(self, cloudcast: str) -> AccessDict:
        """Unfavorite `cloudcast` and return results of the request."""
        return await self._delete_action(cloudcast, "favorite")

    @targeting
    async def repost(self, cloudcast: str) -> AccessDict:
        """Repost `cloudcast` and return results of the request."""
        return await self._post_action(cloudcast, "repost")

    @targeting
    async def unrepost(self, cloudcast: str) -> AccessDict:
        """Unrepost `cloudcast` and return results of the request."""
        return await self._delete_action(cloudcast, "repost")

    @targeting
    async def listen_later(self, cloudcast: str) -> AccessDict:
        """Add `cloudcast` to the "listen later" list and return results of the request."""
        return await self._post_action(cloudcast, "listen-later")

    @targeting
    async def unlisten_later(self, cloudcast: str) -> AccessDict:
        """Remove `cloudcast` from the "listen later" list and return results of the request."""
        return await self._delete_action(cloudcast, "listen-later")

    # -- uploading ----------------------------------------------------------------------

    async def _upload(self, params: dict[str, Any], data: list[tuple[str, Any]],
                      url: str) -> AccessDict:
        """Add multipart fields from `params` to `data`, POST them to `url`, return results.

        `data` holds ``(field, value)`` pairs already decided (``name``, ``mp3``); a value
        that is a path or a binary file is sent as a streamed file part. Values are sent as
        strings (booleans as ``"1"``). Files this method opens are closed on every path.
        """
        params = dict(params)
        fields = list(data)
        if "picture" in params:
            fields.append(("picture", params.pop("picture")))
        tags = params.pop("tags", None) or []
        sections = params.pop("sections", None) or []
        for name, value in params.items():
            fields.append((name, "1" if value is True else str(value)))
        fields += [(f"tags-{i}-tag", tag) for i, tag in enumerate(tags)]
        fields += [(f"sections-{i}-{key}", str(value))
                   for i, section in enumerate(sections) for key, value in section.items()]
        with contextlib.ExitStack() as opened:
            parts = []
            for name, value in fields:
                if isinstance(value, (str, bytes)) and name not in ("mp3", "picture"):
                    parts.append((name, (None, value)))
                elif hasattr(value, "read"):
                    filename = os.path.basename(getattr(value, "name", name) or name)
                    parts.append((name, (str(filename), value)))
                else:
                    handle = opened.enter_context(open(value, "rb"))
                    parts.append((name, (os.path.basename(os.fspath(value)), handle)))
            full = self._with_token(url)
            timeout = self._upload_timeout
            response = await self._send(
                "POST", full, write=True, files=parts,
                timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout))
        return await self._native_result(response)

    @uploading
    @personal
    async def upload(self, mp3: Any, name: str, params: dict[str, Any]) -> AccessDict:
        """Upload the audio file `mp3` (a path or binary file), named `name`.

        See :func:`~mixframe.decorators.uploading` for the keyword arguments. The file is
        streamed, not read into memory.
        """
        size = file_size("mp3", mp3)
        if size > MP3_MAX_SIZE:
            raise ValueError(f"mp3 file size must be {MP3_MAX_SIZE} bytes at most, got {size}")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        return await self._upload(params, [("name", name), ("mp3", mp3)],
                                  self._build_url("upload"))

    @targeting
    @uploading
    @personal
    async def edit(self, key: str, params: dict[str, Any], *, name: str | None = None
                   ) -> AccessDict:
        """Edit the upload identified by `key`, as described by the keyword arguments.

        `key` is ``"user/slug"`` in any slash form (a resource's own ``/user/slug/`` works),
        or a bare slug of the authorised user's upload, resolved through :meth:`me`.
        """
        normalized = _urls.normalize_key(key)
        if normalized.count("/") == 2:  # a bare slug
            me = await self.fetch("me")
            normalized = f"{me['key'].rstrip('/')}{normalized}"
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        data = [("name", name)] if name is not None else []
        return await self._upload(params, data, self._build_url(f"upload{normalized}edit"))

    # -- embedding ----------------------------------------------------------------------

    @displayed
    async def _embed(self, cloudcast: str, params: dict[str, Any]) -> Any:
        """Get embed data for `cloudcast` in the requested format with the display options."""
        params = dict(params)
        format = params.pop("format")
        if format not in ("json", "html"):
            raise ValueError(f"format must be 'json' or 'html' for embeds, got {format!r}")
        url = self._build_url(f"{_urls.normalize_key(cloudcast)}embed-{format}")
        return await self._proper_result(await self._send("GET", _urls.merge_query(url, params)))

    @targeting
    async def embed_json(self, *args: Any, **kwargs: Any) -> Any:
        """Get embed data for the cloudcast, in JSON format, with the display options."""
        return await self._embed(*args, format="json", **kwargs)

    @targeting
    async def embed_html(self, *args: Any, **kwargs: Any) -> Any:
        """Get embed data for the cloudcast, in HTML format, with the display options."""
        return await self._embed(*args, format="html", **kwargs)

    @targeting
    @displayed
    async def oembed(self, key: str, params: dict[str, Any]) -> Any:
        """Get oEmbed data for the resource `key`, in the requested format (json or xml)."""
        page = _urls.join(self._mixcloud_root, key)
        url = _urls.merge_query(self._oembed_root + "/", {**params, "url": page})
        return await self._proper_result(await self._send("GET", url))
