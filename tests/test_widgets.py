"""Notebook layer: the login widget against the sandbox, players, galleries and rich HTML."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pandas as pd
import pytest
import traitlets

import mixframe
from mixframe import AccessDict, MixcloudOAuth, Resource, ResourceList, sandbox
from mixframe.html import resource_html, resource_list_html, safe_url
from mixframe.sync import MixcloudSync
from mixframe.widgets import Gallery, LoginWidget, Player, gallery, player, player_html

REDIRECT = "http://localhost:8888/callback/"
OAUTH_ROOT = sandbox.oauth_root()


@pytest.fixture(autouse=True)
def no_default_client():
    mixframe.set_default_client(None)
    yield
    mixframe.set_default_client(None)


@pytest.fixture
def app():
    return sandbox.app(users=20)


def make_widget(app, **options):
    options.setdefault("redirect_uri", REDIRECT)
    widget = LoginWidget(sandbox.CLIENT_ID, sandbox.CLIENT_SECRET, oauth_root=OAUTH_ROOT,
                         api_root=sandbox.roots()["api_root"], transport=sandbox.transport(app),
                         **options)
    return widget


def follow(app, url: str) -> str:
    """Open the authorisation URL like a browser would; return where it redirects."""
    async def get():
        async with httpx.AsyncClient(transport=sandbox.transport(app)) as browser:
            return await browser.get(url)

    response = asyncio.run(get())
    assert response.status_code == 302
    return response.headers["location"]


def shown_text(widget: LoginWidget) -> str:
    """Everything the widget shows or says about itself."""
    parts = [repr(widget), widget.status, widget.error or "", str(widget._repr_mimebundle_())]
    for child in widget.children:
        parts += [repr(child), str(getattr(child, "value", "")),
                  str(getattr(child, "description", "")), str(getattr(child, "tooltip", ""))]
    return "\n".join(parts)


def assert_no_secrets(widget: LoginWidget, *extra: str) -> None:
    text = shown_text(widget)
    secrets = [sandbox.CLIENT_SECRET, *extra]
    if widget.client is not None:
        secrets.append(widget.client.access_token)
    for secret in secrets:
        assert secret not in text


def unstated_link(redirect_uri: str) -> str:
    """An authorisation link for the sandbox app without any state, as anyone can build."""
    return MixcloudOAuth(OAUTH_ROOT, client_id=sandbox.CLIENT_ID,
                         redirect_uri=redirect_uri).authorization_url


def click(widget: LoginWidget, value: str) -> None:
    widget.code_input.value = value
    widget.login_button.click()


# -- login ------------------------------------------------------------------------------------


def test_login_with_the_pasted_redirect_url(app):
    widget = make_widget(app, state="s-42")
    assert parse_qs(urlsplit(widget.authorization_url).query)["state"] == ["s-42"]
    assert widget.authorization_url in widget.link.value.replace("&amp;", "&")
    location = follow(app, widget.authorization_url)
    assert location.startswith(REDIRECT) and "state=s-42" in location
    click(widget, location)

    assert widget.error is None
    assert isinstance(widget.client, MixcloudSync)
    assert mixframe.get_default_client() is widget.client
    assert widget.client.me().is_current_user is True
    me = app.world.default_username
    assert "Logged in as" in widget.status and f"/{me}/" in widget.status
    assert widget.status in widget.output.value.replace("&#x27;", "'")
    assert widget.code_input.value == ""          # the code does not linger in the field
    assert widget.login_button.disabled is False
    assert_no_secrets(widget, parse_qs(urlsplit(location).query)["code"][0])
    token = widget.client.access_token
    assert token and "token" in widget.status.lower() and token[-4:] not in widget.status


def test_login_with_the_bare_code_and_login_method(app):
    widget = make_widget(app)
    code = parse_qs(urlsplit(follow(app, widget.authorization_url)).query)["code"][0]
    client = widget.login(f"  {code}\n")
    assert client is widget.client is mixframe.get_default_client()
    assert widget.error is None and "Logged in as" in widget.status
    assert_no_secrets(widget, code)


async def test_login_works_inside_a_running_event_loop(app):
    """Like a click in a Jupyter kernel, whose event loop is running."""
    widget = make_widget(app)
    async with httpx.AsyncClient(transport=sandbox.transport(app)) as browser:
        location = (await browser.get(widget.authorization_url)).headers["location"]
    click(widget, location)
    assert widget.client is not None, widget.status
    assert widget.client.me().key == f"/{app.world.default_username}/"


def test_query_string_alone_is_accepted(app):
    widget = make_widget(app)
    location = follow(app, widget.authorization_url)
    click(widget, "?" + urlsplit(location).query)
    assert widget.client is not None, widget.status


def test_relogin_replaces_the_client(app):
    widget = make_widget(app)
    click(widget, follow(app, widget.authorization_url))
    first = widget.client
    click(widget, follow(app, widget.authorization_url))
    assert widget.client is not first and mixframe.get_default_client() is widget.client


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_empty_input_is_reported(app, value):
    widget = make_widget(app)
    click(widget, value)
    assert widget.client is None and mixframe.get_default_client() is None
    assert widget.error and "paste the code" in widget.error.lower()
    assert widget.status == widget.error
    assert "b00020" in widget.output.value        # shown as an error
    assert not any(r.path == "/oauth/access_token" for r in app.requests)


def test_bad_code_is_reported_not_raised(app):
    widget = make_widget(app)
    click(widget, "not-a-real-code")
    assert widget.client is None and mixframe.get_default_client() is None
    assert "refused the code" in widget.error and "invalid_grant" in widget.error
    assert widget.login_button.disabled is False
    assert_no_secrets(widget)


def token_requests(app) -> int:
    return sum(r.path == "/oauth/access_token" for r in app.requests)


def test_a_code_works_once(app):
    widget = make_widget(app)
    location = follow(app, widget.authorization_url)
    click(widget, location)
    assert widget.client is not None
    state = parse_qs(urlsplit(widget.authorization_url).query)["state"][0]
    other = make_widget(app, state=state)
    click(other, location)
    assert other.client is None and "refused the code" in other.error


def test_repasting_the_used_code_after_a_login_says_it_is_still_logged_in(app):
    widget = make_widget(app)
    location = follow(app, widget.authorization_url)
    click(widget, location)
    first, sent = widget.client, token_requests(app)
    click(widget, location)                       # the same address, pasted again
    assert widget.client is first and mixframe.get_default_client() is first
    assert widget.error is None
    assert "Still logged in as" in widget.status and "already used" in widget.status
    assert "b00020" not in widget.output.value    # not shown as an error
    assert token_requests(app) == sent            # nothing sent for a spent code
    click(widget, "some-other-bad-code")          # a failed new attempt keeps the login
    assert widget.client is first and "refused the code" in widget.error
    assert widget.status.startswith("Still logged in as")
    assert "b00020" not in widget.output.value
    assert_no_secrets(widget)


def test_state_mismatch_is_rejected_before_the_code_is_sent(app):
    widget = make_widget(app, state="expected")
    other = make_widget(app, state="forged")
    location = follow(app, other.authorization_url)
    click(widget, location)
    assert widget.client is None
    assert "state mismatch" in widget.error.lower()
    assert not any(r.path == "/oauth/access_token" for r in app.requests)
    # The same code, pasted bare (a deliberate act), is accepted.
    click(widget, parse_qs(urlsplit(location).query)["code"][0])
    assert widget.client is not None, widget.status


def test_missing_state_is_rejected_when_one_is_expected(app):
    widget = make_widget(app, state="expected")
    location = follow(app, unstated_link(REDIRECT))
    click(widget, location)
    assert widget.client is None and "no state" in widget.error


def test_url_without_code_or_with_an_error(app):
    widget = make_widget(app)
    click(widget, REDIRECT + "?foo=1")
    assert "no code" in widget.error
    click(widget, REDIRECT + "?error=access_denied&error_description=User+said+no")
    assert "did not authorise" in widget.error and "User said no" in widget.error
    click(widget, "two words")
    assert "does not look like a code" in widget.error
    assert widget.client is None


def test_network_failure_is_reported(app):
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    widget = LoginWidget(sandbox.CLIENT_ID, sandbox.CLIENT_SECRET, REDIRECT,
                         oauth_root=OAUTH_ROOT, transport=httpx.MockTransport(refuse))
    click(widget, "some-code")
    assert widget.client is None
    assert "could not reach" in widget.error.lower()
    assert_no_secrets(widget)
    assert "some-code" not in widget.error


def test_token_rejected_by_me_is_reported_without_the_token():
    token = "tok-VERY-SECRET-123"

    def answer(request):
        if request.url.path.endswith("/access_token"):
            return httpx.Response(200, json={"access_token": token})
        return httpx.Response(401, json={"error": {
            "type": "OAuthException", "message": f"An invalid access token {token} was provided"}})

    widget = LoginWidget("id", "the-client-secret", REDIRECT, oauth_root="https://oauth.test",
                         api_root="https://api.test", transport=httpx.MockTransport(answer))
    click(widget, "a-code")
    assert widget.client is None and mixframe.get_default_client() is None
    assert "did not accept" in widget.error and "invalid access token" in widget.error
    assert_no_secrets(widget, token, "the-client-secret")


def test_unexpected_errors_are_shown_not_raised(app, monkeypatch):
    widget = make_widget(app)

    def boom(code):
        raise RuntimeError(f"kaboom {sandbox.CLIENT_SECRET}")

    monkeypatch.setattr(widget, "_exchange", boom)
    click(widget, "abc")
    assert "kaboom" in widget.error and sandbox.CLIENT_SECRET not in widget.error


def test_secret_not_shown_before_login_and_client_options(app):
    widget = make_widget(app, client_options={"raise_exceptions": True})
    assert_no_secrets(widget)
    assert "not logged in" in repr(widget)
    click(widget, follow(app, widget.authorization_url))
    assert widget.client._raise_exceptions is True
    assert "logged in as" in repr(widget) and sandbox.CLIENT_SECRET not in repr(widget)


@pytest.mark.parametrize("args, kwargs, error", [
    (("", "secret", REDIRECT), {}, ValueError),
    (("id", None, REDIRECT), {}, TypeError),
    (("id", "secret"), {}, TypeError),
    (("id", "secret", REDIRECT), {"local_redirect": True}, ValueError),
    (("id", "secret", REDIRECT), {"oauth_root": "ftp://x"}, ValueError),
    (("id", "secret", REDIRECT), {"client_options": {"access_token": "x"}}, ValueError),
    (("id", "secret", REDIRECT), {"api_root": "not a url"}, ValueError),
    (("id", "secret", REDIRECT), {"client_options": {"no_such_option": 1}}, TypeError),
])
def test_bad_constructor_arguments(args, kwargs, error):
    with pytest.raises(error):
        LoginWidget(*args, **kwargs)


def test_local_redirect_catches_the_code(app):
    widget = make_widget(app, redirect_uri=None, local_redirect=True, state="st")
    try:
        assert widget.redirect_uri.startswith("http://127.0.0.1:")
        assert widget.redirect_uri.endswith("/callback")
        assert widget.local_server_running
        with httpx.Client(timeout=10) as browser:
            assert browser.get(widget.redirect_uri.replace("callback", "other")).status_code == 404
            # A forged callback (wrong state) fails and the server keeps waiting.
            forged = browser.get(widget.redirect_uri + "?code=x&state=nope")
            assert forged.status_code == 200 and "failed" in forged.text
            assert widget.client is None and widget.local_server_running
            location = follow(app, widget.authorization_url)
            assert location.startswith(widget.redirect_uri + "?code=")
            page = browser.get(location)
        assert page.status_code == 200 and "logged in as" in page.text
        assert widget.client is not None and mixframe.get_default_client() is widget.client
        assert widget.client.access_token not in page.text
        assert stops(widget)
    finally:
        widget.close()


def stops(widget: LoginWidget, within: float = 5.0) -> bool:
    """Whether the widget's local server stops within `within` seconds."""
    deadline = time.monotonic() + within
    while widget.local_server_running and time.monotonic() < deadline:
        time.sleep(0.02)
    return not widget.local_server_running


