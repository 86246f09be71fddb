"""The crawl's tables, derived from the entries it keeps: one per resource type, the edges and
the failures, with fixed columns."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import frames
from .._api import TABLES, table_type

if TYPE_CHECKING:
    from ._walk import Entry

__all__ = ["CHUNK", "EDGE_COLUMNS", "FAILURE_COLUMNS", "OTHER", "build_tables", "table_kind",
           "typed_frame"]

EDGE_COLUMNS = {"source_key": "string", "connection": "string", "target_key": "string",
                "position": "Int64"}
FAILURE_COLUMNS = {"url": "string", "status": "Int64", "error": "string"}
OTHER = "other"  # table kind of items of types we do not know


def table_kind(item_type: Any) -> str:
    """The table kind of an item: its resource type, or ``"other"`` for a type we do not know
    (never a name the server chose: table and file names come from the vocabulary)."""
    return table_type(item_type) or OTHER


def typed_frame(rows: list, columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


CHUNK = 20_000  # records flattened at a time: bounds the memory of building the tables


async def build_tables(entries: AsyncIterable[Entry]) -> tuple[dict[str, pd.DataFrame],
                                                              pd.DataFrame]:
    """Derive the resource tables and the edges from the entries a crawl keeps, in their
    order (:meth:`Walk.kept <mixframe.crawler._walk.Walk.kept>`): a resource's row is its
    first sighting; every list entry is an edge."""
    pending: dict[str, list[dict]] = {}
    parts: dict[str, list[pd.DataFrame]] = {}
    edges: dict[str, list] = {column: [] for column in EDGE_COLUMNS}

    def flush(kind: str) -> None:
        rows = pending.pop(kind, [])
        if rows:
            parts.setdefault(kind, []).append(frames.to_frame(rows, type=kind))

    async for source_key, connection, position, item, new in entries:
        if new:
            kind = table_kind(item.get("type"))
            pending.setdefault(kind, []).append(item)
            if len(pending[kind]) >= CHUNK:
                flush(kind)
        if connection is not None:
            for column, value in zip(edges, (source_key, connection, item["key"], position)):
                edges[column].append(value)
    for kind in list(pending):
        flush(kind)
    tables = {TABLES.get(kind, OTHER): (chunks[0] if len(chunks) == 1 else
                                       pd.concat(chunks, ignore_index=True))
              for kind, chunks in parts.items()}
    return tables, pd.DataFrame(edges).astype(EDGE_COLUMNS)
