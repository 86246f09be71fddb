"""What a crawl is asked to do: its seeds and the connections to follow at each hop, checked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .. import _urls
from .._api import CONNECTIONS

__all__ = ["check_connections", "hops_of", "seed_key"]


def check_connections(connections: Any) -> dict[str, tuple[str, ...]]:
    """Return the connections to follow per type, checking every name."""
    known = {name for names in CONNECTIONS.values() for name in names}
    if connections is None:
        return {}
    if isinstance(connections, str):
        connections = [name.strip() for name in connections.split(",") if name.strip()]
    if isinstance(connections, Mapping):
        per_type = {}
        for kind, names in connections.items():
            if kind not in CONNECTIONS:
                raise ValueError(f"connections: unknown resource type {kind!r}; known: "
                                 f"{', '.join(CONNECTIONS)}")
            names = [names] if isinstance(names, str) else list(names)
            unknown = [name for name in names if name not in CONNECTIONS[kind]]
            if unknown:
                raise ValueError(f"connections: {kind} has no connection {unknown[0]!r}; "
                                 f"it has {', '.join(CONNECTIONS[kind])}")
            per_type[kind] = tuple(dict.fromkeys(names))
        return per_type
    if not isinstance(connections, Iterable):
        raise TypeError("connections must be a list of names or a dict of lists by type")
    connections = list(connections)
    for name in connections:
        if not isinstance(name, str):
            raise TypeError(f"connections must be names (str), or one list or dict of names "
                            f"per hop; got {name!r} among names")
    names = list(dict.fromkeys(connections))
    for name in names:
        if name not in known:
            raise ValueError(f"connections: unknown connection {name!r}; known: "
                             f"{', '.join(sorted(known))}")
    return {kind: tuple(name for name in names if name in valid)
            for kind, valid in CONNECTIONS.items()}


def hops_of(connections: Any, depth: int) -> list[dict[str, tuple[str, ...]]]:
    """Connections to follow at each hop: the same for every hop, or one spec per hop."""
    if (isinstance(connections, (list, tuple)) and connections
            and all(not isinstance(spec, str) for spec in connections)):
        if len(connections) != depth:
            raise ValueError(f"connections gives {len(connections)} hops but depth is {depth}; "
                             f"pass depth={len(connections)}")
        return [check_connections(spec) for spec in connections]
    spec = check_connections(connections)  # checked even when depth is 0
    return [spec] * depth


def seed_key(seed: Any) -> str:
    if hasattr(seed, "data") and isinstance(getattr(seed, "data"), dict):
        seed = seed.data.get("key")
    if not isinstance(seed, str) or not seed.strip():
        raise ValueError(f"a seed must be a key, a URL or a resource, got {seed!r}")
    if seed.startswith(("http://", "https://")):
        seed = urlsplit(seed).path
    return _urls.normalize_key(seed)
