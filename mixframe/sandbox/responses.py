"""What the fake API answers at each route: objects, paged lists, actions, uploads, embeds, OAuth.

Every handler takes the world, the request and the parts of the path its route captured
(:mod:`mixframe.sandbox.urls`), and returns a :class:`~mixframe.sandbox.protocol.Response` or
raises a :class:`~mixframe.sandbox.protocol.Reply` (an API error). The quirks of the real API
are kept (see ``shared/reference/mixcloud-api.md``): ``type`` fields only with ``metadata=1``
(feed items always have theirs), ``metadata.connections`` on single objects, links built from
the request's scheme and ``Host``, date-mode paging (``since``/``until``) by default and offset
paging when ``offset`` is given (and always for popular, hot and search lists).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape as xml_escape

from .._api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PLAYER_OPTIONS, PLAYER_URL
from .errors import ActionError, NotFound, OAuthError, PermissionDenied, UploadError
from .listings import Listing
from .protocol import (HTML, Reply, Request, Response, check_method, dumps, error, json_response,
                       link_time, not_found, parse_time)
from .records import CLOUDCAST_CONNECTIONS, RESERVED_USERNAMES, TAG_CONNECTIONS, USER_CONNECTIONS
from .uploads import UploadedFile
from .world import World

__all__ = [
    "cloudcast",
    "cloudcast_action",
    "edit",
    "embed",
    "follow",
    "list_at",
    "me",
    "my_list",
    "oauth",
    "oembed",
    "preflight",
    "redirect_slash",
    "refuse",
    "root",
    "search",
    "tag",
    "upload",
    "user",
    "viewer_of",
]

_CLOUDCAST_ACTIONS = {"favorite": ("favorite", "unfavorite"), "repost": ("repost", "unrepost"),
                      "listen-later": ("listen_later", "unlisten_later")}
_ACTION_MESSAGES = {
    ("favorite", False): "Favorited {}", ("favorite", True): "Unfavorited {}",
    ("repost", False): "Reposted {}", ("repost", True): "Unreposted {}",
    ("listen-later", False): "Added {} to your Listen Later",
    ("listen-later", True): "Removed {} from your Listen Later",
}
_TRUE = frozenset({"1", "true", "on", "yes"})
_HEX_COLOR = re.compile(r"[0-9a-fA-F]{6}\Z")
_SIZE = re.compile(r"\d{1,5}%?\Z")


# -- before any route ------------------------------------------------------------------------

def preflight() -> Response:
    """The CORS preflight answer (``OPTIONS`` on any path)."""
    return Response(200, b"", [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE, OPTIONS"),
        ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
        ("Content-Type", HTML)])


def redirect_slash(request: Request) -> Response:
    """The 301 to the slashed path; the real API moves ``metadata=1`` first and repeats it last
    (redirect-301-*.meta.json)."""
    query = request.raw_query
    if request.metadata:
        rest = [p for p in query.split("&") if p and p.split("=", 1)[0] != "metadata"]
        query = "&".join(["metadata=1", *rest, "metadata=1"])
    location = quote(request.path, safe="/:@!$&'()*+,;=~") + "/"
    if query:
        location += "?" + query
    return Response(301, b"", [("Content-Type", HTML), ("Location", location)])


def viewer_of(world: World, request: Request, required: bool) -> str | None:
    """Username authorised by the request's token; 401 if missing (when required) or bad."""
    token = request.token
    if token is None:
        if required:
            raise _login_required(request)
        return None
    username = world.token_user(token)
    if username is None:
        raise error(request, 401, "OAuthException", "An invalid access token was provided")
    return username


def refuse(world: World, request: Request) -> Response:
    """No resource at this path: 404."""
    raise not_found(request)


def root(world: World, request: Request) -> Response:
    return json_response(request, {})


# -- objects ---------------------------------------------------------------------------------

def _user_and_slug(key: str) -> tuple[str, str]:
    """The username and slug of a cloudcast key, ``/user/slug/``."""
    username, slug = key.strip("/").split("/")
    return username, slug


def user(world: World, request: Request, username: str) -> Response:
    return _user(world, request, username, request.viewer)


def me(world: World, request: Request) -> Response:
    viewer = cast(str, request.viewer)  # the route needs a token: there is a viewer
    return _user(world, request, viewer, viewer, me=True)


