"""The example notebooks, run top to bottom in a real browser: JupyterLab and Chromium.

nbclient (``tests/test_notebooks.py``) runs the notebooks' code but never renders a widget;
here a user's path is taken. JupyterLab serves a copy of ``notebooks/`` with
``MIXFRAME_SANDBOX=1``, on a free loopback port with a token, and starts its kernels on this
interpreter (the venv, so they import this checkout). Debian's Chromium, driven by Playwright,
opens each notebook, picks *Run > Run All Cells* and waits until every cell has run. A notebook
passes only if:

* every code cell ran and no output is an error or stderr (the saved notebook is read back);
* every widget output renders as a widget: no "Error displaying widget", no widget repr such as
  ``HBox(children=...)`` shown as text, and no widget wider than its output area;
* what it is there to show is on the page (``SHOWS``): tqdm progress bars, Mixcloud player
  iframes, and the LoginWidget's link, text field and button, visible, with the login done.

A full-page screenshot of each notebook is saved to ``tests/browser-screenshots/`` (git-ignored),
pass or fail. The browser reaches nothing but loopback: other hosts do not resolve and their
requests are aborted (the players' iframes stay empty).

Run it alone with ``python -m pytest -m browser``. It needs Chromium (``apt-get install -y
chromium``): without it the test is skipped, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCREENSHOTS = Path(__file__).resolve().parent / "browser-screenshots"
#: What each notebook must show once run, beyond running cleanly with every widget rendered.
SHOWS = {
    "01-quickstart": {"progress bars", "players"},
    "02-network-crawl": {"progress bars"},
    "03-authorised-actions": {"login"},
}
IN_CI = bool(os.environ.get("CI"))
CHROMIUM = shutil.which("chromium")
#: Chromium as root needs --no-sandbox; the others keep it off the network but for loopback
#: (Chromium's own update, sync and metrics calls; any host name but 127.0.0.1).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
#: Requests to any other host than loopback (the Mixcloud player in its iframes) are aborted.
NOT_LOOPBACK = re.compile(r"^(?:https?|wss?)://(?!127\.0\.0\.1[:/])")
VIEWPORT = {"width": 1280, "height": 900}
KERNEL_NAME = "Python 3 (ipykernel)"
#: Longest JupyterLab may take to start, and a notebook to run, in seconds.
START_TIMEOUT = 60
RUN_TIMEOUT = 90
#: JupyterLab settings: no news or update pop-up over the notebook; every cell kept in the
#: page (no windowing) and no blank space after the last one, so that all outputs can be
#: checked and photographed.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: How ipywidgets' text/plain fallback starts: ``VBox(children=(...``, ``HTML(value='...``.
WIDGET_REPR = re.compile(r"^\s*[A-Z]\w*\((?:children|value|layout|description|max|min|style)=",
                         re.M)


def require(what: str, present: bool) -> None:
    """Skip when `what` is missing locally; fail in CI, where .ci/run installs it."""
    if not present:
        message = f"the browser test needs {what}"
        if IN_CI:
            pytest.fail(f"{message}, and CI must run it (.ci/run installs it)")
        pytest.skip(message)


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# -- JupyterLab -------------------------------------------------------------------------------


class Lab:
    """JupyterLab serving a copy of notebooks/ in the sandbox, on loopback, with a token."""

    def __init__(self, home: Path) -> None:
        self.root = home / "notebooks"
        shutil.copytree(ROOT / "notebooks", self.root,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        settings = home / "settings"
        for name, values in LAB_SETTINGS.items():
            file = settings / f"{name}.jupyterlab-settings"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(values), "utf-8")
        # The python3 kernel is this interpreter: a kernel spec of our own comes first on
        # JUPYTER_PATH, before any other python3 spec of the machine or the user.
        spec = home / "path" / "kernels" / "python3" / "kernel.json"
        spec.parent.mkdir(parents=True)
        spec.write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": KERNEL_NAME, "language": "python"}), "utf-8")
        runtime = home / "runtime"
        kernel_tmp = home / "kernel-tmp"  # the notebooks' tempfile folders land here
        kernel_tmp.mkdir()
        env = {**os.environ, "MIXFRAME_SANDBOX": "1", "TMPDIR": str(kernel_tmp),
               "JUPYTER_PATH": str(spec.parents[2]), "JUPYTER_CONFIG_DIR": str(home / "config"),
               "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(runtime),
               "IPYTHONDIR": str(home / "ipython")}
        self.token = secrets.token_hex(16)
        self.log = home / "jupyterlab.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                 "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
                 f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                 f"--LabApp.user_settings_dir={settings}",
                 f"--LabApp.workspaces_dir={home / 'workspaces'}",
                 # nothing fetched from outside: no news, no update check, no extension index
                 "--LabApp.news_url=None",
                 "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                 "--LabApp.extension_manager=readonly"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            self.base = self._wait_until_ready(runtime)
        except BaseException:
            self.stop()
            raise
        self.http = httpx.Client(base_url=self.base,
                                 headers={"Authorization": f"token {self.token}"}, timeout=30)

    def _wait_until_ready(self, runtime: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            for info in runtime.glob("jpserver-*.json"):
                base = f"http://127.0.0.1:{json.loads(info.read_text('utf-8'))['port']}/"
                try:
                    if httpx.get(f"{base}api/status", timeout=5,
                                 headers={"Authorization": f"token {self.token}"}).is_success:
                        return base
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"JupyterLab not ready after {START_TIMEOUT} s:\n{self.log_tail()}")

    def url(self, path: str) -> str:
        return f"{self.base}{path}?token={self.token}"

    def shut_down_kernels(self) -> None:
        for session in self.http.get("api/sessions").json():
            self.http.delete(f"api/sessions/{session['id']}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (it shuts its kernels down), then anything left in its group."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        if hasattr(self, "http"):
            self.http.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require("JupyterLab (pip install -e '.[test]')", installed("jupyterlab"))
    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    require("Chromium (apt-get install -y chromium)", CHROMIUM is not None)
    require("Playwright (pip install -e '.[test]')", installed("playwright"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # a fresh profile (--user-data-dir) for every run; never Playwright's own browser build
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT)
        try:
            context.route(NOT_LOOPBACK, lambda route: route.abort())
            yield context
        finally:
            context.close()


# -- one notebook in the browser --------------------------------------------------------------

#: The status bar says the notebook's kernel is idle; every cell that ran has its number and
#: none is queued or running ("[*]").
RUN_DONE = """kernel => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
    .map(prompt => prompt.textContent.trim());
  const status = document.querySelector('.jp-StatusBar-Left')?.innerText ?? '';
  return prompts.some(prompt => /^\\[\\d+\\]:$/.test(prompt)) && !prompts.includes('[*]:')
    && status.includes(kernel + ' | Idle');
}"""
KERNEL_IDLE = """kernel =>
  (document.querySelector('.jp-StatusBar-Left')?.innerText ?? '').includes(kernel + ' | Idle')"""
#: Code cells in order, each with its outputs: text, whether a widget is rendered in it, and
#: the widest part of a rendered widget that sticks out of the output area (in pixels).
OUTPUTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell =>
  [...cell.querySelectorAll('.jp-OutputArea-output')].map(output => {
    const box = output.getBoundingClientRect();
    const parts = [...output.querySelectorAll('.jupyter-widgets *')];
    return {
      text: output.innerText,
      widget: output.querySelector('.jupyter-widgets') !== null,
      overflow: Math.max(0, ...parts.map(part => part.getBoundingClientRect().right - box.right)),
    };
  }))"""
