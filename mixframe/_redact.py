"""Redaction: the one place that decides what a secret looks like and hides it.

Mixcloud takes the access token as a query parameter, and the OAuth flow carries the client
secret and the authorisation code the same way, so secrets travel inside URLs, and URLs end up
in log lines, exception messages, stored pages, ``df.attrs``, HTML and widget text. Every one
of those paths calls a function of this module:

* :func:`redact` masks secrets in free text (a URL, a message holding URLs, a response body):
  the values of secret parameters, in any case, plain or percent-encoded, in a query, a
  fragment or a JSON-like ``"access_token": "..."``, and any secret value given literally;
* :func:`strip_secrets` removes secret parameters (name and value) from a URL that is kept,
  stored or shown, so that it can be requested again without them;
* :func:`clean` makes a JSON-safe copy of a value with both applied, for metadata written into
  files;
* :func:`mask` makes a copy of a JSON-like value (an error body) with :func:`redact` applied to
  every string in it;
* :class:`Secret` holds a secret value whose repr is masked, so that a verbose traceback
  (IPython's ``%xmode Verbose``, Sentry, rich's ``show_locals``) showing the locals of a frame
  never shows it; :func:`redact` unwraps it.

The secret parameter names are :data:`mixframe._api.SECRET_PARAMS`.

Examples
--------
>>> redact("GET https://api.mixcloud.com/me/?Access_Token=SEKRIT&limit=5")
'GET https://api.mixcloud.com/me/?Access_Token=***&limit=5'
>>> strip_secrets("https://api.mixcloud.com/me/?limit=5&access_token=SEKRIT")
'https://api.mixcloud.com/me/?limit=5'
>>> redact("the server said: bad token SEKRIT-TOKEN", "SEKRIT-TOKEN")
'the server said: bad token ***'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote_plus

from ._api import SECRET_PARAMS, is_secret_param

__all__ = ["MASK", "Secret", "clean", "mask", "redact", "strip_secrets"]

#: What a secret is replaced with.
MASK = "***"
# Shortest literal secret masked: masking one or two characters would mangle the text.
_MIN_LITERAL = 4

_NAMES = "|".join(sorted(SECRET_PARAMS))
# name=value in a query or fragment, plain or percent-encoded once or twice (a URL inside a URL).
_ASSIGNED = re.compile(
    rf"(?i)(?:(?<![a-z0-9_%])|(?<=%[0-9a-f][0-9a-f]))((?:{_NAMES})\s*(?:=|%3D|%253D))"
    rf"[^&#;%\s\"'<>]*(?:%(?!26|23|3B)[0-9a-f]{{2}}[^&#;%\s\"'<>]*)*")
# "access_token": "value" or access_token: value, as in JSON and repr-like text. Not for
# "code", which is an ordinary word and field name outside OAuth.
_KEYED = re.compile(
    r"(?i)((?:[\"']?)(?:access_token|client_secret)[\"']?\s*:\s*[\"']?)[^\"',;(){}\[\]\s]*")
_PAIR = re.compile(r"[&;]")


def _literals(secrets: tuple[Any, ...]) -> list[str]:
    forms: set[str] = set()
    for secret in secrets:
        value = getattr(secret, "reveal", None)
        secret = value() if callable(value) else secret
        if isinstance(secret, str) and len(secret.strip()) >= _MIN_LITERAL:
            forms.update({secret, quote(secret, safe=""), quote(secret)})
    return sorted(forms, key=len, reverse=True)


def redact(text: Any, *secrets: Any) -> str:
    """Return `text` as a ``str`` with every secret masked.

    Parameters
    ----------
    text
        Anything; it is turned into a ``str`` first.
    *secrets
        Secret values to mask wherever they appear (an access token, a client secret), also in
        their percent-encoded forms. ``None`` and values shorter than four characters are
        ignored.
    """
    text = str(text)
    for form in _literals(secrets):
        text = text.replace(form, MASK)
    if "=" in text or "%3" in text.upper():
        text = _ASSIGNED.sub(rf"\1{MASK}", text)
    if ":" in text:
        text = _KEYED.sub(rf"\1{MASK}", text)
    return text


def _kept_pairs(query: str) -> str:
    return "&".join(part for part in _PAIR.split(query)
                    if part and not is_secret_param(unquote_plus(part.partition("=")[0])))


def strip_secrets(url: Any) -> str:
    """Return `url` without its secret parameters, name and value.

    The query and a ``#name=value`` fragment lose their secret parameters; the others keep
    their order and spelling. A secret that survives in another form (percent-encoded in a
    URL inside the URL) is masked.
    """
    text = str(url)
    rest, hash_sign, fragment = text.partition("#")
    base, question_mark, query = rest.partition("?")
    if question_mark:
        query = _kept_pairs(query)
    if hash_sign and "=" in fragment:
        fragment = _kept_pairs(fragment)
    result = base + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    return redact(result)


def _iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def clean(value: Any) -> Any:
    """A JSON-safe copy of `value` without secrets.

    Strings lose their secret parameters (:func:`strip_secrets`); mapping items whose key is a
    secret parameter name are left out; datetimes become the API's timestamp format; tuples
    and lists become lists; anything else becomes its redacted ``str``.

    >>> clean({"url": "https://x/?code=abc&a=1", "access_token": "t", "n": [1, None]})
    {'url': 'https://x/?a=1', 'n': [1, None]}
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return strip_secrets(value)
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Mapping):
        return {str(key): clean(item) for key, item in value.items()
                if not is_secret_param(str(key))}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    try:   # numpy and pandas scalars
        return clean(json.loads(json.dumps(value)))
    except (TypeError, ValueError):
        return strip_secrets(str(value))


def mask(value: Any, *secrets: Any) -> Any:
    """A copy of the JSON-like `value` (dicts, lists, strings...) with every string redacted.

    For bodies that are kept or shown (an error answer becomes an exception's message and
    data), where the server may have echoed a secret back: see :func:`redact` for `secrets`.

    >>> mask({"error": {"message": "bad token SEKRIT", "n": 1}}, "SEKRIT")
    {'error': {'message': 'bad token ***', 'n': 1}}
    """
    if isinstance(value, str):
        return redact(value, *secrets)
    if isinstance(value, Mapping):
        return {key: mask(item, *secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(item, *secrets) for item in value]
    return value


class Secret:
    """A secret value (an access token) that shows as ``***`` in every repr and str.

    Code that needs the value calls :meth:`reveal`, at the last moment; anything that prints,
    logs or inspects objects sees the mask. It cannot be pickled, so it is not written into a
    file by accident.

    Examples
    --------
    >>> token = Secret("SEKRIT")
    >>> token, str(token), f"{token}"
    (Secret('***'), '***', '***')
    >>> token.reveal()
    'SEKRIT'
    >>> redact("token=SEKRIT", token)
    'token=***'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")
