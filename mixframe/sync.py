"""Synchronous (blocking) versions of the client classes.

* :class:`MixcloudSync`: :class:`~mixframe.Mixcloud` with blocking methods and ``with``.
* :class:`MixcloudOAuthSync`: :class:`~mixframe.auth.MixcloudOAuth` with a blocking
  ``access_token()``.
* :class:`ResourceSync`, :class:`ResourceListSync`: what a :class:`MixcloudSync` returns; their
  connection methods, targeted methods, ``load()``, ``next()`` and ``previous()`` block too,
  and return sync objects again.

Coroutines run on one private event loop in a background thread, never on the caller's. So
the sync classes work the same in a script, in a worker thread, and inside a running event
loop such as a Jupyter cell, on every supported Python, without patching asyncio (the
``nest_asyncio`` approach is archived and breaks on current Pythons).

Examples
--------
>>> with MixcloudSync() as mixcloud:                       # doctest: +SKIP
...     user = mixcloud.get("spartacus")
...     for follower in user.followers(limit=10):
...         print(follower.name)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import os
import threading
import types
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .auth import MixcloudOAuth
from .core import ClientStats, Mixcloud
from .models import AccessDict, Resource, ResourceList

if TYPE_CHECKING:
    import pandas as pd

    from .cache import ResponseCache
    from .retry import AdaptiveRate

__all__ = ["BlockingIterator", "MixcloudOAuthSync", "MixcloudSync", "ResourceListSync",
           "ResourceSync"]


class _LoopThread:
    """A private event loop running forever in a daemon thread, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # After os.fork() the thread is gone from the child: start a new one.
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="mixframe-sync",
                                          daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop

    def run(self, coroutine: Any) -> Any:
        """Run `coroutine` on the private loop and return its result, blocking."""
        loop = self._running_loop()
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("a blocking mixframe call was made from mixframe's own event "
                               "loop; use the async API (await) there")
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result()
        except BaseException as error:
            future.cancel()  # Ctrl-C in the caller stops the request too
            if not (future.done() and not future.cancelled() and future.exception() is error):
                raise
            # The coroutine's own error: shown from the caller's line to where it was raised,
            # without this frame twice nor the frames of concurrent.futures and of the loop
            # thread between them.
            traceback = error.__traceback__
            raise error.with_traceback(_own_frames(traceback.tb_next if traceback else None))


_runner = _LoopThread()
# Frames of the machinery between a blocking call and its coroutine, left out of tracebacks.
_MACHINERY = (os.path.dirname(asyncio.__file__), os.path.dirname(concurrent.futures.__file__),
              threading.__file__)


def _own_frames(traceback: types.TracebackType | None) -> types.TracebackType | None:
    """`traceback` without the frames of asyncio, concurrent.futures and threading."""
    frames = []
    while traceback is not None:
        if not traceback.tb_frame.f_code.co_filename.startswith(_MACHINERY):
            frames.append(traceback)
        traceback = traceback.tb_next
    kept = None
    for frame in reversed(frames):
        kept = types.TracebackType(kept, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return kept


def _unwrap(value: Any) -> Any:
    return object.__getattribute__(value, "_object") if isinstance(value, _SyncProxy) else value


class BlockingIterator:
    """A plain iterator over an async iterator, each step run on mixframe's private loop.

    What the sync classes return for walks (``MixcloudSync.pages()``, ``.items()``...): use it
    with ``for``. Other attributes are those of the async iterator (a
    :class:`~mixframe.paging.ListWalk`'s ``stopped``, ``complete``, ``next_url``...).
    Resources and lists it yields are synchronous (:class:`ResourceSync`,
    :class:`ResourceListSync`).
    """

    def __init__(self, iterable: Any) -> None:
        self._iterable = iterable
        self._iterator: Any = None

    def __iter__(self) -> BlockingIterator:
        return self

    def __next__(self) -> Any:
        if self._iterator is None:
            self._iterator = self._iterable.__aiter__()

        async def step() -> Any:
            return await self._iterator.__anext__()

        try:
            return _synchronous(_runner.run(step()))
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        """Stop the walk early, releasing what it holds."""
        close = getattr(self._iterator, "aclose", None)
        if close is not None:
            _runner.run(close())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._iterable, name)

    def __repr__(self) -> str:
        return f"<BlockingIterator over {self._iterable!r}>"


def _synchronous(value: Any) -> Any:
    """`value`, with an async model turned into its synchronous proxy."""
    if isinstance(value, _SyncProxy):
        return value
    for model, proxy in ((ResourceList, ResourceListSync), (Resource, ResourceSync)):
        if type(value) is model or (isinstance(value, model) and not isinstance(value, proxy)):
            wrapped: Any = object.__new__(proxy)
            object.__setattr__(wrapped, "_object", value)
            return wrapped
    return value


