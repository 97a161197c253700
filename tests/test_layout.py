"""The layout rules of the package (docs/ARCHITECTURE.md): small modules and functions, no path tricks."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# A function may run longer where a comment on its `def` line says why: `def f(...):  # long: <why>`.
LONG_FUNCTION_MARK = re.compile(r"#\s*long:\s*\S")


def python_files() -> list[Path]:
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
    ).stdout.split()
    return [PROJECT_DIR / name for name in tracked if (PROJECT_DIR / name).is_file()]


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(PROJECT_DIR)): n for p in python_files() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_over_60_lines_without_a_reason() -> None:
    long = []
    for path in python_files():
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and not LONG_FUNCTION_MARK.search(lines[node.lineno - 1]):
                    long.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, "functions over 60 lines with no `# long: why` on their def line:\n" + "\n".join(long)


def test_nothing_edits_sys_path_and_nothing_outside_tests_imports_from_tests() -> None:
    edits, test_imports = [], []
    for path in python_files():
        relative = path.relative_to(PROJECT_DIR)
        if relative == Path("tests/test_layout.py"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "path" and getattr(node.value, "id", None) == "sys":
                edits.append(str(relative))
            if relative.parts[0] != "tests":
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in getattr(node, "names", [])] if isinstance(node, ast.Import) else []
                test_imports += [f"{relative}: {name}" for name in names if name == "tests" or name.startswith("tests.")]
    assert not edits, f"sys.path used in {sorted(set(edits))}"
    assert not test_imports, f"imports from tests/ outside tests: {test_imports}"


@pytest.mark.parametrize("module", ["rubber_tile.generator", "rubber_tile.preview.backend", "rubber_tile.lock", "predict"])
def test_the_preview_path_imports_no_torch(module: str) -> None:
    code = f"import sys, {module}; print('torch' in sys.modules, 'diffusers' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_DIR)
    assert result.stdout.split() == ["False", "False"]


def _imports(path: Path) -> list[str]:
    """The modules `path` imports (at any depth: function-level imports count), relative ones resolved."""
    module_parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    package = module_parts[:-1]
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.append(module)
            names += [f"{module}.{alias.name}" for alias in node.names]  # `from . import x` names a module
    return names


def _runtime_modules() -> dict[str, Path]:
    modules = {}
    for path in python_files():
        relative = path.relative_to(PROJECT_DIR)
        if relative.parts[0] == "rubber_tile":
            parts = relative.with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def test_the_runtime_package_never_imports_the_development_one() -> None:
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}: {name}"
        for path in _runtime_modules().values()
        for name in _imports(path)
        if name == "rubber_tile_dev" or name.startswith("rubber_tile_dev.")
    ]
    offenders += [f"predict.py: {n}" for n in _imports(PROJECT_DIR / "predict.py") if n.startswith("rubber_tile_dev")]
    assert not offenders, f"runtime code imports development tooling (left out of the image): {offenders}"


def test_the_runtime_package_has_no_import_cycle_even_through_function_level_imports() -> None:
    import graphlib

    modules = _runtime_modules()
    graph = {
        name: {target for target in _imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }
    # A package's __init__ re-exporting its own modules is not a cycle between jobs.
    graph = {name: {t for t in targets if not name.startswith(t + ".")} for name, targets in graph.items()}
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


def test_every_package_the_code_imports_is_pinned_in_a_requirements_file() -> None:
    import importlib.metadata

    own = {"rubber_tile", "rubber_tile_dev", "tests", "predict", "prompt_builder"}
    imported = set()
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(name for name in imported - own if name not in sys.stdlib_module_names)
    pins = set()
    for requirements in PROJECT_DIR.glob("requirements*.txt"):
        for line in requirements.read_text().splitlines():
            if "==" in line and not line.lstrip().startswith("#"):
                pins.add(line.split("==")[0].strip().lower().replace("_", "-"))
    distributions = importlib.metadata.packages_distributions()
    unpinned = [
        f"{name} ({', '.join(distributions.get(name, ['not installed']))})"
        for name in third_party
        if not any(d.lower().replace("_", "-") in pins for d in distributions.get(name, []))
    ]
    assert not unpinned, f"imported but not pinned (name==version) in requirements*.txt: {unpinned}"
