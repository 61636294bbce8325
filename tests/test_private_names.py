"""No module of the product reaches into another module's private names (issue 12 item 3):
what one module needs of another is public there (no leading underscore)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geo", "layers", "webapp")


def reached_into(path: Path) -> list[str]:
    """``from m import _x`` and ``m._x`` where ``m`` is a module or name imported in ``path``
    (Flask's ``g``, a namespace for the request's own values, is not a module's privates)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported.add(alias.asname or alias.name)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    where = f"{path.name}:{node.lineno}"
                    found.append(f"{where}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and isinstance(node.value, ast.Name)
            and node.value.id in imported - {"g"}
        ):
            found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_reaches_into_another_modules_private_names():
    found = [hit for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") for hit in reached_into(p)]
    assert found == []


def test_the_check_finds_a_reach(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from layers import geojson\nfrom geo.load import _x\ngeojson._write(1)\n")
    assert reached_into(bad) == ["bad.py:2: from geo.load import _x", "bad.py:3: geojson._write"]
