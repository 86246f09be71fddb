"""Logging: the ``mixframe`` logger, and redaction of secrets in httpx's request log lines.

httpx logs every request URL at INFO level on the ``httpx`` logger; Mixcloud takes the access
token as a query parameter, so without this filter ``logging.basicConfig(level="INFO")`` would
print it.
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


def install() -> None:
    """Attach the redacting filter to the loggers of the HTTP stack (idempotent)."""
    for name in ("httpx", "httpcore", "mixframe"):
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in target.filters):
            target.addFilter(RedactSecrets())
