"""Retry policy: when a failed request is tried again, and how long to wait first.

Reads are retried on connection failures, timeouts, dropped or truncated responses and 5xx
answers, with exponential backoff and jitter. Mixcloud's rate limit (HTTP 403 with
``error.type == "RateLimitException"``, or 429) is waited out for the ``Retry-After`` it
announces, unless that is longer than ``max_wait``. Writes are retried only where nothing can
have happened on the server: the connection was never made, or the rate limit refused them.

The client asks its policy one question after each failed attempt,
:meth:`RetryPolicy.next_delay`: how long to wait before the next one, or ``None`` to give up.
The failure is described by a :class:`Failure` (why, whether trying again is safe, and for the
rate limit the wait Mixcloud asked for).

The rate limit is the client's, not one request's: while one request waits it out, a
:class:`RateLimitPause` holds every other request of the same client too, instead of letting
each of them be refused in turn.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

__all__ = ["Failure", "RateLimitPause", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an attempt failed, as much as the retry policy needs to know.

    Parameters
    ----------
    reason : str
        What happened, for log lines and error messages (``"ConnectError: ..."``,
        ``"answered 503"``); never holds a secret.
    retryable : bool
        Whether sending the request again is safe: false for a write the server may already
        have acted on.
    rate_limited : bool
        Whether Mixcloud's rate limit refused the request (always safe to send again).
    retry_after : float, optional
        For the rate limit, the seconds Mixcloud asked to wait.
    """

    reason: str
    retryable: bool = True
    rate_limited: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How a :class:`~mixframe.Mixcloud` client retries.

    Parameters
    ----------
    retries : int
        Further attempts after a transient failure (connection error, timeout, 5xx).
    backoff : float
        First backoff delay in seconds; it doubles on each further attempt.
    backoff_max : float
        Longest backoff delay in seconds.
    jitter : float
        Fraction of each backoff delay that is randomised (0 = none, 1 = all of it), so that
        many clients do not retry in step.
    max_wait : float
        Longest rate-limit wait honoured, in seconds. When Mixcloud asks for a longer one the
        :class:`~mixframe.exceptions.RateLimitError` is raised (or returned) at once.
    rate_limit_retries : int
        How many rate-limit answers in a row one request waits out before giving up.

    Examples
    --------
    >>> policy = RetryPolicy(retries=5, max_wait=60)
    >>> policy.backoff_delay(0, rng=random.Random(1)) <= 0.5
    True
    >>> policy.next_delay(Failure("rate limited", rate_limited=True, retry_after=12), 0)
    12
    >>> policy.next_delay(Failure("answered 503", retryable=False), 0) is None
    True
    """

    retries: int = 3
    backoff: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.5
    max_wait: float = 900.0
    rate_limit_retries: int = 10
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("retries", "rate_limit_retries"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        for name in ("backoff", "backoff_max", "max_wait"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter!r}")

    def next_delay(self, failure: Failure, attempt: int) -> float | None:
        """Seconds to wait before sending again after `failure`, or ``None`` to give up.

        `attempt` counts the failures of the same kind this request already waited out (0 on
        the first): transient failures back off with jitter up to ``backoff_max``, at most
        ``retries`` times; the rate limit is waited out for its ``Retry-After`` (see
        :meth:`rate_limit_delay`). A failure that is not ``retryable`` is never retried.
        """
        if failure.rate_limited:
            return self.rate_limit_delay(failure.retry_after, attempt)
        if not failure.retryable or attempt >= self.retries:
            return None
        return self.backoff_delay(attempt)

    def backoff_delay(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0 for the first retry)."""
        delay = min(self.backoff_max, self.backoff * 2 ** attempt)
        return delay * (1 - self.jitter * (rng or self.rng).random())

    def rate_limit_delay(self, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait after a rate-limit answer, or ``None`` to give up.

        Without a ``Retry-After`` the wait backs off like a transient failure.
        """
        if attempt >= self.rate_limit_retries:
            return None
        if retry_after is None:
            return self.backoff_delay(attempt)
        return retry_after if retry_after <= self.max_wait else None


class RateLimitPause:
    """The moment one client may send again after Mixcloud said it hit its rate limit.

    Every request of the client passes :meth:`wait` before it is sent; a rate-limit answer
    pushes the moment back with :meth:`extend`. Without it, a crawler's worker between two
    requests would send into a limit another worker has already met, and workers out of step
    with each other could each be refused again and again. Requests already in flight when
    the first answer comes back still meet the limit.

    Examples
    --------
    >>> pause = RateLimitPause()
    >>> pause.remaining()
    0.0
    >>> pause.extend(2.0)
    >>> 1.9 < pause.remaining() <= 2.0
    True
    """

    def __init__(self) -> None:
        self._until = 0.0  # on the time.monotonic clock

    def extend(self, seconds: float) -> None:
        """Hold every request for `seconds` from now, unless already held for longer."""
        self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left before requests may go out again (0.0 when they may now)."""
        return max(0.0, self._until - time.monotonic())

    async def wait(self) -> None:
        """Return once requests may go out again; the moment may move while waiting."""
        while (seconds := self.remaining()) > 0:
            await asyncio.sleep(seconds)
