"""The layers (docs/architecture.md): no import circles, and no layer reaches back up.

Every import in the project's own code counts, at module level or inside a function: a lazy import is still an
edge between two modules.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "pipelines", "crawler", "healtharchive")
# What each layer may import from the others: lower layers never import higher ones.
ALLOWED = {
    "archive": set(),
    "pipelines": {"archive"},
    "crawler": {"archive", "pipelines"},
    "healtharchive": {"archive", "pipelines", "crawler", "samplesite"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (``from .x import y`` resolved; ``from a import b`` names module a.b when
    that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def test_no_import_circles():
    edges = graph()
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    assert not circles, f"modules importing each other in a circle: {circles}"


def test_no_layer_reaches_back_up():
    wrong = []
    for name, targets in graph().items():
        layer = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other != layer and other not in ALLOWED[layer]:
                wrong.append(f"{name} -> {target}")
    assert not wrong, "imports against the layering: " + ", ".join(sorted(wrong))


def test_pipelines_never_import_the_crawl_command_or_a_spider():
    edges = graph()
    wrong = [
        f"{name} -> {target}"
        for name, targets in edges.items()
        if name.startswith("pipelines")
        for target in targets
        if target.startswith(("crawler.commands", "crawler.spiders"))
    ]
    assert not wrong


def test_the_checker_sees_edges():
    """The graph is not empty by mistake: known imports are found, relative ones resolved."""
    edges = graph()
    assert {"archive", "archive.lock"} <= edges["pipelines.recorder"]
    assert "pipelines.clean" in edges["healtharchive.reextract"]
    assert "archive.queries" in edges["archive.store"]
