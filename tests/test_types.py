"""The package type-checks, and the blocking signatures type checkers see for the sync classes
are those of the async classes they run.

``mixframe/sync.py`` builds ``MixcloudSync`` and friends at run time as proxies, and declares
their blocking signatures for type checkers and IDEs under ``if TYPE_CHECKING:``. Those
declarations are checked here against ``Mixcloud``'s own methods, so they cannot drift.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import mixframe
from mixframe import Mixcloud, ResourceList, decorators, sync

ROOT = Path(mixframe.__file__).parent.parent


def test_the_package_type_checks():
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                str(ROOT / "mixframe")])
    assert status == 0, out + err


def _declared(class_name: str) -> dict[str, ast.FunctionDef]:
    """The methods declared for type checkers on `class_name` in sync.py."""
    tree = ast.parse(Path(sync.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return {item.name: item for item in node.body if isinstance(item, ast.FunctionDef)}
    raise AssertionError(f"sync.py declares no {class_name}")


def _decorator_keywords() -> dict[object, list[str]]:
    """The keywords each signature-changing decorator adds, by the code of its wrapper."""
    found = {}
    for decorate in (decorators.paginated, decorators.displayed, decorators.uploading):
        async def method(self, params): ...
        wrapper = decorate(method)
        found[wrapper.__code__] = [
            p.name for p in inspect.signature(wrapper, follow_wrapped=False).parameters.values()
            if p.kind is p.KEYWORD_ONLY]
    return found


def _callable_as(function) -> tuple[list[str], list[str], bool]:
    """(positional names, keyword-only names, takes **kwargs) a caller of `function` uses."""
    added, layers = _decorator_keywords(), [function]
    while hasattr(layers[-1], "__wrapped__"):
        layers.append(layers[-1].__wrapped__)
    parameters = list(inspect.signature(layers[-1]).parameters.values())[1:]
    positional = [p.name for p in parameters if p.name != "params"
                  and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keywords = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    for layer in layers:
        keywords += added.get(getattr(layer, "__code__", None), [])
    return positional, keywords, any(p.kind is p.VAR_KEYWORD for p in parameters)


def _declared_as(node: ast.FunctionDef) -> tuple[list[str], list[str], bool]:
    return ([a.arg for a in node.args.args[1:]], [a.arg for a in node.args.kwonlyargs],
            node.args.kwarg is not None)


def _public_methods(cls: type) -> list[str]:
    return sorted(name for name, value in vars(cls).items() if not name.startswith("_")
                  and (inspect.iscoroutinefunction(value) or getattr(value, "_walking", False)
                       or name in ("api_url",)))


@pytest.mark.parametrize("name", _public_methods(Mixcloud))
def test_mixcloud_sync_declares_every_method_as_mixcloud_takes_it(name):
    declared = _declared("_MixcloudSyncBase")
    assert name in declared, f"MixcloudSync's declarations lack {name}()"
    expected = _callable_as(getattr(Mixcloud, name))
    if name in ("embed_json", "embed_html"):   # (*args, **kwargs) passed on to _embed()
        positional, keywords, _ = _callable_as(Mixcloud._embed)
        expected = (positional, [k for k in keywords if k != "format"], False)
    assert _declared_as(declared[name]) == expected


def test_mixcloud_sync_declares_the_constructor_of_mixcloud():
    init = _declared("_MixcloudSyncBase")["__init__"]
    parameters = list(inspect.signature(Mixcloud.__init__).parameters.values())[1:]
    assert _declared_as(init) == (
        [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD],
        [p.name for p in parameters if p.kind is p.KEYWORD_ONLY], False)


@pytest.mark.parametrize("name", ["next", "previous", "pages", "all_items", "to_frame"])
def test_resource_list_sync_declares_the_page_methods(name):
    declared = _declared("ResourceListSync")[name]
    assert _declared_as(declared) == _callable_as(getattr(ResourceList, name))
