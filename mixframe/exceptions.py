"""Exception types.

Every exception mixframe raises about Mixcloud derives from :class:`MixcloudError`::

    MixcloudError            the API answered with an error, or could not be reached
     ├── AuthError           missing, invalid or revoked access token (OAuthException, 401)
     ├── NotFoundError       no such resource (404)
     ├── RateLimitError      Mixcloud's rate limit (403 RateLimitException, or 429); .retry_after
     ├── ServerError         Mixcloud failed (5xx)
     ├── TransportError      connection refused or dropped, timeout, truncated body
     ├── DecodeError         a body that should be JSON is not
     └── MixcloudOAuthError  trading an OAuth code for an access token failed

Bad arguments are not Mixcloud's errors: they raise :class:`ValueError` or :class:`TypeError`
naming the argument, before any request is sent.

Messages never contain an access token or client secret: URLs are stored redacted.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthError",
    "DecodeError",
    "MixcloudError",
    "MixcloudOAuthError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "TransportError",
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


def _error_for(data: Mapping[str, Any], status: int | None, *, url: str | None = None,
              retry_after: float | None = None) -> MixcloudError:
    """Return the typed exception for an error body and HTTP status."""
    error = data.get("error")
    error_type = error.get("type", "") if isinstance(error, Mapping) else ""
    if error_type == "RateLimitException" or status == 429:
        return RateLimitError(data, status=status, url=url, retry_after=retry_after)
    if status == 404 or "NotFound" in error_type:
        return NotFoundError(data, status=status, url=url)
    if error_type == "OAuthException" or status in (401, 403):
        return AuthError(data, status=status, url=url)
    if status is not None and status >= 500:
        return ServerError(data, status=status, url=url)
    return MixcloudError(data, status=status, url=url)
