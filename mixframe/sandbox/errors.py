"""Why the world refuses a lookup or a change; the API turns each into its HTTP error."""

from __future__ import annotations

__all__ = ["ActionError", "NotFound", "OAuthError", "PermissionDenied", "UploadError"]


class NotFound(LookupError):
    """No object, list or path with that key exists in the world."""


class UploadError(ValueError):
    """An upload or edit form is invalid; the message names the field at fault."""


class ActionError(ValueError):
    """An action cannot be done (for instance following oneself)."""


class PermissionDenied(Exception):
    """The user may not do this (for instance edit another user's upload)."""


class OAuthError(ValueError):
    """An OAuth request failed; ``str(error)`` is the OAuth error code, e.g. ``"invalid_grant"``."""
