"""The crawl's SQLite store: raw pages, failures, the frontier and the crawl's identity.

A store is marked as mixframe's (``PRAGMA application_id`` and a schema version in ``meta``)
and held by one crawl at a time (a lock file beside it, ``<store>-lock``). A database that is
not a store is refused before anything is written to it.

Each page records when it was stored (``fetched_at``, UTC, to the millisecond), set by SQLite
as the page is inserted. Stores written before pages had a time (schema 1) are upgraded on
opening: their pages get the store file's last modification time, the latest they can have
been fetched.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from ._lock import FileLock
from ._tables import FAILURE_COLUMNS, typed_frame

__all__ = ["APPLICATION_ID", "CrawlState", "NotAStoreError", "SCHEMA_VERSION", "Store",
           "StoreError", "StoreLockedError", "StoreMismatchError", "stamp"]

#: ``PRAGMA application_id`` of a mixframe store: "mxfr" in ASCII.
APPLICATION_ID = 0x6D786672
#: Version of the store's tables, kept in ``meta``; a store of a newer version is refused.
SCHEMA_VERSION = 2

_SCHEMA = """
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS pages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL UNIQUE,
        source_key TEXT,
        connection TEXT,
        position INTEGER NOT NULL,
        body TEXT NOT NULL,
        fetched_at TEXT);
    CREATE TABLE IF NOT EXISTS failures (
        url TEXT PRIMARY KEY, status INTEGER, error TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS frontier (
        level INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        source_key TEXT NOT NULL,
        connection TEXT NOT NULL,
        url TEXT NOT NULL,
        PRIMARY KEY (level, seq));
    CREATE TRIGGER IF NOT EXISTS stamp_pages AFTER INSERT ON pages
        WHEN NEW.fetched_at IS NULL BEGIN
            UPDATE pages SET fetched_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            WHERE seq = NEW.seq;
        END;
"""
#: Columns added to the tables since schema 1, by table: a store without them is upgraded.
_ADDED = {"pages": ("fetched_at",)}

# How a setting of the crawl's identity is named to the user: the argument, the CLI's option.
_SETTINGS = {"seeds": "the seeds (SEED arguments)",
             "api_root": "the API root (--api-root, --sandbox)"}


class StoreError(Exception):
    """The crawl's store cannot be used: held by another crawl, not a store, damaged, or the
    disk under it failed. The message says what to do; nothing stored is lost."""


class StoreLockedError(StoreError):
    """Another crawl is running on this store (``holder`` says which: pid, host, since)."""

    def __init__(self, message: str, holder: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.holder = holder


class NotAStoreError(StoreError, ValueError):
    """The file is not a mixframe crawl store (another application's database, or no
    database at all); it was left untouched."""


class StoreMismatchError(StoreError, ValueError):
    """The store holds another crawl (other seeds or settings); ``differences`` maps each
    setting that differs to ``(stored, asked)``."""

    def __init__(self, message: str, differences: dict[str, tuple[Any, Any]]) -> None:
        super().__init__(message)
        self.differences = differences


def _before_added(table: str, columns: list[str]) -> list[str]:
    """`columns` of `table` as schema 1 had them."""
    return [name for name in columns if name not in _ADDED.get(table, ())]


def _tables_of(db: sqlite3.Connection) -> dict[str, list[str]]:
    """Each table of `db` (SQLite's own left out) with its column names."""
    names = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: [row[1] for row in db.execute(f'PRAGMA table_info("{name}")')]
            for name in names}


@functools.cache
def _our_tables() -> dict[str, list[str]]:
    with sqlite3.connect(":memory:") as db:
        db.executescript(_SCHEMA)
        return _tables_of(db)


def stamp(moment: datetime) -> str:
    """`moment` as the store writes times: ISO 8601 in UTC to the millisecond, as SQLite's
    ``strftime('%Y-%m-%dT%H:%M:%fZ')`` does, so that such strings sort as their times."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


class CrawlState(NamedTuple):
    """Where the crawl in a store stands: its generation (0 for the first crawl, one more for
    each refresh), whether that generation finished, and when its refresh started."""

    generation: int
    finished: bool
    refresh_started: str | None


def _setting(name: str) -> str:
    """A setting of the crawl's identity as the user names it: the argument, the option."""
    return _SETTINGS.get(name, f"{name} (--{name.replace('_', '-')})")


def _shown(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


class Store:
    """Raw pages, failures, the frontier and the crawl's identity in SQLite.

    Pages are committed one by one as they arrive. The frontier (the lists to walk, by level)
    is where the crawl's queue spills, so that memory stays flat however many resources a
    level finds; each run starts it afresh, since replaying the stored pages finds it again.

    Opening a store takes its lock (a second crawl is refused at once, :class:`StoreLockedError`)
    and checks that it is one (:class:`NotAStoreError` otherwise, before anything is written);
    a store written before stores were marked is marked on opening.
    """

    def __init__(self, path: str | os.PathLike | None) -> None:
        self.path = path
        self.lock: FileLock | None = None
        # Without a path, SQLite's private temporary database: in memory while small, then
        # spilled to a file it deletes on close, so a big crawl without a store stays flat.
        target = "" if path is None else os.fspath(path)
        if path is not None:
            parent = Path(target).resolve().parent
            if not parent.is_dir():
                raise FileNotFoundError(f"store: directory {str(parent)!r} does not exist")
            if Path(target).is_dir():
                raise NotAStoreError(f"{self.name} is a folder, not a mixframe crawl store: "
                                     "give the path of a file in it")
            self.lock = FileLock(target + "-lock")
            if not self.lock.acquire(wait=False):
                holder = self.lock.holder()
                who = ("another process" if holder is None else
                       f"process {holder.get('pid')} on host {holder.get('host')!r} "
                       f"since {holder.get('since')}")
                raise StoreLockedError(
                    f"store {target!r} is in use by another crawl ({who}); nothing was "
                    "changed. Wait for that crawl to end (or stop it), or use another store",
                    holder)
        self._open = False
        try:
            self.db = sqlite3.connect(target, isolation_level=None)
            self._open = True
            self._check()
            self._upgrade(target)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY)")
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)",
                            (str(SCHEMA_VERSION),))
        except BaseException as error:
            self.close()
            if isinstance(error, sqlite3.Error):
                raise self.explain(error) from error
            raise

    @property
    def name(self) -> str:
        """The store as the user named it, for messages."""
        return "the crawl's temporary store" if self.path is None else \
            f"store {os.fspath(self.path)!r}"

    def _check(self) -> None:
        """Refuse a database that is not a store, or a store newer than this mixframe reads,
        before writing anything to it."""
        try:
            application_id = self.db.execute("PRAGMA application_id").fetchone()[0]
            tables = _tables_of(self.db)
        except sqlite3.DatabaseError as error:
            raise NotAStoreError(f"{self.name} is not a mixframe crawl store ({error}); "
                                 "it was left untouched: give another path") from None
        if application_id == APPLICATION_ID:
            row = self.db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            version = int(row[0]) if row is not None else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.name} was written by a newer mixframe (store schema "
                                 f"{version}; this one reads up to {SCHEMA_VERSION}): "
                                 "upgrade mixframe to use it")
            return
        ours = _our_tables()
        # Unmarked: new and empty, or written by mixframe before stores were marked (exactly
        # our tables); anything else belongs to someone else.
        legacy = ({"meta", "pages"} <= tables.keys() <= ours.keys()
                  and all(columns in (ours[name], _before_added(name, ours[name]))
                          for name, columns in tables.items()))
        if application_id != 0 or (tables and not legacy):
            held = ", ".join(sorted(tables)) or "none"
            raise NotAStoreError(
                f"{self.name} is not a mixframe crawl store (application id "
                f"{application_id}, tables: {held}); it was left untouched: give another path")

    def _upgrade(self, target: str) -> None:
        """Add the columns a store of schema 1 lacks; its pages get the store file's last
        modification time as their fetch time (the latest they can have been fetched)."""
        tables = _tables_of(self.db)
        if "pages" not in tables or "fetched_at" in tables["pages"]:
            return
        # opening the store made an empty write-ahead log: only one that holds pages counts
        files = [path for path in (target, target + "-wal")
                 if path and os.path.exists(path) and os.path.getsize(path)]
        written = max((os.path.getmtime(path) for path in files), default=None)
        moment = (datetime.fromtimestamp(written, timezone.utc) if written is not None
                  else datetime.now(timezone.utc))
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("ALTER TABLE pages ADD COLUMN fetched_at TEXT")
            self.db.execute("UPDATE pages SET fetched_at = ?", (stamp(moment),))

    def close(self) -> None:
        if self._open:
            self.db.close()
            self._open = False
        if self.lock is not None:
            self.lock.release()

    def explain(self, error: sqlite3.Error) -> StoreError:
        """A :class:`StoreError` saying what `error` (raised by the store) means for the
        crawl and what to do."""
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
        if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
            return StoreError(
                f"cannot write to {self.name} ({error}): is the disk full? Every page stored "
                "so far is kept: free some space, then run the same crawl again to resume")
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return StoreError(
                f"{self.name} is damaged ({error}): mixframe cannot read or reset it. Move "
                "it aside (or delete it) and crawl again into a new store")
        return StoreError(f"{self.name} failed: {error}")

    def claim(self, identity: dict[str, Any], *, resume: bool) -> int:
        """Tie the store to this crawl; refuse one that holds another crawl. Returns how many
        stored pages this crawl resumes from."""
        wanted = json.dumps(identity, sort_keys=True)
        row = self.db.execute("SELECT value FROM meta WHERE name = 'crawl'").fetchone()
        if row is not None and row[0] != wanted and resume:
            held = json.loads(row[0])
            differences = {name: (held.get(name), identity.get(name))
                           for name in sorted(held.keys() | identity.keys())
                           if held.get(name) != identity.get(name)}
            listed = "; ".join(
                f"{_setting(name)} was "
                f"{_shown(stored)}, now {_shown(asked)}"
                for name, (stored, asked) in differences.items())
            raise StoreMismatchError(
                f"{self.name} holds another crawl: {listed}. Run the crawl with its settings "
                "to resume it, use another store, or start over with resume=False (the "
                "command line's --restart), which discards what the store holds",
                differences)
        keep = row is not None and row[0] == wanted and resume
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM frontier")
            if not keep:
                self.db.execute("DELETE FROM pages")
                self.db.execute("DELETE FROM failures")
                self.db.execute("DELETE FROM meta WHERE name IN ('generation', 'finished', "
                                "'refresh_started')")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('crawl', ?)", (wanted,))
        return self.db.execute("SELECT count(*) FROM pages").fetchone()[0] if keep else 0

    def state(self) -> CrawlState:
        """The generation of the crawl the store holds, and how far it went."""
        meta = dict(self.db.execute("SELECT name, value FROM meta WHERE name IN "
                                    "('generation', 'finished', 'refresh_started')"))
        generation = int(meta.get("generation", 0))
        return CrawlState(generation, meta.get("finished") == str(generation),
                          meta.get("refresh_started"))

    def finish(self) -> None:
        """Mark the store's current generation as finished: a refresh can start from it."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('finished', ?)",
                            (str(self.state().generation),))

    def begin_refresh(self, started: datetime) -> CrawlState:
        """Start the next generation (a refresh) at `started`. The failures of the previous
        one go: the refresh asks again for every page it needs."""
        generation = self.state().generation + 1
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)",
                            (str(generation),))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('refresh_started', ?)",
                            (stamp(started),))
            self.db.execute("DELETE FROM failures")
        return self.state()

    def versions(self, url: str, marker: str) -> list[tuple[str, str | None]]:
        """(stored URL, fetch time) of each version of the page at `url`, newest first: `url`
        itself and the URLs made of it, `marker` and a suffix (``url + marker + "2"``)."""
        return self.db.execute(
            "SELECT url, fetched_at FROM pages WHERE url = ? OR (url >= ? AND url < ?) "
            "ORDER BY seq DESC", (url, url + marker, url + marker + "\U0010ffff")).fetchall()

    def fetched_at(self, url: str) -> str | None:
        """When the page stored at `url` was fetched (see :func:`stamp`)."""
        row = self.db.execute("SELECT fetched_at FROM pages WHERE url = ?", (url,)).fetchone()
        return None if row is None else row[0]

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
