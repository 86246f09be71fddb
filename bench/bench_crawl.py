"""Benchmark: the crawler against the sandbox, over real loopback HTTP.

Every figure is measured in one run, side by side with its target, and printed as a small
table (measured, target, ratio, PASS/FAIL). It is a report, not a test: the exit status is 0
even when a target is missed; the last line sums up.

1. Requests per crawl: the sandbox's request counter against the fewest requests possible,
   computed from the world's ground truth (one per seed detail; per list of n items
   ``max(1, ceil(n / 100))`` pages, plus one when n is a positive multiple of 100, whose full
   last page still carries a ``next`` link). The crawl's tables and edges are checked against
   the ground truth too (keys; (source, connection, target, position) edges). Depth 1 and 2.
2. Throughput with 50 ms injected latency (the sandbox answers each request 50 ms after it
   arrived, its own work included): pages per second against ``concurrency / latency`` at
   concurrency 8 (the default; target >= 90 %; the median of five runs spread between the
   runs at 1, 4, 16 and 32, each printed). Then a rate-limited sandbox: requests served per
   second against the limit R (target >= 0.9 R), rate-limit answers received, items lost
   against the ground truth.
3. Memory of a crawl of >= 1,000,000 list entries into an SQLite store: resident memory of
   the crawling process (a fresh interpreter, sampled every 50 ms from /proc/self/status)
   after 10 %, 50 % and 100 % of the pages, then the cost of building the tables at the end.
   With ``--no-store`` the same crawl runs without ``store=`` (its pages then go to a
   temporary SQLite database), to show that memory stays flat that way too.
4. Pacing under a rate limit (8 workers, no latency): share of requests refused and wall time
   against the minimum the limit allows, under a fixed 20/s limit (targets <= 2 %, <= 1.05x)
   and under one that falls from 20/s to 5/s and back (<= 5 %, <= 1.15x), with the client's
   adaptive pacing on and off side by side; and with no limit, wall time with pacing on
   against off (median of five alternating runs each; target <= 1.05).
5. Client CPU per detail GET: a request against a cache hit (loopback, and the in-process
   sandbox), a bare httpx client, and the httpx-aiohttp transport when it is installed
   (target for adopting it: <= 0.75 of a request).

The sandbox always runs in a separate process (``multiprocessing``, spawn) calling
``sandbox.serve``, so its world and its CPU are not the crawler's. The bench asks that
process for ground truth and its request log over a pipe.

Usage::

    python bench/bench_crawl.py            # full run, a few minutes
    python bench/bench_crawl.py --quick    # every workload shrunk: under a minute
    python bench/bench_crawl.py --only 1,3 --json out.json
    python bench/bench_crawl.py --only 3 --no-store
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import math
import multiprocessing
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

PAGE = 100  # the API's largest page, the crawler's default page_size
LATENCY = 0.05
DEFAULT_CONCURRENCY = 8
REPEATS = 5  # runs at the default concurrency, whose median is the figure
RATE_LIMIT = 20.0


# -- report ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One measured figure against its target; ``ok`` None means information only."""

    name: str
    measured: str
    target: str = ""
    ratio: float | None = None
    ok: bool | None = None


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, *args: Any, **kwargs: Any) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    def print(self) -> None:
        headers = ("", "measured", "target", "ratio", "")
        cells = [(r.name, r.measured, r.target,
                  "" if r.ratio is None else f"{r.ratio:.3f}",
                  "" if r.ok is None else ("PASS" if r.ok else "FAIL")) for r in self.rows]
        widths = [max(len(str(c[i])) for c in [headers, *cells]) for i in range(5)]
        print(f"\n== {self.title}")
        line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                         for i, (h, w) in enumerate(zip(headers, widths)))
        print(line.rstrip())
        print("-" * len(line))
        for c in cells:
            print("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                            for i, (v, w) in enumerate(zip(c, widths))).rstrip())
        for note in self.notes:
            print(f"  * {note}")
        sys.stdout.flush()


def _mb(kib: float) -> str:
    return f"{kib / 1024:,.0f} MB"


def pages_for(n: int) -> int:
    """Fewest requests to read a list of n items, 100 a page (see the module doc)."""
    return max(1, math.ceil(n / PAGE)) + (1 if n > 0 and n % PAGE == 0 else 0)


# -- the sandbox in its own process ---------------------------------------------------------


def _sandbox_process(conn: Any, options: dict[str, Any]) -> None:
    """Child process: build the sandbox, serve it, answer the parent's questions."""
    from mixframe import sandbox

    app = sandbox.app(**options)
    world = app.world

    def lists(paths: list[str]) -> dict[str, list[str]]:
        return {path: world.connection_keys(path) for path in paths}

    def sizes(connections: list[str]) -> dict[str, list[int]]:
        return {name: [len(world.listing(f"/{name}/{c}/").items) for c in connections]
                for name in world.usernames()}

    def log() -> dict[str, Any]:
        entries = list(app.requests)
        times = [entry.timestamp for entry in entries]
        return {"count": app.request_count, "logged": len(entries),
                "first": min(times, default=0.0), "last": max(times, default=0.0),
                "faults": Counter(entry.fault for entry in entries if entry.fault),
                "status": Counter(entry.status for entry in entries),
                "ok_times": sorted(entry.timestamp for entry in entries
                                   if entry.status == 200)}

    def set_faults(**values: Any) -> None:
        for name, value in values.items():
            setattr(app.faults, name, value)

    handlers = {
        "count": lambda: app.request_count,
        "reset": app.reset_log,
        "log": log,
        "arrivals": lambda: [(entry.path, entry.timestamp) for entry in app.requests],
        "faults": set_faults,
        "lists": lists,
        "sizes": sizes,
        "usernames": world.usernames,
        "tag_slugs": world.tag_slugs,
    }
    with sandbox.serve(app) as url:
        conn.send(str(url))
        while True:
            try:
                message = conn.recv()
            except EOFError:
                break
            if message is None:
                break
            name, args, kwargs = message
            try:
                conn.send(("ok", handlers[name](*args, **kwargs)))
            except Exception as error:  # pragma: no cover - reported to the parent
                conn.send(("error", f"{type(error).__name__}: {error}"))


class SandboxProcess:
    """A sandbox served from a child process; ``call`` asks it about its world and log."""

    def __init__(self, **options: Any) -> None:
        self.options = {"log_size": None, **options}

    def __enter__(self) -> SandboxProcess:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_sandbox_process, args=(child, self.options),
                                       daemon=True, name="bench-sandbox")
        self.process.start()
        child.close()
        if not self.conn.poll(300):
            self.process.terminate()
            raise RuntimeError("the sandbox process did not start")
        self.url = self.conn.recv()
        return self

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.conn.send((name, args, kwargs))
        status, value = self.conn.recv()
        if status != "ok":
            raise RuntimeError(f"sandbox {name}: {value}")
        return value

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the sandbox process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(15)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        self.conn.close()