def test_local_redirect_also_accepts_a_pasted_url_and_then_stops(app):
    widget = make_widget(app, redirect_uri=None, local_redirect=True)
    try:
        click(widget, follow(app, widget.authorization_url))
        assert widget.client is not None, widget.status
        assert not widget.local_server_running
    finally:
        widget.close()


def test_local_redirect_server_stops_on_close(app):
    widget = make_widget(app, redirect_uri=None, local_redirect=True)
    assert widget.local_server_running
    widget.close()
    assert not widget.local_server_running


def test_every_login_has_a_random_state_by_default(app):
    first, second = make_widget(app), make_widget(app)
    states = [parse_qs(urlsplit(widget.authorization_url).query)["state"][0]
              for widget in (first, second)]
    assert states[0] != states[1] and all(len(state) >= 16 for state in states)
    location = follow(app, first.authorization_url)
    assert f"state={states[0]}" in location
    click(second, location)                  # the other login's redirect is refused
    assert second.client is None and "state mismatch" in second.error.lower()
    click(first, location)
    assert first.client is not None, first.status


def test_a_forged_local_redirect_without_the_state_is_refused(app):
    """Login CSRF: anyone can get a code for this public client id and send the browser to
    the local server; without this login's state it must not log the notebook in."""
    widget = make_widget(app, redirect_uri=None, local_redirect=True)
    try:
        forged = follow(app, unstated_link(widget.redirect_uri))
        assert forged.startswith(widget.redirect_uri + "?code=") and "state=" not in forged
        sent = token_requests(app)
        with httpx.Client(timeout=10) as browser:
            page = browser.get(forged)
        assert page.status_code == 200 and "failed" in page.text
        assert widget.client is None and mixframe.get_default_client() is None
        assert "no state" in widget.error
        assert token_requests(app) == sent           # the forged code was never traded
        assert widget.local_server_running           # still waiting for the real one
        with httpx.Client(timeout=10) as browser:
            assert "logged in as" in browser.get(follow(app, widget.authorization_url)).text
        assert widget.client is not None
    finally:
        widget.close()


