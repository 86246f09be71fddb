"""What a crawl collected, its export to Parquet or CSV, and reading an export back.

An export is a folder holding one file per table and ``manifest.json``, written last: the
tables with their files, row counts and sizes, the format, the export's schema version,
mixframe's version, when it was written and the crawl's stats. The tables are written into a
staging folder inside the target first; only once they are all written does the swap begin:
the old manifest goes (from then on the folder reads as incomplete), the old tables go, the
new ones move in and the new manifest comes last. So a folder read by :func:`read_crawl` holds
exactly one whole crawl, whatever interrupted the export (Ctrl-C, SIGKILL, a full disk).
"""

from __future__ import annotations

import base64
import errno
import html
import json
import os
import shutil
import tempfile
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.compute as pa_compute
import pyarrow.parquet as pq

from .._api import TABLES
from .._redact import redact
from ._lock import FileLock
from ._tables import OTHER, SIDE_TABLES, resource_frame, side_frame

__all__ = ["EXPORT_SCHEMA_VERSION", "ExportError", "MANIFEST", "CrawlResult", "read_crawl"]

#: The file an export is read through, written last.
MANIFEST = "manifest.json"
#: Version of the export's layout and manifest; a newer one is refused by :func:`read_crawl`.
EXPORT_SCHEMA_VERSION = 1
FORMATS = ("parquet", "csv")
_STAGING = ".mixframe-export-"  # staging folders inside the target, removed on every export
_LOCK = ".mixframe-export-lock"  # one export into a folder at a time
#: Cells starting with one of these are formulas to a spreadsheet; spreadsheet-safe CSV
#: prefixes them with a quote (and a cell starting with a quote too, so it reads back exactly).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_FIXED = ("edges", "failures")  # tables every crawl has besides the resource tables
_CAUSES_SHOWN = 20  # failure causes in the HTML display, most frequent first


