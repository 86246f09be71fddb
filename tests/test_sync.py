"""The blocking classes: same interface, sync objects all the way down, and they work in a
running event loop (a Jupyter cell), in threads, and over real loopback HTTP."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import warnings

import pytest

from mixframe import Resource, ResourceList, sandbox
from mixframe.sync import MixcloudSync, ResourceListSync, ResourceSync


@pytest.fixture
def sync_client(sb):
    with sandbox.client(sb) as client:
        yield client


def test_everything_returned_is_sync(sync_client):
    user = sync_client.get("spartacus")
    assert type(user) is ResourceSync and isinstance(user, Resource)
    assert user.name == "Spartacus" and user["name"] == "Spartacus"  # .name is the data
    followers = user.followers(limit=3)
    assert type(followers) is ResourceListSync and isinstance(followers, ResourceList)
    assert len(followers) == 3 and type(followers[0]) is ResourceSync
    following = followers.next()
    assert type(following) is ResourceListSync
    assert following.previous()[0].key == followers[0].key
    show = user.cloudcasts(limit=1)[0]
    assert show.load() is show  # the sync object itself, not the inner async one
    assert type(show.similar(limit=1)[0].load()) is ResourceSync
    assert show.favorite().result.success is True  # targeted methods block too
    assert "<iframe" in show.embed_html()
    assert type(sync_client.popular(limit=2)) is ResourceListSync


def test_proxy_behaves_like_the_object(sync_client):
    user = sync_client.get("spartacus")
    assert repr(user) == "<Resource: User '/spartacus/'>"
    assert "key" in user and len(user) == len(user.data) and bool(sync_client)
    page = sync_client.get("spartacus/followers", limit=2)
    assert [item.key for item in page] == [page[0].key, page[1].key]
    assert page == sync_client.get("spartacus/followers", limit=2)
    sync_client.access_token = None
    from mixframe import AuthError
    with pytest.raises(AuthError):
        sync_client.me()


async def test_works_inside_a_running_event_loop(sb):
    assert asyncio.get_running_loop()  # as in a Jupyter cell
    with sandbox.client(sb, token=False) as client:
        assert client.get("spartacus").followers(limit=2)[1].key


def test_works_in_worker_threads(sb):
    results, errors = [], []

    def work():
        try:
            with sandbox.client(sb, token=False) as client:
                results.append(client.get("spartacus").username)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == ["spartacus"] * 4


def test_over_real_loopback_http(served):
    with MixcloudSync(**sandbox.roots(served)) as client:
        assert client.get("spartacus").followers(limit=5).next() is not None


def test_no_event_loop_warnings(sb):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with sandbox.client(sb, token=False) as client:
            client.get("spartacus")


def test_custom_resource_class_is_honoured_and_made_sync(sb):
    class Show(Resource):
        def title(self):
            return self.name.upper()

    with sandbox.client(sb, token=False, resource_class=Show) as client:
        user = client.get("spartacus")
        assert user.title() == "SPARTACUS"
        assert user.cloudcasts(limit=1)[0].load().title()


def test_sync_under_python_dash_o():
    # Validation must not depend on assert statements.
    code = ("import asyncio\n"
            "from mixframe import MixcloudSync, AuthError\n"
            "c = MixcloudSync()\n"
            "try:\n    c.me()\nexcept AuthError as e:\n    print('auth', e)\n"
            "try:\n    c.popular(page=1, limit=3)\nexcept ValueError as e:\n    print('value')\n")
    out = subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["auth OAuthException: access_token must be set to call "
                                       "me()", "value"]


def test_an_error_traceback_shows_the_call_and_the_error_not_the_machinery(sb):
    import traceback

    from mixframe import NotFoundError

    with MixcloudSync(**sandbox.roots(sandbox.IN_PROCESS_URL), transport=sandbox.transport(sb),
                      raise_exceptions=True) as client:
        follower = client.get("spartacus/followers", limit=1)[0]
        follower.data["key"] = "/no-such-user-anywhere/"
        errors = []
        for call in (lambda: client.get("no-such-user-anywhere"),   # a client method
                     lambda: follower.load(force=True)):            # a model's method
            with pytest.raises(NotFoundError) as caught:
                call()
            errors.append(caught.value)
    for error in errors:
        frames = traceback.extract_tb(error.__traceback__)
        files = [frame.filename for frame in frames]
        assert not [name for name in files if "concurrent" in name or "asyncio" in name], files
        assert frames[0].filename == __file__  # the caller's line first
        assert frames[-1].name == "_native_result"  # where it was raised last
        assert len(frames) <= 8, [f"{frame.filename}:{frame.name}" for frame in frames]
