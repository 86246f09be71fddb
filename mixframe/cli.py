"""The ``mixframe`` command line.

Each command lives in a module with ``add_parser(subparsers) -> ArgumentParser`` and
``run(args) -> int``; adding one means importing it and listing it in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import __version__, crawl_cli
from .sandbox import cli as sandbox_cli

__all__ = ["COMMANDS", "main"]

#: Modules providing the subcommands, in the order ``--help`` lists them.
COMMANDS = (crawl_cli, sandbox_cli)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mixframe`` command line.

    Parameters
    ----------
    argv
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status. Bad arguments exit with status 2 (``SystemExit``), as argparse does.
    """
    parser = argparse.ArgumentParser(prog="mixframe",
                                     description="Study and act on Mixcloud from Python.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(subparsers).set_defaults(run=command.run)
    args = parser.parse_args(argv)
    return args.run(args)
