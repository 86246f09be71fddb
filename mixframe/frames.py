"""Tidy pandas tables from raw Mixcloud JSON.

Flattening is a pure function of the decoded JSON: tables can be rebuilt at any time from
stored pages, without touching the API. Records may come straight from :func:`json.loads`
(timestamps as strings such as ``"2018-09-04T01:18:45Z"``) or from
:class:`~mixframe.json.MixcloudJSONDecoder` (timestamps as aware :class:`~datetime.datetime`
objects); both give the same table. Resource wrappers (``Resource``, ``AccessDict``) are
accepted too: their raw ``.data`` is used.

* :func:`to_frame` turns an iterable of records into a :class:`pandas.DataFrame`, one row
  per record;
* :func:`page_frame` does the same for a whole list response (``data``, ``paging``, ``name``);
* :func:`side_tables` builds the tidy tables of a type's lists (a show's tags and sections,
  a feed item's targets); ``to_frame(..., side_tables=True)`` returns both at once as a
  :class:`Tables` ``(frame, side)`` pair;
* :func:`schema` gives a schema's columns and dtypes, :func:`read_csv` reads a table written
  with ``DataFrame.to_csv(index=False)`` back with those dtypes.

Rules shared by every table
---------------------------
* ``key`` is the first column. Schema columns come in the documented order below and are all
  present even for an empty input; a field missing from a record gives ``<NA>`` / ``NaT``.
* dtypes: text is ``string`` (``pd.StringDtype()``, missing = ``pd.NA``), counts are ``Int64``,
  flags are ``boolean``, timestamps are ``datetime64[us, UTC]``, and a list of names (a show's
  ``tags``) is ``list<item: string>[pyarrow]`` (a pyarrow list of strings: ``df.explode("tags")``
  gives one row per tag).
* A nested object is flattened with its name as prefix (``user`` -> ``user_key``,
  ``user_name`` ...). ``pictures`` becomes one ``picture`` column: the ``extra_large`` URL
  (600 px, served in every era of the API), else ``large``, ``medium``, ``medium_mobile``,
  ``thumbnail``, ``small``, else the largest ``<W>wx<H>h`` size; ``cover_pictures`` likewise
  becomes ``cover_picture`` (the largest cover). With ``all_pictures=True`` every size is also
  kept, as ``pictures_<size>``, ``user_pictures_<size>`` ... columns after the others.
* ``metadata`` is dropped (its connections are URLs, not data), and so is ``type``, at every
  level (it is the table's type, and the API sends it only with ``metadata=1``). Feed items
  are the exception: their ``type`` (``upload``, ``repost``, ``favorite``, ``listen``,
  ``follow``, or a kind Mixcloud adds later) is a column, and a page mixing them is one
  feed table.
* Fields the schema does not know are kept, after the schema columns, in the order first
  seen: first the record's own, then those of its nested ``user`` / ``from`` / ``owner``
  object (``user_<field>`` ...); a name already taken gets a ``_1``, ``_2`` ... suffix. Nested
  objects are flattened with ``_``; lists become JSON strings; the dtype is inferred from the
  values (all ``bool`` -> ``boolean``, all ``int`` -> ``Int64``, numbers -> ``Float64``,
  timestamps (strings in the API format or datetimes) -> ``datetime64[us, UTC]``, anything
  else -> ``string``, non-text values JSON-encoded).
* Values of the wrong type in a schema column are converted when that is lossless (``"12"``
  in a count gives 12) and are missing otherwise; flattening never raises on data.
* Rows are in input order; duplicates are kept.
* ``df.attrs["mixcloud"]`` records where the table came from: ``type`` plus the ``source``
  passed in (:func:`page_frame` fills ``list_name``, ``next``, ``previous``, ``url``), made
  JSON-safe. ``access_token``, ``client_secret`` and ``code`` parameters (name and value)
  are removed from the query and fragment of every URL put there, and keys with those names
  are left out: attrs are written into Parquet files.

Schemas (column: dtype, in order)
---------------------------------
user
    key: string, url: string, name: string, username: string, biog: string, city: string,
    country: string, created_time: datetime64[us, UTC], updated_time: datetime64[us, UTC],
    follower_count: Int64, following_count: Int64, cloudcast_count: Int64,
    favorite_count: Int64, listen_count: Int64, is_pro: boolean, is_premium: boolean,
    picture: string, cover_picture: string, picture_primary_color: string,
    following: boolean, follower: boolean, is_current_user: boolean

cloudcast
    key: string, url: string, name: string, slug: string, user_key: string,
    user_name: string, user_username: string, user_url: string,
    created_time: datetime64[us, UTC], updated_time: datetime64[us, UTC],
    audio_length: Int64, play_count: Int64, favorite_count: Int64, comment_count: Int64,
    listener_count: Int64, repost_count: Int64, hidden_stats: boolean,
    tags: list<item: string>[pyarrow], section_count: Int64, picture: string, picture_primary_color: string,
    description: string, listen_time: datetime64[us, UTC]

tag
    key: string, url: string, name: string

comment
    key: string, url: string, comment: string, submit_date: datetime64[us, UTC],
    user_key: string, user_name: string, user_username: string, user_url: string

feed
    key: string, url: string, type: string, title: string,
    created_time: datetime64[us, UTC], from_key: string, from_name: string,
    from_username: string, from_url: string, target_keys: string

category
    key: string, url: string, name: string, slug: string, format: string, picture: string

playlist
    key: string, url: string, name: string, slug: string, owner_key: string,
    owner_name: string, owner_username: string, owner_url: string

generic (any other type)
    key: string, then every field, flattened as described above

Side tables (column: dtype, in order)
-------------------------------------
cloudcast ``tags``
    cloudcast_key: string, position: Int64, tag_key: string, tag_name: string

cloudcast ``sections``
    cloudcast_key: string, position: Int64, section_type: string, start_time: Int64,
    track_name: string, artist_name: string, chapter: string, track_key: string,
    artist_key: string

feed ``feed_targets``
    feed_key: string, position: Int64, target_type: string, target_key: string

Notes on particular columns
---------------------------
* ``tags`` (cloudcast) holds the list of the show's tag names, in the API's order (``[]`` for
  a show without tags, ``<NA>`` when the record has no ``tags`` field): ``df.explode("tags")``
  gives one row per show and tag, ``df["tags"].list.len()`` the number of tags. Parquet keeps
  the list as it is; in CSV a list is written as JSON (``["House", "Deep house"]``), read
  back as a list by :func:`read_csv` and :func:`~mixframe.crawler.read_crawl`. The ``tags``
  side table is the tidy form with the tags' keys (``position`` is the tag's place in the
  list, from 0).
* ``section_count`` is ``len(sections)``; list items carry no ``sections`` (``<NA>``), full
  objects do (possibly 0). Section ``position`` is the API's own (0- or 1-based depending on
  the era), else the index in the list. ``chapter`` holds a chapter section's name.
* ``hidden_stats`` is only sent, as ``true``, when the owner hides the statistics; it is
  ``<NA>`` otherwise (``df.hidden_stats.fillna(False)``). When it is true the API reports
  ``0`` for play, favorite, comment, listener and repost counts: those zeros are kept as
  sent, mask them before averaging.
* ``listen_time`` is only filled in ``/listens/`` items.
* ``target_keys`` (feed) holds the keys of the item's ``cloudcasts`` (or, for ``follow``
  items, ``users``) joined by ``", "``; ``feed_targets`` is the tidy form, with
  ``target_type`` ``"cloudcast"`` or ``"user"``.
* ``owner_*`` (playlist) come from the playlist's ``owner`` object, or ``user`` when it
  has none (no playlist sample was recorded; this is a guess at the shape).

Round trips
-----------
Parquet keeps everything: ``pd.read_parquet(path)`` gives back equal frames, dtypes and
``attrs`` (pandas >= 2.1 stores ``attrs`` in the file). Reading a list column back needs
mixframe imported: pandas cannot yet read the pyarrow list dtype it wrote (pandas issue
57411), so importing mixframe teaches it ``list<item: string>[pyarrow]``. CSV keeps values
but not dtypes: ``string`` columns come back as ``str``/``object``, ``Int64`` with missing
values as ``float64``, ``boolean`` as ``object``, timestamps and lists as text, and ``""``
reads back as missing. Use :func:`read_csv` (``type=`` the table's type) to restore a
schema's dtypes; the dtypes of extra columns are left to pandas.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import re
import tokenize
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any, Literal, NamedTuple, overload

import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionDtype, register_extension_dtype

from ._api import key_type, list_item_type, table_type
from ._redact import clean

__all__ = ["Tables", "page_frame", "read_csv", "schema", "side_tables", "to_frame"]

# ------------------------------------------------------------------------------------------
# dtypes and value conversion

STRING = "string"
INT = "Int64"
BOOL = "boolean"
FLOAT = "Float64"
TIME = "datetime64[us, UTC]"
#: A list of names, such as a show's tags: a pyarrow list of strings.
NAMES = "list<item: string>[pyarrow]"
_NAMES_DTYPE = pd.ArrowDtype(pa.list_(pa.string()))


class _NamesDtypeName(ExtensionDtype):
    """Teaches pandas the name of :data:`NAMES`, so that ``pd.api.types.pandas_dtype(NAMES)``
    works, and with it ``pd.read_parquet`` of a frame holding a list column: pandas writes
    the dtype's name into Parquet files but cannot read it back (pandas issue 57411). It
    answers for that one name only, with pandas' own ``pd.ArrowDtype``."""

    name = "mixframe-names"
    type = list

    @classmethod
    def construct_from_string(cls, string: str) -> Any:
        if string == NAMES:
            return _NAMES_DTYPE
        raise TypeError(f"cannot construct a {cls.__name__} from {string!r}")

    @classmethod
    def construct_array_type(cls) -> Any:  # pragma: no cover (never an array's dtype)
        return type(pd.array([], dtype=_NAMES_DTYPE))


