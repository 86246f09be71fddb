"""``mixframe sandbox``: serve the sandbox API on a local port until interrupted."""

from __future__ import annotations

import argparse
import math
import sys
import threading
from collections.abc import Callable

from . import CLIENT_ID, CLIENT_SECRET, TOKEN, serve
from . import app as build_app

__all__ = ["add_parser", "run"]

_OPTIONS = ("seed", "users", "latency", "jitter", "error_rate", "rate_limit", "drop_rate",
            "truncate_rate")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``sandbox`` command to a command line.

    Parameters
    ----------
    subparsers
        What :meth:`argparse.ArgumentParser.add_subparsers` returned.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser.
    """
    parser = subparsers.add_parser(
        "sandbox", help="serve a fake Mixcloud API on a local port",
        description="Serve the mixframe sandbox, an offline fake of the Mixcloud API, "
                    "until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=_port, default=8000,
                        help="port to listen on, 0 for any free one (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the data and of the faults (default: %(default)s)")
    parser.add_argument("--users", type=_at_least(1, int), default=200,
                        help="number of users in the world (default: %(default)s)")
    faults = parser.add_argument_group("faults", "all off by default")
    faults.add_argument("--latency", type=_at_least(0, float), default=0.0, metavar="SECONDS",
                        help="time each answer takes, counted from the request's arrival")
    faults.add_argument("--jitter", type=_at_least(0, float), default=0.0, metavar="SECONDS",
                        help="random variation of the latency, plus or minus")
    faults.add_argument("--error-rate", type=_fraction, default=0.0, metavar="FRACTION",
                        help="requests answered with a 500, 502 or 503")
    faults.add_argument("--rate-limit", type=_at_least(0, float, strict=True),
                        metavar="PER_SECOND",
                        help="requests per second allowed; more get Mixcloud's 403 answer")
    faults.add_argument("--drop-rate", type=_fraction, default=0.0, metavar="FRACTION",
                        help="connections closed without a response")
    faults.add_argument("--truncate-rate", type=_fraction, default=0.0, metavar="FRACTION",
                        help="responses cut short mid-body")
    return parser


def run(args: argparse.Namespace) -> int:
    """Serve the sandbox the arguments describe until interrupted; return the exit status."""
    served = build_app(**{name: getattr(args, name) for name in _OPTIONS})
    try:
        with serve(served, host=args.host, port=args.port) as url:
            print(f"Mixcloud sandbox serving at {url}", flush=True)
            print(f"  OAuth client id:     {CLIENT_ID}")
            print(f"  OAuth client secret: {CLIENT_SECRET}  (OAuth root: {url}/oauth)")
            print(f"  access token:        {TOKEN}  (also mixframe.sandbox.TOKEN)")
            print(f"  {served.faults!r}")
            print(f"Connect with MixcloudSync(**mixframe.sandbox.roots({str(url)!r})). "
                  "Press Ctrl-C to stop.", flush=True)
            threading.Event().wait()
    except OSError as exc:
        print(f"mixframe sandbox: cannot listen on {args.host}:{args.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Sandbox stopped.", flush=True)
    return 0


def _port(text: str) -> int:
    port = int(_at_least(0, int)(text))
    if port > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, got {text}")
    return port


def _fraction(text: str) -> float:
    value = _at_least(0, float)(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _at_least(minimum: float, kind: type, strict: bool = False) -> Callable[[str], float]:
    """An argparse type converting to ``kind`` and checking ``>= minimum`` (``>`` if strict)."""

    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            expected = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"not {expected}: {text}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            bound = "more than" if strict else "at least"
            raise argparse.ArgumentTypeError(f"must be {bound} {minimum}, got {text}")
        return value

    return convert