class _SyncProxy:
    """Blocking proxy of an object with coroutine methods (see :func:`_make_sync`)."""

    _wrapped_class: type = object
    _options: dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        args = tuple(_unwrap(arg) for arg in args)
        kwargs = {**self._options, **{name: _unwrap(value) for name, value in kwargs.items()}}
        object.__setattr__(self, "_object", self._wrapped_class(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        inner = object.__getattribute__(self, "_object")
        attribute = getattr(inner, name)
        if getattr(attribute, "_walking", False):
            @functools.wraps(attribute)
            def iterating(*args: Any, **kwargs: Any) -> BlockingIterator:
                return BlockingIterator(attribute(*args, **kwargs))

            return iterating
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        @functools.wraps(attribute)
        def blocking(*args: Any, **kwargs: Any) -> Any:
            result = _runner.run(attribute(*args, **kwargs))
            return self if result is inner else result

        return blocking

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_object"), name, value)

    def __dir__(self):
        return dir(object.__getattribute__(self, "_object"))

    def __repr__(self) -> str:
        return repr(self._object)

    def __getitem__(self, key: Any) -> Any:
        return self._object[key]

    def __iter__(self):
        return iter(self._object)

    def __len__(self) -> int:
        return len(self._object)

    def __contains__(self, item: Any) -> bool:
        return item in self._object

    def __bool__(self) -> bool:
        return bool(self._object)

    def __eq__(self, other: Any) -> bool:
        return self._object == _unwrap(other)

    def __hash__(self) -> int:
        return hash(self._object)


def _make_sync(cls: type, **options: Any) -> type:
    """Return a synchronous version of `cls`, passing `options` as default keyword arguments
    to its constructor."""
    name = cls.__name__ + "Sync"
    namespace = {"_wrapped_class": cls, "_options": options, "__doc__":
                 f"Synchronous version of :class:`{cls.__module__}.{cls.__qualname__}`.",
                 "__module__": __name__, "__qualname__": name}
    return type(name, (_SyncProxy,), namespace)


if TYPE_CHECKING:
    # What type checkers and IDEs see: the blocking signatures of the proxies built below.
    # tests/test_sync.py checks that they match the async classes' methods.
    _Size = int | str | None

    class ResourceSync(_SyncProxy):
        """Synchronous version of :class:`~mixframe.Resource`."""

        data: dict[str, Any]
        source_url: str | None

        def load(self, *, force: bool = False) -> ResourceSync: ...
        def to_frame(self, *, side_tables: bool = False,
                     all_pictures: bool = False) -> pd.DataFrame: ...
        def __getattr__(self, name: str) -> Any: ...

    class ResourceListSync(_SyncProxy):
        """Synchronous version of :class:`~mixframe.ResourceList`."""

        data: dict[str, Any]
        source_url: str | None

        def next(self) -> ResourceListSync | None: ...
        def previous(self) -> ResourceListSync | None: ...
        def pages(self, *, max_pages: int | None = None,
                  max_items: int | None = None) -> BlockingIterator: ...
        def all_items(self, *, max_pages: int | None = None,
                      max_items: int | None = None) -> BlockingIterator: ...
        def to_frame(self, *, side_tables: bool = False,
                     all_pictures: bool = False) -> pd.DataFrame: ...
        def __iter__(self) -> Iterator[ResourceSync]: ...
        def __getattr__(self, name: str) -> Any: ...

    class MixcloudOAuthSync(_SyncProxy):
        """Synchronous version of :class:`~mixframe.MixcloudOAuth`."""

        authorization_url: str
        client_id: str | None
        redirect_uri: str | None

        def __init__(self, oauth_root: str = ..., *, client_id: str | None = None,
                     client_secret: str | None = None, redirect_uri: str | None = None,
                     raise_exceptions: bool | None = None, mixcloud: Any = None,
                     transport: Any = None) -> None: ...
        def access_token(self, code: str) -> str | None: ...

    class _MixcloudSyncBase(_SyncProxy):
        access_token: str | None
        stats: ClientStats
        on_wait: Any
        cache: ResponseCache | None

        def __init__(self, api_root: str = ..., *, access_token: str | None = None,
                     mixcloud_root: str = ..., oembed_root: str = ...,
                     json_decoder_class: type = ..., resource_class: type = ...,
                     resource_list_class: type = ..., raise_exceptions: bool = False,
                     session: Any = None, loop: Any = None, timeout: Any = ...,
                     upload_timeout: Any = ..., max_response_size: int | None = ...,
                     retries: Any = 3, max_wait: float | None = None, transport: Any = None,
                     on_wait: Any = None, pacing: AdaptiveRate | bool = True,
                     cache: Any = None, cache_ttl: float | None = None) -> None: ...
        def close(self) -> None: ...
        def api_url(self, key: str) -> str: ...
        def fetch(self, url: str, *, relative: bool = True, plain: bool = True,
                  **params: Any) -> dict[str, Any]: ...
        def get(self, url: str, *, relative: bool = True, create_connections: bool = True,
                **params: Any) -> Any: ...
        def pages(self, url: Any, *, max_pages: int | None = None,
                  max_items: int | None = None, **paging: Any) -> BlockingIterator: ...
        def items(self, url: Any, *, max_pages: int | None = None,
                  max_items: int | None = None, **paging: Any) -> BlockingIterator: ...
        def me(self) -> ResourceSync | AccessDict: ...
        def discover(self, tag: str) -> ResourceSync | AccessDict: ...
        def popular(self, *, offset: int | None = None, limit: int | None = None,
                    since: Any = None, until: Any = None, page: int | None = None,
                    per_page: int = 20) -> ResourceListSync | AccessDict: ...
        def hot(self, *, offset: int | None = None, limit: int | None = None,
                since: Any = None, until: Any = None, page: int | None = None,
                per_page: int = 20) -> ResourceListSync | AccessDict: ...
        def new(self, *, offset: int | None = None, limit: int | None = None,
                since: Any = None, until: Any = None, page: int | None = None,
                per_page: int = 20) -> ResourceListSync | AccessDict: ...
        def search(self, query: str, *, type: str = "cloudcast", offset: int | None = None,
                   limit: int | None = None, since: Any = None, until: Any = None,
                   page: int | None = None,
                   per_page: int = 20) -> ResourceListSync | AccessDict: ...
        def follow(self, user: str) -> AccessDict: ...
        def unfollow(self, user: str) -> AccessDict: ...
        def favorite(self, cloudcast: str) -> AccessDict: ...
        def unfavorite(self, cloudcast: str) -> AccessDict: ...
        def repost(self, cloudcast: str) -> AccessDict: ...
        def unrepost(self, cloudcast: str) -> AccessDict: ...
        def listen_later(self, cloudcast: str) -> AccessDict: ...
        def unlisten_later(self, cloudcast: str) -> AccessDict: ...
        def upload(self, mp3: Any, name: str, *, picture: Any = None,
                   description: str | None = None, tags: Any = None, publish_date: Any = None,
                   disable_comments: bool = False, hide_stats: bool = False,
                   unlisted: bool = False, sections: Any = None) -> AccessDict: ...
        def edit(self, key: str, *, name: str | None = None, picture: Any = None,
                 description: str | None = None, tags: Any = None, publish_date: Any = None,
                 disable_comments: bool = False, hide_stats: bool = False,
                 unlisted: bool = False, sections: Any = None) -> AccessDict: ...
        def embed_json(self, cloudcast: str, *, width: _Size = None, height: _Size = None,
                       color: str | None = None, light: bool | None = None,
                       hide_cover: bool | None = None, mini: bool | None = None,
                       hide_artwork: bool | None = None,
                       autoplay: bool | None = None) -> AccessDict: ...
        def embed_html(self, cloudcast: str, *, width: _Size = None, height: _Size = None,
                       color: str | None = None, light: bool | None = None,
                       hide_cover: bool | None = None, mini: bool | None = None,
                       hide_artwork: bool | None = None,
                       autoplay: bool | None = None) -> Any: ...
        def oembed(self, key: str, *, format: str = "json", width: _Size = None,
                   height: _Size = None, color: str | None = None, light: bool | None = None,
                   hide_cover: bool | None = None, mini: bool | None = None,
                   hide_artwork: bool | None = None, autoplay: bool | None = None) -> Any: ...
else:
    ResourceSync = _make_sync(Resource)
    ResourceListSync = _make_sync(ResourceList)
    MixcloudOAuthSync = _make_sync(MixcloudOAuth)
    _MixcloudSyncBase = _make_sync(Mixcloud, resource_class=ResourceSync,
                                   resource_list_class=ResourceListSync)
# isinstance(x, Resource) holds for sync resources too.
Resource.register(ResourceSync)
ResourceList.register(ResourceListSync)


def _sync_model(cls: type) -> type:
    return cls if issubclass(cls, _SyncProxy) else _make_sync(cls)


class _MixcloudSync(_MixcloudSyncBase):
    """Synchronous version of :class:`~mixframe.Mixcloud` without context management."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Custom model classes are honoured, made synchronous.
        for option in ("resource_class", "resource_list_class"):
            if option in kwargs:
                kwargs[option] = _sync_model(kwargs[option])
        super().__init__(*args, **kwargs)

    @property
    def async_client(self) -> Mixcloud:
        """The asynchronous :class:`~mixframe.Mixcloud` this client runs on mixframe's private
        event loop thread (await its methods only from that loop)."""
        return object.__getattribute__(self, "_object")


class MixcloudSync(_MixcloudSync):
    """Synchronous version of :class:`~mixframe.Mixcloud` with synchronous context management.

    Takes the same arguments. Every coroutine method blocks and returns its result; resources
    and lists come back as :class:`ResourceSync` and :class:`ResourceListSync`.
    """

    def __enter__(self) -> MixcloudSync:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