try:
    pd.api.types.pandas_dtype(NAMES)
except TypeError:  # pandas does not read the name yet: teach it
    register_extension_dtype(_NamesDtypeName)

#: The API's timestamp format (ISO 8601, UTC, second precision).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_ISO_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}")
_NONE = builtins.type(None)
_UTC = timezone.utc
_EMPTY: Mapping[str, Any] = {}   # stands for a missing nested object; never mutated

_TIME_FIELDS = frozenset({"created_time", "updated_time", "submit_date", "listen_time"})
_COUNT_FIELDS = frozenset({
    "play_count", "favorite_count", "comment_count", "listener_count", "repost_count",
    "follower_count", "following_count", "cloudcast_count", "listen_count", "audio_length",
    "percentage_music", "position", "start_time", "section_count", "retry_after"})
_BOOL_FIELDS = frozenset({"is_pro", "is_premium", "hidden_stats", "following", "follower",
                          "is_current_user", "is_exclusive", "is_select"})
_PICTURE_ORDER = ("extra_large", "large", "medium", "medium_mobile", "thumbnail", "small")
_SIZE = re.compile(r"(\d+)wx(\d+)h")


def _iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(_UTC)
    return value.strftime(TIMESTAMP_FORMAT)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return list(value)
    return str(value)


def _to_text(value: Any) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, datetime):
        return _iso(value)
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            return None
        result = int(value)
    elif isinstance(value, str):
        try:
            result = int(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if -2**63 <= result < 2**63 else None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
    return None


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value.astimezone(_UTC)
    if isinstance(value, str):
        try:
            return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=_UTC)
        except ValueError:
            pass
        if not _ISO_DATE.match(value):   # pd.Timestamp would read "now" or "today"
            return None
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            return None
        if stamp is pd.NaT:
            return None
        return _to_datetime(stamp.to_pydatetime())
    return None


# pandas >= 3 (with pyarrow) stores "string" in pyarrow: arrays can then be built straight
# from pyarrow, skipping pandas' per-element checks (pyarrow checks the types itself).
_ARROW_STRINGS = pd.StringDtype().storage == "pyarrow"
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError,
                 ValueError, OverflowError)
_TIME_DTYPE = pd.DatetimeTZDtype("us", "UTC")


def _timestamps(values: list) -> Any:
    try:   # strings with a zone offset ("Z"): parsed by pyarrow, strictly, in one pass
        parsed = pa.array(values, pa.string()).cast(pa.timestamp("us", tz="UTC"))
        return _TIME_DTYPE.__from_arrow__(parsed)
    except _ARROW_ERRORS:
        pass
    kinds = set(map(builtins.type, values))
    kinds.discard(_NONE)
    if not all(issubclass(kind, datetime) for kind in kinds):   # mixed, naive, odd formats
        values = [_to_datetime(value) for value in values]
    try:
        index = pd.to_datetime(values, utc=True)
    except (ValueError, TypeError, OverflowError):   # e.g. out of bounds for the unit
        index = pd.to_datetime([_to_datetime(v) for v in values], utc=True, errors="coerce")
    return pd.DatetimeIndex(index).as_unit("us").array


