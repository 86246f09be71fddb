"""Adaptive pacing: no pacing before Mixcloud refuses a request for its rate limit; after it,
every request of the client goes out at a pace learned from the refusals.

The policy itself (:class:`mixframe.AdaptiveRate`) is driven on a simulated clock against a
simulated token bucket (the sandbox's kind of limit: a burst of one second's worth, then the
rate; a change of limit starts a full bucket; ``Retry-After`` in whole seconds), so minutes of
crawling are checked in milliseconds. The client's use of it is checked on the sandbox.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from conftest import on_sandbox
from mixframe import AdaptiveRate, Mixcloud, RetryPolicy, crawl, sandbox

FAST = RetryPolicy(retries=6, backoff=0.001, backoff_max=0.01)


class Bucket:
    """A token bucket of `rate` requests/s holding up to one second's worth."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate, self.tokens, self.updated = rate, max(1.0, rate), now

    def take(self, now: float) -> int:
        """0 when the request is allowed, else the whole seconds of its Retry-After."""
        self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate))


def simulate(rate: AdaptiveRate, schedule, until: float, *, workers: int = 8,
             rtt: float = 0.002):
    """`workers` clients sharing `rate`, sending back to back (each answer takes `rtt`)
    while the limit follows `schedule` ((start, requests/s or None), ...) until `until`.

    Returns ``(time sent, refused)`` for every request.
    """
    phases = list(schedule)
    bucket, phase = None, -1
    pause_until = 0.0
    ready = [0.0] * workers  # when each worker asks to send
    log = []
    while True:
        worker = min(range(workers), key=ready.__getitem__)
        now = max(ready[worker], pause_until)
        delay, generation = rate.delay(now)
        if delay > 0:
            ready[worker] = now + delay  # it sleeps to its slot, then checks it again
            now += delay
            if not rate.still_valid(generation) or now < pause_until:
                continue
        if now >= until:
            return log
        while phase + 1 < len(phases) and phases[phase + 1][0] <= now:
            phase += 1
            limit = phases[phase][1]
            bucket = None if limit is None else Bucket(limit, phases[phase][0])
        rate.sent(now)
        retry_after = bucket.take(now) if bucket is not None else 0
        answered = now + rtt
        if retry_after:
            rate.refused(now, retry_after, answered)
            pause_until = max(pause_until, answered + retry_after)
        else:
            rate.accepted(now)
        log.append((now, bool(retry_after)))
        ready[worker] = answered


def between(log, start, end):
    sent = [refused for at, refused in log if start <= at < end]
    return len(sent), sum(sent)


def test_no_refusal_no_pacing():
    rate = AdaptiveRate()
    log = simulate(rate, [(0, None)], 5.0)
    assert len(log) > 10_000 and not any(refused for _, refused in log)
    assert rate.pace is None and rate.refusals == 0
    assert rate.delay(6.0)[0] == 0.0


def test_a_fixed_limit_is_learned_at_the_first_refusal_and_not_met_again():
    rate = AdaptiveRate()
    log = simulate(rate, [(0, 20.0)], 120.0)
    sent, refused = between(log, 0, 120)
    first = [at for at, was_refused in log if was_refused][:1]
    assert first and first[0] < 1.1  # the burst of 20 went unpaced
    assert 0.93 * 20 <= rate.pace <= 1.1 * 20
    assert refused / sent <= 0.02
    accepted = sent - refused
    assert accepted >= 0.95 * 20 * 120  # the limit is used, not wasted
    # the workers in flight at the first refusal are refused with it; it teaches once
    assert between(log, 0, 1.1)[1] <= 8


def test_a_limit_that_falls_is_followed_and_one_that_comes_back_is_used_again():
    rate = AdaptiveRate()
    log = simulate(rate, [(0, 20.0), (30, 5.0), (60, 20.0)], 100.0)
    sent, refused = between(log, 30, 60)
    assert refused <= 12 and 0.85 * 5 * 30 <= sent - refused
    back, refused_back = between(log, 65, 100)
    assert back - refused_back >= 0.93 * 20 * 35  # back at the full rate within 5 s
    assert refused_back <= 2


