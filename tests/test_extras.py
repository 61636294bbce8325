"""gunicorn, psycopg and openpyxl are optional extras (pyproject.toml): without one, the command
that needs it says which extra to install, with no traceback (geo/extras.py)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from geo.extras import MissingExtra, require
from webapp.cli import main

ROOT = Path(__file__).resolve().parent.parent


def hide(monkeypatch, package: str, *importers: str) -> None:
    """Make ``package`` (and its submodules) impossible to import, as if it were not installed,
    and forget the project's modules that import it, so that they are imported again."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)
    for name in importers:
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_the_extras_are_declared_and_not_required():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    assert [d.split(">")[0] for d in extras["production"]] == ["gunicorn"]
    assert [d.split(">")[0] for d in extras["postgis"]] == ["psycopg[binary]"]
    assert "openpyxl" in [d.split(">")[0] for d in extras["import"]]
    required = " ".join(project["dependencies"])
    assert not {"gunicorn", "psycopg", "openpyxl"} & set(required.replace(">", " ").split())
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "EXTRAS := production,postgis,import" in makefile


def test_require_names_the_extra(monkeypatch):
    hide(monkeypatch, "gunicorn")
    with pytest.raises(MissingExtra) as info:
        require("gunicorn.app.base", "production", "wanbei-map serve --production")
    assert str(info.value) == (
        "wanbei-map serve --production needs the optional package 'gunicorn', which is not "
        "installed: pip install 'wanbei-map[production]'"
    )
    assert isinstance(info.value, ImportError)
    assert require("json", "none", "x") is sys.modules["json"]


def test_serve_production_without_gunicorn(monkeypatch, capsys):
    hide(monkeypatch, "gunicorn", "webapp.production")
    # said before the app is built: a missing data directory is not even looked at
    assert main(["serve", "--production", "--data", "/nonexistent", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'wanbei-map[production]'" in err
    assert "Traceback" not in err


def test_postgis_without_psycopg(monkeypatch, capsys, tmp_path):
    hide(monkeypatch, "psycopg", "geo.postgis")
    assert main(["db", "init", "--database", "postgresql://nobody@127.0.0.1:1/none"]) == 2
    err = capsys.readouterr().err
    assert "The PostGIS store needs the optional package 'psycopg'" in err
    assert "pip install 'wanbei-map[postgis]'" in err

    from webapp import create_app

    with pytest.raises(MissingExtra, match=r"wanbei-map\[postgis\]"):
        create_app({"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})


def test_import_of_a_workbook_without_openpyxl(monkeypatch, capsys, data_copy):
    hide(monkeypatch, "openpyxl")
    sheet = ROOT / "tests" / "data" / "projects_zh.xlsx"
    before = {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()}
    assert main(["import", str(sheet), "--layer", "projects", "--data", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert "Importing an Excel workbook needs the optional package 'openpyxl'" in err
    assert "pip install 'wanbei-map[import]'" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()} == before
