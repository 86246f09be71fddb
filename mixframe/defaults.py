"""The default client: the one the notebook layer uses when no ``client=`` is given.

The login widget sets it; so can :func:`set_default_client`. It is kept in this process only,
never in a DataFrame or its ``attrs`` (those are written into files).
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["get_default_client", "resolve_client", "set_default_client"]

_lock = threading.Lock()
_default: Any = None


def set_default_client(client: Any) -> None:
    """Make `client` (a :class:`~mixframe.Mixcloud` or :class:`~mixframe.MixcloudSync`) the
    default; ``None`` clears it.

    Examples
    --------
    >>> from mixframe import MixcloudSync
    >>> set_default_client(MixcloudSync())
    >>> set_default_client(None)
    """
    from .core import Mixcloud
    from .sync import MixcloudSync

    if client is not None and not isinstance(client, (Mixcloud, MixcloudSync)):
        raise TypeError(f"the default client must be a Mixcloud or MixcloudSync, "
                        f"got {type(client).__name__}")
    global _default
    with _lock:
        _default = client


def get_default_client() -> Any:
    """Return the default client, or ``None`` when none is set."""
    return _default


def resolve_client(client: Any = None) -> Any:
    """Return the async :class:`~mixframe.Mixcloud` behind `client`, else behind the default.

    Raises
    ------
    RuntimeError
        When neither is set, naming both ways to set one.
    """
    chosen = client if client is not None else _default
    if chosen is None:
        raise RuntimeError("no Mixcloud client: pass client=..., log in with "
                           "mixframe.widgets.LoginWidget, or call "
                           "mixframe.set_default_client(MixcloudSync(access_token=...))")
    from .core import Mixcloud
    from .sync import MixcloudSync

    if isinstance(chosen, MixcloudSync):
        return chosen.async_client
    if isinstance(chosen, Mixcloud):
        return chosen
    raise TypeError(f"client must be a Mixcloud or MixcloudSync, got {type(chosen).__name__}")
