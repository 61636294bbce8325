"""The PostGIS store on a real PostgreSQL + PostGIS (started by scripts/pg.sh): the same dataset as
the files, all-or-nothing loads, the same downloads, spatial indexes that queries use."""

from __future__ import annotations

import json
import uuid

import pandas as pd
import psycopg
import pytest
from geopandas.testing import assert_geodataframe_equal
from psycopg import sql

from geo.dataset import CsvStore
from geo.postgis import DatabaseError, PostgisStore, point_tables
from geo.schema import TABLES
from layers.registry import LAYERS
from webapp import DEFAULT_DATA_DIR, create_app
from webapp.cli import main


def assert_same_dataset(got, expected) -> None:
    assert got.version == expected.version
    assert list(got.tables) == list(expected.tables)
    for name in expected.tables:
        pd.testing.assert_frame_equal(got.tables[name], expected.tables[name], obj=name)
    assert list(got.layers) == list(expected.layers)
    for name in expected.layers:
        assert_geodataframe_equal(got.layers[name], expected.layers[name], check_geom_type=True)


def db_args(store: PostgisStore) -> list[str]:
    return ["--database", store.url, "--schema", store.schema]


def test_db_init_and_load_round_trip_to_the_csv_dataset(database_url, capsys):
    store = PostgisStore(database_url, f"t_round_trip_{uuid.uuid4().hex[:8]}")
    try:
        assert main(["db", "init", "--reset", *db_args(store)]) == 0
        assert main(["db", "load", str(DEFAULT_DATA_DIR), *db_args(store)]) == 0
        out = capsys.readouterr().out
        assert "tables and spatial indexes ready" in out and "loaded" in out
        assert_same_dataset(store.load(), CsvStore(DEFAULT_DATA_DIR).load())
        # init again is harmless: the data stays
        assert main(["db", "init", *db_args(store)]) == 0
        assert store.version() == CsvStore(DEFAULT_DATA_DIR).load().version
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(store.schema))
            )


def test_tables_are_typed_with_geometry_and_gist_indexes(postgis_store):
    with postgis_store.connect() as conn:
        columns = dict(
            conn.execute(
                "SELECT table_name || '.' || column_name, data_type "
                "FROM information_schema.columns WHERE table_schema = %s",
                [postgis_store.schema],
            ).fetchall()
        )
        geometry = {
            (t, g, s)
            for t, g, s in conn.execute(
                "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s",
                [postgis_store.schema],
            ).fetchall()
        }
        gist = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_indexes WHERE schemaname = %s "
                "AND indexdef LIKE '%%USING gist (geom)%%'",
                [postgis_store.schema],
            ).fetchall()
        }
    for table in TABLES.values():
        for col in table.columns:
            assert f"{table.name}.{col.name}" in columns
    assert columns["places.lon"] == "double precision"
    assert columns["pairings.since"] == "integer"
    assert columns["places.adcode"] == "text"
    assert geometry == {(t, "POINT", 4326) for t in point_tables()} | {
        ("boundaries", "MULTIPOLYGON", 4326)
    }
    assert gist == {*point_tables(), "boundaries"}


def test_the_database_enforces_the_schema_rules(postgis_store):
    with postgis_store.connect() as conn:
        table = sql.Identifier(postgis_store.schema, "places")
        with pytest.raises(psycopg.errors.CheckViolation, match="places_level_check"):
            conn.execute(sql.SQL("UPDATE {} SET level = 'village'").format(table))
        conn.rollback()
        with pytest.raises(psycopg.errors.CheckViolation, match="places_adcode_check"):
            conn.execute(sql.SQL("UPDATE {} SET adcode = 'x' || adcode").format(table))
        conn.rollback()
        parks = sql.Identifier(postgis_store.schema, "parks")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(sql.SQL("UPDATE {} SET host_adcode = '340000'").format(parks))
            conn.commit()  # the references are checked at commit


def break_places(data_dir) -> None:
    path = data_dir / "places.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[0], "99999x", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_bad_data_directory_loads_nothing(empty_postgis, data_copy, capsys):
    empty_postgis.write_dir(DEFAULT_DATA_DIR)
    before = empty_postgis.load()
    break_places(data_copy)
    assert main(["db", "load", str(data_copy), *db_args(empty_postgis)]) == 1
    err = capsys.readouterr().err
    assert "places.csv, row 2, column adcode" in err
    assert "Nothing was loaded" in err
    assert_same_dataset(empty_postgis.load(), before)


def test_a_load_that_fails_half_way_leaves_the_old_data(empty_postgis, data_copy):
    empty_postgis.write_dir(DEFAULT_DATA_DIR)
    before = empty_postgis.load()
    parks = data_copy / "parks.csv"
    parks.write_text(
        parks.read_text(encoding="utf-8").replace("甬蚌产业合作园区", "甬蚌合作园区(改)", 1),
        encoding="utf-8",
    )

    def fail_after_parks(name: str) -> None:
        if name == "parks":
            raise RuntimeError("the connection dropped")

    with pytest.raises(RuntimeError, match="dropped"):
        empty_postgis.write_dir(data_copy, on_table=fail_after_parks)
    assert_same_dataset(empty_postgis.load(), before)

    after = empty_postgis.write_dir(data_copy)
    assert after.version != before.version
    assert_same_dataset(empty_postgis.load(), CsvStore(data_copy).load())
    assert "甬蚌合作园区(改)" in set(empty_postgis.load().layers["parks"]["name_zh"])