def test_code_can_observe_the_login(app):
    widget = make_widget(app)
    seen = []
    widget.observe(lambda change: seen.append((change["name"], change["new"])),
                   names=["client", "error"])
    statuses = []
    widget.observe(lambda change: statuses.append(change["new"]), names="status")
    click(widget, "not-a-real-code")
    assert seen == [("error", widget.error)] and widget.client is None
    click(widget, follow(app, widget.authorization_url))
    assert seen[-2:] == [("error", None), ("client", widget.client)]
    assert isinstance(seen[-1][1], MixcloudSync)
    assert statuses[-1] == widget.status and "Logged in as" in statuses[-1]
    assert "Logging in…" in statuses
    for name in ("client", "status", "error"):
        with pytest.raises(traitlets.TraitError, match="read-only"):
            setattr(widget, name, None)


def test_the_login_widget_fits_its_output_area(app):
    """The text field used width 100% plus its margins, past the output area: it now fills
    what the box leaves (auto), and nothing in the widget is wider than the box."""
    widget = make_widget(app)
    assert widget.code_input.layout.width == "auto"
    for part in (widget, widget.code_input, widget.output):
        assert part.layout.max_width == "100%"
    assert "overflow-wrap:anywhere" in widget.output.value   # long messages wrap
    assert [type(child).__name__ for child in widget.children] == ["HTML", "Text", "Button",
                                                                   "HTML"]


