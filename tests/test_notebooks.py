"""The example notebooks (notebooks/*.ipynb) run top to bottom against the sandbox, leak no secret,
and are committed without outputs.

Every notebook is executed once per test session with nbclient on the ``python3`` kernel, which
is the interpreter running the tests (ipykernel in the same environment provides the kernel spec;
no ``ipykernel install`` step is needed). The kernel gets ``MIXFRAME_SANDBOX=1``, so the notebooks
talk to the in-process sandbox, and its own ``TMPDIR``, so the files the notebooks write (they
write into ``tempfile`` directories) can be checked afterwards. A cell that raises fails the test.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from mixframe import sandbox  # noqa: E402

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Longest a single cell may run.
CELL_TIMEOUT = 120
#: Longest a whole notebook test may run (kernel start, every cell, checks).
NOTEBOOK_TIMEOUT = 600
#: Any access token the sandbox issues: TOKEN and the ones the OAuth flow hands out.
SANDBOX_TOKEN = re.compile(rb"sbx-[0-9a-f]{32}")
SECRETS = (sandbox.TOKEN, sandbox.CLIENT_SECRET)

_executed: dict[Path, tuple[object, Path, float]] = {}


def run_notebook(nb, workdir: Path, tmpdir: Path):
    """Execute `nb` in place on the venv's python3 kernel, in the sandbox; return seconds taken."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MIXFRAME_SANDBOX": "1", "TMPDIR": str(tmpdir)}
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT, startup_timeout=120,
        allow_errors=False, resources={"metadata": {"path": str(workdir)}})
    started = time.perf_counter()
    client.execute(env=env)
    return time.perf_counter() - started


def executed(path: Path, tmp_path_factory) -> tuple[object, Path, float]:
    """The executed notebook at `path`, the TMPDIR its kernel used and the seconds it took
    (executed once per session)."""
    if path not in _executed:
        nb = nbformat.read(path, as_version=4)
        tmpdir = tmp_path_factory.mktemp(path.stem)
        seconds = run_notebook(nb, NOTEBOOK_DIR, tmpdir)
        _executed[path] = (nb, tmpdir, seconds)
    return _executed[path]


def ids(path: Path) -> str:
    return path.stem


def test_there_are_notebooks():
    names = [path.name for path in NOTEBOOKS]
    assert len(names) >= 3, names
    assert "01-quickstart.ipynb" in names  # binder/README.md opens it


@pytest.mark.timeout(NOTEBOOK_TIMEOUT)
def test_the_kernel_is_this_environment(tmp_path):
    """nbclient's python3 kernel runs this interpreter's environment, with the sandbox on."""
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(
        "import os, sys, tempfile, mixframe\n"
        "print(sys.prefix, os.environ['MIXFRAME_SANDBOX'], tempfile.gettempdir(), sep='\\n')")])
    run_notebook(nb, tmp_path, tmp_path / "tmp")
    prefix, flag, tmpdir = nb.cells[0].outputs[0]["text"].splitlines()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    assert flag == "1"
    assert Path(tmpdir).resolve() == (tmp_path / "tmp").resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "widget state must be stripped too"
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells
    for number, cell in enumerate(code_cells, start=1):
        assert cell.outputs == [], f"code cell {number} has outputs"
        assert cell.execution_count is None, f"code cell {number} has an execution count"
    first = code_cells[0].source
    assert "MIXFRAME_SANDBOX" in first, "the first code cell chooses sandbox or real API"


@pytest.mark.timeout(NOTEBOOK_TIMEOUT)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_runs_against_the_sandbox(path, tmp_path_factory, record_property):
    nb, _, seconds = executed(path, tmp_path_factory)
    record_property("seconds", round(seconds, 2))
    print(f"{path.name}: executed in {seconds:.2f} s")
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)
    outputs = [output for cell in code_cells for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert "real Mixcloud API" not in json.dumps(outputs)


@pytest.mark.timeout(NOTEBOOK_TIMEOUT)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_executed_notebook_shows_no_secret(path, tmp_path_factory):
    """Neither the outputs nor the saved widget state hold a token or the client secret."""
    nb, _, _ = executed(path, tmp_path_factory)
    text = nbformat.writes(nb).encode("utf-8")
    for secret in SECRETS:
        assert secret.encode() not in text
    assert not SANDBOX_TOKEN.search(text), "an access token issued by the sandbox is shown"


@pytest.mark.timeout(NOTEBOOK_TIMEOUT * 3)
def test_files_written_by_the_notebooks_hold_no_token(tmp_path_factory):
    """Parquet (and every other file) the notebooks wrote holds no token or secret."""
    for path in NOTEBOOKS:
        if path not in _executed:
            executed(path, tmp_path_factory)
    written = [file for _, tmpdir, _ in _executed.values()
               for file in tmpdir.rglob("*") if file.is_file()]
    parquet = [file for file in written if file.suffix == ".parquet"]
    assert parquet, "the notebooks should write Parquet files"
    for file in written:
        data = file.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, file
        assert not SANDBOX_TOKEN.search(data), file


def test_binder_pins_satisfy_the_package():
    """binder/ installs what the package and the notebooks need, at versions they accept."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    root = NOTEBOOK_DIR.parent
    project = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]
    lines = (root / "binder" / "requirements.txt").read_text("utf-8").splitlines()
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"binder/requirements.txt: pin {line!r} with =="
            pins[canonicalize_name(requirement.name)] = spec.version
    needed = [*project["dependencies"], *project["optional-dependencies"]["notebooks"]]
    for text in needed:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == "ipykernel":  # repo2docker's base environment provides the kernel
            continue
        assert name in pins, f"binder/requirements.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {text}"
    runtime = (root / "binder" / "runtime.txt").read_text("utf-8").strip()
    assert runtime.startswith("python-")
    assert SpecifierSet(project["requires-python"]).contains(runtime.removeprefix("python-") + ".0")
    post_build = root / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    assert "pip install" in post_build.read_text("utf-8")
    assert "labpath=notebooks%2F01-quickstart.ipynb" in (root / "binder" / "README.md").read_text(
        "utf-8")
