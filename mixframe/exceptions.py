"""Exception types.

Every exception mixframe raises about Mixcloud derives from :class:`MixcloudError`::

    MixcloudError            the API answered with an error, or could not be reached
     ├── AuthError           missing, invalid or revoked access token (OAuthException, 401)
     ├── NotFoundError       no such resource (404)
     ├── RateLimitError      Mixcloud's rate limit (403 RateLimitException, or 429); .retry_after
     ├── ServerError         Mixcloud failed (5xx)
     ├── TransportError      connection refused or dropped, timeout, truncated body
     │    └── ResponseTooLargeError  the answer is larger than max_response_size
     ├── DecodeError         a body that should be JSON is not
     └── MixcloudOAuthError  trading an OAuth code for an access token failed

Bad arguments are not Mixcloud's errors: they raise :class:`ValueError` or :class:`TypeError`
naming the argument, before any request is sent.

Messages never contain an access token or client secret: URLs are stored redacted.

What an answer means is decided in one place, :func:`classify` (HTTP status and decoded body
to success, or the error class with, for the rate limit, the wait Mixcloud asks for): the
client's retry loop and the errors it raises or returns both use it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AuthError",
    "DecodeError",
    "MixcloudError",
    "MixcloudOAuthError",
    "NotFoundError",
    "NOT_JSON",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "TransportError",
    "Verdict",
    "classify",
]


class MixcloudError(Exception):
    """Raised when the API responds with an error message.

    Parameters
    ----------
    data : mapping
        The decoded response body, ``{"error": {"type": ..., "message": ..., ...}}``. It is
        copied, never modified.
    status : int, optional
        HTTP status of the response, when there was one.
    url : str, optional
        The requested URL, already redacted.

    Attributes
    ----------
    type : str
        Error type, as described by the API (``"OAuthException"``, ``"RateLimitException"``...).
    message : str
        Error message.
    extra : dict
        Additional information: every other item of the error object (e.g. ``retry_after``).
    """

    type: str = ""
    message: str = ""
    extra: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None, *, status: int | None = None,
                 url: str | None = None) -> None:
        data = copy.deepcopy(dict(data or {}))
        super().__init__(data)
        self.data = data
        self.status = status
        self.url = url
        error = data.get("error")
        if isinstance(error, Mapping):
            error = dict(error)
            self.type = str(error.pop("type", "") or "")
            self.message = str(error.pop("message", "") or "")
            self.extra = error
        else:
            self.message = "" if error is None else str(error)
            self.extra = {}

    def __str__(self) -> str:
        parts = []
        if self.message:
            parts.append(self.message)
        if self.extra:
            parts.append("(" + ", ".join(f"{k}: {v}" for k, v in self.extra.items()) + ")")
        if self.type:
            parts.insert(0, f"{self.type}:" if parts else self.type)
        return " ".join(parts)

    def __reduce__(self):
        return _rebuild, (type(self), self.data, self.status, self.url)


def _rebuild(cls, data, status, url):
    return cls(data, status=status, url=url)


class AuthError(MixcloudError):
    """The access token is missing, invalid or revoked, or the action is not allowed."""


class NotFoundError(MixcloudError):
    """The requested resource does not exist."""


class RateLimitError(MixcloudError):
    """Mixcloud's rate limit was hit.

    Attributes
    ----------
    retry_after : float or None
        Seconds to wait before trying again, from the body's ``retry_after`` or the
        ``Retry-After`` header.
    """

    def __init__(self, data: Mapping[str, Any] | None = None, *, status: int | None = None,
                 url: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(data, status=status, url=url)
        if retry_after is None:
            retry_after = _seconds(self.extra.get("retry_after"))
        self.retry_after = retry_after

    def __reduce__(self):
        return _rebuild_rate_limit, (self.data, self.status, self.url, self.retry_after)


def _rebuild_rate_limit(data, status, url, retry_after):
    return RateLimitError(data, status=status, url=url, retry_after=retry_after)


class ServerError(MixcloudError):
    """Mixcloud answered with a 5xx status."""


class TransportError(MixcloudError):
    """The request failed before a complete response arrived."""


class ResponseTooLargeError(TransportError):
    """The answer is larger than the client's ``max_response_size``: it was not read whole.

    Attributes
    ----------
    limit : int or None
        The size limit, in bytes.
    """

    def __init__(self, data: Mapping[str, Any] | None = None, *, status: int | None = None,
                 url: str | None = None, limit: int | None = None) -> None:
        super().__init__(data, status=status, url=url)
        self.limit = limit

    def __reduce__(self):
        return _rebuild_too_large, (self.data, self.status, self.url, self.limit)


def _rebuild_too_large(data, status, url, limit):
    return ResponseTooLargeError(data, status=status, url=url, limit=limit)


class DecodeError(MixcloudError):
    """A response body that should be JSON could not be decoded."""


class MixcloudOAuthError(MixcloudError):
    """Raised when OAuth authorization fails.

    ``message`` is the server's ``error`` value (a string such as ``"invalid_grant"``, or the
    message of an error object); ``str()`` returns it unchanged.
    """

    def __str__(self) -> str:
        return self.message

    def __init__(self, data: Mapping[str, Any] | None = None, *, status: int | None = None,
                 url: str | None = None) -> None:
        super().__init__(data, status=status, url=url)
        error = (data or {}).get("error")
        if isinstance(error, Mapping):
            # An API-style error object: keep its message, and its type for callers.
            self.message = str(error.get("message") or error.get("type") or "")


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


class _NotJson:
    def __repr__(self) -> str:
        return "NOT_JSON"


#: What :func:`classify` is given as the body of an answer that is not JSON at all.
NOT_JSON: Any = _NotJson()

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an answer means: success (``error is None``), or the error it is.

    Attributes
    ----------
    error : type of MixcloudError, or None
        The exception class of the answer; ``None`` when it succeeded.
    retry_after : float or None
        For the rate limit, the seconds Mixcloud asks to wait (``Retry-After`` header, else
        the body's ``retry_after``).
    """

    error: type[MixcloudError] | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the answer succeeded."""
        return self.error is None

    @property
    def rate_limited(self) -> bool:
        """Whether the answer is Mixcloud's rate limit (worth waiting out)."""
        return self.error is RateLimitError

    @property
    def transient(self) -> bool:
        """Whether Mixcloud failed (5xx), so that the same request may well succeed later."""
        return self.error is ServerError

    def exception(self, data: Mapping[str, Any], *, status: int | None = None,
                  url: str | None = None) -> MixcloudError:
        """The exception to raise for this answer, holding the error body `data`."""
        error = self.error or MixcloudError
        if error is RateLimitError:
            return RateLimitError(data, status=status, url=url, retry_after=self.retry_after)
        return error(data, status=status, url=url)