def _strings(values: list) -> Any:
    if _ARROW_STRINGS:
        try:
            array = pa.array(values, pa.large_string())
        except _ARROW_ERRORS:
            array = pa.array([_to_text(value) for value in values], pa.large_string())
        return pd.arrays.ArrowStringArray(pa.chunked_array([array], pa.large_string()))
    kinds = set(map(builtins.type, values))
    kinds.discard(_NONE)
    if not kinds <= {str}:
        values = [_to_text(value) for value in values]
    return pd.array(values, dtype=STRING)


def _names(values: list) -> Any:
    """Lists of names (or None) as a pyarrow-backed list column."""
    return _NAMES_DTYPE.__from_arrow__(pa.chunked_array([pa.array(values, pa.list_(pa.string()))],
                                                        pa.list_(pa.string())))


def _coerce(values: list, kind: str) -> Any:
    """Return `values` as a pandas array of dtype `kind`."""
    if kind == STRING:
        return _strings(values)
    if kind == TIME:
        return _timestamps(values)
    if kind == INT:
        try:   # pyarrow refuses bools, strings and fractions: those take the slow path
            return pd.Int64Dtype().__from_arrow__(pa.array(values, pa.int64()))
        except _ARROW_ERRORS:
            return pd.array([_to_int(value) for value in values], dtype=INT)
    if kind == BOOL:
        try:
            return pd.BooleanDtype().__from_arrow__(pa.array(values, pa.bool_()))
        except _ARROW_ERRORS:
            return pd.array([_to_bool(value) for value in values], dtype=BOOL)
    if kind == NAMES:
        return _names(values)
    if kind == FLOAT:
        values = [None if isinstance(value, bool) or not isinstance(value, (int, float))
                  else value for value in values]
    return pd.array(values, dtype=kind)


def _hint(leaf: str) -> str:
    """dtype of an extra column that holds no value, from the field's name."""
    if leaf in _TIME_FIELDS:
        return TIME
    if leaf in _COUNT_FIELDS or leaf.endswith("_count"):
        return INT
    if leaf in _BOOL_FIELDS or leaf.startswith(("is_", "has_")):
        return BOOL
    return STRING


def _infer_kind(leaf: str, values: list) -> str:
    """dtype of an extra column, from its values (and its name if it holds none)."""
    kinds = set(map(builtins.type, values))
    kinds.discard(_NONE)
    if not kinds:
        return _hint(leaf)
    if kinds == {bool}:
        return BOOL
    if kinds == {int}:
        return INT
    if kinds <= {int, float}:
        return FLOAT
    if all(issubclass(kind, datetime) for kind in kinds):
        return TIME
    if all(kind is str or issubclass(kind, datetime) for kind in kinds):
        # Mirror MixcloudJSONDecoder: only strings in the API's own format are timestamps.
        if all(len(v) == 20 and _TIMESTAMP.fullmatch(v)
               for v in values if isinstance(v, str)):
            return TIME
    return STRING


# ------------------------------------------------------------------------------------------
# per-record helpers

def _best_picture(pictures: Any) -> str | None:
    if not isinstance(pictures, dict):
        return pictures if isinstance(pictures, str) else None
    url = pictures.get("extra_large")
    if isinstance(url, str):
        return url
    for size in _PICTURE_ORDER:
        url = pictures.get(size)
        if isinstance(url, str):
            return url
    best, best_area = None, -1
    for size, url in pictures.items():
        if not isinstance(url, str):
            continue
        match = _SIZE.fullmatch(str(size))
        area = int(match[1]) * int(match[2]) if match else 0
        if area > best_area:
            best, best_area = url, area
    return best


def _tag_name(tag: Any) -> str | None:
    if isinstance(tag, dict):
        name = tag.get("name")
        return name if isinstance(name, str) else None
    return tag if isinstance(tag, str) else None


def _tag_names(tags: Any) -> list[str] | None:
    if not isinstance(tags, list):
        return None
    return [name for name in map(_tag_name, tags) if name is not None]


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        key = item.get("key")
        return key if isinstance(key, str) else None
    return item if isinstance(item, str) else None


_TARGET_LISTS = (("cloudcast", "cloudcasts"), ("user", "users"))


def _target_keys(record: dict) -> str | None:
    keys: list[str] = []
    found = False
    for _, name in _TARGET_LISTS:
        items = record.get(name)
        if isinstance(items, list):
            found = True
            keys.extend(key for key in map(_item_key, items) if key is not None)
    return ", ".join(keys) if found else None


def _list_length(value: Any) -> int | None:
    return len(value) if isinstance(value, list) else None


# ------------------------------------------------------------------------------------------
# schemas

# A column is (name, dtype, how) where `how` is
#   ("field", f)         -> record[f]
#   ("nested", p, f)     -> record's nested object p (see _Schema.nested), field f
#   ("picture", f)       -> best URL of the pictures object record[f]
#   ("tags",)            -> the list of tag names
#   ("length", f)        -> len(record[f])
#   ("targets",)         -> feed target keys joined by ", "
_Column = tuple[str, str, tuple]
_NESTED_KNOWN = frozenset({"key", "name", "username", "url", "pictures", "type", "metadata"})


@dataclass(frozen=True)
class _Schema:
    name: str
    columns: tuple[_Column, ...]
    #: prefix -> (source field names, first present wins)
    nested: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: top-level fields that are neither columns nor extras
    dropped: frozenset[str] = frozenset({"metadata", "type"})
    #: top-level pictures objects (expanded by all_pictures)
    pictures: tuple[str, ...] = ()

    @property
    def consumed(self) -> frozenset[str]:
        used = set(self.dropped)
        for _, _, how in self.columns:
            if how[0] in ("field", "picture", "length"):
                used.add(how[1])
            elif how[0] == "tags":
                used.add("tags")
            elif how[0] == "targets":
                used.update(name for _, name in _TARGET_LISTS)
        for sources in self.nested.values():
            used.update(sources)
        return frozenset(used)

    @property
    def dtypes(self) -> dict[str, str]:
        return {name: kind for name, kind, _ in self.columns}


