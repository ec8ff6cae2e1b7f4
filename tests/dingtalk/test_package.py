"""The client library stands alone: no Flask import, public names exported."""

from __future__ import annotations

import ast
from pathlib import Path

import dashboard.dingtalk as dingtalk

PACKAGE_DIR = Path(dingtalk.__file__).parent


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_of_the_client_imports_flask() -> None:
    """(The parent ``dashboard`` package is the Flask app; the library itself never imports it.)"""
    modules = sorted(PACKAGE_DIR.rglob("*.py"))
    assert modules
    for module in modules:
        roots = imported_roots(module.read_text(encoding="utf-8"))
        assert not {r for r in roots if r.startswith("flask")}, module
        assert "dashboard" not in roots, module  # relative imports keep it publishable


def test_public_names_are_exported() -> None:
    for name in dingtalk.__all__:
        assert hasattr(dingtalk, name), name
    for name in ("DingTalkClient", "MemoryTokenStore", "CacheTokenStore", "errors", "messages"):
        assert name in dingtalk.__all__