def client_options(url: str) -> dict[str, Any]:
    from mixframe import sandbox

    return {**sandbox.roots(url), "access_token": sandbox.TOKEN}


def crawler_module() -> Any:
    import mixframe.crawler

    return mixframe.crawler


def cpu_self() -> float:
    times = os.times()
    return times.user + times.system


# -- ground truth ---------------------------------------------------------------------------


@dataclass
class Truth:
    requests: int
    edges: set[tuple[str, str, str, int]]
    keys: set[str]
    lists: int


def _kind(key: str) -> str:
    parts = [p for p in key.split("/") if p]
    if parts and parts[0] in ("discover", "tag", "genres"):
        return "tag"
    return "user" if len(parts) == 1 else "cloudcast"


def per_type_connections(connections: Any) -> dict[str, tuple[str, ...]]:
    """Connections followed per resource type, as the crawler reads its argument."""
    if isinstance(connections, dict):
        return {kind: tuple(names) for kind, names in connections.items()}
    known = crawler_module().CONNECTIONS
    return {kind: tuple(name for name in connections if name in valid)
            for kind, valid in known.items()}


def ground_truth(sb: SandboxProcess, seeds: list[str], connections: Any,
                 depth: int) -> Truth:
    """Requests, edges and keys of an ideal breadth-first crawl, from the world itself."""
    per_type = per_type_connections(connections)
    level = list(dict.fromkeys(f"/{seed.strip('/')}/" for seed in seeds))
    seen = set(level)
    requests, edges, lists = len(level), set(), 0
    for _ in range(depth):
        walks = [(key, name) for key in level for name in per_type.get(_kind(key), ())]
        answers = sb.call("lists", [f"{key}{name}/" for key, name in walks])
        found = []
        for key, name in walks:
            targets = answers[f"{key}{name}/"]
            lists += 1
            requests += pages_for(len(targets))
            for position, target in enumerate(targets):
                edges.add((key, name, target, position))
                if target not in seen:
                    seen.add(target)
                    found.append(target)
        level = found
    return Truth(requests, edges, seen, lists)


def crawl_edges(result: Any) -> set[tuple[str, str, str, int]]:
    edges = result.edges
    return set(zip(edges["source_key"], edges["connection"], edges["target_key"],
                   (int(p) for p in edges["position"])))


def crawl_keys(result: Any) -> set[str]:
    return {key for frame in result.tables.values() for key in frame["key"]}


# -- 1. requests per crawl ------------------------------------------------------------------