def test_an_empty_or_unreachable_database_says_what_to_do(empty_postgis):
    with pytest.raises(DatabaseError, match=r"holds no data yet: run `wanbei-map db load DIR`"):
        empty_postgis.load()
    with pytest.raises(DatabaseError, match=r"has no wanbei tables: run `wanbei-map db init`"):
        PostgisStore(empty_postgis.url, "no_such_schema").load()
    with pytest.raises(DatabaseError, match="cannot connect"):
        PostgisStore("postgresql://nobody:secret@127.0.0.1:9/none").load()
    with pytest.raises(ValueError, match="Expected a postgresql:// URL"):
        PostgisStore("mysql://x")


def test_the_app_reads_postgis_when_the_url_is_set(postgis_store, monkeypatch):
    monkeypatch.setenv("WANBEI_DATABASE_URL", postgis_store.url)
    app = create_app({"TESTING": True, "DATABASE_SCHEMA": postgis_store.schema})
    store = app.extensions["wanbei.store"]
    assert isinstance(store, PostgisStore) and store.schema == postgis_store.schema
    assert postgis_store.schema in app.extensions["wanbei"].dataset.source
    monkeypatch.delenv("WANBEI_DATABASE_URL")
    app = create_app({"TESTING": True})
    assert isinstance(app.extensions["wanbei.store"], CsvStore)


@pytest.mark.parametrize("layer_id", list(LAYERS))
def test_postgis_and_files_serve_the_same_download_bytes(layer_id, client, postgis_store):
    on_postgis = create_app({"TESTING": True, "STORE": postgis_store}).test_client()
    url = f"/downloads/{layer_id}.geojson"
    got, expected = on_postgis.get(url), client.get(url)
    assert got.status_code == expected.status_code == 200
    assert got.data == expected.data
    assert got.headers["ETag"] == expected.headers["ETag"]
    assert json.loads(got.data)["features"], "a layer with no features proves little"


def test_map_page_works_on_both_backends(backend_client):
    page = backend_client.get("/")
    assert page.status_code == 200
    assert b"/downloads/projects.geojson" in page.data


def explain(conn, query, params) -> str:
    rows = conn.execute(sql.SQL("EXPLAIN ") + query, params).fetchall()
    return "\n".join(r[0] for r in rows)


def test_bbox_queries_use_the_gist_index(empty_postgis):
    """With 20,000 project sites and fresh statistics, the planner's own choice for a small bbox
    is the GiST index; the same query on the lon/lat columns (no index) scans the table."""
    store = empty_postgis
    store.write_dir(DEFAULT_DATA_DIR)
    projects = sql.Identifier(store.schema, "projects")
    cols = [c.name for c in TABLES["projects"].columns]
    site = {
        "id": sql.SQL("'synth-' || g"),
        "lon": sql.SQL("115.0 + (g % 200) * 0.01"),
        "lat": sql.SQL("31.0 + (g / 200) * 0.01"),
        "precision": sql.SQL("'exact'"),
    }
    with store.connect() as conn:
        conn.execute(
            sql.SQL(
                "INSERT INTO {t} (row_number, {cols}, geom) "
                "SELECT 1000 + g, {values}, "
                "ST_SetSRID(ST_MakePoint(115.0 + (g % 200) * 0.01, 31.0 + (g / 200) * 0.01), 4326) "
                "FROM (SELECT * FROM {t} LIMIT 1) AS p, generate_series(1, 20000) AS g"
            ).format(
                t=projects,
                cols=sql.SQL(", ").join(sql.Identifier(c) for c in cols),
                values=sql.SQL(", ").join(
                    site.get(c, sql.SQL("p.") + sql.Identifier(c)) for c in cols
                ),
            )
        )
        conn.execute(sql.SQL("ANALYZE {}").format(projects))
        conn.commit()
        bbox = (115.5, 31.2, 115.6, 31.3)
        plan = explain(conn, store.bbox_query("projects"), [*bbox, *bbox])
        assert "projects_geom_idx" in plan and "Seq Scan" not in plan, plan
        by_columns = sql.SQL(
            "SELECT id FROM {} WHERE lon BETWEEN %s AND %s AND lat BETWEEN %s AND %s"
        ).format(projects)
        assert "Seq Scan" in explain(conn, by_columns, [115.5, 115.6, 31.2, 31.3])
        expected = conn.execute(by_columns, [115.5, 115.6, 31.2, 31.3]).fetchall()
    found = store.ids_in_bbox("projects", bbox)
    assert len(found) == len(expected) > 50
    assert set(found) == {r[0] for r in expected}


def test_tables_of_another_schema_version_are_refused_until_reset(empty_postgis):
    store = empty_postgis
    store.write_dir(DEFAULT_DATA_DIR)
    with store.connect() as conn:
        meta = sql.Identifier(store.schema, "meta")
        conn.execute(sql.SQL("UPDATE {} SET value = 'older' WHERE key = 'ddl_hash'").format(meta))
    for action in (store.load, store.init, lambda: store.write_dir(DEFAULT_DATA_DIR)):
        with pytest.raises(DatabaseError, match=r"another version .* db init --reset"):
            action()
    store.init(reset=True)
    with pytest.raises(DatabaseError, match="holds no data yet"):
        store.load()
    store.write_dir(DEFAULT_DATA_DIR)
    assert store.load().version == CsvStore(DEFAULT_DATA_DIR).load().version
