"""What a crawl collected, its export to Parquet or CSV, and reading an export back."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import frames
from .._api import TABLES
from ._tables import EDGE_COLUMNS, FAILURE_COLUMNS, typed_frame

__all__ = ["CrawlResult", "read_crawl"]


@dataclass
class CrawlResult:
    """What a crawl collected.

    Attributes
    ----------
    tables : dict of str to DataFrame
        One table per resource type met (``users``, ``cloudcasts``, ``tags``, ``comments``,
        ``feed``...); each is also an attribute (``result.users``). A type not met gives an
        empty table with the type's columns.
    edges : DataFrame
        ``source_key``, ``connection``, ``target_key``, ``position`` (the target's index in the
        source's list): one row per list entry.
    failures : DataFrame
        ``url`` (secrets removed), ``status``, ``error``: URLs that still failed after the
        client's retries. Nothing failed silently.
    stats : dict
        ``requests``, ``pages``, ``pages_from_store``, ``items``, ``edges``, ``failures``,
        ``retries``, ``rate_limit_waits``, ``stopped_at_max_items`` (``True`` when the crawl
        met more resources than ``max_items`` and left them out: the tables hold the first
        ``max_items`` of the crawl's fixed order, not everything `depth` reaches),
        ``elapsed_s``.
    """

    tables: dict[str, pd.DataFrame]
    edges: pd.DataFrame
    failures: pd.DataFrame
    stats: dict[str, Any]

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        kinds = {table: kind for kind, table in TABLES.items()}
        if name in kinds:
            return frames.to_frame([], type=kinds[name])
        raise AttributeError(f"'CrawlResult' object has no attribute {name!r}")

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame)}" for name, frame in self.tables.items())
        return (f"<CrawlResult {sizes}, edges={len(self.edges)}, "
                f"failures={len(self.failures)}>")

    def _frames(self) -> dict[str, pd.DataFrame]:
        return {**self.tables, "edges": self.edges, "failures": self.failures}

    def _write(self, directory: str | os.PathLike, suffix: str, write) -> Path:
        folder = Path(directory)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, frame in self._frames().items():
                write(frame, folder / f"{name}.{suffix}")
            (folder / "stats.json").write_text(json.dumps(self.stats, indent=2))
        except OSError as error:
            raise OSError(f"cannot write the crawl to {str(folder)!r}: {error.strerror or error}"
                          ) from error
        return folder

    def to_parquet(self, directory: str | os.PathLike) -> Path:
        """Write one Parquet file per table (and ``stats.json``) into `directory`."""
        return self._write(directory, "parquet", lambda frame, path: frame.to_parquet(path))

    def to_csv(self, directory: str | os.PathLike) -> Path:
        """Write one CSV file per table (and ``stats.json``) into `directory`."""
        return self._write(directory, "csv", lambda frame, path: frame.to_csv(path, index=False))


def read_crawl(directory: str | os.PathLike) -> CrawlResult:
    """Load a crawl written by :meth:`CrawlResult.to_parquet` or :meth:`CrawlResult.to_csv`,
    with the same dtypes."""
    folder = Path(directory)
    files = {path.stem: path for path in folder.glob("*.parquet")}
    if not files:
        files = {path.stem: path for path in folder.glob("*.csv")}
    if "edges" not in files:
        raise FileNotFoundError(f"no crawl written in {str(folder)!r} (no edges.parquet or "
                                "edges.csv)")
    kinds = {table: kind for kind, table in TABLES.items()}

    def load(name: str, path: Path) -> pd.DataFrame:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if name == "edges":
            return pd.read_csv(path).astype(EDGE_COLUMNS)
        if name == "failures":
            return pd.read_csv(path).astype(FAILURE_COLUMNS)
        return frames.read_csv(path, type=kinds.get(name))

    loaded = {name: load(name, path) for name, path in files.items()}
    stats_file = folder / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    edges, failures = loaded.pop("edges"), loaded.pop("failures", typed_frame([], FAILURE_COLUMNS))
    return CrawlResult(loaded, edges, failures, stats)
