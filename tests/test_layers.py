"""The house reads in one direction.

Every module of mixframe belongs to a layer and imports only from its own layer or below
(imports inside functions count too); the sandbox imports only the vocabulary; no module above
the client calls a private method or attribute of the client. A new module must be given its
layer here, which is the point: where it sits is a decision, not an accident.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import pytest

import mixframe
from mixframe import Mixcloud, MixcloudSync

PACKAGE = Path(mixframe.__file__).parent

#: Layers, bottom first. A module may import modules of its own layer or of a lower one.
LAYERS: dict[str, int] = {
    # 0. vocabulary, URLs, secrets, exceptions, value formats
    **dict.fromkeys(["_api", "constants", "exceptions", "_urls", "_redact", "_player",
                     "datetime", "json", "_logging"], 0),
    # 1. pure policies and transforms: retry, argument checks, paging rules, HTML, tables
    **dict.fromkeys(["retry", "decorators", "paging", "html", "frames"], 1),
    # 2. the client: transport, response cache, client, models, OAuth (and its local redirect
    # server), the sync twins, the default client
    **dict.fromkeys(["_transport", "cache", "models", "core", "auth", "_redirect_server",
                     "sync", "defaults"], 2),
    # 3. the crawl
    "crawler": 3,
    # 4. the notebook layer and the command line
    **dict.fromkeys(["accessor", "rows", "widgets", "crawl_cli", "cli", "__init__", "__main__"],
                    4),
}
#: What the sandbox may import from the rest of mixframe.
SANDBOX_MAY_IMPORT = {"_api", "constants"}
#: The client's own modules, which may use its private names.
CLIENT_MODULES = {"_transport", "core", "sync", "models", "auth"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, path.relative_to(PACKAGE).with_suffix("").parts


def imported(path: Path, parts: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Module paths (inside mixframe, as parts) that `path` imports, anywhere in the file."""
    package = parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
            elif (node.module or "").split(".")[0] == "mixframe":
                base, node.module = (), ".".join((node.module or "").split(".")[1:]) or None
            else:
                continue
            target = base + tuple((node.module or "").split(".")) if node.module else base
            for alias in node.names:   # "from . import frames" names a module
                found.add(target + (alias.name,) if not node.module else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "mixframe":
                    found.add(tuple(alias.name.split(".")[1:]))
    return {target for target in found if target}


def unit(parts: tuple[str, ...]) -> str:
    """The layered unit of a module: its top-level name inside mixframe."""
    return parts[0]


def test_every_module_has_a_layer():
    units = {unit(parts) for _, parts in modules()} - {"sandbox"}
    assert units <= set(LAYERS), f"give these modules a layer: {sorted(units - set(LAYERS))}"


@pytest.mark.parametrize("path, parts", list(modules()), ids=lambda v: getattr(v, "name", ""))
def test_imports_go_down_the_layers(path, parts):
    source = unit(parts)
    for target in imported(path, parts):
        name = unit(target)
        if not (PACKAGE / name).exists() and not (PACKAGE / f"{name}.py").exists():
            continue   # a name imported from a package's __init__, checked there
        if source == "sandbox":
            assert name in SANDBOX_MAY_IMPORT | {"sandbox"}, (
                f"the sandbox imports only the vocabulary; {'/'.join(parts)} imports {name}")
        elif name != source and name != "sandbox":
            assert LAYERS.get(name, 99) <= LAYERS.get(source, -1), (
                f"{'/'.join(parts)} (layer {LAYERS.get(source)}) imports {name} "
                f"(layer {LAYERS.get(name)}): imports go down the layers")


def private_names() -> set[str]:
    """Private methods and attributes of the client (its classes' and those set in
    ``Mixcloud.__init__``), which only the client's own modules may use."""
    names = {name for cls in MixcloudSync.__mro__ + Mixcloud.__mro__ for name in vars(cls)
             if name.startswith("_") and not name.startswith("__")}
    init = ast.parse(textwrap.dedent(inspect.getsource(Mixcloud.__init__)))
    names |= {node.attr for node in ast.walk(init) if isinstance(node, ast.Attribute)
              and node.attr.startswith("_") and not node.attr.startswith("__")}
    return names


@pytest.mark.parametrize("path, parts", [(path, parts) for path, parts in modules()
                                         if unit(parts) not in CLIENT_MODULES | {"sandbox"}],
                         ids=lambda v: getattr(v, "name", ""))
def test_nothing_above_the_client_touches_its_private_parts(path, parts):
    private = private_names()
    own = {node.name for node in ast.walk(ast.parse(path.read_text()))
           if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    own |= {target.id for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Assign) for target in node.targets
            if isinstance(target, ast.Name)}
    used = {node.attr for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)}
    used |= {node.args[1].value for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                 "getattr", "hasattr") and len(node.args) > 1
             and isinstance(node.args[1], ast.Constant)}
    touched = sorted((used & private) - own)
    assert not touched, (f"{'/'.join(parts)} uses the client's private names {touched}; "
                         "use its public API (fetch, api_url, pages, items, async_client)")
