"""The ``df.mixcloud`` accessor against the in-process sandbox: paging to the ground truth,
full details, connections, per-row actions seen in later reads, the guards (dry run, row cap,
wrong types, no client), the token kept out of every frame, and calls from a running loop."""

from __future__ import annotations

import asyncio
import re
import warnings

import httpx
import pandas as pd
import pytest

import mixframe
from mixframe import (AuthError, Mixcloud, MixcloudSync, NotFoundError, RetryPolicy, rows,
                      sandbox, set_default_client)
from mixframe.accessor import ACTIONS, RESULT_COLUMNS, MixcloudAccessor
from mixframe.frames import page_frame, to_frame
from mixframe.sync import _runner

URL = sandbox.roots()["api_root"]
ME = "/sandbox-user/"
FAST = RetryPolicy(retries=2, backoff=0.001, backoff_max=0.01)


def make_client(app, **options):
    return sandbox.client(app, retries=FAST, **options)


@pytest.fixture
def client(sb):
    with make_client(sb) as mixcloud:
        yield mixcloud


@pytest.fixture(autouse=True)
def no_default_client():
    set_default_client(None)
    yield
    set_default_client(None)


def page(client, path):
    """A real API page as a frame, as a notebook user builds it."""
    body = client.fetch(URL + path, relative=False)
    return page_frame(body, url=URL + path)


def truth(sb, path):
    return sb.world.connection_keys(path)


def has_token(frame) -> bool:
    text = frame.to_csv() + repr(frame.attrs) + repr(frame.index.tolist())
    return sandbox.TOKEN in text


# -- the accessor itself ----------------------------------------------------------------------

def test_importing_mixframe_registers_the_accessor():
    assert pd.DataFrame.mixcloud is MixcloudAccessor
    assert set(ACTIONS) <= set(dir(MixcloudAccessor))
    assert all(getattr(MixcloudAccessor, name).__doc__ for name in ACTIONS)


def test_a_frame_without_key_column_has_no_accessor():
    frame = pd.DataFrame({"id": ["/spartacus/"], "name": ["Spartacus"]})
    with pytest.raises(AttributeError, match=r"'key' column.*'id', 'name'.*rename"):
        frame.mixcloud
    assert not hasattr(frame, "mixcloud")
    assert hasattr(frame.rename(columns={"id": "key"}), "mixcloud")


# -- paging -------------------------------------------------------------------------------------

def test_next_and_previous_pages_have_the_same_columns_and_follow_the_list(sb, client):
    shows = truth(sb, "/NTSRadio/cloudcasts/")
    first = page(client, "/NTSRadio/cloudcasts/?limit=20")
    second = first.mixcloud.next_page(client)
    assert list(second.columns) == list(first.columns)
    assert second.dtypes.equals(first.dtypes)
    assert list(second.key) == shows[20:40]
    assert second.attrs["mixcloud"]["type"] == "cloudcast"
    assert second.attrs["mixcloud"]["next"] != first.attrs["mixcloud"]["next"]
    third = second.mixcloud.next_page(client)
    assert list(third.key) == shows[40:60]
    assert list(third.mixcloud.previous_page(client).key) == shows[20:40]
    assert list(first.key) == shows[:20]            # the input frame is left alone


def test_next_page_is_none_at_the_end_and_sends_nothing(sb, client):
    last = page(client, "/NTSRadio/cloudcasts/?limit=100&offset=100")
    assert len(last) == 42
    before = sb.request_count
    assert last.mixcloud.next_page(client) is None
    assert last.mixcloud.previous_page(client) is not None     # a real page has one
    assert sb.request_count == before + 1
    before = sb.request_count
    assert last.mixcloud.next_page() is None     # nothing to fetch: no client needed
    assert sb.request_count == before


