"""A toy layer and a new status word added through the spec alone (geo/spec.toml, via
``WANBEI_SPEC``), with no code: found on the map, in the API, the downloads, the tables and the
importer. The spec is read once per process, so the app runs in a child process."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from geo.spec import SPEC_FILE

ROOT = Path(__file__).resolve().parent.parent

TOY_LAYER = """
[[layers]]
id = "toys"
points = "toys"
title = { zh = "玩具工坊", en = "Toy workshops" }
description = { zh = "测试用图层", en = "A layer for the test" }
geometry = "point"
tooltip = "name_zh"
queryables = ["status"]
table = ["name_zh", "status"]
style = { radius = 5, color = "#000000", weight = 1, fillColor = "#ff00ff", fillOpacity = 1 }
popup = [
  { name = "name_zh", zh = "名称", en = "Name" },
  { name = "status", zh = "状态", en = "Status", vocabulary = "status" },
  { name = "workers", zh = "工人数", en = "Workers", kind = "number" },
  "source",
]
"""
NEW_WORD = (
    'paused = { zh = "暂停建设", en = "Construction paused", tables = ["parks", "toys"], '
    'aliases = ["暂停"] }\n'
)

CHILD = r"""
import json, sys
from pathlib import Path
from geo.importer import plan_import
from webapp import create_app

data = sys.argv[1]
client = create_app({"TESTING": True, "DATA_DIR": data}).test_client()
out = {}
out["map_js"] = client.get("/map.js?lang=en").get_data(as_text=True)
out["map_zh"] = client.get("/map.js").get_data(as_text=True)
out["geojson"] = client.get("/api/layers/toys.geojson").get_json()
out["ogc"] = client.get("/ogc/collections/toys/items?status=paused&f=json").get_json()
out["csv"] = client.get("/downloads/toys.csv").get_data(as_text=True)
out["table_en"] = client.get("/table?lang=en").get_data(as_text=True)
out["table_hant"] = client.get("/table?lang=zh-Hant").get_data(as_text=True)
out["spec"] = client.get("/spec.json").get_json()
plan = plan_import(sys.argv[2], "parks", data, today="2026-12-07")
out["import"] = {"accepted": plan.rows_accepted, "read": plan.rows_read,
                 "problems": [str(p) for p in plan.problems]}
print(json.dumps(out, ensure_ascii=False))
"""


def _toy_spec(tmp_path: Path) -> Path:
    text = SPEC_FILE.read_text(encoding="utf-8")
    anchor = "[vocabularies.status.words]\n"
    assert anchor in text
    text = text.replace(anchor, anchor + NEW_WORD) + TOY_LAYER
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _toy_data(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    with (data / "toys.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["id", "name_zh", "name_en", "pairing_id", "lon", "lat", "source", "status", "workers"]
        )
        w.writerow(
            ["TOY-1", "蚌埠玩具一厂", "Toy Factory 1", "", 117.39, 32.92, "test", "paused", 12]
        )
    # an official's sheet of parks whose first park is now paused, in Chinese words
    with (data / "parks.csv").open(encoding="utf-8") as f:
        parks = list(csv.DictReader(f))
    parks[0]["status"] = "暂停"
    sheet = tmp_path / "parks.csv"
    with sheet.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(parks[0]))
        w.writeheader()
        w.writerows(parks)
    return data, sheet


def test_a_toy_layer_and_a_new_word_through_the_spec_alone(tmp_path):
    spec = _toy_spec(tmp_path)
    data, sheet = _toy_data(tmp_path)
    env = dict(os.environ, WANBEI_SPEC=str(spec))
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), str(sheet)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # the map: the layer's config, with its title and the new word in the page's language
    assert '"toys"' in out["map_js"] and "Toy workshops" in out["map_js"]
    assert "Construction paused" in out["map_js"]
    assert "玩具工坊" in out["map_zh"] and "暂停建设" in out["map_zh"]
    # the API: the layer's GeoJSON and the OGC API, filtered by the new status
    (feature,) = out["geojson"]["features"]
    assert feature["properties"]["status"] == "paused" and feature["properties"]["workers"] == 12
    assert [f["id"] for f in out["ogc"]["features"]] == ["TOY-1"]
    # the downloads
    assert "TOY-1" in out["csv"] and "paused" in out["csv"]
    # the tables: the layer and its word in English and Traditional Chinese
    assert "Toy workshops" in out["table_en"] and "Construction paused" in out["table_en"]
    assert "玩具工坊" in out["table_hant"] and "暫停建設" in out["table_hant"]
    # the spec the scripts read
    assert out["spec"]["vocabularies"]["status"]["words"]["paused"]["en"] == "Construction paused"
    # the importer accepts the new word by its Chinese alias, in the tables the spec allows
    assert out["import"]["problems"] == [] and out["import"]["accepted"] == out["import"]["read"]


def test_without_the_toy_spec_the_word_is_refused(tmp_path):
    """The same data is refused by the shipped spec: the word and the layer come from the spec."""
    data, _sheet = _toy_data(tmp_path)
    (data / "toys.csv").unlink()
    rows = (data / "parks.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    first = next(csv.reader([rows[1]]))
    first[header.index("status")] = "paused"
    rows[1] = ",".join(f'"{c}"' if "," in c else c for c in first)
    (data / "parks.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    from geo.dataset import load_dataset
    from geo.errors import DataError

    try:
        load_dataset(data)
    except DataError as err:
        assert "paused" in str(err) and "status" in str(err)
    else:
        raise AssertionError("the shipped spec accepted a word it does not have")
