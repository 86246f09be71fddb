"""Rich display of API objects in notebooks: small, escaped HTML summaries.

:func:`resource_html` renders one resource (user, cloudcast, tag, comment...) and
:func:`resource_list_html` one page of a list. The models use them as their ``_repr_html_``.

Every value taken from the data is HTML-escaped, only ``http(s)`` URLs are shown or linked, and
secret query parameters (``access_token``, ``client_secret``, ``code``) are removed from every URL
shown, so a rendered notebook never leaks a token.

Examples
--------
>>> print(resource_html({"key": "/bob/", "name": "Bob <3", "type": "user"}))
... # doctest: +ELLIPSIS
<div class="mixframe-resource" ...><strong>Bob &lt;3</strong>...
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape as _html_escape
from typing import Any
from urllib.parse import urlsplit

from ._redact import redact, strip_secrets

__all__ = ["error_html", "error_text", "resource_html", "resource_list_html", "safe_url"]

#: Count fields shown for a resource, in this order, with their labels.
_COUNTS = (
    ("play_count", "plays"),
    ("listener_count", "listeners"),
    ("favorite_count", "favorites"),
    ("repost_count", "reposts"),
    ("comment_count", "comments"),
    ("cloudcast_count", "shows"),
    ("follower_count", "followers"),
    ("following_count", "following"),
    ("listen_count", "listens"),
)
#: Picture sizes tried for a thumbnail, smallest good-looking first.
_THUMBNAILS = ("thumbnail", "medium_mobile", "medium", "small", "320wx320h", "large",
               "extra_large")
_BOX_STYLE = ("display:flex;gap:0.6em;align-items:center;font-family:sans-serif;"
              "line-height:1.35;margin:0.2em 0")
_MUTED = "color:#777"


def _escape(value: Any) -> str:
    return _html_escape(str(value), quote=True)


def _data_of(data: Any, function: str) -> dict:
    """Return the dict behind `data`: a dict, or a model's ``.data``."""
    inner = data if isinstance(data, dict) else getattr(data, "data", None)
    if isinstance(inner, dict):
        return inner
    if isinstance(data, Mapping):
        return dict(data)
    raise TypeError(f"{function}() needs a dict (a model's .data), got {type(data).__name__}")


