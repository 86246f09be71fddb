"""Datetime formatting.

* :func:`format_datetime` returns a ``YYYY-MM-DDTHH:MM:SSZ`` string out of a datetime-like value.
* :func:`to_timestamp` returns a UNIX timestamp out of a datetime-like value.

A datetime-like value is a :class:`datetime.datetime`, a human-readable datetime string
(``"2019-03-04 20:23:17"``, ``"Jan 12 2018 21:02:44 UTC"``) or a UNIX timestamp (an ``int``, a
``float`` or a string of digits). Timezone-naive values are taken as local time, like the
reference client; pass aware datetimes or strings with a zone to be independent of the machine.
Results are in UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from dateutil import parser as _dateutil_parser
from dateutil.tz import tzlocal

__all__ = ["format_datetime", "to_timestamp"]

_INVALID = "expected datetime.datetime object, valid datetime string or timestamp, got {!r}"
# Digit strings of 9+ characters are timestamps; shorter ones ("20190304") are dates.
_TIMESTAMP_STRING = re.compile(r"-?\d{9,}(\.\d+)?")


def _as_utc(dt: datetime) -> datetime:
    """Convert and return given `dt` in UTC; a timezone-naive `dt` is taken as local time."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=tzlocal())
    return dt.astimezone(timezone.utc)


def _from_timestamp(value: float, original: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"timestamp out of range: {original!r}") from None


def _to_datetime(value: Any) -> datetime:
    """Return a datetime object out of a datetime-like `value`.

    Raises
    ------
    TypeError
        If `value` is not datetime-like.
    ValueError
        If `value` is a timestamp outside the platform's range.
    """
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, bool):
        raise TypeError(_INVALID.format(value))
    if isinstance(value, (int, float)):
        return _from_timestamp(value, value)
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        raise TypeError(_INVALID.format(value))
    text = value.strip()
    if _TIMESTAMP_STRING.fullmatch(text):
        return _from_timestamp(float(text), value)
    # Missing fields default to the start of the current year, not to today's date.
    default = datetime(datetime.now().year, 1, 1)
    try:
        parsed = _dateutil_parser.parse(text, default=default)
    except (ValueError, OverflowError, TypeError):
        raise TypeError(_INVALID.format(value)) from None
    return _as_utc(parsed)


def format_datetime(value: Any) -> str:
    """Return a datetime string in the ``YYYY-MM-DDTHH:MM:SSZ`` format out of a datetime-like value.

    Fractions of a second are dropped.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> format_datetime(datetime(2019, 3, 4, 20, 23, 17, 123456, tzinfo=timezone.utc))
    '2019-03-04T20:23:17Z'
    >>> format_datetime(1530384039)
    '2018-06-30T18:40:39Z'
    """
    return _to_datetime(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_timestamp(value: Any) -> int:
    """Return a UNIX timestamp out of a datetime-like value.

    Examples
    --------
    >>> to_timestamp("2020-06-01T18:21:01Z")
    1591035661
    """
    return int(_to_datetime(value).timestamp())