def test_a_limit_that_stays_low_costs_only_a_few_refusals():
    rate = AdaptiveRate()
    log = simulate(rate, [(0, 20.0), (10, 5.0)], 610.0)
    _, first_minute = between(log, 10, 70)
    sent, later = between(log, 70, 610)
    assert first_minute <= 12  # the pace held before is tried again, less and less often
    assert later / sent <= 0.01  # then only slow probing
    assert 4.5 <= rate.pace <= 5.5


def test_requests_in_flight_at_a_refusal_teach_nothing_more():
    rate = AdaptiveRate()
    rate.sent(0.0)
    for _ in range(10):
        rate.accepted(0.0)
    rate.refused(0.0, wait=1.0, now=0.01)
    pace = rate.pace
    for _ in range(7):  # sent before the first refusal came back
        rate.refused(0.005, wait=1.0, now=0.012)
    assert rate.pace == pace and rate.refusals == 1
    delay, generation = rate.delay(0.5)  # a slot taken before a refusal ...
    rate.sent(1.5)
    rate.refused(1.5, wait=1.0, now=1.6)
    assert not rate.still_valid(generation)  # ... is void after it


@pytest.mark.parametrize("options", [{"margin": 0}, {"margin": 1.5}, {"probe_every": 0},
                                     {"probe_step": -1}, {"min_pace": True},
                                     {"recover_for": "60"}])
def test_bad_settings_are_refused(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        AdaptiveRate(**options)


def test_pacing_must_be_a_policy_or_a_bool():
    with pytest.raises(TypeError, match="pacing"):
        Mixcloud(pacing="fast")


async def burst(app, pacing):
    """8 workers reading 40 users as fast as they may; the client's stats."""
    async with on_sandbox(app, retries=FAST, pacing=pacing) as client:
        names = app.world.usernames()[:40]
        queue = asyncio.Queue()
        for name in names:
            queue.put_nowait(name)

        async def worker():
            while not queue.empty():
                await client.fetch(queue.get_nowait())

        await asyncio.gather(*(worker() for _ in range(8)))
    return client.stats


async def test_a_paced_client_meets_the_limit_once():
    paced_app = sandbox.app(seed=0, rate_limit=10)
    paced = await burst(paced_app, True)
    unpaced_app = sandbox.app(seed=0, rate_limit=10)
    unpaced = await burst(unpaced_app, False)
    refused = [sum(r.fault == "rate_limit" for r in app.requests)
               for app in (paced_app, unpaced_app)]
    assert 1 <= refused[0] <= 8  # the workers in flight when the limit was first met
    assert refused[1] > refused[0]
    assert paced.rate_limit_waits == refused[0]
    assert 0.8 * 10 <= paced.pace <= 1.1 * 10
    assert unpaced.pace is None


async def test_one_policy_given_to_two_clients_paces_both():
    shared = AdaptiveRate()
    app = sandbox.app(seed=0, rate_limit=5)
    async with on_sandbox(app, retries=FAST, pacing=shared) as first, \
            on_sandbox(app, retries=FAST, pacing=shared) as second:
        for name in app.world.usernames()[:8]:
            await first.fetch(name)
        assert shared.pace is not None
        refused = sum(r.fault == "rate_limit" for r in app.requests)
        for name in app.world.usernames()[8:14]:
            await second.fetch(name)
    assert sum(r.fault == "rate_limit" for r in app.requests) == refused  # none more
    assert second.stats.pace == shared.pace


def test_the_crawl_progress_bar_shows_the_pace(capfd):
    app = sandbox.app(seed=0, rate_limit=5)
    crawl(app.world.usernames()[:3], connections=["followers"], progress=True,
          client=on_sandbox(app, retries=FAST))
    shown = capfd.readouterr().err
    assert "rate limited by Mixcloud" in shown
    assert "then 4." in shown  # the pace learned from a limit of 5/s, below it
