"""Benchmark: what an incremental refresh costs, against a full crawl of the changed world.

A crawl runs into a store; then time passes in the sandbox's world (``World.advance``: new
uploads, follows, favorites, listens and plays, on ``--change`` of the world, 1 % by default);
then the same crawl runs again with ``refresh=True`` on that store, and once more from scratch
(no store) on the changed world. Every figure comes from the same run, side by side:

* requests of the refresh against those of the full crawl of the changed world (the sandbox's
  request counter), with its target: at most 10 % after 1 % of the world changed;
* whether the refresh has every edge of the full crawl (same ``(source, connection, target,
  position)`` rows) and the same resources: a refresh must lose nothing that was added;
* the same for variants, as information: refetching every detail page (``max_age=0``), a crawl
  without details, a larger world.

A refresh walks every list again from its first page, so it costs at least one request per
list walked; what it saves is the rest of each list and the detail pages. The main workload is
the README's command: spartacus's followers, then their shows, with details, on the default
sandbox world (200 users).

Usage::

    python bench/bench_refresh.py              # about 10 s
    python bench/bench_refresh.py --change 0.05 --json out.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mixframe import __version__, crawl, sandbox

TARGET = 0.10  # most requests of a refresh, as a share of a full crawl's, after 1 % changed
HOPS = [["followers"], ["cloudcasts"]]  # the README's main command: followers, then shows


@dataclass
class Row:
    """One workload: a crawl, the world changed, a refresh and a full crawl side by side."""

    name: str
    full: int
    refresh: int
    full_s: float
    refresh_s: float
    same_edges: bool
    same_resources: bool
    target: float | None

    @property
    def ratio(self) -> float:
        return self.refresh / self.full

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio <= self.target and self.same_edges and self.same_resources


def keys(result: Any) -> set[str]:
    return set().union(*(set(frame["key"]) for frame in result.tables.values()))


def measure(name: str, *, users: int, change: float, details: bool = True,
            max_age: float | None = None, target: float | None = None) -> Row:
    app = sandbox.app(seed=0, users=users)
    run = dict(connections=HOPS, depth=len(HOPS), details=details, progress=False)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "crawl.sqlite"
        crawl("spartacus", store=store, client=sandbox.client(app, sync=False), **run)
        app.world.advance(change, seed=1)
        app.reset_log()
        started = time.perf_counter()
        refreshed = crawl("spartacus", store=store, refresh=True, max_age=max_age,
                          client=sandbox.client(app, sync=False), **run)
        refresh_s = time.perf_counter() - started
        refresh = app.request_count
    app.reset_log()
    started = time.perf_counter()
    full = crawl("spartacus", client=sandbox.client(app, sync=False), **run)
    full_s = time.perf_counter() - started
    return Row(name, app.request_count, refresh, full_s, refresh_s,
               refreshed.edges.equals(full.edges), keys(refreshed) == keys(full), target)


def report(rows: list[Row], change: float) -> None:
    headers = ("workload", "full crawl", "refresh", "ratio", "target", "edges", "")
    cells = [(row.name, f"{row.full} req / {row.full_s:.2f} s",
              f"{row.refresh} req / {row.refresh_s:.2f} s", f"{row.ratio:.3f}",
              "" if row.target is None else f"<= {row.target:.2f}",
              "same" if row.same_edges and row.same_resources else "DIFFER",
              "" if row.ok is None else ("PASS" if row.ok else "FAIL")) for row in rows]
    widths = [max(len(str(cell[i])) for cell in [headers, *cells]) for i in range(len(headers))]
    print(f"\n== Refresh after {change:.0%} of the world changed (requests, seconds)")
    line = "  ".join(text.ljust(width) if i == 0 else text.rjust(width)
                     for i, (text, width) in enumerate(zip(headers, widths)))
    print(line.rstrip())
    print("-" * len(line))
    for cell in cells:
        print("  ".join(str(text).ljust(width) if i == 0 else str(text).rjust(width)
                        for i, (text, width) in enumerate(zip(cell, widths))).rstrip())
    print("  * full crawl: the same crawl from scratch on the changed world; edges: the "
          "refresh has the full crawl's edges and resources")
    print("  * a refresh walks every list again from its first page: at least one request "
          "per list (the floor the 'no details' row shows)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--change", type=float, default=0.01,
                        help="share of the world changed before the refresh (default 0.01)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = parser.parse_args(argv)
    print(f"mixframe {__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}; sandbox seed 0, World.advance({args.change}, seed=1)")
    target = TARGET if args.change <= 0.01 else None
    rows = [
        measure("README crawl (details), 200 users", users=200, change=args.change,
                target=target),
        measure("  same, refetching every detail (max_age=0)", users=200,
                change=args.change, max_age=0),
        measure("  same, no details", users=200, change=args.change, details=False),
        measure("README crawl (details), 1000 users", users=1000, change=args.change),
    ]
    report(rows, args.change)
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{**asdict(row), "ratio": row.ratio, "ok": row.ok} for row in rows], indent=2))
    met = [row.ok for row in rows if row.ok is not None]
    print(f"\n{sum(met)} of {len(met)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