def safe_url(url: Any) -> str | None:
    """Return `url` without its secret query parameters, or ``None`` if it is not http(s).

    Secret parameters are dropped (not masked: nothing about them is shown), see
    :func:`mixframe._redact.strip_secrets`.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in url for ch in "\r\n\t") or any(ord(ch) < 32 for ch in url):
        return None
    return strip_secrets(url)


def _thumbnail(data: Mapping, size: int) -> str:
    pictures = data.get("pictures")
    if not isinstance(pictures, Mapping):
        user = data.get("user") or data.get("from")
        pictures = user.get("pictures") if isinstance(user, Mapping) else None
    if not isinstance(pictures, Mapping):
        return ""
    for name in (*_THUMBNAILS, *pictures):
        url = safe_url(pictures.get(name))
        if url:
            return (f'<img src="{_escape(url)}" alt="" width="{size}" height="{size}" '
                    f'loading="lazy" referrerpolicy="no-referrer" '
                    f'style="object-fit:cover;border-radius:3px;flex:none">')
    return ""


def _title(data: Mapping) -> str:
    for field in ("name", "title", "comment", "username"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 120 else text[:119] + "…"
    key = data.get("key")
    return str(key) if key else "(untitled)"


def _linked(text: str, url: Any) -> str:
    link = safe_url(url)
    if link is None:
        return _escape(text)
    return (f'<a href="{_escape(link)}" target="_blank" rel="noopener noreferrer">'
            f'{_escape(text)}</a>')


def _duration(seconds: Any) -> str | None:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        return None
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _counts(data: Mapping) -> str:
    if data.get("hidden_stats") is True:
        return "stats hidden"
    shown = []
    for field, label in _COUNTS:
        value = data.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            shown.append(f"{value:,} {label}")
    return " · ".join(shown[:5])


def error_text(error: Any) -> str:
    """Return the one-line text of an API error: ``"Type: message"``, secrets masked.

    Parameters
    ----------
    error : dict or str
        The ``error`` item of an error answer (``{"type": ..., "message": ...}``, or a plain
        string as the OAuth endpoint sends).

    Examples
    --------
    >>> error_text({"type": "NotFoundException", "message": "No user with username 'x'"})
    "NotFoundException: No user with username 'x'"
    """
    if isinstance(error, Mapping):
        kind, message = error.get("type", ""), error.get("message", "")
        text = ": ".join(str(part) for part in (kind, message) if part) or "error"
    else:
        text = str(error)
    return redact(" ".join(text.split()))


def error_html(error: Any) -> str:
    """Return the HTML of an API error: a red *Error* label and :func:`error_text`, escaped.

    Examples
    --------
    >>> html = error_html({"type": "NotFoundException", "message": "<gone>"})
    >>> html.startswith('<div class="mixframe-error"') and '#b00020">Error</strong>' in html
    True
    >>> html.endswith("NotFoundException: &lt;gone&gt;</div>")
    True
    """
    return (f'<div class="mixframe-error" style="{_BOX_STYLE}">'
            f'<strong style="color:#b00020">Error</strong> {_escape(error_text(error))}</div>')


def resource_html(data: Any) -> str:
    """Return a small HTML summary of a resource: thumbnail, name, type, key and main counts.

    Parameters
    ----------
    data : dict
        The resource's raw data (``resource.data``); a model is accepted too.

    Returns
    -------
    str
        An HTML fragment (one ``<div>``). Values are escaped; no URL shown holds a token.

    Examples
    --------
    >>> html = resource_html({"key": "/bob/mix/", "name": "Mix", "play_count": 1200})
    >>> "1,200 plays" in html
    True
    """
    data = _data_of(data, "resource_html")
    if "error" in data and "key" not in data:
        return error_html(data["error"])
    lines = [f"<strong>{_linked(_title(data), data.get('url'))}</strong>"]
    kind = data.get("type")
    if isinstance(kind, str) and kind:
        lines[0] += (f' <span style="{_MUTED};font-size:0.85em">'
                     f'{_escape(kind.replace("_", " "))}</span>')
    details = []
    key = data.get("key")
    if isinstance(key, str) and key:
        details.append(f"<code>{_escape(key)}</code>")
    user = data.get("user") or data.get("from")
    if isinstance(user, Mapping) and (user.get("name") or user.get("username")):
        details.append(f"by {_escape(user.get('name') or user.get('username'))}")
    length = _duration(data.get("audio_length"))
    if length:
        details.append(_escape(length))
    if details:
        lines.append(" · ".join(details))
    counts = _counts(data)
    if counts:
        lines.append(f'<small style="{_MUTED}">{_escape(counts)}</small>')
    body = "<br>".join(lines)
    return (f'<div class="mixframe-resource" style="{_BOX_STYLE}">{_thumbnail(data, 50)}'
            f"<div>{body}</div></div>")


def _item_html(item: Any) -> str:
    if not isinstance(item, Mapping):
        return f"<li>{_escape(item)}</li>"
    text = f"{_linked(_title(item), item.get('url'))}"
    key = item.get("key")
    if isinstance(key, str) and key:
        text += f' <code style="{_MUTED}">{_escape(key)}</code>'
    return (f'<li style="display:flex;gap:0.4em;align-items:center;margin:0.15em 0">'
            f"{_thumbnail(item, 25)}<span>{text}</span></li>")


def resource_list_html(data: Any, *, max_items: int = 5) -> str:
    """Return a small HTML summary of one page of a list: name, size, paging, first items.

    Parameters
    ----------
    data : dict
        The list's raw data (``resource_list.data``): ``{"data": [...], "paging": {...},
        "name": ...}``; a model is accepted too.
    max_items : int
        How many of the first items to show.

    Returns
    -------
    str
        An HTML fragment (one ``<div>``). Values are escaped; paging URLs (which may carry the
        access token) are never shown, only whether a next or previous page exists.

    Examples
    --------
    >>> html = resource_list_html({"data": [{"key": "/a/", "name": "A"}],
    ...                            "paging": {"next": "https://x/?offset=20"}})
    >>> "1 item" in html and "next page" in html
    True
    """
    data = _data_of(data, "resource_list_html")
    if isinstance(max_items, bool) or not isinstance(max_items, int):
        raise TypeError(f"max_items must be an int, got {type(max_items).__name__}")
    if max_items < 0:
        raise ValueError(f"max_items must be >= 0, got {max_items}")
    if "error" in data and "data" not in data:
        return error_html(data["error"])
    items = data.get("data")
    items = items if isinstance(items, list) else []
    paging = data.get("paging")
    paging = paging if isinstance(paging, Mapping) else {}
    has = [where for where in ("previous", "next")
           if isinstance(paging.get(where), str) and paging[where]]
    name = data.get("name")
    title = name if isinstance(name, str) and name.strip() else "Resource list"
    size = f"{len(items)} item{'' if len(items) == 1 else 's'} on this page"
    if has:
        pages = f" · {' and '.join(has)} page{'s' if len(has) > 1 else ''} available"
    else:
        pages = " · no other pages"
    shown = "".join(_item_html(item) for item in items[:max_items])
    more = len(items) - min(len(items), max_items)
    rest = f'<li style="{_MUTED}">… and {more} more</li>' if more > 0 else ""
    listing = (f'<ul style="list-style:none;padding-left:0.2em;margin:0.3em 0">{shown}{rest}</ul>'
               if shown or rest else "")
    return (f'<div class="mixframe-resource-list" style="font-family:sans-serif;'
            f'line-height:1.35;margin:0.2em 0"><strong>{_escape(" ".join(title.split()))}</strong>'
            f'<br><small style="{_MUTED}">{_escape(size + pages)}</small>{listing}</div>')