# -- players ----------------------------------------------------------------------------------


def test_player_from_a_key():
    p = player("spartacus/party-time")
    assert isinstance(p, Player)
    assert p.key == "/spartacus/party-time/" and p.url == "https://www.mixcloud.com/spartacus/party-time/"
    assert p.src == "https://www.mixcloud.com/widget/iframe/?feed=%2Fspartacus%2Fparty-time%2F"
    assert '<iframe width="100%" height="120"' in p.value
    # plain-text fallback beside the iframe: title and link
    fallback = p.value.split("</iframe>", 1)[1]
    assert "https://www.mixcloud.com/spartacus/party-time/" in fallback
    bundle = p._repr_mimebundle_()
    assert bundle["text/plain"] == p.text == ("/spartacus/party-time/ — "
                                              "https://www.mixcloud.com/spartacus/party-time/")
    assert bundle["text/html"] == p.value
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_player_options_in_the_iframe_url():
    p = player("/a/b/", width=600, height=60, color="#FF6600", light=True, mini=True,
               hide_cover=True, autoplay=True)
    query = parse_qs(urlsplit(p.src).query)
    assert query == {"feed": ["/a/b/"], "hide_cover": ["1"], "mini": ["1"], "light": ["1"],
                     "autoplay": ["1"], "color": ["ff6600"]}
    assert 'width="600" height="60"' in p.value
    assert "&amp;light=1" in p.value and "&light=1" not in p.value   # attribute is escaped
    assert 'width="50%"' in player("/a/b/", width="50%").value
    assert 'width="320"' in player("/a/b/", width="320px").value


