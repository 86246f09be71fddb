"""Logging: the ``mixframe`` logger, and redaction of secrets in httpx's request log lines.

httpx logs every request URL at INFO level on the ``httpx`` logger; Mixcloud takes the access
token as a query parameter, so without this filter ``logging.basicConfig(level="INFO")`` would
print it.
"""

from __future__ import annotations

import logging

from ._urls import SECRET_PARAMS, redact

logger = logging.getLogger("mixframe")


class RedactSecrets(logging.Filter):
    """Mask the values of secret query parameters in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(str(arg)) if any(name in str(arg) for name in
                                                        SECRET_PARAMS) else arg
                                for arg in args)
        if isinstance(record.msg, str) and any(name in record.msg for name in SECRET_PARAMS):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Attach the redacting filter to the loggers of the HTTP stack (idempotent)."""
    for name in ("httpx", "httpcore", "mixframe"):
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in target.filters):
            target.addFilter(RedactSecrets())
