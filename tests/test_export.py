"""Exports hold one whole crawl or nothing new: Ctrl-C, SIGKILL and a full disk during an export
leave the folder as it was; a new crawl replaces an old one as a set, in any format; CSV gives
back exactly what Parquet gives back; read_crawl refuses what is not one whole export."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap

import httpx
import pandas as pd
import pytest

from mixframe import CrawlResult, ExportError, RetryPolicy, crawl, frames, read_crawl, sandbox

from test_store import in_private_mount

FAST = RetryPolicy(retries=8, backoff=0.001, backoff_max=0.01)
#: Text pandas reads as missing by default, and text a spreadsheet runs as a formula.
NA_LIKE = ["NA", "None", "null", "nan", "N/A", "#N/A", "<NA>", "NULL", "", "n/a", "NaN",
           "-nan", "1.#IND", "True", "0"]
FORMULAS = ["=HYPERLINK(\"http://evil\")", "+1+2", "-3", "@SUM(A1)", "'quoted", "\tx", "a,b\"c\nd"]


def options(app, **extra):
    return {**sandbox.roots(sandbox.IN_PROCESS_URL), "transport": sandbox.transport(app),
            "retries": FAST, **extra}


def assert_same_crawl(loaded, result):
    assert list(loaded.tables) == list(result.tables)
    for name, frame in result.tables.items():
        pd.testing.assert_frame_equal(loaded.tables[name], frame, obj=name)
        assert loaded.tables[name].attrs == frame.attrs
    assert list(loaded.side_tables) == list(result.side_tables) == ["cloudcast_tags"]
    for name, frame in result.side_tables.items():
        pd.testing.assert_frame_equal(loaded.side_tables[name], frame, obj=name)
    pd.testing.assert_frame_equal(loaded.edges, result.edges, obj="edges")
    pd.testing.assert_frame_equal(loaded.failures, result.failures, obj="failures")
    assert loaded.stats == result.stats


def hostile_names_server():
    """An API whose users are named with text that CSV readers take for missing values or
    spreadsheets for formulas, with fields mixframe has no schema for."""
    names = NA_LIKE + FORMULAS
    followers = [{"key": f"/user-{i}/", "type": "user", "username": f"user-{i}", "name": name,
                  "city": name, "mood": name, "lucky_number": i - 3, "vip": i % 2 == 0,
                  "url": f"https://www.mixcloud.com/user-{i}/"}
                 for i, name in enumerate(names)]
    followers[1]["mood"] = None
    pages = {
        "/seed/": {"key": "/seed/", "type": "user", "username": "seed", "name": "NA",
                   "biog": "", "city": "=1+1", "metadata": {"connections": {}}},
        "/seed/followers/": {"data": followers, "paging": {}},
        "/seed/comments/": {"data": [{"key": "/comment/1/", "type": "comment",
                                      "comment": "null", "weird": {"deep": "None"}},
                                     {"key": "/x/1/", "type": "spaceship", "name": "NA"}],
                            "paging": {}},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path in pages:
            return httpx.Response(200, json=pages[request.url.path])
        return httpx.Response(404, json={"error": {"type": "NotFoundException",
                                                   "message": "None"}})

    return httpx.MockTransport(answer)


@pytest.fixture(scope="module")
def hostile_crawl():
    return crawl(["seed", "missing"], connections=["followers", "comments", "cloudcasts"],
                 progress=False, api_root="http://api.test", retries=FAST,
                 transport=hostile_names_server())


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_table_round_trips_exactly(hostile_crawl, tmp_path, fmt):
    result = hostile_crawl
    assert set(NA_LIKE) <= set(result.users["name"].dropna()) | {""}
    assert "" in set(result.users["biog"].dropna())  # an empty text is not a missing one
    assert result.users["mood"].isna().sum() >= 1 and "other" in result.tables
    assert any(frame.empty for frame in result.tables.values())
    assert len(result.failures) > 0
    loaded = read_crawl(getattr(result, f"to_{fmt}")(tmp_path / "out"))
    assert_same_crawl(loaded, result)


def test_spreadsheet_safe_csv_runs_no_formula_and_reads_back_exactly(hostile_crawl, tmp_path):
    result = hostile_crawl
    folder = result.to_csv(tmp_path / "out", spreadsheet_safe=True)
    text = (folder / "users.csv").read_text()
    cells = [cell.strip('"') for line in text.splitlines() for cell in line.split('","')]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]
    assert "\"'=1+1\"" in text and "\"''quoted\"" in text and "\"'-3\"" in text
    assert ",-3," not in text or "lucky" in text  # numbers stay numbers
    assert_same_crawl(read_crawl(folder), result)
    plain = result.to_csv(tmp_path / "plain")
    assert "\"=1+1\"" in (plain / "users.csv").read_text()


def test_frames_read_csv_keeps_text_that_looks_missing(tmp_path):
    users = frames.to_frame([{"key": f"/u{i}/", "name": name} for i, name in enumerate(NA_LIKE)
                             if name], type="user")
    users.to_csv(tmp_path / "users.csv", index=False)
    back = frames.read_csv(tmp_path / "users.csv", "user")
    assert list(back["name"]) == list(users["name"])


def test_a_new_crawl_replaces_the_old_one_as_a_set(sb, tmp_path):
    out = tmp_path / "out"
    store = tmp_path / "crawl.sqlite"
    crawl("spartacus", connections=["followers", "cloudcasts"], store=store, progress=False,
          **options(sb)).to_parquet(out)
    fewer = crawl("spartacus", connections=["followers"], store=store, resume=False,
                  progress=False, **options(sb))
    fewer.to_parquet(out)
    loaded = read_crawl(out)
    assert len(loaded.cloudcasts) == 0  # no stale cloudcasts from the first crawl
    assert_same_crawl(loaded, fewer)
    other = crawl("NTSRadio", connections=["cloudcasts"], progress=False, **options(sb))
    other.to_csv(out)  # Parquet then CSV: the CSV crawl, only
    assert_same_crawl(read_crawl(out), other)
    assert not list(out.glob("*.parquet"))
    assert json.loads((out / "manifest.json").read_text())["stats"] == other.stats
    assert not (out / "stats.json").exists()


def legacy_export(result, folder):
    """A folder as the previous version exported it: tables and stats.json, no manifest."""
    folder.mkdir()
    for name, frame in {**result.tables, "edges": result.edges,
                        "failures": result.failures}.items():
        frame.to_parquet(folder / f"{name}.parquet")
    (folder / "stats.json").write_text(json.dumps(result.stats))


def test_read_crawl_refuses_what_is_not_one_whole_export(sb, tmp_path):
    result = crawl("spartacus", connections=["followers", "cloudcasts"], progress=False,
                   **options(sb))
    legacy_export(result, tmp_path / "legacy")
    with pytest.raises(ExportError, match="no manifest.json .*before mixframe wrote one.*"
                                          "Export it again from its store"):
        read_crawl(tmp_path / "legacy")
    result.to_parquet(tmp_path / "legacy")  # exporting again cleans the folder up
    assert_same_crawl(read_crawl(tmp_path / "legacy"), result)
    assert not (tmp_path / "legacy" / "stats.json").exists()

    for fmt in ("parquet", "csv"):
        folder = getattr(result, f"to_{fmt}")(tmp_path / fmt)
        (folder / f"users.{fmt}").unlink()
        with pytest.raises(ExportError, match=f"users.{fmt} is missing"):
            read_crawl(folder)
    shows = crawl("NTSRadio", connections=["cloudcasts"], progress=False, **options(sb))
    shows.to_parquet(tmp_path / "shows")
    folder = result.to_parquet(tmp_path / "mixed")
    shutil.copy(tmp_path / "shows" / "cloudcasts.parquet", folder / "cloudcasts.parquet")
    with pytest.raises(ExportError, match="cloudcasts.parquet has .* the manifest says"):
        read_crawl(folder)
    manifest = folder / "manifest.json"
    manifest.write_text(manifest.read_text()[:200])  # cut short
    with pytest.raises(ExportError, match="manifest.json is unreadable"):
        read_crawl(folder)
    with pytest.raises(FileNotFoundError):
        read_crawl(tmp_path / "nowhere")


def test_a_folder_with_someone_elses_manifest_is_not_written(sb, tmp_path):
    folder = tmp_path / "webapp"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "my web app", "icons": []}')
    result = crawl("spartacus", depth=0, progress=False, **options(sb))
    with pytest.raises(OSError, match="not a mixframe crawl manifest"):
        result.to_parquet(folder)
    assert sorted(path.name for path in folder.iterdir()) == ["manifest.json"]


# Exports interrupted for real, in a process of their own: the N-th table written sends the
# process SIGINT (Ctrl-C) or SIGKILL.
INTERRUPTED_EXPORT = """
import os, signal, sys
import pyarrow.parquet, pyarrow.csv
from mixframe.cli import main
fmt, sig, after = sys.argv[1], getattr(signal, sys.argv[2]), int(sys.argv[3])
module, name = (pyarrow.parquet, "write_table") if fmt == "parquet" else (pyarrow.csv, "write_csv")
write, calls = getattr(module, name), []
def interrupted(*args, **kwargs):
    calls.append(1)
    if len(calls) == after:
        os.kill(os.getpid(), sig)
    return write(*args, **kwargs)