def _user(world: World, request: Request, username: str, viewer: str | None,
          me: bool = False) -> Response:
    try:
        username = world.canonical_username(username)
        body = world.user(username)
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    if viewer is not None:
        body["following"] = world.is_following(viewer, username)
        if me:
            body["follower"] = world.is_following(username, viewer)
            body["is_current_user"] = True
    if request.metadata:
        body["type"] = "user"
        body["metadata"] = {"connections": {
            name: f"{request.base}/{username}/{name}/" for name in USER_CONNECTIONS}}
    return json_response(request, body)


def cloudcast(world: World, request: Request, username: str, slug: str) -> Response:
    try:
        body = world.cloudcast(username, slug, types=request.metadata)
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    if request.metadata:
        body["metadata"] = {"connections": {
            name: f"{request.base}{body['key']}{name}/" for name in CLOUDCAST_CONNECTIONS}}
    return json_response(request, body)


def tag(world: World, request: Request, family: str, slug: str) -> Response:
    try:
        body = world.tag(slug)
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    if request.metadata:
        body["type"] = "tag"
        slug = body["key"].strip("/").split("/")[-1]
        body["metadata"] = {"connections": {
            name: f"{request.base}/{family}/{slug}/{name}/" for name in TAG_CONNECTIONS}}
    return json_response(request, body)


# -- lists -----------------------------------------------------------------------------------

def list_at(world: World, request: Request) -> Response:
    """The list at the request's path, paged."""
    return _page(request, _listing(world, request, request.path))


def my_list(world: World, request: Request, connection: str) -> Response:
    """``/me/{connection}/``: the authorised user's list (``listen-later`` only here)."""
    viewer = request.viewer
    return _page(request, _listing(world, request, f"/{viewer}/{connection}/", viewer=viewer))


def search(world: World, request: Request) -> Response:
    q = request.query.get("q", "")
    type_ = request.query.get("type", "")
    try:
        found = world.search(q, type_)
    except ValueError:
        raise error(request, 400, "ParameterException",
                    "type: must be one of cloudcast, user or tag") from None
    return _page(request, found, leading=[("q", q), ("type", type_)])


def _listing(world: World, request: Request, path: str, viewer: str | None = None) -> Listing:
    try:
        return world.listing(path, viewer=viewer)
    except NotFound as missing:
        raise not_found(request, str(missing)) from None


def _page(request: Request, listing: Listing, leading: Sequence[tuple[str, str]] = ()
          ) -> Response:
    """One page of `listing` as the request asks (limit, date or offset), with paging links."""
    query = request.query
    try:
        limit = int(query.get("limit", DEFAULT_PAGE_SIZE))
    except ValueError:
        limit = DEFAULT_PAGE_SIZE
    limit = min(max(limit, 1), MAX_PAGE_SIZE)
    types = request.metadata
    base = [*leading, ("limit", str(limit))] + ([("metadata", "1")] if types else [])
    link = f"{request.base}{quote(request.path, safe='/:@!$&()*+,;=~')}?"
    paging: dict[str, str] = {}
    items = listing.items
    n = len(items)
    offset_text = query.get("offset")
    key = listing.ordering_time
    if key is not None and offset_text is None:  # a dated list
        try:
            since = parse_time("since", query["since"]) if "since" in query else None
            until = parse_time("until", query["until"]) if "until" in query else None
        except ValueError as bad:
            raise error(request, 400, "ParameterException", str(bad)) from None
        hi = n if until is None else bisect.bisect_left(items, until, key=key)
        if since is None:
            page = items[max(0, hi - limit):hi]
        else:
            lo = bisect.bisect_right(items, since, 0, hi, key=key)
            page = items[lo:min(hi, lo + limit)]
        page = page[::-1]
        if page:
            paging["previous"] = link + urlencode(base + [("since", link_time(key(page[0])))])
            if len(page) == limit:
                paging["next"] = link + urlencode(base + [("until", link_time(key(page[-1])))])
        elif since is not None:  # nothing newer yet: poll the same place again
            paging["previous"] = link + urlencode(base + [("since", link_time(since))])
    else:
        try:
            offset = max(0, int(offset_text or 0))
        except ValueError:
            offset = 0
        if listing.dated:
            page = items[max(0, n - offset - limit):max(0, n - offset)][::-1]
        else:
            page = items[offset:offset + limit]
        if offset > 0:
            paging["previous"] = link + urlencode(
                base + [("offset", str(max(0, offset - limit)))])
        if len(page) == limit:
            paging["next"] = link + urlencode(base + [("offset", str(offset + limit))])
    body: dict[str, Any] = {"data": [listing.render(item, types) for item in page]}
    if paging:
        body["paging"] = paging
    if listing.name is not None:
        body["name"] = listing.name
    return json_response(request, body)


