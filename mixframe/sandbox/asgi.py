"""ASGI types, and the exceptions by which an app asks its server to break the connection.

A fault such as a dropped connection cannot be expressed in ASGI messages, so the app raises a
:class:`ConnectionFault` instead:

- :class:`DroppedConnection` before sending anything: the connection is closed without a response;
- :class:`TruncatedResponse` after the status, the headers (announcing the full ``Content-Length``)
  and part of the body: the connection is closed mid-body.

:class:`~mixframe.sandbox.server.Server` closes the socket accordingly, and
:class:`~mixframe.sandbox.transport.InProcessTransport` raises what httpx raises when a socket does
that, so a client sees the same exceptions either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = [
    "ASGIApp",
    "ConnectionFault",
    "DroppedConnection",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "TruncatedResponse",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ConnectionFault(Exception):
    """Raised by an ASGI app to have the connection broken instead of the response finished."""


class DroppedConnection(ConnectionFault):
    """Close the connection without sending any response."""


class TruncatedResponse(ConnectionFault):
    """Close the connection after part of a body whose full ``Content-Length`` was announced.

    Parameters
    ----------
    received
        Body bytes sent before the connection is closed.
    expected
        Body bytes announced by ``Content-Length``.
    """

    def __init__(self, received: int, expected: int) -> None:
        super().__init__(f"response body cut after {received} of {expected} bytes")
        self.received = received
        self.expected = expected
