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