# -- actions, upload, edit -------------------------------------------------------------------

async def follow(world: World, request: Request, username: str) -> Response:
    viewer, undo = await _action(request)
    try:
        name = world.canonical_username(username)
        (world.unfollow if undo else world.follow)(viewer, name)
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    except ActionError as refused:
        raise error(request, 400, "ActionException", str(refused)) from None
    message = f"No longer following {name}" if undo else f"Now following {name}"
    return json_response(request, {"result": {"success": True, "message": message}})


async def cloudcast_action(world: World, request: Request, username: str, slug: str,
                           action: str) -> Response:
    viewer, undo = await _action(request)
    target = f"/{username}/{slug}/"
    try:
        do, undo_name = _CLOUDCAST_ACTIONS[action]
        getattr(world, undo_name if undo else do)(viewer, target)
        title = world.cloudcast(username, slug)["name"]
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    except ActionError as refused:
        raise error(request, 400, "ActionException", str(refused)) from None
    message = _ACTION_MESSAGES[action, undo].format(title)
    return json_response(request, {"result": {"success": True, "message": message}})


async def _action(request: Request) -> tuple[str, bool]:
    """The authorised user and whether the action is undone (DELETE or ``method=delete``)."""
    check_method(request, "POST", "DELETE")
    viewer = _require_viewer(request)
    method = request.method
    if method == "POST":
        fields, _ = await _form(request)
        if fields.get("method", "").lower() == "delete":
            method = "DELETE"
    return viewer, method == "DELETE"


async def upload(world: World, request: Request) -> Response:
    return await _upload(world, request, None)


async def edit(world: World, request: Request, username: str, slug: str) -> Response:
    return await _upload(world, request, f"/{username}/{slug}/")


async def _upload(world: World, request: Request, key: str | None) -> Response:
    viewer = _require_viewer(request)
    fields, files = await _form(request)
    fields.pop("access_token", None)  # never kept in world.uploads
    content_type = request.headers.get("content-type")
    try:
        if key is None:
            key = world.upload(viewer, fields, files, content_type=content_type)
            verb = "Uploaded"
        else:
            key = world.edit(viewer, key, fields, files, content_type=content_type)
            verb = "Updated"
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    except PermissionDenied as denied:
        raise error(request, 403, "PermissionException", str(denied)) from None
    except UploadError as invalid:
        raise error(request, 400, "UploadException", str(invalid)) from None
    name = world.cloudcast(*_user_and_slug(key))["name"]
    return json_response(request, {"result": {"success": True, "message": f"{verb} {name}",
                                              "key": key}})


async def _form(request: Request) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    try:
        return await request.form()
    except ValueError as bad:
        raise error(request, 400, "UploadException", str(bad)) from None


def _require_viewer(request: Request) -> str:
    if request.viewer is None:
        raise _login_required(request)
    return request.viewer


def _login_required(request: Request) -> Reply:
    return error(request, 401, "OAuthException",
                 "An access_token is required to access this resource.")


# -- embeds and oEmbed -----------------------------------------------------------------------

def embed(world: World, request: Request, username: str, slug: str, fmt: str) -> Response:
    try:
        body = world.cloudcast(username, slug)
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    html, width, height = _widget(request, body["key"])
    if fmt == "json":
        return json_response(request, {"html": html, "width": width, "height": height})
    return Response(200, html.encode("utf-8"), [("Content-Type", HTML)])


