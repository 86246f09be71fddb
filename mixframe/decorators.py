"""Function decorators for the client's coroutine methods.

* :func:`displayed` turns display keywords (``format``, ``width``, ``height``, ``color`` and the
  widget options) into a ``params`` dict.
* :func:`paginated` turns pagination keywords (``offset``, ``limit``, ``since``, ``until`` or
  zero-based ``page`` with ``per_page``) into a ``params`` dict, after checking them.
* :func:`personal` checks that an access token is set before anything is sent.
* :func:`targeting` marks a method that takes a resource key first, so resources mirror it.
* :func:`walking` marks a method returning an async iterator, so sync classes iterate it.
* :func:`uploading` turns upload keywords into a ``params`` dict, after checking them against
  Mixcloud's limits.

Every check raises :class:`ValueError` or :class:`TypeError` naming the argument (never
``assert``, so ``python -O`` changes nothing).
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Mapping, Sequence
from typing import Any

from ._api import MAX_PAGE_SIZE
from ._player import check_color, check_flags, check_length
from .constants import DESCRIPTION_MAX_SIZE, PICTURE_MAX_SIZE, TAG_MAX_COUNT
from .datetime import format_datetime, to_timestamp
from .exceptions import AuthError

__all__ = ["displayed", "paginated", "personal", "targeting", "uploading", "walking"]

_SECTION_FIELDS = frozenset({"artist", "song", "chapter", "start_time"})


def check_int(name: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return `value` if it is an int within bounds, else raise naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return `value` if it is a bool, else raise naming `name`."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def pagination_params(*, offset=None, limit=None, since=None, until=None, page=None,
                      per_page=20) -> dict[str, int]:
    """Return the query parameters for the given pagination arguments, checked."""
    if page is not None:
        given = [name for name, value in
                 (("offset", offset), ("limit", limit), ("since", since), ("until", until))
                 if value is not None]
        if given:
            raise ValueError("page and offset/limit/since/until cannot be specified "
                             f"simultaneously (got page and {', '.join(given)})")
        check_int("page", page, minimum=0)
        check_int("per_page", per_page, minimum=1, maximum=MAX_PAGE_SIZE)
        offset, limit = page * per_page, per_page
    elif per_page != 20:
        raise ValueError("per_page only applies together with page; use limit instead")
    params: dict[str, int] = {}
    if offset is not None:
        params["offset"] = check_int("offset", offset, minimum=0)
    if limit is not None:
        params["limit"] = check_int("limit", limit, minimum=1, maximum=MAX_PAGE_SIZE)
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            try:
                params[name] = to_timestamp(value)
            except TypeError as error:
                raise TypeError(f"{name}: {error}") from None
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
    return params


def display_params(format: str = "json", width=None, height=None, color=None,
                   **widget_options: Any) -> dict[str, Any]:
    """Return the query parameters for the given display options, checked."""
    if format not in ("json", "html", "xml"):
        raise ValueError(f"format must be 'json', 'html' or 'xml', got {format!r}")
    params: dict[str, Any] = {"format": format}
    for name, value in (("width", width), ("height", height)):
        if value is not None:
            params[name] = check_length(name, value)
    if color is not None:
        params["color"] = check_color(color)
    params.update(dict.fromkeys(check_flags(widget_options), 1))
    return params


def displayed(coroutine):
    """Return a coroutine taking display keywords and passing them on as ``params``.

    The keywords are ``format`` (``"json"``, ``"html"`` or ``"xml"``), ``width`` and ``height``
    (pixels or a percentage string), ``color`` (6 hex digits, ``#`` optional) and the widget
    options ``light``, ``hide_cover``, ``mini``, ``hide_artwork`` and ``autoplay`` (booleans).
    Options left at ``None`` are not sent.
    """

    @functools.wraps(coroutine)
    async def wrapper(self, *args, format="json", width=None, height=None, color=None,
                      light=None, hide_cover=None, mini=None, hide_artwork=None, autoplay=None):
        params = display_params(format, width, height, color, light=light,
                                hide_cover=hide_cover, mini=mini, hide_artwork=hide_artwork,
                                autoplay=autoplay)
        return await coroutine(self, *args, params=params)

    return wrapper


def paginated(coroutine):
    """Return a coroutine taking pagination keywords and passing them on as ``params``.

    Either ``offset``/``limit`` (counts, ``limit`` at most 100) and ``since``/``until``
    (datetime-like, sent as UNIX seconds), or a zero-based ``page`` of ``per_page`` items
    (default 20). Other keywords pass through to the decorated coroutine.
    """

    @functools.wraps(coroutine)
    async def wrapper(self, *args, offset=None, limit=None, since=None, until=None, page=None,
                      per_page=20, **kwargs):
        params = pagination_params(offset=offset, limit=limit, since=since, until=until,
                                   page=page, per_page=per_page)
        return await coroutine(self, *args, params=params, **kwargs)

    return wrapper


def require_token(owner: Any, action: str) -> None:
    """Raise :class:`AuthError` unless `owner.access_token` is a non-empty string.

    `action` names what needs the token, as the method the user called (``"follow"``).
    """
    token = owner.access_token
    if token is not None and not isinstance(token, str):
        raise TypeError(f"access_token must be a str, got {type(token).__name__}")
    if not token or not token.strip():
        raise AuthError({"error": {
            "type": "OAuthException",
            "message": f"access_token must be set to call {action}()"}})


def personal(coroutine):
    """Return a coroutine method that checks that ``access_token`` is set on ``self`` first.

    A missing or empty token raises :class:`~mixframe.exceptions.AuthError` before any request.
    """

    @functools.wraps(coroutine)
    async def wrapper(self, *args, **kwargs):
        require_token(self, coroutine.__name__)
        return await coroutine(self, *args, **kwargs)

    return wrapper


def walking(function):
    """Mark `function` as one returning an async iterator (a walk along a list), so that the
    synchronous classes give a blocking iterator for it."""
    function._walking = True
    return function


def targeting(coroutine):
    """Mark `coroutine` as one that targets a specific resource, so resources mirror it."""
    coroutine._targeting = True
    return coroutine


def file_size(name: str, file: Any) -> int:
    """Return the size in bytes of `file`, a path or a binary file object, checking it exists."""
    if hasattr(file, "read"):
        try:
            return os.fstat(file.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            position = file.tell()
            size = file.seek(0, os.SEEK_END)
            file.seek(position)
            return size - position
    if not isinstance(file, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path or a binary file object, "
                        f"got {type(file).__name__}")
    try:
        info = os.stat(file)
    except FileNotFoundError:
        raise FileNotFoundError(f"{name} file not found: {os.fspath(file)!r}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{name} must be a regular file: {os.fspath(file)!r}")
    return info.st_size


def _form_text(name: str, value: Any) -> str:
    """`value` as the text of a form field: a str, or a number as its text (``2020``, as
    every other number in a form is sent). Blank text, a bool or any other type is refused."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (or a number), got {type(value).__name__} "
                        f"{value!r}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty str, got {value!r}")
    return value


