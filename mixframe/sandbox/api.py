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

Only the standard library is used; no web framework.
"""

from __future__ import annotations

import bisect
import calendar
import hashlib
import json
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

from .._api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PLAYER_OPTIONS, PLAYER_URL, TAG_PREFIXES
from .world import (CLOUDCAST_CONNECTIONS, RESERVED_USERNAMES, TAG_CONNECTIONS, USER_CONNECTIONS,
                    ActionError, Listing, NotFound, OAuthError, PermissionDenied, UploadedFile,
                    UploadError, World)

__all__ = ["MixcloudAPI"]

Scope = Mapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_JSON = "text/javascript; charset=utf-8"
_HTML = "text/html; charset=utf-8"
_MAX_FORM_BYTES = 10 * 1024 * 1024     # url-encoded bodies and text fields of multipart bodies
_CLOUDCAST_ACTIONS = {"favorite": ("favorite", "unfavorite"), "repost": ("repost", "unrepost"),
                      "listen-later": ("listen_later", "unlisten_later")}
_TRUE = frozenset({"1", "true", "on", "yes"})
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\Z")
_HEX_COLOR = re.compile(r"[0-9a-fA-F]{6}\Z")
_SIZE = re.compile(r"\d{1,5}%?\Z")
_HEADER_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class _Reply(Exception):
    """Raised anywhere while handling a request to answer with `response` at once."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


class _Disconnected(Exception):
    """The client went away while its body was being read."""