def test_next_page_of_a_frame_that_is_not_a_page_says_which_frames_have_pages(sb, client):
    """A crawl table, a concat of pages, a connection() result or a frame built from records
    has no paging links: None would read as "last page", so it is an error."""
    first = page(client, "/NTSRadio/cloudcasts/?limit=20")
    second = first.mixcloud.next_page(client)
    crawled = mixframe.crawl(["spartacus"], connections=["cloudcasts"], depth=1,
                             progress=False, client=client)
    not_pages = {"crawl table": crawled.cloudcasts,
                 "concat of pages": pd.concat([first, second], ignore_index=True),
                 "connection result": crawled.users.mixcloud.connection("followers",
                                                                        client=client),
                 "records": to_frame([{"key": "/spartacus/", "username": "spartacus"}])}
    before = sb.request_count
    for what, frame in not_pages.items():
        for method in ("next_page", "previous_page", "all_pages"):
            with pytest.raises(ValueError, match=r"needs a page of a list") as caught:
                getattr(frame.mixcloud, method)(client=client)
            message = str(caught.value)
            assert all(source in message for source in (
                "page_frame()", "ResourceList.to_frame()", "next_page()", "all_pages()")), what
    assert sb.request_count == before
    # frames that are pages: from page_frame, ResourceList.to_frame, next_page, all_pages
    listed = client.get("NTSRadio").cloudcasts(limit=20).to_frame()
    for frame in (listed, second, first.mixcloud.all_pages(max_pages=2, client=client,
                                                           progress=False)):
        assert frame.mixcloud.next_page(client) is not None


def test_the_next_page_keeps_the_columns_of_this_page_when_it_brings_a_new_field():
    """A next page with a field this one lacks (`mood`) appends it; this page's columns,
    order and kinds are kept, so the pages concatenate without floats or objects appearing
    in columns of ints and bools."""
    api = "https://api.mixcloud.com/u/cloudcasts/"

    def show(number, **extra):
        return {"key": f"/u/show-{number}/", "type": "cloudcast", "name": f"Show {number}",
                "play_count": number, "user": {"key": "/u/", "username": "u"}, **extra}

    def answer(request):
        if request.url.params.get("offset") == "2":
            return httpx.Response(200, json={"data": [show(3, mood="calm"), show(4)],
                                             "paging": {}})
        return httpx.Response(200, json={"data": [show(1), show(2)],
                                         "paging": {"next": api + "?offset=2"}})

    with MixcloudSync(transport=httpx.MockTransport(answer)) as mixcloud:
        first = page_frame(mixcloud.fetch("u/cloudcasts"), url=api)
        first["rank"] = [1, 2]                      # the analyst's own columns
        first["picked"] = [True, False]
        second = first.mixcloud.next_page(mixcloud)
        every = first.mixcloud.all_pages(client=mixcloud, progress=False)
    assert list(second.columns) == [*first.columns, "mood"]
    assert second["mood"].tolist()[0] == "calm" and pd.isna(second["mood"].iloc[1])
    assert second["rank"].isna().all() and second["picked"].isna().all()
    both = pd.concat([first, second], ignore_index=True)
    assert list(both.columns) == list(second.columns)
    nullable = {"int64": "Int64", "bool": "boolean"}      # the twins that can hold <NA>
    for name in first.columns:
        kind = both[name].dtype
        assert kind in (first[name].dtype, nullable.get(str(first[name].dtype))), name
    assert both["rank"].tolist()[:2] == [1, 2] and both["rank"].dtype == "Int64"
    assert both["picked"].tolist()[:2] == [True, False] and both["picked"].dtype == "boolean"
    assert list(every.columns) == list(second.columns)
    assert every["rank"].dtype == "Int64" and every["picked"].dtype == "boolean"
    assert every["mood"].tolist()[2] == "calm"


def test_next_page_keeps_extra_columns_of_this_frame(client):
    first = page(client, "/NTSRadio/cloudcasts/?limit=20")
    first["mine"] = 1.5
    second = first.mixcloud.next_page(client)
    assert list(second.columns) == list(first.columns)
    assert second["mine"].isna().all()


@pytest.mark.parametrize("limit, requests", [(20, 7), (100, 1)])
def test_all_pages_reaches_the_ground_truth(sb, client, limit, requests):
    first = page(client, f"/NTSRadio/cloudcasts/?limit={limit}")
    before = sb.request_count
    every = first.mixcloud.all_pages(client=client, progress=limit == 100)
    assert list(every.key) == truth(sb, "/NTSRadio/cloudcasts/")   # 142 shows
    assert len(every) == 142
    assert sb.request_count - before == requests
    assert every.dtypes.equals(first.dtypes)
    assert list(every.index) == list(range(142))
    assert every.attrs["mixcloud"]["next"] is None
    assert every.attrs["mixcloud"]["url"] == first.attrs["mixcloud"]["url"]