def _check_sections(sections: Any) -> list[dict[str, Any]]:
    if isinstance(sections, (str, bytes, Mapping)) or not isinstance(sections, Sequence):
        raise TypeError("sections must be a list of mappings like "
                        "{'artist': ..., 'song': ..., 'start_time': 60}")
    checked = []
    for index, section in enumerate(sections):
        if not isinstance(section, Mapping):
            raise TypeError(f"sections[{index}] must be a mapping, got {type(section).__name__}")
        unknown = set(section) - _SECTION_FIELDS
        if unknown:
            raise ValueError(f"sections[{index}] has unknown fields {sorted(unknown)}; allowed: "
                             f"{sorted(_SECTION_FIELDS)}")
        if "chapter" not in section and not {"artist", "song"} <= set(section):
            raise ValueError(f"sections[{index}] needs 'chapter', or both 'artist' and 'song'")
        section = dict(section)
        for field in ("artist", "song", "chapter"):
            if field in section:
                section[field] = _form_text(f"sections[{index}][{field!r}]", section[field])
        if "start_time" in section:
            check_int(f"sections[{index}]['start_time']", section["start_time"], minimum=0)
        checked.append(section)
    return checked


def upload_params(*, picture=None, description=None, tags=None, publish_date=None,
                  disable_comments=False, hide_stats=False, unlisted=False,
                  sections=None) -> dict[str, Any]:
    """Return the upload parameters, checked against Mixcloud's limits."""
    params: dict[str, Any] = {}
    if picture is not None:
        size = file_size("picture", picture)
        if size > PICTURE_MAX_SIZE:
            raise ValueError(f"picture file size must be {PICTURE_MAX_SIZE} bytes at most, "
                             f"got {size}")
        params["picture"] = picture
    if description is not None:
        if not isinstance(description, str):
            raise TypeError(f"description must be a str, got {type(description).__name__}")
        if len(description) > DESCRIPTION_MAX_SIZE:
            raise ValueError(f"description size must be {DESCRIPTION_MAX_SIZE} characters at "
                             f"most, got {len(description)}")
        params["description"] = description
    if tags is not None:
        if isinstance(tags, (str, bytes, Mapping)) or not isinstance(tags, Sequence):
            raise TypeError("tags must be a list of strings, e.g. ['house', 'deep']")
        if len(tags) > TAG_MAX_COUNT:
            raise ValueError(f"an upload must have {TAG_MAX_COUNT} tags at most, "
                             f"got {len(tags)}")
        params["tags"] = [_form_text(f"tags[{index}]", tag) for index, tag in enumerate(tags)]
    if publish_date is not None:
        try:
            params["publish_date"] = format_datetime(publish_date)
        except TypeError as error:
            raise TypeError(f"publish_date: {error}") from None
        except ValueError as error:
            raise ValueError(f"publish_date: {error}") from None
    for name, value in (("disable_comments", disable_comments), ("hide_stats", hide_stats),
                        ("unlisted", unlisted)):
        if check_bool(name, value):
            params[name] = True
    if sections is not None:
        params["sections"] = _check_sections(sections)
    return params


def uploading(coroutine):
    """Return a coroutine taking upload keywords and passing them on as ``params``.

    Keywords: ``picture`` (path or binary file, at most 10 MiB), ``description`` (at most 1000
    characters), ``tags`` (at most 5 strings; numbers are sent as their text), ``publish_date`` (datetime-like, sent as
    ``YYYY-MM-DDTHH:MM:SSZ``), ``disable_comments``, ``hide_stats``, ``unlisted`` (booleans;
    only ``True`` is sent) and ``sections`` (mappings with ``artist`` and ``song``, or
    ``chapter``, and an optional int ``start_time``; numbers are sent as their text). Other
    keywords pass through.
    """

    @functools.wraps(coroutine)
    async def wrapper(self, *args, picture=None, description=None, tags=None,
                      publish_date=None, disable_comments=False, hide_stats=False,
                      unlisted=False, sections=None, **kwargs):
        params = upload_params(picture=picture, description=description, tags=tags,
                               publish_date=publish_date, disable_comments=disable_comments,
                               hide_stats=hide_stats, unlisted=unlisted, sections=sections)
        return await coroutine(self, *args, params=params, **kwargs)

    return wrapper