setattr(module, name, interrupted)
sys.exit(main(sys.argv[4:]))
"""


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_an_interrupted_export_leaves_the_previous_crawl_whole(tmp_path, fmt, sig):
    out = tmp_path / "out"

    def cli(*args, interrupt_after=None):
        command = ["crawl", *args, "--sandbox", "--out", str(out), "--format", fmt,
                   "--no-progress"]
        if interrupt_after is None:
            return subprocess.run([sys.executable, "-m", "mixframe", *command],
                                  capture_output=True, text=True, timeout=120)
        return subprocess.run([sys.executable, "-c", INTERRUPTED_EXPORT, fmt, sig,
                               str(interrupt_after), *command],
                              capture_output=True, text=True, timeout=120)

    first = cli("spartacus", "--connections", "followers")
    assert first.returncode == 0, first.stderr
    before = read_crawl(out)
    for after in (1, 4):  # tables written when interrupted: the first, a later one
        run = cli("NTSRadio", "--connections", "followers,cloudcasts", "--restart",
                  interrupt_after=after)
        if sig == "SIGINT":
            assert run.returncode == 130, run.stderr
            assert "interrupted while writing the tables" in run.stderr
            assert "run the same command to finish" in run.stderr
            assert "Traceback" not in run.stderr
        else:
            assert run.returncode == -signal.SIGKILL
        assert_same_crawl(read_crawl(out), before)
    done = cli("NTSRadio", "--connections", "followers,cloudcasts")
    assert done.returncode == 0, done.stderr
    assert "0 requests" in done.stdout
    loaded = read_crawl(out)
    assert "/NTSRadio/" in set(loaded.users["key"]) and len(loaded.cloudcasts) > 0
    assert not list(out.glob(".mixframe-export-*"))  # what the killed export staged is gone


TINY_OUT = """
set -u
mount -t tmpfs -o size={size} tmpfs {disk} || exit 77
cd {work}
{python} -m mixframe crawl spartacus --sandbox --depth 0 --no-progress \
    --store {work}/small.sqlite --out {disk}/out > small.out 2> small.err