class ExportError(ValueError):
    """A folder that does not hold one whole crawl export: no manifest (an export from before
    manifests, or an interrupted one), or files that disagree with it."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class CrawlResult:
    """What a crawl collected.

    Attributes
    ----------
    tables : dict of str to DataFrame
        One table per resource type (``users``, ``cloudcasts``, ``tags``, ``comments``,
        ``feed``, ``playlists``, ``categories``, and ``other`` for items of unknown types when
        there are some); a type not met has an empty table with the type's columns. Each is
        also an attribute (``result.users``). After the type's columns come ``fetched_at``
        (when the row's page was fetched, UTC) and ``fetched_from`` (that page's URL: the
        resource's detail page, or the list page it was first met on).
    edges : DataFrame
        ``source_key``, ``connection``, ``target_key``, ``position`` (the target's index in the
        source's list): one row per list entry.
    failures : DataFrame
        ``url`` (secrets removed), ``status``, ``error``: URLs that still failed after the
        client's retries. Nothing failed silently; :meth:`failure_causes` groups them.
    stats : dict
        ``requests``, ``pages``, ``pages_from_store``, ``items``, ``edges``, ``failures``,
        ``retries``, ``rate_limit_waits``, ``stopped_at_max_items`` (``True`` when the crawl
        met more resources than ``max_items`` and left them out: the tables hold the first
        ``max_items`` of the crawl's fixed order, not everything `depth` reaches),
        ``elapsed_s``; crawls also give ``details`` (detail pages fetched, the seeds'
        included) and ``refreshes`` (how many refreshes the tables include).
    side_tables : dict of str to DataFrame
        Tidy tables beside the resource tables: ``cloudcast_tags`` (``cloudcast_key``,
        ``position``, ``tag_key``, ``tag_name``: one row per show and tag, in the show's
        order). Each is also an attribute (``result.cloudcast_tags``).

    Examples
    --------
    >>> result = CrawlResult({}, pd.DataFrame(), pd.DataFrame(), {})
    >>> result
    <CrawlResult edges=0, failures=0>
    >>> result.users.columns[0], len(result.users)
    ('key', 0)
    """

    tables: dict[str, pd.DataFrame]
    edges: pd.DataFrame
    failures: pd.DataFrame
    stats: dict[str, Any]
    side_tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every resource table, in the vocabulary's order, so that exports always hold them all.
        given = dict(self.tables)
        tables = {name: given.pop(name, None) for name in TABLES.values()}
        for kind, name in TABLES.items():
            if tables[name] is None:
                tables[name] = resource_frame([], kind, [], [])
        self.tables = {**tables, **given}
        self.side_tables = {name: self.side_tables.get(name, side_frame(name, []))
                            for name in SIDE_TABLES}

    def __getattr__(self, name: str) -> pd.DataFrame:
        for held in ("tables", "side_tables"):
            tables = self.__dict__.get(held, {})
            if name in tables:
                return tables[name]
        raise AttributeError(f"'CrawlResult' object has no attribute {name!r}")

    def __repr__(self) -> str:
        sizes = [f"{name}={len(frame)}" for name, frame in
                 {**self.tables, **self.side_tables}.items() if len(frame)]
        sizes += [f"edges={len(self.edges)}", f"failures={len(self.failures)}"]
        return f"<CrawlResult {', '.join(sizes)}>"

    def failure_causes(self) -> pd.DataFrame:
        """The failures grouped by cause: ``status``, ``error``, ``urls`` (how many URLs
        failed so) and ``example`` (one of them), most frequent first.

        Examples
        --------
        >>> failures = pd.DataFrame({"url": ["http://x/a/", "http://x/b/"],
        ...                          "status": [500, 500], "error": ["down", "down"]})
        >>> CrawlResult({}, pd.DataFrame(), failures, {}).failure_causes().to_dict("records")
        [{'status': 500, 'error': 'down', 'urls': 2, 'example': 'http://x/a/'}]
        """
        columns = ["status", "error", "urls", "example"]
        if self.failures.empty:
            return pd.DataFrame(columns=columns)
        grouped = self.failures.groupby(["status", "error"], dropna=False, sort=False)
        causes = grouped.agg(urls=("url", "size"), example=("url", "first")).reset_index()
        return causes.sort_values("urls", ascending=False, kind="stable",
                                  ignore_index=True)[columns]

    def _repr_html_(self) -> str:
        def cell(value: Any, align: str = "left") -> str:
            return f'<td style="text-align:{align}">{html.escape(redact(str(value)))}</td>'

        rows = "".join(f"<tr>{cell(name)}{cell(len(frame), 'right')}"
                       f"{cell(len(frame.columns), 'right')}</tr>"
                       for name, frame in self._frames().items())
        parts = ['<div class="mixframe-crawl"><strong>CrawlResult</strong>',
                 "<table><thead><tr><th>table</th><th>rows</th><th>columns</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>"]
        causes = self.failure_causes()
        if len(causes):
            lines = "".join(f"<tr>{cell(cause.urls, 'right')}"
                            f"{cell('no answer' if pd.isna(cause.status) else cause.status)}"
                            f"{cell(cause.error)}{cell(cause.example)}</tr>"
                            for cause in causes.head(_CAUSES_SHOWN).itertuples())
            more = (f"<p>... and {len(causes) - _CAUSES_SHOWN} more causes</p>"
                    if len(causes) > _CAUSES_SHOWN else "")
            failed = len(self.failures)
            parts.append(f'<p style="color:#b00020">{failed} URL{"" if failed == 1 else "s"} '
                         'failed:</p>'
                         "<table><thead><tr><th>URLs</th><th>status</th><th>error</th>"
                         f"<th>for example</th></tr></thead><tbody>{lines}</tbody></table>"
                         f"{more}")
        stats = self.stats
        if stats:
            shown = [f"{stats.get(name, 0)} {label}" for name, label in (
                ("requests", "requests"), ("pages", "pages fetched"),
                ("pages_from_store", "from the store"), ("retries", "retries"),
                ("rate_limit_waits", "rate-limit waits"))]
            shown.append(f"{stats.get('elapsed_s', 0):.1f} s")
            parts.append(f"<p>{html.escape(', '.join(shown))}</p>")
        if stats.get("stopped_at_max_items"):
            parts.append("<p><strong>stopped at max_items: the crawl is incomplete</strong></p>")
        return "".join(parts) + "</div>"

    def _frames(self) -> dict[str, pd.DataFrame]:
        return {**self.tables, **self.side_tables, "edges": self.edges,
                "failures": self.failures}

    def to_parquet(self, directory: str | os.PathLike) -> Path:
        """Write the crawl into `directory` (created if need be): one Parquet file per table
        and ``manifest.json``, replacing any crawl exported there before as a whole.

        Returns
        -------
        pathlib.Path
            The folder, for :func:`read_crawl`.

        Raises
        ------
        OSError
            When a file cannot be written (a full disk...): the folder keeps the export it
            held before.
        """
        return self._export(directory, "parquet", spreadsheet_safe=False)

    def to_csv(self, directory: str | os.PathLike, *, spreadsheet_safe: bool = False) -> Path:
        """Write the crawl into `directory` (created if need be): one CSV file per table and
        ``manifest.json``, replacing any crawl exported there before as a whole.

        Missing values are empty cells; text is quoted (an empty text is ``""``), so that
        :func:`read_crawl` gives back exactly the tables written, names such as ``"NA"`` or
        ``"null"`` included.

        Parameters
        ----------
        spreadsheet_safe : bool
            Prefix text cells that a spreadsheet would take for a formula (starting with
            ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) with ``'``, and a cell
            starting with ``'`` with another, so that opening the file in Excel or LibreOffice
            runs nothing. A spreadsheet then shows that quote; :func:`read_crawl` removes it
            and gives back the values as crawled.

        Examples
        --------
        >>> result.to_csv("spartacus-csv/", spreadsheet_safe=True)   # doctest: +SKIP
        """
        return self._export(directory, "csv", spreadsheet_safe=spreadsheet_safe)

    def _export(self, directory: str | os.PathLike, fmt: str, *,
                spreadsheet_safe: bool) -> Path:
        folder = Path(directory)
        swapping = False
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(folder / _LOCK)
            lock.acquire(wait=True)
            try:
                _check_target(folder)
                for stale in folder.glob(_STAGING + "*"):  # left by a killed export
                    shutil.rmtree(stale, ignore_errors=True)
                staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=folder))
                try:
                    manifest = self._stage(staging, fmt, spreadsheet_safe)
                    swapping = True
                    _swap(folder, staging, manifest)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
            finally:
                lock.release()
        except OSError as error:
            kept = ("it holds no complete export now: export again" if swapping else
                    "what it held before is unchanged")
            raise OSError(error.errno, f"cannot write the crawl to {str(folder)!r}: "
                          f"{error.strerror or error}; {kept}") from error
        return folder

    def _stage(self, staging: Path, fmt: str, spreadsheet_safe: bool) -> dict[str, Any]:
        """Write every table and the manifest into `staging`; return the manifest."""
        from .. import __version__

        tables = {}
        for name, frame in self._frames().items():
            path = staging / f"{name}.{fmt}"
            table = pa.Table.from_pandas(frame, preserve_index=False)
            entry: dict[str, Any] = {"file": path.name, "rows": len(frame)}
            if fmt == "parquet":
                pq.write_table(table, path)
            else:
                entry["arrow_schema"] = base64.b64encode(
                    table.schema.serialize().to_pybytes()).decode()
                pa_csv.write_csv(_as_text(table, spreadsheet_safe), path)
            entry["bytes"] = path.stat().st_size
            entry["attrs"] = json.loads(json.dumps(frame.attrs, default=str))
            tables[name] = entry
        manifest = {"format": fmt, "schema_version": EXPORT_SCHEMA_VERSION,
                    "mixframe_version": __version__, "created_at": _now(),
                    "tables": tables, "stats": self.stats}
        if fmt == "csv":
            manifest["spreadsheet_safe"] = spreadsheet_safe
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        for path in staging.iterdir():  # on disk before the old export goes
            with open(path, "rb") as file:
                os.fsync(file.fileno())
        return manifest


def _exported_files(folder: Path) -> set[Path]:
    """Files of a crawl exported into `folder` before: those its manifest lists, and any
    table file of ours (exports from before manifests had none)."""
    names = set(TABLES.values()) | {OTHER, *SIDE_TABLES, *_FIXED}
    files = {folder / f"{name}.{suffix}" for name in names for suffix in FORMATS}
    files.add(folder / "stats.json")  # written beside the tables before manifests
    try:
        listed = json.loads((folder / MANIFEST).read_text())["tables"].values()
        files |= {folder / entry["file"] for entry in listed
                  if Path(str(entry["file"])).name == entry["file"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return {path for path in files if path.is_file()}


def _check_target(folder: Path) -> None:
    """Refuse to export into a folder whose ``manifest.json`` is not one of ours."""
    path = folder / MANIFEST
    if not path.exists():
        return
    try:
        ours = {"format", "schema_version", "mixframe_version", "tables"} <= json.loads(
            path.read_text()).keys()
    except (ValueError, AttributeError):
        ours = False
    if not ours:
        raise FileExistsError(errno.EEXIST, f"{str(path)!r} is not a mixframe crawl manifest; "
                              "export the crawl into another folder")


def _swap(folder: Path, staging: Path, manifest: dict[str, Any]) -> None:
    """Replace the crawl exported in `folder` by the one staged, manifest last."""
    old = _exported_files(folder)
    (folder / MANIFEST).unlink(missing_ok=True)  # from here the folder reads as incomplete
    for path in old:
        path.unlink()
    for entry in manifest["tables"].values():
        os.replace(staging / entry["file"], folder / entry["file"])
    os.replace(staging / MANIFEST, folder / MANIFEST)
    if hasattr(os, "O_DIRECTORY"):  # the renames on disk too
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _as_text(table: pa.Table, spreadsheet_safe: bool) -> pa.Table:
    """`table` as CSV can hold it: nested values as JSON text, and text made
    spreadsheet-safe if asked."""
    for index, field in enumerate(table.schema):
        column = table.column(index)
        if pa.types.is_nested(field.type):
            column = pa.array([None if value is None else json.dumps(value, ensure_ascii=False)
                               for value in column.to_pylist()], pa.large_string())
        elif spreadsheet_safe and _is_text(field.type):
            risky = pa_compute.starts_with(column, _FORMULA_STARTS[0])
            for start in _FORMULA_STARTS[1:]:
                risky = pa_compute.or_(risky, pa_compute.starts_with(column, start))
            quoted = pa_compute.binary_join_element_wise(
                pa.scalar("'", field.type), column, pa.scalar("", field.type))
            column = pa_compute.if_else(risky, quoted, column)
        else:
            continue
        table = table.set_column(index, field.name, column)
    return table


def _read_csv(path: Path, schema: pa.Schema, spreadsheet_safe: bool) -> pa.Table:
    """Read a table written by :func:`_as_text` and ``write_csv`` back as `schema`."""
    kinds = {field.name: pa.large_string() if pa.types.is_nested(field.type) else field.type
             for field in schema}
    table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(
        column_types=kinds, include_columns=list(kinds), null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=False))
    columns = []
    for field in schema:
        column = table.column(field.name)
        if pa.types.is_nested(field.type):
            column = pa.array([None if text is None else json.loads(text)
                               for text in column.to_pylist()], field.type)
        elif spreadsheet_safe and _is_text(field.type):
            column = pa_compute.if_else(pa_compute.starts_with(column, "'"),
                                        pa_compute.utf8_slice_codeunits(column, 1), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """The frame a table was made from: pandas' dtypes from the table's metadata, nested
    values (lists, structs) as pyarrow-backed columns."""
    return table.to_pandas(
        types_mapper=lambda kind: pd.ArrowDtype(kind) if pa.types.is_nested(kind) else None)


def _incomplete(folder: Path, why: str) -> ExportError:
    return ExportError(
        f"{str(folder)!r} does not hold a complete crawl export: {why}. Export it again from "
        "its store: run the same crawl (or `mixframe crawl` command) with the same store; it "
        "makes no request and writes the folder anew")


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise FileNotFoundError(f"no crawl written in {str(folder)!r}: no such folder")
    if not path.exists():
        has_tables = any(folder.glob("*.parquet")) or any(folder.glob("*.csv"))
        raise _incomplete(folder, f"no {MANIFEST} (an export from before mixframe wrote one, "
                                  "or an interrupted export)" if has_tables else
                          f"no {MANIFEST}, no tables")
    try:
        manifest = json.loads(path.read_text())
        tables, fmt = manifest["tables"], manifest["format"]
        version = manifest["schema_version"]
        if not isinstance(manifest["stats"], dict) or fmt not in FORMATS or not all(
                isinstance(entry["file"], str) and isinstance(entry["rows"], int)
                and isinstance(entry["bytes"], int) for entry in tables.values()):
            raise ValueError("bad entries")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise _incomplete(folder, f"its {MANIFEST} is unreadable ({error})") from None
    if not isinstance(version, int) or version > EXPORT_SCHEMA_VERSION:
        raise ExportError(f"{str(folder)!r} was exported by a newer mixframe (export schema "
                          f"{version}; this one reads up to {EXPORT_SCHEMA_VERSION}): "
                          "upgrade mixframe to read it")
    missing = [name for name in _FIXED if name not in tables]
    if missing:
        raise _incomplete(folder, f"its {MANIFEST} lists no {missing[0]} table")
    return manifest


def read_crawl(directory: str | os.PathLike) -> CrawlResult:
    """Load a crawl written by :meth:`CrawlResult.to_parquet` or :meth:`CrawlResult.to_csv`:
    the same tables, values, dtypes and stats.

    Raises
    ------
    FileNotFoundError
        No such folder.
    ExportError
        The folder holds no complete export: no ``manifest.json`` (an export from before
        mixframe wrote one, or one interrupted), or files that disagree with it (missing,
        another size or row count). Export it again from the crawl's store.
    """
    folder = Path(directory)
    manifest = _manifest(folder)
    loaded = {}
    for name, entry in manifest["tables"].items():
        path = folder / entry["file"]
        if Path(entry["file"]).name != entry["file"] or not path.is_file():
            raise _incomplete(folder, f"{entry['file']} is missing")
        if path.stat().st_size != entry["bytes"]:
            raise _incomplete(folder, f"{entry['file']} has {path.stat().st_size} bytes, "
                                      f"the manifest says {entry['bytes']}")
        try:
            if manifest["format"] == "parquet":
                table = pq.read_table(path)
            else:
                schema = pa.ipc.read_schema(pa.py_buffer(
                    base64.b64decode(entry["arrow_schema"])))
                table = _read_csv(path, schema, manifest.get("spreadsheet_safe", False))
        except (pa.ArrowException, OSError, ValueError, KeyError) as error:
            raise _incomplete(folder, f"{entry['file']} is unreadable ({error})") from None
        if table.num_rows != entry["rows"]:
            raise _incomplete(folder, f"{entry['file']} has {table.num_rows} rows, the "
                                      f"manifest says {entry['rows']}")
        frame = _to_pandas(table)
        frame.attrs = entry.get("attrs") or {}
        loaded[name] = frame
    edges, failures = loaded.pop("edges"), loaded.pop("failures")
    side = {name: loaded.pop(name) for name in SIDE_TABLES if name in loaded}
    return CrawlResult(loaded, edges, failures, manifest["stats"], side)
