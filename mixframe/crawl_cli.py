"""``mixframe crawl``: crawl from seeds into Parquet or CSV files, resumably."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


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
        description="Crawl Mixcloud from seeds, following connections, into one file per "
                    "table. Run the same command again to resume an interrupted crawl.")
    parser.add_argument("seeds", nargs="+", metavar="SEED",
                        help="keys (spartacus, NTSRadio/some-show) or Mixcloud URLs")
    parser.add_argument("--connections", default="followers,cloudcasts",
                        help="comma-separated connections to follow (default: %(default)s)")
    parser.add_argument("--depth", type=_whole(0), default=1,
                        help="hops from the seeds (default: %(default)s)")
    parser.add_argument("--max-items", type=_whole(1), metavar="N",
                        help="stop after storing N resources")
    parser.add_argument("--page-size", type=_whole(1), default=100, metavar="N",
                        help="items per page, at most 100 (default: %(default)s)")
    parser.add_argument("--concurrency", type=_whole(1), default=8, metavar="N",
                        help="lists walked at once (default: %(default)s)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                        help="output format (default: %(default)s)")
    parser.add_argument("--store", metavar="PATH",
                        help="SQLite store of raw pages (default: DIR/crawl.sqlite)")
    parser.add_argument("--restart", action="store_true",
                        help="start over instead of resuming from the store")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--api-root", metavar="URL", help="API root (default: Mixcloud's)")
    source.add_argument("--sandbox", action="store_true",
                        help="crawl an in-process sandbox instead of Mixcloud (offline)")
    parser.add_argument("--token-env", metavar="VAR",
                        help="environment variable holding an access token (never pass the "
                             "token itself on the command line)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the ``crawl`` command; returns the exit status."""
    from . import sandbox
    from .crawler import crawl

    out = Path(args.out)
    options: dict = {}
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            print(f"mixframe crawl: error: environment variable {args.token_env} is not set",
                  file=sys.stderr)
            return 2
        options["access_token"] = token
    if args.sandbox:  # logged in as the sandbox user unless --token-env gave a token
        options = {"client": sandbox.client(sync=False, **options)}
    elif args.api_root:
        options["api_root"] = args.api_root
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK):
            raise PermissionError(f"{str(out)!r} is not writable")
    except OSError as error:
        print(f"mixframe crawl: error: cannot write to {str(out)!r}: {error}", file=sys.stderr)
        return 1
    store = args.store or out / "crawl.sqlite"
    try:
        result = crawl(args.seeds, connections=args.connections, depth=args.depth,
                       max_items=args.max_items, page_size=args.page_size,
                       concurrency=args.concurrency, store=store, resume=not args.restart,
                       progress=not args.no_progress, **options)
    except (ValueError, TypeError) as error:
        print(f"mixframe crawl: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nmixframe crawl: interrupted; run the same command to resume from {store}",
              file=sys.stderr)
        return 130
    written = (result.to_csv if args.format == "csv" else result.to_parquet)(out)
    print(f"crawled {', '.join(args.seeds)} into {written}/ ({args.format})")
    for name, frame in {**result.tables, "edges": result.edges,
                        "failures": result.failures}.items():
        print(f"  {name:<12} {len(frame):>8} rows")
    stats = result.stats
    print(f"  {stats['requests']} requests, {stats['pages']} pages fetched, "
          f"{stats['pages_from_store']} from the store, {stats['retries']} retries, "
          f"{stats['rate_limit_waits']} rate-limit waits, {stats['elapsed_s']:.1f} s")
    if len(result.failures):
        print(f"  {len(result.failures)} URLs failed: see {written / ('failures.' + args.format)}")
    return 0
