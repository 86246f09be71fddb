"""What a newcomer meets before the API: how mixframe is found, the README's notebook set-up,
the Binder link and the bench instructions."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "bench" / "README.md", ROOT / "binder" / "README.md"]
BINDER = re.compile(r"https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/HEAD\?labpath=([\w.%-]+)")


def test_import_from_the_folder_holding_the_clone(tmp_path):
    """A clone is a folder named mixframe with no __init__.py: started next to it, Python
    must still import the package, not that folder as an empty namespace package."""
    (tmp_path / "mixframe").symlink_to(ROOT, target_is_directory=True)
    found = subprocess.run(
        [sys.executable, "-c", "import mixframe; print(mixframe.__file__, mixframe.read_crawl)"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.split()[0]).resolve() == ROOT / "mixframe" / "__init__.py"


def test_the_notebooks_extra_runs_the_readme_notebook_command():
    text = (ROOT / "README.md").read_text("utf-8")
    assert "pip install -e '.[notebooks]'" in text
    assert "MIXFRAME_SANDBOX=1 jupyter lab notebooks/" in text
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"]
    names = {Requirement(text).name for text in extras["notebooks"]}
    assert {"jupyterlab", "ipykernel", "matplotlib"} <= names


def test_binder_links_open_a_notebook_of_the_project_repository():
    """One repository everywhere: the Binder badges and the client's User-Agent."""
    user_agent = re.search(r"https://github\.com/([\w.-]+/[\w.-]+)",
                           (ROOT / "mixframe" / "core.py").read_text("utf-8"))
    links = [link for doc in (ROOT / "README.md", ROOT / "binder" / "README.md")
             for link in BINDER.findall(doc.read_text("utf-8"))]
    assert links and user_agent
    for repository, labpath in links:
        assert repository == user_agent[1]
        assert (ROOT / labpath.replace("%2F", "/")).is_file(), labpath


def test_docs_name_no_path_of_one_machine():
    for doc in DOCS:
        text = doc.read_text("utf-8")
        found = re.findall(r"(?<![\w.])/(?:tmp|work|root|home|Users)/[^\s`)]*", text)
        assert not found, f"{doc.relative_to(ROOT)}: {found}"
        assert "<org>" not in text and "<repo>" not in text, doc