def _fields(*specs: tuple[str, str]) -> tuple[_Column, ...]:
    return tuple((name, kind, ("field", name)) for name, kind in specs)


def _user_columns(prefix: str) -> tuple[_Column, ...]:
    return tuple((f"{prefix}_{f}", STRING, ("nested", prefix, f))
                 for f in ("key", "name", "username", "url"))


def _counts(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, INT) for name in names)


_SCHEMAS: dict[str, _Schema] = {
    "user": _Schema(
        "user",
        _fields(("key", STRING), ("url", STRING), ("name", STRING), ("username", STRING),
                ("biog", STRING), ("city", STRING), ("country", STRING),
                ("created_time", TIME), ("updated_time", TIME),
                *_counts("follower_count", "following_count", "cloudcast_count",
                         "favorite_count", "listen_count"),
                ("is_pro", BOOL), ("is_premium", BOOL))
        + (("picture", STRING, ("picture", "pictures")),
           ("cover_picture", STRING, ("picture", "cover_pictures")))
        + _fields(("picture_primary_color", STRING), ("following", BOOL), ("follower", BOOL),
                  ("is_current_user", BOOL)),
        pictures=("pictures", "cover_pictures"),
    ),
    "cloudcast": _Schema(
        "cloudcast",
        _fields(("key", STRING), ("url", STRING), ("name", STRING), ("slug", STRING))
        + _user_columns("user")
        + _fields(("created_time", TIME), ("updated_time", TIME),
                  *_counts("audio_length", "play_count", "favorite_count", "comment_count",
                           "listener_count", "repost_count"),
                  ("hidden_stats", BOOL))
        + (("tags", NAMES, ("tags",)),
           ("section_count", INT, ("length", "sections")),
           ("picture", STRING, ("picture", "pictures")))
        + _fields(("picture_primary_color", STRING), ("description", STRING),
                  ("listen_time", TIME)),
        nested={"user": ("user",)},
        pictures=("pictures",),
    ),
    "tag": _Schema("tag", _fields(("key", STRING), ("url", STRING), ("name", STRING))),
    "comment": _Schema(
        "comment",
        _fields(("key", STRING), ("url", STRING), ("comment", STRING), ("submit_date", TIME))
        + _user_columns("user"),
        nested={"user": ("user",)},
    ),
    "feed": _Schema(
        "feed",
        _fields(("key", STRING), ("url", STRING), ("type", STRING), ("title", STRING),
                ("created_time", TIME))
        + _user_columns("from")
        + (("target_keys", STRING, ("targets",)),),
        nested={"from": ("from",)},
        dropped=frozenset({"metadata"}),
    ),
    "category": _Schema(
        "category",
        _fields(("key", STRING), ("url", STRING), ("name", STRING), ("slug", STRING),
                ("format", STRING))
        + (("picture", STRING, ("picture", "pictures")),),
        pictures=("pictures",),
    ),
    "playlist": _Schema(
        "playlist",
        _fields(("key", STRING), ("url", STRING), ("name", STRING), ("slug", STRING))
        + _user_columns("owner"),
        nested={"owner": ("owner", "user")},
    ),
}
_GENERIC = _Schema("generic", _fields(("key", STRING)))

_SIDE_SCHEMAS: dict[str, dict[str, dict[str, str]]] = {
    "cloudcast": {
        "tags": {"cloudcast_key": STRING, "position": INT, "tag_key": STRING,
                 "tag_name": STRING},
        "sections": {"cloudcast_key": STRING, "position": INT, "section_type": STRING,
                     "start_time": INT, "track_name": STRING, "artist_name": STRING,
                     "chapter": STRING, "track_key": STRING, "artist_key": STRING},
    },
    "feed": {
        "feed_targets": {"feed_key": STRING, "position": INT, "target_type": STRING,
                         "target_key": STRING},
    },
}


# ------------------------------------------------------------------------------------------
# type resolution

def _canonical_type(name: Any) -> str | None:
    """The schema a ``type=`` argument names: a resource type, ``"feed"`` for a feed item
    type, or the name itself (the generic schema)."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"type must be a str such as 'cloudcast' or None, "
                        f"got {builtins.type(name).__name__}")
    return table_type(name) or name.strip().lower() or None


def _shape_type(shape: tuple) -> str | None:
    """Type of a record from its field names alone (responses without metadata=1)."""
    keys = set(shape)
    if "username" in keys:
        return "user"
    if "audio_length" in keys or "play_count" in keys:
        return "cloudcast"
    if "comment" in keys:
        return "comment"
    if "from" in keys and "title" in keys:
        return "feed"
    if {"key", "name"} <= keys and keys <= {"url", "name", "key", "type"}:
        return "tag"
    return None


def _infer_type(records: list[dict]) -> str | None:
    """The one type of `records`: from their ``type`` fields, else their shape."""
    votes: dict[str, None] = {}
    untyped = []
    for record in records:
        value = record.get("type")
        kind = table_type(value)
        if kind is None and isinstance(value, str) and value.strip():
            # A type we do not know: a feed item of a new kind has the feed's shape.
            kind = "feed" if _shape_type(tuple(record)) == "feed" else value.strip().lower()
        if kind is None:
            untyped.append(record)
        else:
            votes[kind] = None
    if untyped:
        shape_votes = {_shape_type(shape) for shape in dict.fromkeys(map(tuple, untyped))}
        shape_votes.discard(None)
        if not shape_votes and not votes:
            shape_votes = {key_type(record.get("key")) for record in untyped}
            shape_votes.discard(None)
        votes.update(dict.fromkeys(shape_votes))  # type: ignore[arg-type]
    if len(votes) > 1:
        raise ValueError(f"the records hold several types ({', '.join(sorted(votes))}); "
                         f"pass type= to choose the table's schema, or split them")
    return next(iter(votes), None)


# ------------------------------------------------------------------------------------------
# flattening

def _plain(record: Any) -> dict:
    if isinstance(record, dict):
        return record
    data = getattr(record, "data", None)
    if isinstance(data, dict):            # AccessDict / Resource wrappers
        return data
    if isinstance(record, Mapping):
        return dict(record)
    raise TypeError(f"records must be dicts (decoded API objects), "
                    f"got {builtins.type(record).__name__}")


class _Context:
    """Per-call caches: the records' field-name shapes and nested objects."""

    def __init__(self, records: list[dict], schema: _Schema) -> None:
        self.records = records
        self.schema = schema
        self.shapes = dict.fromkeys(map(tuple, records))
        self.present = frozenset(name for shape in self.shapes for name in shape)
        self._objects: dict[str, tuple[list, dict[tuple, None], frozenset]] = {}

    def _nested(self, prefix: str) -> tuple[list, dict[tuple, None], frozenset]:
        if prefix not in self._objects:
            sources = self.schema.nested[prefix]
            if not self.present.intersection(sources):
                found: list = [_EMPTY] * len(self.records)
            elif len(sources) == 1:
                found = self.field(sources[0])
                if set(map(builtins.type, found)) != {dict}:
                    found = [obj if isinstance(obj, dict) else _EMPTY for obj in found]
            else:
                found = []
                for record in self.records:
                    obj = _EMPTY
                    for name in sources:
                        candidate = record.get(name)
                        if isinstance(candidate, dict):
                            obj = candidate
                            break
                    found.append(obj)
            shapes = dict.fromkeys(map(tuple, found))
            present = frozenset(name for shape in shapes for name in shape)
            self._objects[prefix] = (found, shapes, present)
        return self._objects[prefix]

    def objects(self, prefix: str) -> list:
        """The nested object `prefix` of every record ({} when absent)."""
        return self._nested(prefix)[0]

    def object_shapes(self, prefix: str) -> dict[tuple, None]:
        return self._nested(prefix)[1]

    def field(self, name: str) -> list:
        """Field `name` of every record (None when absent)."""
        if name not in self.present:
            return [None] * len(self.records)
        return [record.get(name) for record in self.records]