def notebook_bars(monkeypatch):
    """The progress bars all_pages() shows, as the notebook widget bars Jupyter gets."""
    from tqdm.notebook import tqdm as notebook_tqdm

    bars = []

    class Bar(notebook_tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr("tqdm.auto.tqdm", Bar)
    return bars


def bar_style(bar) -> str:
    return bar.container.children[1].bar_style     # "success" is green, "danger" red


def test_a_list_that_ends_before_max_pages_ends_with_a_full_green_bar(sb, client,
                                                                      monkeypatch):
    bars = notebook_bars(monkeypatch)
    first = page(client, "/NTSRadio/cloudcasts/?limit=100")       # 142 shows: 2 pages
    every = first.mixcloud.all_pages(max_pages=5, client=client)
    assert len(every) == 142 and every.attrs["mixcloud"]["next"] is None
    assert (bars[0].n, bars[0].total) == (2, 2)
    assert bar_style(bars[0]) == "success"
    # stopped by max_pages: the bar is full at the bound the caller chose
    first = page(client, "/NTSRadio/cloudcasts/?limit=20")
    three = first.mixcloud.all_pages(max_pages=3, client=client)
    assert (bars[1].n, bars[1].total) == (3, 3) and len(three) == 60


def test_a_walk_that_fails_leaves_its_bar_short_and_red(sb, client, monkeypatch):
    bars = notebook_bars(monkeypatch)
    first = page(client, "/NTSRadio/cloudcasts/?limit=20")
    first.attrs["mixcloud"]["next"] = URL + "/nobody-at-all/cloudcasts/?limit=20"
    with pytest.raises(NotFoundError):
        first.mixcloud.all_pages(max_pages=5, client=client)
    assert (bars[0].n, bars[0].total) == (1, 5)
    assert bar_style(bars[0]) == "danger"


def test_all_pages_has_a_sane_default_bound(sb, client):
    first = page(client, "/NTSRadio/cloudcasts/?limit=1")         # 142 pages of one show
    before = sb.request_count
    with pytest.warns(RuntimeWarning, match=r"stopped after 100 pages.*continue"):
        bounded = first.mixcloud.all_pages(client=client, progress=False)
    assert sb.request_count - before == 99
    assert list(bounded.key) == truth(sb, "/NTSRadio/cloudcasts/")[:100]
    rest = bounded.mixcloud.all_pages(client=client, progress=False)   # goes on from there
    assert list(rest.key) == truth(sb, "/NTSRadio/cloudcasts/")


def test_all_pages_max_pages_counts_the_current_page_and_can_be_continued(sb, client):
    shows = truth(sb, "/NTSRadio/cloudcasts/")
    first = page(client, "/NTSRadio/cloudcasts/?limit=20")
    before = sb.request_count
    three = first.mixcloud.all_pages(max_pages=3, client=client, progress=False)
    assert list(three.key) == shows[:60]
    assert sb.request_count - before == 2
    assert three.attrs["mixcloud"]["next"]
    assert list(three.mixcloud.all_pages(client=client, progress=False).key) == shows
    before = sb.request_count
    same = first.mixcloud.all_pages(max_pages=1, client=client)
    assert sb.request_count == before
    assert same.equals(first) and same is not first
    with pytest.raises(ValueError, match="max_pages"):
        first.mixcloud.all_pages(max_pages=0, client=client)


# -- full details and connections -------------------------------------------------------------

def test_load_fetches_full_details_once_per_key_aligned_to_rows(sb, client):
    followers = page(client, "/spartacus/followers/?limit=5")
    rows = followers.iloc[[0, 1, 0]].set_axis(["a", "b", "c"])
    before = sb.request_count
    full = rows.mixcloud.load(client=client)
    assert sb.request_count - before == 2
    assert list(full.index) == ["a", "b", "c"]
    assert list(full.key) == list(rows.key)
    assert full.attrs["mixcloud"]["type"] == "user"
    for key, biog in zip(full.key, full.biog):
        assert biog == sb.world.user(key.strip("/"))["biog"]
    shows = page(client, "/NTSRadio/cloudcasts/?limit=3").mixcloud.load(client=client)
    assert shows.section_count.notna().all()        # list items have none; full objects do


def test_load_errors_raise_or_skip(sb, client):
    frame = to_frame([{"key": "/spartacus/", "username": "spartacus"},
                      {"key": "/nobody-at-all/", "username": "nobody-at-all"}])
    with pytest.raises(NotFoundError) as caught:
        frame.mixcloud.load(client=client)
    assert "/nobody-at-all/" in "".join(caught.value.__notes__)
    with pytest.warns(RuntimeWarning, match="nobody-at-all"):
        loaded = frame.mixcloud.load(client=client, errors="skip")
    assert list(loaded.key) == ["/spartacus/"] and list(loaded.index) == [0]


def test_connection_of_every_row_has_source_key(sb, client):
    users = mixframe.crawl(["spartacus", "NTSRadio"], depth=0, progress=False,
                           client=client).users
    fans = users.mixcloud.connection("followers", client=client, limit=100, max_pages=None)
    assert list(fans.columns[:2]) == ["key", "source_key"]
    assert fans.attrs["mixcloud"]["type"] == "user"
    assert fans.attrs["mixcloud"]["connection"] == "followers"
    for source in users.key:
        got = list(fans.loc[fans.source_key == source, "key"])
        assert got == truth(sb, f"{source}followers/")
    few = users.mixcloud.connection("cloudcasts", client=client, limit=3)
    assert few.groupby("source_key").size().to_dict() == {key: 3 for key in users.key}
    shows = page(client, "/spartacus/cloudcasts/?limit=2")
    comments = shows.mixcloud.connection("comments", client=client)
    for source in shows.key:
        got = list(comments.loc[comments.source_key == source, "key"])
        assert got == truth(sb, f"{source}comments/")[:20]


def test_connection_checks_its_arguments_before_sending(sb, client):
    users = to_frame([{"key": "/spartacus/", "username": "spartacus"}])
    before = sb.request_count
    with pytest.raises(ValueError, match="no connection 'listeners'"):
        users.mixcloud.connection("listeners", client=client)
    with pytest.raises(TypeError, match="colour"):
        users.mixcloud.connection("followers", client=client, colour="red")
    with pytest.raises(ValueError, match="limit"):
        users.mixcloud.connection("followers", client=client, limit=500)
    with pytest.raises(ValueError, match="page and offset"):
        users.mixcloud.connection("followers", client=client, page=1, offset=3)
    assert sb.request_count == before
    empty = users.iloc[:0].mixcloud.connection("followers", client=client)
    assert list(empty.columns[:2]) == ["key", "source_key"] and len(empty) == 0


def test_crawl_is_seeded_with_the_keys_and_uses_the_default_client(sb, client):
    users = page(client, "/spartacus/following/?limit=3")
    set_default_client(client)
    before = sb.request_count
    result = users.mixcloud.crawl(connections=["followers"], progress=False)
    assert sb.request_count > before
    assert set(result.edges.source_key) == set(users.key)
    assert set(users.key) <= set(result.users.key)


# -- actions -------------------------------------------------------------------------------------

def not_followed(sb, client, count):
    """Users the sandbox user does not follow yet, as a frame with a custom index."""
    followed = set(truth(sb, f"{ME}following/"))
    users = page(client, "/NTSRadio/followers/?limit=50")
    users = users[~users.key.isin(followed) & (users.key != ME)].head(count)
    assert len(users) == count
    return users.set_axis([f"row{i}" for i in range(count)])


def test_follow_then_unfollow_shows_in_later_reads(sb, client):
    users = not_followed(sb, client, 3)
    result = users.mixcloud.follow(client=client)
    assert list(result.columns) == list(RESULT_COLUMNS)
    assert result.dtypes.astype(str).to_dict() == RESULT_COLUMNS
    assert list(result.index) == list(users.index)
    assert result.ok.tolist() == [True] * 3
    assert result.error.isna().all()
    assert (result.action == "follow").all()
    assert all(message.startswith("Now following") for message in result.message)
    for key in users.key:                            # read back through the API
        assert ME in list(page(client, f"{key}followers/?limit=100").key)
    assert set(users.key) <= set(truth(sb, f"{ME}following/"))
    undone = users.mixcloud.unfollow(client=client)
    assert undone.ok.all()
    for key in users.key:
        assert ME not in truth(sb, f"{key}followers/")


@pytest.mark.parametrize("action, undo, listed", [
    ("favorite", "unfavorite", lambda key: f"{key}favorites/"),
    ("listen_later", "unlisten_later", lambda key: f"{ME}listen-later/"),
])
def test_cloudcast_actions_show_in_later_reads(sb, client, action, undo, listed):
    shows = page(client, "/NTSRadio/cloudcasts/?limit=3")
    done = getattr(shows.mixcloud, action)(client=client)
    assert done.ok.all(), done.error.tolist()
    for key in shows.key:
        members = truth(sb, listed(key))
        assert (ME if action == "favorite" else key) in members
    assert getattr(shows.mixcloud, undo)(client=client).ok.all()
    for key in shows.key:
        assert (ME if action == "favorite" else key) not in truth(sb, listed(key))


def test_repost_and_unrepost(sb, client):
    shows = page(client, "/NTSRadio/cloudcasts/?limit=2")
    reposted = shows.mixcloud.repost(client=client)
    assert reposted.ok.all() and reposted.message.str.startswith("Reposted").all()
    assert shows.mixcloud.unrepost(client=client).message.str.startswith("Unreposted").all()


@pytest.mark.parametrize("raise_exceptions", [False, True])
def test_an_error_on_a_row_is_recorded_and_the_next_row_goes_on(sb, raise_exceptions):
    with make_client(sb, raise_exceptions=raise_exceptions) as mixcloud:
        users = not_followed(sb, mixcloud, 2)
        rows = pd.concat([users.iloc[:1],
                          pd.DataFrame({"key": ["/nobody-at-all/", ME]}, index=["x", "me"]),
                          users.iloc[1:]])
        rows.attrs = {"mixcloud": {"type": "user"}}
        before = sb.request_count
        result = rows.mixcloud.follow(client=mixcloud)
    assert sb.request_count - before == 4
    assert list(result.index) == ["row0", "x", "me", "row1"]
    assert result.ok.tolist() == [True, False, False, True]
    assert re.search(r"NotFound.*nobody-at-all", result.loc["x", "error"])
    assert "cannot follow yourself" in result.loc["me", "error"]
    assert result.loc[["x", "me"], "message"].isna().all()
    assert set(users.key) <= set(truth(sb, f"{ME}following/"))
    assert not has_token(result)


def test_dry_run_sends_nothing_and_needs_no_client(sb, client):
    users = not_followed(sb, client, 2)
    before, following = sb.request_count, truth(sb, f"{ME}following/")
    result = users.mixcloud.follow(dry_run=True)
    assert sb.request_count == before
    assert truth(sb, f"{ME}following/") == following
    assert result.ok.isna().all()
    assert result.message.tolist() == [f"dry run: would follow {key}" for key in users.key]
    assert result.attrs["mixcloud"]["dry_run"] is True
    shows = page(client, "/NTSRadio/cloudcasts/?limit=2")
    before = sb.request_count
    assert shows.mixcloud.follow(client=client, dry_run=True).ok.tolist() == [False, False]
    assert sb.request_count == before


def test_max_rows_guards_before_anything_is_sent(sb, client):
    users = page(client, "/NTSRadio/followers/?limit=30")
    before = sb.request_count
    with pytest.raises(ValueError, match=r"30 rows.*max_rows=25"):
        users.mixcloud.follow(client=client)
    with pytest.raises(ValueError, match="max_rows"):
        users.head(3).mixcloud.follow(client=client, max_rows=2)
    assert sb.request_count == before
    assert len(users.mixcloud.follow(dry_run=True, max_rows=None)) == 30
    assert len(users.mixcloud.follow(dry_run=True, max_rows=30)) == 30
    assert sb.request_count == before


def test_a_dry_run_is_not_refused_by_max_rows_but_says_the_real_run_would_be(sb, client):
    users = page(client, "/NTSRadio/followers/?limit=30")
    before, following = sb.request_count, truth(sb, f"{ME}following/")
    plan = users.mixcloud.follow(dry_run=True)
    assert sb.request_count == before and truth(sb, f"{ME}following/") == following
    assert len(plan) == 30 and plan.ok.isna().all()
    assert plan.message.tolist() == [
        f"dry run: would follow {key}; the real run would be refused: 30 rows, more than "
        f"max_rows=25" for key in users.key]
    within = users.head(25).mixcloud.follow(dry_run=True)
    assert not within.message.str.contains("refused").any()
    with pytest.raises(ValueError, match=r"30 rows.*max_rows=25"):
        users.mixcloud.follow(client=client)


def test_rows_of_the_wrong_type_are_reported_not_sent(sb, client):
    shows = page(client, "/NTSRadio/cloudcasts/?limit=2")
    users = page(client, "/NTSRadio/followers/?limit=2")
    before = sb.request_count
    refused = shows.mixcloud.follow(client=client)
    assert refused.ok.tolist() == [False, False]
    assert refused.error.str.contains("follow applies to user rows").all()
    assert users.mixcloud.listen_later(client=client).error.str.contains(
        "cloudcast rows").all()
    tags = to_frame([{"key": "/discover/funk/", "name": "Funk"}], type="tag")
    assert "a tag row" in tags.mixcloud.favorite(client=client).loc[0, "error"]
    assert sb.request_count == before
    # without a type in attrs, the key's shape tells: /user/ vs /user/slug/
    mixed = pd.DataFrame({"key": [shows.key[0], users.key[0], None, "a/b/c/d"]},
                         index=[10, 20, 30, 40])
    result = mixed.mixcloud.favorite(client=client)
    assert sb.request_count - before == 1
    assert list(result.index) == [10, 20, 30, 40]
    assert result.ok.tolist() == [True, False, False, False]
    assert "is a user row, not sent" in result.loc[20, "error"]
    assert "no key" in result.loc[30, "error"]
    assert "neither a user nor a cloudcast" in result.loc[40, "error"]
    assert ME in truth(sb, f"{shows.key[0]}favorites/")


def test_no_client_is_a_clear_error_before_sending(sb, client):
    users = not_followed(sb, client, 1)
    before = sb.request_count
    with pytest.raises(RuntimeError, match=r"client=.*set_default_client"):
        users.mixcloud.follow()
    with pytest.raises(RuntimeError, match="set_default_client"):
        users.mixcloud.load()
    with make_client(sb, access_token=None) as anonymous:
        with pytest.raises(AuthError, match="access_token"):
            users.mixcloud.follow(client=anonymous)
    assert sb.request_count == before
    set_default_client(client)
    assert users.mixcloud.follow().ok.all()
    assert users.key.iloc[0] in truth(sb, f"{ME}following/")


def test_the_token_is_never_in_attrs_or_results(sb, client):
    first = page(client, "/NTSRadio/cloudcasts/?limit=20")
    users = not_followed(sb, client, 2)
    frames = [first, first.mixcloud.next_page(client),
              first.mixcloud.all_pages(max_pages=2, client=client, progress=False),
              users.mixcloud.load(client=client),
              users.mixcloud.connection("following", client=client, limit=5),
              users.mixcloud.follow(client=client),
              pd.DataFrame({"key": ["/nobody-at-all/"]}).mixcloud.follow(client=client),
              first.head(2).mixcloud.favorite(client=client, dry_run=True)]
    for frame in frames:
        assert not has_token(frame)
        assert "access_token" not in repr(frame.attrs)


# -- display -------------------------------------------------------------------------------------

def test_embed_matches_the_api_players_without_a_request(sb, client):
    shows = page(client, "/NTSRadio/cloudcasts/?limit=3")
    before = sb.request_count
    players = shows.mixcloud.embed()
    options = {"width": 300, "mini": True, "light": True, "color": "#FF0055"}
    styled = shows.mixcloud.embed(**options)
    assert sb.request_count == before
    assert players.index.equals(shows.index) and players.dtype == "string"
    for key, player, custom in zip(shows.key, players, styled):
        assert player == client.embed_html(key)
        assert custom == client.embed_html(key, **options)
        assert "feed=%2FNTSRadio%2F" in player
    mixed = pd.DataFrame({"key": [shows.key[0], "/spartacus/"]}, index=["s", "u"])
    embedded = mixed.mixcloud.embed()
    assert embedded.isna().tolist() == [False, True]
    with pytest.raises(ValueError, match="color"):
        shows.mixcloud.embed(color="red")


def test_preview_renders_the_first_players(client):
    from IPython.display import HTML

    shows = page(client, "/NTSRadio/cloudcasts/?limit=7")
    shown = shows.mixcloud.preview(max_rows=2)
    assert isinstance(shown, HTML)
    assert shown.data.count("<iframe") == 2 and "5 more" in shown.data
    users = to_frame([{"key": "/spartacus/", "username": "spartacus"}])
    assert "No cloudcast rows" in users.mixcloud.preview().data


# -- inside a running event loop --------------------------------------------------------------

async def test_blocking_methods_work_inside_a_running_event_loop(sb):
    shows_truth = truth(sb, "/NTSRadio/cloudcasts/")
    with make_client(sb) as mixcloud:
        set_default_client(mixcloud)
        first = page(mixcloud, "/NTSRadio/cloudcasts/?limit=100")
        assert list(first.mixcloud.next_page().key) == shows_truth[100:]
        every = first.mixcloud.all_pages(progress=False)
        assert list(every.key) == shows_truth
        assert len(first.head(2).mixcloud.load()) == 2
        fans = first.head(2).mixcloud.connection("favorites")
        assert set(fans.source_key) <= set(first.key[:2])
        users = not_followed(sb, mixcloud, 1)
        assert users.mixcloud.follow().ok.all()
        assert users.mixcloud.crawl(progress=False).users.key.tolist() == list(users.key)


def test_an_unused_async_client_works_too(sb):
    shows = truth(sb, "/NTSRadio/cloudcasts/")
    with make_client(sb) as mixcloud:
        first = page(mixcloud, "/NTSRadio/cloudcasts/?limit=100")
    fresh = sandbox.client(sb, sync=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert list(first.mixcloud.next_page(fresh).key) == shows[100:]
    finally:
        _runner.run(fresh.close())   # its session lives on mixframe's loop thread


# -- the async functions behind the accessor ---------------------------------------------------

async def test_the_rows_functions_are_awaited_on_the_running_loop(sb):
    """Notebooks await rows.* directly: with an async client on this loop, and with a
    MixcloudSync (its requests go to its own loop thread, this loop is never blocked)."""
    shows = truth(sb, "/NTSRadio/cloudcasts/")
    async with Mixcloud(**sandbox.roots(URL), transport=sandbox.transport(sb),
                        access_token=sandbox.TOKEN, retries=FAST) as mixcloud:
        first = page_frame(await mixcloud.fetch(URL + "/NTSRadio/cloudcasts/?limit=100",
                                                relative=False))
        assert list((await rows.next_page(first, client=mixcloud)).key) == shows[100:]
        every = await rows.all_pages(first, client=mixcloud, progress=False)
        assert list(every.key) == shows
        assert len(await rows.load(first.head(3), client=mixcloud)) == 3
    with make_client(sb) as blocking:
        set_default_client(blocking)
        ticks = 0

        async def ticking():
            nonlocal ticks
            while True:
                await asyncio.sleep(0)
                ticks += 1

        ticker = asyncio.create_task(ticking())
        fans = await rows.connection(first.head(2), "favorites")
        loaded = await rows.load(first.head(5))
        ticker.cancel()
        assert set(fans.source_key) <= set(first.key[:2])
        assert list(loaded.key) == list(first.key[:5])
        assert ticks > 0                                   # the loop kept running
        users = not_followed(sb, blocking, 1)
        done = await rows.act(users, "follow")
        assert done.ok.all() and users.key.iloc[0] in truth(sb, f"{ME}following/")


def test_the_rows_functions_check_their_frame():
    with pytest.raises(ValueError, match=r"needs a 'key' column.*'id'"):
        asyncio.run(rows.load(pd.DataFrame({"id": [1]})))
    with pytest.raises(TypeError, match="DataFrame"):
        asyncio.run(rows.act([{"key": "/a/"}], "follow", dry_run=True))
    with pytest.raises(ValueError, match="action must be one of"):
        asyncio.run(rows.act(pd.DataFrame({"key": ["/a/"]}), "like", dry_run=True))
    assert set(rows.__all__) >= {"all_pages", "act", "connection", "load", "next_page",
                                 "previous_page"}
