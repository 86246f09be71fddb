"""URL helpers: resource keys, query merging and origins (secrets: see :mod:`mixframe._redact`)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a Mixcloud key may hold unencoded: slugs, "+" and ":" of genre filters.
KEY_SAFE = "/+:@!$&'()*,;=~"
# Characters no key holds: a query, a fragment, a backslash, control characters. (A regular
# expression: every item of every page a crawl meets is checked with it.)
_NOT_IN_KEYS = re.compile(r"[?#\\\x00-\x1f\x7f]")


def normalize_key(key: Any) -> str:
    """Return `key` in the API's form, ``/user/slug/``: leading and trailing slash.

    ``"bob"``, ``"bob/"``, ``"/bob"`` and ``"/bob/"`` all give ``"/bob/"``; ``""`` gives ``"/"``.

    Raises
    ------
    TypeError
        If `key` is not a string.
    ValueError
        If `key` is an absolute URL or holds characters no key can hold.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a str such as 'bob/my-mix', got {type(key).__name__}")
    if "://" in key or key.lower().startswith(("http:", "https:")):
        raise ValueError(f"key {key!r} is an absolute URL; pass relative=False to get() it")
    if _NOT_IN_KEYS.search(key):
        raise ValueError(f"key {key!r} holds a character that cannot be part of a Mixcloud key")
    segments = [segment for segment in key.strip().split("/") if segment]
    if any(segment in (".", "..") for segment in segments):
        raise ValueError(f"key {key!r} holds a '.' or '..' segment")
    if not segments:
        return "/"
    return "/" + "/".join(segments) + "/"


def join(root: str, key: str) -> str:
    """Return `root` followed by the normalised, percent-encoded `key`."""
    return root.rstrip("/") + quote(normalize_key(key), safe=KEY_SAFE)


def _query_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, datetime):
        from .datetime import to_timestamp

        return str(to_timestamp(value))
    raise TypeError(f"query parameter {name!r} must be a str, int, float, bool or datetime, "
                    f"got {type(value).__name__}")


def merge_query(url: str, params: Mapping[str, Any]) -> str:
    """Return `url` with `params` merged into its query string.

    A parameter already in the URL is replaced in place; new ones are appended in order;
    parameters whose value is ``None`` are left out. The URL's other parameters are kept.
    """
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in params.items():
        if value is None:
            continue
        text = _query_value(name, value)
        if any(key == name for key, _ in pairs):
            first = next(i for i, (key, _) in enumerate(pairs) if key == name)
            pairs = [pair for i, pair in enumerate(pairs) if pair[0] != name or i == first]
            pairs[first] = (name, text)
        else:
            pairs.append((name, text))
    return urlunsplit(parts._replace(query=urlencode(pairs)))


def origin(url: str) -> tuple[str, str, int | None]:
    """Return ``(scheme, host, port)`` of `url`, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def same_host(url: str, root: str) -> bool:
    """Whether `url` is on `root`'s host: same name and port, or both on their default port.

    ``http://api.mixcloud.com/x/`` is on ``https://api.mixcloud.com``'s host (old responses
    carry http links); ``https://api.mixcloud.com:8443/`` and ``https://evil.example/`` are not.
    """
    scheme, host, port = origin(url)
    root_scheme, root_host, root_port = origin(root)
    if host != root_host:
        return False
    return port == root_port or (port == _DEFAULT_PORTS.get(scheme)
                                 and root_port == _DEFAULT_PORTS.get(root_scheme))


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (``localhost``, ``*.localhost``, 127.0.0.0/8, ``::1``)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
