"""The sandbox's synthetic Mixcloud: a seeded, deterministic world of users, shows and activity.

A :class:`World` is generated from a seed: the same seed and size always give the same data,
whatever ``PYTHONHASHSEED`` is. It holds

* users with full profiles, a follow graph, favorites, listens, reposts and comments on profiles;
* cloudcasts (shows) with tags from a fixed genre list, sections, comments and consistent counts;
* tags with popular / hot / new lists, site-wide popular / hot / new lists and search;
* OAuth state: app credentials, issued tokens and authorisation codes;
* mutable state changed by actions (follow, favorite, repost, listen later), by upload / edit,
  and by time passing (:meth:`World.advance`: new uploads, follows, favorites, listens, plays).

Well-known real accounts take part in the synthetic graph with their recorded profile fields:
``spartacus`` (2018 profile and his five recorded cloudcasts) and ``NTSRadio`` (one recorded show).
Their counts (followers, listens, ...) are those of the synthetic world, so that every count matches
the lists the API serves.

Every time that orders a list (upload, follow, favourite, listen, comment time, ...) is unique in
the whole world, hence within every list, so that date-mode paging (``since`` / ``until``) is exact.
Changes made after generation take their times from a logical clock starting at :data:`CLOCK_START`,
which keeps responses reproducible.

The world renders objects in the API's shapes (:meth:`World.user`, :meth:`World.cloudcast`, ...) and
describes every list as a :class:`Listing`; :class:`mixframe.sandbox.api.MixcloudAPI` adds HTTP,
paging and ``metadata`` on top.

Each job has its module: ``generate`` (the seeded data), ``render`` (API shapes), ``listings``
(every list), ``actions`` (follow, favorite...), ``oauth`` (tokens and codes), ``uploads``
(forms and publishing), ``advance`` (time passing), all working on one :class:`~mixframe.sandbox.records.WorldState`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from . import actions, oauth, uploads
from .advance import Changes, advance
from .errors import ActionError, NotFound, OAuthError, PermissionDenied, UploadError
from .generate import generate
from .listings import Listing, listing, search
from .records import (CLIENT_ID, CLIENT_SECRET, CLOCK_START, CLOUDCAST_CONNECTIONS,
                      DEFAULT_USERNAME, RESERVED_USERNAMES, TAG_CONNECTIONS, TOKEN,
                      USER_CONNECTIONS)
from .render import render_cloudcast, render_tag, render_user
from .uploads import UploadedFile
from .words import GENRES

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CLOCK_START",
    "CLOUDCAST_CONNECTIONS",
    "DEFAULT_USERNAME",
    "GENRES",
    "RESERVED_USERNAMES",
    "TAG_CONNECTIONS",
    "TOKEN",
    "USER_CONNECTIONS",
    "ActionError",
    "Changes",
    "Listing",
    "NotFound",
    "OAuthError",
    "PermissionDenied",
    "UploadError",
    "UploadedFile",
    "World",
]


class World:
    """A deterministic synthetic Mixcloud, plus the state changed through the API.

    Parameters
    ----------
    seed : int
        Seed of the generated data: the same seed and size give byte-identical API responses.
    users : int
        Number of users, including the fixed ``spartacus``, ``NTSRadio`` and ``sandbox-user``
        (values below 3 are raised to 3). The default world generates in well under a second;
        20000 users take a few seconds.

    Attributes
    ----------
    seed : int
        The seed.
    clients : dict
        Registered OAuth apps, ``client_id -> client_secret`` (holds :data:`CLIENT_ID`).
    default_username : str
        User authorised by :data:`TOKEN` and by default in the OAuth flow.
    uploads : list of dict
        Every upload and edit form received, oldest first: ``{"action": "upload" | "edit",
        "username", "key", "content_type", "fields": {name: value}, "files": {name:
        {"filename", "size"}}, "ok": bool, "error": str | None}``. ``content_type`` is the
        request's (e.g. ``multipart/form-data; boundary=...``); file contents are not kept.
    version : int
        Incremented by every change; caches of derived lists depend on it.

    Examples
    --------
    >>> world = World(seed=0)
    >>> world.user("spartacus")["name"]
    'Spartacus'
    >>> keys = world.connection_keys("/spartacus/followers/")   # API order, newest first
    """

    def __init__(self, seed: int = 0, users: int = 200) -> None:
        self._state = generate(seed, users)

    def __repr__(self) -> str:
        state = self._state
        return (f"<World seed={state.seed!r} users={len(state.users)} "
                f"cloudcasts={len(state.cloudcasts)}>")

    @property
    def seed(self) -> int:
        return self._state.seed

    @property
    def clients(self) -> dict[str, str]:
        return self._state.clients

    @property
    def default_username(self) -> str:
        return self._state.default_username

    @property
    def uploads(self) -> list[dict[str, Any]]:
        return self._state.uploads

    @property
    def version(self) -> int:
        return self._state.version

    # -- lookups ------------------------------------------------------------------------------

    def usernames(self) -> list[str]:
        """Every username in generation order: ``spartacus``, ``NTSRadio``, ``sandbox-user``..."""
        return [u.username for u in self._state.users]

    def canonical_username(self, username: str) -> str:
        """The username as spelt in keys (lookups ignore case). Raises :class:`NotFound`."""
        state = self._state
        return state.users[state.user_index(username)].username

    def tag_slugs(self) -> list[str]:
        """Slugs of every tag (the genre list, recorded tags, tags added by uploads)."""
        return list(self._state.tag_slugs)

    def cloudcast_keys(self) -> list[str]:
        """Keys of every cloudcast, public or not, in creation order."""
        state = self._state
        return [state.cloudcast_key(cc) for cc in state.cloudcasts]

    def user(self, username: str) -> dict[str, Any]:
        """The full user object of ``GET /{username}/`` (no ``type``/``metadata``).

        Raises
        ------
        NotFound
            If there is no such user.
        """
        state = self._state
        return render_user(state, state.user_index(username), full=True)

    def cloudcast(self, username: str, slug: str, types: bool = False) -> dict[str, Any]:
        """The full cloudcast object of ``GET /{username}/{slug}/`` (no ``metadata``).

        `types` adds the ``type`` fields (to it and everything nested), as ``metadata=1`` does.

        Raises
        ------
        NotFound
            If there is no such cloudcast.
        """
        state = self._state
        return render_cloudcast(state, state.cloudcast_index(username, slug), full=True,
                                types=types)

    def tag(self, slug: str) -> dict[str, Any]:
        """The tag object ``{"key", "url", "name"}``. Raises :class:`NotFound`."""
        state = self._state
        return render_tag(state, state.tag_by_slug(slug))

    def connections(self, key: str) -> list[str]:
        """Names of the connections of the object at `key` (user, cloudcast or tag key).

        Raises
        ------
        NotFound
            If `key` names no object.
        """
        state = self._state
        parts = [p for p in key.split("/") if p]
        if len(parts) == 2 and parts[0] in ("discover", "tag", "genres"):
            state.tag_by_slug(parts[1])
            return list(TAG_CONNECTIONS)
        if len(parts) == 1 and parts[0] not in RESERVED_USERNAMES:
            state.user_index(parts[0])
            return list(USER_CONNECTIONS)
        if len(parts) == 2 and parts[0] not in RESERVED_USERNAMES:
            state.cloudcast_index(*parts)
            return list(CLOUDCAST_CONNECTIONS)
        raise NotFound(f"No object with key {key!r}")

    # -- lists --------------------------------------------------------------------------------

    def listing(self, path: str, *, viewer: str | None = None) -> Listing:
        """The list served at API `path` (without query), e.g. ``"/spartacus/followers/"``.

        Parameters
        ----------
        path : str
            ``/{u}/{connection}/``, ``/{u}/{slug}/{connection}/``, ``/{discover|tag|genres}/{t}/
            {popular|hot|new|latest}/``, ``/popular/``, ``/popular/hot/`` or ``/new/``.
        viewer : str, optional
            The authorised user; ``/{u}/listen-later/`` is only served to ``u`` itself.

        Raises
        ------
        NotFound
            If `path` names no list. Search is :meth:`search`.
        """
        return listing(self._state, path, viewer)

    def search(self, q: str, type: str) -> Listing:
        """Search results for `q` among ``"cloudcast"``, ``"user"`` or ``"tag"`` objects.

        Every whitespace-separated word of `q` must occur (case-insensitively) in the name (and,
        for users, the username). Results are ranked by popularity and page only by offset.

        Raises
        ------
        ValueError
            If `type` is not one of the three.
        """
        return search(self._state, q, type)

    def connection_keys(self, path: str) -> list[str]:
        """Item keys of a whole list, in API order (newest first for dated lists).

        Parameters
        ----------
        path : str
            API path of the list: ``"/spartacus/followers/"``,
            ``"/spartacus/party-time/listeners/"``,
            ``"/discover/funk/new/"``, ``"/popular/hot/"``, ``"/search/?q=deep&type=user"``, and
            ``"/{u}/listen-later/"`` (the list ``/me/listen-later/`` serves to `u`).

        Raises
        ------
        NotFound
            If the path names no list.
        """
        path, _, query = path.partition("?")
        parts = [p for p in path.split("/") if p]
        if parts == ["search"]:
            params = dict(parse_qsl(query))
            found = self.search(params.get("q", ""), params.get("type", ""))
        else:
            viewer = parts[0] if len(parts) == 2 and parts[1] == "listen-later" else None
            found = self.listing(path, viewer=viewer)
        return [found.key(item) for item in found.in_api_order()]

    # -- authorisation ------------------------------------------------------------------------

    def issue_token(self, username: str) -> str:
        """Issue a new access token for `username` and return it. Raises :class:`NotFound`."""
        return oauth.issue_token(self._state, username)

    def token_user(self, token: str | None) -> str | None:
        """Username authorised by `token`, or None if the token is unknown or revoked."""
        return oauth.token_user(self._state, token)

    def revoke_token(self, token: str) -> None:
        """Revoke `token` (later requests with it get "An invalid access token was provided")."""
        oauth.revoke_token(self._state, token)

    def issue_code(self, client_id: str, redirect_uri: str, username: str | None = None) -> str:
        """Issue a single-use OAuth code (what ``/oauth/authorize`` redirects with).

        Raises
        ------
        OAuthError
            ``invalid_client`` if `client_id` is not registered.
        NotFound
            If `username` (default: the default user) does not exist.
        """
        return oauth.issue_code(self._state, client_id, redirect_uri, username)

    def exchange_code(self, client_id: str, client_secret: str, redirect_uri: str,
                      code: str) -> str:
        """Exchange an OAuth `code` for a new access token (the code is used up).

        Raises
        ------
        OAuthError
            ``invalid_client`` for a bad client id or secret, ``invalid_grant`` for an unknown or
            used code, or a redirect URI other than the one the code was issued for.
        """
        return oauth.exchange_code(self._state, client_id, client_secret, redirect_uri, code)

    # -- actions ------------------------------------------------------------------------------

    def is_following(self, username: str, target: str) -> bool:
        """Whether `username` follows `target`."""
        return actions.is_following(self._state, username, target)

    def follow(self, username: str, target: str) -> bool:
        """Make `username` follow `target`; return False if it already did.

        Raises
        ------
        NotFound
            If either user does not exist.
        ActionError
            If a user tries to follow itself.
        """
        return actions.follow(self._state, username, target)

    def unfollow(self, username: str, target: str) -> bool:
        """Make `username` stop following `target`; return False if it did not follow it."""
        return actions.unfollow(self._state, username, target)

    def favorite(self, username: str, key: str) -> bool:
        """`username` favorites the cloudcast `key`; False if already done.

        Raises
        ------
        NotFound
            If the user or the cloudcast does not exist.
        """
        state = self._state
        return actions.link(state, state.favorites, "favorites", "favorites", username, key, True)

    def unfavorite(self, username: str, key: str) -> bool:
        """Undo :meth:`favorite`; False if there was nothing to undo."""
        state = self._state
        return actions.link(state, state.favorites, "favorites", "favorites", username, key,
                            False)

    def repost(self, username: str, key: str) -> bool:
        """`username` reposts the cloudcast `key`; False if already done."""
        state = self._state
        return actions.link(state, state.reposts, "reposts", "reposts", username, key, True)

    def unrepost(self, username: str, key: str) -> bool:
        """Undo :meth:`repost`; False if there was nothing to undo."""
        state = self._state
        return actions.link(state, state.reposts, "reposts", "reposts", username, key, False)

    def listen_later(self, username: str, key: str) -> bool:
        """Add the cloudcast `key` to the listen-later list of `username`; False if there."""
        state = self._state
        return actions.link(state, state.later, "listen_later", None, username, key, True)

    def unlisten_later(self, username: str, key: str) -> bool:
        """Remove the cloudcast `key` from the listen-later list of `username`."""
        state = self._state
        return actions.link(state, state.later, "listen_later", None, username, key, False)

    # -- upload and edit ----------------------------------------------------------------------

    def upload(self, username: str, fields: Mapping[str, str],
               files: Mapping[str, UploadedFile] | None = None, *,
               content_type: str | None = None) -> str:
        """Create a cloudcast from an upload form, as ``POST /upload/`` does; return its key.

        Parameters
        ----------
        username : str
            The uploader (the authorised user).
        fields : mapping
            Text fields: ``name`` (required), ``description``, ``tags-N-tag`` (N = 0..4),
            ``sections-N-artist|song|chapter|start_time``, ``unlisted``, ``disable_comments``,
            ``hide_stats``, ``publish_date``, ``hosts-N-username``.
        files : mapping, optional
            ``mp3`` (required) and ``picture``.
        content_type : str, optional
            Content type of the request that carried the form, kept in :attr:`uploads`.

        Raises
        ------
        UploadError
            If the form is invalid (the message names the field).
        """
        return uploads.upload(self._state, username, fields, files, content_type=content_type)

    def edit(self, username: str, key: str, fields: Mapping[str, str],
             files: Mapping[str, UploadedFile] | None = None, *,
             content_type: str | None = None) -> str:
        """Change the cloudcast `key` from an edit form, as ``POST /upload/{u}/{c}/edit/`` does.

        Only fields present change; any ``tags-*`` field replaces all tags and any ``sections-*``
        field replaces all sections. ``publish`` and ``unpublish`` (booleans) move the upload out
        of or into drafts. Parameters are those of :meth:`upload`.

        Raises
        ------
        NotFound
            If there is no such cloudcast.
        PermissionDenied
            If `username` does not own it.
        UploadError
            If the form is invalid.
        """
        return uploads.edit(self._state, username, key, fields, files,
                            content_type=content_type)

    # -- time passing -------------------------------------------------------------------------

    def advance(self, fraction: float | None = None, *, uploads: int | None = None,
                follows: int | None = None, favorites: int | None = None,
                listens: int | None = None, plays: int | None = None,
                seed: int = 0) -> Changes:
        """Let time pass: new uploads, follows, favorites, listens and plays, as on the site.

        Every change takes the next second of the logical clock (after :data:`CLOCK_START`), so
        it is the newest entry of every list it joins: lists stay newest first with exact date
        paging, counts stay equal to the lists served, and :meth:`connection_keys` shows the
        change. Deterministic: the same world, calls and seeds give the same changes.

        Parameters
        ----------
        fraction : float, optional
            Share of the world to change, from 0 to 1: that fraction of the public cloudcasts
            (new uploads, and cloudcasts played), of the follow edges, of the favorites and of
            the listens, each rounded. Numbers given for a kind replace its share.
        uploads, follows, favorites, listens, plays : int, optional
            Numbers of changes of each kind. Popular users are followed and popular shows
            favorited, listened to and played more; a follow, favorite or listen that cannot
            be found after many draws (a user already following everyone) is left out.
        seed : int
            Seed of the draws, besides the world's seed and its clock (so two calls with the
            same seed still change different things).

        Returns
        -------
        Changes
            What changed: new cloudcast keys and edges, users and cloudcasts whose detail
            pages (counts) changed, and the clock before and after.

        Raises
        ------
        ValueError
            If `fraction` is outside 0..1, a number is not an int >= 0, or nothing is given.
        TypeError
            If `seed` is not an int.

        Examples
        --------
        >>> world = World(seed=0)
        >>> before = world.connection_keys("/new/")
        >>> changes = world.advance(0.01, seed=1)
        >>> world.connection_keys("/new/")[:len(changes.uploads)] == list(changes.uploads[::-1])
        True
        >>> changes = world.advance(follows=3, seed=1)
        >>> len(changes.follows)
        3
        """
        return advance(self._state, fraction, uploads=uploads, follows=follows,
                       favorites=favorites, listens=listens, plays=plays, seed=seed)
