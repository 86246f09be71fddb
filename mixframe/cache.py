"""A cache of the API's GET answers on disk, so that re-running a notebook costs no request.

Off by default. ``Mixcloud(cache=True)`` keeps answers in the user's cache folder
(:func:`default_path`: ``~/.cache/mixframe`` on Linux), ``cache="some/folder"`` in a folder of
your choice, each for ``cache_ttl`` seconds (one hour by default); the ``MIXFRAME_CACHE``
environment variable (``1`` or a folder) turns it on for clients made without ``cache=``.
Entries live in one SQLite file managed by `hishel <https://hishel.com>`_'s storage (expiry,
and a size bound: the least recently used answers go first). Clear it with
``client.cache.clear()`` or :func:`clear`.

What is cached, and for whom
----------------------------
* Successful (2xx) answers to GET requests only. Errors, rate-limit answers and writes never.
* The access token is never stored, nor part of a key. An answer fetched with a token can
  depend on who asks (a user's ``following`` flag, ``/me/``), so it is kept **per user**:
  under the URL and the user name the token belongs to, learned once per token from ``/me/``
  and remembered under a keyed hash of the token (HMAC-SHA256 with a random key created in
  the cache folder): the token cannot be recovered from the cache. A token ``/me/`` refuses
  gets nothing from the cache. Answers fetched without a token are kept apart from them.
* A token echoed by the server in a body is masked before the body is stored.

Writes
------
A write made through a cached client (follow, favorite, repost, listen later, upload, edit;
whether it succeeded or not) makes every answer cached before it stale, for every client of
that cache folder: the reads after it go to Mixcloud. So ``follow("bob")`` followed by
``get("me/following")`` shows bob. Changes made elsewhere (on the website, by another
program) are not seen until the answers expire: lower ``cache_ttl`` if that matters.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from ._redact import Secret, redact, strip_secrets
from ._transport import Answer

__all__ = ["DEFAULT_MAX_SIZE", "DEFAULT_TTL", "ResponseCache", "clear", "default_path"]

#: Seconds an answer is served from the cache (one hour).
DEFAULT_TTL = 3600.0
#: Largest size of the cache's database, in bytes (512 MiB).
DEFAULT_MAX_SIZE = 512 * 2**20
#: Environment variable turning the cache on for clients made without ``cache=``: ``1`` for
#: the default folder, or a folder.
ENVIRONMENT_VARIABLE = "MIXFRAME_CACHE"

_DATABASE = "responses.db"
_KEY_FILE = "viewer.key"  # the HMAC key under which tokens are mapped to user names
_WRITTEN = "written"  # its modification time: when this cache's clients last wrote
_STORED_AT = "x-mixframe-stored-at"
_SECRET_HINT = re.compile(rb"(?i)access_token|client_secret")
_INSTALL = "the response cache needs hishel and platformdirs: pip install 'mixframe[cache]'"


def default_path() -> Path:
    """The user's cache folder for mixframe: ``~/.cache/mixframe`` on Linux (or under
    ``$XDG_CACHE_HOME``), ``~/Library/Caches/mixframe`` on macOS, ``%LOCALAPPDATA%\\mixframe\\
    Cache`` on Windows."""
    try:
        from platformdirs import user_cache_path
    except ImportError as error:
        raise ImportError(_INSTALL) from error
    return user_cache_path("mixframe", appauthor=False)


def clear(path: str | os.PathLike[str] | None = None) -> None:
    """Remove every answer cached in the folder `path` (default: :func:`default_path`).

    The folder keeps nothing but an empty cache afterwards. A missing folder is fine.
    """
    folder = Path(path) if path is not None else default_path()
    for name in (_DATABASE, f"{_DATABASE}-wal", f"{_DATABASE}-shm", _KEY_FILE):
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            pass


class ResponseCache:
    """The answers of the API's GET requests, kept on disk (see :mod:`mixframe.cache`).

    Parameters
    ----------
    path : path, optional
        The folder holding the cache (created if missing); default :func:`default_path`.
    ttl : float
        Seconds an answer is served (default one hour).
    max_size : int
        Largest size of the cache's database, in bytes; the least recently used answers are
        dropped to stay under it.

    Examples
    --------
    >>> import tempfile
    >>> cache = ResponseCache(tempfile.mkdtemp(), ttl=600)
    >>> cache                                                    # doctest: +ELLIPSIS
    <ResponseCache ... ttl=600 s>
    >>> cache.clear()
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, ttl: float = DEFAULT_TTL,
                 max_size: int = DEFAULT_MAX_SIZE) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
            raise ValueError(f"cache_ttl must be a number of seconds > 0, got {ttl!r}")
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"max_size must be an int >= 1 (bytes), got {max_size!r}")
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"cache must be True, False, a folder or a ResponseCache, "
                            f"got {type(path).__name__}")
        try:
            import hishel
        except ImportError as error:
            raise ImportError(_INSTALL) from error
        self._hishel = hishel
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.ttl = float(ttl)
        self.max_size = max_size
        self._storage: Any = None
        self._lock = threading.Lock()
        self._written = 0.0
        self._written_checked = -1

    def __repr__(self) -> str:
        return f"<ResponseCache {str(self.path)!r} ttl={self.ttl:g} s>"

    # -- storage ------------------------------------------------------------------------

    def _open(self) -> Any:
        with self._lock:
            if self._storage is None:
                self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
                # hishel's synchronous storage, called from the event loop: a hit costs
                # ~25 us of CPU this way, ~600 us through its asynchronous storage (each
                # SQLite call there goes through a worker thread).
                self._storage = self._hishel.SqliteStorage(
                    database_path=self.path / _DATABASE, default_ttl=self.ttl,
                    max_size=self.max_size)
            return self._storage

    def close(self) -> None:
        """Close the database (it opens again on the next use)."""
        with self._lock:
            storage, self._storage = self._storage, None
        if storage is not None:
            storage.close()

    def clear(self) -> None:
        """Remove every cached answer (and the remembered users of tokens)."""
        self.close()
        clear(self.path)

    @staticmethod
    def key(url: str, viewer: str | None) -> str:
        """The key of the answer to a GET of `url` asked by `viewer` (a user name; ``None``
        for a request without a token). Secret parameters echoed into `url` are left out."""
        who = "anonymous" if viewer is None else f"user {viewer}"
        return hashlib.sha256(f"GET {strip_secrets(url)} as {who}".encode()).hexdigest()

    def get(self, key: str, url: str, *, stale_after_writes: bool = True) -> Answer | None:
        """The answer kept under `key`, or ``None``: none, expired, or (unless not
        `stale_after_writes`) kept before the last write."""
        entries = self._open().get_entries(key)
        if not entries:
            return None
        entry = max(entries, key=_stored_at)
        if stale_after_writes and _stored_at(entry) <= self._last_write():
            return None
        content = b"".join(entry.response.stream)
        status = entry.response.status_code
        headers = httpx.Headers({name: value for name, value in entry.response.headers.items()
                                 if name != _STORED_AT})
        return Answer(status, httpx.codes.get_reason_phrase(status), headers, content, url)

    def put(self, key: str, answer: Answer, *secrets: Any) -> None:
        """Keep `answer` under `key`: its status, content type and body, `secrets` masked."""
        content = answer.content
        if _SECRET_HINT.search(content) or any(_literal_in(secret, content)
                                               for secret in secrets):
            content = redact(content.decode("utf-8", "replace"), *secrets).encode("utf-8")
        headers = {_STORED_AT: repr(time.time())}
        if "content-type" in answer.headers:
            headers["content-type"] = answer.headers["content-type"]
        hishel, storage = self._hishel, self._open()
        for superseded in storage.get_entries(key):
            storage.remove_entry(superseded.id)
        entry = storage.create_entry(
            hishel.Request(method="GET", url=strip_secrets(answer.url),
                           headers=hishel.Headers({})),
            hishel.Response(status_code=answer.status_code, headers=hishel.Headers(headers),
                            stream=iter([content])), key)
        for _ in entry.response.stream:  # the entry is written as its body is read
            pass

    # -- writes -------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Make every answer cached until now stale, for every client of this folder."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        marker = self.path / _WRITTEN
        marker.touch()
        now = time.time()
        os.utime(marker, (now, now))
        self._written, self._written_checked = now, -1

    def _last_write(self) -> float:
        try:
            stamp = os.stat(self.path / _WRITTEN).st_mtime_ns
        except FileNotFoundError:
            return self._written
        if stamp != self._written_checked:
            self._written, self._written_checked = max(self._written, stamp / 1e9), stamp
        return self._written

    # -- who a token belongs to ---------------------------------------------------------

    def _digest(self, token: Secret) -> str:
        """The keyed hash a token's user is remembered under; the key never leaves the
        folder, the token is not recoverable from it."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_file = self.path / _KEY_FILE
        try:
            key = key_file.read_bytes()
        except FileNotFoundError:
            key = secrets.token_bytes(32)
            try:
                descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                key = key_file.read_bytes()
            else:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(key)
        return hmac.new(key, token.reveal().encode(), hashlib.sha256).hexdigest()

    def viewer(self, token: Secret) -> str | None:
        """The user name remembered for `token`, or ``None``."""
        answer = self.get(f"viewer {self._digest(token)}", "viewer", stale_after_writes=False)
        return None if answer is None else answer.content.decode()

    def remember_viewer(self, token: Secret, username: str) -> None:
        """Remember that `token` belongs to `username` (for the cache's time to live)."""
        self.put(f"viewer {self._digest(token)}", Answer(
            200, "OK", httpx.Headers({"content-type": "text/plain"}), username.encode(),
            "viewer"))


def _stored_at(entry: Any) -> float:
    return float(entry.response.headers.get(_STORED_AT, "0") or 0)


def _literal_in(secret: Any, content: bytes) -> bool:
    value = secret.reveal() if isinstance(secret, Secret) else secret
    return isinstance(value, str) and len(value) >= 4 and value.encode() in content


def resolve(cache: Any, ttl: float | None) -> ResponseCache | None:
    """The cache a client's ``cache=`` and ``cache_ttl=`` arguments ask for (see
    :class:`~mixframe.Mixcloud`); ``None`` asks the ``MIXFRAME_CACHE`` environment variable."""
    if cache is None:
        setting = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
        if setting.lower() in ("", "0", "false", "no", "off"):
            return None
        cache = True if setting.lower() in ("1", "true", "yes", "on") else setting
    if cache is False:
        return None
    if isinstance(cache, ResponseCache):
        if ttl is not None:
            raise TypeError("pass cache_ttl to the ResponseCache itself, not beside it")
        return cache
    return ResponseCache(None if cache is True else cache,
                         ttl=DEFAULT_TTL if ttl is None else ttl)