_NAME = itemgetter("name")
_EXTRA_LARGE = itemgetter("extra_large")


def _tags_column(tag_lists: list) -> list:
    try:   # the common case at C speed: lists of dicts, each with a str name
        names = [list(map(_NAME, tags)) if isinstance(tags, list) else None
                 for tags in tag_lists]
        if all(builtins.type(name) is str for tags in names if tags for name in tags):
            return names
    except (KeyError, TypeError):
        pass
    return [_tag_names(tags) for tags in tag_lists]


def _pictures_column(pictures: list) -> list:
    try:
        best = list(map(_EXTRA_LARGE, pictures))
        if set(map(builtins.type, best)) == {str}:
            return best
    except (KeyError, TypeError):
        pass
    return [_best_picture(value) for value in pictures]


def _values(ctx: _Context, how: tuple) -> list:
    op = how[0]
    if op == "field":
        return ctx.field(how[1])
    if op == "nested":
        objects, _, present = ctx._nested(how[1])
        name = how[2]
        if name not in present:
            return [None] * len(objects)
        return [obj.get(name) for obj in objects]
    if op == "picture":
        return _pictures_column(ctx.field(how[1]))
    if op == "tags":
        if "tags" not in ctx.present:
            return [None] * len(ctx.records)
        return _tags_column(ctx.field("tags"))
    if op == "length":
        if how[1] not in ctx.present:
            return [None] * len(ctx.records)
        return [_list_length(value) for value in ctx.field(how[1])]
    if op == "targets":
        return [_target_keys(record) for record in ctx.records]
    raise AssertionError(op)  # pragma: no cover


_Extras = dict[str, tuple[str, list]]   # column -> (leaf field name, raw values)


def _expand_sizes(name: str, values: list, out: _Extras) -> None:
    sizes = dict.fromkeys(size for value in values if isinstance(value, dict) for size in value)
    for size in sizes:
        out[_unique(f"{name}_{size}", out)] = (
            str(size), [value.get(size) if isinstance(value, dict) else None for value in values])


def _flatten(name: str, leaf: str, values: list, out: _Extras, all_pictures: bool) -> None:
    """Add the column(s) of an unknown field to `out`, flattening nested objects."""
    dicts = [value for value in values if isinstance(value, dict)]
    if not dicts:
        out[_unique(name, out)] = (leaf, values)
        return
    if len(dicts) < sum(value is not None for value in values):   # also scalars/lists
        out[_unique(name, out)] = (leaf, [None if isinstance(value, dict) else value
                                          for value in values])
    if leaf in ("pictures", "cover_pictures"):
        best = name[: -len("pictures")] + "picture"
        out[_unique(best, out)] = (best, [_best_picture(value) for value in values])
        if all_pictures:
            _expand_sizes(name, values, out)
        return
    subfields = dict.fromkeys(sub for value in dicts for sub in value
                              if sub not in ("metadata", "type"))
    for sub in subfields:
        _flatten(f"{name}_{sub}", str(sub),
                 [value.get(sub) if isinstance(value, dict) else None for value in values],
                 out, all_pictures)


def _extras(ctx: _Context, all_pictures: bool) -> _Extras:
    schema = ctx.schema
    out: _Extras = {}
    consumed = schema.consumed
    unknown = dict.fromkeys(name for shape in ctx.shapes for name in shape
                            if name not in consumed)
    for name in unknown:
        _flatten(str(name), str(name), ctx.field(name), out, all_pictures)
    for prefix in schema.nested:
        objects = ctx.objects(prefix)
        for name in dict.fromkeys(name for shape in ctx.object_shapes(prefix) for name in shape
                                  if name not in _NESTED_KNOWN):
            _flatten(f"{prefix}_{name}", str(name), [obj.get(name) for obj in objects], out,
                     all_pictures)
    if all_pictures:
        for name in schema.pictures:
            _expand_sizes(name, ctx.field(name), out)
        for prefix in schema.nested:
            _expand_sizes(f"{prefix}_pictures",
                          [obj.get("pictures") for obj in ctx.objects(prefix)], out)
    return out


def _unique(name: str, taken: Mapping[str, Any]) -> str:
    if name not in taken:
        return name
    number = 1
    while f"{name}_{number}" in taken:
        number += 1
    return f"{name}_{number}"


def _build(records: list[dict], schema: _Schema, all_pictures: bool) -> pd.DataFrame:
    ctx = _Context(records, schema)
    columns: dict[str, Any] = {}
    for name, kind, how in schema.columns:
        columns[name] = _coerce(_values(ctx, how), kind)
    for name, (leaf, values) in _extras(ctx, all_pictures).items():
        columns[_unique(name, columns)] = _coerce(values, _infer_kind(leaf, values))
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


