"""An httpx transport calling an ASGI app in process, connection faults included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import httpx

from .asgi import ASGIApp, DroppedConnection, Receive, Scope, Send, TruncatedResponse

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.AsyncBaseTransport):
    """Send requests straight to an ASGI app, as :class:`httpx.ASGITransport` does, with faults.

    An app raising :class:`~mixframe.sandbox.asgi.DroppedConnection` makes the request fail with
    :class:`httpx.RemoteProtocolError`. One raising
    :class:`~mixframe.sandbox.asgi.TruncatedResponse` gives a response whose body, once its sent
    part is read, fails with :class:`httpx.RemoteProtocolError`. httpx raises the same for the
    same faults over a socket, so code under test handles both alike.

    Parameters
    ----------
    app
        The ASGI app to call.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        truncation: list[TruncatedResponse] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await self.app(scope, receive, send)
            except TruncatedResponse as exc:
                truncation.append(exc)
                # End the response so ASGITransport returns what was sent; its body fails later.
                await send({"type": "http.response.body", "body": b""})

        try:
            response = await httpx.ASGITransport(app=app).handle_async_request(request)
        except DroppedConnection:
            message = "Server disconnected without sending a response."
            raise httpx.RemoteProtocolError(message, request=request) from None
        if not truncation:
            return response
        body = b"".join([part async for part in cast(httpx.AsyncByteStream, response.stream)])
        stream = _BrokenStream(body, truncation[0], request)
        return httpx.Response(response.status_code, headers=response.headers, stream=stream,
                              request=request)


class _BrokenStream(httpx.AsyncByteStream):
    """A response body yielding what was sent, then failing as a socket closed mid-body does."""

    def __init__(self, body: bytes, fault: TruncatedResponse, request: httpx.Request) -> None:
        self.body = body
        self.fault = fault
        self.request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.body:
            yield self.body
        # httpcore's wording for the same fault over a socket
        message = (
            "peer closed connection without sending complete message body "
            f"(received {self.fault.received} bytes, expected {self.fault.expected})"
        )
        raise httpx.RemoteProtocolError(message, request=self.request)
