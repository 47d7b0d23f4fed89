"""The test suite's own layout: shared set-up lives in helper modules and conftest, so no test module imports
another (a test module imported elsewhere runs its fixtures' side effects twice and couples two files that
should change on their own)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_test_module_imports_another() -> None:
    modules = sorted(TESTS.rglob("test_*.py"))
    assert len(modules) > 100  # the walk found the suite
    offenders = {
        str(path.relative_to(TESTS)): sorted(
            name for name in _imported(path) if name.rsplit(".", 1)[-1].startswith("test_")
        )
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}