class _Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, body: bytes = b"", headers: list[tuple[str, str]] = ()) -> None:
        self.status = status
        self.body = body
        self.headers = list(headers)


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/sub; a=1; b="x"`` into ``("type/sub", {"a": "1", "b": "x"})``."""
    main = value.split(";", 1)[0].strip().lower()
    params: dict[str, str] = {}
    for m in _HEADER_PARAM.finditer(value):
        name, raw = m.group(1).lower(), m.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if name.endswith("*") and "''" in raw:  # RFC 5987: charset''percent-encoded
            charset, _, encoded = raw.partition("''")
            name, raw = name[:-1], unquote(encoded, encoding=charset or "utf-8", errors="replace")
        params[name] = raw
    return main, params


class _MultipartParser:
    """Incremental ``multipart/form-data`` parser: feed it body chunks as they arrive.

    Text fields are kept (up to ``max_field`` bytes each); file parts are only measured, so a large
    upload never sits in memory.
    """

    def __init__(self, boundary: bytes, max_field: int = _MAX_FORM_BYTES) -> None:
        self._delimiter = b"\r\n--" + boundary
        self._buffer = bytearray(b"\r\n")  # lets the first boundary match like the others
        self._state = "preamble"
        self._max_field = max_field
        self._part: dict[str, Any] | None = None
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, UploadedFile]] = []

    def feed(self, data: bytes) -> None:
        buffer, delimiter = self._buffer, self._delimiter
        buffer += data
        while True:
            if self._state == "done":
                buffer.clear()
                return
            if self._state in ("preamble", "body"):
                i = buffer.find(delimiter)
                if i < 0:
                    # Keep a tail that may be the start of a delimiter split across chunks.
                    cut = max(0, len(buffer) - len(delimiter) + 1)
                    if self._state == "body":
                        self._emit(buffer[:cut])
                    del buffer[:cut]
                    return
                if self._state == "body":
                    self._emit(buffer[:i])
                    self._finish_part()
                del buffer[:i + len(delimiter)]
                self._state = "delimiter"
            if self._state == "delimiter":
                if len(buffer) < 2:
                    return
                if buffer.startswith(b"--"):
                    self._state = "done"
                    continue
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > 1024:
                        raise ValueError("malformed multipart body (bad boundary line)")
                    return
                if buffer[:end].strip(b" \t"):
                    raise ValueError("malformed multipart body (bad boundary line)")
                del buffer[:end + 2]
                self._state = "headers"
            if self._state == "headers":
                if len(buffer) < 2:
                    return
                if buffer.startswith(b"\r\n"):
                    head, size = b"", 2
                else:
                    end = buffer.find(b"\r\n\r\n")
                    if end < 0:
                        if len(buffer) > 16384:
                            raise ValueError("malformed multipart body (part headers too long)")
                        return
                    head, size = bytes(buffer[:end]), end + 4
                del buffer[:size]
                self._start_part(head)
                self._state = "body"

    def close(self) -> None:
        """Check the body ended with the closing boundary."""
        if self._state != "done":
            raise ValueError("malformed multipart body (no closing boundary)")

    def _start_part(self, head: bytes) -> None:
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        _, params = _header_params(headers.get("content-disposition", ""))
        self._part = {"name": params.get("name"), "filename": params.get("filename"),
                      "content_type": headers.get("content-type"), "size": 0,
                      "value": bytearray()}

    def _emit(self, chunk: bytes | bytearray) -> None:
        part = self._part
        if part is None or not chunk:
            return
        part["size"] += len(chunk)
        if part["filename"] is None:
            if part["size"] > self._max_field:
                raise ValueError(f"{part['name']}: field larger than {self._max_field} bytes")
            part["value"] += chunk

    def _finish_part(self) -> None:
        part, self._part = self._part, None
        if part is None or part["name"] is None:
            return
        if part["filename"] is None:
            self.fields.append((part["name"], part["value"].decode("utf-8", "replace")))
        else:
            self.files.append((part["name"], UploadedFile(part["filename"], part["size"],
                                                          part["content_type"])))


class _Request:
    """What a handler needs from an ASGI HTTP request."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.method: str = scope["method"].upper()
        self.path: str = scope["path"] or "/"
        self.raw_query: str = scope.get("query_string", b"").decode("latin-1")
        self.pairs = parse_qsl(self.raw_query, keep_blank_values=True)
        self.query = dict(self.pairs)
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                        for k, v in scope.get("headers", ())}
        scheme = scope.get("scheme") or "http"
        host = self.headers.get("host")
        if not host:
            server = scope.get("server") or ("localhost", None)
            default = {"http": 80, "https": 443}.get(scheme)
            host = server[0] if server[1] in (None, default) else f"{server[0]}:{server[1]}"
        self.base = f"{scheme}://{host}"
        self._receive = receive

    @property
    def metadata(self) -> bool:
        return self.query.get("metadata", "") in ("1", "true", "True")

    @property
    def token(self) -> str | None:
        token = self.query.get("access_token")
        if token is None:
            auth = self.headers.get("authorization", "")
            if auth[:7].lower() == "bearer ":
                token = auth[7:].strip()
        return token or None

    async def stream(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return

    async def form(self) -> tuple[dict[str, str], dict[str, UploadedFile]]:
        """The body's form fields and files (an empty form for other content types)."""
        mime, params = _header_params(self.headers.get("content-type", ""))
        if mime == "multipart/form-data":
            boundary = params.get("boundary")
            if not boundary:
                raise ValueError("multipart body without a boundary")
            parser = _MultipartParser(boundary.encode("latin-1"))
            async for chunk in self.stream():
                parser.feed(chunk)
            parser.close()
            return dict(parser.fields), dict(parser.files)
        body = bytearray()
        async for chunk in self.stream():
            body += chunk
            if len(body) > _MAX_FORM_BYTES:
                raise ValueError(f"body larger than {_MAX_FORM_BYTES} bytes")
        if mime == "application/x-www-form-urlencoded":
            return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)), {}
        return {}, {}


