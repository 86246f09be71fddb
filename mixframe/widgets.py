"""Notebook widgets: log in to Mixcloud with OAuth, and play shows.

* :class:`LoginWidget` walks a user through OAuth inside a notebook and makes the logged-in
  :class:`~mixframe.MixcloudSync` mixframe's default client.
* :func:`player` embeds the Mixcloud player for one show, :func:`gallery` several in a grid;
  both also show the title and link as plain text for front ends that strip iframes.
  :func:`player_html` gives the player's HTML alone.

Examples
--------
In a notebook cell::

    from mixframe.widgets import LoginWidget, player

    login = LoginWidget("my-client-id", "my-client-secret",
                        "https://example.com/mixcloud-callback/")
    login      # click the link, paste the address you land on, click "Log in"

then, once logged in::

    login.client.me().name              # also mixframe.get_default_client()
    player("/spartacus/party-time/", light=True)
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
from collections.abc import Iterable, Mapping
from html import escape as _html_escape
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import ipywidgets
import traitlets

from . import _urls
from ._api import PLAYER_URL, key_type
from ._player import player_iframe, player_options, player_src
from ._redact import redact
from ._redirect_server import RedirectServer
from .auth import parse_redirect
from .constants import MIXCLOUD_ROOT, OAUTH_ROOT
from .decorators import check_bool, check_int
from .defaults import set_default_client
from .exceptions import MixcloudError, MixcloudOAuthError, TransportError
from .models import ResourceList
from .sync import MixcloudOAuthSync, MixcloudSync

__all__ = ["Gallery", "LoginWidget", "Player", "gallery", "player", "player_html"]

#: The Mixcloud player widget, embedded in an iframe.
WIDGET_URL = PLAYER_URL
#: Most shows :func:`gallery` renders unless told otherwise.
GALLERY_MAX_ITEMS = 12

_MIXCLOUD_HOSTS = ("mixcloud.com", "www.mixcloud.com", "m.mixcloud.com")
_FONT = "font-family:sans-serif"
# Widgets' HTML gets no link style in JupyterLab: without one a link reads as plain text.
_LINK = "color:var(--jp-content-link-color,#1976d2);text-decoration:underline"


def _escape(value: Any) -> str:
    return _html_escape(str(value), quote=True)


# -- login ------------------------------------------------------------------------------------


class _LoginProblem(Exception):
    """A login failure to show to the user, with a message safe to show."""


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value.strip()


def _digest(code: str) -> str:
    """A fingerprint of a used code: enough to recognise it, useless to anyone else."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


#: Colours of the status line, by kind.
_STATUS_COLOURS = {"error": "#b00020", "ok": "#1b7f3b", "warning": "#8a5300", "info": "#555"}