def test_player_escapes_title_and_key():
    p = player({"key": "/dj/<b>x/", "name": 'Tom & "Jerry" <script>alert(1)</script>'})
    assert "<script>" not in p.value and "<b>" not in p.value
    assert "Tom &amp; &quot;Jerry&quot; &lt;script&gt;" in p.value
    assert p.title == 'Tom & "Jerry" <script>alert(1)</script>'
    assert "%3Cb%3E" in p.url


def test_player_takes_resources_and_urls():
    show = Resource({"key": "/spartacus/party-time/", "name": "Party Time",
                     "type": "cloudcast", "url": "https://www.mixcloud.com/spartacus/party-time/"})
    p = player(show)
    assert p.title == "Party Time" and p.text.startswith("Party Time — ")
    assert player("https://www.mixcloud.com/spartacus/party-time/").key == show.key
    assert player_html(show, mini=True) == player(show, mini=True).value


@pytest.mark.parametrize("kwargs, error, name", [
    ({"height": -1}, ValueError, "height"),
    ({"height": 0}, ValueError, "height"),
    ({"height": 1.5}, TypeError, "height"),
    ({"height": "12em"}, ValueError, "height"),
    ({"width": 0}, ValueError, "width"),
    ({"width": "wide"}, ValueError, "width"),
    ({"width": "150%"}, ValueError, "width"),
    ({"width": True}, TypeError, "width"),
    ({"color": "red"}, ValueError, "color"),
    ({"color": "#12345"}, ValueError, "color"),
    ({"color": 0xFF6600}, TypeError, "color"),
    ({"light": 1}, TypeError, "light"),
    ({"mini": "yes"}, TypeError, "mini"),
    ({"hide_cover": "no"}, TypeError, "hide_cover"),
    ({"shuffle": True}, TypeError, "shuffle"),
    ({"autoplay": 1}, TypeError, "autoplay"),
])
def test_player_validates_options(kwargs, error, name):
    with pytest.raises(error, match=name):
        player("/a/b/", **kwargs)


@pytest.mark.parametrize("show, error", [
    ("/spartacus/", ValueError),                               # a user, not a show
    ({"key": "/spartacus/", "type": "user", "url": "x"}, ValueError),
    ({"name": "no key"}, ValueError),
    ("https://evil.example/a/b/", ValueError),
    ("/a/b/?x=1", ValueError),
    (42, TypeError),
])
def test_player_rejects_what_is_not_a_show(show, error):
    with pytest.raises(error):
        player(show)