def _link_time(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def _parse_time(name: str, value: str) -> float:
    """A ``since``/``until`` value: Unix timestamp or UTC ``YYYY-MM-DD HH:MM:SS`` (or ISO)."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            return number
    for fmt in _TIME_FORMATS:
        try:
            return calendar.timegm(time.strptime(value, fmt))
        except ValueError:
            continue
    raise ValueError(f"{name}: expected a Unix timestamp or a UTC date as YYYY-MM-DD HH:MM:SS")


def _dumps(obj: Any) -> bytes:
    # 4-space indent and ", " before newlines, like the recorded (Python 2 era) bodies.
    return json.dumps(obj, indent=4, separators=(", ", ": ")).encode("ascii")


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
        request = _Request(scope, receive)
        try:
            response = await self._handle(request)
        except _Reply as reply:
            response = reply.response
        except _Disconnected:
            return
        await self._send(request, response, send)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _send(self, request: _Request, response: _Response, send: Send) -> None:
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

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _json(request: _Request, obj: Any, status: int = 200) -> _Response:
        body = _dumps(obj)
        callback = request.query.get("callback")
        if callback and _CALLBACK.match(callback):
            body = callback.encode("ascii") + b"(" + body + b");"
        return _Response(status, body, [("Content-Type", _JSON)])

    def _error(self, request: _Request, status: int, type_: str, message: str) -> _Reply:
        return _Reply(self._json(request, {"error": {"type": type_, "message": message}}, status))

    def _not_found(self, request: _Request, message: str | None = None) -> _Reply:
        return self._error(request, 404, "NotFoundException",
                           message or f"No resource at {request.path}")

    def _methods(self, request: _Request, *allowed: str) -> None:
        allowed = allowed + (("HEAD",) if "GET" in allowed else ())
        if request.method not in allowed:
            reply = self._error(request, 405, "MethodNotAllowedException",
                                f"Method {request.method} is not allowed here")
            reply.response.headers.append(("Allow", ", ".join(allowed)))
            raise reply

    def _auth(self, request: _Request, required: bool) -> str | None:
        """Username authorised by the request's token; 401 if missing (when required) or bad."""
        token = request.token
        if token is None:
            if required:
                raise self._error(request, 401, "OAuthException",
                                  "An access_token is required to access this resource.")
            return None
        username = self.world.token_user(token)
        if username is None:
            raise self._error(request, 401, "OAuthException",
                              "An invalid access token was provided")
        return username

    # -- dispatch -----------------------------------------------------------------------------

    async def _handle(self, request: _Request) -> _Response:
        path = request.path
        if request.method == "OPTIONS":
            return _Response(200, b"", [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE, OPTIONS"),
                ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
                ("Content-Type", _HTML)])
        parts = [p for p in path.split("/") if p]
        # www endpoints answer with and without the trailing slash.
        if parts in (["oauth", "authorize"], ["oauth", "access_token"]):
            return await self._oauth(request, parts[1])
        if parts == ["oembed"]:
            self._methods(request, "GET")
            return self._oembed(request)
        if not path.endswith("/"):
            return self._redirect_slash(request)
        viewer = self._auth(request, required=False)
        if not parts:
            self._methods(request, "GET")
            return self._json(request, {})
        head = parts[0]
        if head == "me":
            viewer = self._auth(request, required=True)
            if len(parts) == 1:
                self._methods(request, "GET")
                return self._user(request, viewer, viewer, me=True)
            if len(parts) == 2 and (parts[1] in USER_CONNECTIONS or parts[1] == "listen-later"):
                self._methods(request, "GET")
                return self._list(request, self._listing(request, f"/{viewer}/{parts[1]}/",
                                                         viewer=viewer))
            raise self._not_found(request)
        if head == "upload":
            if len(parts) == 1:
                self._methods(request, "POST")
                return await self._upload(request, None)
            if len(parts) == 4 and parts[3] == "edit":
                self._methods(request, "POST")
                return await self._upload(request, f"/{parts[1]}/{parts[2]}/")
            raise self._not_found(request)
        if head == "search" and len(parts) == 1:
            self._methods(request, "GET")
            return self._search(request)
        if parts in (["popular"], ["popular", "hot"], ["new"]):
            self._methods(request, "GET")
            return self._list(request, self._listing(request, path))
        if head in TAG_PREFIXES:
            return self._tag(request, parts)
        if head in RESERVED_USERNAMES:
            raise self._not_found(request)
        if len(parts) == 1:
            self._methods(request, "GET")
            return self._user(request, head, viewer)
        if len(parts) == 2:
            second = parts[1]
            if second == "follow":
                return await self._action(request, "follow", head)
            if second in USER_CONNECTIONS:
                self._methods(request, "GET")
                return self._list(request, self._listing(request, path))
            self._methods(request, "GET")
            return self._cloudcast(request, head, second)
        if len(parts) == 3:
            third = parts[2]
            if third in _CLOUDCAST_ACTIONS:
                return await self._action(request, third, f"/{head}/{parts[1]}/")
            if third in CLOUDCAST_CONNECTIONS:
                self._methods(request, "GET")
                return self._list(request, self._listing(request, path))
            if third in ("embed-json", "embed-html"):
                self._methods(request, "GET")
                return self._embed(request, head, parts[1], third == "embed-json")
        raise self._not_found(request)

    def _redirect_slash(self, request: _Request) -> _Response:
        # The real API answers with metadata=1 first and again last (redirect-301-*.meta.json).
        query = request.raw_query
        if request.metadata:
            rest = [p for p in query.split("&") if p and p.split("=", 1)[0] != "metadata"]
            query = "&".join(["metadata=1", *rest, "metadata=1"])
        location = quote(request.path, safe="/:@!$&'()*+,;=~") + "/"
        if query:
            location += "?" + query
        return _Response(301, b"", [("Content-Type", _HTML), ("Location", location)])

    def _listing(self, request: _Request, path: str, viewer: str | None = None) -> Listing:
        try:
            return self.world.listing(path, viewer=viewer)
        except NotFound as error:
            raise self._not_found(request, str(error)) from None

    # -- objects ------------------------------------------------------------------------------

    def _user(self, request: _Request, username: str, viewer: str | None,
              me: bool = False) -> _Response:
        world = self.world
        try:
            username = world.canonical_username(username)
            body = world.user(username)
        except NotFound as error:
            raise self._not_found(request, str(error)) from None
        if viewer is not None:
            body["following"] = world.is_following(viewer, username)
            if me:
                body["follower"] = world.is_following(username, viewer)
                body["is_current_user"] = True
        if request.metadata:
            body["type"] = "user"
            body["metadata"] = {"connections": {
                name: f"{request.base}/{username}/{name}/" for name in USER_CONNECTIONS}}
        return self._json(request, body)

    def _cloudcast(self, request: _Request, username: str, slug: str) -> _Response:
        world = self.world
        try:
            body = world.cloudcast(username, slug, types=request.metadata)
        except NotFound as error:
            raise self._not_found(request, str(error)) from None
        if request.metadata:
            body["metadata"] = {"connections": {
                name: f"{request.base}{body['key']}{name}/" for name in CLOUDCAST_CONNECTIONS}}
        return self._json(request, body)

    def _tag(self, request: _Request, parts: list[str]) -> _Response:
        self._methods(request, "GET")
        family = parts[0]
        if len(parts) == 2:
            try:
                body = self.world.tag(parts[1])
            except NotFound as error:
                raise self._not_found(request, str(error)) from None
            if request.metadata:
                body["type"] = "tag"
                slug = body["key"].strip("/").split("/")[-1]
                body["metadata"] = {"connections": {
                    name: f"{request.base}/{family}/{slug}/{name}/" for name in TAG_CONNECTIONS}}
            return self._json(request, body)
        if len(parts) == 3:
            return self._list(request, self._listing(request, request.path))
        raise self._not_found(request)

    # -- lists --------------------------------------------------------------------------------

    def _search(self, request: _Request) -> _Response:
        q = request.query.get("q", "")
        type_ = request.query.get("type", "")
        try:
            listing = self.world.search(q, type_)
        except ValueError:
            raise self._error(request, 400, "ParameterException",
                              "type: must be one of cloudcast, user or tag") from None
        return self._list(request, listing, leading=[("q", q), ("type", type_)])

    def _list(self, request: _Request, listing: Listing,
              leading: list[tuple[str, str]] = ()) -> _Response:
        query = request.query
        try:
            limit = int(query.get("limit", DEFAULT_PAGE_SIZE))
        except ValueError:
            limit = DEFAULT_PAGE_SIZE
        limit = min(max(limit, 1), MAX_PAGE_SIZE)
        types = request.metadata
        base = [*leading, ("limit", str(limit))] + ([("metadata", "1")] if types else [])
        link = f"{request.base}{quote(request.path, safe='/:@!$&()*+,;=~')}?"
        paging: dict[str, str] = {}
        items = listing.items
        n = len(items)
        offset_text = query.get("offset")
        if listing.dated and offset_text is None:
            key = listing.ordering_time
            try:
                since = _parse_time("since", query["since"]) if "since" in query else None
                until = _parse_time("until", query["until"]) if "until" in query else None
            except ValueError as error:
                raise self._error(request, 400, "ParameterException", str(error)) from None
            hi = n if until is None else bisect.bisect_left(items, until, key=key)
            if since is None:
                page = items[max(0, hi - limit):hi]
            else:
                lo = bisect.bisect_right(items, since, 0, hi, key=key)
                page = items[lo:min(hi, lo + limit)]
            page = page[::-1]
            if page:
                paging["previous"] = link + urlencode(
                    base + [("since", _link_time(key(page[0])))])
                if len(page) == limit:
                    paging["next"] = link + urlencode(
                        base + [("until", _link_time(key(page[-1])))])
            elif since is not None:  # nothing newer yet: poll the same place again
                paging["previous"] = link + urlencode(base + [("since", _link_time(since))])
        else:
            try:
                offset = max(0, int(offset_text or 0))
            except ValueError:
                offset = 0
            if listing.dated:
                page = items[max(0, n - offset - limit):max(0, n - offset)][::-1]
            else:
                page = items[offset:offset + limit]
            if offset > 0:
                paging["previous"] = link + urlencode(
                    base + [("offset", str(max(0, offset - limit)))])
            if len(page) == limit:
                paging["next"] = link + urlencode(base + [("offset", str(offset + limit))])
        body: dict[str, Any] = {"data": [listing.render(item, types) for item in page]}
        if paging:
            body["paging"] = paging
        if listing.name is not None:
            body["name"] = listing.name
        return self._json(request, body)

    # -- actions, upload, edit ----------------------------------------------------------------

    async def _form(self, request: _Request) -> tuple[dict[str, str], dict[str, UploadedFile]]:
        try:
            return await request.form()
        except ValueError as error:
            raise self._error(request, 400, "UploadException", str(error)) from None

    async def _action(self, request: _Request, action: str, target: str) -> _Response:
        self._methods(request, "POST", "DELETE")
        viewer = self._auth(request, required=True)
        method = request.method
        if method == "POST":
            fields, _ = await self._form(request)
            if fields.get("method", "").lower() == "delete":
                method = "DELETE"
        world = self.world
        undo = method == "DELETE"
        try:
            if action == "follow":
                name = world.canonical_username(target)
                (world.unfollow if undo else world.follow)(viewer, name)
                message = f"No longer following {name}" if undo else f"Now following {name}"
            else:
                do, undo_name = _CLOUDCAST_ACTIONS[action]
                getattr(world, undo_name if undo else do)(viewer, target)
                title = world.cloudcast(*target.strip("/").split("/"))["name"]
                message = {
                    ("favorite", False): f"Favorited {title}",
                    ("favorite", True): f"Unfavorited {title}",
                    ("repost", False): f"Reposted {title}",
                    ("repost", True): f"Unreposted {title}",
                    ("listen-later", False): f"Added {title} to your Listen Later",
                    ("listen-later", True): f"Removed {title} from your Listen Later",
                }[action, undo]
        except NotFound as error:
            raise self._not_found(request, str(error)) from None
        except ActionError as error:
            raise self._error(request, 400, "ActionException", str(error)) from None
        return self._json(request, {"result": {"success": True, "message": message}})

    async def _upload(self, request: _Request, key: str | None) -> _Response:
        viewer = self._auth(request, required=True)
        fields, files = await self._form(request)
        fields.pop("access_token", None)  # never kept in world.uploads
        world = self.world
        content_type = request.headers.get("content-type")
        try:
            if key is None:
                key = world.upload(viewer, fields, files, content_type=content_type)
                verb = "Uploaded"
            else:
                key = world.edit(viewer, key, fields, files, content_type=content_type)
                verb = "Updated"
        except NotFound as error:
            raise self._not_found(request, str(error)) from None
        except PermissionDenied as error:
            raise self._error(request, 403, "PermissionException", str(error)) from None
        except UploadError as error:
            raise self._error(request, 400, "UploadException", str(error)) from None
        name = world.cloudcast(*key.strip("/").split("/"))["name"]
        return self._json(request, {"result": {"success": True, "message": f"{verb} {name}",
                                               "key": key}})

    # -- embeds and oEmbed --------------------------------------------------------------------

    def _widget(self, request: _Request, key: str) -> tuple[str, str | int, int]:
        """The widget iframe for `key` and its width and height, from the request's options."""
        query = request.query
        options = [(name, "1") for name in PLAYER_OPTIONS
                   if query.get(name, "").strip().lower() in _TRUE]
        color = query.get("color")
        if color is not None:
            if not _HEX_COLOR.match(color):
                raise self._error(request, 400, "ParameterException",
                                  "color: must be 6 hexadecimal digits, e.g. ff6600")
            options.append(("color", color.lower()))
        sizes: dict[str, str | int] = {}
        for name, default in (("width", "100%"), ("height", 60 if ("mini", "1") in options
                                                   else 120)):
            value = query.get(name)
            if value is None:
                sizes[name] = default
            elif not _SIZE.match(value):
                raise self._error(request, 400, "ParameterException",
                                  f"{name}: must be a number of pixels or a percentage")
            else:
                sizes[name] = value if value.endswith("%") else int(value)
        for name, limit in (("width", "maxwidth"), ("height", "maxheight")):
            if query.get(limit, "").isdigit():
                bound = int(query[limit])
                sizes[name] = bound if isinstance(sizes[name], str) else min(sizes[name], bound)
        src = PLAYER_URL + "?" + urlencode([("feed", key), *options])
        allow = ' allow="autoplay"' if ("autoplay", "1") in options else ""
        html = (f'<iframe width="{sizes["width"]}" height="{sizes["height"]}" '
                f'src="{xml_escape(src)}" frameborder="0"{allow} ></iframe>')
        return html, sizes["width"], sizes["height"]

    def _embed(self, request: _Request, username: str, slug: str, as_json: bool) -> _Response:
        try:
            body = self.world.cloudcast(username, slug)
        except NotFound as error:
            raise self._not_found(request, str(error)) from None
        html, width, height = self._widget(request, body["key"])
        if as_json:
            return self._json(request, {"html": html, "width": width, "height": height})
        return _Response(200, html.encode("utf-8"), [("Content-Type", _HTML)])

    def _oembed(self, request: _Request) -> _Response:
        query = request.query
        fmt = query.get("format", "json")
        if fmt not in ("json", "xml"):
            raise self._error(request, 501, "ParameterException", "format: must be json or xml")
        url = query.get("url")
        if not url:
            raise self._error(request, 400, "ParameterException", "url: this parameter is required")
        parts = [p for p in urlsplit(url).path.split("/") if p]
        world = self.world
        try:
            if len(parts) == 2 and parts[0] not in RESERVED_USERNAMES:
                obj = world.cloudcast(*parts)
                owner = obj["user"]
            elif len(parts) == 1 and parts[0] not in RESERVED_USERNAMES:
                obj = owner = world.user(parts[0])
            else:
                raise NotFound(f"No embeddable show or profile at {url}")
        except NotFound as error:
            raise self._not_found(request, str(error)) from None
        html, width, height = self._widget(request, obj["key"])
        data = {
            "type": "rich", "version": "1.0", "provider_name": "Mixcloud",
            "title": obj["name"], "author_name": owner["name"], "author_url": owner["url"],
            "html": html, "image": obj["pictures"]["extra_large"],
            "thumbnail_url": obj["pictures"]["large"], "width": width, "height": height,
        }
        if fmt == "json":
            return self._json(request, data)
        xml = "".join(f"<{k}>{xml_escape(str(v))}</{k}>" for k, v in data.items())
        body = f'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<oembed>{xml}</oembed>\n'
        return _Response(200, body.encode("utf-8"), [("Content-Type", "text/xml; charset=utf-8")])

    # -- OAuth --------------------------------------------------------------------------------

    @staticmethod
    def _page(status: int, title: str, text: str) -> _Response:
        body = (f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
                f"<body><h1>{title}</h1><p>{text}</p></body></html>\n")
        return _Response(status, body.encode("utf-8"), [("Content-Type", _HTML)])

    async def _oauth(self, request: _Request, step: str) -> _Response:
        world = self.world
        if step == "authorize":
            self._methods(request, "GET")
            query = request.query
            client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
            if client_id not in world.clients:
                return self._page(400, "Bad request", "Unknown or missing client_id.")
            target = urlsplit(redirect_uri)
            if target.scheme not in ("http", "https") or not target.netloc:
                return self._page(400, "Bad request", "Missing or invalid redirect_uri.")
            try:
                code = world.issue_code(client_id, redirect_uri, query.get("user") or None)
            except NotFound:
                return self._page(400, "Bad request", "Unknown user.")
            extra = [("code", code)] + ([("state", query["state"])] if "state" in query else [])
            location = urlunsplit(target._replace(
                query="&".join(filter(None, [target.query, urlencode(extra)])), fragment=""))
            return _Response(302, b"", [("Location", location), ("Content-Type", _HTML)])
        self._methods(request, "GET", "POST")
        params = dict(request.query)
        if request.method == "POST":
            fields, _ = await self._form(request)
            params.update(fields)
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        needed = ("client_id", "redirect_uri", "client_secret", "code")
        if any(not params.get(name) for name in needed):
            return _Response(400, _dumps({"error": "invalid_request"}), headers)
        try:
            token = world.exchange_code(params["client_id"], params["client_secret"],
                                        params["redirect_uri"], params["code"])
        except OAuthError as error:
            return _Response(400, _dumps({"error": str(error)}), headers)
        return _Response(200, _dumps({"access_token": token}), headers)