#: Rendered widget outputs per code cell (to wait for the widget manager).
WIDGETS_RENDERED = """expected => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  return cells.length === expected.length && cells.every((cell, index) =>
    [...cell.querySelectorAll('.jp-OutputArea-output')]
      .filter(output => output.querySelector('.jupyter-widgets')).length >= expected[index]);
}"""
#: A link stands out from its text: another colour, or underlined.
LOOKS_LIKE_A_LINK = """link => {
  const style = getComputedStyle(link);
  return style.color !== getComputedStyle(link.parentElement).color
    || style.textDecorationLine.includes('underline');
}"""
#: The height the page needs to show the whole notebook without scrolling.
FULL_HEIGHT = """() => {
  const scroller = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
  scroller.scrollTop = 0;
  return window.innerHeight - scroller.clientHeight + scroller.scrollHeight;
}"""


def run_all_cells(page, lab: Lab, path: Path) -> dict:
    """Open `path` in a fresh JupyterLab workspace, run all its cells, save it; return the
    saved notebook (as JSON)."""
    page.goto(lab.url(f"lab/workspaces/{path.stem}/tree/{path.name}"))
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=START_TIMEOUT * 1000)
    page.wait_for_function(KERNEL_IDLE, arg=KERNEL_NAME, timeout=START_TIMEOUT * 1000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_DONE, arg=KERNEL_NAME, timeout=RUN_TIMEOUT * 1000,
                           polling=250)
    page.keyboard.press("Control+s")
    page.locator(".lm-TabBar-tab.jp-mod-current:not(.jp-mod-dirty)").wait_for(timeout=30_000)
    return json.loads((lab.root / path.name).read_text("utf-8"))


def screenshot(page, path: Path) -> Path:
    """Save the whole notebook as one picture: no side bar, the window as tall as the
    notebook."""
    SCREENSHOTS.mkdir(exist_ok=True)
    sidebar_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if sidebar_tab.count():
        sidebar_tab.click()  # clicking the open panel's tab closes the left side bar
    for _ in range(3):  # the layout follows the new size; its height may change once more
        height = page.evaluate(FULL_HEIGHT)
        if height == page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    picture = SCREENSHOTS / f"{path.stem}.png"
    page.screenshot(path=picture, full_page=True)
    return picture


