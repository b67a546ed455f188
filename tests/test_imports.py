"""No import circles inside geo_risk (module-level imports, those under TYPE_CHECKING included)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def import_graph() -> nx.DiGraph:
    paths = [p for p in (ROOT / "geo_risk").rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(p): p for p in paths}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)

    def visit(name: str, body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("geo_risk"):
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
                for target in targets:
                    # a package importing its own submodules is not a circle
                    if target in modules and target != name and not target.startswith(name + "."):
                        graph.add_edge(name, target)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.name != name:
                        graph.add_edge(name, alias.name)
            elif isinstance(node, ast.If):  # if TYPE_CHECKING: ...
                visit(name, node.body)

    for name, path in modules.items():
        visit(name, ast.parse(path.read_text(encoding="utf-8")).body)
    return graph


def test_no_import_circles():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, f"import circles: {cycles}"


def test_the_scan_sees_the_scoring_modules():
    graph = import_graph()
    assert graph.has_edge("geo_risk.scoring.context", "geo_risk.scoring._explain")
    assert not graph.has_edge("geo_risk.scoring._explain", "geo_risk.scoring.context")
