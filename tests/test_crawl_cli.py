"""``mixframe crawl`` tells the truth: its exit status (0 complete, 1 some URLs failed, 2 bad
arguments, 3 refused or a disk error, 130 interrupted), the causes of failures, a resumed crawl,
a crawl stopped at --max-items; and the crawl's progress bar shows rate-limit waits as
information."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from mixframe import RetryPolicy, crawl, read_crawl, sandbox
from mixframe.cli import main
from mixframe.crawl_cli import EXIT_CODES

FAST = RetryPolicy(retries=1, backoff=0.001, backoff_max=0.01)


def run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "mixframe", "crawl", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def test_a_crawl_where_everything_failed_says_why_writes_every_table_and_exits_1(tmp_path):
    out = tmp_path / "out"
    run = run_cli("no-such-user-anywhere", "also-missing", "--sandbox", "--out", out,
                  "--no-progress")
    assert run.returncode == 1, run.stderr
    assert "2 URLs failed" in run.stderr
    assert re.search(r"1 x 404: NotFoundException: No user with username "
                     r"'no-such-user-anywhere'", run.stderr)
    assert "Traceback" not in run.stderr
    loaded = read_crawl(out)
    for name in ("users", "cloudcasts", "comments", "tags", "feed", "playlists",
                 "categories"):
        assert (out / f"{name}.parquet").exists()
        assert loaded.tables[name].empty and "key" in loaded.tables[name].columns
    assert len(loaded.failures) == 2


def test_causes_are_grouped_with_counts(tmp_path, capsys):
    app = sandbox.app(seed=0, error_rate=1.0)
    result = crawl(["spartacus", "NTSRadio", "no-such-user-anywhere"], depth=0,
                   progress=False, retries=FAST, **sandbox.roots(sandbox.IN_PROCESS_URL),
                   transport=sandbox.transport(app))
    causes = result.failure_causes()
    assert causes["urls"].sum() == 3
    assert list(causes["urls"]) == sorted(causes["urls"], reverse=True)


def test_exit_0_when_everything_was_fetched_and_the_codes_are_documented(tmp_path):
    run = run_cli("spartacus", "--sandbox", "--connections", "followers", "--out",
                  tmp_path / "out", "--no-progress")
    assert run.returncode == 0, run.stderr
    assert "failed" not in run.stderr
    help_text = run_cli("--help").stdout
    for code in EXIT_CODES:
        assert f"{code}:" in help_text


def test_a_resumed_crawl_says_so_at_its_start(tmp_path):
    out = tmp_path / "out"
    first = run_cli("spartacus", "--sandbox", "--out", out, "--no-progress")
    assert first.returncode == 0 and "resuming" not in first.stderr
    again = run_cli("spartacus", "--sandbox", "--out", out, "--no-progress")
    stored = read_crawl(out).stats["pages_from_store"]
    assert stored > 0
    assert f"resuming from {out / 'crawl.sqlite'}: {stored} pages already stored" \
        in again.stderr
    restarted = run_cli("spartacus", "--sandbox", "--out", out, "--no-progress", "--restart")
    assert "resuming" not in restarted.stderr


def test_the_progress_bar_says_it_resumes_too(tmp_path, capsys):
    store = tmp_path / "crawl.sqlite"
    app = sandbox.app(seed=0)
    kwargs = dict(connections=["followers"], store=store,
                  **sandbox.roots(sandbox.IN_PROCESS_URL), transport=sandbox.transport(app))
    crawl("spartacus", progress=False, **kwargs)
    capsys.readouterr()
    crawl("spartacus", progress=True, **kwargs)
    shown = capsys.readouterr()
    assert f"resuming from {store}: 2 pages already stored" in shown.out + shown.err


def test_a_crawl_stopped_at_max_items_says_it_is_incomplete(tmp_path):
    capped = run_cli("NTSRadio", "--sandbox", "--out", tmp_path / "capped", "--no-progress",
                     "--max-items", "5")
    assert capped.returncode == 0, capped.stderr
    assert "stopped at max_items: the crawl is incomplete" in capped.stdout + capped.stderr
    assert read_crawl(tmp_path / "capped").stats["stopped_at_max_items"] is True
    whole = run_cli("spartacus", "--sandbox", "--out", tmp_path / "whole", "--no-progress",
                    "--connections", "cloudcasts", "--max-items", "1000")
    assert "stopped at max_items" not in whole.stdout + whole.stderr
    assert read_crawl(tmp_path / "whole").stats["stopped_at_max_items"] is False


@pytest.mark.parametrize("args, code, message", [
    (["--connections", "nope"], 2, "unknown connection 'nope'"),
    (["--page-size", "500"], 2, "page_size must be at most 100"),
])
def test_bad_arguments_leave_no_output_folder(tmp_path, args, code, message):
    out = tmp_path / "new" / "out"
    run = run_cli("spartacus", "--sandbox", "--no-progress", "--out", out, *args)
    assert run.returncode == code and message in run.stderr
    assert not out.exists()


def test_an_empty_token_variable_is_named_empty(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MIXFRAME_EMPTY_TOKEN", "")
    status = main(["crawl", "spartacus", "--out", str(tmp_path / "out"), "--no-progress",
                   "--token-env", "MIXFRAME_EMPTY_TOKEN"])
    assert status == 2
    assert "environment variable MIXFRAME_EMPTY_TOKEN is empty" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_rate_limit_waits_are_shown_in_the_bar_not_as_lines_of_their_own(capsys):
    app = sandbox.app(seed=0, rate_limit=2)
    crawl("NTSRadio", connections=["cloudcasts", "followers"], progress=True,
          retries=RetryPolicy(retries=3, backoff=0.001, rate_limit_retries=50),
          **sandbox.roots(sandbox.IN_PROCESS_URL), transport=sandbox.transport(app))
    assert app.request_count > app.faults.rate_limit  # it was rate limited
    shown = capsys.readouterr()
    frames_shown = re.split(r"[\r\n]+", shown.err + shown.out)
    waits = [line for line in frames_shown if "waiting" in line]
    assert waits, "the bar shows the waits"
    assert all(line.lstrip().startswith("crawl:") for line in waits), waits
    assert "rate limited by Mixcloud" in waits[0]


def test_the_result_of_a_cli_run_reads_back_like_the_api(tmp_path):
    out = tmp_path / "out"
    run = run_cli("spartacus", "--sandbox", "--out", out, "--format", "csv", "--no-progress",
                  "--spreadsheet-safe")
    assert run.returncode == 0, run.stderr
    result = crawl("spartacus", connections="followers,cloudcasts", progress=False,
                   **sandbox.roots(sandbox.IN_PROCESS_URL),
                   transport=sandbox.transport(sandbox.app()), access_token=sandbox.TOKEN)
    loaded = read_crawl(out)
    for name, frame in result.tables.items():  # another crawl: its pages fetched at other times
        pd.testing.assert_frame_equal(loaded.tables[name].drop(columns="fetched_at"),
                                      frame.drop(columns="fetched_at"), obj=name)


def test_connections_given_once_per_hop_are_the_hops(tmp_path, capsys):
    """--connections followers --connections cloudcasts: the seed's followers, then their
    shows (depth 2 by default), as crawl(connections=[[...], [...]]) does."""
    world = sandbox.World(seed=0)
    followers = world.connection_keys("/spartacus/followers/")
    status = main(["crawl", "spartacus", "--sandbox", "--connections", "followers",
                   "--connections", "cloudcasts", "--out", str(tmp_path / "hops"),
                   "--no-progress"])
    assert status == 0, capsys.readouterr().err
    edges = read_crawl(tmp_path / "hops").edges
    assert set(edges.loc[edges["connection"] == "followers", "target_key"]) == set(followers)
    shows = edges[edges["connection"] == "cloudcasts"]
    assert set(shows["source_key"]) <= set(followers) and len(shows) == sum(
        len(world.connection_keys(f"{key}cloudcasts/")) for key in followers)
    assert "/spartacus/" not in set(shows["source_key"])   # not the seed's own shows
    # one comma list keeps its meaning: the same connections at every hop, depth 1
    assert main(["crawl", "spartacus", "--sandbox", "--connections", "followers,cloudcasts",
                 "--out", str(tmp_path / "both"), "--no-progress"]) == 0
    both = read_crawl(tmp_path / "both").edges
    assert set(both["source_key"]) == {"/spartacus/"}
    assert main(["crawl", "spartacus", "--sandbox", "--connections", "followers",
                 "--connections", "cloudcasts", "--depth", "3", "--out",
                 str(tmp_path / "bad"), "--no-progress"]) == 2
    assert "given 2 times (2 hops) but --depth is 3" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_help_explains_hops_with_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["crawl", "--help"])
    shown = capsys.readouterr().out
    assert "--connections followers --connections cloudcasts" in shown
    assert "hop 1" in shown and "hop 2" in shown