def pick_seeds(sizes: dict[str, list[int]], count: int, rng: random.Random) -> list[str]:
    """Seeds mixing the longest lists, lists of exactly k*100 items, and ordinary users."""
    by_total = sorted(sizes, key=lambda name: -sum(sizes[name]))
    exact = [name for name in sizes if any(n and n % PAGE == 0 for n in sizes[name])]
    chosen = list(dict.fromkeys(by_total[:count // 4] + exact[:max(1, count // 6)]))
    rest = [name for name in sizes if name not in chosen]
    chosen += rng.sample(rest, count - len(chosen))
    return chosen[:count]


def bench_requests(quick: bool) -> Section:
    from mixframe import crawl

    section = Section("1. Requests per crawl (sandbox request counter vs fewest possible)")
    users, count = (1000, 12) if quick else (2000, 20)
    connections = ["followers", "cloudcasts", "favorites"]
    with SandboxProcess(users=users, seed=0) as sb:
        sizes = sb.call("sizes", connections)
        seeds = pick_seeds(sizes, count, random.Random(7))
        exact = sum(1 for name in seeds for n in sizes[name] if n and n % PAGE == 0)
        depth2_seeds = seeds if not quick else seeds[:6]
        for depth, chosen in ((1, seeds), (2, depth2_seeds)):
            truth = ground_truth(sb, chosen, connections, depth)
            sb.call("reset")
            started = time.perf_counter()
            result = crawl(chosen, connections=connections, depth=depth, progress=False,
                           **client_options(sb.url))
            elapsed = time.perf_counter() - started
            served = sb.call("count")
            label = f"depth {depth}, {len(chosen)} seeds"
            section.add(f"{label}: requests served", f"{served:,}",
                        f"= {truth.requests:,}", served / truth.requests,
                        served == truth.requests)
            section.add(f"{label}: crawl stats['requests']", f"{result.stats['requests']:,}",
                        f"= {served:,} served", result.stats["requests"] / max(served, 1),
                        result.stats["requests"] == served)
            edges, keys = crawl_edges(result), crawl_keys(result)
            missing, extra = len(truth.edges - edges), len(edges - truth.edges)
            section.add(f"{label}: edges (with positions)",
                        f"{len(result.edges):,} ({missing} missing, {extra} extra)",
                        f"= {len(truth.edges):,}", len(result.edges) / max(len(truth.edges), 1),
                        missing == extra == 0 and len(result.edges) == len(truth.edges))
            kmissing, kextra = len(truth.keys - keys), len(keys - truth.keys)
            section.add(f"{label}: resources in tables",
                        f"{sum(len(f) for f in result.tables.values()):,} "
                        f"({kmissing} missing, {kextra} extra)",
                        f"= {len(truth.keys):,}", len(keys) / max(len(truth.keys), 1),
                        kmissing == kextra == 0)
            section.notes.append(f"{label}: {truth.lists:,} lists walked, "
                                 f"{len(result.failures)} failures, {elapsed:.1f} s")
        section.notes.insert(0, f"world of {users} users (seed 0); connections "
                                f"{', '.join(connections)}; {exact} of the seeds' lists hold "
                                f"exactly k*100 items (each costs one empty last page)")
    return section


# -- 2. throughput --------------------------------------------------------------------------


def seeds_for_pages(sb: SandboxProcess, names: list[str], connection: str,
                    pages: int) -> tuple[list[str], int]:
    """The first seeds whose crawl (details + one connection) needs at least `pages` pages."""
    sizes = sb.call("sizes", [connection])
    seeds, total = [], 0
    for name in names:
        seeds.append(name)
        total += 1 + pages_for(sizes[name][0])
        if total >= pages:
            break
    return seeds, total


def timing_transport() -> Any:
    """An httpx transport noting when each request starts and its response is read."""
    import httpx

    class Timed(httpx.AsyncHTTPTransport):
        def __init__(self) -> None:
            super().__init__()
            self.spans: list[tuple[float, float]] = []

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            started = time.perf_counter()
            response = await super().handle_async_request(request)
            await response.aread()
            self.spans.append((started, time.perf_counter()))
            return response

    return Timed()


def in_flight(spans: list[tuple[float, float]]) -> tuple[float, float]:
    """Mean requests in flight over the run, and mean request time (s), client side."""
    if not spans:
        return 0.0, 0.0
    busy = sum(end - start for start, end in spans)
    window = max(end for _, end in spans) - min(start for start, _ in spans)
    return busy / max(window, 1e-9), busy / len(spans)


def measure_rate(sb: SandboxProcess, run: Any) -> dict[str, Any]:
    """Run `run(transport)` (a crawl) and return what the sandbox saw: rates from arrival
    times; plus the crawler's requests in flight, seen by a timing transport."""
    sb.call("reset")
    transport = timing_transport()
    cpu0, server0 = cpu_self(), sb.cpu_seconds()
    started = time.perf_counter()
    result = run(transport)
    wall = time.perf_counter() - started
    log = sb.call("log")
    span = max(log["last"] - log["first"], 1e-9)
    ok_times = log["ok_times"]
    ok_span = max((ok_times[-1] - ok_times[0]) if len(ok_times) > 1 else 0.0, 1e-9)
    return {"result": result, "wall": wall, "count": log["count"],
            "rate": (log["count"] - 1) / span,
            "ok": len(ok_times), "ok_rate": (len(ok_times) - 1) / ok_span,
            "faults": log["faults"], "status": log["status"],
            "client_cpu": cpu_self() - cpu0, "server_cpu": sb.cpu_seconds() - server0,
            "in_flight": in_flight(transport.spans)}


def bench_throughput(quick: bool) -> Section:
    from mixframe import crawl

    section = Section(f"2. Throughput: {LATENCY * 1000:.0f} ms injected latency, then a "
                      f"rate-limited sandbox")
    seconds = 1.5 if quick else 6.0
    users = 1000 if quick else 2000
    connection = "followers"
    with SandboxProcess(users=users, seed=0, latency=LATENCY) as sb:
        names = sb.call("usernames")
        others = (1, 4, 16, 32)
        # The default's REPEATS runs are spread between the other concurrencies' runs, so
        # that a burst of load from elsewhere on this shared machine (it can last several
        # runs) does not hit all of them; the figure is their median, every run printed.
        plan = [DEFAULT_CONCURRENCY]
        for other in others:
            plan += [other, DEFAULT_CONCURRENCY]
        plan += [DEFAULT_CONCURRENCY] * (REPEATS - plan.count(DEFAULT_CONCURRENCY))
        workloads, measured = {}, {}
        for concurrency in plan:
            if concurrency not in workloads:
                workloads[concurrency] = seeds_for_pages(
                    sb, names, connection, max(60, int(concurrency / LATENCY * seconds)))
            seeds = workloads[concurrency][0]
            measured.setdefault(concurrency, []).append(measure_rate(sb, lambda transport: crawl(
                seeds, connections=[connection], concurrency=concurrency, progress=False,
                transport=transport, **client_options(sb.url))))
        for concurrency in (DEFAULT_CONCURRENCY, *others):
            ideal = concurrency / LATENCY
            expected = workloads[concurrency][1]
            default = concurrency == DEFAULT_CONCURRENCY
            runs = sorted(measured[concurrency], key=lambda run: run["rate"])
            m = runs[len(runs) // 2]
            complete = (all(run["count"] == expected for run in runs)
                        and all(len(run["result"].failures) == 0 for run in runs))
            label = f" (default, median of {len(runs)})" if default else ""
            section.add(f"concurrency {concurrency:>2}{label}: pages/s",
                        f"{m['rate']:,.1f}", f">= 90% of {ideal:,.0f}", m["rate"] / ideal,
                        (m["rate"] >= 0.9 * ideal) if default else None)
            if len(runs) > 1:
                section.notes.append(
                    f"concurrency {concurrency}, each run in order: " + ", ".join(
                        f"{run['rate']:,.1f} pages/s ({run['rate'] / ideal:.3f})"
                        for run in measured[concurrency]))
            section.data[f"concurrency_{concurrency}"] = {
                k: v for k, v in m.items() if k not in ("result", "faults", "status")}
            per_page = (m["client_cpu"] * 1000 / m["count"], m["server_cpu"] * 1000 / m["count"])
            busy, mean = m["in_flight"]
            section.notes.append(
                f"concurrency {concurrency}: {m['count']:,} pages "
                f"({'all' if complete else 'NOT all'} expected), {m['wall']:.1f} s; "
                f"{busy:.2f} requests in flight on average, each {mean * 1000:.1f} ms "
                f"(latency + {(mean - LATENCY) * 1000:.1f}); CPU per page: "
                f"crawler {per_page[0]:.1f} ms, sandbox {per_page[1]:.1f} ms")
        sb.call("faults", latency=0.0, rate_limit=RATE_LIMIT)
        seeds, expected = seeds_for_pages(sb, names, connection,
                                          int(RATE_LIMIT * (6 if quick else 30)))
        truth = ground_truth(sb, seeds, [connection], 1)
        m = measure_rate(sb, lambda transport: crawl(seeds, connections=[connection],
                                                     progress=False, transport=transport,
                                                     **client_options(sb.url)))
        result = m["result"]
        limited = m["faults"].get("rate_limit", 0)
        lost = len(truth.edges - crawl_edges(result))
        section.add(f"rate limit {RATE_LIMIT:.0f}/s: pages served/s", f"{m['ok_rate']:,.1f}",
                    f">= {0.9 * RATE_LIMIT:.0f}", m["ok_rate"] / RATE_LIMIT,
                    m["ok_rate"] >= 0.9 * RATE_LIMIT)
        section.add(f"rate limit {RATE_LIMIT:.0f}/s: rate-limit answers", f"{limited:,}",
                    f"(waits: {result.stats['rate_limit_waits']:,})")
        section.add(f"rate limit {RATE_LIMIT:.0f}/s: entries lost", f"{lost:,}",
                    f"= 0 of {len(truth.edges):,}", None,
                    lost == 0 and len(result.failures) == 0)
        section.notes.append(
            f"rate limit: {m['ok']:,} pages served ({expected:,} needed) and {limited:,} "
            f"answered 403 in {m['wall']:.1f} s; all requests {m['rate']:.1f}/s; "
            f"{len(result.failures)} failures")
        section.data["rate_limited"] = {k: v for k, v in m.items()
                                        if k not in ("result", "faults", "status")}
        section.notes.insert(0, f"world of {users} users; seeds' details + their {connection} "
                                f"(mostly 1-page lists); rates from the sandbox's arrival times")
    return section


# -- 4. pacing under a rate limit -----------------------------------------------------------

#: The limit schedule of the "drop" run: (seconds from the crawl's start, requests/s).
DROP_SCHEDULE = ((0.0, 20.0), (10.0, 5.0), (20.0, 20.0))


def allowance_time(schedule: tuple[tuple[float, float], ...], requests: int) -> float:
    """Seconds until a limit following `schedule` has allowed `requests` requests: its rate
    times the time, phase after phase (the minimum time, as workload B of
    bench_vs_aiomixcloud.py counts it for a fixed limit: requests / rate)."""
    done = 0.0
    for i, (at, rate) in enumerate(schedule):
        end = schedule[i + 1][0] if i + 1 < len(schedule) else math.inf
        if done + rate * (end - at) >= requests:
            return at + (requests - done) / rate
        done += rate * (end - at)
    raise ValueError("schedule never allows that many requests")


def paced_crawl(sb: SandboxProcess, seeds: list[str], connection: str,
                schedule: tuple[tuple[float, float], ...] | None, pacing: Any) -> dict[str, Any]:
    """Crawl `seeds` while the sandbox's rate limit follows `schedule` (None: no limit);
    return the wall time, the sandbox's request and refusal counts and the result."""
    from mixframe import crawl

    sb.call("faults", rate_limit=schedule[0][1] if schedule else None)
    sb.call("reset")
    stop = threading.Event()

    def follow_schedule(started: float) -> None:
        for at, rate in (schedule or ())[1:]:
            if stop.wait(max(0.0, at - (time.perf_counter() - started))):
                return
            sb.call("faults", rate_limit=rate)

    started = time.perf_counter()
    switcher = threading.Thread(target=follow_schedule, args=(started,), daemon=True)
    switcher.start()
    result = crawl(seeds, connections=[connection], progress=False, pacing=pacing,
                   **client_options(sb.url))
    wall = time.perf_counter() - started
    stop.set()
    switcher.join()
    sb.call("faults", rate_limit=None)
    log = sb.call("log")
    return {"wall": wall, "requests": log["count"], "ok": len(log["ok_times"]),
            "refused": log["faults"].get("rate_limit", 0), "result": result}


def bench_pacing(quick: bool) -> Section:
    """Pacing on (the default) against pacing off (how the client behaved before it had
    one), side by side on the same sandbox and workload."""
    from mixframe import AdaptiveRate

    section = Section("4. Pacing under a rate limit: adaptive rate (on) vs refusals only (off)")
    connection = "followers"
    pages = 200 if quick else 600
    with SandboxProcess(users=2000, seed=0) as sb:
        names = sb.call("usernames")
        seeds, expected = seeds_for_pages(sb, names, connection, pages)
        truth = ground_truth(sb, seeds, [connection], 1)
        fixed = ((0.0, RATE_LIMIT),)
        drop = DROP_SCHEDULE if not quick else ((0.0, 20.0), (3.0, 5.0), (6.0, 20.0))
        for label, schedule, refused_target, time_target in (
                (f"fixed {RATE_LIMIT:.0f}/s", fixed, 0.02, 1.05),
                ("20/s, 5/s, 20/s", drop, 0.05, 1.15)):
            floor = allowance_time(schedule, expected)
            for pacing in (AdaptiveRate(), False):
                m = paced_crawl(sb, seeds, connection, schedule, pacing)
                lost = len(truth.edges - crawl_edges(m["result"]))
                share = m["refused"] / max(m["requests"], 1)
                on = pacing is not False
                name = f"{label}, pacing {'on' if on else 'off'}"
                section.add(f"{name}: refused", f"{m['refused']} of {m['requests']} "
                            f"({share:.1%})", f"<= {refused_target:.0%}" if on else "",
                            share / refused_target if on else None,
                            (share <= refused_target) if on else None)
                section.add(f"{name}: time / minimum", f"{m['wall']:.1f} s / {floor:.1f} s",
                            f"<= {time_target:.2f}" if on else "", m["wall"] / floor,
                            (m["wall"] <= time_target * floor) if on else None)
                section.add(f"{name}: entries lost", f"{lost:,}",
                            f"= 0 of {len(truth.edges):,}", None,
                            lost == 0 and len(m["result"].failures) == 0)
                if on:
                    section.notes.append(
                        f"{label}: final pace {pacing.pace:.1f}/s after {pacing.refusals} "
                        f"refusals learned from; {m['result'].stats['rate_limit_waits']} waits")
        # No limit: the pacing must cost nothing before a first refusal. Runs alternate
        # (on, off, off, on, ...) so that load from elsewhere hits both alike.
        seeds, unlimited = seeds_for_pages(sb, names, connection, 4 * pages)
        runs: dict[bool, list[float]] = {True: [], False: []}
        for index in range(3 if quick else 5):
            for on in ((True, False) if index % 2 == 0 else (False, True)):
                m = paced_crawl(sb, seeds, connection, None, AdaptiveRate() if on else False)
                runs[on].append(m["wall"])
        median = {on: sorted(walls)[len(walls) // 2] for on, walls in runs.items()}
        ratio = median[True] / median[False]
        section.add("no limit: wall time, pacing on / off",
                    f"{median[True]:.2f} s / {median[False]:.2f} s", "<= 1.05", ratio,
                    ratio <= 1.05)
        section.notes.append(f"no limit: {unlimited} pages a run; each run (s): on " + ", ".join(
            f"{w:.2f}" for w in runs[True]) + "; off " + ", ".join(f"{w:.2f}" for w in runs[False]))
        section.notes.insert(0, f"world of 2000 users; seeds' details + their {connection}: "
                                f"{expected} pages, 8 workers, no latency; minimum = the time "
                                f"the limit takes to allow {expected} requests (drop schedule "
                                f"{', '.join(f'{r:.0f}/s from {t:.0f} s' for t, r in drop)})")
        if quick:
            section.notes.append("--quick: the first refusal costs every worker's request in "
                                 "flight (8), a larger share of a short crawl, and the drop "
                                 "schedule's phases are shorter than its recovery; run without "
                                 "--quick for these targets")
    return section


# -- 5. client CPU per GET -------------------------------------------------------------------


async def _cpu_per_get(make_client: Any, keys: list[str], repeat: int) -> float:
    """Client CPU (this thread's) per ``fetch`` of `keys`, best of `repeat` passes, in us;
    one pass before measuring sets up the connection (and fills a cache)."""
    async with make_client() as client:
        for key in keys:
            await client.fetch(key)
        best = math.inf
        for _ in range(repeat):
            started = time.thread_time()
            for key in keys:
                await client.fetch(key)
            best = min(best, time.thread_time() - started)
    return best / len(keys) * 1e6


async def _raw_cpu_per_get(url: str, keys: list[str], repeat: int,
                           transport: Any = None) -> float:
    """The same GETs through a bare ``httpx.AsyncClient`` and ``json.loads``."""
    import httpx

    async with httpx.AsyncClient(transport=transport) as session:
        urls = [f"{url}{key}?metadata=1" for key in keys]
        for target in urls:
            json.loads((await session.get(target)).content)
        best = math.inf
        for _ in range(repeat):
            started = time.thread_time()
            for target in urls:
                json.loads((await session.get(target)).content)
            best = min(best, time.thread_time() - started)
    return best / len(keys) * 1e6


def bench_client_cpu(quick: bool) -> Section:
    """Client CPU per detail GET: a request, a cache hit, and other transports."""
    import asyncio

    from mixframe import Mixcloud, sandbox
    from mixframe.cache import ResponseCache

    section = Section("5. Client CPU per GET (detail pages, loopback sandbox in its own "
                      "process; this thread's CPU)")
    count, repeat = (200, 3) if quick else (1000, 5)
    with SandboxProcess(users=2000, seed=0) as sb, \
            tempfile.TemporaryDirectory(prefix="bench-cache-") as folder:
        keys = [f"/{name}/" for name in sb.call("usernames")][:count]
        options = client_options(sb.url)
        request = asyncio.run(_cpu_per_get(lambda: Mixcloud(**options), keys, repeat))
        cache = ResponseCache(folder)
        hit = asyncio.run(_cpu_per_get(lambda: Mixcloud(**options, cache=cache), keys, repeat))
        section.add("mixframe fetch(): a request", f"{request:,.0f} us")
        section.add("mixframe fetch(): a cache hit", f"{hit:,.0f} us", "< a request",
                    hit / request, hit < request)
        app = sandbox.app(seed=0, users=2000)
        in_process = asyncio.run(_cpu_per_get(
            lambda: sandbox.client(app, sync=False), keys, repeat))
        cache_in = ResponseCache(Path(folder) / "in-process")
        hit_in = asyncio.run(_cpu_per_get(
            lambda: sandbox.client(app, sync=False, cache=cache_in), keys, repeat))
        section.add("in-process sandbox: a request (client + sandbox)", f"{in_process:,.0f} us")
        section.add("in-process sandbox: a cache hit", f"{hit_in:,.0f} us", "< a request",
                    hit_in / in_process, hit_in < in_process)
        raw = asyncio.run(_raw_cpu_per_get(sb.url, keys, repeat))
        section.add("bare httpx.AsyncClient + json.loads", f"{raw:,.0f} us", "",
                    raw / request)
        try:
            from httpx_aiohttp import AiohttpTransport
        except ImportError:
            section.notes.append("httpx-aiohttp is not installed: pip install httpx-aiohttp "
                                 "to measure its transport")
        else:
            aio = asyncio.run(_cpu_per_get(
                lambda: Mixcloud(**options, transport=AiohttpTransport()), keys, repeat))
            raw_aio = asyncio.run(_raw_cpu_per_get(sb.url, keys, repeat, AiohttpTransport()))
            section.add("mixframe fetch() on httpx-aiohttp's transport", f"{aio:,.0f} us",
                        "<= 0.75 of a request", aio / request, aio <= 0.75 * request)
            section.add("bare httpx + httpx-aiohttp + json.loads", f"{raw_aio:,.0f} us", "",
                        raw_aio / request)
            section.notes.append(
                "httpx-aiohttp is NOT used even when installed, whatever this ratio: on it a "
                "write whose connection dropped after it was sent is retried (aiohttp's "
                "'Server disconnected' arrives as httpx.ConnectTimeout, 'never sent'; "
                "tests/test_resilience.py::test_a_write_dropped_after_it_was_sent_is_not_sent_"
                "again_over_a_socket fails on it), and proxies from the environment are "
                "ignored. Pass transport=AiohttpTransport() to use it for reads.")
        section.notes.append(f"{count} detail GETs per pass, best of {repeat} passes; a cache "
                             f"hit reads hishel's SQLite storage synchronously")
    return section


# -- 3. memory ------------------------------------------------------------------------------


def _rss_kib() -> tuple[int, int]:
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1])
    return values["VmRSS"], values["VmHWM"]


def memory_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh interpreter: crawl into a store, sampling RSS against pages done.

    The sampler keeps its samples in preallocated arrays of machine numbers: a sampler that
    kept Python objects (tuples, floats) alive would pin the allocator's arenas all through
    the table building and inflate the RSS measured after it (by ~600 MB at 1M entries).
    """
    from array import array

    from mixframe import Mixcloud, crawl

    module = crawler_module()
    client = Mixcloud(**client_options(spec["url"]))
    phases = ("crawl", "tables", "result")
    phase = {"code": 0, "tables_start": None, "tables_end": None}
    capacity = 100_000  # 83 minutes at 20 samples a second
    times, rss_kib = array("d", [0.0]) * capacity, array("q", [0]) * capacity
    requests, codes = array("q", [0]) * capacity, array("b", [0]) * capacity
    count, lock = [0], threading.Lock()

    def record() -> None:
        with lock:  # the sampler thread and the crawl's loop thread both record
            i = count[0]
            if i < capacity:
                times[i] = time.perf_counter()
                rss_kib[i] = _rss_kib()[0]
                requests[i] = client.stats.requests
                codes[i] = phase["code"]
                count[0] = i + 1

    original = getattr(module._run, "build_tables", None)
    if original is not None:  # mark when the crawl stops fetching and starts building tables
        async def timed_tables(*args: Any, **kwargs: Any) -> Any:
            record()
            phase["tables_start"] = time.perf_counter()
            phase["code"] = 1
            try:
                return await original(*args, **kwargs)
            finally:
                phase["tables_end"] = time.perf_counter()
                phase["code"] = 2
        module._run.build_tables = timed_tables
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            record()
            stop.wait(0.05)

    gc.collect()
    baseline = _rss_kib()[0]
    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    cpu0 = cpu_self()
    sampler.start()
    result = crawl(spec["seeds"], connections=spec["connections"], depth=1,
                   store=spec["store"], resume=False, progress=False, client=client)
    finished = time.perf_counter()
    stop.set()
    sampler.join()
    rss_end, hwm = _rss_kib()
    gc.collect()
    try:  # give freed heap pages back, to tell live objects from the allocator's reserve
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    rss_trimmed = _rss_kib()[0]
    cpu = cpu_self() - cpu0
    tables_start = phase["tables_start"] or finished
    tables_end = phase["tables_end"] or finished
    samples = [(times[i], rss_kib[i], requests[i], phases[codes[i]]) for i in range(count[0])]
    crawl_samples = [s for s in samples if s[0] <= tables_start]
    expected = spec["expected_pages"]
    at = {}
    for fraction in (0.1, 0.5, 1.0):
        hit = next((s for s in crawl_samples if s[2] >= fraction * expected), None)
        at[str(fraction)] = None if hit is None else {"rss": hit[1], "t": hit[0] - started,
                                                      "requests": hit[2]}
    frames = {**result.tables, "edges": result.edges}
    counts = Counter(zip(result.edges["source_key"], result.edges["connection"]))
    return {
        "baseline_rss": baseline, "at": at,
        "crawl_peak": max((s[1] for s in crawl_samples), default=baseline),
        "crawl_end_rss": crawl_samples[-1][1] if crawl_samples else baseline,
        "tables_peak": max((s[1] for s in samples if s[0] > tables_start), default=rss_end),
        "hwm": hwm, "rss_end": rss_end, "rss_trimmed": rss_trimmed,
        "crawl_s": tables_start - started, "tables_s": tables_end - tables_start,
        "total_s": finished - started, "cpu_s": cpu,
        "stats": result.stats,
        "rows": {name: len(frame) for name, frame in frames.items()},
        "frames_mb": sum(frame.memory_usage(deep=True).sum() for frame in frames.values()) / 1e6,
        "list_counts": {f"{source}{connection}/": n for (source, connection), n in counts.items()},
        "store_mb": os.path.getsize(spec["store"]) / 1e6 if spec["store"] else 0.0,
        "samples": [(round(t - started, 2), rss, req, name) for t, rss, req, name in samples],
        "instrumented": original is not None,
    }


def bench_memory(quick: bool, store: bool = True) -> Section:
    users = 1000 if quick else 30000
    section = Section("3. Memory of a large crawl " + ("into an SQLite store" if store else
                      "without store= (a temporary SQLite database)")
                      + " (crawling process only)")
    kinds = ["new", "hot", "popular"]
    with SandboxProcess(users=users, seed=0) as sb, \
            tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        tags = [f"/discover/{slug}/" for slug in sb.call("tag_slugs")]
        lists = sb.call("lists", [f"{tag}{kind}/" for tag in tags for kind in kinds])
        entries = sum(len(keys) for keys in lists.values())
        expected_pages = len(tags) + sum(pages_for(len(keys)) for keys in lists.values())
        spec = {"url": sb.url, "seeds": tags, "connections": {"tag": kinds},
                "store": str(Path(tmp) / "crawl.sqlite") if store else None,
                "expected_pages": expected_pages}
        server0 = sb.cpu_seconds()
        worker = subprocess.run(
            [sys.executable, __file__, "--memory-worker", json.dumps(spec)],
            capture_output=True, text=True)
        server_cpu = sb.cpu_seconds() - server0
    if worker.returncode != 0:
        section.add("memory worker", "crashed", "exit 0", None, False)
        section.notes.append(worker.stderr.strip()[-2000:])
        return section
    w = json.loads(worker.stdout.strip().splitlines()[-1])
    stats = w["stats"]
    lost = sum(max(0, len(keys) - w["list_counts"].get(path, 0)) for path, keys in lists.items())
    at = w["at"]
    rss10 = at["0.1"]["rss"] if at["0.1"] else None
    rss100 = at["1.0"]["rss"] if at["1.0"] else w["crawl_end_rss"]
    section.add("list entries crawled (edges)", f"{stats['edges']:,}",
                f">= 1,000,000", stats["edges"] / 1_000_000, stats["edges"] >= 1_000_000)
    section.add("entries lost vs ground truth", f"{lost:,}", f"= 0 of {entries:,}", None,
                lost == 0 and stats["edges"] == entries)
    section.add("pages fetched", f"{stats['pages']:,}", f"= {expected_pages:,}",
                stats["pages"] / expected_pages, stats["pages"] == expected_pages)
    section.add("RSS before the crawl", _mb(w["baseline_rss"]))
    for fraction in ("0.1", "0.5", "1.0"):
        point = at[fraction]
        if point is None:
            section.add(f"RSS after {float(fraction):.0%} of pages", "not sampled")
            continue
        section.add(f"RSS after {float(fraction):.0%} of pages ({point['t']:.0f} s)",
                    _mb(point["rss"]))
    if rss10:
        growth = rss100 / rss10
        section.add("RSS growth, 10 % -> 100 % of pages", f"{(rss100 - rss10) / 1024:+,.0f} MB",
                    "<= +10 % (flat)", growth, growth <= 1.10)
    section.add("peak RSS while crawling", _mb(w["crawl_peak"]))
    section.add("build tables at the end: time", f"{w['tables_s']:.1f} s")
    section.add("build tables at the end: peak RSS", _mb(max(w["tables_peak"], w["hwm"])))
    section.add("RSS holding the CrawlResult", _mb(w["rss_end"]))
    section.add("  same after gc + malloc_trim(0)", _mb(w["rss_trimmed"]))
    rows = ", ".join(f"{name} {n:,}" for name, n in w["rows"].items())
    section.notes.append(f"workload: world of {users:,} users; seeds: the {len(tags)} tags; "
                         f"connections new, hot, popular (cloudcast lists, ~99 per page)")
    section.notes.append(f"crawl {w['crawl_s']:.0f} s ({stats['pages'] / w['crawl_s']:.0f} "
                         f"pages/s, {stats['edges'] / w['crawl_s']:,.0f} entries/s), tables "
                         f"{w['tables_s']:.0f} s; CPU: crawler {w['cpu_s']:.0f} s, sandbox "
                         f"{server_cpu:.0f} s"
                         + (f"; store {w['store_mb']:,.0f} MB" if store else ""))
    section.notes.append(f"result: {rows}; DataFrames {w['frames_mb']:,.0f} MB (deep)")
    if quick:
        section.notes.append("--quick: the workload is far below 1,000,000 entries and the "
                             "first ~20 MB of warm-up (pages in flight, caches) dominate the "
                             "10 % -> 100 % growth; run without --quick for these targets")
    if not w["instrumented"]:
        section.notes.append("crawler module has no _tables(): the crawl/tables boundary is "
                             "the end of the crawl call")
    section.data = {k: v for k, v in w.items() if k not in ("list_counts",)}
    section.data.update(users=users, entries=entries, expected_pages=expected_pages,
                        server_cpu=server_cpu)
    return section


# -- main -----------------------------------------------------------------------------------


def environment() -> str:
    versions = []
    for name in ("httpx", "httpcore", "anyio", "pandas"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    try:
        import sniffio  # noqa: F401
        sniff = "installed"
    except ImportError:
        sniff = "missing"
    load = os.getloadavg()[0]
    return (f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {load:.2f}; "
            f"{', '.join(versions)}, sniffio {sniff}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="shrink every workload (smoke check, under a minute)")
    parser.add_argument("--only", default="1,2,3,4,5", help="sections to run, e.g. 1,3")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--no-store", action="store_true",
                        help="section 3 crawls without store= (pages in a temporary database)")
    parser.add_argument("--memory-worker", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_worker:
        print(json.dumps(memory_worker(json.loads(args.memory_worker))))
        return 0
    wanted = {part.strip() for part in args.only.split(",")}
    print(f"bench_crawl{' --quick' if args.quick else ''}: {environment()}")
    benches = {"1": bench_requests, "2": bench_throughput,
               "3": functools.partial(bench_memory, store=not args.no_store),
               "4": bench_pacing, "5": bench_client_cpu}
    sections = []
    started = time.perf_counter()
    for number, bench in benches.items():
        if number in wanted:
            t0, load0 = time.perf_counter(), os.getloadavg()[0]
            section = bench(args.quick)
            section.notes.append(f"section time {time.perf_counter() - t0:.0f} s; machine load "
                                 f"average {load0:.2f} before, {os.getloadavg()[0]:.2f} after")
            section.print()
            sections.append(section)
    targets = [row for section in sections for row in section.rows if row.ok is not None]
    missed = [row for row in targets if not row.ok]
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"quick": args.quick, "environment": environment(),
             "sections": [{"title": s.title, "rows": [r.__dict__ for r in s.rows],
                           "notes": s.notes, "data": s.data} for s in sections]},
            indent=1, default=str))
    print(f"\nSUMMARY: {len(targets) - len(missed)}/{len(targets)} targets met"
          + (f"; missed: {'; '.join(row.name for row in missed)}" if missed else "")
          + f" ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
