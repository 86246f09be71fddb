"""Logging: the ``mixframe`` logger, and redaction of secrets in the HTTP stack's log records.

httpx logs every request URL at INFO level on the ``httpx`` logger, and httpcore logs raw
response headers at DEBUG on its own loggers (``httpcore.http11``...): a redirect whose
``Location`` echoes the query (the real API does this) holds the access token. A filter on a
logger sees only the records logged on that very logger, not those its children pass up, so
:func:`install` puts the redacting filter on ``httpx``, ``httpcore``, ``mixframe`` and every
logger below them: the ones httpcore creates (also those it creates only when HTTP/2, a proxy
or SOCKS is used) and any other that exists when a client opens its session.
"""

from __future__ import annotations

import logging

from ._redact import redact

logger = logging.getLogger("mixframe")


class RedactSecrets(logging.Filter):
    """Mask the values of secret query parameters in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(arg if isinstance(arg, (int, float)) else _masked(arg)
                                for arg in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def _masked(value: object) -> object:
    """`value` itself when its text holds no secret, else its redacted text."""
    text = str(value)
    shown = redact(text)
    return value if shown == text else shown


_ROOTS = ("httpx", "httpcore", "mixframe")
# The loggers httpcore creates, some only once it uses HTTP/2, a proxy or SOCKS.
_KNOWN = ("httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
          "httpcore.socks")


def install() -> None:
    """Attach the redacting filter to every logger of the HTTP stack and of mixframe.

    Idempotent; the client calls it again when it opens a session, for loggers created since.
    """
    names = {*_ROOTS, *_KNOWN, *(name for name in list(logging.root.manager.loggerDict)
                                 if name.startswith(tuple(f"{root}." for root in _ROOTS)))}
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in target.filters):
            target.addFilter(RedactSecrets())
