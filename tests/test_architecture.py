"""The layout's rules (ARCHITECTURE.md), checked on the source: layers import downwards only, no
import cycles, no private name imported across modules, small modules, one list of model names,
and every chapter of the registry answers the chapter contract."""
import ast
from pathlib import Path

import pytest

from mannlib.chapters import CHAPTERS, chapter, run_targets

PACKAGE = Path(__file__).resolve().parents[1] / "mannlib"
MAX_LINES = 420   # "no module over about 400 lines"

# Layers, lowest first: a module may import its own layer and the layers below, never above.
# The papers' numbers are plain constants that any layer may cite.
LAYERS = [("papers", "engine.paths", "engine.files"), ("tasks", "models"), ("engine",), ("methods",),
          ("chapters",), ("scorecard", "reference", "runbook", "notebook", "cli", "__main__", "__init__")]


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported mannlib module, names, line) for every import in the file, at any depth (a
    function-level import is still a dependency)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known, out = modules(), []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("mannlib"):
                target = node.module[len("mannlib."):] if node.module != "mannlib" else ""
            else:
                continue
            names = [a.name for a in node.names]
            for n in names:   # "from . import cache" imports the module mannlib.engine.cache
                sub = f"{target}.{n}" if target else n
                if sub in known:
                    out.append((sub, [], node.lineno))
            out.append((target, [n for n in names if f"{target}.{n}".strip(".") not in known], node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name[len("mannlib."):], [], node.lineno) for a in node.names if a.name.startswith("mannlib.")]
    return [(t, n, line) for t, n, line in out if t in known or t == ""]


def layer(name: str) -> int:
    best = None
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if name == p or name.startswith(p + "."):
                if best is None or len(p) > best[1]:
                    best = (i, len(p))
    return best[0] if best else len(LAYERS) - 1


def graph() -> dict[str, set[str]]:
    return {name: {t for t, _, _ in imports(name, path) if t and t != name} for name, path in modules().items()}


def test_no_import_cycles():
    g = graph()
    state, cycles = {}, []

    packages = {name for name, path in modules().items() if path.name == "__init__.py"}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(g.get(node, ())):
            if node in packages and nxt.startswith(node + "."):
                continue   # a package importing its own submodules (registration, re-exports) is not a cycle
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for name in sorted(g):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_layers_import_downwards_only():
    bad = [f"mannlib.{name} (line {line}) imports mannlib.{target}"
           for name, path in modules().items() for target, _, line in imports(name, path)
           if target and layer(target) > layer(name)]
    assert not bad, "\n".join(bad)


def test_a_task_never_imports_a_model_and_a_model_never_imports_a_task():
    bad = [f"mannlib.{name} imports mannlib.{target}" for name, path in modules().items()
           for target, _, _ in imports(name, path)
           if {name.split(".")[0], target.split(".")[0]} == {"tasks", "models"}]
    assert not bad, "\n".join(bad)


def test_no_private_name_is_imported_across_modules():
    bad = [f"mannlib.{name} (line {line}) imports {n} from mannlib.{target}"
           for name, path in modules().items() for target, names, line in imports(name, path)
           for n in names if n.startswith("_") and target != name]
    assert not bad, "\n".join(bad)


def test_no_module_is_over_about_400_lines():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_model_names_are_listed_once():
    from mannlib.models import MODELS
    everywhere = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) >= len(MODELS) - 1 and all(
                    isinstance(e, ast.Constant) and e.value in MODELS for e in node.elts):
                everywhere.append(f"mannlib.{name}:{node.lineno}")
    assert not everywhere, everywhere          # the list is the keys of models.registry.BUILDERS
    from mannlib.models.registry import BUILDERS
    assert MODELS == tuple(BUILDERS)


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chapter_answers_the_contract(name):
    c = chapter(name)
    assert isinstance(c.PAPER, str) and c.PAPER
    assert callable(c.claims) and callable(c.reference) and isinstance(c.paper_says(), dict)
    assert getattr(c, "RUNS", None) or getattr(c, "PIPELINES", None), f"{name} has neither RUNS nor PIPELINES"


def test_reproduce_targets_are_unique_and_known():
    targets = run_targets()
    assert {"mirror", "m10ae", "lantm"} <= set(targets)
    with pytest.raises(ValueError, match="choose one of"):
        chapter("nonesuch")
