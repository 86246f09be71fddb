"""Basic data structures wrapping API responses.

* :class:`_WrapMixin` wraps accessed items in the proper model.
* :class:`AccessDict` is dict-like and also gives items as attributes.
* :class:`AccessList` is list-like and also finds resources by their key.
* :class:`Resource` is an API entity (user, cloudcast, tag...): it has methods for its
  connections (``followers()``, ``comments()``...), mirrors the client's targeted methods
  (``follow()``, ``favorite()``, ``embed_html()``...) with its own key, and ``load()``s its
  full details.
* :class:`ResourceList` is one page of a list, with ``next()``/``previous()`` pages.

Models wrap the decoded JSON without copying it: ``.data`` is the original structure, nested
wrappers share it, and it always holds plain dicts and lists (``json.dumps(r.data)`` works).
"""

from __future__ import annotations

import functools
import types
from collections import UserDict, UserList
from typing import Any

from .decorators import paginated, walking
from .html import error_html, error_text, resource_html, resource_list_html
from ._urls import normalize_key

__all__ = ["AccessDict", "AccessList", "Resource", "ResourceList"]


def _is_resource(item: dict) -> bool:
    # An entity has a key plus a type (metadata=1) or a URL (responses without metadata).
    # Error objects and sections have a "type" but no key, so they stay plain AccessDicts.
    return "key" in item and ("type" in item or "url" in item)


class _WrapMixin:
    """Enables returning the proper kind of object, when indexed and iterated over."""

    #: Mixcloud instance to pass along to contained items
    mixcloud: Any = None

    def _wrap(self, item: Any) -> Any:
        """Wrap `item` with the proper class.

        A dict becomes a :class:`Resource` (of the client's resource class) if it is an entity,
        else an :class:`AccessDict`; a list becomes an :class:`AccessList`; the rest is returned
        unchanged.
        """
        if isinstance(item, dict):
            if _is_resource(item):
                resource_class = getattr(self.mixcloud, "_resource_class", None) or Resource
                return resource_class(item, mixcloud=self.mixcloud)
            return AccessDict(item, mixcloud=self.mixcloud)
        if isinstance(item, list):
            return AccessList(item, mixcloud=self.mixcloud)
        return item


