"""The transport edge: where the access token joins a request, and where answers are read.

* :class:`TokenAuth` adds ``access_token`` to a request for the API's origin as httpx sends it,
  so no frame of mixframe's own code ever holds a URL with the token (a verbose traceback of
  any error shows none), and httpx's own log line of the request shows none either.
* :func:`read_answer` reads a response whole into an :class:`Answer`, refusing one larger than
  the size limit as soon as it is known to be (its ``Content-Length``, or the bytes read so
  far), so a hostile or broken server cannot fill memory.
* :func:`deadline` turns a timeout setting into the deadline of one whole attempt (connect,
  send, answer headers and body): httpx's own timeouts bound each network operation, so a
  server trickling a byte a second would otherwise hold a request for ever.
* :func:`json_text` is how a JSON body becomes text (UTF-8, a byte order mark allowed).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from ._redact import Secret, redact
from .exceptions import ResponseTooLargeError

__all__ = ["Answer", "TokenAuth", "deadline", "json_text", "read_answer"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


class TokenAuth(httpx.Auth):
    """Adds the access token to requests for `api_root`'s origin, and to no other.

    `token` is called for each request (the client's token may change between requests) and
    gives a :class:`~mixframe._redact.Secret` or ``None``; a blank token is not sent.
    """

    def __init__(self, api_root: str, token: Callable[[], Secret | None]) -> None:
        self._origin = _origin(httpx.URL(api_root))
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        secret = self._token()
        if secret is not None and _origin(request.url) == self._origin:
            value = secret.reveal()
            if value.strip():
                request.url = request.url.copy_set_param("access_token", value)
        yield request


@dataclass(frozen=True, slots=True, repr=False)
class Answer:
    """A whole HTTP answer: status, headers and body, read within the client's limits.

    ``url`` is the URL that was requested, as mixframe built it: without the access token.
    """

    status_code: int
    reason_phrase: str
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def text(self) -> str:
        """The body as text, in the declared charset (UTF-8 when none, or when it is wrong)."""
        charset = _charset(self.headers.get("content-type", "")) or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except (LookupError, UnicodeError):  # unknown charset, or UTF-16 without a BOM
            return self.content.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<Answer [{self.status_code} {self.reason_phrase}]>"


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip("\"'")
            try:
                return codecs.lookup(value).name
            except LookupError:
                return None
    return None


def json_text(content: bytes) -> str:
    """The text of a JSON body.

    JSON travels as UTF-8 (RFC 8259); UTF-16 and UTF-32 are recognised from the first bytes
    and a byte order mark is dropped, as :func:`json.loads` does. A declared charset is not
    trusted: servers declare wrong ones (``charset=utf-16`` on a UTF-8 body). A byte that is
    not text becomes U+FFFD, as in :attr:`Answer.text`: one bad byte in a biography does not
    cost the whole page.
    """
    return content.decode(json.detect_encoding(content), errors="replace")


def deadline(timeout: Any) -> float | None:
    """The deadline of one attempt, in seconds, for a timeout setting; ``None`` for none.

    A number is the deadline. For an :class:`httpx.Timeout`, whose four limits each bound one
    network operation, it is the largest of them, and there is none when any is unset.
    """
    if isinstance(timeout, httpx.Timeout):
        limits = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        return None if any(limit is None for limit in limits) else max(limits)  # type: ignore
    return None if timeout is None else float(timeout)


async def read_answer(response: httpx.Response, url: str, limit: int | None) -> Answer:
    """Read the streamed `response` whole, at most `limit` bytes of (decoded) body.

    Raises
    ------
    ResponseTooLargeError
        As soon as the declared or the read size passes `limit`; what was read is dropped.
    """
    if limit is not None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(response, url, limit, f"{int(declared)} bytes declared")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if limit is not None and size > limit:
            raise _too_large(response, url, limit, f"more than {limit} bytes sent")
        chunks.append(chunk)
    return Answer(response.status_code, response.reason_phrase, response.headers,
                  b"".join(chunks), url)


def _too_large(response: httpx.Response, url: str, limit: int,
               detail: str) -> ResponseTooLargeError:
    shown = redact(url)
    return ResponseTooLargeError({"error": {
        "type": "ResponseTooLargeError",
        "message": f"the answer of {shown} is larger than max_response_size ({limit} bytes): "
                   f"{detail}"}}, status=response.status_code, url=shown, limit=limit)
