"""With a database (WANBEI_DATABASE_URL or --database), an import writes the whole resulting
dataset to PostGIS in one transaction, before the files; nothing is written when it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo import postgis
from geo.dataset import CsvStore, data_version
from webapp.cli import main

FIXTURES = Path(__file__).resolve().parent / "data"


def snapshot(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file()}


def import_args(data_dir: Path, store) -> list[str]:
    return [
        "import",
        str(FIXTURES / "projects_zh.xlsx"),
        "--layer",
        "projects",
        "--data",
        str(data_dir),
        "--schema",
        store.schema,
    ]


def project_names(store) -> set[str]:
    return set(store.load().layers["projects"]["name_zh"])


def test_an_import_writes_the_database_then_the_files(empty_postgis, data_copy, monkeypatch):
    empty_postgis.write_dir(data_copy)
    before = data_version(data_copy)
    assert "甬蚌新能源电池项目" not in project_names(empty_postgis)
    monkeypatch.setenv("WANBEI_DATABASE_URL", empty_postgis.url)
    assert main(import_args(data_copy, empty_postgis)) == 0
    after = data_version(data_copy)
    assert after != before
    assert empty_postgis.version() == after, "the database holds what the files hold"
    assert "甬蚌新能源电池项目" in project_names(empty_postgis)
    db, files = empty_postgis.load(), CsvStore(data_copy).load()
    for name, layer in files.layers.items():
        assert sorted(db.layers[name]["id"]) == sorted(layer["id"]), name
    with empty_postgis.connect() as conn:
        source = conn.execute(
            f"SELECT value FROM {empty_postgis.schema}.meta WHERE key = 'source'"
        ).fetchone()[0]
    assert source == str(data_copy.resolve()), "not the staging directory"


def test_without_a_database_only_the_files_change(empty_postgis, data_copy, monkeypatch):
    empty_postgis.write_dir(data_copy)
    version = empty_postgis.version()
    monkeypatch.delenv("WANBEI_DATABASE_URL", raising=False)
    assert main(import_args(data_copy, empty_postgis)) == 0
    assert empty_postgis.version() == version
    assert data_version(data_copy) != version


def test_a_database_holding_other_data_is_refused(empty_postgis, data_copy, capsys):
    empty_postgis.write_dir(data_copy)
    parks = data_copy / "parks.csv"
    parks.write_text(
        parks.read_text(encoding="utf-8").replace("甬蚌产业合作园区", "甬蚌合作园区(改)", 1),
        encoding="utf-8",
    )
    files = snapshot(data_copy)
    held = empty_postgis.version()
    args = [*import_args(data_copy, empty_postgis), "--database", empty_postgis.url]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"holds data version {held}" in err and "db load" in err
    assert "Nothing written" in err
    assert snapshot(data_copy) == files and empty_postgis.version() == held


def test_a_failed_transaction_writes_nothing(empty_postgis, data_copy, capsys, monkeypatch):
    empty_postgis.write_dir(data_copy)
    held, files = empty_postgis.version(), snapshot(data_copy)
    names = project_names(empty_postgis)

    def drop(*args, **kwargs):
        raise postgis.psycopg.OperationalError("the connection dropped")

    monkeypatch.setattr(postgis, "_copy_boundaries", drop)  # after every table is written
    args = [*import_args(data_copy, empty_postgis), "--database", empty_postgis.url]
    assert main(args) == 1
    assert "the connection dropped" in capsys.readouterr().err
    assert empty_postgis.version() == held and project_names(empty_postgis) == names
    assert snapshot(data_copy) == files, "the files are written only after the database"


@pytest.mark.parametrize("fixture", ["mistakes.xlsx"])
def test_an_invalid_import_touches_neither(empty_postgis, data_copy, fixture, capsys):
    empty_postgis.write_dir(data_copy)
    held, files = empty_postgis.version(), snapshot(data_copy)
    args = [
        "import",
        str(FIXTURES / fixture),
        "--layer",
        "projects",
        "--data",
        str(data_copy),
        "--database",
        empty_postgis.url,
        "--schema",
        empty_postgis.schema,
    ]
    assert main(args) == 1
    assert empty_postgis.version() == held and snapshot(data_copy) == files