class AccessDict(_WrapMixin, UserDict):
    """Dict-like model whose items can also be read as attributes.

    Items are wrapped with the proper model when accessed. The original dict is ``.data``.
    An error answer (an ``error`` item, what a failed request returns unless
    ``raise_exceptions``) says so in its repr and shows as a red error line in notebooks.

    Examples
    --------
    >>> user = AccessDict({"name": "Bob", "pictures": {"small": "s.jpg"}}, mixcloud=None)
    >>> user.name, user["pictures"].small
    ('Bob', 's.jpg')
    >>> AccessDict({"error": {"type": "NotFoundException", "message": "No user 'x'"}})
    <AccessDict error: NotFoundException: No user 'x'>
    """

    #: URL the response was fetched from, without the access token (``None`` if unknown).
    source_url: str | None = None

    def __init__(self, data: Any = None, *, mixcloud: Any = None) -> None:
        self.data = data if isinstance(data, dict) else dict(data or {})
        self.mixcloud = mixcloud

    def __getitem__(self, key: Any) -> Any:
        return self._wrap(self.data[key])

    def __iter__(self):
        return iter(self.data)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails. Dunder names and a half-built instance
        # (during copy/unpickling, before .data exists) must not recurse into .data.
        if name.startswith("__") or "data" not in self.__dict__:
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def _error(self) -> Any:
        """The ``error`` item of an error answer, else None."""
        error = self.data.get("error")
        return error if isinstance(error, (dict, str)) and error and "key" not in self.data \
            else None

    def __repr__(self) -> str:
        error = self._error()
        if error is None:
            return repr(self.data)
        return f"<{type(self).__name__} error: {error_text(error)}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> dict[str, str] | None:
        """An error answer's display in notebooks (HTML and text); other dicts show as text."""
        error = self._error()
        if error is None:
            return None
        return {"text/html": error_html(error), "text/plain": repr(self)}

    def __getstate__(self) -> dict[str, Any]:
        # The client holds a network session: pickles keep the data only.
        return {**self.__dict__, "mixcloud": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class AccessList(_WrapMixin, UserList):
    """List-like model that also finds resources by key.

    ``items[0]`` and ``items[1:3]`` index as usual; ``items["bob/mix"]`` returns the first
    resource whose key is ``/bob/mix/`` (slashes are normalised).
    """

    def __init__(self, data: Any = None, *, mixcloud: Any = None) -> None:
        self.data = data if isinstance(data, list) else list(data or [])
        self.mixcloud = mixcloud

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return AccessList(self.data[index], mixcloud=self.mixcloud)
        if isinstance(index, str):
            key = normalize_key(index)
            for item in self.data:
                if isinstance(item, dict) and item.get("key") == key:
                    return self._wrap(item)
            raise KeyError(key)
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"list indices must be int, slice or a resource key, "
                            f"not {type(index).__name__}")
        return self._wrap(self.data[index])

    def __iter__(self):
        return (self._wrap(item) for item in self.data)

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, str):
            try:
                self[item]
                return True
            except (KeyError, ValueError):
                return False
        return item in self.data or any(item == wrapped for wrapped in self)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "mixcloud": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class Resource(AccessDict):
    """Mixcloud API resource: a user, cloudcast, tag, comment...

    Besides item and attribute access to its fields, a resource has:

    * one method per connection listed in ``metadata.connections`` (``followers()``,
      ``cloudcasts()``, ``listen_later()`` for ``listen-later``...), taking pagination keywords
      and returning a :class:`ResourceList`; created for full resources;
    * the client's targeted methods with its own key filled in: ``follow()``, ``unfollow()``,
      ``favorite()``, ``unfavorite()``, ``repost()``, ``unrepost()``, ``listen_later()``,
      ``unlisten_later()``, ``embed_json()``, ``embed_html()``, ``oembed()``, ``edit()``;
    * :meth:`load` to fetch its full details when it came as part of another response.

    Attribute lookup order: real attributes and methods, connections, data keys, targeted methods.
    """

    #: Whether all of resource data has been downloaded (by having accessed the detail page).
    _full = False

    def __init__(self, data: Any = None, *, full: bool = False, create_connections: bool = True,
                 mixcloud: Any = None) -> None:
        super().__init__(data, mixcloud=mixcloud)
        self._full = full
        self._connections: dict[str, str] = {}
        if full and create_connections:
            self._create_connections()

    def _create_connections(self) -> None:
        """Create a method for each item of ``metadata.connections``, named after it."""
        metadata = self.data.get("metadata")
        connections = metadata.get("connections") if isinstance(metadata, dict) else None
        if isinstance(connections, dict):
            self._connections = {name.replace("-", "_"): url for name, url in connections.items()
                                 if isinstance(url, str)}

    def _connection_method(self, name: str, url: str):
        @paginated
        async def connection(resource, params):
            return await resource.mixcloud.get(url, relative=False, **params)

        connection.__name__ = connection.__qualname__ = name
        connection.__doc__ = f"Get the {name!r} connection of this resource ({url})."
        return types.MethodType(connection, self)

    def __getattr__(self, name: str) -> Any:
        connections = self.__dict__.get("_connections") or {}
        if name in connections:
            return self._connection_method(name, connections[name])
        try:
            return super().__getattr__(name)
        except AttributeError:
            method = getattr(self.mixcloud, name, None)
            if method is not None and getattr(method, "_targeting", False) and "key" in self.data:
                return functools.partial(method, self.data["key"])
            raise

    def __dir__(self):
        return [*super().__dir__(), *self.__dict__.get("_connections", ())]

    def __repr__(self) -> str:
        kind = self.data.get("type")
        label = f": {str(kind).replace('_', ' ').title()}" if kind else ""
        key = f" {self.data['key']!r}" if "key" in self.data else ""
        return f"<{type(self).__name__}{label}{key}>"

    def _repr_html_(self) -> str:
        return resource_html(self.data)

    def to_frame(self, *, side_tables: bool = False, all_pictures: bool = False):
        """Return this resource as a one-row DataFrame (see :func:`mixframe.frames.to_frame`).

        Examples
        --------
        >>> Resource({"key": "/bob/", "type": "user", "name": "Bob"}).to_frame()[["key", "name"]]
             key name
        0  /bob/  Bob
        """
        from . import frames

        return frames.to_frame([self.data], type=self.data.get("type"),
                               source={"url": self.source_url}, side_tables=side_tables,
                               all_pictures=all_pictures)

    async def load(self, *, force: bool = False) -> Resource:
        """Load full resource information from its detail page and return ``self``.

        Does nothing when the resource is already full, unless `force` is set. A failed request
        raises the typed :class:`~mixframe.exceptions.MixcloudError` and leaves the resource
        as it was.
        """
        if self._full and not force:
            return self
        if "key" not in self.data:
            raise ValueError(f"cannot load {self!r}: it has no key")
        details = await self.mixcloud.fetch(self.data["key"], plain=False)
        self.data.update(details)
        self._create_connections()
        self._full = True
        return self