def code_cells(nb: dict) -> list[dict]:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def widget_count(cell: dict) -> int:
    """How many widgets the kernel displayed in `cell` (the outputs saved as widget views)."""
    return sum(WIDGET_VIEW in output.get("data", {}) for output in cell["outputs"])


def problems_of(nb: dict, outputs: list[list[dict]]) -> list[str]:
    """Everything a user would see go wrong in the saved notebook `nb` and on the page."""
    problems = []
    for number, (cell, shown) in enumerate(zip(code_cells(nb), outputs, strict=True), start=1):
        if cell["execution_count"] is None:
            problems.append(f"code cell {number} did not run")
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                problems.append(f"code cell {number} raised {output['ename']}: "
                                f"{output['evalue']}")
            elif output["output_type"] == "stream" and output["name"] == "stderr":
                problems.append(f"code cell {number} wrote to stderr: "
                                f"{''.join(output['text'])[:300]!r}")
        expected = widget_count(cell)
        rendered = sum(output["widget"] for output in shown)
        if rendered < expected:
            texts = [output["text"][:100] for output in shown if not output["widget"]]
            problems.append(f"code cell {number}: {expected - rendered} of its {expected} "
                            f"widgets not rendered; shown instead: {texts!r}")
        for output in shown:
            if "Error displaying widget" in output["text"]:
                problems.append(f"code cell {number}: {output['text'][:200]!r}")
            if not output["widget"] and WIDGET_REPR.search(output["text"]):
                problems.append(f"code cell {number} shows a widget as text: "
                                f"{output['text'][:200]!r}")
            if output["overflow"] > 1:
                problems.append(f"code cell {number}: a widget sticks out of its output area "
                                f"by {output['overflow']:.0f} px")
    return problems


def check_shows(page, shows: set[str]) -> list[str]:
    """What the notebook is there to show, visible on the page."""
    problems = []
    area = page.locator(".jp-OutputArea-output")
    if "progress bars" in shows:
        bars = area.locator(".widget-hprogress")
        if not bars.count() or not bars.first.is_visible():
            problems.append("no progress bar (tqdm widget) is shown")
    if "players" in shows:
        players = area.locator('iframe[src^="https://www.mixcloud.com/widget/iframe/"]')
        if not players.count() or not players.first.is_visible():
            problems.append("no Mixcloud player iframe is shown")
    if "login" in shows:
        link = page.get_by_role("link", name="Authorise this notebook on Mixcloud")
        login = area.filter(has=link)
        if login.count() != 1:
            problems.append(f"{login.count()} LoginWidgets shown instead of 1")
            return problems
        parts = {"link": link, "text field": login.locator("input[type=text]"),
                 "button": login.get_by_role("button", name="Log in")}
        for name, part in parts.items():
            if not part.is_visible():
                problems.append(f"the LoginWidget's {name} is not visible")
        if not link.evaluate(LOOKS_LIKE_A_LINK):
            problems.append("the LoginWidget's link looks like the text around it")
        if "Logged in as" not in login.inner_text():
            problems.append(f"the LoginWidget is not logged in: {login.inner_text()!r}")
    return problems


# -- tests ------------------------------------------------------------------------------------


def test_every_notebook_says_what_it_shows():
    assert NOTEBOOKS
    assert set(SHOWS) == {path.stem for path in NOTEBOOKS}


def test_jupyterlab_runs_this_python_on_loopback(lab):
    """The kernels JupyterLab starts are this interpreter, which imports this checkout."""
    specs = lab.http.get("api/kernelspecs").json()
    assert specs["default"] == "python3"
    assert specs["kernelspecs"]["python3"]["spec"]["argv"][0] == sys.executable
    assert lab.base.startswith("http://127.0.0.1:")
    assert httpx.get(f"{lab.base}api/status").status_code == 403, "the token must be required"


@pytest.mark.timeout(START_TIMEOUT + RUN_TIMEOUT + 60)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_in_the_browser(path, lab, browser):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page()
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        started = time.monotonic()
        nb = run_all_cells(page, lab, path)
        expected = [widget_count(cell) for cell in code_cells(nb)]
        try:
            page.wait_for_function(WIDGETS_RENDERED, arg=expected, timeout=15_000)
        except PlaywrightTimeout:
            pass  # problems_of() says which cell lacks which widget
        problems = problems_of(nb, page.evaluate(OUTPUTS)) + check_shows(page, SHOWS[path.stem])
        problems += [f"JavaScript error on the page: {error}" for error in page_errors]
        print(f"{path.name}: ran in the browser in {time.monotonic() - started:.1f} s")
    finally:
        try:
            print(f"screenshot: {screenshot(page, path)}")
        finally:
            page.close()
            lab.shut_down_kernels()
    assert not problems, "\n".join(problems)
