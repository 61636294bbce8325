"""CSV downloads never carry a cell a spreadsheet would run (issue 15, defect 4: OWASP's rule)."""

from __future__ import annotations

import csv
import io
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from layers.formats import neutralise, to_csv_bytes, write_table_csv
from layers.registry import LAYERS
from webapp import create_app

HOSTILE = {
    '=HYPERLINK("http://x.example","click")': '\'=HYPERLINK("http://x.example","click")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "@SUM(1+1)": "'@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "-": "'-",
}
HARMLESS = ["-2.5", "+86", "1e-3", "-0.25e+2", "蚌埠 = 宁波", "a-b", "2023-01-01", ""]


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(("given", "sent"), [*HOSTILE.items(), *((h, h) for h in HARMLESS)])
def test_a_text_that_would_run_gets_an_apostrophe_and_nothing_else_changes(given, sent):
    assert neutralise(given) == sent


def test_layer_and_table_csv_neutralise_text_cells_and_leave_numbers():
    texts = list(HOSTILE) + HARMLESS
    gdf = gpd.GeoDataFrame(
        {
            "id": [f"x{i}" for i in range(len(texts))],
            "note": texts,
            "amount": [-1.5] * len(texts),
            "year": pd.array([-3] * len(texts), dtype="Int64"),
        },
        geometry=[shapely.Point(117.0, 33.0)] * len(texts),
        crs="EPSG:4326",
    )
    header, *rows = _rows(to_csv_bytes(LAYERS["projects"], gdf))
    assert header == ["id", "note", "amount", "year", "lon", "lat"]
    assert [r[1] for r in rows] == [neutralise(t) for t in texts]
    assert [r[1] for r in rows][: len(HOSTILE)] == list(HOSTILE.values())
    assert {(r[2], r[3]) for r in rows} == {("-1.5", "-3")}  # numbers untouched
    out = io.BytesIO()
    write_table_csv(pd.DataFrame(gdf.drop(columns="geometry")), out)
    assert [r[1] for r in _rows(out.getvalue())[1:]] == [r[1] for r in rows]


def test_downloads_and_the_zip_neutralise_what_the_data_holds(data_copy):
    path = data_copy / "parks.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    formulas = [k for k in HOSTILE if not k.startswith(("\t", "\r"))]
    for i, formula in enumerate(formulas):
        table.loc[i, "note"] = formula
    table.to_csv(path, index=False)
    client = create_app({"TESTING": True, "DATA_DIR": str(data_copy)}).test_client()

    def notes(data: bytes) -> list[str]:
        header, *rows = _rows(data)
        return [r[header.index("note")] for r in rows[: len(formulas)]]

    expected = [HOSTILE[f] for f in formulas]
    assert notes(client.get("/downloads/parks.csv").data) == expected
    assert notes(client.get("/downloads/parks.csv?bbox=110,20,125,40").data) == expected
    with zipfile.ZipFile(io.BytesIO(client.get("/downloads/wanbei-data.zip").data)) as z:
        assert notes(z.read("layers/parks.csv")) == expected
        assert notes(z.read("tables/parks.csv")) == expected
