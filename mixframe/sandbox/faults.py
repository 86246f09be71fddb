"""Fault injection and request logging for any ASGI app.

:class:`FaultMiddleware` wraps an ASGI app. For every HTTP request it asks its :class:`Faults`
settings for a :class:`Decision` (drawn from a seeded RNG, so a run is reproducible), applies it,
and records the request in a :class:`RequestLog`. Dropped and truncated connections are signalled
to the server by raising :class:`~mixframe.sandbox.asgi.DroppedConnection` and
:class:`~mixframe.sandbox.asgi.TruncatedResponse`.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, overload
from urllib.parse import parse_qsl

from .._api import is_secret_param
from .alarm import sleep_until
from .asgi import ASGIApp, DroppedConnection, Message, Receive, Scope, Send, TruncatedResponse

__all__ = ["Decision", "FaultMiddleware", "Faults", "LoggedRequest", "RequestLog"]

#: Statuses of injected server errors, one picked at random per error.
ERROR_STATUSES = (500, 502, 503)

JSON_CONTENT_TYPE = b"text/javascript; charset=utf-8"

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Decision:
    """What the middleware does to one request.

    Attributes
    ----------
    delay
        Seconds from the request's arrival to its answer (the app works within them).
    fault
        ``None``, ``"rate_limit"``, ``"drop"``, ``"error"`` or ``"truncate"``.
    status
        HTTP status of an injected server error.
    retry_after
        Whole seconds to announce in a rate-limit answer.
    cut
        Fraction of the body sent before a truncation, in [0, 1).
    """

    delay: float = 0.0
    fault: str | None = None
    status: int = 500
    retry_after: int = 0
    cut: float = 0.0


class _Setting:
    """A fault setting checked on every assignment, so it can be changed safely while serving."""

    def __init__(self, maximum: float | None = None) -> None:
        self.maximum = maximum

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return self if instance is None else instance.__dict__[self.name]

    def __set__(self, instance: object, value: float) -> None:
        instance.__dict__[self.name] = _check(self.name, value, self.maximum)


def _check(name: str, value: float, maximum: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if value < 0 or (maximum is not None and value > maximum):
        bounds = f"between 0 and {maximum}" if maximum is not None else "0 or more"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
    return float(value)


class _TokenBucket:
    """Allow ``rate`` requests per second, in bursts of up to one second's worth (at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> float:
        """Take a token and return 0, or, if there is none, the seconds until there will be one."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Faults:
    """Fault settings of a :class:`FaultMiddleware`; each can be changed while it serves.

    One random draw per request picks its fault: drop, error and truncate take consecutive shares
    of the unit interval, so each rate is exactly the expected fraction of requests with that
    fault, and a seed faults the same requests whatever the kind. When the rates add up to more
    than 1, the later ones get what is left. Requests over the rate limit get the limit's answer
    and no other fault.

    Parameters
    ----------
    seed
        Seed of the fault RNG. Every request takes the same number of draws whatever the settings,
        so a seed gives the same faults for the same sequence of requests. Assigning re-seeds.
    latency
        Seconds each answer takes, counted from the request's arrival: the app works within
        that time and its answer is held back until it is up, so the sandbox's own speed does
        not add to the latency a client sees (unless the app is slower than the latency).
    jitter
        Most seconds randomly added to or taken from ``latency`` (the delay stays >= 0).
    error_rate
        Fraction of requests answered with a server error: 500 (JSON body), 502 or 503 (HTML).
    rate_limit
        Requests per second allowed (token bucket), or ``None`` for no limit. Excess requests get
        Mixcloud's answer: 403, a ``Retry-After`` header and a ``RateLimitException`` body.
        Assigning refills the bucket.
    drop_rate
        Fraction of requests whose connection is closed without a response.
    truncate_rate
        Fraction of requests whose response body is cut short and its connection closed.

    Raises
    ------
    ValueError
        For a negative number, a rate above 1 or a rate limit of 0, here or on assignment.
    """

    latency = _Setting()
    jitter = _Setting()
    error_rate = _Setting(maximum=1)
    drop_rate = _Setting(maximum=1)
    truncate_rate = _Setting(maximum=1)

    def __init__(self, *, seed: int = 0, latency: float = 0.0, jitter: float = 0.0,
                 error_rate: float = 0.0, rate_limit: float | None = None, drop_rate: float = 0.0,
                 truncate_rate: float = 0.0) -> None:
        self._lock = threading.Lock()
        self.seed = seed
        self.latency = latency
        self.jitter = jitter
        self.error_rate = error_rate
        self.rate_limit = rate_limit
        self.drop_rate = drop_rate
        self.truncate_rate = truncate_rate

    @property
    def seed(self) -> int:
        """Seed of the fault RNG."""
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        with self._lock:
            self._seed = value
            self._random = random.Random(value)

    @property
    def rate_limit(self) -> float | None:
        """Requests per second allowed, or ``None``."""
        return self._bucket.rate if self._bucket else None

    @rate_limit.setter
    def rate_limit(self, value: float | None) -> None:
        if value is not None and _check("rate_limit", value, None) == 0:
            raise ValueError("rate_limit must be more than 0 (or None for no limit)")
        with self._lock:
            self._bucket = _TokenBucket(float(value)) if value is not None else None

    def __repr__(self) -> str:
        names = ("seed", "latency", "jitter", "error_rate", "rate_limit", "drop_rate",
                 "truncate_rate")
        return f"Faults({', '.join(f'{name}={getattr(self, name)!r}' for name in names)})"

    def decide(self) -> Decision:
        """Draw the fate of the next request (thread-safe)."""
        with self._lock:
            draw, pick, jitter = (self._random.random() for _ in range(3))
            wait = self._bucket.take() if self._bucket else 0.0
        delay = max(0.0, self.latency + self.jitter * (2 * jitter - 1))
        if wait:
            return Decision(delay, "rate_limit", retry_after=max(1, math.ceil(wait)))
        threshold = self.drop_rate
        if draw < threshold:
            return Decision(delay, "drop")
        threshold += self.error_rate
        if draw < threshold:
            status = ERROR_STATUSES[int(pick * len(ERROR_STATUSES))]
            return Decision(delay, "error", status=status)
        threshold += self.truncate_rate
        if draw < threshold:
            return Decision(delay, "truncate", cut=pick)
        return Decision(delay)


@dataclass(frozen=True)
class LoggedRequest:
    """One request seen by a :class:`FaultMiddleware`.

    Attributes
    ----------
    method
        HTTP method.
    path
        URL path, percent-decoded.
    query
        Query parameters; a repeated parameter maps to the list of its values. Values of
        ``access_token``, ``client_secret`` and ``code`` are replaced by ``"***"``.
    status
        Status of the response, ``None`` if none was sent (dropped connection, app failure).
    fault
        Fault applied: ``None``, ``"rate_limit"``, ``"drop"``, ``"error"`` or ``"truncate"``.
    timestamp
        Arrival time, in seconds since the epoch.
    """

    method: str
    path: str
    query: dict[str, str | list[str]] = field(default_factory=dict)
    status: int | None = None
    fault: str | None = None
    timestamp: float = 0.0


def redacted_query(query_string: bytes) -> dict[str, str | list[str]]:
    """Parse a query string into a dict, hiding the values of secret parameters
    (:data:`mixframe._api.SECRET_PARAMS`, in any case)."""
    query: dict[str, str | list[str]] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if is_secret_param(name):
            value = "***"
        if name not in query:
            query[name] = value
        elif isinstance(previous := query[name], list):
            previous.append(value)
        else:
            query[name] = [previous, value]
    return query


class RequestLog:
    """A thread-safe record of requests: a sequence of the latest :class:`LoggedRequest` + totals.

    Parameters
    ----------
    maxlen
        Most entries kept; older ones are forgotten, but still counted by :attr:`count` and
        :meth:`path_counts`. ``None`` keeps all.
    """

    def __init__(self, maxlen: int | None = 100_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._paths: Counter[str] = Counter()

    def record(self, entry: LoggedRequest) -> None:
        """Append an entry."""
        with self._lock:
            self._entries.append(entry)
            self._paths[entry.path] += 1

    @property
    def count(self) -> int:
        """Requests recorded since creation or the last :meth:`reset`."""
        with self._lock:
            return self._paths.total()

    def path_counts(self) -> dict[str, int]:
        """Requests recorded per path."""
        with self._lock:
            return dict(self._paths)

    def reset(self) -> None:
        """Forget every entry and count."""
        with self._lock:
            self._entries.clear()
            self._paths.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> LoggedRequest: ...

    @overload
    def __getitem__(self, index: slice) -> list[LoggedRequest]: ...

    def __getitem__(self, index: int | slice) -> LoggedRequest | list[LoggedRequest]:
        with self._lock:
            if isinstance(index, slice):
                return list(self._entries)[index]
            return self._entries[index]

    def __iter__(self) -> Iterator[LoggedRequest]:
        with self._lock:
            return iter(list(self._entries))

    def __repr__(self) -> str:
        return f"<RequestLog of {self.count} requests>"


class FaultMiddleware:
    """ASGI middleware injecting faults into an app's HTTP traffic and logging every request.

    Parameters
    ----------
    app
        The ASGI app to wrap. Scopes other than ``http`` pass through untouched.
    log_size
        Most entries the request log keeps (see :class:`RequestLog`).
    **faults
        Initial :class:`Faults` settings: ``seed``, ``latency``, ``jitter``, ``error_rate``,
        ``rate_limit``, ``drop_rate``, ``truncate_rate``.

    Attributes
    ----------
    faults : Faults
        The settings, changeable at run time: ``middleware.faults.error_rate = 0.1``.
    requests : RequestLog
        The requests seen: ``middleware.requests[-1].query``.
    """

    def __init__(self, app: ASGIApp, *, log_size: int | None = 100_000, **faults: Any) -> None:
        self.app = app
        self.faults = Faults(**faults)
        self.requests = RequestLog(log_size)

    @property
    def request_count(self) -> int:
        """Requests seen since creation or the last :meth:`reset_log`."""
        return self.requests.count

    def reset_log(self) -> None:
        """Empty the request log."""
        self.requests.reset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrival = time.time()
        decision = self.faults.decide()
        answer_at = time.monotonic() + decision.delay
        fault = decision.fault
        status = None
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                query = redacted_query(scope.get("query_string", b""))
                self.requests.record(
                    LoggedRequest(scope["method"], scope["path"], query, status, fault, arrival))

        async def observed_send(message: Message) -> None:
            nonlocal status, fault
            if message["type"] == "http.response.start":
                status = message["status"]
                await sleep_until(answer_at)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                if fault == "truncate":
                    fault = None  # a truncated response never ends: there was nothing to cut
                record()  # before the client can see the response end, so it can rely on the log
            await send(message)

        try:
            if fault == "rate_limit":
                await _respond(observed_send, 403, *_rate_limit_answer(decision.retry_after))
            elif fault == "drop":
                await _drain(receive)
                await sleep_until(answer_at)
                raise DroppedConnection()
            elif fault == "error":
                await _respond(observed_send, decision.status, *_error_answer(decision.status))
            elif fault == "truncate":
                await _truncated(self.app, scope, receive, observed_send, decision.cut)
            else:
                await self.app(scope, receive, observed_send)
        finally:
            record()


async def _respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    """Read the whole request body, as a server does before failing to answer."""
    while (await receive()).get("more_body", False):
        pass


async def _truncated(app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                     cut: float) -> None:
    """Run the app, announce its body's full length, send ``cut`` of it, then break off."""
    start: Message | None = None
    parts: list[bytes] = []

    async def collect(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            parts.append(bytes(message.get("body", b"")))

    await app(scope, receive, collect)
    if start is None:
        return
    body = b"".join(parts)
    headers = [(name, value) for name, value in start.get("headers", [])
               if bytes(name).lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    if not body or scope["method"] == "HEAD":
        await send({"type": "http.response.body", "body": body})
        return
    received = int(len(body) * cut)
    await send({"type": "http.response.body", "body": body[:received], "more_body": True})
    raise TruncatedResponse(received, len(body))


def _rate_limit_answer(retry_after: int) -> tuple[Headers, bytes]:
    """Headers and body of Mixcloud's 403 rate-limit answer (tests/samples/error-ratelimit-403)."""
    error = {
        "message": f"You have hit your rate limit. Retry after {retry_after} seconds.",
        "type": "RateLimitException",
        "retry_after": retry_after,
    }
    headers = [
        (b"content-type", JSON_CONTENT_TYPE),
        (b"retry-after", str(retry_after).encode()),
        (b"access-control-allow-origin", b"*"),
    ]
    return headers, _mixcloud_json({"error": error})


def _error_answer(status: int) -> tuple[Headers, bytes]:
    """A server error as the API (500, JSON) or its nginx front (502, 503, HTML) would send it."""
    if status == 500:
        error = {"message": "An internal server error occurred.", "type": "InternalServerError"}
        return [(b"content-type", JSON_CONTENT_TYPE)], _mixcloud_json({"error": error})
    title = f"{status} {'Bad Gateway' if status == 502 else 'Service Temporarily Unavailable'}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body bgcolor=\"white\">\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx/1.12.1</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return [(b"content-type", b"text/html")], page.encode()


def _mixcloud_json(data: object) -> bytes:
    # Mixcloud pretty-prints with 4 spaces and Python 2's ", " item separator (a space before
    # each newline).
    return json.dumps(data, indent=4, separators=(", ", ": ")).encode()
