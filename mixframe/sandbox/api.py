"""The sandbox's fake of api.mixcloud.com and of the www endpoints the API needs, as an ASGI 3 app.

:class:`MixcloudAPI` serves a :class:`~mixframe.sandbox.world.World` the way the real API serves
Mixcloud, quirks included (see ``shared/reference/mixcloud-api.md``):

* one root for everything: API paths, ``/oembed/``, ``/oauth/authorize`` and
  ``/oauth/access_token``;
* a path without its trailing slash gets a 301 to the slashed path, with ``metadata=1`` moved first
  and repeated last in the query, like the recorded redirect;
* JSON as ``text/javascript; charset=utf-8``, pretty-printed, CORS ``*``, JSONP with ``callback``;
* ``type`` fields only with ``metadata=1`` (feed items always have theirs), ``metadata.connections``
  on single objects, links built from the request's scheme and ``Host``;
* date-mode paging (``since``/``until``) by default and offset paging when ``offset`` is given (and
  always for popular, hot and search lists);
* actions, upload and edit with ``access_token``, embeds, oEmbed and the OAuth code flow.

Like moto, it is split by job: :mod:`~mixframe.sandbox.urls` maps paths to the handlers of
:mod:`~mixframe.sandbox.responses`, which speak HTTP through :mod:`~mixframe.sandbox.protocol`;
this module routes each request and sends the answer. Only the standard library is used; no web
framework.
"""

from __future__ import annotations

import hashlib
import inspect

from .asgi import Receive, Scope, Send
from .protocol import Disconnected, Reply, Request, Response, check_method
from .responses import preflight, redirect_slash, viewer_of
from .urls import match
from .world import World

__all__ = ["MixcloudAPI"]


class MixcloudAPI:
    """ASGI 3 app faking api.mixcloud.com (and the www oEmbed/OAuth endpoints) over a world.

    Parameters
    ----------
    world : World
        The data served. Actions, uploads and edits change it.

    Attributes
    ----------
    world : World
        The world served.
    request_count : int
        Requests answered so far.

    Examples
    --------
    >>> import httpx
    >>> api = MixcloudAPI(World(seed=0))
    >>> client = httpx.AsyncClient(transport=httpx.ASGITransport(app=api),
    ...                            base_url="http://sandbox.localhost")
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.request_count = 0

    def __repr__(self) -> str:
        return f"<MixcloudAPI {self.world!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"MixcloudAPI serves HTTP only, not {scope['type']!r}")
        request = Request(scope, receive)
        try:
            response = await self._handle(request)
        except Reply as reply:
            response = reply.response
        except Disconnected:
            return
        await self._send(request, response, send)

    async def _handle(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight()
        route, captured = match(request.path)
        if not route.www:
            if not request.path.endswith("/"):
                return redirect_slash(request)
            request.viewer = viewer_of(self.world, request, required=route.login)
        if route.methods:
            check_method(request, *route.methods)
        response = route.handler(self.world, request, **captured)
        if inspect.isawaitable(response):
            response = await response
        return response

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _send(self, request: Request, response: Response, send: Send) -> None:
        self.request_count += 1
        digest = hashlib.md5(f"{self.world.seed}:{self.request_count}".encode()).hexdigest()
        headers = response.headers
        names = {name.lower() for name, _ in headers}
        if response.status != 301 and "access-control-allow-origin" not in names:
            headers += [("Access-Control-Allow-Origin", "*"), ("Vary", "Accept-Encoding, Origin")]
        headers += [("Content-Length", str(len(response.body))), ("X-Request-Id", digest)]
        await send({"type": "http.response.start", "status": response.status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in headers]})
        body = b"" if request.method == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})
