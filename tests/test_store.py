"""The crawl's store under abuse: two crawls at once, another application's database, a store
from before stores were marked, a damaged store, a full disk, the settings of another crawl.
Each refusal is typed, says what to do, and changes nothing."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ground_truth
from mixframe.crawler._store import SCHEMA_VERSION
from mixframe import (NotAStoreError, RetryPolicy, StoreError, StoreLockedError,
                      StoreMismatchError, crawl, read_crawl, sandbox)

FAST = RetryPolicy(retries=8, backoff=0.001, backoff_max=0.01)
PER_TYPE = {"user": ("followers", "cloudcasts")}


def options(app, **extra):
    return {**sandbox.roots(sandbox.IN_PROCESS_URL), "transport": sandbox.transport(app),
            "retries": FAST, **extra}


def crawled(result):
    keys = set().union(*(set(frame["key"]) for frame in result.tables.values()))
    return keys, set(result.edges.itertuples(index=False, name=None))


def stored_pages(store) -> int:
    try:
        with contextlib.closing(sqlite3.connect(store)) as db:
            return db.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.Error:  # not made yet
        return 0


def run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "mixframe", "crawl", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


# -- one crawl per store ----------------------------------------------------------------------

def test_a_second_crawl_on_a_store_in_use_is_refused_at_once_and_changes_nothing(tmp_path):
    app = sandbox.app(seed=0, latency=0.01)
    store = tmp_path / "crawl.sqlite"
    seeds = ["NTSRadio", "spartacus"]
    first: dict = {}

    def run_first():
        try:
            first["result"] = crawl(seeds, connections=PER_TYPE, depth=2, store=store,
                                    progress=False, concurrency=2, **options(app))
        except BaseException as error:  # reported by the assertions below
            first["error"] = error

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        while stored_pages(store) < 5:
            assert thread.is_alive(), first
            time.sleep(0.01)
        requests = app.request_count
        started = time.monotonic()
        with pytest.raises(StoreLockedError) as refused:
            crawl(["someone-else"], connections=["followers"], store=store, resume=False,
                  progress=False, **options(app))
        assert time.monotonic() - started < 5  # at once, not after the first crawl
    finally:
        thread.join()
    message = str(refused.value)
    assert "in use by another crawl" in message
    assert f"process {os.getpid()} on host {socket.gethostname()!r} since " in message
    assert refused.value.holder["pid"] == os.getpid()
    assert app.request_count >= requests  # the refused crawl sent nothing of its own
    assert not any("someone-else" in r.path for r in app.requests)
    assert "error" not in first, first
    # The first crawl lost nothing: the refusal neither emptied its frontier nor its pages.
    assert crawled(first["result"]) == ground_truth(app.world, ["/NTSRadio/", "/spartacus/"],
                                                    [PER_TYPE] * 2)[:2]
    assert len(first["result"].failures) == 0
    assert not (tmp_path / "crawl.sqlite-lock").exists()  # released with the store
    again = crawl(seeds, connections=PER_TYPE, depth=2, store=store, progress=False,
                  **options(app))
    assert again.stats["requests"] == 0


def test_two_command_line_crawls_on_one_store(tmp_path):
    """Two processes: the second is refused with exit 3, naming the first's pid."""
    app = sandbox.app(seed=0, latency=0.01)
    store, out = tmp_path / "crawl.sqlite", tmp_path / "out"
    with sandbox.serve(app) as url:
        args = ["NTSRadio", "spartacus", "--api-root", url, "--depth", "2", "--store", store,
                "--out", out, "--no-progress", "--concurrency", "2"]
        first = subprocess.Popen([sys.executable, "-m", "mixframe", "crawl", *map(str, args)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while stored_pages(store) < 3:
                assert first.poll() is None and time.monotonic() < deadline
                time.sleep(0.01)
            second = run_cli(*args, "--restart", "--out", tmp_path / "other")
            assert first.poll() is None, "the first crawl must still be running"
        finally:
            out_first, err_first = first.communicate(timeout=300)
    assert second.returncode == 3, second.stderr
    assert f"in use by another crawl (process {first.pid} on host" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (tmp_path / "other").exists()
    assert first.returncode == 0, err_first
    per_type = {"user": ("followers", "cloudcasts")}
    keys, edges, _ = ground_truth(sandbox.World(seed=0), ["/NTSRadio/", "/spartacus/"],
                                  [per_type] * 2)
    assert crawled(read_crawl(out)) == (keys, edges)


# -- never touch a database that is not ours --------------------------------------------------

def foreign_database(path: Path) -> bytes:
    """Another application's SQLite file, with tables named like ours."""
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE pages (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
            CREATE TABLE failures (id INTEGER PRIMARY KEY, reason TEXT);
            INSERT INTO pages (title, body) VALUES ('home', 'welcome'), ('about', 'us');
            INSERT INTO failures (reason) VALUES ('disk');
        """)
    db.close()
    return path.read_bytes()


def test_another_applications_database_is_refused_and_left_byte_identical(sb, tmp_path):
    other = tmp_path / "other.db"
    before = foreign_database(other)
    for resume in (True, False):
        with pytest.raises(NotAStoreError, match="is not a mixframe crawl store"):
            crawl("spartacus", store=other, resume=resume, progress=False, **options(sb))
    assert sb.request_count == 0
    run = run_cli("spartacus", "--sandbox", "--store", other, "--out", tmp_path / "out",
                  "--restart", "--no-progress")
    assert run.returncode == 3 and "is not a mixframe crawl store" in run.stderr
    assert "left untouched" in run.stderr and "Traceback" not in run.stderr
    assert other.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other.db"]  # no -wal, no out
    with sqlite3.connect(other) as db:
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == 2
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_file_that_is_no_database_is_refused_untouched(sb, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello " * 1000)
    with pytest.raises(NotAStoreError, match="not a mixframe crawl store"):
        crawl("spartacus", store=notes, progress=False, **options(sb))
    assert notes.read_text() == "hello " * 1000
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_a_store_written_before_stores_were_marked_is_accepted_and_marked(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    first = crawl("spartacus", connections=["followers"], store=store, progress=False,
                  **options(sb))
    with sqlite3.connect(store) as db:  # what the previous version wrote: no marker
        db.execute("PRAGMA application_id = 0")
        db.execute("DELETE FROM meta WHERE name = 'schema'")
    db.close()
    again = crawl("spartacus", connections=["followers"], store=store, progress=False,
                  **options(sb))
    assert again.stats["requests"] == 0
    assert again.stats["pages_from_store"] == first.stats["pages"]
    pd.testing.assert_frame_equal(again.users, first.users)
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x6D786672
        assert db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() == (
            str(SCHEMA_VERSION),)
    db.close()


def test_a_store_of_a_newer_mixframe_is_refused(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    crawl("spartacus", store=store, progress=False, depth=0, **options(sb))
    with sqlite3.connect(store) as db:
        db.execute("UPDATE meta SET value = '99' WHERE name = 'schema'")
    db.close()
    before = store.read_bytes()
    with pytest.raises(StoreError, match="newer mixframe"):
        crawl("spartacus", store=store, progress=False, depth=0, **options(sb))
    assert store.read_bytes() == before


# -- another crawl's store --------------------------------------------------------------------

def test_a_store_of_another_crawl_names_the_setting_that_differs(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    crawl("NTSRadio", connections=["followers"], max_items=30, store=store, progress=False,
          **options(sb))
    with pytest.raises(StoreMismatchError) as refused:
        crawl("NTSRadio", connections=["followers"], max_items=50, store=store,
              progress=False, **options(sb))
    message = str(refused.value)
    assert "max_items (--max-items) was 30, now 50" in message
    assert "resume=False" in message and "--restart" in message
    assert "seeds" not in message and "page_size" not in message
    assert refused.value.differences == {"max_items": (30, 50)}
    with pytest.raises(StoreMismatchError, match=r"page_size \(--page-size\) was 100, now 20"):
        crawl("NTSRadio", connections=["followers"], max_items=30, page_size=20, store=store,
              progress=False, **options(sb))
    run = run_cli("spartacus", "--sandbox", "--store", store, "--out", tmp_path / "out",
                  "--no-progress")
    assert run.returncode == 3, run.stderr
    assert "the seeds (SEED arguments) was" in run.stderr and "--restart" in run.stderr


# -- a damaged store, a full disk -------------------------------------------------------------

def damaged_store(tmp_path, app) -> Path:
    store = tmp_path / "crawl.sqlite"
    crawl(["NTSRadio", "spartacus"], connections=PER_TYPE, store=store, progress=False,
          **options(app))
    size = store.stat().st_size
    page_size = 4096
    with open(store, "r+b") as file:  # garbage over every page but the header page
        for offset in range(page_size, size, page_size):
            file.seek(offset)
            file.write(bytes(range(256)) * (page_size // 256))
    return store


@pytest.mark.parametrize("restart", [False, True])
def test_a_damaged_store_is_a_clear_error(sb, tmp_path, restart):
    store = damaged_store(tmp_path, sb)
    with pytest.raises(StoreError, match="is damaged .*Move it aside"):
        crawl(["NTSRadio", "spartacus"], connections=PER_TYPE, store=store, progress=False,
              resume=not restart, **options(sb))
    run = run_cli("NTSRadio", "spartacus", "--sandbox", "--store", store,
                  "--out", tmp_path / "out", "--no-progress", *(["--restart"] * restart))
    assert run.returncode == 3, run.stderr
    assert "is damaged" in run.stderr and "Traceback" not in run.stderr


TINY_DISK = """
set -u
mount -t tmpfs -o size={size} tmpfs {disk} || exit 77
cd {work}
{python} -m mixframe crawl NTSRadio spartacus --sandbox --depth 2 --no-progress \
    --store {disk}/crawl.sqlite --out {work}/out > first.out 2> first.err
echo $? > first.status
mount -o remount,size=64m tmpfs {disk}
{python} -m mixframe crawl NTSRadio spartacus --sandbox --depth 2 --no-progress \
    --store {disk}/crawl.sqlite --out {work}/out > second.out 2> second.err
echo $? > second.status
"""


def in_private_mount(script: str, tmp_path: Path) -> None:
    """Run `script` as root in a mount namespace of its own (its mounts die with it)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare(1) to mount a small disk")
    command = [unshare, "--mount"] if os.geteuid() == 0 else [unshare, "-r", "--mount"]
    done = subprocess.run([*command, "sh", "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    if done.returncode == 77 or "Operation not permitted" in done.stderr:
        pytest.skip(f"cannot mount a small disk here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr


def test_a_full_disk_under_the_store_says_how_to_resume_and_resuming_works(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    in_private_mount(TINY_DISK.format(size="160k", disk=disk, work=tmp_path,
                                      python=sys.executable), tmp_path)
    status, err = (tmp_path / "first.status").read_text().strip(), \
        (tmp_path / "first.err").read_text()
    assert status == "3", err
    assert "is the disk full?" in err and "run the same crawl again to resume" in err
    assert "Traceback" not in err
    assert (tmp_path / "second.status").read_text().strip() == "0", \
        (tmp_path / "second.err").read_text()
    assert "resuming from" in (tmp_path / "second.err").read_text()
    keys, edges, _ = ground_truth(sandbox.World(seed=0), ["/NTSRadio/", "/spartacus/"],
                                  [PER_TYPE] * 2)
    assert crawled(read_crawl(tmp_path / "out")) == (keys, edges)


def test_a_crawl_that_ends_in_an_error_leaves_the_store_free(sb, tmp_path):
    store = tmp_path / "crawl.sqlite"
    crawl("spartacus", store=store, depth=0, progress=False, **options(sb))
    with pytest.raises(StoreMismatchError):
        crawl("NTSRadio", store=store, depth=0, progress=False, **options(sb))
    script = textwrap.dedent(f"""
        from mixframe import crawl, sandbox
        result = crawl("spartacus", store={str(store)!r}, depth=0, progress=False,
                       **sandbox.roots(sandbox.IN_PROCESS_URL),
                       transport=sandbox.transport(sandbox.app()))
        print(result.stats["pages_from_store"])
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "1", done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["crawl.sqlite"]
