"""A local, offline fake of the Mixcloud API, to test code against (like click's ``CliRunner``).

The sandbox is an ASGI app serving a seeded, generated :class:`World` of users, shows and tags,
with optional faults (latency, server errors, rate limiting, dropped and truncated connections) and
a log of every request. One call gives a client on it, in process (no socket)::

    from mixframe import sandbox

    with sandbox.client() as mixcloud:           # a new seeded sandbox, logged in as sandbox-user
        mixcloud.me()
        mixcloud.sandbox.request_count           # the app it talks to: its log, world, faults

    sb = sandbox.app(seed=1, truncate_rate=0.1)  # or your own sandbox, with faults
    async with sandbox.client(sb, sync=False, token=False) as mixcloud:   # async, anonymous
        await mixcloud.get("spartacus")
    sb.world                                     # the data served, changed by uploads, follows...
    sb.world.advance(0.01, seed=1)               # time passes: new uploads, follows, plays...

or over a real loopback socket::

    with sandbox.serve(seed=1) as url:        # or serve(my_app): url.app is the app served
        with MixcloudSync(**sandbox.roots(url), access_token=sandbox.TOKEN) as mixcloud:
            mixcloud.me()
            url.app.faults.error_rate = 0.1   # faults change while it serves
        url.app.request_count                 # the request log of the app serve() built
        url.app.requests[-1].query            # secrets show as '***'

Other clients reach the in-process app with ``sandbox.roots()`` and ``sandbox.transport(app)``
(e.g. ``MixcloudOAuth(sandbox.oauth_root(), ..., transport=sandbox.transport(app))``).
OAuth goes through ``sandbox.oauth_root(url)`` with :data:`CLIENT_ID` and :data:`CLIENT_SECRET`.
The same sandbox runs from a shell with ``mixframe sandbox --port 8000``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, overload

from .api import MixcloudAPI
from .asgi import ASGIApp, ConnectionFault, DroppedConnection, TruncatedResponse
from .faults import FaultMiddleware, Faults, LoggedRequest, RequestLog
from .server import Server
from .transport import InProcessTransport
from .world import CLIENT_ID, CLIENT_SECRET, TOKEN, Changes, World

if TYPE_CHECKING:
    from .. import Mixcloud, MixcloudSync

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "Changes",
    "ConnectionFault",
    "DroppedConnection",
    "FaultMiddleware",
    "Faults",
    "IN_PROCESS_URL",
    "InProcessTransport",
    "LoggedRequest",
    "RequestLog",
    "Sandbox",
    "ServedURL",
    "Server",
    "TOKEN",
    "TruncatedResponse",
    "World",
    "app",
    "client",
    "oauth_root",
    "roots",
    "serve",
    "transport",
]

#: Base URL of an in-process sandbox, the default of :func:`roots` and :func:`oauth_root`, to use
#: with :func:`transport` (any URL works; this one says what it is).
IN_PROCESS_URL = "http://sandbox.localhost"


class Sandbox(FaultMiddleware):
    """The sandbox ASGI app: the fake API of a :class:`World`, behind faults and a request log.

    Build it with :func:`app`.

    Attributes
    ----------
    world : World
        The data served; changes made through the API (follows, uploads, ...) show up here.
    api : MixcloudAPI
        The fake API itself, without faults or logging.
    faults : Faults
        Fault settings, changeable at run time: ``sandbox.faults.error_rate = 0.1``.
    requests : RequestLog
        Every request served: ``sandbox.requests[-1].path``, ``sandbox.requests.path_counts()``.
    """

    def __init__(self, world: World, *, log_size: int | None = 100_000, **faults: Any) -> None:
        self.world = world
        self.api = MixcloudAPI(world)
        super().__init__(self.api, log_size=log_size, **faults)

    def __repr__(self) -> str:
        return f"<Sandbox {self.world!r} {self.faults!r}>"


def app(
    *,
    seed: int = 0,
    users: int = 200,
    world: World | None = None,
    latency: float = 0.0,
    jitter: float = 0.0,
    error_rate: float = 0.0,
    rate_limit: float | None = None,
    drop_rate: float = 0.0,
    truncate_rate: float = 0.0,
    log_size: int | None = 100_000,
) -> Sandbox:
    """Build a sandbox: a seeded world served by the fake API, with faults and a request log.

    Parameters
    ----------
    seed
        Seed of the generated world and of the fault RNG: the same seed gives the same data and,
        for the same sequence of requests, the same faults.
    users
        Number of users in the generated world.
    world
        A world to serve instead of generating one (``seed`` then only seeds the faults).
    latency, jitter, error_rate, rate_limit, drop_rate, truncate_rate
        Initial fault settings, see :class:`Faults`. All off by default.
    log_size
        Most requests kept in :attr:`Sandbox.requests` (all are counted).

    Returns
    -------
    Sandbox
        The ASGI app.
    """
    if world is None:
        world = World(seed=seed, users=users)
    return Sandbox(
        world, log_size=log_size, seed=seed, latency=latency, jitter=jitter, error_rate=error_rate,
        rate_limit=rate_limit, drop_rate=drop_rate, truncate_rate=truncate_rate,
    )


_build = app  # reachable from serve() and client(), whose parameter ``app`` shadows it


class ServedURL(str):
    """The base URL yielded by :func:`serve`: a plain ``str`` also carrying the served ``app``."""

    app: ASGIApp

    def __new__(cls, url: str, app: ASGIApp) -> ServedURL:
        served = super().__new__(cls, url)
        served.app = app
        return served


@contextmanager
def serve(
    app: ASGIApp | None = None, *, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> Iterator[ServedURL]:
    """Serve an ASGI app on a loopback socket, from a background thread, for the ``with`` block.

    Parameters
    ----------
    app
        The app to serve: a :class:`Sandbox` built by :func:`app`, or any other ASGI 3 app (served
        as is). If omitted, a sandbox is built from ``options``; reach it as the ``.app``
        attribute of the yielded URL.
    host
        Address to listen on.
    port
        Port to listen on; 0 picks a free one.
    **options
        Arguments of :func:`app`, only when ``app`` is omitted.

    Yields
    ------
    ServedURL
        The base URL, e.g. ``http://127.0.0.1:54321``; its ``.app`` is the app being served.

    Raises
    ------
    TypeError
        If both ``app`` and ``options`` are given.
    OSError
        If the address cannot be bound.

    Examples
    --------
    >>> sb = app(seed=3)  # doctest: +SKIP
    >>> with serve(sb) as url:  # doctest: +SKIP
    ...     httpx.get(url + "/spartacus/").json()
    """
    if app is None:
        app = _build(**options)
    elif options:
        raise TypeError(f"serve() got sandbox options {sorted(options)} along with an app")
    with Server(app, host, port) as server:
        yield ServedURL(server.url, app)


def transport(app: ASGIApp) -> InProcessTransport:
    """An httpx transport calling ``app`` in process; use it with :data:`IN_PROCESS_URL`.

    A dropped connection raises :class:`httpx.RemoteProtocolError` when the request is sent, a
    truncated body raises it while the body is read: the same errors as over a socket.

    Examples
    --------
    >>> sb = app()  # doctest: +SKIP
    >>> client = httpx.AsyncClient(transport=transport(sb),  # doctest: +SKIP
    ...                            base_url=IN_PROCESS_URL)
    """
    return InProcessTransport(app)


@overload
def client(app: ASGIApp | None = None, *, sync: Literal[True] = True, token: bool = True,
           **options: Any) -> MixcloudSync: ...


@overload
def client(app: ASGIApp | None = None, *, sync: Literal[False], token: bool = True,
           **options: Any) -> Mixcloud: ...


def client(app: ASGIApp | None = None, *, sync: bool = True, token: bool = True,
           **options: Any) -> Mixcloud | MixcloudSync:
    """A client on a sandbox in process (no socket), logged in as the sandbox user.

    One call instead of :func:`roots` + :func:`transport` + :data:`TOKEN`. The client is a
    context manager like any other (``with`` for the sync client, ``async with`` for the async
    one), and carries the app it talks to as its ``sandbox`` attribute, so a test reaches the
    request log, the world and the faults through it: ``mixcloud.sandbox.request_count``.

    Parameters
    ----------
    app : Sandbox or ASGI app, optional
        The app to talk to, e.g. ``sandbox.app(seed=3, error_rate=0.1)``. By default a new
        sandbox of :func:`app`'s defaults (seed 0, 200 users, no faults).
    sync : bool
        A :class:`~mixframe.MixcloudSync` (default) or, with False, an async
        :class:`~mixframe.Mixcloud`.
    token : bool
        Log in as the sandbox user (``access_token=sandbox.TOKEN``, the default); False gives
        an anonymous client. An ``access_token`` in `options` wins either way.
    **options
        Other arguments of the client: ``raise_exceptions``, ``retries``, ``timeout``...
        (``transport`` and ``session`` are the sandbox's own).

    Returns
    -------
    MixcloudSync or Mixcloud
        The client; ``client.sandbox`` is `app`.

    Raises
    ------
    TypeError
        If `sync` or `token` is not a bool, or `options` hold ``transport`` or ``session``.

    Examples
    --------
    >>> from mixframe import sandbox
    >>> with sandbox.client() as mixcloud:
    ...     mixcloud.me().username
    'sandbox-user'
    >>> mixcloud.sandbox.request_count
    1
    >>> mixcloud = sandbox.client(sandbox.app(seed=2), sync=False, raise_exceptions=True)
    """
    # The sandbox is built on the vocabulary only, never on the client it serves; this helper
    # is the one place it meets the client, as user code does: through mixframe's public
    # names, when a client is asked for.
    from .. import Mixcloud, MixcloudSync

    for name, flag in (("sync", sync), ("token", token)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    own = sorted({"transport", "session"} & set(options))
    if own:
        raise TypeError(f"sandbox.client() makes its own transport on the app; "
                        f"got {', '.join(own)}")
    if app is None:
        app = _build()
    settings: dict[str, Any] = {**roots(), "transport": transport(app)}
    if token:
        settings["access_token"] = TOKEN
    settings.update(options)
    mixcloud: Any = (MixcloudSync if sync else Mixcloud)(**settings)
    mixcloud.sandbox = app
    return mixcloud


def roots(base_url: str = IN_PROCESS_URL) -> dict[str, str]:
    """Client URL roots pointing at a sandbox: ``Mixcloud(**roots(url))``.

    The sandbox answers the API, the website paths it needs and oEmbed on one host. Without
    `base_url`, the roots of an in-process sandbox, to use with :func:`transport` (or use
    :func:`client`).
    """
    base = base_url.rstrip("/")
    return {"api_root": base, "mixcloud_root": base, "oembed_root": base + "/oembed"}


def oauth_root(base_url: str = IN_PROCESS_URL) -> str:
    """OAuth root of a sandbox, for :class:`mixframe.MixcloudOAuth` (by default in process:
    use it with ``transport=transport(app)``)."""
    return base_url.rstrip("/") + "/oauth"
