"""Main functionality coordination: the :class:`Mixcloud` client.

One client holds the configuration, the HTTP session (an :class:`httpx.AsyncClient`) and every
method that reaches the API: :meth:`Mixcloud.get` for any key or URL, listings with pagination,
search, the authorised actions, upload and edit, and embedding.

Every request goes through one pipeline, layered like httpx's own ``send``:

* :meth:`Mixcloud._send` is the retry loop: it waits for the client's shared rate-limit pause
  and for its slot in the client's pace (:class:`~mixframe.retry.AdaptiveRate`, once a
  refusal was seen), makes one attempt, and asks the retry policy
  (:meth:`RetryPolicy.next_delay`) how long to wait before the next one, or whether to give up;
* :meth:`Mixcloud._send_handling_redirects` is one attempt: a request and the same-origin
  redirects it leads to;
* :meth:`Mixcloud._send_single_request` is one HTTP request, read whole within the attempt's
  deadline and the size limit.

With a response cache (``cache=``, :mod:`mixframe.cache`), :meth:`Mixcloud._send` answers a
GET it holds without sending it, keeps the successful answers of the others, and makes the
cache stale before and after every write.

What an answer means (success, rate limit, which error) is decided by
:func:`mixframe.exceptions.classify`, for the retry loop and for results alike. The access
token is kept in a masked :class:`~mixframe._redact.Secret` and joins a request only at the
transport edge (:class:`mixframe._transport.TokenAuth`), for the API's origin, never over plain
http except to loopback. The transport is the I/O seam: pass ``transport=`` (e.g.
:func:`mixframe.sandbox.transport`) or a whole ``session=``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import numbers
import os
import time
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpx

from . import _logging, _urls
from . import cache as _cache
from ._api import SEARCH_TYPES
from ._redact import Secret, mask, redact, strip_secrets
from ._transport import Answer, TokenAuth, deadline, json_text, read_answer
from .constants import API_ROOT, MIXCLOUD_ROOT, MP3_MAX_SIZE, OEMBED_ROOT
from .decorators import (check_int, displayed, file_size, paginated, pagination_params,
                         personal, require_token, targeting, uploading, walking)
from .exceptions import (NOT_JSON, REDIRECT_STATUSES, DecodeError, MixcloudError,
                         TransportError, Verdict, classify)
from .json import MixcloudJSONDecoder
from .models import AccessDict, Resource, ResourceList
from .paging import ListWalk
from .retry import AdaptiveRate, Failure, RateLimitPause, RetryPolicy

__all__ = ["ClientStats", "Mixcloud", "SEARCH_TYPES"]

logger = _logging.logger
_logging.install()

#: Timeout of reads, in seconds: of each network operation, and of each whole attempt.
DEFAULT_TIMEOUT = 30.0
#: Timeout of upload and edit requests, in seconds (large files on slow links take long).
DEFAULT_UPLOAD_TIMEOUT = 3600.0
#: Largest answer read, in bytes (32 MiB): the largest real page recorded is about 130 kB.
DEFAULT_MAX_RESPONSE_SIZE = 32 * 2**20
_MAX_REDIRECTS = 5
# Longest key accepted (Mixcloud's are a user name and a slug, well under 200 characters) and
# longest URL sent (8 KiB, what common servers accept in a request line).
_MAX_KEY_LENGTH = 1000
_MAX_URL_LENGTH = 8192
_UNSET: Any = object()


@dataclass
class ClientStats:
    """Counters of what a client did: requests sent, answers taken from its response cache
    instead (``cache_hits``), retries and rate-limit waits, and the
    pace its requests go out at (requests per second; ``None`` while not paced, that is
    until Mixcloud first refuses one, or with ``pacing=False``)."""

    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_s: float = 0.0
    pace: float | None = None
    cache_hits: int = 0


def _check_timeout(name: str, value: Any) -> Any:
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, an httpx.Timeout or None, "
                        f"got {type(value).__name__}")
    if not float(value) > 0:
        raise ValueError(f"{name} must be > 0 seconds, got {value!r}")
    return value


def _blank(content: bytes) -> bool:
    return not content or content.isspace()


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
        Timeout of reads, in seconds (default 30 s, or the given session's own). It bounds
        each network operation, and each whole attempt too: connecting, sending, and reading
        the answer's headers and body must all be done within it, however slowly a server
        trickles bytes. Each retry gets the whole timeout again, so a read gives up after at
        most ``(retries + 1) * timeout`` plus the backoff delays; rate-limit waits come on
        top. With an :class:`httpx.Timeout`, its largest limit bounds the attempt (none when
        a limit is unset).
    upload_timeout : float or httpx.Timeout or None
        Timeout of upload and edit requests, as `timeout` (default one hour; ``None`` for
        none).
    max_response_size : int or None
        Largest answer read, in bytes (default 32 MiB, far above any real page); a larger one
        raises :class:`~mixframe.exceptions.ResponseTooLargeError` as soon as it is known to
        be, without being read whole. ``None`` for no limit.
    retries : int or RetryPolicy
        Retry policy, or the number of retries of transient failures with the default policy.
    max_wait : float, optional
        Longest rate-limit wait honoured, in seconds (overrides the policy's ``max_wait``).
        While one request waits out a rate limit, every request of the client waits with it.
    pacing : AdaptiveRate or bool
        How the client paces its requests after Mixcloud refused one for its rate limit
        (default ``True``: an :class:`~mixframe.retry.AdaptiveRate` with its defaults).
        Nothing is paced before the first refusal; after it every request of the client goes
        out at a pace learned from the refusals, a little below the rate Mixcloud allowed,
        and probes upward slowly. The pace is ``client.stats.pace``. ``False`` sends as fast
        as the requests come, only waiting out each refusal.
    cache : bool, path or ResponseCache, optional
        Keep the successful answers of GET requests on disk and answer the same requests from
        there (see :mod:`mixframe.cache`): ``True`` in the user's cache folder
        (``~/.cache/mixframe`` on Linux), a path in that folder, a
        :class:`~mixframe.cache.ResponseCache` as it is configured; ``False`` not at all. By
        default (``None``) as the ``MIXFRAME_CACHE`` environment variable says (``1`` or a
        folder), off when it is unset. Needs ``pip install 'mixframe[cache]'``. The token is
        never stored; answers fetched with it are kept per user. A write through the client
        makes what was cached before it stale. ``client.cache.clear()`` empties it.
    cache_ttl : float, optional
        Seconds a cached answer is served (default one hour).
    transport : httpx.AsyncBaseTransport, optional
        Transport for the session the client creates (e.g. the in-process sandbox).
    on_wait : callable, optional
        Called as ``on_wait(seconds, reason)`` before each rate-limit wait, to show it (the
        crawler's progress bar does). Waits are logged at INFO on the ``mixframe`` logger.

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
                 max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
                 retries: int | RetryPolicy = 3, max_wait: float | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 on_wait: Callable[[float, str], Any] | None = None,
                 pacing: AdaptiveRate | bool = True, cache: Any = None,
                 cache_ttl: float | None = None) -> None:
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
        self._token: Secret | None = None
        self.access_token = access_token
        scheme, host, _ = _urls.origin(self._api_root)
        self._api_in_clear = scheme != "https" and not _urls.is_loopback(host)
        self._auth = TokenAuth(self._api_root, lambda: self._token)
        self._raise_exceptions = bool(raise_exceptions)
        if session is not None and not isinstance(session, httpx.AsyncClient):
            raise TypeError(f"session must be an httpx.AsyncClient, got {type(session).__name__}")
        if session is not None and transport is not None:
            raise ValueError("pass either session or transport, not both")
        self._session = session
        self._owns_session = session is None
        self._transport = transport
        self._timeout = timeout if timeout is _UNSET else _check_timeout("timeout", timeout)
        self._upload_timeout = _check_timeout("upload_timeout", upload_timeout)
        if max_response_size is not None:
            check_int("max_response_size", max_response_size, minimum=1)
        self._max_response_size = max_response_size
        if isinstance(retries, RetryPolicy):
            policy = retries
        else:
            check_int("retries", retries, minimum=0)
            policy = RetryPolicy(retries=retries)
        if max_wait is not None:
            policy = RetryPolicy(**{**policy.__dict__, "max_wait": max_wait})
        self._retry = policy
        self._rate_limit_pause = RateLimitPause()
        if isinstance(pacing, AdaptiveRate):
            self._pacing: AdaptiveRate | None = pacing
        elif isinstance(pacing, bool):
            self._pacing = AdaptiveRate() if pacing else None
        else:
            raise TypeError(f"pacing must be an AdaptiveRate or a bool, "
                            f"got {type(pacing).__name__}")
        self.on_wait = on_wait
        self.stats = ClientStats()
        #: The :class:`~mixframe.cache.ResponseCache` answering GET requests, or ``None``.
        self.cache = _cache.resolve(cache, cache_ttl)
        self._owns_cache = not isinstance(cache, _cache.ResponseCache)
        self._viewer: tuple[Secret, str | None] | None = None  # a token's user, for the cache
        self._viewer_lock: asyncio.Lock | None = None

    @property
    def access_token(self) -> str | None:
        """OAuth access token (a ``str``), or ``None``; set it to log in or out.

        It is kept in a masked :class:`~mixframe._redact.Secret`, so that no repr, and no
        local variable shown by a verbose traceback, holds it.
        """
        return None if self._token is None else self._token.reveal()

    @access_token.setter
    def access_token(self, value: str | Secret | None) -> None:
        if value is not None and not isinstance(value, (str, Secret)):
            raise TypeError(f"access_token must be a str, got {type(value).__name__}")
        self._token = Secret(value) if isinstance(value, str) else value

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
        token = "set" if self._token is not None and self._token.reveal() else "none"
        return f"<{type(self).__name__} api_root={self._api_root!r} access_token={token}>"

    # -- session ------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._session is None:
            timeout = DEFAULT_TIMEOUT if self._timeout is _UNSET else self._timeout
            self._session = httpx.AsyncClient(
                transport=self._transport, timeout=timeout,
                headers={"User-Agent": "mixframe (+https://github.com/mixframe/mixframe)"})
            _logging.install()  # the session's transport has created httpcore's loggers
        return self._session

    async def close(self) -> None:
        """Close the session, if this client created it; a session passed in stays open.

        Requests still in flight end with a :class:`~mixframe.exceptions.TransportError`
        (they are not sent again on a closed session); a request made after closing opens a
        new session.
        """
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.aclose()
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    async def __aenter__(self) -> Mixcloud:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # -- URLs ---------------------------------------------------------------------------

    @staticmethod
    def _url_join(url: str, segment: str) -> str:
        """Return a URL consisting of `url`, followed by `segment` (leading slash stripped).

        A trailing slash of `segment` is kept and characters outside a path are encoded.

        >>> Mixcloud._url_join("https://example.com/", "/deep house/")
        'https://example.com/deep%20house/'
        """
        return url.rstrip("/") + "/" + quote(segment.lstrip("/"), safe=_urls.KEY_SAFE)

    def _build_url(self, segment: str) -> str:
        """Return the URL of the resource `segment` (a key): API root plus normalised key."""
        if isinstance(segment, str) and len(segment) > _MAX_KEY_LENGTH:
            raise ValueError(f"key is {len(segment)} characters long; a Mixcloud key is a user "
                             f"name and a slug, at most {_MAX_KEY_LENGTH} characters here")
        return self._url_join(self._api_root, _urls.normalize_key(segment))

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

    def _api_target(self, url: str, relative: bool, params: dict[str, Any]) -> str:
        """The URL a read of `url` (a key, or an API URL) sends: ``metadata=1`` and `params`
        merged in. The token is not in it: it joins at the transport edge."""
        full = self._build_url(url) if relative else self._absolute(url)
        return _urls.merge_query(full, {**params, "metadata": 1})

    # -- sending: the retry loop, one attempt with its redirects, one request ------------

    async def _send(self, method: str, url: str, *, write: bool = False,
                    authorised: bool = True, timeout: Any = _UNSET,
                    files: Any = None, use_cache: bool = True) -> Answer:
        """Send a request with the retry policy and return the final answer.

        `url` is complete but for the token, which joins at the transport edge when
        `authorised` (for the API's origin only). Reads retry transient failures; writes
        (`write`) only where the server cannot have acted: the connection was never made, or
        the rate limit refused them. Each rate-limit answer holds every request of the client
        for the wait the policy gives. An answer given up on (an error, a 5xx after the
        retries, a rate limit longer than ``max_wait``) is returned: the caller reports it.
        With a response cache (unless not `use_cache`), a GET it holds is answered from it,
        and a successful one kept in it; a write makes it stale, before and after.

        Raises
        ------
        TransportError
            When no whole answer arrived, after the retries, or the client was closed.
        ResponseTooLargeError
            When the answer is larger than ``max_response_size``.
        ValueError
            When `url` cannot be sent (too long, or invalid), or the token would travel over
            plain http.
        """
        if len(url) > _MAX_URL_LENGTH:
            raise ValueError(f"url is {len(url)} characters long, more than the "
                             f"{_MAX_URL_LENGTH} servers accept: a key, query or parameter is "
                             f"too long")
        if authorised and self._api_in_clear and self._token is not None \
                and self._token.reveal().strip() and self._is_api(url):
            raise ValueError(f"refusing to send the access token over plain http to "
                             f"{_urls.origin(url)[1]!r}; use an https api_root")
        cache = self.cache if use_cache else None
        key = None
        if cache is not None and method == "GET":
            key = await self._cache_key(url, authorised)
            if key is not None:
                kept = cache.get(key, url)
                if kept is not None:
                    self.stats.cache_hits += 1
                    return kept
        elif cache is not None and write:
            cache.invalidate()  # the server may act on it even if its answer is lost
        session = self._client()
        extra, limit = self._limits(session, timeout)
        pacing = self._pacing
        transient = rate_limits = 0
        while True:
            await self._take_turn()
            if session.is_closed:  # close() was called while this request was under way
                raise self._transport_error(method, url, "the client was closed")
            sent_at = time.monotonic()
            if pacing is not None:
                pacing.sent(sent_at)
            outcome = await self._send_handling_redirects(
                session, method, url, write=write, authorised=authorised, files=files,
                extra=extra, limit=limit)
            answer = None
            if isinstance(outcome, Failure):
                failure = outcome
            else:
                verdict = None if outcome.status_code < 400 else self._verdict(outcome)
                if pacing is not None and not (verdict is not None and verdict.rate_limited):
                    pacing.accepted(sent_at)
                if verdict is None:
                    if key is not None and cache is not None:
                        cache.put(key, outcome, self._token)
                    elif write and cache is not None:
                        cache.invalidate()  # reads kept while it was under way are stale
                    return outcome
                answer = outcome
                if verdict.rate_limited:
                    failure = Failure("rate limited by Mixcloud", rate_limited=True,
                                      retry_after=verdict.retry_after)
                elif verdict.transient:
                    failure = Failure(f"answered {outcome.status_code}", retryable=not write)
                else:
                    return outcome
            delay = self._retry.next_delay(failure, rate_limits if failure.rate_limited
                                           else transient)
            if failure.rate_limited and pacing is not None:
                pacing.refused(sent_at, delay if delay is not None
                               else failure.retry_after or 0.0, time.monotonic())
                self.stats.pace = pacing.pace
            if delay is None:
                if answer is None:
                    raise self._transport_error(method, url, failure.reason)
                if failure.rate_limited:
                    logger.warning("rate limited by Mixcloud on %s %s (retry after %s s, "
                                   "max_wait=%s s): giving up", method, url,
                                   failure.retry_after, self._retry.max_wait)
                return answer
            if failure.rate_limited:
                rate_limits += 1
                self.stats.rate_limit_waits += 1
                self.stats.waited_s += delay
                logger.info("rate limited by Mixcloud on %s %s; waiting %.1f s", method, url,
                            delay)
                if self.on_wait is not None:
                    self.on_wait(delay, f"rate limited by Mixcloud on {method} "
                                        f"{redact(url, self._token)}")
                self._rate_limit_pause.extend(delay)  # the loop's top waits, with every request
            else:
                transient += 1
                self.stats.retries += 1
                logger.info("%s %s %s; retry %d of %d in %.2f s", method, url, failure.reason,
                            transient, self._retry.retries, delay)
                await asyncio.sleep(delay)

    async def _cache_key(self, url: str, authorised: bool) -> str | None:
        """The cache key of a GET of `url`: per user when the token goes with it (``None``
        when the token's user is unknown: not cached), else anonymous."""
        assert self.cache is not None
        token = self._token
        if not authorised or token is None or not token.reveal().strip() \
                or not self._is_api(url):
            return self.cache.key(url, None)
        viewer = await self._viewer_of(token)
        return None if viewer is None else self.cache.key(url, viewer)

    async def _viewer_of(self, token: Secret) -> str | None:
        """The user name `token` belongs to: remembered by the cache, else asked of ``/me/``
        once (its answer is cached too); ``None`` when ``/me/`` refuses the token."""
        cache = self.cache
        assert cache is not None
        if self._viewer is not None and self._viewer[0] is token:
            return self._viewer[1]
        if self._viewer_lock is None:
            self._viewer_lock = asyncio.Lock()
        async with self._viewer_lock:
            if self._viewer is not None and self._viewer[0] is token:
                return self._viewer[1]
            name = cache.viewer(token)
            if name is None:
                url = self._api_target("me", True, {})
                answer = await self._send("GET", url, use_cache=False)
                body = self._decode(answer, plain=True)
                if answer.status_code == 200 and isinstance(body, dict) \
                        and isinstance(body.get("username"), str):
                    name = body["username"]
                    cache.remember_viewer(token, name)
                    cache.put(cache.key(url, name), answer, token)
            self._viewer = (token, name)
            return name

    async def _take_turn(self) -> None:
        """Wait until this request may go: after the client's rate-limit pause, and in its
        slot of the client's pace once it is paced. A refusal seen while waiting for a slot
        voids it: the request then waits for the new pause and takes a new slot."""
        pause, pacing = self._rate_limit_pause, self._pacing
        while True:
            if pause.remaining() > 0:
                await pause.wait()
            if pacing is None or pacing.pace is None:
                return
            delay, generation = pacing.delay(time.monotonic())
            self.stats.pace = pacing.pace
            if delay <= 0:
                return
            await asyncio.sleep(delay)
            if pacing.still_valid(generation) and pause.remaining() <= 0:
                return

    async def _send_handling_redirects(self, session: httpx.AsyncClient, method: str, url: str,
                                       **options: Any) -> Answer | Failure:
        """One attempt: the request, then the redirects it leads to on the same origin (at
        most five); a redirect elsewhere, or past that, is the answer (an error)."""
        for _ in range(_MAX_REDIRECTS):
            outcome = await self._send_single_request(session, method, url, **options)
            if isinstance(outcome, Failure) or outcome.status_code not in REDIRECT_STATUSES:
                return outcome
            target = self._redirect_target(url, outcome)
            if target is None:
                return outcome
            url = target
        return await self._send_single_request(session, method, url, **options)

    @staticmethod
    def _redirect_target(url: str, answer: Answer) -> str | None:
        """Where a redirect leads, if it is to be followed: the same origin only, secrets
        dropped (the server may echo the token; the edge adds it again)."""
        location = answer.headers.get("location")
        if not location:
            return None
        try:
            target = urljoin(url, location)
            same = _urls.origin(target) == _urls.origin(url)
        except ValueError:  # e.g. a port out of range
            return None
        return strip_secrets(target) if same else None

    async def _send_single_request(self, session: httpx.AsyncClient, method: str, url: str, *,
                                   write: bool, authorised: bool, files: Any,
                                   extra: dict[str, Any], limit: float | None
                                   ) -> Answer | Failure:
        """One HTTP request, its answer read whole within the deadline `limit` and the size
        limit; a failure with no answer comes back as a :class:`~mixframe.retry.Failure`.

        httpx's exception is not raised on: it holds the request, token and all.
        """
        problem = None
        try:
            request = session.build_request(method, url, files=files, **extra)
        except httpx.InvalidURL as error:
            problem = str(error)
        if problem is not None:
            raise ValueError(f"url cannot be requested ({problem}): {redact(url)!r}")
        auth = self._auth if authorised and self._token is not None else httpx.USE_CLIENT_DEFAULT
        self.stats.requests += 1
        logger.debug("%s %s", method, url)
        try:
            async with asyncio.timeout(limit):
                response = await session.send(request, auth=auth, stream=True)
                try:
                    return await read_answer(response, url, self._max_response_size)
                finally:
                    await response.aclose()
        except TimeoutError:
            return Failure(f"failed: no whole answer within the {limit:g} s timeout",
                           retryable=not write)
        except httpx.HTTPError as error:
            never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
            retryable = never_sent or (not write and isinstance(error, httpx.TransportError))
            detail = redact(str(error), self._token) or "no detail"
            return Failure(f"failed ({type(error).__name__}: {detail})", retryable=retryable)

    def _limits(self, session: httpx.AsyncClient, timeout: Any) -> tuple[dict[str, Any],
                                                                         float | None]:
        """httpx's keywords for a request's timeout, and the deadline of one attempt."""
        if timeout is _UNSET:
            if self._owns_session or self._timeout is _UNSET:
                return {}, deadline(session.timeout)
            timeout = self._timeout  # an explicit timeout= beats the given session's
        return {"timeout": timeout}, deadline(timeout)

    def _transport_error(self, method: str, url: str, reason: str) -> TransportError:
        shown = redact(url, self._token)
        return TransportError({"error": {"type": "TransportError",
                                         "message": f"{method} {shown} {reason}"}}, url=shown)

    # -- reading answers ----------------------------------------------------------------

    def _decode(self, response: Answer, *, plain: bool = False) -> Any:
        """Decoded JSON body; ``None`` when empty; :data:`~mixframe.exceptions.NOT_JSON` for
        anything that is not JSON (nesting too deep included)."""
        if _blank(response.content):
            return None
        try:
            return (json.loads if plain else self._json_decode)(json_text(response.content))
        except (ValueError, RecursionError, OverflowError):  # JSONDecodeError is a ValueError
            return NOT_JSON

    def _verdict(self, response: Answer, *, expect_body: bool = False,
                 body: Any = _UNSET) -> Verdict:
        return classify(response.status_code, self._decode(response) if body is _UNSET else body,
                        retry_after=response.headers.get("retry-after"),
                        expect_body=expect_body)

    def _error(self, response: Answer, verdict: Verdict, body: Any) -> MixcloudError:
        """The exception for an error answer, its message masked (a server may echo the
        token)."""
        return verdict.exception(self._error_body(response, verdict, body),
                                 status=response.status_code,
                                 url=redact(response.url, self._token))

    def _error_body(self, response: Answer, verdict: Verdict, body: Any) -> dict[str, Any]:
        """The ``{"error": ...}`` body reported for an error answer, without the token."""
        if isinstance(body, dict) and "error" in body:
            data = body
        elif verdict.error is DecodeError:
            shown = redact(response.url, self._token)
            if body is None:
                message = f"empty response of {shown}"
            else:
                content_type = response.headers.get("content-type", "no content type")
                message = f"response of {shown} is not a JSON object ({content_type})"
            data = {"error": {"type": "DecodeError", "message": message}}
        else:
            data = {"error": {"type": "HTTPError", "message": f"HTTP {response.status_code} "
                                                              f"{response.reason_phrase}".strip()}}
        return mask(data, self._token)

    async def _process_response(self, response: Answer, *, plain: bool = False,
                                raise_errors: bool | None = None) -> Any:
        """Return JSON-decoded data out of `response`, or ``None`` for an empty body.

        A body that is not JSON gives ``None``; with ``raise_exceptions`` (or `raise_errors`)
        it raises :class:`~mixframe.exceptions.DecodeError` instead, when the status says the
        answer succeeded (an error status is reported as that error by the caller).
        """
        body = self._decode(response, plain=plain)
        if body is NOT_JSON:
            verdict = self._verdict(response, body=NOT_JSON)
            if verdict.error is DecodeError and (self._raise_exceptions if raise_errors is None
                                                 else raise_errors):
                raise self._error(response, verdict, NOT_JSON)
            return None
        return body

    async def _native_result(self, response: Answer, *, raise_errors: bool | None = None,
                             expect_body: bool = False, plain: bool = False) -> AccessDict:
        """Wrap :meth:`_process_response`: the answer as an :class:`AccessDict`, or its error.

        Error answers are an ``error`` body, any status >= 400 and a body that is not a JSON
        object: with ``raise_exceptions`` (or `raise_errors`) they raise their typed error,
        otherwise they come back as ``AccessDict({"error": {"type": ..., "message": ...}})``.
        An empty successful body gives an empty ``AccessDict``, unless `expect_body` (reads)
        makes it an error. `plain` decodes with :mod:`json` rather than the client's decoder.
        """
        raising = self._raise_exceptions if raise_errors is None else raise_errors
        body = await self._process_response(response, plain=plain, raise_errors=raising)
        if body is None and not _blank(response.content):
            body = NOT_JSON
        verdict = self._verdict(response, expect_body=expect_body, body=body)
        if verdict.ok:
            return AccessDict(body, mixcloud=self)
        if raising:
            raise self._error(response, verdict, body)
        return AccessDict(self._error_body(response, verdict, body), mixcloud=self)

    async def _proper_result(self, response: Answer) -> Any:
        """Return an :class:`AccessDict` for a JSON response, else the body text (a ``str``)."""
        content_type = response.headers.get("content-type", "")
        if ("javascript" in content_type or "json" in content_type
                or response.status_code >= 400):
            return await self._native_result(response)
        return response.text

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
        response = await self._send("GET", self._api_target(url, relative, params))
        result = await self._native_result(response, raise_errors=True, expect_body=True,
                                           plain=plain)
        return result.data


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
        full = self._api_target(url, relative, params)
        answer = await self._native_result(await self._send("GET", full), expect_body=True)
        data = answer.data
        if "error" in data:
            return answer
        if isinstance(data.get("data"), list):
            result = self._resource_list_class(data, mixcloud=self)
        else:
            result = self._resource_class(data, full=True, create_connections=create_connections,
                                          mixcloud=self)
        result.source_url = strip_secrets(full)
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
        full = self._build_url(f"{_urls.normalize_key(url)}{action}/")
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
            parts: list[tuple[str, tuple[str | None, Any]]] = []
            for name, value in fields:
                if isinstance(value, (str, bytes)) and name not in ("mp3", "picture"):
                    parts.append((name, (None, value)))
                elif hasattr(value, "read"):
                    filename = os.path.basename(getattr(value, "name", name) or name)
                    parts.append((name, (str(filename), value)))
                else:
                    handle = opened.enter_context(open(value, "rb"))
                    parts.append((name, (os.path.basename(os.fspath(value)), handle)))
            timeout = self._upload_timeout
            response = await self._send(
                "POST", url, write=True, files=parts,
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
        return await self._proper_result(
            await self._send("GET", _urls.merge_query(url, params), authorised=False))

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
        page = self._url_join(self._mixcloud_root, _urls.normalize_key(key))
        url = _urls.merge_query(self._oembed_root + "/", {**params, "url": page})
        return await self._proper_result(await self._send("GET", url, authorised=False))