class LoginWidget(ipywidgets.VBox):
    """Log in to Mixcloud from a notebook, with OAuth.

    The widget shows the authorisation link; the user opens it, allows the application, and
    Mixcloud sends them to `redirect_uri` with ``?code=...``. They paste that address (or just
    the code) into the text field and click *Log in*: the widget trades the code for an access
    token, checks it with ``me()``, shows who logged in, and makes the new
    :class:`~mixframe.MixcloudSync` mixframe's default client
    (:func:`mixframe.set_default_client`).

    Errors (empty input, a bad or used code, a state mismatch, a network failure) are shown in
    the widget, never raised; a failed attempt after a login keeps the logged-in client and
    says so. The client secret and the access token never appear in a widget value, in the
    repr or in a message. The address is read by :func:`mixframe.auth.parse_redirect`; the
    local redirect is caught by :class:`mixframe._redirect_server.RedirectServer`.

    Parameters
    ----------
    client_id, client_secret : str
        Credentials of the application, provided by Mixcloud.
    redirect_uri : str, optional
        Redirect URI registered for the application. Required unless `local_redirect`.
    oauth_root : str, optional
        OAuth root URL (default: Mixcloud's); e.g. ``sandbox.oauth_root(url)``.
    api_root : str, optional
        API root of the client built after login (default: Mixcloud's).
    state : str, optional
        Opaque value appended to the authorisation link as ``state=...``; by default a random
        one (:func:`secrets.token_urlsafe`), so that a redirect this login did not start is
        refused (login CSRF). Every address, pasted or caught by the local server, must carry
        the same ``state``: one with another value, or none, is rejected. A bare code, typed
        deliberately, is still accepted (if Mixcloud sends the browser back without
        ``state``, paste the code alone).
    transport : httpx.AsyncBaseTransport, optional
        Transport of the OAuth request and of the client (tests: ``sandbox.transport(app)``).
    local_redirect : bool
        Catch the redirect automatically: serve ``http://127.0.0.1:PORT/callback`` on a free
        port from a daemon thread, use it as the redirect URI, and log in as soon as the browser
        arrives there with the right ``state``. Only useful when the kernel runs on the user's
        own machine, and only if the application accepts that redirect URI. The server stops
        after the first successful login, or on :meth:`close`.
    local_port : int
        Port of the `local_redirect` server; 0 picks a free one.
    client_options : dict, optional
        More arguments of the :class:`~mixframe.MixcloudSync` built after login, e.g.
        ``sandbox.roots(url)`` or ``{"raise_exceptions": True}``.

    Attributes
    ----------
    client : MixcloudSync or None
        The logged-in client, once a login succeeded (a read-only trait: observe it).
    status : str
        The text shown under the button (a read-only trait).
    error : str or None
        Text of the last error, ``None`` after a success (a read-only trait).
    authorization_url : str
        The link the user opens.
    redirect_uri : str
        The redirect URI in use.
    link, code_input, login_button, output : ipywidgets widgets
        The parts of the widget: set ``code_input.value`` and call ``login_button.click()`` to
        drive it from code (or call :meth:`login`).

    Examples
    --------
    >>> login = LoginWidget(CLIENT_ID, CLIENT_SECRET, "https://example.com/cb/")  # doctest: +SKIP
    >>> login                                                                   # doctest: +SKIP
    >>> login.observe(lambda change: print("logged in"), names="client")        # doctest: +SKIP
    >>> login.login("https://example.com/cb/?code=Abc123&state=...")            # doctest: +SKIP
    """

    client = traitlets.Instance(MixcloudSync, allow_none=True, read_only=True,
                                help="The logged-in client, once a login succeeded.")
    status = traitlets.Unicode("", read_only=True, help="The text shown under the button.")
    error = traitlets.Unicode(None, allow_none=True, read_only=True,
                              help="Text of the last error, None after a success.")

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str | None = None, *,
                 oauth_root: str | None = None, api_root: str | None = None,
                 state: str | None = None, transport: Any = None, local_redirect: bool = False,
                 local_port: int = 0, client_options: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        client_id = _check_text("client_id", client_id)
        secret = _check_text("client_secret", client_secret)
        state = secrets.token_urlsafe(16) if state is None else _check_text("state", state)
        check_bool("local_redirect", local_redirect)
        check_int("local_port", local_port, minimum=0, maximum=65535)
        if local_redirect and redirect_uri is not None:
            raise ValueError("pass either redirect_uri or local_redirect=True, not both: "
                             "local_redirect uses http://127.0.0.1:PORT/callback")
        if not local_redirect:
            redirect_uri = _check_text("redirect_uri", redirect_uri)
        options = dict(client_options or {})
        for name in ("access_token", "transport"):
            if name in options:
                raise ValueError(f"client_options must not hold {name!r}")
        if api_root is not None:
            options["api_root"] = api_root
        if transport is not None:
            options["transport"] = transport
        MixcloudSync(**options)  # check the client's arguments now, not after the code is used
        self._client_options = options
        self._state = state
        self._lock = threading.Lock()
        self._used_codes: set[str] = set()
        self._server: RedirectServer | None = None
        if local_redirect:
            self._server = RedirectServer(self._on_local_redirect, local_port)
            redirect_uri = self._server.redirect_uri
        try:
            self._oauth = MixcloudOAuthSync(OAUTH_ROOT if oauth_root is None else oauth_root,
                                            client_id=client_id, client_secret=secret,
                                            redirect_uri=redirect_uri, transport=transport,
                                            raise_exceptions=True)
            url = self._oauth.authorization_url + "&" + urlencode({"state": state})
        except Exception:
            if self._server is not None:
                self._server.stop()
            raise
        self.authorization_url: str = url
        self.redirect_uri: str = cast(str, redirect_uri)  # checked above, or the server's

        step2 = ("2. Once you allowed access, the login completes by itself. If the notebook "
                 "runs on another machine, paste the address you landed on here:"
                 if local_redirect else
                 "2. Paste the address Mixcloud sent you to (or just its code) and log in:")
        self.link = ipywidgets.HTML(value=(
            f'<div style="{_FONT};line-height:1.4"><b>1.</b> <a href="{_escape(url)}" '
            f'style="{_LINK}" '
            f'target="_blank" rel="noopener noreferrer">Authorise this notebook on Mixcloud</a> '
            f'(opens a new tab)<br>{_escape(step2)}</div>'))
        # "auto", not "100%": the field's margins come on top of a percentage and push it
        # past the output area; auto fills what the box leaves, margins included.
        self.code_input = ipywidgets.Text(
            placeholder="https://…/?code=… or the code alone",
            layout=ipywidgets.Layout(width="auto", max_width="100%", min_width="0"))
        self.login_button = ipywidgets.Button(description="Log in", button_style="primary",
                                              icon="sign-in", tooltip="Trade the code for a "
                                              "token and log in")
        self.output = ipywidgets.HTML(value="", layout=ipywidgets.Layout(max_width="100%"))
        self.login_button.on_click(self._on_click)
        kwargs.setdefault("layout", ipywidgets.Layout(max_width="100%", overflow="hidden"))
        super().__init__(children=[self.link, self.code_input, self.login_button, self.output],
                         **kwargs)
        self._show("Waiting for the code." if not local_redirect else
                   "Waiting for Mixcloud to send the browser back.", kind="info")

    # -- display --

    def _show(self, text: str, *, kind: str) -> None:
        self.set_trait("status", text)
        self.output.value = (f'<div style="{_FONT};line-height:1.4;color:{_STATUS_COLOURS[kind]};'
                             f'overflow-wrap:anywhere">{_escape(text)}</div>')

    def _scrub(self, text: str, *secrets: str | None) -> str:
        """Return `text` with every secret masked: query values, the client secret, tokens."""
        token = self.client.access_token if self.client is not None else None
        return redact(text, self._oauth.client_secret, token, *secrets)

    def _fail(self, text: str, *secrets: str | None) -> None:
        """Show a failed attempt; one made while logged in says the login still holds."""
        error = self._scrub(text, *secrets)
        self.set_trait("error", error)
        if self.client is None:
            self._show(error, kind="error")
        else:
            self._show(f"Still logged in as {self._who}; that attempt changed nothing: {error}",
                       kind="warning")

    def __repr__(self) -> str:
        who = "not logged in"
        if self.client is not None:
            who = f"logged in as {self._who!r}"
        return (f"<{type(self).__name__} client_id={self._oauth.client_id!r} "
                f"redirect_uri={self.redirect_uri!r} {who}>")

    # -- login --

    def _parse(self, text: Any) -> str:
        """Return the code in `text` (a bare code or a redirected URL), checking its state."""
        try:
            return parse_redirect(text, state=self._state)
        except ValueError as problem:
            raise _LoginProblem(str(problem)) from None

    def _exchange(self, code: str) -> tuple[MixcloudSync, Any]:
        """Trade `code` for a token; return the new client and its ``me()``."""
        try:
            token = self._oauth.access_token(code)
        except MixcloudOAuthError as error:
            reason = error.message or error.type or "no access token came back"
            raise _LoginProblem(f"Mixcloud refused the code ({reason}). A code works once: "
                                f"open the link again for a new one.") from None
        except TransportError as error:
            raise _LoginProblem(f"Could not reach Mixcloud's OAuth server: "
                                f"{error.message or error}") from None
        except MixcloudError as error:
            raise _LoginProblem(f"The login failed: {error.message or error}") from None
        except ValueError as error:
            raise _LoginProblem(f"The login failed: {error}") from None
        if not isinstance(token, str) or not token:
            raise _LoginProblem("Mixcloud answered without an access token.")
        client = MixcloudSync(access_token=token, **self._client_options)
        try:
            me = client.me()
            data = getattr(me, "data", None)
            if not isinstance(data, dict) or "error" in data or "key" not in data:
                answer = data.get("error") if isinstance(data, dict) else None
                message = answer.get("message") if isinstance(answer, dict) else answer
                raise _LoginProblem(f"A token came back, but Mixcloud did not accept it: "
                                    f"{message or 'no user in the answer'}.")
        except _LoginProblem as problem:
            client.close()
            raise _LoginProblem(self._scrub(str(problem), token)) from None
        except Exception as error:
            client.close()
            message = getattr(error, "message", "") or str(error) or type(error).__name__
            raise _LoginProblem(self._scrub(f"A token came back, but checking it with me() "
                                            f"failed: {message}", token)) from None
        return client, me

    @property
    def _who(self) -> str:
        me = getattr(self, "_me", None) or {}
        name = me.get("name") or me.get("username") or "?"
        return f"{name} ({me.get('key', '?')})"

    def login(self, code_or_url: str | None = None) -> MixcloudSync | None:
        """Log in with a code, or with the address Mixcloud redirected to.

        This is what the *Log in* button does (with the text field's value). The code that
        logged this widget in, given again, sends nothing and keeps the login.

        Parameters
        ----------
        code_or_url : str, optional
            The code, or the redirected URL holding ``code`` and ``state``. Default: the text
            field's value.

        Returns
        -------
        MixcloudSync or None
            The logged-in client, or ``None`` when the login failed (see :attr:`error`; a
            client logged in earlier stays in :attr:`client`).
        """
        text = self.code_input.value if code_or_url is None else code_or_url
        if not self._lock.acquire(blocking=False):
            self._fail("A login is already in progress; wait for it to finish.")
            return None
        self.login_button.disabled = True
        try:
            self._show("Logging in…", kind="info")
            code = self._parse(text)
            if self.client is not None and _digest(code) in self._used_codes:
                self.code_input.value = ""
                self.set_trait("error", None)
                self._show(f"Still logged in as {self._who}: that code was already used for "
                           f"this login (a code works once), so nothing was sent.", kind="ok")
                return self.client
            client, me = self._exchange(code)
            self._used_codes.add(_digest(code))
            self._adopt(client, me)
            return client
        except _LoginProblem as problem:
            self._fail(str(problem))
        except Exception as error:  # shown in the widget, never raised in the notebook
            self._fail(f"The login failed: {type(error).__name__}: {error}")
        finally:
            self.login_button.disabled = False
            self._lock.release()
        return None

    def _adopt(self, client: MixcloudSync, me: Any) -> None:
        """Make `client` the widget's client and mixframe's default; say who logged in."""
        old = self.client
        self._me = {name: me.data.get(name) for name in ("name", "username", "key")}
        self.set_trait("error", None)
        self.code_input.value = ""
        set_default_client(client)
        if self._server is not None:
            self._server.stop()  # logged in, however the code came: nothing more to catch
        if old is not None and old is not client:
            try:
                old.close()
            except Exception:  # the old session is dropped either way
                pass
        self._show(f"Logged in as {self._who}. Access token received (hidden); this client is "
                   f"now mixframe's default.", kind="ok")
        self.set_trait("client", client)   # last: observers see the whole login

    def _on_click(self, _button: Any) -> None:
        try:
            self.login()
        except Exception as error:  # a click never ends in a traceback
            self._fail(f"The login failed: {type(error).__name__}: {error}")

    def _on_local_redirect(self, url: str) -> tuple[str, bool]:
        """Log in with the redirect caught by the local server; return the page's text and
        whether the server is done (after a success: a failed attempt may be retried)."""
        client = self.login(url)
        if client is None:
            return "mixframe: the login failed; see the notebook for details.", False
        return f"mixframe: logged in as {self._who}. You can close this tab.", True

    @property
    def local_server_running(self) -> bool:
        """Whether the `local_redirect` server is still waiting for the redirect."""
        return self._server is not None and self._server.running

    def close(self) -> None:
        """Stop the `local_redirect` server, if any, and close the widget."""
        server = getattr(self, "_server", None)
        if server is not None:
            server.stop()
        super().close()