def oembed(world: World, request: Request) -> Response:
    query = request.query
    fmt = query.get("format", "json")
    if fmt not in ("json", "xml"):
        raise error(request, 501, "ParameterException", "format: must be json or xml")
    url = query.get("url")
    if not url:
        raise error(request, 400, "ParameterException", "url: this parameter is required")
    parts = [p for p in urlsplit(url).path.split("/") if p]
    try:
        if len(parts) == 2 and parts[0] not in RESERVED_USERNAMES:
            obj = world.cloudcast(parts[0], parts[1])
            owner = obj["user"]
        elif len(parts) == 1 and parts[0] not in RESERVED_USERNAMES:
            obj = owner = world.user(parts[0])
        else:
            raise NotFound(f"No embeddable show or profile at {url}")
    except NotFound as missing:
        raise not_found(request, str(missing)) from None
    html, width, height = _widget(request, obj["key"])
    data = {
        "type": "rich", "version": "1.0", "provider_name": "Mixcloud",
        "title": obj["name"], "author_name": owner["name"], "author_url": owner["url"],
        "html": html, "image": obj["pictures"]["extra_large"],
        "thumbnail_url": obj["pictures"]["large"], "width": width, "height": height,
    }
    if fmt == "json":
        return json_response(request, data)
    xml = "".join(f"<{k}>{xml_escape(str(v))}</{k}>" for k, v in data.items())
    body = f'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<oembed>{xml}</oembed>\n'
    return Response(200, body.encode("utf-8"), [("Content-Type", "text/xml; charset=utf-8")])


def _widget(request: Request, key: str) -> tuple[str, str | int, str | int]:
    """The widget iframe for `key` and its width and height, from the request's options."""
    query = request.query
    options = [(name, "1") for name in PLAYER_OPTIONS
               if query.get(name, "").strip().lower() in _TRUE]
    color = query.get("color")
    if color is not None:
        if not _HEX_COLOR.match(color):
            raise error(request, 400, "ParameterException",
                        "color: must be 6 hexadecimal digits, e.g. ff6600")
        options.append(("color", color.lower()))
    sizes: dict[str, str | int] = {}
    for name, default in (("width", "100%"), ("height", 60 if ("mini", "1") in options
                                               else 120)):
        value = query.get(name)
        if value is None:
            sizes[name] = default
        elif not _SIZE.match(value):
            raise error(request, 400, "ParameterException",
                        f"{name}: must be a number of pixels or a percentage")
        else:
            sizes[name] = value if value.endswith("%") else int(value)
    for name, limit in (("width", "maxwidth"), ("height", "maxheight")):
        if query.get(limit, "").isdigit():
            bound = int(query[limit])
            sizes[name] = bound if isinstance(sizes[name], str) else min(sizes[name], bound)
    src = PLAYER_URL + "?" + urlencode([("feed", key), *options])
    allow = ' allow="autoplay"' if ("autoplay", "1") in options else ""
    html = (f'<iframe width="{sizes["width"]}" height="{sizes["height"]}" '
            f'src="{xml_escape(src)}" frameborder="0"{allow} ></iframe>')
    return html, sizes["width"], sizes["height"]


# -- OAuth -----------------------------------------------------------------------------------

async def oauth(world: World, request: Request, step: str) -> Response:
    """``/oauth/authorize`` (redirects with a code) and ``/oauth/access_token`` (the token)."""
    if step == "authorize":
        check_method(request, "GET")
        query = request.query
        client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
        if client_id not in world.clients:
            return _html_page(400, "Bad request", "Unknown or missing client_id.")
        target = urlsplit(redirect_uri)
        if target.scheme not in ("http", "https") or not target.netloc:
            return _html_page(400, "Bad request", "Missing or invalid redirect_uri.")
        try:
            code = world.issue_code(client_id, redirect_uri, query.get("user") or None)
        except NotFound:
            return _html_page(400, "Bad request", "Unknown user.")
        extra = [("code", code)] + ([("state", query["state"])] if "state" in query else [])
        location = urlunsplit(target._replace(
            query="&".join(filter(None, [target.query, urlencode(extra)])), fragment=""))
        return Response(302, b"", [("Location", location), ("Content-Type", HTML)])
    check_method(request, "GET", "POST")
    params = dict(request.query)
    if request.method == "POST":
        fields, _ = await _form(request)
        params.update(fields)
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    needed = ("client_id", "redirect_uri", "client_secret", "code")
    if any(not params.get(name) for name in needed):
        return Response(400, dumps({"error": "invalid_request"}), headers)
    try:
        token = world.exchange_code(params["client_id"], params["client_secret"],
                                    params["redirect_uri"], params["code"])
    except OAuthError as refused:
        return Response(400, dumps({"error": str(refused)}), headers)
    return Response(200, dumps({"access_token": token}), headers)


def _html_page(status: int, title: str, text: str) -> Response:
    body = (f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{text}</p></body></html>\n")
    return Response(status, body.encode("utf-8"), [("Content-Type", HTML)])
