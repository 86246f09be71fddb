"""Sleeping until a moment, to a few tenths of a millisecond, from any event loop.

The sandbox holds each answer until its injected latency has passed. ``asyncio.sleep`` cannot
do that precisely on Linux: the selector rounds every timeout up to a whole millisecond
(``epoll_wait`` takes milliseconds), so a 50 ms latency became 50.5 to 51 ms, and every
throughput figure measured against the sandbox was charged for it. :func:`sleep_until` hands
the wait to one timer thread instead, whose sleep is precise to the kernel's timer slack
(about 50 µs), and which wakes the waiting loop through ``call_soon_threadsafe``: answers
then leave about 0.2 ms late instead of 0.6 ms (100 waits at once, measured side by side).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time

__all__ = ["sleep_until"]

# Entries are (moment, order, loop, future); order breaks ties without comparing loops.
_due: list[tuple[float, int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
_order = itertools.count()
_changed = threading.Condition()
_thread: threading.Thread | None = None


async def sleep_until(moment: float) -> None:
    """Return at `moment` on the :func:`time.monotonic` clock, at once if it has passed."""
    if moment <= time.monotonic():
        return
    global _thread
    loop = asyncio.get_running_loop()
    woken: asyncio.Future[None] = loop.create_future()
    with _changed:
        heapq.heappush(_due, (moment, next(_order), loop, woken))
        if _thread is None:
            _thread = threading.Thread(target=_ring, name="mixframe-sandbox-alarm", daemon=True)
            _thread.start()
        _changed.notify()
    await woken


def _ring() -> None:
    with _changed:
        while True:
            if not _due:
                _changed.wait()
                continue
            wait = _due[0][0] - time.monotonic()
            if wait > 0:
                _changed.wait(wait)
                continue
            _, _, loop, woken = heapq.heappop(_due)
            try:
                loop.call_soon_threadsafe(_wake, woken)
            except RuntimeError:  # the loop was closed while its request was held
                pass


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():  # a cancelled wait has nobody to wake
        woken.set_result(None)
