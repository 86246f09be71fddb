"""The crawl's SQLite store: raw pages, failures, the frontier and the crawl's identity."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ._tables import FAILURE_COLUMNS, typed_frame

__all__ = ["Store"]


class Store:
    """Raw pages, failures, the frontier and the crawl's identity in SQLite.

    Pages are committed one by one as they arrive. The frontier (the lists to walk, by level)
    is where the crawl's queue spills, so that memory stays flat however many resources a
    level finds; each run starts it afresh, since replaying the stored pages finds it again.
    """

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS pages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            url TEXT NOT NULL UNIQUE,
            source_key TEXT,
            connection TEXT,
            position INTEGER NOT NULL,
            body TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS failures (
            url TEXT PRIMARY KEY, status INTEGER, error TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS frontier (
            level INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            source_key TEXT NOT NULL,
            connection TEXT NOT NULL,
            url TEXT NOT NULL,
            PRIMARY KEY (level, seq));
        CREATE TEMP TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY);
    """

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = path
        # Without a path, SQLite's private temporary database: in memory while small, then
        # spilled to a file it deletes on close, so a big crawl without a store stays flat.
        target = "" if path is None else os.fspath(path)
        if path is not None:
            parent = Path(target).resolve().parent
            if not parent.is_dir():
                raise FileNotFoundError(f"store: directory {str(parent)!r} does not exist")
        try:
            self.db = sqlite3.connect(target, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(self._SCHEMA)
        except sqlite3.DatabaseError as error:
            raise ValueError(f"store {target!r} is not a mixframe crawl store: {error}") from None

    def close(self) -> None:
        self.db.close()

    def claim(self, identity: dict[str, Any], *, resume: bool) -> None:
        """Tie the store to this crawl; refuse one that holds another crawl."""
        wanted = json.dumps(identity, sort_keys=True)
        row = self.db.execute("SELECT value FROM meta WHERE name = 'crawl'").fetchone()
        if row is not None and row[0] != wanted and resume:
            held = json.loads(row[0])
            raise ValueError(
                f"store {os.fspath(self.path)!r} holds another crawl (seeds {held['seeds']}, "
                f"connections {held['connections']}, depth {held['depth']}); use another "
                "path, or resume=False to start it over")
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM frontier")
            if row is None or row[0] != wanted or not resume:
                self.db.execute("DELETE FROM pages")
                self.db.execute("DELETE FROM failures")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('crawl', ?)", (wanted,))

    def page(self, url: str) -> str | None:
        row = self.db.execute("SELECT body FROM pages WHERE url = ?", (url,)).fetchone()
        return None if row is None else row[0]

    def put(self, url: str, source_key: str | None, connection: str | None, position: int,
            body: str) -> None:
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO pages (url, source_key, connection, "
                            "position, body) VALUES (?, ?, ?, ?, ?)",
                            (url, source_key, connection, position, body))
            self.db.execute("DELETE FROM failures WHERE url = ?", (url,))

    def fail(self, url: str, status: int | None, error: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?)",
                            (url, status, error))

    def first_sightings(self, keys: list[str]) -> list[bool]:
        """Record `keys` as stored, in one transaction; whether each was new in this run."""
        self.db.execute("BEGIN")
        try:
            return [self.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (key,)).rowcount
                    == 1 for key in keys]
        finally:
            self.db.execute("COMMIT")

    def add_walks(self, walks: list[tuple[int, int, str, str, str]]) -> None:
        """Queue lists to walk: (level, order found, source key, connection, URL) each."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO frontier VALUES (?, ?, ?, ?, ?)", walks)

    def walks(self, level: int) -> Iterator[tuple[str, str, str]]:
        """(source key, connection, URL) of the lists to walk at `level`, in the order they
        were found, read a thousand at a time."""
        after = -1
        while rows := self.db.execute(
                "SELECT seq, source_key, connection, url FROM frontier WHERE level = ? "
                "AND seq > ? ORDER BY seq LIMIT 1000", (level, after)).fetchall():
            after = rows[-1][0]
            for _, source_key, connection, url in rows:
                yield source_key, connection, url

    def pages(self) -> Iterator[tuple[str | None, str | None, int, str]]:
        yield from self.db.execute(
            "SELECT source_key, connection, position, body FROM pages ORDER BY seq")

    def failures(self) -> pd.DataFrame:
        rows = self.db.execute("SELECT url, status, error FROM failures ORDER BY url").fetchall()
        return typed_frame(rows, FAILURE_COLUMNS)