def test_gallery_of_keys_in_a_grid():
    g = gallery(["/a/one/", {"key": "/a/two/", "name": "Two"}, "/b/three/"], columns=3,
                mini=True, height=60)
    assert isinstance(g, Gallery) and g.show_keys == ["/a/one/", "/a/two/", "/b/three/"]
    assert g.value.count("<iframe") == 3 and "repeat(3," in g.value
    assert g.value.count("mini=1") == 3 and g.truncated is False and g.total == 3
    assert "Two — https://www.mixcloud.com/a/two/" in g.text


def test_gallery_is_capped_with_a_note():
    g = gallery([f"/u/show-{i}/" for i in range(30)])
    assert g.value.count("<iframe") == 12 and g.truncated and g.total == 30
    assert "first 12 of 30" in g.value and "max_items" in g.value
    generated = gallery((f"/u/show-{i}/" for i in range(30)), max_items=5)
    assert generated.value.count("<iframe") == 5 and generated.truncated
    assert generated.total is None


def test_gallery_of_a_resource_list_and_a_dataframe():
    page = ResourceList({"data": [{"key": "/a/x/", "name": "X <1>", "url": "u"},
                                  {"key": "/a/y/", "name": "Y", "url": "u"}],
                         "paging": {}, "name": "A's shows"})
    g = gallery(page)
    assert g.show_keys == ["/a/x/", "/a/y/"] and "X &lt;1&gt;" in g.value
    frame = pd.DataFrame({"key": ["/a/x/", "/a/y/"], "name": ["X", None]})
    g = gallery(frame, light=True)
    assert g.show_keys == ["/a/x/", "/a/y/"] and g.value.count("light=1") == 2
    assert "X — " in g.text and "/a/y/ — " in g.text
    with pytest.raises(ValueError, match="key"):
        gallery(pd.DataFrame({"name": ["X"]}))


def test_gallery_arguments_are_checked():
    with pytest.raises(TypeError, match="player"):
        gallery("/a/b/")
    with pytest.raises(TypeError, match="colour"):
        gallery(["/a/b/"], colour="ff0000")
    with pytest.raises(ValueError, match="columns"):
        gallery(["/a/b/"], columns=0)
    with pytest.raises(ValueError, match="height"):
        gallery([], height=-5)
    assert "No shows" in gallery([]).value


# -- rich HTML --------------------------------------------------------------------------------


def test_resource_html_escapes_and_summarises():
    data = {"key": "/dj/<mix>/", "name": "<img src=x onerror=alert(1)> & co", "type": "cloudcast",
            "url": "https://www.mixcloud.com/dj/mix/",
            "pictures": {"thumbnail": "https://thumbnailer.mixcloud.com/unsafe/50x50/a.jpg"},
            "play_count": 12345, "favorite_count": 7, "audio_length": 3725,
            "user": {"name": "DJ \"Q\""}}
    html = resource_html(data)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; &amp; co" in html
    assert "/dj/&lt;mix&gt;/" in html and "cloudcast" in html
    assert "12,345 plays" in html and "7 favorites" in html and "1:02:05" in html
    assert 'src="https://thumbnailer.mixcloud.com/unsafe/50x50/a.jpg"' in html
    assert "DJ &quot;Q&quot;" in html
    assert 'href="https://www.mixcloud.com/dj/mix/"' in html


def test_resource_html_never_shows_a_token():
    data = {"key": "/bob/", "name": "Bob", "type": "user",
            "url": "https://www.mixcloud.com/bob/?access_token=SECRET-1&x=1",
            "pictures": {"thumbnail": "https://img.test/b.jpg?access_token=SECRET-2",
                         "small": "https://img.test/s.jpg"},
            "metadata": {"connections": {"followers":
                                         "https://api.mixcloud.com/bob/followers/?access_token=SECRET-3"}}}
    html = resource_html(data)
    assert "SECRET" not in html and "access_token" not in html
    assert "https://www.mixcloud.com/bob/?x=1" in html and "https://img.test/b.jpg" in html


