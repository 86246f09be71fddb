"""A one-shot HTTP server on 127.0.0.1 that catches the OAuth redirect at ``/callback``.

:class:`~mixframe.widgets.LoginWidget` uses it with ``local_redirect=True``: the browser comes
back from Mixcloud to ``http://127.0.0.1:PORT/callback?code=...`` and the login completes by
itself. The server only hands over what arrives; checking the request (its ``state``) is the
caller's job.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable
from html import escape
from urllib.parse import parse_qs, urlsplit

__all__ = ["RedirectServer"]

_PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>mixframe login</title></head>'
         '<body style="font-family:sans-serif"><p>{}</p></body></html>')


class RedirectServer:
    """Serve ``http://127.0.0.1:PORT/callback`` from a daemon thread until the login is done.

    Parameters
    ----------
    on_redirect : callable
        Called with the full URL of each ``/callback`` request that carries a ``code`` or an
        ``error``; returns the text of the page shown in the browser and whether the server is
        done (after a successful login: a failed attempt may be retried). An exception it
        raises shows a generic page and keeps the server waiting.
    port : int
        Port to listen on; 0 picks a free one.

    Attributes
    ----------
    redirect_uri : str
        ``http://127.0.0.1:PORT/callback``.
    """

    def __init__(self, on_redirect: Callable[[str], tuple[str, bool]], port: int = 0) -> None:
        self._on_redirect = on_redirect
        self._done = threading.Event()
        self._httpd = http.server.HTTPServer(("127.0.0.1", port), self._handler())
        self._httpd.timeout = 0.2
        self.redirect_uri = f"http://127.0.0.1:{self._httpd.server_address[1]}/callback"
        self._thread = threading.Thread(target=self._serve, name="mixframe-login-callback",
                                        daemon=True)
        self._thread.start()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path.rstrip("/") != "/callback" or not (
                        "code" in query or "error" in query):
                    self._answer(404, "mixframe: nothing here. Waiting for Mixcloud's redirect "
                                      "to /callback.")
                    return
                try:
                    text, finished = server._on_redirect(f"{server.redirect_uri}?{parts.query}")
                except Exception:  # the caller shows its own errors; keep the page generic
                    text, finished = "mixframe: the login failed; see the notebook.", False
                if finished:
                    server._done.set()
                self._answer(200, text)

            def _answer(self, status: int, text: str) -> None:
                body = _PAGE.format(escape(text)).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # request lines hold the OAuth code: never print them

        return Handler

    def _serve(self) -> None:
        try:
            while not self._done.is_set():
                self._httpd.handle_request()
        finally:
            self._httpd.server_close()

    @property
    def running(self) -> bool:
        """Whether the server is still waiting for the redirect."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving (returns once the socket is closed, or after `timeout` seconds)."""
        self._done.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