echo $? > small.status
{python} -m mixframe crawl NTSRadio --sandbox --depth 2 --no-progress \
    --store {work}/big.sqlite --out {disk}/out > big.out 2> big.err
echo $? > big.status
{python} -c "from mixframe import read_crawl; import sys; print(sorted(read_crawl(sys.argv[1]).users['key']))" {disk}/out > after.out 2> after.err
ls -a {disk}/out > after.ls
"""


def test_a_full_disk_during_the_export_leaves_the_previous_crawl_whole(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    in_private_mount(TINY_OUT.format(size="128k", disk=disk, work=tmp_path,
                                     python=sys.executable), tmp_path)
    status = {name: (tmp_path / f"{name}.status").read_text().strip()
              for name in ("small", "big")}
    assert status["small"] == "0", (tmp_path / "small.err").read_text()
    err = (tmp_path / "big.err").read_text()
    assert status["big"] == "3", err
    assert "No space left on device" in err and "unchanged" in err
    assert "run the same command again" in err and "Traceback" not in err
    assert (tmp_path / "after.out").read_text().strip() == "['/spartacus/']", \
        (tmp_path / "after.err").read_text()
    assert ".mixframe-export" not in (tmp_path / "after.ls").read_text()


def test_html_display_and_repr(sb):
    result = crawl(["spartacus", "no-such-user-anywhere", "<script>alert(1)</script>"],
                   connections=["followers"], progress=False, **options(sb))
    shown = result._repr_html_()
    assert f"<td style=\"text-align:left\">users</td><td style=\"text-align:right\">" \
           f"{len(result.users)}</td>" in shown
    assert "2 URLs failed" in shown and "NotFoundException" in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert f"{result.stats['requests']} requests" in shown
    assert sandbox.TOKEN not in shown
    nothing = crawl("no-such-user-anywhere", progress=False, **options(sb))
    assert repr(nothing) == "<CrawlResult edges=0, failures=1>"
    assert "users" in nothing._repr_html_()  # every table, empty ones too


def test_failure_causes_group_the_failures(sb):
    sb.faults.error_rate = 1.0
    result = crawl(["spartacus", "NTSRadio"], progress=False, depth=0,
                   **options(sb, retries=RetryPolicy(retries=1, backoff=0.001)))
    causes = result.failure_causes()
    assert causes["urls"].sum() == len(result.failures) == 2
    assert len(causes) == len(set(zip(result.failures["status"], result.failures["error"])))


def test_a_crawl_result_made_by_hand_exports_and_reads_back(tmp_path):
    import pyarrow as pa

    shows = frames.to_frame([{"key": "/a/b/", "name": "NA"}], type="cloudcast")
    shows["tag_list"] = pd.Series([["house", "NA"]], dtype=pd.ArrowDtype(pa.list_(pa.string())))
    edges = pd.DataFrame({"source_key": ["/a/"], "connection": ["cloudcasts"],
                          "target_key": ["/a/b/"], "position": [0]}).astype(
        {"source_key": "string", "connection": "string", "target_key": "string",
         "position": "Int64"})
    failures = pd.DataFrame({"url": pd.array([], dtype="string"),
                             "status": pd.array([], dtype="Int64"),
                             "error": pd.array([], dtype="string")})
    result = CrawlResult({"cloudcasts": shows}, edges, failures, {"requests": 1})
    for fmt in ("parquet", "csv"):
        assert_same_crawl(read_crawl(getattr(result, f"to_{fmt}")(tmp_path / fmt)), result)
    assert '"[""house"", ""NA""]"' in (tmp_path / "csv" / "cloudcasts.csv").read_text()


def test_exports_written_in_turn_by_two_processes_stay_whole(sb, tmp_path):
    result = crawl("spartacus", connections=["followers"], progress=False, **options(sb))
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        from mixframe import crawl, sandbox
        result = crawl("NTSRadio", connections=["cloudcasts"], progress=False,
                       **sandbox.roots(sandbox.IN_PROCESS_URL),
                       transport=sandbox.transport(sandbox.app()))
        for _ in range(15):
            result.to_parquet({str(out)!r})
        """)
    other = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(15):
            result.to_parquet(out)
    finally:
        other.wait(timeout=120)
    assert other.returncode == 0
    loaded = read_crawl(out)
    assert set(loaded.users["key"]) in ({"/NTSRadio/"}, set(result.users["key"]))


def test_a_table_the_new_crawl_lacks_goes_with_the_old_crawl(sb, tmp_path):
    result = crawl("spartacus", connections=["followers"], progress=False, **options(sb))
    extra = frames.to_frame([{"key": "/x/", "name": "x"}], type="user")
    with_extra = CrawlResult({**result.tables, "team_members": extra}, result.edges,
                             result.failures, result.stats)
    with_extra.to_csv(tmp_path / "out")
    assert (tmp_path / "out" / "team_members.csv").exists()
    result.to_csv(tmp_path / "out")
    assert not (tmp_path / "out" / "team_members.csv").exists()
    assert_same_crawl(read_crawl(tmp_path / "out"), result)
