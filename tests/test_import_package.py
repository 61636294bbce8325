"""The importer is a package of steps: each module under 800 lines, none reaching into another
module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import geo.importer

PACKAGE = Path(geo.importer.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))


def test_the_importer_is_a_package_of_small_modules():
    assert {p.stem for p in MODULES} >= {"read", "headers", "normalise", "rows", "merge", "apply"}
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES}
    assert max(sizes.values()) < 800, sizes


def test_no_private_name_is_imported_from_another_module():
    private = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geo"):
                private += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
    assert private == []


def test_the_public_entry_points_stay_where_callers_import_them():
    for name in ("plan_import", "apply_import", "apply_import_to_database", "markdown"):
        assert callable(getattr(geo.importer, name))
    assert {"projects", "parks", "places"} <= set(geo.importer.IMPORT_LAYERS)
