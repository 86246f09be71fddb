"""HTTP for the fake API: requests (query, token, forms, multipart), responses, JSON and errors.

The API answers JSON as ``text/javascript; charset=utf-8``, pretty-printed like the recorded (Python
2 era) bodies, wrapped in a JSONP ``callback`` when asked; errors are ``{"error": {"type",
"message"}}``. Only the standard library is used; no web framework.
"""

from __future__ import annotations

import calendar
import json
import math
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote

from .asgi import Receive, Scope
from .uploads import UploadedFile

__all__ = [
    "HTML",
    "Disconnected",
    "Reply",
    "Request",
    "Response",
    "check_method",
    "dumps",
    "error",
    "json_response",
    "link_time",
    "not_found",
    "parse_time",
]

#: Content type of HTML answers (embeds, OAuth pages, redirects).
HTML = "text/html; charset=utf-8"
_JSON = "text/javascript; charset=utf-8"
_MAX_FORM_BYTES = 10 * 1024 * 1024     # url-encoded bodies and text fields of multipart bodies
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\Z")
_HEADER_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


class Reply(Exception):
    """Raised anywhere while handling a request to answer with `response` at once."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class Disconnected(Exception):
    """The client went away while its body was being read."""


class Response:
    """An answer: status, body and headers (the API adds CORS, length and request id)."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, body: bytes = b"",
                 headers: Sequence[tuple[str, str]] = ()) -> None:
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


class MultipartParser:
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


class Request:
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
        self.viewer: str | None = None   # the user its token authorises, set by the API
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
                raise Disconnected
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
            parser = MultipartParser(boundary.encode("latin-1"))
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


def link_time(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def parse_time(name: str, value: str) -> float:
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


def dumps(obj: Any) -> bytes:
    # 4-space indent and ", " before newlines, like the recorded (Python 2 era) bodies.
    return json.dumps(obj, indent=4, separators=(", ", ": ")).encode("ascii")


def json_response(request: Request, obj: Any, status: int = 200) -> Response:
    """`obj` as the API sends JSON, in the request's JSONP ``callback`` if it names a valid one."""
    body = dumps(obj)
    callback = request.query.get("callback")
    if callback and _CALLBACK.match(callback):
        body = callback.encode("ascii") + b"(" + body + b");"
    return Response(status, body, [("Content-Type", _JSON)])


def error(request: Request, status: int, type_: str, message: str) -> Reply:
    """An API error answer, to raise."""
    return Reply(json_response(request, {"error": {"type": type_, "message": message}}, status))


def not_found(request: Request, message: str | None = None) -> Reply:
    """The API's 404 answer, to raise."""
    return error(request, 404, "NotFoundException", message or f"No resource at {request.path}")


def check_method(request: Request, *allowed: str) -> None:
    """Raise the API's 405 answer unless the request's method is `allowed` (GET allows HEAD)."""
    allowed = allowed + (("HEAD",) if "GET" in allowed else ())
    if request.method not in allowed:
        reply = error(request, 405, "MethodNotAllowedException",
                      f"Method {request.method} is not allowed here")
        reply.response.headers.append(("Allow", ", ".join(allowed)))
        raise reply
