"""The fake API's routes: path patterns, in the order they are tried, and the handler of each.

Patterns match the request's path with empty segments dropped and a trailing slash
(``/spartacus//followers`` is tried as ``/spartacus/followers/``); the first match wins, and a
path no pattern matches gets a 404. Named groups are passed to the handler as keyword
arguments.

* ``methods``: the methods allowed (else 405 with ``Allow``); empty when the handler checks
  them itself (actions take POST and DELETE, OAuth's token endpoint GET and POST);
* ``login``: the token is required before anything else (the ``/me/`` paths answer 401 first);
* ``www``: a www endpoint (OAuth, oEmbed), answered with or without the trailing slash and
  before any token check. Every other path without its trailing slash gets a 301 to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._api import TAG_PREFIXES
from . import responses
from .records import CLOUDCAST_CONNECTIONS, RESERVED_USERNAMES, USER_CONNECTIONS

__all__ = ["ROUTES", "Route", "match"]


@dataclass(frozen=True, slots=True)
class Route:
    """A path pattern and what answers it."""

    pattern: re.Pattern[str]
    handler: Callable[..., Any]
    methods: tuple[str, ...] = ()
    login: bool = False
    www: bool = False


def _route(pattern: str, handler: Callable[..., Any], methods: tuple[str, ...] = (),
           **flags: bool) -> Route:
    return Route(re.compile(pattern), handler, methods, **flags)


def _any(names: Iterable[str]) -> str:
    return "|".join(re.escape(name) for name in names)


_GET, _POST = ("GET",), ("POST",)
_USER = r"(?P<username>[^/]+)"
_SLUG = r"(?P<slug>[^/]+)"
_TAGS = _any(TAG_PREFIXES)

ROUTES: tuple[Route, ...] = (
    _route(r"/oauth/(?P<step>authorize|access_token)/", responses.oauth, www=True),
    _route(r"/oembed/", responses.oembed, _GET, www=True),
    _route(r"/", responses.root, _GET),
    _route(r"/me/", responses.me, _GET, login=True),
    _route(rf"/me/(?P<connection>{_any((*USER_CONNECTIONS, 'listen-later'))})/",
           responses.my_list, _GET, login=True),
    _route(r"/me/.+/", responses.refuse, login=True),
    _route(r"/upload/", responses.upload, _POST),
    _route(rf"/upload/{_USER}/{_SLUG}/edit/", responses.edit, _POST),
    _route(r"/search/", responses.search, _GET),
    _route(r"/(?:popular|popular/hot|new)/", responses.list_at, _GET),
    _route(rf"/(?P<family>{_TAGS})/{_SLUG}/", responses.tag, _GET),
    _route(rf"/(?:{_TAGS})/[^/]+/[^/]+/", responses.list_at, _GET),
    _route(rf"/(?:{_TAGS})/(?:.*/)?", responses.refuse, _GET),
    _route(rf"/(?:{_any(sorted(RESERVED_USERNAMES))})/(?:.*/)?", responses.refuse),
    _route(rf"/{_USER}/", responses.user, _GET),
    _route(rf"/{_USER}/follow/", responses.follow),
    _route(rf"/[^/]+/(?:{_any(USER_CONNECTIONS)})/", responses.list_at, _GET),
    _route(rf"/{_USER}/{_SLUG}/", responses.cloudcast, _GET),
    _route(rf"/{_USER}/{_SLUG}/(?P<action>favorite|repost|listen-later)/",
           responses.cloudcast_action),
    _route(rf"/[^/]+/[^/]+/(?:{_any(CLOUDCAST_CONNECTIONS)})/", responses.list_at, _GET),
    _route(rf"/{_USER}/{_SLUG}/embed-(?P<fmt>json|html)/", responses.embed, _GET),
)
_NOWHERE = _route(r".*", responses.refuse)


def match(path: str) -> tuple[Route, dict[str, str]]:
    """The first route matching `path` and the parts of the path it captured."""
    normal = "/" + "".join(part + "/" for part in path.split("/") if part)
    for route in ROUTES:
        found = route.pattern.fullmatch(normal)
        if found is not None:
            return route, found.groupdict()
    return _NOWHERE, {}
