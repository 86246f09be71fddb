"""The crawl's tables, derived from the entries it keeps: one per resource type, the tidy side
tables (a show's tags), the edges and the failures, with fixed columns.

Every resource table says where each row comes from: ``fetched_at`` (when its page was
fetched, UTC) and ``fetched_from`` (that page's URL, without secrets), right after the type's
schema columns.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import frames
from .._api import TABLES, table_type

if TYPE_CHECKING:
    from ._walk import Entry

__all__ = ["CHUNK", "EDGE_COLUMNS", "FAILURE_COLUMNS", "OTHER", "PROVENANCE_COLUMNS",
           "SIDE_TABLES", "build_tables", "resource_frame", "side_frame", "table_kind",
           "typed_frame"]

EDGE_COLUMNS = {"source_key": "string", "connection": "string", "target_key": "string",
                "position": "Int64"}
FAILURE_COLUMNS = {"url": "string", "status": "Int64", "error": "string"}
#: Where a resource table's row comes from, after the type's schema columns.
PROVENANCE_COLUMNS = {"fetched_at": "datetime64[us, UTC]", "fetched_from": "string"}
#: Tidy tables a crawl builds beside its resource tables: name -> (resource type, the name of
#: its side table in :func:`mixframe.frames.side_tables`).
SIDE_TABLES = {"cloudcast_tags": ("cloudcast", "tags")}
OTHER = "other"  # table kind of items of types we do not know


def table_kind(item_type: Any) -> str:
    """The table kind of an item: its resource type, or ``"other"`` for a type we do not know
    (never a name the server chose: table and file names come from the vocabulary)."""
    return table_type(item_type) or OTHER


def typed_frame(rows: list, columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


def resource_frame(records: list[dict[str, Any]], kind: str, fetched_at: list[str | None],
                   fetched_from: list[str | None]) -> pd.DataFrame:
    """The table of `records` of type `kind` (:func:`mixframe.frames.to_frame`) with where
    each comes from: ``fetched_at`` (store time stamps) and ``fetched_from`` (page URLs)."""
    frame = frames.to_frame(records, type=kind)
    for name in PROVENANCE_COLUMNS:  # a field of the records by that name keeps its values
        if name in frame.columns:
            frame = frame.rename(columns={name: f"{name}_1"})
    at = len(frames.schema(kind))
    times = pd.to_datetime(pd.Series(fetched_at, dtype="string"), utc=True, format="ISO8601")
    frame.insert(at, "fetched_at", times.dt.as_unit("us").array)
    frame.insert(at + 1, "fetched_from", pd.array(fetched_from, dtype="string"))
    return frame


def side_frame(name: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    """The side table `name` (see :data:`SIDE_TABLES`) of `records`."""
    kind, side = SIDE_TABLES[name]
    return frames.side_tables(records, kind)[side]


CHUNK = 20_000  # records flattened at a time: bounds the memory of building the tables


async def build_tables(entries: AsyncIterable[Entry]) -> tuple[dict[str, pd.DataFrame],
                                                              dict[str, pd.DataFrame],
                                                              pd.DataFrame]:
    """Derive the resource tables, their side tables and the edges from the entries a crawl
    keeps, in their order (:meth:`Walk.kept <mixframe.crawler._walk.Walk.kept>`): a resource's
    row is its first sighting; every list entry is an edge."""
    pending: dict[str, list[Entry]] = {}
    parts: dict[str, list[pd.DataFrame]] = {}
    edges: dict[str, list] = {column: [] for column in EDGE_COLUMNS}

    def flush(kind: str) -> None:
        rows = pending.pop(kind, [])
        if rows:
            records = [entry.item for entry in rows]
            parts.setdefault(kind, []).append(resource_frame(
                records, kind, [entry.fetched_at for entry in rows],
                [entry.fetched_from for entry in rows]))
            for name, (side_kind, _) in SIDE_TABLES.items():
                if side_kind == kind:
                    parts.setdefault(name, []).append(side_frame(name, records))

    async for entry in entries:
        if entry.new:
            kind = table_kind(entry.item.get("type"))
            pending.setdefault(kind, []).append(entry)
            if len(pending[kind]) >= CHUNK:
                flush(kind)
        if entry.connection is not None:
            for column, value in zip(edges, (entry.source_key, entry.connection,
                                             entry.item["key"], entry.position)):
                edges[column].append(value)
    for kind in list(pending):
        flush(kind)
    joined = {name: (chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True))
              for name, chunks in parts.items()}
    side = {name: joined.pop(name) for name in SIDE_TABLES if name in joined}
    tables = {TABLES.get(kind, OTHER): frame for kind, frame in joined.items()}
    return tables, side, pd.DataFrame(edges).astype(EDGE_COLUMNS)
