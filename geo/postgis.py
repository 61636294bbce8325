"""A PostGIS store: the dataset in PostgreSQL, so that several app instances share one dataset.

:class:`PostgisStore` has the interface of :class:`geo.dataset.CsvStore` (``load() -> Dataset``),
so ``layers/`` and ``webapp/`` do not change. The tables mirror the CSV files of
:mod:`geo.schema` one to one (typed columns, the schema's rules as constraints), plus:

- ``row_number``: the record's line in the file it was loaded from; it keeps the files' order,
  so both stores build the same layers, and problems still name a row of that file;
- ``geom``: on the tables with ``lon``/``lat``, the point the map draws (SRID 4326, GiST index):
  the row's own site, or its unit's seat where it gives none (``unit_seat``), written from the
  built layer at load time so that a bbox query in SQL finds what the map and the API show.
  The layers are always rebuilt from ``lon``/``lat`` on reading; ``geom`` serves SQL queries;
- ``boundaries``: the polygons of ``boundaries.geojson`` as MultiPolygon, SRID 4326, GiST index;
- ``meta``: the data version (the same hash the CSV store computes from the same files, so ETags
  agree across stores and instances), where the data came from, and the DDL's hash.

Plain SQL through psycopg 3: the DDL is generated from the schema declarations, rows go in with
``COPY``, and reading is one ``SELECT`` per table in a single read-only snapshot.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.dataset import (
    CRS,
    Dataset,
    build_dataset,
    data_version,
    read_data_dir,
)
from geo.errors import DataError, Problem
from geo.extras import require
from geo.load import LAT_RANGE, LON_RANGE, check_references
from geo.schema import BOUNDARY_LEVELS, BOUNDARY_PROPERTIES, TABLES, Column, Table

psycopg = require("psycopg", "postgis", "The PostGIS store")
sql = require("psycopg.sql", "postgis", "The PostGIS store")

SCHEMA = "wanbei"

_SQL_TYPES = {
    "text": "text",
    "id": "text",
    "adcode": "text",
    "source": "text",
    "date": "text",
    "int": "bigint",
    "year": "integer",
    "float": "double precision",
    "lon": "double precision",
    "lat": "double precision",
}
_PATTERNS = {
    "adcode": r"^[1-8][0-9]{5}$",
    "id": r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    "date": r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
}


class DatabaseError(DataError):
    """The database cannot give a dataset: unreachable, not initialised, empty or out of date."""


def point_tables() -> tuple[str, ...]:
    """The tables that carry a site as ``lon``/``lat`` and so a ``geom`` Point column."""
    return tuple(t.name for t in TABLES.values() if {"lon", "lat"} <= {c.name for c in t.columns})


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


# --- the DDL, generated from geo.schema ---------------------------------------------------------


def ddl(schema: str = SCHEMA) -> list[sql.Composed]:
    """The statements that create the tables, constraints and indexes in ``schema``.

    Parameters
    ----------
    schema : str
        The PostgreSQL schema (namespace) that holds the tables.

    Returns
    -------
    list of psycopg.sql.Composed
    """
    statements = [sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))]
    points = point_tables()
    for table in TABLES.values():
        parts = [sql.SQL("row_number integer NOT NULL")]
        parts += [_column_ddl(table, col) for col in table.columns]
        if table.name in points:
            parts.append(sql.SQL("geom geometry(Point, 4326) NOT NULL"))
        parts.append(sql.SQL("PRIMARY KEY ({})").format(sql.Identifier(table.key)))
        parts += _foreign_keys(schema, table)
        statements.append(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                sql.Identifier(schema, table.name), sql.SQL(", ").join(parts)
            )
        )
    levels = sql.SQL(", ").join(sql.Literal(v) for v in BOUNDARY_LEVELS)
    statements.append(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "row_number integer NOT NULL, "
            "adcode text PRIMARY KEY CHECK (adcode ~ {adcode}), "
            "name_zh text, "
            "name_en text, "
            "level text NOT NULL CHECK (level IN ({levels})), "
            "parent_adcode text, "
            "source text, "
            "geom geometry(MultiPolygon, 4326) NOT NULL "
            "CHECK (NOT ST_IsEmpty(geom) AND ST_IsValid(geom)))"
        ).format(
            sql.Identifier(schema, "boundaries"),
            adcode=sql.Literal(_PATTERNS["adcode"]),
            levels=levels,
        )
    )
    for name in (*points, "boundaries"):
        statements.append(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist (geom)").format(
                sql.Identifier(f"{name}_geom_idx"), sql.Identifier(schema, name)
            )
        )
    statements.append(
        sql.SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL)").format(
            sql.Identifier(schema, "meta")
        )
    )
    return statements


def _column_ddl(table: Table, col: Column) -> sql.Composed:
    name = sql.Identifier(col.name)
    checks: list[sql.Composable] = []
    if col.allowed:
        values = sql.SQL(", ").join(sql.Literal(v) for v in col.allowed)
        checks.append(sql.SQL("{} IN ({})").format(name, values))
    if col.kind in _PATTERNS:
        checks.append(sql.SQL("{} ~ {}").format(name, sql.Literal(_PATTERNS[col.kind])))
    bounds = {
        "year": (1949, 2100),
        "int": (0, None),
        "float": (0, None),
        "lon": LON_RANGE,
        "lat": LAT_RANGE,
    }.get(col.kind)
    if bounds:
        low, high = bounds
        checks.append(sql.SQL("{} >= {}").format(name, sql.Literal(low)))
        if high is not None:
            checks.append(sql.SQL("{} <= {}").format(name, sql.Literal(high)))
    out = sql.SQL("{} {}").format(name, sql.SQL(_SQL_TYPES[col.kind]))
    if col.required:
        out += sql.SQL(" NOT NULL")
    if checks:
        out += sql.SQL(" CHECK ({})").format(sql.SQL(" AND ").join(checks))
    return out


def _foreign_keys(schema: str, table: Table) -> list[sql.Composed]:
    keys = []
    for col in table.columns:
        if col.references and TABLES[col.references[0]].key == col.references[1]:
            target, key = col.references
            keys.append(
                sql.SQL("FOREIGN KEY ({}) REFERENCES {} ({}) DEFERRABLE INITIALLY DEFERRED").format(
                    sql.Identifier(col.name), sql.Identifier(schema, target), sql.Identifier(key)
                )
            )
    return keys


def ddl_hash(schema: str = SCHEMA) -> str:
    """A hash of the DDL: the store refuses a database created for another schema."""
    text = "\n".join(s.as_string() for s in ddl(schema))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the store ----------------------------------------------------------------------------------


class PostgisStore:
    """The dataset in a PostGIS database.

    Parameters
    ----------
    url : str
        A libpq URL, ``postgresql://user@host:port/dbname``.
    schema : str
        The PostgreSQL schema that holds the tables (default ``wanbei``).
    """

    def __init__(self, url: str, schema: str = SCHEMA) -> None:
        if not re.match(r"^postgres(ql)?://", url or ""):
            raise ValueError(
                f"Expected a postgresql:// URL for the database, instead got: {redact(url)!r}"
            )
        if not re.match(r"^[a-z_][a-z0-9_]*$", schema):
            raise ValueError(f"Expected a lower-case SQL name for the schema, got: {schema!r}")
        self.url = url
        self.schema = schema

    def __repr__(self) -> str:
        return f"PostgisStore({redact(self.url)!r}, schema={self.schema!r})"

    @property
    def where(self) -> str:
        """The database and schema, for messages (no password)."""
        return f"{redact(self.url)} (schema {self.schema})"

    def connect(self, **kwargs) -> psycopg.Connection:
        """A new connection; a DatabaseError names the database if it cannot be reached."""
        try:
            return psycopg.connect(self.url, connect_timeout=10, **kwargs)
        except psycopg.OperationalError as exc:
            raise self._error(f"cannot connect: {str(exc).strip()}") from exc

    def init(self, reset: bool = False) -> None:
        """Create the postgis extension (if allowed), the schema, tables and indexes.

        Parameters
        ----------
        reset : bool
            Drop the schema and everything in it first.
        """
        with self.connect() as conn:
            has_postgis = conn.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'postgis'"
            ).fetchone()
            if not has_postgis:
                conn.execute("CREATE EXTENSION postgis")
            if reset:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
                )
            elif self._has_meta(conn):
                self._meta(conn, need_data=False)  # tables of another DDL: say so, change nothing
            for statement in ddl(self.schema):
                conn.execute(statement)
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} VALUES ('ddl_hash', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                ).format(sql.Identifier(self.schema, "meta")),
                [ddl_hash(self.schema)],
            )

    def load(self) -> Dataset:
        """Read every table in one snapshot, validate and build the layers (as ``CsvStore``).

        Raises
        ------
        DatabaseError
            If the database is unreachable, not initialised or holds no data.
        DataError
            With every problem the shared checks of :func:`geo.dataset.build_dataset` find.
        """
        with self.connect(autocommit=False) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            meta = self._meta(conn)
            tables = {name: self._read_table(conn, table) for name, table in TABLES.items()}
            boundaries = self._read_boundaries(conn)
        problems = check_references(tables)
        return build_dataset(
            tables, boundaries, problems, version=meta["version"], source=self.where
        )

    def write_dir(
        self,
        data_dir: str | Path,
        on_table: Callable[[str], None] | None = None,
        source: str | None = None,
    ) -> Dataset:
        """Validate ``data_dir``, then replace the database's data with it in one transaction.

        Parameters
        ----------
        data_dir : str or pathlib.Path
            A data directory as :class:`geo.dataset.CsvStore` reads it.
        on_table : callable, optional
            Called with each table's name after its rows are written (progress reports).
        source : str, optional
            Where the data comes from, as recorded in the database (default: ``data_dir``).

        Returns
        -------
        Dataset
            The dataset now in the database.

        Raises
        ------
        DataError
            If the directory does not validate; nothing is written.
        """
        data_dir = Path(data_dir)
        tables, boundaries, problems = read_data_dir(data_dir)
        version = data_version(data_dir)
        dataset = build_dataset(tables, boundaries, problems, version=version, source=str(data_dir))
        with self.connect(autocommit=False) as conn:
            with conn.transaction():
                self._meta(conn, need_data=False)
                names = [sql.Identifier(self.schema, n) for n in (*TABLES, "boundaries")]
                conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(names)))
                for name, table in TABLES.items():
                    layer = dataset.layers.get(name) if name in point_tables() else None
                    _copy_rows(conn, self.schema, table, tables[name], layer)
                    if on_table:
                        on_table(name)
                _copy_boundaries(conn, self.schema, boundaries)
                if on_table:
                    on_table("boundaries")
                for name in names:  # fresh statistics, so the planner picks the GiST indexes
                    conn.execute(sql.SQL("ANALYZE {}").format(name))
                meta = sql.SQL(
                    "INSERT INTO {} VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                ).format(sql.Identifier(self.schema, "meta"))
                where = source or str(data_dir.resolve())
                for key, value in (("version", version), ("source", where)):
                    conn.execute(meta, [key, value])
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {} VALUES ('loaded_at', now()::text) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                    ).format(sql.Identifier(self.schema, "meta"))
                )
        return dataset

    def version(self) -> str | None:
        """The data version in the database, or None if it holds no data."""
        with self.connect() as conn:
            return self._meta(conn, need_data=False).get("version")

    def bbox_query(self, table: str) -> sql.Composed:
        """The SQL of :meth:`ids_in_bbox` for ``table`` (parameters: west, south, east, north)."""
        if table not in (*point_tables(), "boundaries"):
            raise ValueError(
                f"Expected one of {', '.join((*point_tables(), 'boundaries'))}, got: {table!r}"
            )
        key = "adcode" if table == "boundaries" else TABLES[table].key
        return sql.SQL(
            "SELECT {key} FROM {table} WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
            "AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326)) ORDER BY row_number"
        ).format(key=sql.Identifier(key), table=sql.Identifier(self.schema, table))

    def ids_in_bbox(self, table: str, bbox: tuple[float, float, float, float]) -> list[str]:
        """Keys of the rows of ``table`` whose geometry meets ``bbox`` (west, south, east, north).

        Uses the table's GiST index; points are those the map draws (a ``unit_seat`` row at its
        unit's seat).
        """
        if len(bbox) != 4:
            raise ValueError(f"Expected (west, south, east, north), instead got: {bbox!r}")
        with self.connect() as conn:
            rows = conn.execute(self.bbox_query(table), [*bbox, *bbox]).fetchall()
        return [r[0] for r in rows]

    # --- helpers --------------------------------------------------------------------------------

    def _error(self, message: str) -> DatabaseError:
        return DatabaseError([Problem("database", None, None, message)], self.where)

    def _has_meta(self, conn: psycopg.Connection) -> bool:
        query = "SELECT to_regclass(%s) IS NOT NULL"
        return conn.execute(query, [f'"{self.schema}".meta']).fetchone()[0]

    def _meta(self, conn: psycopg.Connection, need_data: bool = True) -> dict[str, str]:
        if not self._has_meta(conn):
            raise self._error("has no wanbei tables: run `wanbei-map db init` first")
        meta = dict(
            conn.execute(
                sql.SQL("SELECT key, value FROM {}").format(sql.Identifier(self.schema, "meta"))
            ).fetchall()
        )
        if meta.get("ddl_hash") != ddl_hash(self.schema):
            raise self._error(
                "its tables were created for another version of the data schema: "
                "run `wanbei-map db init --reset`, then `wanbei-map db load DIR`"
            )
        if need_data and "version" not in meta:
            raise self._error("holds no data yet: run `wanbei-map db load DIR`")
        return meta

    def _read_table(self, conn: psycopg.Connection, table: Table) -> pd.DataFrame:
        names = ["row_number", *(c.name for c in table.columns)]
        query = sql.SQL("SELECT {} FROM {} ORDER BY row_number").format(
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.Identifier(self.schema, table.name),
        )
        rows = conn.execute(query).fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        # The same dtypes as geo.load.read_table gives, so both stores build the same layers.
        frame = pd.DataFrame({"row_number": pd.array(list(columns[0]), dtype="Int64")})
        for col, values in zip(table.columns, columns[1:], strict=True):
            frame[col.name] = _typed(col, list(values))
        return frame

    def _read_boundaries(self, conn: psycopg.Connection) -> gpd.GeoDataFrame:
        props = sql.SQL(", ").join(sql.Identifier(p) for p in BOUNDARY_PROPERTIES)
        rows = conn.execute(
            sql.SQL("SELECT {}, ST_AsBinary(geom) FROM {} ORDER BY row_number").format(
                props, sql.Identifier(self.schema, "boundaries")
            )
        ).fetchall()
        data = {p: [r[i] for r in rows] for i, p in enumerate(BOUNDARY_PROPERTIES)}
        geoms = shapely.from_wkb([bytes(r[-1]) for r in rows])
        return gpd.GeoDataFrame(data, geometry=_single_parts(geoms), crs=CRS)


def _typed(col: Column, values: list) -> object:
    if col.kind in ("int", "year"):
        return pd.array(values, dtype="Int64")
    if col.kind in ("float", "lon", "lat"):
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    return pd.Series(values, dtype=object).values


def _single_parts(geoms: np.ndarray) -> np.ndarray:
    """MultiPolygons of one part back to Polygons (the column holds MultiPolygons only)."""
    single = shapely.get_num_geometries(geoms) == 1
    out = geoms.copy()
    out[single] = shapely.get_geometry(geoms[single], 0)
    return out


def _copy_rows(
    conn: psycopg.Connection,
    schema: str,
    table: Table,
    frame: pd.DataFrame,
    layer: gpd.GeoDataFrame | None,
) -> None:
    names = ["row_number", *(c.name for c in table.columns)]
    columns = [_plain(frame[n]) for n in names]
    if layer is not None:
        drawn = dict(zip(layer["id"], layer.geometry.values, strict=True))
        points = np.array([drawn[k] for k in frame[table.key]], dtype=object)
        columns.append(_ewkb(points))
        names.append("geom")
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, table.name),
        sql.SQL(", ").join(sql.Identifier(n) for n in names),
    )
    with conn.cursor().copy(statement) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _copy_boundaries(conn: psycopg.Connection, schema: str, boundaries: gpd.GeoDataFrame) -> None:
    statement = sql.SQL("COPY {} (row_number, {}, geom) FROM STDIN").format(
        sql.Identifier(schema, "boundaries"),
        sql.SQL(", ").join(sql.Identifier(p) for p in BOUNDARY_PROPERTIES),
    )
    multi = shapely.get_type_id(boundaries.geometry.values) == 3  # Polygon -> MultiPolygon
    geoms = boundaries.geometry.values.copy()
    geoms[multi] = [shapely.MultiPolygon([g]) for g in geoms[multi]]
    columns = [list(range(1, len(boundaries) + 1))]
    columns += [_plain(boundaries[p]) for p in BOUNDARY_PROPERTIES]
    columns.append(_ewkb(geoms))
    with conn.cursor().copy(statement) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _ewkb(geoms: np.ndarray) -> list[str]:
    """Hex EWKB with SRID 4326: what COPY's text format takes for a geometry column."""
    return list(shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True))


def _plain(series: pd.Series) -> list:
    """Python values with None for every missing value, as COPY wants them."""
    return [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in series]


__all__ = ["DatabaseError", "PostgisStore", "ddl", "point_tables", "redact"]