def _typed_frame(data: dict[str, list], dtypes: dict[str, str]) -> pd.DataFrame:
    length = len(next(iter(data.values()))) if data else 0
    return pd.DataFrame({name: _coerce(data[name], kind) for name, kind in dtypes.items()},
                        index=pd.RangeIndex(length))


def _tags_table(records: list[dict]) -> pd.DataFrame:
    data: dict[str, list] = {name: [] for name in _SIDE_SCHEMAS["cloudcast"]["tags"]}
    keys, positions, tag_keys, names = (data["cloudcast_key"], data["position"],
                                        data["tag_key"], data["tag_name"])
    for record in records:
        tags = record.get("tags")
        if not isinstance(tags, list):
            continue
        key = record.get("key")
        for position, tag in enumerate(tags):
            keys.append(key)
            positions.append(position)
            tag_keys.append(_item_key(tag) if isinstance(tag, dict) else None)
            names.append(_tag_name(tag))
    return _typed_frame(data, _SIDE_SCHEMAS["cloudcast"]["tags"])


def _sections_table(records: list[dict]) -> pd.DataFrame:
    dtypes = _SIDE_SCHEMAS["cloudcast"]["sections"]
    data: dict[str, list] = {name: [] for name in dtypes}
    for record in records:
        sections = record.get("sections")
        if not isinstance(sections, list):
            continue
        key = record.get("key")
        for index, section in enumerate(sections):
            if not isinstance(section, dict):
                section = {}
            track = section.get("track")
            track = track if isinstance(track, dict) else _EMPTY
            artist = track.get("artist")
            artist = artist if isinstance(artist, dict) else _EMPTY
            position = section.get("position")
            data["cloudcast_key"].append(key)
            data["position"].append(index if _to_int(position) is None else position)
            data["section_type"].append(section.get("section_type"))
            data["start_time"].append(section.get("start_time"))
            data["track_name"].append(track.get("name"))
            data["artist_name"].append(artist.get("name"))
            data["chapter"].append(section.get("chapter"))
            data["track_key"].append(track.get("key"))
            data["artist_key"].append(artist.get("key"))
    return _typed_frame(data, dtypes)


def _feed_targets_table(records: list[dict]) -> pd.DataFrame:
    dtypes = _SIDE_SCHEMAS["feed"]["feed_targets"]
    data: dict[str, list] = {name: [] for name in dtypes}
    for record in records:
        key = record.get("key")
        position = 0
        for target_type, name in _TARGET_LISTS:
            items = record.get(name)
            if not isinstance(items, list):
                continue
            for item in items:
                data["feed_key"].append(key)
                data["position"].append(position)
                data["target_type"].append(target_type)
                data["target_key"].append(_item_key(item))
                position += 1
    return _typed_frame(data, dtypes)


_SIDE_BUILDERS: dict[str, dict[str, Callable[[list[dict]], pd.DataFrame]]] = {
    "cloudcast": {"tags": _tags_table, "sections": _sections_table},
    "feed": {"feed_targets": _feed_targets_table},
}


# ------------------------------------------------------------------------------------------
# provenance

def _provenance(kind: str | None, source: Mapping[str, Any] | None, **extra: Any) -> dict:
    if source is not None and not isinstance(source, Mapping):
        raise TypeError(f"source must be a dict such as {{'url': ...}} or None, "
                        f"got {builtins.type(source).__name__}")
    cleaned = clean(dict(source or {}))
    cleaned.pop("type", None)
    return {"type": kind, **cleaned, **extra}


# ------------------------------------------------------------------------------------------
# public API

class Tables(NamedTuple):
    """The main table of some records and its side tables.

    Unpacks as a pair: ``frame, side = to_frame(records, "cloudcast", side_tables=True)``.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per record, as :func:`to_frame` returns it.
    side : dict of str to pandas.DataFrame
        The type's side tables by name (``"tags"``, ``"sections"`` for cloudcasts,
        ``"feed_targets"`` for feed items, none for other types).
    """

    frame: pd.DataFrame
    side: dict[str, pd.DataFrame]


def _prepare(records: Iterable[Any], type: str | None, urls: Iterable[Any] = ()
             ) -> tuple[list[dict], str | None]:
    if isinstance(records, (Mapping, str, bytes)) or hasattr(records, "keys"):
        raise TypeError("records must be an iterable of records (a list of dicts); "
                        "use page_frame() for a whole list response, [obj] for one object")
    rows = list(records)
    if set(map(builtins.type, rows)) - {dict}:
        rows = [_plain(record) for record in rows]
    kind = _canonical_type(type)
    if kind is None and rows:
        kind = _infer_type(rows)
    if kind is None:   # e.g. an empty page: its links tell which list it is
        kind = next(filter(None, map(list_item_type, urls)), None)
    return rows, kind


def _frame(rows: list[dict], kind: str | None, source: Mapping[str, Any] | None,
           side_tables: bool, all_pictures: bool) -> pd.DataFrame | Tables:
    frame = _build(rows, _SCHEMAS.get(kind or "", _GENERIC), all_pictures)
    frame.attrs["mixcloud"] = _provenance(kind, source)
    if side_tables:
        return Tables(frame, _side(rows, kind, source))
    return frame


def _side(rows: list[dict], kind: str | None, source: Mapping[str, Any] | None
          ) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, build in _SIDE_BUILDERS.get(kind or "", {}).items():
        table = build(rows)
        table.attrs["mixcloud"] = _provenance(kind, source, side=name)
        tables[name] = table
    return tables


@overload
def to_frame(records: Iterable[Any], type: str | None = None, *,
             source: Mapping[str, Any] | None = None, side_tables: Literal[False] = False,
             all_pictures: bool = False) -> pd.DataFrame: ...


@overload
def to_frame(records: Iterable[Any], type: str | None = None, *,
             source: Mapping[str, Any] | None = None, side_tables: Literal[True],
             all_pictures: bool = False) -> Tables: ...


@overload
def to_frame(records: Iterable[Any], type: str | None = None, *,
             source: Mapping[str, Any] | None = None, side_tables: bool,
             all_pictures: bool = False) -> pd.DataFrame | Tables: ...


