"""Every Python example of the README runs, in order, against the sandbox.

The examples are written for the real Mixcloud; here the client classes' default roots point
at a sandbox served on loopback, and the OAuth example's placeholders (CLIENT_ID,
CLIENT_SECRET, code) are the sandbox's.
"""

from __future__ import annotations

import re
from pathlib import Path

from mixframe import Mixcloud, MixcloudOAuth, sandbox

README = Path(__file__).parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_the_documented_sections():
    text = README.read_text()
    for heading in ("## Install and set-up", "### Async", "### Sync", "### OAuth",
                    "## Crawling and export", "## The `.mixcloud` accessor",
                    "## The sandbox, for your own tests", "## Configuration", "## Errors",
                    "## Migrating from aiomixcloud", "## Benchmarks"):
        assert heading in text
    assert "pip install -e '.[test]' && python -m pytest" in text
    assert "BENCH_TABLE" not in text, "paste the last bench run into the README"


def test_readme_examples_run_against_the_sandbox(tmp_path, monkeypatch, capsys):
    app = sandbox.app(seed=0)
    monkeypatch.chdir(tmp_path)
    with sandbox.serve(app) as url:
        for name, value in sandbox.roots(url).items():
            monkeypatch.setattr(Mixcloud, name, value)
        monkeypatch.setattr(MixcloudOAuth, "oauth_root", sandbox.oauth_root(url))
        redirect = "https://example.com/store-code"
        namespace = {"CLIENT_ID": sandbox.CLIENT_ID, "CLIENT_SECRET": sandbox.CLIENT_SECRET,
                     "code": app.world.issue_code(sandbox.CLIENT_ID, redirect),
                     "__name__": "readme"}
        blocks = python_blocks()
        assert len(blocks) >= 8
        for number, block in enumerate(blocks, start=1):
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "Spartacus" in out and "<CrawlResult" in out
    assert sandbox.TOKEN not in out and sandbox.CLIENT_SECRET not in out
    assert (tmp_path / "spartacus-network" / "users.parquet").exists()


def test_the_main_command_crawls_a_network_and_says_what_it_did(tmp_path, monkeypatch, capsys):
    """The set-up line's crawl: followers, then their shows, with details, every row full."""
    from mixframe.cli import main
    from mixframe import read_crawl

    setup = re.search(r"pip install -e \. && (mixframe crawl [^\n]+)", README.read_text())
    assert setup, "the README's set-up line runs the main job"
    words = setup.group(1).split()
    assert {"--sandbox", "--details"} <= set(words) and words.count("--connections") == 2
    monkeypatch.chdir(tmp_path)
    assert main(words[1:]) == 0
    shown = capsys.readouterr().out
    documented = re.search(r"```console\n(crawled spartacus.*?)```", README.read_text(),
                           re.S).group(1)
    for line in documented.splitlines():   # the README shows the command's own output
        if "..." not in line and "requests" not in line:
            assert line in shown.splitlines(), line
    assert re.search(r"^  \d+ requests \(\d+ detail pages\)", shown, re.M)
    users = read_crawl(tmp_path / "out").users
    assert users[["follower_count", "city", "created_time"]].notna().all().all()