# -- players ----------------------------------------------------------------------------------


def _show_key(value: Any) -> str:
    """Return the normalised key of a show given as a key or a www.mixcloud.com URL."""
    if not isinstance(value, str):
        raise TypeError(f"cloudcast key must be a str, got {type(value).__name__}")
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        if (parts.hostname or "").lower() not in _MIXCLOUD_HOSTS:
            raise ValueError(f"cloudcast must be a key like '/user/show/' or a mixcloud.com "
                             f"URL, got {redact(text)!r}")
        text = parts.path
    key = _urls.normalize_key(text)
    if key_type(key) != "cloudcast":
        raise ValueError(f"cloudcast must be a show key like '/user/show/', got {value!r}")
    return key


def _show_of(cloudcast: Any) -> tuple[str, str]:
    """Return ``(key, title)`` of a show given as a key, URL, resource or dict."""
    if isinstance(cloudcast, str):
        return _show_key(cloudcast), ""
    data = cloudcast if isinstance(cloudcast, dict) else getattr(cloudcast, "data", None)
    if not isinstance(data, Mapping):
        raise TypeError(f"cloudcast must be a key, a Resource or a dict with a 'key', "
                        f"got {type(cloudcast).__name__}")
    if "key" not in data:
        raise ValueError("cloudcast has no 'key'")
    kind = data.get("type")
    if isinstance(kind, str) and kind and kind != "cloudcast":
        raise ValueError(f"cloudcast must be a show, got a {kind!r} ({data.get('key')!r})")
    name = data.get("name")
    title = " ".join(name.split()) if isinstance(name, str) else ""
    return _show_key(data["key"]), title


