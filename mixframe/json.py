"""JSON decoder that turns Mixcloud's timestamps into datetimes.

Only strings in the API's own timestamp format, ``2019-02-03T04:22:18Z`` (ISO 8601, UTC, second
precision), become timezone-aware UTC :class:`datetime.datetime` objects, wherever they appear:
as object values, inside lists, or at the top level. Everything else stays as it was, so a show
called "May", a user called "2020" or a tag "10" keeps its name, and a long digit string is just a
string.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

__all__ = ["MixcloudJSONDecoder"]

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _convert(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) == 20 and _TIMESTAMP.fullmatch(value):
            try:
                return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            except ValueError:  # matches the shape but is no date, e.g. month 13
                return value
        return value
    if isinstance(value, list):
        return [_convert(item) for item in value]
    return value


class MixcloudJSONDecoder(json.JSONDecoder):
    """Handles datetime values.

    Examples
    --------
    >>> import json
    >>> json.loads('{"created_time": "2019-02-03T04:22:18Z", "name": "May"}',
    ...            cls=MixcloudJSONDecoder)
    {'created_time': datetime.datetime(2019, 2, 3, 4, 22, 18, tzinfo=datetime.timezone.utc), 'name': 'May'}
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "object_hook" in kwargs:
            raise TypeError("MixcloudJSONDecoder sets its own object_hook; do not pass one")
        super().__init__(*args, object_hook=self.object_hook, **kwargs)

    @staticmethod
    def object_hook(obj: dict[str, Any]) -> dict[str, Any]:
        """Turn eligible values to datetime objects and leave the rest unchanged."""
        return {key: _convert(value) for key, value in obj.items()}

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        result = super().decode(s, *args, **kwargs)
        # object_hook never sees a top-level string or array.
        return result if isinstance(result, dict) else _convert(result)
