"""A tiny hostile HTTP server on 127.0.0.1 for client tests: it answers with raw bytes, as slowly
or as wrongly as a test wants, in a thread (so sync and async clients can both use it)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit


class Request:
    """What the server read: the request line, the headers (lower-case names) and the body."""

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes):
        self.method, self.target, self.headers, self.body = method, target, headers, body
        parts = urlsplit(target)
        self.path = parts.path
        self.params = {name: values[-1] for name, values in parse_qs(parts.query).items()}


class Connection:
    """One accepted connection, handed to the server's `answer` function."""

    def __init__(self, sock: socket.socket, stopping: threading.Event):
        self.sock, self.stopping = sock, stopping

    def send(self, data: bytes | str) -> bool:
        """Send `data`; False once the client went away or the server is stopping."""
        if self.stopping.is_set():
            return False
        try:
            self.sock.sendall(data.encode() if isinstance(data, str) else data)
            return True
        except OSError:
            return False

    def trickle(self, data: bytes | str, *, every: float = 1.0) -> int:
        """Send `data` one byte every `every` seconds; return how many bytes went out."""
        data = data.encode() if isinstance(data, str) else data
        for sent in range(len(data)):
            if not self.send(data[sent:sent + 1]) or self.stopping.wait(every):
                return sent
        return len(data)

    def respond(self, status: int, body: bytes | str = b"", *, reason: str = "X",
                headers: dict[str, str] | None = None) -> bool:
        """Send a whole response with a Content-Length."""
        body = body.encode() if isinstance(body, str) else body
        head = {"content-type": "application/json", "content-length": str(len(body)),
                **(headers or {})}
        lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in head.items()]
        return self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


class HostileServer:
    """``with HostileServer(answer) as server: ... server.url ...``.

    ``answer(connection, request)`` is called in a thread for each request; every request is
    kept in ``server.requests``.
    """

    def __init__(self, answer: Callable[[Connection, Request], None]):
        self.answer = answer
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # accept() wakes up to see the server stopping
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.threads: list[threading.Thread] = []
        self.sockets: list[socket.socket] = []

    def __enter__(self) -> HostileServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.listener.close()
        for sock in self.sockets:  # wakes the threads waiting for a next request
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self.threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.sockets.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            sock.settimeout(30)
            buffer = b""
            try:
                while not self.stopping.is_set():
                    while b"\r\n\r\n" not in buffer:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return
                        buffer += chunk
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    lines = head.decode("latin-1").split("\r\n")
                    method, target, _ = lines[0].split(" ", 2)
                    headers = {}
                    for line in lines[1:]:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                    length = int(headers.get("content-length", 0))
                    while len(buffer) < length:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return
                        buffer += chunk
                    body, buffer = buffer[:length], buffer[length:]
                    request = Request(method, target, headers, body)
                    self.requests.append(request)
                    self.answer(Connection(sock, self.stopping), request)
            except OSError:
                return


def elapsed(function: Callable[[], object]) -> tuple[float, object]:
    """Seconds `function()` took, and what it returned or raised."""
    started = time.monotonic()
    try:
        outcome: object = function()
    except Exception as error:  # noqa: BLE001 - handed back to the test
        outcome = error
    return time.monotonic() - started, outcome
