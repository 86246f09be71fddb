"""API access authorization: :class:`MixcloudOAuth`.

It produces the authorization URL to send a user to, and trades the OAuth code Mixcloud
redirects back with for an access token. The client secret travels only to the OAuth root and
never appears in a repr, log line or exception message.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from . import _urls
from ._redact import Secret, mask, redact
from .constants import OAUTH_ROOT
from .exceptions import MixcloudOAuthError, TransportError

__all__ = ["MixcloudOAuth"]


class MixcloudOAuth:
    """Mixcloud OAuth authorization.

    With `client_id` and `redirect_uri` set, :attr:`authorization_url` is the URL to forward
    the user to, where they allow the application access to their data. Mixcloud then
    redirects to `redirect_uri` with ``?code=...``; :meth:`access_token` trades that code for
    an access token (it needs `client_secret` too).

    Parameters
    ----------
    oauth_root : str
        Base URL of OAuth requests.
    client_id, client_secret : str, optional
        Credentials of the application, provided by Mixcloud.
    redirect_uri : str, optional
        Redirect URI, chosen by the developer.
    raise_exceptions : bool or None
        Raise :class:`~mixframe.exceptions.MixcloudOAuthError` when no token comes back. If
        ``None``, use the setting of `mixcloud`; without one, default to ``False``.
    mixcloud : Mixcloud, optional
        Client whose session sends the token request; without one a session is created for
        the request and closed after it.
    transport : httpx.AsyncBaseTransport, optional
        Transport of the session created when there is no `mixcloud` client.

    Examples
    --------
    >>> oauth = MixcloudOAuth(client_id="ks76vqq0", redirect_uri="http://test.com/code/")
    >>> oauth.authorization_url
    'https://www.mixcloud.com/oauth/authorize?client_id=ks76vqq0&redirect_uri=http://test.com/code/'
    """

    #: Default Mixcloud OAuth root URL
    oauth_root = OAUTH_ROOT

    def __init__(self, oauth_root: str = OAUTH_ROOT, *, client_id: str | None = None,
                 client_secret: str | None = None, redirect_uri: str | None = None,
                 raise_exceptions: bool | None = None, mixcloud: Any = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        root = type(self).oauth_root if oauth_root == OAUTH_ROOT else oauth_root
        if not isinstance(root, str) or not root.startswith(("http://", "https://")):
            raise ValueError(f"oauth_root must be an http(s) URL, got {root!r}")
        #: Base URL for OAuth-related requests
        self._oauth_root = root
        self.client_id = client_id
        self._client_secret: Any = None
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        if raise_exceptions is not None and not isinstance(raise_exceptions, bool):
            raise TypeError("raise_exceptions must be True, False or None")
        self._raise_exceptions = raise_exceptions
        self.mixcloud = mixcloud
        self._transport = transport

    @property
    def client_secret(self) -> str | None:
        """Client secret, provided by Mixcloud (kept in a masked
        :class:`~mixframe._redact.Secret`, so that no repr or traceback shows it)."""
        value = self._client_secret
        return value.reveal() if isinstance(value, Secret) else value

    @client_secret.setter
    def client_secret(self, value: str | None) -> None:
        # Anything but a str is kept as it is, for access_token() to refuse.
        self._client_secret = Secret(value) if isinstance(value, str) else value

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} oauth_root={self._oauth_root!r} "
                f"client_id={self.client_id!r} redirect_uri={self.redirect_uri!r} "
                f"client_secret={'set' if self.client_secret else 'none'}>")

    def _build_url(self, segment: str) -> str:
        """Return a URL consisting of OAuth root, followed by `segment`."""
        return self._oauth_root.rstrip("/") + "/" + segment.lstrip("/")

    def _check(self) -> None:
        """Check that client ID and redirect URI have been set."""
        for name in ("client_id", "redirect_uri"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be set to a non-empty str, got {value!r}")

    @property
    def authorization_url(self) -> str:
        """Return authorization URL."""
        self._check()
        query = urlencode({"client_id": self.client_id, "redirect_uri": self.redirect_uri},
                          safe=":/")
        return f"{self._build_url('authorize')}?{query}"

    def _should_raise(self) -> bool:
        if self._raise_exceptions is not None:
            return self._raise_exceptions
        return bool(getattr(self.mixcloud, "_raise_exceptions", False))

    async def access_token(self, code: str) -> str | None:
        """Send the OAuth `code` to the server and return an access token.

        The answer is read as JSON whatever its content type, or as the form-encoded
        ``access_token=...`` the documentation describes. When it holds no token, raise
        :class:`~mixframe.exceptions.MixcloudOAuthError` if that is the setting (this object's
        ``raise_exceptions``, else the attached client's), otherwise return ``None``.

        Raises
        ------
        ValueError
            If `code`, ``client_id``, ``redirect_uri`` or ``client_secret`` is missing.
        TransportError
            If the OAuth server cannot be reached.
        """
        self._check()
        if not isinstance(self.client_secret, str) or not self.client_secret.strip():
            raise ValueError("client_secret must be set to a non-empty str")
        if not isinstance(code, str) or not code.strip():
            raise ValueError(f"code must be a non-empty str, got {code!r}")
        url = self._build_url("access_token")
        scheme, host, _ = _urls.origin(url)
        if scheme != "https" and not _urls.is_loopback(host):
            raise ValueError(f"refusing to send the client secret over plain http to {host!r}")
        outcome = await self._request_token(url, code.strip())
        if isinstance(outcome, str):  # raised here: httpx's error (holding the secret) is no context
            raise TransportError({"error": {"type": "TransportError",
                                            "message": f"GET {url} failed: {outcome}"}}, url=url)
        response = outcome
        data = _parse_token_answer(response)
        token = data.get("access_token")
        if isinstance(token, str) and token.strip():
            return token
        if "error" not in data:
            data = {**data, "error": f"no access token in the answer (HTTP {response.status_code})"}
        if self._should_raise():  # the server may have echoed the secret
            raise MixcloudOAuthError(mask(data, self._client_secret),
                                     status=response.status_code, url=url)
        return None

    async def _request_token(self, url: str, code: str) -> httpx.Response | str:
        """GET the token endpoint `url` with the credentials and `code`: the answer, or why
        none came. The URL holding the client secret exists only in this frame."""
        params = {"client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "client_secret": self.client_secret, "code": code}
        session = getattr(self.mixcloud, "_client", None)
        own = session is None
        client = (httpx.AsyncClient(transport=self._transport, timeout=30.0) if session is None
                  else session())
        try:
            return await client.get(_urls.merge_query(url, params), follow_redirects=False)
        except httpx.HTTPError as error:
            failure = f"{type(error).__name__}: " \
                      f"{redact(str(error), self._client_secret) or 'no detail'}"
        finally:
            if own:
                await client.aclose()
        return failure


def _parse_token_answer(response: httpx.Response) -> dict[str, Any]:
    text = response.text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = dict(parse_qsl(text)) if "=" in text and "<" not in text else {}
    return data if isinstance(data, dict) else {}


# -- the redirect back from Mixcloud ------------------------------------------------------------

from urllib.parse import parse_qs, urlsplit  # noqa: E402  (this part is appended on its own)

#: Longest text taken for a bare code (real ones are a few dozen characters).
_MAX_CODE_LENGTH = 1_000


def parse_redirect(text: str, *, state: str | None = None) -> str:
    """Return the OAuth code in `text`: the address Mixcloud redirected to, its query string,
    or the code alone.

    Parameters
    ----------
    text : str
        What the user pasted, or the URL the local redirect server received:
        ``https://example.com/cb/?code=...&state=...``, ``?code=...``, or the bare code.
    state : str, optional
        The ``state`` put in the authorisation link. An address must then carry the same
        ``state``: one with another value, or none, is refused (a login started elsewhere, or a
        forged one). A bare code, typed deliberately, is accepted whatever `state` is.

    Returns
    -------
    str
        The code, stripped of surrounding blanks.

    Raises
    ------
    ValueError
        Saying what is wrong and what to paste instead: nothing given, no ``code`` in the
        address, several different codes, Mixcloud's ``error`` (the user did not allow
        access), a missing or different ``state``, text that cannot be a code. The message
        never holds the code.

    Examples
    --------
    >>> parse_redirect("https://example.com/cb/?code=Abc123&state=s-1", state="s-1")
    'Abc123'
    >>> parse_redirect("  Abc123 ", state="s-1")
    'Abc123'
    >>> parse_redirect("https://example.com/cb/?code=Abc123&state=forged", state="s-1")
    Traceback (most recent call last):
    ValueError: State mismatch: that address was not produced by the link above (another login, or a forged link). Open the link above again.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Nothing to log in with: paste the code, or the whole address "
                         "Mixcloud sent you to, then click Log in.")
    text = text.strip()
    if "://" in text:
        parts = urlsplit(text)
        query = parse_qs(parts.query or parts.fragment)
    elif text.startswith("?") or "=" in text:
        query = parse_qs(text.lstrip("?"))
    else:
        if len(text) > _MAX_CODE_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in text):
            raise ValueError("That does not look like a code: paste the address Mixcloud "
                             "sent you to, or the value after code=.")
        return text
    if "error" in query:
        detail = " ".join(query.get("error_description") or query["error"])
        raise ValueError(f"Mixcloud did not authorise the application: {detail}.")
    codes = [code.strip() for code in query.get("code", []) if code.strip()]
    if not codes:
        raise ValueError("That address holds no code=...: paste the address Mixcloud sent you "
                         "to after you allowed access.")
    if len(set(codes)) > 1:
        raise ValueError("That address holds several different codes: open the link again.")
    if state is not None:
        states = query.get("state")
        if not states:
            raise ValueError("That address has no state=...: this login expects one, so it may "
                             "not come from the link above. Open the link again (or, if you "
                             "trust it, paste only the code).")
        if states != [state]:
            raise ValueError("State mismatch: that address was not produced by the link above "
                             "(another login, or a forged link). Open the link above again.")
    return codes[0]


__all__ += ["parse_redirect"]