def to_frame(records: Iterable[Any], type: str | None = None, *,
             source: Mapping[str, Any] | None = None, side_tables: bool = False,
             all_pictures: bool = False) -> pd.DataFrame | Tables:
    """Flatten API records into a table, one row per record.

    Parameters
    ----------
    records : iterable of dict
        Decoded API objects of one type, e.g. a list response's ``data``. Timestamps may be
        strings or datetimes. ``Resource``/``AccessDict`` wrappers are accepted (their
        ``.data`` is read).
    type : str, optional
        ``"user"``, ``"cloudcast"``, ``"tag"``, ``"comment"``, ``"feed"``, ``"category"``,
        ``"playlist"``; a feed item type (``"upload"``, ``"repost"`` ...) means ``"feed"``;
        any other name gives the generic schema. When omitted it is inferred from the
        records' ``type`` fields (feed items of any kind, known or new, are ``"feed"``), else
        from their shape (``username`` -> user; ``audio_length`` or
        ``play_count`` -> cloudcast; ``comment`` -> comment; ``from`` and ``title`` -> feed;
        only ``key``, ``url``, ``name`` -> tag).
    source : dict, optional
        Where the records came from (``list_name``, ``next``, ``previous``, ``url`` ...),
        stored in ``attrs["mixcloud"]`` with secrets removed from URLs.
    side_tables : bool, default False
        Also build the side tables and return a :class:`Tables` ``(frame, side)`` pair.
    all_pictures : bool, default False
        Also keep every picture size, as ``pictures_<size>`` ... columns.

    Returns
    -------
    pandas.DataFrame or Tables
        The table (see the module documentation for each type's columns), or the table
        and its side tables when `side_tables` is set.

    Raises
    ------
    TypeError
        If `records` is a single mapping or holds something other than mappings.
    ValueError
        If `type` is omitted and the records are of several types.

    See Also
    --------
    page_frame : the same for a whole list response.
    side_tables : only the side tables.

    Examples
    --------
    >>> shows = [{"key": "/bob/mix/", "name": "Mix", "play_count": 3,
    ...           "created_time": "2018-09-04T01:18:45Z",
    ...           "user": {"key": "/bob/", "name": "Bob", "username": "bob"},
    ...           "tags": [{"key": "/discover/funk/", "name": "Funk"}],
    ...           "is_exclusive": True}]
    >>> df = to_frame(shows)
    >>> df.attrs["mixcloud"]["type"]
    'cloudcast'
    >>> df.loc[0, "key"], df.loc[0, "user_username"], df.loc[0, "tags"]
    ('/bob/mix/', 'bob', ['Funk'])
    >>> df.explode("tags")["tags"].tolist()          # one row per show and tag
    ['Funk']
    >>> df[["play_count", "created_time", "is_exclusive"]].dtypes.astype(str).tolist()
    ['Int64', 'datetime64[us, UTC]', 'boolean']
    >>> list(df.columns[-2:])            # unknown fields are kept, after the schema
    ['listen_time', 'is_exclusive']
    >>> frame, side = to_frame(shows, "cloudcast", side_tables=True)
    >>> side["tags"][["cloudcast_key", "tag_name"]].values.tolist()
    [['/bob/mix/', 'Funk']]
    """
    rows, kind = _prepare(records, type)
    return _frame(rows, kind, source, side_tables, all_pictures)