OK = Verdict()


def classify(status: int, body: Any = None, *, retry_after: Any = None,
             expect_body: bool = False) -> Verdict:
    """What an answer means, from its HTTP status and its decoded body.

    Parameters
    ----------
    status : int
        The HTTP status.
    body
        The decoded JSON body: ``None`` for an empty body, :data:`NOT_JSON` for one that is
        not JSON.
    retry_after
        The ``Retry-After`` header, if any.
    expect_body : bool
        Whether a successful answer must hold a JSON object (reads); otherwise an empty body
        succeeds (actions).

    Returns
    -------
    Verdict
        Success for a 2xx (or other non-error status) with a JSON object, or an empty body
        when none is expected. Otherwise the error: :class:`RateLimitError` for an error of
        type ``RateLimitException`` or a 429, :class:`NotFoundError` for a 404 or a
        ``...NotFound...`` type, :class:`AuthError` for ``OAuthException``, 401 or 403,
        :class:`ServerError` for a 5xx, :class:`DecodeError` for a successful status whose
        body is not a JSON object, :class:`MixcloudError` for anything else.

    Examples
    --------
    >>> classify(200, {"key": "/bob/"}).ok
    True
    >>> classify(403, {"error": {"type": "RateLimitException", "retry_after": 12}})
    Verdict(error=<class 'mixframe.exceptions.RateLimitError'>, retry_after=12.0)
    >>> classify(200, NOT_JSON).error.__name__, classify(503, NOT_JSON).error.__name__
    ('DecodeError', 'ServerError')
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    if error is None and status < 400 and status not in REDIRECT_STATUSES:
        if isinstance(body, Mapping) or (body is None and not expect_body):
            return OK
        return Verdict(DecodeError)
    error_type = str(error.get("type") or "") if isinstance(error, Mapping) else ""
    if error_type == "RateLimitException" or status == 429:
        wait = _seconds(retry_after)
        if wait is None and isinstance(error, Mapping):
            wait = _seconds(error.get("retry_after"))
        return Verdict(RateLimitError, wait)
    if status == 404 or "NotFound" in error_type:
        return Verdict(NotFoundError)
    if error_type == "OAuthException" or status in (401, 403):
        return Verdict(AuthError)
    if status >= 500:
        return Verdict(ServerError)
    return Verdict(MixcloudError)
