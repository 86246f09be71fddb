"""The ``.mixcloud`` DataFrame accessor: explore and act on the rows of Mixcloud tables.

Importing :mod:`mixframe` registers it. It works on any :class:`pandas.DataFrame` with a ``key``
column of Mixcloud keys (``/spartacus/``, ``/spartacus/party-time/``): the tables of
:func:`mixframe.frames.page_frame`, :func:`mixframe.frames.to_frame` and :func:`mixframe.crawl`.
It keeps nothing but the frame: each method checks its arguments, hands the work to the async
function of the same name in :mod:`mixframe.rows` and blocks until it is done, and returns a
new object. In async code, await those functions directly (``await rows.load(df)``).

Exploration
    :meth:`~MixcloudAccessor.next_page`, :meth:`~MixcloudAccessor.previous_page`,
    :meth:`~MixcloudAccessor.all_pages` follow the paging links kept in
    ``df.attrs["mixcloud"]`` of a page; :meth:`~MixcloudAccessor.load` fetches every row's
    full details; :meth:`~MixcloudAccessor.connection` fetches a connection
    (``"followers"``, ``"comments"`` ...) of every row; :meth:`~MixcloudAccessor.crawl`
    crawls from the rows.
Actions
    :meth:`~MixcloudAccessor.follow`, :meth:`~MixcloudAccessor.unfollow` (user rows),
    :meth:`~MixcloudAccessor.favorite`, :meth:`~MixcloudAccessor.unfavorite`,
    :meth:`~MixcloudAccessor.repost`, :meth:`~MixcloudAccessor.unrepost`,
    :meth:`~MixcloudAccessor.listen_later`, :meth:`~MixcloudAccessor.unlisten_later`
    (cloudcast rows). Each returns one result row per input row (same index) with ``key``,
    ``action``, ``ok``, ``message`` and ``error``; an error on one row never stops the others.
    ``dry_run=True`` sends nothing; ``max_rows`` (default 25) refuses large frames before
    anything is sent (a dry run says so instead).
Display
    :meth:`~MixcloudAccessor.embed` (player iframes, built locally, no request) and
    :meth:`~MixcloudAccessor.preview` (the players, rendered in a notebook).

Which client
------------
Methods that talk to the API take ``client=`` (a :class:`~mixframe.MixcloudSync` or a
:class:`~mixframe.Mixcloud`); without it they use the default set by
:func:`mixframe.set_default_client` (the login widget sets it), and raise a
:class:`RuntimeError` saying how to set one when there is none. The methods block: they run
on mixframe's private event loop thread, so they work the same in scripts and inside a running
event loop (a Jupyter cell), without ``nest_asyncio``. The accessor therefore expects a
:class:`~mixframe.MixcloudSync`, whose requests always run on that thread. An async
:class:`~mixframe.Mixcloud` works only if its session is not used on another event loop too:
with one used on your own loop, await the :mod:`mixframe.rows` functions instead. The access
token is never written into a frame, its ``attrs`` or a result.

Examples
--------
>>> import mixframe
>>> from mixframe import MixcloudSync
>>> mixframe.set_default_client(MixcloudSync(access_token="..."))     # doctest: +SKIP
>>> shows = mixframe.crawl("NTSRadio", connections=["cloudcasts"]).cloudcasts  # doctest: +SKIP
>>> shows.head(3).mixcloud.favorite(dry_run=True)                     # doctest: +SKIP
>>> fans = shows.head(3).mixcloud.connection("favorites", limit=50)   # doctest: +SKIP
>>> fans.mixcloud.follow()                                            # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from collections.abc import Coroutine
from typing import Any

import pandas as pd

from . import _urls, rows
from ._api import ACTIONS
from ._player import player_iframe, player_options
from .decorators import check_int
from .defaults import get_default_client, resolve_client
from .rows import RESULT_COLUMNS, _frame_keys, _frame_type, _key_column_help, _row_type

__all__ = ["ACTIONS", "MixcloudAccessor", "RESULT_COLUMNS"]


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run `coroutine` on mixframe's private event loop thread and return its result."""
    from .sync import _runner

    return _runner.run(coroutine)


