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
each of them be refused in turn. Mixcloud does not publish its limits, so an
:class:`AdaptiveRate` learns them from the refusals: nothing is paced until the first one, then
every request of the client goes out at a pace a little below the rate Mixcloud allowed.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field

__all__ = ["AdaptiveRate", "Failure", "RateLimitPause", "RetryPolicy"]


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


class AdaptiveRate:
    """The pace of one client's requests, learned from Mixcloud's rate-limit answers.

    Mixcloud does not publish its rate limits; it refuses a request over the limit with a 403
    and a ``Retry-After``. A client that keeps being refused is the one that gets blocked, so
    after the first refusal every request of the client (all the workers of a crawl) goes out
    at a pace below the rate the server allowed. Until then nothing is paced at all.

    * **Learning.** At a refusal the allowed rate is taken as the requests accepted since the
      client could last send freely, over the time from then until it may send again (the
      wait included): exact for a token bucket or a fixed window when the server was holding
      the client back all along. It was if the client was not paced yet, or if that rate is
      clearly below the pace (under `margin` times it). Otherwise the refusal says only that
      the limit is now just below the pace, which is cut by `margin`; if the limit fell
      further, the next refusal comes soon and tells the rate. Requests already in flight
      when a refusal comes back teach nothing more.
    * **Pacing.** Requests go out one every ``1 / pace`` seconds, in the order they asked,
      ``pace = margin * allowed``. After the wait that follows a refusal the rate was learned
      from, up to one second's worth of them go at once: the server refilled during the
      wait.
    * **Probing.** The first estimate may have met an allowance partly spent before the
      client started, so until the next refusal the pace doubles every second; a jump up
      that is refused comes back to no less than the pace it started from. After that, and
      after `probe_every` seconds without a refusal, the pace grows by `probe_step`: slowly,
      since a limit passed is noticed only once the server's allowance is spent. After a deep cut (the limit fell below half the pace held before), that pace
      is tried again after `recover_every` seconds, then at intervals 1.5 times longer each
      time it is refused, for `recover_for` seconds: a limit that comes back is used again
      within seconds, one that does not costs a few refusals.

    One instance holds one client's pace. Give the same instance to several clients on one
    event loop to make them share it (e.g. clients of one token).

    Parameters
    ----------
    margin : float
        Fraction of the learned rate to pace at (0 < margin <= 1).
    probe_every : float
        Seconds without a refusal before the pace grows by `probe_step`.
    probe_step : float
        Fractional growth of the pace per probe (0.01: 1 %).
    recover_every : float
        Seconds before the first try of the pace held before a deep cut.
    recover_for : float
        Seconds after a deep cut during which that pace is tried again; then only probing.
    min_pace : float
        Slowest pace, in requests per second.

    Examples
    --------
    >>> rate = AdaptiveRate()
    >>> rate.pace is None                      # no refusal yet: not paced
    True
    >>> rate.sent(0.0)                         # 20 requests sent at t=0 are accepted ...
    >>> for _ in range(20):
    ...     rate.accepted(0.0)
    >>> rate.refused(0.0, wait=1.0, now=0.0)   # ... the 21st is refused: wait 1 s
    >>> round(rate.pace, 1)                    # 20 allowed in 1 s, paced at 97 %
    19.4
    >>> rate.delay(1.0)[0], rate.delay(1.0)[0]     # after the wait, a second's worth at once
    (0.0, 0.0)
    """

    def __init__(self, *, margin: float = 0.97, probe_every: float = 3.0,
                 probe_step: float = 0.01, recover_every: float = 1.5,
                 recover_for: float = 60.0, min_pace: float = 0.01) -> None:
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) \
                or not 0 < margin <= 1:
            raise ValueError(f"margin must be a number in (0, 1], got {margin!r}")
        for name, value in (("probe_every", probe_every), ("probe_step", probe_step),
                            ("recover_every", recover_every), ("recover_for", recover_for),
                            ("min_pace", min_pace)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{name} must be a number > 0, got {value!r}")
        self.margin = float(margin)
        self.probe_every = float(probe_every)
        self.probe_step = float(probe_step)
        self.recover_every = float(recover_every)
        self.recover_for = float(recover_for)
        self.min_pace = float(min_pace)
        #: Requests per second the client is paced at; ``None`` until the first refusal.
        self.pace: float | None = None
        #: Refusals that taught something (one per limit met, not one per request refused).
        self.refusals = 0
        self._epoch: float | None = None  # since when accepted answers are counted
        self._accepted = 0
        self._last_refusal = -math.inf  # when the last refusal that taught was seen
        self._changed = 0.0  # when the pace last changed
        self._held: float | None = None  # the last pace that ran probe_every s unrefused
        self._recall: float | None = None  # the pace to try again after a deep cut ...
        self._recall_until = 0.0  # ... until then,
        self._recall_wait = 0.0  # ... this long after the last refusal
        self._next = 0.0  # the next free slot (time.monotonic)
        self._credit = 0  # requests that may go at once (after a wait)
        self._generation = 0  # bumped at each refusal: slots taken before it are void
        self._starting = False  # from the first refusal to the next: double the pace
        self._base: float | None = None  # the pace before a jump up, which held

    def __repr__(self) -> str:
        pace = "not paced" if self.pace is None else f"pace={self.pace:.3g}/s"
        return f"<AdaptiveRate {pace}, {self.refusals} refusals learned from>"

    # -- what the client tells it -------------------------------------------------------

    def sent(self, now: float) -> None:
        """A request goes out at `now` (``time.monotonic``); the first one starts the count."""
        if self._epoch is None:
            self._epoch = now

    def accepted(self, sent_at: float) -> None:
        """An answer that was not a refusal came back for a request sent at `sent_at`."""
        if self._epoch is not None and sent_at >= self._epoch:
            self._accepted += 1

    def refused(self, sent_at: float, wait: float, now: float) -> None:
        """The request sent at `sent_at` was refused at `now`, and requests may go again
        after `wait` seconds (the retry policy's answer to its ``Retry-After``)."""
        if sent_at < self._last_refusal:  # in flight when the limit was met: nothing new
            return
        resume = now + wait
        start = self._epoch if self._epoch is not None else sent_at
        allowed = self._accepted / max(resume - start, 1e-9)
        held, pace = self._held, self.pace
        # Was the server holding the client back? Unpaced, it was; paced, if it let through
        # clearly fewer requests than the pace sent. Otherwise the limit only just fell
        # below the pace (or fell further: the next refusal, soon, will tell).
        learned = pace is None or allowed < self.margin * pace
        if pace is not None:
            if self._recall is not None and pace >= self._recall:
                self._recall_wait *= 1.5  # the pace held before has not come back yet
            if not learned:
                held = allowed = pace  # it ran until now
        new = max(self.min_pace, self.margin * allowed)
        if self._base is not None:  # a jump up went too far: back to what held, at least
            new = max(new, self._base)
        if held is not None and new < held / 2:  # a deep cut: the limit fell
            if self._recall is None:
                self._recall, self._recall_wait = held, self.recover_every
                self._recall_until = now + self.recover_for
            self._recall = max(self._recall, held)
        self._starting, self._base = pace is None, None
        self.pace, self._changed, self._held = new, resume, held
        self.refusals += 1
        self._last_refusal = now
        self._epoch, self._accepted = resume, 0
        self._next = resume
        self._credit = int(new * min(wait, 1.0)) if learned else 0
        self._generation += 1

    # -- what the client asks it --------------------------------------------------------

    def delay(self, now: float) -> tuple[float, int]:
        """Seconds to wait before a request asked at `now` may go (0.0: now), its slot taken,
        and the generation of that slot (see :meth:`still_valid`)."""
        pace = self.pace
        if pace is None:
            return 0.0, self._generation
        if self._starting:
            interval = 1.0
        elif self._recall is not None and pace < self._recall:
            interval = self._recall_wait
        else:
            interval = self.probe_every
        if now - self._changed >= interval:
            pace = self._probe(now)
        if self._credit > 0:
            self._credit -= 1
            return 0.0, self._generation
        slot = max(now, self._next)
        self._next = slot + 1 / pace
        return slot - now, self._generation

    def still_valid(self, generation: int) -> bool:
        """Whether a slot of `generation` still holds (no refusal came since it was taken)."""
        return generation == self._generation

    def _probe(self, now: float) -> float:
        """Raise the pace after a calm; return it."""
        pace = self.pace
        assert pace is not None
        self._changed = now
        if self._starting:  # the first estimate may have met an allowance partly spent
            return self._jump(pace * 2, now)  # before: double until refused
        self._base = None
        if self._recall is not None:
            if pace < self._recall and now < self._recall_until:
                return self._jump(self._recall, now)  # the pace held before the deep cut
            self._recall = None  # recovered, or the limit did not come back
        self._held = pace  # it ran probe_every seconds without a refusal
        self.pace = pace * (1 + self.probe_step)
        return self.pace

    def _jump(self, pace: float, now: float) -> float:
        """Go up to `pace` now, counting what the server lets through from here; a refusal
        brings the pace back to no less than the one before."""
        assert self.pace is not None
        self._base, self.pace, self._epoch, self._accepted = self.pace, pace, now, 0
        return pace