class ResourceList(AccessDict):
    """One page of a list of resources.

    The items are ``self["data"]``; ``paging`` (``previous``/``next`` URLs) and ``name`` may be
    present. Iterating, ``len()``, integer and slice indexing concern the items; string indexing
    looks at the response's top level first (``rl["name"]``), then finds an item by key
    (``rl["bob/mix"]``). ``.data`` is the whole response.
    """

    def _items(self) -> list:
        items = self.data.get("data")
        return items if isinstance(items, list) else []

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and key in self.data:
            return self._wrap(self.data[key])
        return AccessList(self._items(), mixcloud=self.mixcloud)[key]

    def __iter__(self):
        return (self._wrap(item) for item in self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __contains__(self, key: Any) -> bool:
        return key in self.data or key in AccessList(self._items(), mixcloud=self.mixcloud)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ResourceList):
            return self.data == other.data
        return isinstance(other, dict) and self.data == other

    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def keys(self):
        """Keys of the response's top level (``data``, ``paging``, ``name``)."""
        return self.data.keys()

    def values(self):
        """Wrapped values of the response's top level."""
        return [self._wrap(value) for value in self.data.values()]

    def items(self):
        """``(key, wrapped value)`` pairs of the response's top level."""
        return [(key, self._wrap(value)) for key, value in self.data.items()]

    def __repr__(self) -> str:
        name = self.data.get("name")
        return f"<{type(self).__name__} {name!r}>" if name else f"<{type(self).__name__}>"

    def _repr_html_(self) -> str:
        return resource_list_html(self.data)

    def to_frame(self, *, side_tables: bool = False, all_pictures: bool = False):
        """Return the items of this page as a DataFrame, one row per item.

        ``attrs["mixcloud"]`` records the list's name, its ``next``/``previous`` links and the
        URL it came from, without the access token; ``df.mixcloud.next_page()`` follows them.
        See :func:`mixframe.frames.page_frame`.
        """
        from . import frames

        return frames.page_frame(self.data, url=self.source_url, side_tables=side_tables,
                                 all_pictures=all_pictures)

    def _paging_url(self, where: str) -> str | None:
        paging = self.data.get("paging")
        url = paging.get(where) if isinstance(paging, dict) else None
        return url if isinstance(url, str) and url else None

    async def _navigate(self, where: str) -> ResourceList | None:
        """Return the adjacent page named `where`, or ``None`` if there is none."""
        url = self._paging_url(where)
        if url is None:
            return None
        return await self.mixcloud.get(url, relative=False)

    @walking
    def pages(self, *, max_pages: int | None = None, max_items: int | None = None) -> Any:
        """Walk the list from this page on: this page, then each next one.

        The same walk as :meth:`mixframe.Mixcloud.pages` (same bounds and stop rules), started
        from a page in hand. Iterating the page itself gives only its own items.

        Examples
        --------
        >>> async def every_follower(user):
        ...     first = await user.followers(limit=100)
        ...     async for page in first.pages(max_pages=10):
        ...         print(len(page))
        """
        return self.mixcloud.pages(self, max_pages=max_pages, max_items=max_items)

    @walking
    def all_items(self, *, max_pages: int | None = None, max_items: int | None = None) -> Any:
        """Walk the list's items from this page on, each distinct item once (see
        :meth:`mixframe.Mixcloud.items`)."""
        return self.mixcloud.items(self, max_pages=max_pages, max_items=max_items)

    async def next(self) -> ResourceList | None:
        """Return next page of current resource list, or ``None`` if it is not found."""
        return await self._navigate("next")

    async def previous(self) -> ResourceList | None:
        """Return previous page of current resource list, or ``None`` if it is not found."""
        return await self._navigate("previous")
