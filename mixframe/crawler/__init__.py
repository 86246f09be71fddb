"""The crawler: walk resources, their connections and every page of each list into tables.

:func:`crawl` (blocking) and :func:`acrawl` (``await``) start from seeds, fetch their details,
then walk the requested connections breadth first, ``depth`` hops out, walking every list with
the client's pager (:class:`mixframe.paging.ListWalk`, so by its stop rules). Every raw page is
checked, then committed to an SQLite store as it arrives; the tables are derived from the
stored pages, so an interrupted crawl (Ctrl-C, a crash, ``kill -9``) resumes where it stopped
with the same call: no stored page is fetched again, nothing is lost or duplicated. A page of
the wrong shape is a failure, not a crash. Resources are kept in a fixed order (level, then
the order lists were found, then position in the list), so the same command gives the same
tables whatever the timing. With ``details=True`` every resource kept also gets its detail
page, so rows are full; every row says when and from which page it was fetched
(``fetched_at``, ``fetched_from``). ``refresh=True`` brings a finished crawl's store up to date
for the cost of what changed: each list is walked again from its first page up to what the
store holds.
One crawl runs on a store at a time. An export (:meth:`CrawlResult.to_parquet`,
:meth:`CrawlResult.to_csv`) is a folder holding one whole crawl and its ``manifest.json``, or
nothing new at all.

Examples
--------
>>> result = crawl(["spartacus"], connections=[["followers"], ["cloudcasts"]], depth=2,
...                details=True, store="spartacus.sqlite")         # doctest: +SKIP
>>> result.users.head()                                            # doctest: +SKIP
>>> result.edges.groupby("connection").size()                      # doctest: +SKIP
>>> result.to_parquet("out/")                                      # doctest: +SKIP
"""

from .._api import CONNECTIONS
from ._result import CrawlResult, ExportError, read_crawl
from ._run import acrawl, crawl
from ._store import NotAStoreError, StoreError, StoreLockedError, StoreMismatchError

__all__ = ["CONNECTIONS", "CrawlResult", "ExportError", "NotAStoreError", "StoreError",
           "StoreLockedError", "StoreMismatchError", "acrawl", "crawl", "read_crawl"]
