"""The package's shape, checked: which part may import which (docs/architecture.md), module and
function sizes, and no branching on plug-in names outside the plug-ins."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "evalharness"
APP = PKG.parent / "dashboards" / "app.py"

# A part may import only parts of lower layers (same layer: no).  Keep in step with
# docs/architecture.md.
LAYERS: list[set[str]] = [
    {"registry", "metrics", "lifecycle", "text", "labels"},
    {"reports"},
    {"measure", "scorers", "quantization", "models", "tasks"},
    {"endpoints"},
    {"runtimes", "alerts", "loadtest_rules", "canary"},
    {"suite"},
    {"judging"},
    {"scoring", "compare", "select", "console", "dashboard_data", "tables"},
    {"views"},
    {"runner", "loadtest", "security", "monitor"},
    {"commands", "__main__"},
]
LAYER_OF = {part: i for i, layer in enumerate(LAYERS) for part in layer}
SAME_LAYER_OK = {("__main__", "commands")}
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def part_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evalharness"):
            bits = node.module.split(".")
            out.update([bits[1]] if len(bits) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names
                       if a.name.startswith("evalharness.") and "." in a.name)
    return out


def test_every_part_has_a_layer():
    assert {part_of(p) for p in modules()} - {"__init__"} <= set(LAYER_OF)


def test_parts_import_only_lower_layers():
    wrong = []
    for path in modules():
        src = part_of(path)
        if src == "__init__":
            continue
        for dst in imported_parts(path) - {src}:
            if LAYER_OF[dst] >= LAYER_OF[src] and (src, dst) not in SAME_LAYER_OK:
                wrong.append(f"{path.relative_to(PKG)} imports {dst}")
    assert wrong == []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The package's modules `path` imports, at the top or inside a function (an import on use
    still makes a cycle), each resolved to the module that holds it."""
    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evalharness"):
            out.update(resolve(f"{node.module}.{a.name}") if f"{node.module}.{a.name}" in known
                       else resolve(node.module) for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(resolve(a.name) for a in node.names if a.name.startswith("evalharness"))
    return {m for m in out if m is not None}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_no_import_cycles():
    paths = {module_name(p): p for p in modules()}
    graph = {m: imported_modules(p, set(paths)) - {m} for m, p in paths.items()}
    assert import_cycles(graph) == []
    # the check finds a cycle through an import made inside a function
    graph["evalharness.metrics"] = graph["evalharness.metrics"] | {"evalharness.commands.main"}
    assert any("evalharness.metrics" in c for c in import_cycles(graph))


def test_dashboard_reads_reports_only_through_the_package_readers():
    for page in (APP, APP.with_name("glance.py")):
        assert imported_parts(page) <= {"dashboard_data", "metrics", "select", "reports", "views"}, page


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_module_and_function_sizes(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = [f"{n.name}: {n.end_lineno - n.lineno + 1} lines" for n in ast.walk(ast.parse(text))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def plugin_names() -> set[str]:
    from evalharness.models.sources import SOURCES
    from evalharness.quantization import SCHEMES
    from evalharness.runtimes import RUNTIMES
    from evalharness.scorers import SCORERS

    return set(SOURCES.names()) | set(SCHEMES.names()) | set(RUNTIMES.names()) | set(SCORERS.names())


def test_no_branching_on_plugin_names_outside_the_plugins():
    names, wrong = plugin_names(), []
    for path in modules():
        if part_of(path) in ("runtimes", "models", "quantization", "scorers"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                consts = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)]
                hit = [c for c in consts if isinstance(c, str) and c in names]
                if hit:
                    wrong.append(f"{path.relative_to(PKG)}:{node.lineno} compares with {hit[0]!r}")
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hasattr"
                    and "backend" in ast.unparse(node.args[0])):
                wrong.append(f"{path.relative_to(PKG)}:{node.lineno} duck-types a backend with hasattr")
    assert wrong == []


def test_one_register_decorator():
    from evalharness.models.sources import register as source_register
    from evalharness.quantization.base import register as scheme_register
    from evalharness.runtimes.base import register as runtime_register
    from evalharness.scorers.base import register as scorer_register

    for reg in (source_register, scheme_register, runtime_register, scorer_register):
        assert reg.__func__ is type(reg.__self__).plugin
