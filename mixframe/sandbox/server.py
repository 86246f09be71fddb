"""A small HTTP/1.1 server running an ASGI 3 app on a loopback socket, from a background thread.

Written on asyncio streams rather than borrowed from a third-party server so that the sandbox
controls the socket: an app that raises :class:`~mixframe.sandbox.asgi.ConnectionFault` gets its
connection closed without a response, or mid-body, exactly as a failing network would.

Supported: keep-alive, request bodies framed by ``Content-Length`` or chunked transfer encoding
(passed to the app in pieces of at most 64 KiB), ``Expect: 100-continue``, response bodies framed
by ``Content-Length`` or chunked when the app streams without a length, ``Connection: close``,
``HEAD``, many concurrent connections and a graceful shutdown. Not supported: TLS, HTTP/2,
WebSocket and lifespan scopes.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import socket
import threading
from typing import Any
from urllib.parse import unquote

from .asgi import ASGIApp, ConnectionFault, Message

__all__ = ["Server"]

logger = logging.getLogger(__name__)

#: Largest piece of request body handed to the app in one ``http.request`` message.
CHUNK_SIZE = 64 * 1024
#: Largest accepted request line plus headers.
MAX_HEAD_SIZE = 64 * 1024
#: Longer than any client pool keeps an idle connection (httpx: 5 s), so the server never closes a
#: connection a client is about to reuse.
KEEP_ALIVE_TIMEOUT = 75.0

_NO_BODY_STATUSES = frozenset({204, 304})


class _BadRequest(Exception):
    """The client sent something that is not HTTP/1.x this server understands."""


class Server:
    """Serve an ASGI 3 app over HTTP/1.1 on a real socket, from a thread with its own event loop.

    Parameters
    ----------
    app
        Any ASGI 3 application; it receives ``http`` scopes only.
    host
        Address to listen on.
    port
        Port to listen on; 0 picks a free one (read it back from :attr:`port` once started).
    shutdown_timeout
        Seconds :meth:`stop` lets requests in flight finish before cancelling them.

    Examples
    --------
    >>> with Server(my_app) as server:  # doctest: +SKIP
    ...     httpx.get(server.url + "/spartacus/")
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *,
                 shutdown_timeout: float = 5.0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.shutdown_timeout = shutdown_timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind the socket and serve from a background thread; return once it accepts connections.

        Raises
        ------
        OSError
            If the address cannot be bound (e.g. the port is in use).
        RuntimeError
            If the server was already started.
        """
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._run, name="mixframe-sandbox-server",
                                        daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error

    def stop(self) -> None:
        """Stop accepting connections, let requests in flight finish, close all, join the thread.

        Idle keep-alive connections are closed at once, the others after their current response.
        Calling it again, or before :meth:`start`, does nothing.
        """
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        # asyncio.run also finishes the tasks still pending at the end, such as a connection
        # accepted as the server closed: its socket is closed, not left to the garbage collector.
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            sock = _bind(self.host, self.port)
            server = await asyncio.start_server(self._connected, sock=sock, backlog=1024,
                                                limit=MAX_HEAD_SIZE)
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            return
        self.port = sock.getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            # Stop accepting, then give connections already accepted one turn of the loop to
            # get their transports: a closed asyncio server refuses to attach them and leaves
            # their sockets open (an asyncio race, seen on 3.11 to 3.13).
            with contextlib.suppress(NotImplementedError):  # no readers on Windows' proactor
                self._loop.remove_reader(sock)
            await asyncio.sleep(0)
            server.close()
            await self._close_connections()

    async def _close_connections(self) -> None:
        self._closing = True
        for connection in list(self._connections):
            connection.close_if_idle()
        tasks = [connection.task for connection in self._connections
                 if connection.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.shutdown_timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Called as each connection is made. A connection accepted as the server stops can see
        # its task cancelled before the task's first step, when no cleanup of its own runs:
        # closing the socket is the task's done callback instead.
        task = asyncio.get_running_loop().create_task(self._accept(reader, writer))
        self._tasks.add(task)

        def finished(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            writer.close()

        task.add_done_callback(finished)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # asyncio only sets TCP_NODELAY on sockets it created itself; without it each response's
        # body, written after its head, waits for the client's delayed ACK (~40 ms).
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = _Connection(self, reader, writer)
        self._connections.add(connection)
        try:
            await connection.run()
        except asyncio.CancelledError:
            pass  # cancelled by stop(); asyncio 3.11 would report the cancelled task as an error
        finally:
            self._connections.discard(connection)


def _bind(host: str, port: int) -> socket.socket:
    # One socket, bound by hand: asyncio would bind one per address of a name like "localhost",
    # each with a different free port when port is 0.
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return socket.create_server(address, family=family, backlog=1024)


class _Connection:
    """One client connection: reads requests one after another and runs the app for each."""

    def __init__(self, server: Server, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.task = asyncio.current_task()
        self.idle = True

    def close_if_idle(self) -> None:
        """Cancel the connection if it is waiting for a next request (called on shutdown)."""
        if self.idle and self.task is not None:
            self.task.cancel()

    async def run(self) -> None:
        try:
            while not self.server._closing:
                self.idle = True
                head = await self._read_head()
                self.idle = False
                if head is None:
                    break
                try:
                    exchange = _Exchange(self, *_parse_head(head))
                except _BadRequest as exc:
                    await _write_simple(self.writer, 400, str(exc))
                    break
                if not await exchange.run():
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, asyncio.CancelledError):
                pass

    async def _read_head(self) -> bytes | None:
        """The next request head, or None if the client closes, idles out or sends too much."""
        try:
            return await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), KEEP_ALIVE_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError):
            return None
        except asyncio.LimitOverrunError:
            await _write_simple(self.writer, 431, "Request header fields too large")
            return None


def _parse_head(head: bytes) -> tuple[str, str, str, list[tuple[bytes, bytes]]]:
    """Split a request head into method, target, HTTP version and lower-cased headers."""
    lines = head[:-4].split(b"\r\n")
    try:
        method, target, version = lines[0].decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise _BadRequest("Malformed request line") from None
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise _BadRequest("Unsupported HTTP version")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or line[:1] in b" \t":
            raise _BadRequest("Malformed header line")
        headers.append((name.lower(), value.strip()))
    return method, target, version[5:], headers


class _Exchange:
    """One request and its response on a connection.

    Returns from :meth:`run` whether the connection can carry another request.
    """

    def __init__(self, connection: _Connection, method: str, target: str, version: str,
                 headers: list[tuple[bytes, bytes]]) -> None:
        self.connection = connection
        self.writer = connection.writer
        self.method = method
        self.version = version
        self.body = _request_body(connection.reader, headers)
        values = {name: value.lower() for name, value in headers}
        tokens = {token.strip() for token in values.get(b"connection", b"").split(b",")}
        self.keep_alive = b"close" not in tokens and (version == "1.1" or b"keep-alive" in tokens)
        self.expect_continue = values.get(b"expect") == b"100-continue"
        self.body_delivered = False
        self.started = False
        self.head_written = False
        self.complete = False
        self.chunked = False
        self.length: int | None = None
        self.sent = 0
        self.start_message: Message = {}
        self.response_done = asyncio.Event()
        raw_path, _, query = target.encode("latin-1").partition(b"?")
        if raw_path.startswith((b"http://", b"https://")):
            # absolute-form target, as sent to proxies
            raw_path = b"/" + raw_path.split(b"/", 3)[3] if raw_path.count(b"/") >= 3 else b"/"
        sockname = self.writer.get_extra_info("sockname")
        peername = self.writer.get_extra_info("peername")
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": version,
            "method": method,
            "scheme": "http",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": tuple(peername[:2]) if peername else None,
            "server": tuple(sockname[:2]) if sockname else None,
        }

    async def run(self) -> bool:
        try:
            await self.connection.server.app(self.scope, self.receive, self.send)
        except ConnectionFault:
            return False
        except (ConnectionError, asyncio.IncompleteReadError):
            return False
        except Exception:
            logger.exception("ASGI app raised an exception")
            if not self.started:
                await _write_simple(self.writer, 500, "Internal Server Error")
            return False
        finally:
            self.response_done.set()
        if not self.complete:
            if not self.started:
                logger.error("ASGI app returned without sending a response")
                await _write_simple(self.writer, 500, "Internal Server Error")
            return False
        if self.length is not None and self.sent != self.length and self.method != "HEAD":
            logger.error("ASGI app sent %d body bytes after declaring Content-Length %d",
                         self.sent, self.length)
            return False
        if self.expect_continue and not self.body.done:
            return False  # the client still waits for "100 Continue" before sending its body
        # Read what the app left of the request body, so the next request starts where it should.
        while not self.body.done:
            await self.body.read()
        return self.keep_alive and not self.connection.server._closing

    async def receive(self) -> Message:
        if self.body_delivered:
            await self.response_done.wait()
            return {"type": "http.disconnect"}
        if self.expect_continue and not self.started:
            self.expect_continue = False
            self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        data = await self.body.read()
        self.body_delivered = self.body.done
        return {"type": "http.request", "body": data, "more_body": not self.body_delivered}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.started = True
            self.start_message = message
        elif kind == "http.response.body":
            if not self.started or self.complete:
                raise RuntimeError("http.response.body sent outside a response")
            body = bytes(message.get("body", b""))
            more = message.get("more_body", False)
            if not self.head_written:
                self._write_head(body, more)
            self._write_body(body, more)
            self.complete = not more
            await self.writer.drain()
        else:
            raise RuntimeError(f"unsupported ASGI message type {kind!r}")

    def _write_head(self, first_body: bytes, more: bool) -> None:
        """Write status line and headers, framing the body now that its first piece is known."""
        status = self.start_message["status"]
        headers = [
            (bytes(name).lower(), bytes(value))
            for name, value in self.start_message.get("headers", [])
            if bytes(name).lower() != b"transfer-encoding"
        ]
        for name, value in headers:
            if name == b"content-length":
                self.length = int(value)
            elif name == b"connection" and b"close" in value.lower():
                self.keep_alive = False
        if self.connection.server._closing:
            self.keep_alive = False
        if status not in _NO_BODY_STATUSES and self.length is None:
            if not more:
                self.length = len(first_body)
                headers.append((b"content-length", str(self.length).encode()))
            elif self.version == "1.1":
                self.chunked = True
                headers.append((b"transfer-encoding", b"chunked"))
            else:
                self.keep_alive = False  # HTTP/1.0: the body ends with the connection
        if not self.keep_alive:
            headers.append((b"connection", b"close"))
        lines = [f"HTTP/1.1 {status} {_reason(status)}".encode()]
        lines += [name + b": " + value for name, value in headers]
        self.writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
        self.head_written = True

    def _write_body(self, body: bytes, more: bool) -> None:
        self.sent += len(body)
        if self.method == "HEAD" or self.start_message["status"] in _NO_BODY_STATUSES:
            return
        if self.length is not None and self.sent > self.length:
            raise RuntimeError("ASGI app sent more body than its Content-Length")
        if not self.chunked:
            self.writer.write(body)
            return
        if body:
            self.writer.write(b"%x\r\n%s\r\n" % (len(body), body))
        if not more:
            self.writer.write(b"0\r\n\r\n")


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


async def _write_simple(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    """Answer with a plain-text response and ``Connection: close`` (the server's own errors)."""
    body = text.encode()
    head = (
        f"HTTP/1.1 {status} {_reason(status)}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    try:
        await writer.drain()
    except ConnectionError:
        pass


def _request_body(reader: asyncio.StreamReader,
                  headers: list[tuple[bytes, bytes]]) -> _LengthBody | _ChunkedBody:
    """Pick the request body framing from the headers (RFC 9112 §6.3)."""
    encodings = [value for name, value in headers if name == b"transfer-encoding"]
    lengths = {value for name, value in headers if name == b"content-length"}
    if encodings:
        if lengths or not b",".join(encodings).lower().rstrip().endswith(b"chunked"):
            raise _BadRequest("Unsupported transfer encoding")
        return _ChunkedBody(reader)
    if len(lengths) > 1:
        raise _BadRequest("Conflicting Content-Length headers")
    if not lengths:
        return _LengthBody(reader, 0)
    (length,) = lengths
    if not length.isdigit():
        raise _BadRequest("Invalid Content-Length")
    return _LengthBody(reader, int(length))


class _LengthBody:
    """A request body of known length."""

    def __init__(self, reader: asyncio.StreamReader, length: int) -> None:
        self.reader = reader
        self.remaining = length

    @property
    def done(self) -> bool:
        return self.remaining == 0

    async def read(self) -> bytes:
        if self.done:
            return b""
        data = await self.reader.read(min(self.remaining, CHUNK_SIZE))
        if not data:
            raise ConnectionResetError("client closed the connection mid-body")
        self.remaining -= len(data)
        return data


class _ChunkedBody:
    """A request body in chunked transfer encoding, re-cut in pieces of at most CHUNK_SIZE."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.left_in_chunk = 0
        self.done = False

    async def read(self) -> bytes:
        if self.done:
            return b""
        if self.left_in_chunk == 0:
            size_line = await self.reader.readuntil(b"\r\n")
            try:
                self.left_in_chunk = int(size_line.split(b";")[0], 16)
            except ValueError:
                raise ConnectionResetError("malformed chunk size") from None
            if self.left_in_chunk == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailer fields, not passed on
                self.done = True
                return b""
        data = await self.reader.readexactly(min(self.left_in_chunk, CHUNK_SIZE))
        self.left_in_chunk -= len(data)
        if self.left_in_chunk == 0 and await self.reader.readexactly(2) != b"\r\n":
            raise ConnectionResetError("malformed chunk end")
        return data
