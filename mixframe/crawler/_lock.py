"""Exclusive locks that end with their holder: one crawl per store, one export per folder.

A lock is an ``flock`` on a small file beside what it guards. The system drops it when the
holding process ends, however it ends (SIGKILL included), so a lock never outlives its holder
and nothing has to guess whether a lock is stale. It is taken per open file, so two threads of
one process exclude each other too. The file says who holds the lock (pid, host, since) and is
removed on release.

Platforms without ``flock`` (Windows) get no lock: one crawl per store is then up to the user.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]  # no lock on Windows (README says so)

__all__ = ["FileLock"]


class FileLock:
    """An exclusive lock held through the file at `path` (created if need be).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "store-lock"
    >>> first, second = FileLock(path), FileLock(path)
    >>> first.acquire(wait=False), second.acquire(wait=False)
    (True, False)
    >>> second.holder()["pid"] == os.getpid()
    True
    >>> first.release(); second.acquire(wait=False)
    True
    >>> second.release(); path.exists()
    False
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, *, wait: bool) -> bool:
        """Take the lock: wait for it, or return False at once if another holds it."""
        if fcntl is None:
            return True
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
            # The previous holder removes the file as it releases: hold the file at the path.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        since = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": since}).encode())
        self._fd = fd
        return True

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock (``pid``, ``host``, ``since``), if the file says."""
        try:
            held = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return held if isinstance(held, dict) else None

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)  # before unlocking: the next holder makes a new file
        os.close(self._fd)  # closing the file drops the lock
        self._fd = None
