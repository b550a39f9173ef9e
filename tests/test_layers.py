"""The package's shape: layers that import only downwards, no cycles, small modules.

Every module is parsed with ``ast`` (imports inside functions included), so a cycle cannot hide
behind a function-level import. The layers are those of ``../shared/DESIGN.md``.
"""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assetmap"

#: Each family's layer: a module imports only from its own layer or below.
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        ["errors", "settings", "schema", "crs", "_tabular", "_reproducible", "_dispatch",
         "_sources", "_memory", "_data"],
        0,
    ),
    **dict.fromkeys(["io", "datasets", "geocoding", "areas"], 1),
    # deprecated aliases of moved modules (one release)
    **dict.fromkeys(["gazetteer", "postcodes", "providers"], 1),
    **dict.fromkeys(["links", "network", "graph"], 2),
    "analysis": 3,
    "privacy": 4,
    **dict.fromkeys(["export", "maps", "report"], 5),
    **dict.fromkeys(["project", "scale", "cli"], 6),
    "__init__": 7,
}  # fmt: skip

MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name or "__init__"] = path
    return out


def _package_of(name: str, path: Path) -> list[str]:
    """The package a module's relative imports start from, as name parts."""
    parts = [] if name == "__init__" else name.split(".")
    return parts if path.name == "__init__.py" else parts[:-1]


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports, anywhere in its body."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "assetmap":
                    base = node.module.split(".")[1:]
                else:
                    continue
            else:
                here = _package_of(name, path)
                base = here[: len(here) - (node.level - 1)] + (
                    node.module.split(".") if node.module else []
                )
            for alias in node.names:
                candidate = ".".join([*base, alias.name])
                target = candidate if candidate in known else ".".join(base)
                found.add(target or "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "assetmap":
                    found.add(".".join(alias.name.split(".")[1:]) or "__init__")
    return {f for f in found if f != name}


def _graph() -> nx.DiGraph:
    modules = _modules()
    known = set(modules)
    G = nx.DiGraph()
    G.add_nodes_from(known)
    for name, path in modules.items():
        for target in _imports(name, path, known):
            G.add_edge(name, target)
            # importing a module of another package runs that package's __init__ first
            head = target.split(".")[0]
            if head != name.split(".")[0] and head in known and head != target:
                G.add_edge(name, head)
    return G


def _layer(module: str) -> int:
    family = module.split(".")[0]
    assert family in LAYERS, f"assetmap.{module} has no layer: add it to LAYERS (and DESIGN)"
    return LAYERS[family]


def test_every_import_points_down() -> None:
    G = _graph()
    upward = [
        f"assetmap.{a} (layer {_layer(a)}) imports assetmap.{b} (layer {_layer(b)})"
        for a, b in G.edges
        if _layer(b) > _layer(a)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle() -> None:
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, "\n".join(" -> ".join(c + c[:1]) for c in cycles)


def test_no_private_name_crosses_modules() -> None:
    modules = _modules()
    crossing = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                crossing += [
                    f"assetmap.{name} imports {a.name} from {'.' * node.level}{node.module or ''}"
                    for a in node.names
                    if a.name.startswith("_") and a.name != "__all__"
                ]
    assert not crossing, "\n".join(crossing)


def test_modules_are_small() -> None:
    sizes = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in _modules().items()}
    big = {n: size for n, size in sizes.items() if size > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}; split them into a folder"


def test_the_layer_test_sees_an_upward_import(tmp_path: Path) -> None:
    # the parser reads function-level imports: a test that cannot fail is a defect
    path = tmp_path / "crs.py"
    path.write_text("def f():\n    from .maps import build_map\n", encoding="utf-8")
    assert _imports("crs", path, {"crs", "maps"}) == {"maps"}


@pytest.mark.parametrize("old", ["gazetteer", "postcodes", "providers"])
def test_moved_modules_keep_working_with_a_warning(old: str) -> None:
    import sys

    sys.modules.pop(f"assetmap.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"assetmap.geocoding.{old}"):
        module = importlib.import_module(f"assetmap.{old}")
    new = importlib.import_module(f"assetmap.geocoding.{old}")
    assert all(getattr(module, n) is getattr(new, n) for n in new.__all__)


def test_old_build_name_warns() -> None:
    import assetmap

    with pytest.warns(DeprecationWarning, match="run_project"):
        assert assetmap.build is assetmap.run_project
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not hasattr(assetmap, "version") and not hasattr(assetmap, "logging")