def side_tables(records: Iterable[Any], type: str | None = None, *,
                source: Mapping[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """Build the tidy side tables of some records.

    Parameters
    ----------
    records : iterable of dict
        Decoded API objects, as for :func:`to_frame`.
    type : str, optional
        The records' type, inferred when omitted (see :func:`to_frame`).
    source : dict, optional
        Provenance stored in each table's ``attrs["mixcloud"]`` (with ``side`` = the table's
        name).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{"tags": ..., "sections": ...}`` for cloudcasts, ``{"feed_targets": ...}`` for feed
        items, ``{}`` for other types. Each table has all its columns even when empty.

    Examples
    --------
    >>> feed = [{"key": "/bob/feed/1/", "type": "follow", "title": "is now following",
    ...          "from": {"key": "/bob/"}, "users": [{"key": "/ann/"}, {"key": "/cy/"}]}]
    >>> side_tables(feed)["feed_targets"].values.tolist()
    [['/bob/feed/1/', 0, 'user', '/ann/'], ['/bob/feed/1/', 1, 'user', '/cy/']]
    """
    rows, kind = _prepare(records, type)
    return _side(rows, kind, source)


@overload
def page_frame(page: Mapping[str, Any], type: str | None = None, *, url: str | None = None,
               side_tables: Literal[False] = False, all_pictures: bool = False
               ) -> pd.DataFrame: ...


@overload
def page_frame(page: Mapping[str, Any], type: str | None = None, *, url: str | None = None,
               side_tables: Literal[True], all_pictures: bool = False) -> Tables: ...


@overload
def page_frame(page: Mapping[str, Any], type: str | None = None, *, url: str | None = None,
               side_tables: bool, all_pictures: bool = False) -> pd.DataFrame | Tables: ...


def page_frame(page: Mapping[str, Any], type: str | None = None, *, url: str | None = None,
               side_tables: bool = False, all_pictures: bool = False
               ) -> pd.DataFrame | Tables:
    """Flatten a whole list response (``{"data": [...], "paging": {...}, "name": ...}``).

    Parameters
    ----------
    page : dict
        The decoded response (or a ``ResourceList``, whose ``.data`` is read).
    type : str, optional
        The items' type. When omitted it is inferred from the items (see
        :func:`to_frame`), else, for an empty page, from the last path segment of `url` or
        of a paging link (``cloudcasts``, ``listens``, ``followers``, ``comments``, ``feed``
        ...; ``search`` links use their ``type`` parameter).
    url : str, optional
        The URL the page was fetched from, recorded (without secrets) in attrs.
    side_tables, all_pictures : bool, default False
        As for :func:`to_frame`.

    Returns
    -------
    pandas.DataFrame or Tables
        As :func:`to_frame`, with ``attrs["mixcloud"]`` holding ``type``, ``list_name``
        (the response's ``name``), ``next``, ``previous`` (its ``paging`` links) and ``url``;
        absent ones are ``None``.

    Raises
    ------
    TypeError
        If `page` is not a mapping.
    ValueError
        If `page` has no ``data`` list (it is a single object, not a list).

    Examples
    --------
    >>> page = {"data": [{"key": "/ann/", "username": "ann", "name": "Ann"}],
    ...         "paging": {"next": "https://api.mixcloud.com/bob/following/?access_token=s3"
    ...                            "&limit=20&until=2018-03-13+14%3A41%3A01"}}
    >>> df = page_frame(page)
    >>> df.attrs["mixcloud"]["next"]
    'https://api.mixcloud.com/bob/following/?limit=20&until=2018-03-13+14%3A41%3A01'
    >>> df[["key", "username", "name"]].values.tolist()
    [['/ann/', 'ann', 'Ann']]
    """
    body = page if isinstance(page, dict) else getattr(page, "data", page)
    if not isinstance(body, Mapping):
        raise TypeError(f"page must be a decoded list response (dict), "
                        f"got {builtins.type(page).__name__}")
    data = body.get("data")
    if data is None and "data" not in body:
        raise ValueError("page has no 'data' list: it is not a list response "
                         "(use to_frame([obj]) for a single object)")
    if not isinstance(data, list):
        data = []
    paging = body.get("paging")
    paging = paging if isinstance(paging, Mapping) else {}
    source = {"list_name": body.get("name"), "next": paging.get("next"),
              "previous": paging.get("previous"), "url": url}
    rows, kind = _prepare(data, type, (url, source["next"], source["previous"]))
    return _frame(rows, kind, source, side_tables, all_pictures)


def schema(type: str | None, side: str | None = None) -> dict[str, str]:
    """Return the columns of a table and their dtypes, in order.

    Parameters
    ----------
    type : str or None
        A record type (see :func:`to_frame`); an unknown name or None gives the generic
        schema (``key`` only: the rest depends on the records).
    side : str, optional
        A side table of that type: ``"tags"`` or ``"sections"`` (cloudcast),
        ``"feed_targets"`` (feed).

    Returns
    -------
    dict of str to str
        Column name -> dtype name (``"string"``, ``"Int64"``, ``"boolean"``,
        ``"datetime64[us, UTC]"``).

    Raises
    ------
    ValueError
        If `side` is not a side table of `type`.

    Examples
    --------
    >>> schema("tag")
    {'key': 'string', 'url': 'string', 'name': 'string'}
    >>> list(schema("cloudcast", side="tags"))
    ['cloudcast_key', 'position', 'tag_key', 'tag_name']
    """
    kind = _canonical_type(type)
    if side is not None:
        try:
            return dict(_SIDE_SCHEMAS[kind or ""][side])
        except KeyError:
            raise ValueError(f"{type!r} records have no side table {side!r}") from None
    return _SCHEMAS.get(kind or "", _GENERIC).dtypes


def read_csv(filepath_or_buffer: Any, type: str | None, *, side: str | None = None,
             **kwargs: Any) -> pd.DataFrame:
    """Read a table written with ``df.to_csv(path, index=False)``, restoring its dtypes.

    The schema columns of `type` (or of its side table `side`) get their dtypes back:
    ``string``, ``Int64`` and ``boolean`` through ``dtype=``, timestamps parsed as UTC
    ``datetime64[us, UTC]``. Extra columns are left to pandas. Only empty cells are missing
    values: text such as ``"NA"``, ``"None"``, ``"null"`` or ``"nan"`` reads back as that text
    (pandas alone would take it for missing). A file written by ``df.to_csv`` cannot tell an
    empty string from a missing value: both read back as ``<NA>``. ``attrs`` are not kept.
    (A crawl exported with :meth:`CrawlResult.to_csv` keeps all of these: read it with
    :func:`read_crawl`.) List columns (``tags``) read back as lists, from JSON (``["House",
    "Deep house"]``, as crawl exports write them) or from what ``df.to_csv`` writes for them
    (``['House' 'Deep house']``).

    Parameters
    ----------
    filepath_or_buffer : str, path or file-like
        Passed to :func:`pandas.read_csv`.
    type : str or None
        The table's type, as given to :func:`to_frame`.
    side : str, optional
        The side table's name, as for :func:`schema`.
    **kwargs
        More :func:`pandas.read_csv` arguments; a ``dtype`` mapping given here wins.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import io
    >>> df = to_frame([{"key": "/bob/", "username": "bob", "is_pro": True,
    ...                 "created_time": "2013-03-17T06:26:31Z"}])
    >>> back = read_csv(io.StringIO(df.to_csv(index=False)), "user")
    >>> back.dtypes.equals(df.dtypes)
    True
    >>> read_csv(io.StringIO("key,name\\n/na/,NA\\n"), "user").loc[0, "name"]
    'NA'
    >>> shows = read_csv(io.StringIO('key,tags\\n/bob/mix/,"[""Funk"", ""Soul""]"\\n'),
    ...                  "cloudcast")
    >>> shows.explode("tags")["tags"].tolist()
    ['Funk', 'Soul']
    """
    dtypes = schema(type, side)
    times = [name for name, kind in dtypes.items() if kind == TIME]
    lists = [name for name, kind in dtypes.items() if kind == NAMES]
    given = kwargs.pop("dtype", None) or {}
    readable = {name: STRING if kind == NAMES else kind for name, kind in dtypes.items()
                if kind != TIME}
    kwargs = {"keep_default_na": False, "na_values": [""], **kwargs}
    frame = pd.read_csv(filepath_or_buffer, dtype={**readable, **given}, **kwargs)
    for name in times:
        if name in frame.columns and name not in given:
            parsed = pd.to_datetime(frame[name], utc=True, format="ISO8601")
            frame[name] = parsed.dt.as_unit("us")
    for name in lists:
        if name in frame.columns and name not in given:
            frame[name] = _names([_names_from_text(name, text) for text in frame[name]])
    return frame


def _names_from_text(column: str, text: Any) -> list[str] | None:
    """A list of names written in a CSV cell: JSON (crawl exports), or the numpy repr that
    ``df.to_csv`` writes (``['House' 'Deep house']``: string literals side by side)."""
    if text is None or text is pd.NA:
        return None
    try:
        names = json.loads(text)
    except ValueError:
        names = _literals(text)
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"column {column!r}: {text[:80]!r} is not a list of names (a JSON "
                         "list of strings, or a list as df.to_csv writes it)")
    return names


def _literals(text: str) -> list[str] | None:
    """The strings of ``['a' "b's" ...]`` (Python literals side by side, as numpy prints an
    array of strings), or None if `text` is not that."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        return None
    names = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(body[1:-1]).readline):
            if token.type == tokenize.STRING:
                names.append(ast.literal_eval(token.string))
            elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER,
                                    tokenize.INDENT, tokenize.DEDENT):
                return None
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return names