def _render(cloudcast: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    key, title = _show_of(cloudcast)
    checked = player_options(**options)
    src = player_src(key, checked)
    url = _urls.join(MIXCLOUD_ROOT, key)
    label = title or key
    html = (f'<div class="mixframe-player" style="margin:0.2em 0">'
            f'{player_iframe(key, checked, title=label)}'
            f'<div class="mixframe-player-fallback" style="{_FONT};font-size:0.9em">'
            f'&#9654; <a href="{_escape(url)}" style="{_LINK}" target="_blank" '
            f'rel="noopener noreferrer">'
            f'{_escape(label)}</a> &#8212; {_escape(url)}</div></div>')
    return {"key": key, "title": label, "url": url, "src": src, "html": html,
            "text": f"{label} — {url}"}


class _EmbedHTML(ipywidgets.HTML):
    """An HTML widget that also offers its HTML, and a plain-text fallback, to front ends
    without widget support (static renderers, consoles)."""

    def __init__(self, html: str, text: str, **kwargs: Any) -> None:
        super().__init__(value=html, **kwargs)
        self._fallback_text = text

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        bundle["text/html"] = self.value
        bundle["text/plain"] = self._fallback_text
        return bundle

    @property
    def text(self) -> str:
        """Plain-text form: titles and links."""
        return self._fallback_text


class Player(_EmbedHTML):
    """The Mixcloud player of one show: an :class:`ipywidgets.HTML` made by :func:`player`.

    Attributes
    ----------
    key : str
        The show's key.
    title : str
        Its name (or key when the name is unknown).
    url : str
        Its page, ``https://www.mixcloud.com<key>``.
    src : str
        The iframe's URL.
    text : str
        The plain-text fallback: ``"<title> — <url>"``.
    """

    def __init__(self, rendered: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(rendered["html"], rendered["text"], **kwargs)
        self.key: str = rendered["key"]
        self.title: str = rendered["title"]
        self.url: str = rendered["url"]
        self.src: str = rendered["src"]

    def __repr__(self) -> str:
        return f"<Player {self.key!r}>"


class Gallery(_EmbedHTML):
    """Several players in a grid: an :class:`ipywidgets.HTML` made by :func:`gallery`.

    Attributes
    ----------
    show_keys : list of str
        Keys of the shows rendered, in order.
    total : int or None
        How many shows were given (``None`` when an iterator went past the cap).
    truncated : bool
        Whether some shows were left out.
    """

    def __init__(self, html: str, text: str, show_keys: list[str], total: int | None,
                 truncated: bool, **kwargs: Any) -> None:
        super().__init__(html, text, **kwargs)
        self.show_keys = show_keys
        self.total = total
        self.truncated = truncated

    def __repr__(self) -> str:
        return f"<Gallery of {len(self.show_keys)} shows>"


def player_html(cloudcast: Any, *, width: int | str | None = None,
                height: int | str | None = None, color: str | None = None,
                light: bool = False, mini: bool = False, hide_cover: bool = False,
                hide_artwork: bool = False, autoplay: bool = False) -> str:
    """Return the HTML of :func:`player` (iframe and plain-text fallback) as a string.

    Takes the same arguments as :func:`player`.
    """
    return _render(cloudcast, dict(width=width, height=height, color=color, light=light,
                                   mini=mini, hide_cover=hide_cover, hide_artwork=hide_artwork,
                                   autoplay=autoplay))["html"]


def player(cloudcast: Any, *, width: int | str | None = None, height: int | str | None = None,
           color: str | None = None, light: bool = False, mini: bool = False,
           hide_cover: bool = False, hide_artwork: bool = False,
           autoplay: bool = False) -> Player:
    """Return the Mixcloud player of a show, with its title and link beside it as plain text.

    Parameters
    ----------
    cloudcast : str, Resource or dict
        The show: a key (``"/spartacus/party-time/"``, slashes optional), its
        ``https://www.mixcloud.com/...`` URL, a resource, or a dict with a ``key`` (and
        ``name``, used as the title).
    width : int or str, optional
        Width of the player: pixels (``600``, ``"600px"``) or a percentage; default ``"100%"``.
    height : int or str, optional
        Height, the same way; default 120 pixels (the classic player), 60 with `mini`.
    color : str, optional
        Theme colour, 6 hex digits (``"ff6600"`` or ``"#ff6600"``).
    light : bool
        Light theme.
    mini : bool
        Mini player.
    hide_cover : bool
        Hide the cover picture.
    hide_artwork : bool
        Hide the show's artwork.
    autoplay : bool
        Start playing when shown (browsers may block it).

    Returns
    -------
    Player
        An :class:`ipywidgets.HTML` holding the iframe
        ``https://www.mixcloud.com/widget/iframe/?feed=<key>&...`` and the fallback text.

    Raises
    ------
    ValueError
        For a bad option value (naming the argument) or a key that is not a show's.
    TypeError
        For an option of the wrong type.

    Examples
    --------
    >>> p = player("spartacus/party-time", light=True, height=60)
    >>> p.src
    'https://www.mixcloud.com/widget/iframe/?feed=%2Fspartacus%2Fparty-time%2F&light=1'
    """
    return Player(_render(cloudcast, dict(width=width, height=height, color=color, light=light,
                                          mini=mini, hide_cover=hide_cover,
                                          hide_artwork=hide_artwork, autoplay=autoplay)))


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "iloc") and hasattr(value, "__len__")


def _frame_shows(frame: Any) -> list[dict[str, Any]]:
    if "key" not in frame.columns:
        raise ValueError("the DataFrame given to gallery() needs a 'key' column")
    names = frame["name"].tolist() if "name" in frame.columns else [None] * len(frame)
    return [{"key": key, "name": name if isinstance(name, str) else None}
            for key, name in zip(frame["key"].tolist(), names)]


def gallery(cloudcasts: Any, *, columns: int = 2, max_items: int = GALLERY_MAX_ITEMS,
            **options: Any) -> Gallery:
    """Return several players in a grid.

    Parameters
    ----------
    cloudcasts : list, ResourceList or DataFrame
        The shows: a list (or other iterable) of keys, URLs, resources or dicts; a
        :class:`~mixframe.ResourceList` (one page of a list); or a DataFrame with a ``key``
        column and, optionally, a ``name`` column.
    columns : int
        Players per row (1 to 6).
    max_items : int
        Most players rendered (each one loads a page from Mixcloud); a note says how many were
        left out.
    **options
        Options of :func:`player` (``height``, ``light``, ``mini``, ``color``...).

    Returns
    -------
    Gallery
        An :class:`ipywidgets.HTML` holding the grid (and a plain-text fallback listing titles
        and links).

    Examples
    --------
    >>> g = gallery(["/a/one/", "/a/two/", "/b/three/"], columns=3, mini=True, height=60)
    >>> g.show_keys
    ['/a/one/', '/a/two/', '/b/three/']
    """
    check_int("columns", columns, minimum=1, maximum=6)
    check_int("max_items", max_items, minimum=1, maximum=200)
    player_options(**options)  # fail early, even with no shows
    if isinstance(cloudcasts, (str, bytes)):
        raise TypeError("gallery() takes several shows (a list, a ResourceList or a DataFrame); "
                        "use player() for one")
    if _is_frame(cloudcasts):
        shows: Iterable[Any] = _frame_shows(cloudcasts)
    elif isinstance(cloudcasts, ResourceList) or (
            isinstance(cloudcasts, Mapping) and isinstance(cloudcasts.get("data"), list)):
        data = getattr(cloudcasts, "data", cloudcasts)
        shows = data.get("data") or [] if isinstance(data, Mapping) else list(cloudcasts)
    elif isinstance(cloudcasts, Iterable) and not isinstance(cloudcasts, Mapping):
        shows = cloudcasts
    else:
        raise TypeError(f"gallery() takes a list of shows, a ResourceList or a DataFrame, "
                        f"got {type(cloudcasts).__name__}")
    try:
        total: int | None = len(shows)  # type: ignore[arg-type]
    except TypeError:
        total = None
    chosen = list(itertools.islice(iter(shows), max_items + 1))
    truncated = len(chosen) > max_items or (total is not None and total > max_items)
    chosen = chosen[:max_items]
    if total is None and not truncated:
        total = len(chosen)
    rendered = [_render(show, options) for show in chosen]
    cells = "".join(f'<div style="min-width:0">{item["html"]}</div>' for item in rendered)
    note = ""
    if truncated:
        of = f"{total:,}" if total is not None else "more"
        note = (f"Showing the first {len(rendered)} of {of} shows; pass max_items= to show more "
                f"(each player loads a page from Mixcloud).")
    elif not rendered:
        note = "No shows to show."
    note_html = (f'<div class="mixframe-gallery-note" style="{_FONT};font-size:0.85em;'
                 f'color:#777;margin:0.3em 0">{_escape(note)}</div>') if note else ""
    html = (f'<div class="mixframe-gallery"><div style="display:grid;'
            f'grid-template-columns:repeat({columns}, minmax(0, 1fr));gap:8px">{cells}</div>'
            f"{note_html}</div>")
    text = "\n".join([*(item["text"] for item in rendered), *([note] if note else [])])
    return Gallery(html, text, [item["key"] for item in rendered], total, truncated)
