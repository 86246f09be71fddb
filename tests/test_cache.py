"""The response cache: opt-in, per user, never holding the token, stale after a write, and
re-running the example notebooks against a warm cache makes no request at all."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from conftest import on_sandbox
from mixframe import Mixcloud, MixcloudSync, crawl, sandbox
from mixframe.cache import ResponseCache, clear, default_path

pytest.importorskip("hishel")


def served(app) -> int:
    return app.request_count


def test_off_by_default(monkeypatch):
    monkeypatch.delenv("MIXFRAME_CACHE", raising=False)
    assert Mixcloud().cache is None
    assert MixcloudSync().cache is None


def test_the_environment_variable_turns_it_on(monkeypatch, tmp_path):
    monkeypatch.setenv("MIXFRAME_CACHE", str(tmp_path))
    assert Mixcloud().cache.path == tmp_path
    assert Mixcloud(cache=False).cache is None
    monkeypatch.setenv("MIXFRAME_CACHE", "0")
    assert Mixcloud().cache is None


def test_cache_true_is_the_users_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if os.uname().sysname == "Linux":
        assert default_path() == tmp_path / "mixframe"
    client = Mixcloud(cache=True, cache_ttl=60)
    assert client.cache.path == default_path() and client.cache.ttl == 60


@pytest.mark.parametrize("options, error", [
    ({"cache": 3}, TypeError), ({"cache": True, "cache_ttl": 0}, ValueError),
    ({"cache": True, "cache_ttl": "1h"}, ValueError)])
def test_bad_cache_settings_are_refused(options, error):
    with pytest.raises(error, match="cache"):
        Mixcloud(**options)


def test_a_second_client_reads_from_the_cache(tmp_path):
    app = sandbox.app(seed=0)
    with on_sandbox(app, MixcloudSync, cache=tmp_path) as first:
        user = first.get("spartacus")
        page = first.get("spartacus/followers", limit=5)
        shows = first.fetch("spartacus/cloudcasts")
    cold = served(app)
    assert cold == 4  # /me/ once (whose user the token is), then the three reads
    with on_sandbox(app, MixcloudSync, cache=tmp_path) as second:
        assert second.get("spartacus").data == user.data
        assert second.get("spartacus/followers", limit=5).data == page.data
        assert second.fetch("spartacus/cloudcasts") == shows
        assert second.me()["username"] == app.world.default_username
        assert second.stats.cache_hits == 4 and second.stats.requests == 0
    assert served(app) == cold


def test_answers_are_kept_per_user_never_per_token(tmp_path):
    app = sandbox.app(seed=0)
    other = app.world.issue_token(app.world.usernames()[5])
    with on_sandbox(app, MixcloudSync, cache=tmp_path) as mine, \
            on_sandbox(app, MixcloudSync, cache=tmp_path, token=False) as anonymous:
        mine.get("spartacus")
        before = served(app)
        seen = anonymous.get("spartacus")
        assert served(app) == before + 1  # not served the logged-in answer
        assert "following" not in seen.data
    with on_sandbox(app, MixcloudSync, cache=tmp_path, access_token=other) as theirs:
        before = served(app)
        theirs.get("spartacus")
        assert served(app) == before + 2  # who are you (/me/), then their own answer


def test_a_token_me_refuses_gets_nothing_from_the_cache(tmp_path):
    app = sandbox.app(seed=0)
    with on_sandbox(app, MixcloudSync, cache=tmp_path) as good:
        good.get("spartacus")
    with on_sandbox(app, MixcloudSync, cache=tmp_path, access_token="sbx-not-a-token") as bad:
        before = served(app)
        answer = bad.get("spartacus")
        assert "error" in answer.data
        assert served(app) > before and bad.stats.cache_hits == 0


def test_a_write_makes_what_was_cached_before_it_stale(tmp_path):
    app = sandbox.app(seed=0)
    target = next(name for name in app.world.usernames()
                  if not app.world.is_following(app.world.default_username, name))
    with on_sandbox(app, MixcloudSync, cache=tmp_path) as client:
        assert client.get(target)["following"] is False
        following = client.fetch("me/following", limit=100)
        client.follow(target)
        assert client.get(target)["following"] is True
        after = client.fetch("me/following", limit=100)
        assert len(after["data"]) == len(following["data"]) + 1
    with on_sandbox(app, MixcloudSync, cache=tmp_path) as other:
        before = served(app)
        assert other.get(target)["following"] is True  # cached after the write: served
        assert served(app) == before


def test_errors_and_rate_limits_are_not_cached(tmp_path):
    app = sandbox.app(seed=0)
    with on_sandbox(app, MixcloudSync, cache=tmp_path) as client:
        assert "error" in client.get("no-such-user-anywhere").data
        before = served(app)
        assert "error" in client.get("no-such-user-anywhere").data
        assert served(app) == before + 1


def test_answers_expire_and_clear_empties_the_cache(tmp_path):
    app = sandbox.app(seed=0)
    cache = ResponseCache(tmp_path, ttl=0.2)
    with on_sandbox(app, MixcloudSync, cache=cache, token=False) as client:
        client.get("spartacus")
        before = served(app)
        client.get("spartacus")
        assert served(app) == before  # fresh
        time.sleep(0.3)
        client.get("spartacus")
        assert served(app) == before + 1  # expired
    with on_sandbox(app, MixcloudSync, cache=tmp_path, token=False) as client:
        client.get("spartacus")
        before = served(app)
        client.get("spartacus")
        assert served(app) == before
        client.cache.clear()
        client.get("spartacus")
        assert served(app) == before + 1
    clear(tmp_path)
    assert not (tmp_path / "responses.db").exists()


def test_a_token_echoed_in_a_body_is_not_stored(tmp_path):
    token = "mfx-echo-T0k3n-SEKRIT"

    def echo(request):
        return httpx.Response(200, json={"key": "/bob/", "url": str(request.url),
                                         "username": "bob"})

    with MixcloudSync(access_token=token, transport=httpx.MockTransport(echo),
                      cache=tmp_path) as client:
        first = client.fetch("bob")
        assert token in first["url"]  # the live answer is what the server said
        again = client.fetch("bob")
        assert token not in again["url"] and client.stats.cache_hits == 1
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert token.encode() not in file.read_bytes(), file


def test_crawl_passes_the_cache_through(tmp_path):
    app = sandbox.app(seed=0)
    options = dict(connections=["followers"], progress=False, cache=tmp_path,
                   transport=sandbox.transport(app), **sandbox.roots())
    first = crawl("spartacus", **options)
    before = served(app)
    second = crawl("spartacus", **options)
    assert served(app) == before and second.stats["requests"] == 0
    assert second.edges.equals(first.edges)


def test_the_cli_takes_a_cache_folder(tmp_path, capsys):
    from mixframe.cli import main

    for run in range(2):
        status = main(["crawl", "spartacus", "--sandbox", "--connections", "followers",
                       "--out", str(tmp_path / f"out{run}"), "--no-progress",
                       "--cache", str(tmp_path / "cache")])
        assert status == 0
    printed = capsys.readouterr().out
    assert " 0 requests" in printed.splitlines()[-1] or "  0 requests" in printed
    assert (tmp_path / "cache" / "responses.db").exists()


# -- the notebooks, twice ---------------------------------------------------------------------

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", ["01-quickstart", "02-network-crawl"])
def test_rerunning_a_notebook_with_a_warm_cache_makes_no_request(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    from nbformat.v4 import new_code_cell

    from test_notebooks import run_notebook

    monkeypatch.setenv("MIXFRAME_CACHE", str(tmp_path / "cache"))
    counts = []
    for run in range(2):
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        # the sandbox's own request log, from inside the kernel
        nb.cells.append(new_code_cell("print('served', mixcloud.sandbox.request_count)"))
        run_notebook(nb, NOTEBOOKS, tmp_path / f"tmp{run}")
        text = "".join(output.get("text", "") for output in nb.cells[-1].outputs)
        counts.append(int(text.split()[-1]))
    assert counts[0] > 10 and counts[1] == 0, counts
    for file in (tmp_path / "cache").rglob("*"):
        if file.is_file():
            assert sandbox.TOKEN.encode() not in file.read_bytes(), file
