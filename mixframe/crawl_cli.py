"""``mixframe crawl``: crawl from seeds into Parquet or CSV files, resumably."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["EXIT_CODES", "add_parser", "run"]

#: What the command's exit status means.
EXIT_CODES = {
    0: "the crawl is complete: every URL was fetched and the tables are written",
    1: "the crawl finished but some URLs failed: the tables are written, the causes printed",
    2: "bad arguments",
    3: "refused before crawling (the store is in use by another crawl, is not a mixframe "
       "store, or holds another crawl), or a disk or store error",
    130: "interrupted (Ctrl-C): run the same command to resume",
}
_CAUSES_SHOWN = 10  # failure causes printed, most frequent first
#: Connections followed when --connections is not given.
DEFAULT_CONNECTIONS = "followers,cloudcasts"
_EPILOG = """\
hops:
  --connections NAMES given once follows NAMES at every hop, --depth hops out
  (default 1). Given several times, each one is a hop, in order; --depth
  defaults to their number:

    mixframe crawl spartacus --connections followers --connections cloudcasts

  crawls spartacus's followers (hop 1), then each follower's shows (hop 2),
  whereas --connections followers,cloudcasts --depth 2 follows both at both
  hops (followers of followers too).

exit status:
""" + "\n".join(f"  {code:>3}: {meaning}" for code, meaning in EXIT_CODES.items())


def _whole(minimum: int):
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``crawl`` command to a command line."""
    parser = subparsers.add_parser(
        "crawl", help="crawl resources and their connections into tables",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Crawl Mixcloud from seeds, following connections, into one file per "
                    "table.\nRun the same command again to resume an interrupted crawl.",
        epilog=_EPILOG)
    parser.add_argument("seeds", nargs="+", metavar="SEED",
                        help="keys (spartacus, NTSRadio/some-show) or Mixcloud URLs")
    parser.add_argument("--connections", action="append", metavar="NAMES",
                        help="connections to follow, comma-separated; give it once per hop "
                             "to follow other connections at each hop (default: "
                             f"{DEFAULT_CONNECTIONS} at every hop)")
    parser.add_argument("--depth", type=_whole(0),
                        help="hops from the seeds (default: the number of --connections "
                             "given, 1 for one)")
    parser.add_argument("--max-items", type=_whole(1), metavar="N",
                        help="stop after storing N resources")
    parser.add_argument("--page-size", type=_whole(1), default=100, metavar="N",
                        help="items per page, at most 100 (default: %(default)s)")
    parser.add_argument("--concurrency", type=_whole(1), default=8, metavar="N",
                        help="lists walked at once (default: %(default)s)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                        help="output format (default: %(default)s)")
    parser.add_argument("--spreadsheet-safe", action="store_true",
                        help="with --format csv: prefix text cells that a spreadsheet would "
                             "run as a formula (=, +, -, @) with ' (read_crawl removes it)")
    parser.add_argument("--store", metavar="PATH",
                        help="SQLite store of raw pages (default: DIR/crawl.sqlite)")
    parser.add_argument("--details", action="store_true",
                        help="also fetch each resource's detail page, so that every row is "
                             "full (counts, city, dates...): about one more request per "
                             "resource")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--restart", action="store_true",
                       help="start over instead of resuming from the store: a full re-walk")
    again.add_argument("--refresh", action="store_true",
                       help="on the store of a finished crawl (same seeds and connections): "
                            "fetch only what is new since, walking each list again from its "
                            "first page up to what the store holds; the tables hold the whole "
                            "crawl. It cannot see removals or changes deep in a list: "
                            "--restart re-walks everything")
    parser.add_argument("--max-age", type=_seconds, metavar="SECONDS",
                        help="with --refresh: fetch again the detail pages fetched more than "
                             "SECONDS ago (0: all of them), for their changed counts")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--api-root", metavar="URL", help="API root (default: Mixcloud's)")
    source.add_argument("--sandbox", action="store_true",
                        help="crawl an in-process sandbox instead of Mixcloud (offline)")
    parser.add_argument("--token-env", metavar="VAR",
                        help="environment variable holding an access token (never pass the "
                             "token itself on the command line)")
    parser.add_argument("--cache", nargs="?", const=True, default=None, metavar="DIR",
                        help="answer repeated requests from a response cache, kept for an hour "
                             "(in DIR, or in the user's cache folder)")
    return parser


def _seconds(text: str) -> float:
    """An argparse type: a number of seconds, at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text}")
    return value


def _hops(args: argparse.Namespace) -> tuple[Any, int]:
    """The crawl's connections and depth from the command line: one comma list for every
    hop, or one per hop (then the depth is their number unless --depth says otherwise)."""
    given = args.connections or [DEFAULT_CONNECTIONS]
    if len(given) == 1:
        return given[0], 1 if args.depth is None else args.depth
    if args.depth is not None and args.depth != len(given):
        raise ValueError(f"--connections is given {len(given)} times ({len(given)} hops) but "
                         f"--depth is {args.depth}: leave --depth out, or give --connections "
                         "once to follow the same connections at every hop")
    return [[name.strip() for name in hop.split(",") if name.strip()] for hop in given], \
        len(given)


def _error(message: str) -> None:
    print(f"mixframe crawl: error: {message}", file=sys.stderr)


@contextlib.contextmanager
def _information():
    """Show the crawl's INFO lines (resuming, stopped at max_items) on stderr, for runs
    without a progress bar (the bar shows them itself)."""
    logger = logging.getLogger("mixframe.crawler")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mixframe crawl: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _said(connections: Any, depth: int) -> str:
    """The hops of a crawl, in words: 'followers (hop 1), then cloudcasts (hop 2)'."""
    if depth == 0:
        return "the seeds only"
    if isinstance(connections, str):
        names = ", ".join(name.strip() for name in connections.split(",") if name.strip())
        return f"{names or 'nothing'} at {'each of ' if depth > 1 else ''}{depth} " \
               f"hop{'' if depth == 1 else 's'}"
    return ", then ".join(f"{', '.join(hop) or 'nothing'} (hop {number})"
                          for number, hop in enumerate(connections, start=1))


def _summary(args: argparse.Namespace, result, written: Path, hops: str) -> None:
    stats = result.stats
    done = "refreshed" if args.refresh else "crawled"
    extras = [", with details" if args.details else "",
              f"; refresh {stats['refreshes']} of the crawl" if stats.get("refreshes") else ""]
    print(f"{done} {', '.join(args.seeds)}: {hops}{''.join(extras)}")
    print(f"into {written}/ ({args.format}):")
    for name, frame in {**result.tables, **result.side_tables, "edges": result.edges,
                        "failures": result.failures}.items():
        print(f"  {name:<14} {len(frame):>8} rows")
    details = f" ({stats['details']} detail pages)" if args.details else ""
    print(f"  {stats['requests']} requests{details}, {stats['pages']} pages fetched, "
          f"{stats['pages_from_store']} from the store, {stats['retries']} retries, "
          f"{stats['rate_limit_waits']} rate-limit waits, {stats['elapsed_s']:.1f} s")
    causes = result.failure_causes()
    if len(causes):
        count = len(result.failures)
        print(f"{count} URL{'' if count == 1 else 's'} failed (all in "
              f"{written / ('failures.' + args.format)}):", file=sys.stderr)
        for cause in causes.head(_CAUSES_SHOWN).itertuples():
            status = "no answer" if pd.isna(cause.status) else cause.status
            print(f"  {cause.urls:>6} x {status}: {cause.error} (e.g. {cause.example})",
                  file=sys.stderr)
        if len(causes) > _CAUSES_SHOWN:
            print(f"  ... and {len(causes) - _CAUSES_SHOWN} more causes", file=sys.stderr)
        print("run the same command again to retry them (stored pages are not fetched "
              "again)", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Run the ``crawl`` command; returns the exit status (see :data:`EXIT_CODES`)."""
    from . import sandbox
    from .crawler import StoreError, crawl

    out = Path(args.out)
    options: dict = {}
    if args.token_env:
        token = os.environ.get(args.token_env)
        if token is None or not token.strip():
            _error(f"environment variable {args.token_env} is "
                   f"{'not set' if token is None else 'empty'}: it must hold the access token")
            return 2
        options["access_token"] = token.strip()
    if args.cache is not None:
        options["cache"] = args.cache
    if args.sandbox:  # logged in as the sandbox user unless --token-env gave a token
        options = {"client": sandbox.client(sync=False, **options)}
    elif args.api_root:
        options["api_root"] = args.api_root
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK):
            raise PermissionError(f"{str(out)!r} is not writable")
    except OSError as error:
        _error(f"cannot write to {str(out)!r}: {error}")
        return 3
    store = args.store or out / "crawl.sqlite"

    def refused(message: str, status: int) -> int:
        _error(message)
        if created and not any(out.iterdir()):  # leave no empty folder behind
            out.rmdir()
        return status

    try:
        connections, depth = _hops(args)
        with _information() if args.no_progress else contextlib.nullcontext():
            result = crawl(args.seeds, connections=connections, depth=depth,
                           max_items=args.max_items, page_size=args.page_size,
                           concurrency=args.concurrency, store=store,
                           resume=not args.restart, details=args.details,
                           refresh=args.refresh, max_age=args.max_age,
                           progress=not args.no_progress, **options)
    except StoreError as error:
        return refused(str(error), 3)
    except (ValueError, TypeError) as error:
        return refused(str(error), 2)
    except OSError as error:
        return refused(str(error), 3)
    except KeyboardInterrupt:
        print(f"\nmixframe crawl: interrupted; run the same command to resume from {store}",
              file=sys.stderr)
        return 130
    try:
        written = (result.to_csv(out, spreadsheet_safe=args.spreadsheet_safe)
                   if args.format == "csv" else result.to_parquet(out))
    except KeyboardInterrupt:
        print(f"\nmixframe crawl: interrupted while writing the tables; {str(out)!r} keeps "
              f"what it held before. The crawl is whole in {store}: run the same command "
              "to finish (it makes no request)", file=sys.stderr)
        return 130
    except OSError as error:
        _error(f"{error}. The crawl is whole in {store}: run the same command again to "
               "write the tables (it makes no request)")
        return 3
    _summary(args, result, written, _said(connections, depth))
    return 1 if len(result.failures) else 0