def _loop_client(client: Any) -> Any:
    """The async client behind `client`, else behind the default, or None when neither is set
    (the rows function then says how to set one, if it needs one). A MixcloudSync's session
    lives on mixframe's loop thread, where :func:`_run` runs the work."""
    chosen = client if client is not None else get_default_client()
    return None if chosen is None else resolve_client(chosen)


@pd.api.extensions.register_dataframe_accessor("mixcloud")
class MixcloudAccessor:
    """Mixcloud methods on a DataFrame of Mixcloud resources: ``df.mixcloud``.

    The frame needs a ``key`` column of Mixcloud keys. Its ``attrs["mixcloud"]`` (set by
    :func:`~mixframe.frames.page_frame` and :func:`~mixframe.frames.to_frame`) tells the rows'
    ``type`` and, for a page of a list, the ``next`` and ``previous`` page URLs. The accessor
    keeps nothing but the frame, and every method returns a new object.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame the accessor is reached from.

    Raises
    ------
    AttributeError
        If the frame has no ``key`` column.

    Examples
    --------
    >>> import pandas as pd, mixframe
    >>> df = pd.DataFrame({"key": ["/spartacus/party-time/", "/spartacus/"]})
    >>> result = df.mixcloud.favorite(dry_run=True)
    >>> result["ok"].tolist()
    [<NA>, False]
    >>> result.loc[1, "error"]
    'favorite applies to cloudcast rows; /spartacus/ is a user row, not sent'
    >>> pd.DataFrame({"id": [1]}).mixcloud                # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AttributeError: the .mixcloud accessor needs a 'key' column ...
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        if "key" not in frame.columns:   # pandas' way: no accessor on this frame
            raise AttributeError(f"the .mixcloud accessor needs {_key_column_help(frame)}")
        self._obj = frame

    # -- exploration --------------------------------------------------------------------

    def next_page(self, client: Any = None) -> pd.DataFrame | None:
        """Fetch the page after this one, as a frame with the same columns.

        Blocking :func:`mixframe.rows.next_page`: see it for the columns kept and the errors.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
            Client to send the request with; the default client when omitted.

        Returns
        -------
        pandas.DataFrame or None
            The next page (this frame's columns first, then fields it adds; its
            ``attrs["mixcloud"]`` describes the new page, so calls chain), or ``None`` on the
            last page of the list.

        Raises
        ------
        ValueError
            If this frame is not a page of a list (a crawl table, a concat of pages): pages
            come from ``page_frame()``, ``ResourceList.to_frame()``, ``next_page()`` and
            ``all_pages()``.

        Examples
        --------
        >>> page = mixcloud.get("NTSRadio").cloudcasts(limit=20).to_frame()  # doctest: +SKIP
        >>> second = page.mixcloud.next_page()                               # doctest: +SKIP
        >>> third = second.mixcloud.next_page()                              # doctest: +SKIP
        """
        return _run(rows.next_page(self._obj, client=_loop_client(client)))

    def previous_page(self, client: Any = None) -> pd.DataFrame | None:
        """Fetch the page before this one, as a frame with the same columns.

        Blocking :func:`mixframe.rows.previous_page`.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
            Client to send the request with; the default client when omitted.

        Returns
        -------
        pandas.DataFrame or None
            The previous page, or ``None`` when this page has no ``previous`` link.

        Examples
        --------
        >>> second.mixcloud.previous_page().key.equals(page.key)  # doctest: +SKIP
        True
        """
        return _run(rows.previous_page(self._obj, client=_loop_client(client)))

    def all_pages(self, max_pages: int | None = rows.ALL_PAGES_MAX_PAGES, client: Any = None,
                  progress: bool = True) -> pd.DataFrame:
        """This page and the ones after it, in one frame.

        Blocking :func:`mixframe.rows.all_pages`: the walk stops where the list ends or at
        `max_pages` pages, with a progress bar that ends full (green in notebooks) when the
        list ended.

        Parameters
        ----------
        max_pages : int or None, default 100 (:data:`mixframe.rows.ALL_PAGES_MAX_PAGES`)
            Most pages in the result, this one included; ``None`` goes on to
            :data:`mixframe.paging.DEFAULT_MAX_PAGES`.
        client : MixcloudSync or Mixcloud, optional
            Client to send the requests with; the default client when omitted.
        progress : bool, default True
            Show a progress bar.

        Returns
        -------
        pandas.DataFrame
            The rows of every page in list order, with a fresh index;
            ``attrs["mixcloud"]["next"]`` is where a stopped walk continues (``None`` at the
            end of the list).

        Examples
        --------
        >>> shows = page.mixcloud.all_pages()                                  # doctest: +SKIP
        >>> first_five = page.mixcloud.all_pages(max_pages=5, progress=False)  # doctest: +SKIP
        """
        return _run(rows.all_pages(self._obj, max_pages=max_pages,
                                   client=_loop_client(client), progress=progress))

    def load(self, client: Any = None, *, concurrency: int = 8,
             errors: str = "raise") -> pd.DataFrame:
        """Fetch the full details of every row: one request per distinct key.

        Blocking :func:`mixframe.rows.load`.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
            Client to send the requests with; the default client when omitted.
        concurrency : int, default 8
            Requests in flight at once.
        errors : {"raise", "skip"}, default "raise"
            On a failed row: raise its error, or leave the row out with a warning.

        Returns
        -------
        pandas.DataFrame
            One row per input row (same order and index labels) from the full objects.

        Examples
        --------
        >>> followers.mixcloud.load()[["key", "biog"]]                     # doctest: +SKIP
        """
        return _run(rows.load(self._obj, client=_loop_client(client), concurrency=concurrency,
                              errors=errors))

    def connection(self, name: str, client: Any = None, *, max_pages: int | None = 1,
                   concurrency: int = 8, errors: str = "raise", **paging: Any) -> pd.DataFrame:
        """Fetch the connection `name` of every row, in one frame.

        Blocking :func:`mixframe.rows.connection`.

        Parameters
        ----------
        name : str
            The connection (``"followers"``, ``"cloudcasts"``, ``"comments"`` ...).
        client : MixcloudSync or Mixcloud, optional
            Client to send the requests with; the default client when omitted.
        max_pages : int or None, default 1
            Pages fetched per row; ``None`` follows each list to its end.
        concurrency : int, default 8
            Rows fetched at once.
        errors : {"raise", "skip"}, default "raise"
            On a failed row: raise its error, or leave it out with a warning.
        **paging
            ``limit``, ``offset``, ``since``, ``until``, or ``page`` with ``per_page``.

        Returns
        -------
        pandas.DataFrame
            The items of every row's list with a ``source_key`` column after ``key``.

        Examples
        --------
        >>> fans = users.mixcloud.connection("followers", limit=100)       # doctest: +SKIP
        >>> fans.groupby("source_key").size()                              # doctest: +SKIP
        """
        return _run(rows.connection(self._obj, name, client=_loop_client(client),
                                    max_pages=max_pages, concurrency=concurrency,
                                    errors=errors, **paging))

    def crawl(self, **kwargs: Any) -> Any:
        """Crawl from this frame's rows: :func:`mixframe.crawl` seeded with their keys.

        Parameters
        ----------
        **kwargs
            Arguments of :func:`mixframe.crawl` (``connections``, ``depth``, ``max_items``,
            ``store``, ``progress``, ``client`` ...). Without ``client`` nor client options
            (``access_token``, ``api_root`` ...), the default client is used when one is set.

        Returns
        -------
        mixframe.CrawlResult

        Raises
        ------
        ValueError
            If the frame holds no key.

        Examples
        --------
        >>> result = users.mixcloud.crawl(connections=["followers"], depth=1)  # doctest: +SKIP
        >>> result.edges.head()                                                # doctest: +SKIP
        """
        from .crawler import crawl

        if "seeds" in kwargs:
            raise TypeError("crawl() takes its seeds from the frame's keys; call "
                            "mixframe.crawl(seeds, ...) to choose others")
        seeds = list(dict.fromkeys(key for key in _frame_keys(self._obj) if key is not None))
        if not seeds:
            raise ValueError("the frame holds no key to crawl from")
        own = set(inspect.signature(crawl).parameters) - {"seeds", "client_options"}
        client_options = set(kwargs) - own
        if kwargs.get("client") is None and not client_options:
            kwargs["client"] = get_default_client()
        return crawl(seeds, **kwargs)

    # -- actions ------------------------------------------------------------------------

    def _act(self, action: str, client: Any, dry_run: bool, max_rows: int | None
             ) -> pd.DataFrame:
        return _run(rows.act(self._obj, action, client=_loop_client(client), dry_run=dry_run,
                             max_rows=max_rows))

    def follow(self, client: Any = None, *, dry_run: bool = False,
               max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("follow", client, dry_run, max_rows)

    def unfollow(self, client: Any = None, *, dry_run: bool = False,
                 max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unfollow", client, dry_run, max_rows)

    def favorite(self, client: Any = None, *, dry_run: bool = False,
                 max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("favorite", client, dry_run, max_rows)

    def unfavorite(self, client: Any = None, *, dry_run: bool = False,
                   max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unfavorite", client, dry_run, max_rows)

    def repost(self, client: Any = None, *, dry_run: bool = False,
               max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("repost", client, dry_run, max_rows)

    def unrepost(self, client: Any = None, *, dry_run: bool = False,
                 max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unrepost", client, dry_run, max_rows)

    def listen_later(self, client: Any = None, *, dry_run: bool = False,
                     max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("listen_later", client, dry_run, max_rows)

    def unlisten_later(self, client: Any = None, *, dry_run: bool = False,
                       max_rows: int | None = 25) -> pd.DataFrame:
        return self._act("unlisten_later", client, dry_run, max_rows)

    # -- display ------------------------------------------------------------------------

    def embed(self, *, width: int | str | None = None, height: int | str | None = None,
              color: str | None = None, light: bool | None = None,
              hide_cover: bool | None = None, mini: bool | None = None,
              hide_artwork: bool | None = None, autoplay: bool | None = None) -> pd.Series:
        """The player iframe HTML of every cloudcast row, built locally (no request).

        The same ``<iframe>`` as :func:`mixframe.widgets.player` (the player at
        ``https://www.mixcloud.com/widget/iframe/?feed=<url-encoded key>`` with the options,
        attribute values HTML-escaped).

        Parameters
        ----------
        width, height : int or str, optional
            Pixels (``300``, ``"300px"``) or a percentage (``"100%"``); default ``"100%"``
            wide and 120 px high (60 px with `mini`).
        color : str, optional
            6 hexadecimal digits, ``#`` optional.
        light, hide_cover, mini, hide_artwork, autoplay : bool, optional
            Player options; only ``True`` ones are sent.

        Returns
        -------
        pandas.Series
            ``string`` dtype, aligned to the rows (same index), named ``embed``: the iframe
            for cloudcast rows, ``<NA>`` for other rows.

        Raises
        ------
        ValueError, TypeError
            For invalid options.

        Examples
        --------
        >>> df = pd.DataFrame({"key": ["/spartacus/party-time/"]})
        >>> player = df.mixcloud.embed(width=300)[0]
        >>> player.startswith('<iframe width="300" height="120" src="https://www.mixcloud.com/')
        True
        >>> "widget/iframe/?feed=%2Fspartacus%2Fparty-time%2F" in player
        True
        """
        options = player_options(width, height, color, light=light, hide_cover=hide_cover,
                                 mini=mini, hide_artwork=hide_artwork, autoplay=autoplay)
        frame_type = _frame_type(self._obj)
        values: list[str | None] = []
        for key in _frame_keys(self._obj):
            try:
                normalized = _urls.normalize_key(key) if key is not None else None
            except (TypeError, ValueError):
                normalized = None
            if normalized is None or _row_type(normalized, frame_type) != "cloudcast":
                values.append(None)
            else:
                values.append(player_iframe(normalized, options))
        return pd.Series(pd.array(values, dtype="string"), index=self._obj.index.copy(),
                         name="embed")

    def preview(self, max_rows: int = 5, **display_options: Any) -> Any:
        """Show the players of the first cloudcast rows in a notebook.

        Parameters
        ----------
        max_rows : int, default 5
            Most players shown; the HTML says how many more rows there are.
        **display_options
            As for :meth:`embed`.

        Returns
        -------
        IPython.display.HTML
            Rendered by Jupyter when it is a cell's value.

        Raises
        ------
        ImportError
            If IPython is not installed.

        Examples
        --------
        >>> shows.mixcloud.preview(3, light=True)                     # doctest: +SKIP
        """
        check_int("max_rows", max_rows, minimum=1)
        try:
            from IPython.display import HTML
        except ImportError as error:
            raise ImportError("preview() needs IPython: pip install ipython") from error
        players = self.embed(**display_options).dropna()
        shown = players.iloc[:max_rows]
        parts = [f'<div class="mixframe-player">{player}</div>' for player in shown]
        if not parts:
            parts.append("<p>No cloudcast rows to preview.</p>")
        elif len(players) > len(shown):
            parts.append(f"<p>… and {len(players) - len(shown)} more cloudcast rows.</p>")
        return HTML("\n".join(parts))


def _action_doc(action: str) -> str:
    """The numpydoc docstring of the action method `action`."""
    wanted = ACTIONS[action]
    example = "/spartacus/" if wanted == "user" else "/spartacus/party-time/"
    verb = action.replace("_", " ")
    what = {"listen_later": "Add every cloudcast row to the Listen Later list",
            "unlisten_later": "Remove every cloudcast row from the Listen Later list"
            }.get(action, f"{verb.capitalize()} every {wanted} row")
    return f"""{what}, as the authorised user.

        Blocking ``await mixframe.rows.act(df, "{action}")``. One request per row, in row
        order. An error on a row (refused by the API, a network failure) is recorded in its
        result and the next row goes on. Rows that are not
        {wanted}s (told by ``attrs["mixcloud"]["type"]``, else by the key's shape: ``/user/``
        or ``/user/slug/``) and rows without a valid key are reported, not sent.

        Parameters
        ----------
        client : MixcloudSync or Mixcloud, optional
            Client to send the requests with (it needs an access token); the default client
            when omitted.
        dry_run : bool, default False
            Send nothing: report what would be sent (``ok`` is ``<NA>`` for those rows).
            Needs no client, and `max_rows` does not refuse it: each row's message says
            when the real run would be refused.
        max_rows : int or None, default 25
            Refuse frames with more rows, before anything is sent; ``None`` lifts the guard.

        Returns
        -------
        pandas.DataFrame
            One row per input row, same index, with ``key``, ``action`` (``"{action}"``),
            ``ok`` (``boolean``: the API confirmed it), ``message`` (the API's) and ``error``
            (why the row failed or was not sent).

        Raises
        ------
        ValueError
            If the frame has more than `max_rows` rows and this is not a dry run.
        RuntimeError
            If not a dry run, no client is given and no default is set.
        mixframe.AuthError
            If not a dry run and the client has no access token.

        Examples
        --------
        >>> picked = pd.DataFrame({{"key": ["{example}"]}})
        >>> picked.mixcloud.{action}(dry_run=True).loc[0, "message"]
        'dry run: would {action} {example}'
        >>> picked.mixcloud.{action}(client=mixcloud)               # doctest: +SKIP
        """


for _name in ACTIONS:
    getattr(MixcloudAccessor, _name).__doc__ = _action_doc(_name)
del _name
