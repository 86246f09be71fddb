"""The Mixcloud player: its options, checked in one place, and its iframe, built in one place.

:func:`mixframe.widgets.player`, :func:`mixframe.widgets.gallery` and
``df.mixcloud.embed()`` build their iframes with :func:`player_iframe`; the client's embed and
oEmbed requests check their display options with the same rules (:func:`check_length`,
:func:`check_color`).

Examples
--------
>>> options = player_options(width="600px", light=True)
>>> options.width, options.height, options.flags
('600', '120', ('light',))
>>> player_src("/spartacus/party-time/", options)
'https://www.mixcloud.com/widget/iframe/?feed=%2Fspartacus%2Fparty-time%2F&light=1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from ._api import PLAYER_OPTIONS, PLAYER_URL

__all__ = ["PlayerOptions", "check_color", "check_length", "player_iframe", "player_options",
           "player_src"]

#: Height of the classic player and of the mini player, in pixels.
DEFAULT_HEIGHT = 120
MINI_HEIGHT = 60
_COLOR = re.compile(r"#?([0-9a-fA-F]{6})")
_LENGTH = re.compile(r"(\d{1,5})(%|px)?")


def check_length(name: str, value: Any) -> str:
    """Return a width or height as the player takes it: pixels (``"600"``) or a percentage.

    Accepts a positive int (pixels), or a str of pixels (``"600"``, ``"600px"``) or a
    percentage up to 100 (``"100%"``); raises naming `name` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{name} must be an int (pixels) or a str like '100%' or '600px', "
                        f"got {type(value).__name__} {value!r}")
    match = _LENGTH.fullmatch(str(value).strip())
    number = int(match.group(1)) if match else 0
    if not match or number <= 0 or (match.group(2) == "%" and number > 100):
        raise ValueError(f"{name} must be a positive number of pixels or a percentage like "
                         f"'100%' or '600px', got {value!r}")
    return f"{number}%" if match.group(2) == "%" else str(number)


def check_color(value: Any) -> str:
    """Return a theme colour as 6 lower-case hex digits (``"#FF6600"`` gives ``"ff6600"``)."""
    if not isinstance(value, str):
        raise TypeError(f"color must be a str like 'ff6600', got {type(value).__name__}")
    match = _COLOR.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"color must be 6 hexadecimal digits like 'ff6600' or '#ff6600', "
                         f"got {value!r}")
    return match.group(1).lower()


def check_flags(flags: dict[str, Any]) -> tuple[str, ...]:
    """Return the names of the player options set to ``True``, in the player's order."""
    unknown = sorted(set(flags) - set(PLAYER_OPTIONS))
    if unknown:
        raise TypeError(f"unknown player option(s) {', '.join(unknown)}; the options are "
                        f"{', '.join(PLAYER_OPTIONS)}")
    for name, value in flags.items():
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {type(value).__name__} "
                            f"{value!r}")
    return tuple(name for name in PLAYER_OPTIONS if flags.get(name))


@dataclass(frozen=True)
class PlayerOptions:
    """Checked player options: iframe `width` and `height`, theme `color`, on `flags`."""

    width: str = "100%"
    height: str = str(DEFAULT_HEIGHT)
    color: str | None = None
    flags: tuple[str, ...] = ()


def player_options(width: Any = None, height: Any = None, color: Any = None,
                   **flags: Any) -> PlayerOptions:
    """Check the player's options and return them.

    Parameters
    ----------
    width, height : int or str, optional
        Pixels or a percentage (see :func:`check_length`); default ``"100%"`` wide and 120
        pixels high (60 with ``mini``).
    color : str, optional
        Theme colour, 6 hex digits, ``#`` optional.
    **flags : bool
        ``hide_cover``, ``mini``, ``light``, ``hide_artwork``, ``autoplay``.
    """
    on = check_flags(flags)
    return PlayerOptions(
        width="100%" if width is None else check_length("width", width),
        height=(str(MINI_HEIGHT if "mini" in on else DEFAULT_HEIGHT) if height is None
                else check_length("height", height)),
        color=None if color is None else check_color(color),
        flags=on)


def player_src(key: str, options: PlayerOptions) -> str:
    """The player's URL for the show `key` (already normalised, ``/user/slug/``)."""
    query = "".join(f"&{name}=1" for name in options.flags)
    if options.color is not None:
        query += f"&color={options.color}"
    return f"{PLAYER_URL}?feed={quote(key, safe='')}{query}"


def player_iframe(key: str, options: PlayerOptions, *, title: str | None = None) -> str:
    """The player's ``<iframe>`` for the show `key`, attribute values HTML-escaped.

    Without `title` it is the HTML the API's ``embed-html`` endpoint serves; with it, the
    iframe also gets that accessible title and loads lazily (for pages of many players).
    """
    allow = ' allow="autoplay"' if "autoplay" in options.flags else ""
    extra = (f' loading="lazy" title="{escape(f"Mixcloud player: {title}")}"'
             if title else "")
    return (f'<iframe width="{escape(options.width)}" height="{escape(options.height)}" '
            f'src="{escape(player_src(key, options))}" frameborder="0"{allow}{extra} ></iframe>')