def test_resource_html_skips_unsafe_urls_and_handles_odd_data():
    html = resource_html({"key": "/a/", "name": "A", "url": "javascript:alert(1)",
                          "pictures": {"thumbnail": "javascript:alert(2)"}})
    assert "javascript" not in html and "<img" not in html and "<a " not in html
    assert "stats hidden" in resource_html({"key": "/a/b/", "hidden_stats": True,
                                            "play_count": 0})
    error = resource_html({"error": {"type": "NotFoundException",
                                     "message": "<b>nope</b> https://x/?access_token=T0K"}})
    assert "&lt;b&gt;nope" in error and "T0K" not in error
    assert "/a/" in resource_html(Resource({"key": "/a/", "url": "u"}))
    with pytest.raises(TypeError):
        resource_html(["not", "a", "dict"])


def test_resource_list_html():
    items = [{"key": f"/u{i}/", "name": f"<User {i}>", "url": f"https://www.mixcloud.com/u{i}/",
              "pictures": {"thumbnail": f"https://img.test/{i}.jpg?access_token=TKN"}}
             for i in range(8)]
    data = {"data": items, "name": "Bob's <followers>",
            "paging": {"next": "https://api.mixcloud.com/bob/followers/?access_token=TKN&offset=20"}}
    html = resource_list_html(data)
    assert "Bob&#x27;s &lt;followers&gt;" in html and "8 items" in html
    assert "next page" in html and "previous page" not in html
    assert "&lt;User 0&gt;" in html and "&lt;User 4&gt;" in html and "User 5" not in html
    assert "and 3 more" in html
    assert "TKN" not in html and "access_token" not in html and "offset=20" not in html
    both = resource_list_html({"data": [], "paging": {"next": "n", "previous": "p"}})
    assert "previous and next pages available" in both and "0 items" in both
    assert "no other pages" in resource_list_html({"data": [{"key": "/a/"}]})
    assert "1 item " in resource_list_html({"data": [{"key": "/a/"}]})
    assert "&lt;User 7&gt;" in resource_list_html(ResourceList(data), max_items=10)


def test_safe_url():
    assert safe_url("https://a.test/p?access_token=x&client_secret=y&code=z&k=v#f") == \
        "https://a.test/p?k=v#f"
    assert safe_url("data:text/html,hi") is None and safe_url(None) is None
    assert safe_url("https://a.test/\nx") is None


def test_an_error_result_displays_as_an_error_in_notebooks(app):
    """In the default mode (raise_exceptions=False) a failed request returns an error
    result: it shows as a red error line in Jupyter and reads as one in a repr."""
    from IPython.core.formatters import DisplayFormatter

    with MixcloudSync(**sandbox.roots(sandbox.IN_PROCESS_URL), transport=sandbox.transport(app),
                      access_token=sandbox.TOKEN) as mixcloud:
        missing = mixcloud.get("nobody-at-all")
        refused = mixcloud.follow("nobody-at-all")
        found = mixcloud.get("spartacus")
    formats = DisplayFormatter().format
    for result in (missing, refused):
        assert "error" in result
        shown, _ = formats(result)
        assert "mixframe-error" in shown["text/html"] and "#b00020" in shown["text/html"]
        assert "NotFoundException" in shown["text/html"] and "nobody-at-all" in shown["text/html"]
        assert shown["text/plain"].startswith("<AccessDict error: NotFoundException: ")
        assert "{'error'" not in repr(result)
    assert "mixframe-error" not in formats(found)[0].get("text/html", "")
    plain = AccessDict({"result": {"success": True, "message": "Now following"}})
    assert "text/html" not in formats(plain)[0] and repr(plain).startswith("{'result'")
    echoed = AccessDict({"error": {"type": "OAuthException",
                                   "message": "bad https://x.test/?access_token=SEKRIT"}})
    assert "SEKRIT" not in repr(echoed) and "SEKRIT" not in str(formats(echoed)[0])
