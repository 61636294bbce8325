"""The one registry of map layers: the map, the legend and the downloads all read it.

A new layer is one :class:`LayerSpec` here (plus its builder in :mod:`geo.dataset`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Geometry = Literal["point", "line", "polygon", "mixed"]


@dataclass(frozen=True)
class Field:
    """A property shown in popups: its name, its labels, and how to show a missing value."""

    name: str
    label_zh: str
    label_en: str
    unknown_zh: str = ""  # shown when the value is missing; "" hides the row
    kind: Literal["text", "number", "source", "link"] = "text"


@dataclass(frozen=True)
class Variant:
    """A style that applies to the features whose ``prop`` equals ``value``."""

    prop: str
    value: str
    title_zh: str
    title_en: str
    style: dict


@dataclass(frozen=True)
class LayerSpec:
    """Everything the map, the legend and the downloads need to know about one layer."""

    id: str
    title_zh: str
    title_en: str
    geometry: Geometry
    style: dict
    popup: tuple[Field, ...]
    tooltip: str  # the property shown on hover
    directed: bool = False  # lines drawn with an arrow from helping to helped
    variants: tuple[Variant, ...] = ()
    show: bool = True
    pane: Literal["overlayPane", "basemap"] = "overlayPane"
    label: str = ""  # property shown as a permanent label (only on the basemap)
    description_zh: str = ""
    queryables: tuple[str, ...] = ()  # properties the OGC API and downloads filter on (equality)
    temporal: tuple[str, ...] = ()  # date/year properties for ``datetime``; the first given wins
    # date/year properties of the map's year slider: a feature shows from the earliest of them;
    # a layer without any is timeless (always shown), a feature with none is shown as undated
    timeline: tuple[str, ...] = ()


_SOURCE = Field("source", "来源", "Source", kind="source")
_NOTE = Field("note", "备注", "Note")
_CONFIDENCE = Field("confidence", "可信度", "Confidence")
_PRECISION = Field("precision", "位置精度", "Location precision")
_UPDATED = Field("updated", "更新日期", "Last updated")

VALUES_ZH: dict[str, dict[str, str]] = {
    "level": {
        "city": "市级结对",
        "county": "县(区)级结对",
        "prefecture": "地级市",
        "district": "市辖区",
        "county_city": "县级市",
        "province": "省级",
        "neighbour": "邻省",
    },
    "precision": {
        "exact": "精确",
        "approximate": "近似",
        "unit_seat": "位置不详,标于所在行政区驻地",
        "seat": "行政区驻地",
    },
    "confidence": {"confirmed": "已证实", "secondary": "转载来源", "unconfirmed": "未证实"},
    "status": {
        "planned": "规划中",
        "agreement_signed": "已签协议",
        "approved": "已批复",
        "launched": "已启动",
        "licensed": "已挂牌",
        "operating": "运营中",
        "unknown": "未知",
        "signed": "已签约",
        "landed": "已签约落地",
        "under_construction": "在建",
    },
    "type": {
        "college": "院校合作",
        "hospital": "医院合作",
        "cadre_exchange": "干部交流",
        "other": "其他",
    },
    "kind": {"member": "走廊成员", "link": "辐射链接"},
    "area_unit": {"km2": "平方公里", "mu": "亩", "ha": "公顷"},
}

REGISTRY: tuple[LayerSpec, ...] = (
    LayerSpec(
        id="boundaries",
        title_zh="行政区划(底图)",
        title_en="Boundaries (basemap)",
        geometry="polygon",
        style={
            "color": "#8c8c8c",
            "weight": 1,
            "fillColor": "#f6f3ea",
            "fillOpacity": 1,
            "opacity": 1,
        },
        variants=(
            Variant(
                "level",
                "neighbour",
                "邻省(陆地)",
                "Neighbouring province (land)",
                {"color": "#c4c1b8", "weight": 1, "fillColor": "#e6e3da"},
            ),
            Variant("level", "province", "省界", "Province", {"color": "#5f5f5f", "weight": 2}),
            Variant(
                "level", "prefecture", "地级市界", "Prefecture", {"color": "#9a9a9a", "weight": 1}
            ),
            Variant(
                "level",
                "county",
                "县(区)界",
                "County",
                {"color": "#b8b8b8", "weight": 0.8, "dashArray": "3 3", "fillOpacity": 0},
            ),
        ),
        popup=(
            Field("name_zh", "名称", "Name"),
            Field("adcode", "行政区划代码", "Adcode"),
            Field("level", "级别", "Level"),
            _SOURCE,
        ),
        tooltip="name_zh",
        pane="basemap",
        label="name_zh",
        description_zh="离线底图:沪苏浙皖的省、地级市界及相关县区界",
        queryables=("adcode", "level", "parent_adcode", "name_zh"),
    ),
    LayerSpec(
        id="places",
        title_zh="行政区驻地",
        title_en="Places",
        geometry="point",
        style={
            "radius": 4,
            "color": "#3b3b3b",
            "weight": 1,
            "fillColor": "#ffffff",
            "fillOpacity": 1,
        },
        popup=(
            Field("name_zh", "名称", "Name"),
            Field("name_en", "英文名", "English name"),
            Field("adcode", "行政区划代码", "Adcode"),
            Field("level", "级别", "Level"),
            _PRECISION,
            _NOTE,
            _SOURCE,
            _UPDATED,
        ),
        tooltip="name_zh",
        description_zh="结对城市、县区、G60成员及园区所在地的驻地",
        queryables=("adcode", "level", "province_adcode", "precision", "name_zh"),
    ),
    LayerSpec(
        id="pairings",
        title_zh="结对关系",
        title_en="Pairings",
        geometry="line",
        style={"color": "#c62828", "weight": 3, "opacity": 0.85},
        variants=(
            Variant(
                "level",
                "city",
                "市级结对(帮扶→受帮扶)",
                "City pair (helping → helped)",
                {"color": "#c62828", "weight": 3},
            ),
            Variant(
                "level",
                "county",
                "县(区)级结对",
                "County pair",
                {"color": "#ef8a62", "weight": 2, "dashArray": "6 4"},
            ),
        ),
        popup=(
            Field("helping_name_zh", "帮扶方", "Helping"),
            Field("helped_name_zh", "受帮扶方", "Helped"),
            Field("level", "层级", "Level"),
            Field("since", "起始年份", "Since", unknown_zh="未知"),
            Field("length_km", "直线距离(公里)", "Distance (km)", kind="number"),
            Field("parks_count", "共建园区(个)", "Parks", kind="number"),
            Field(
                "projects_count",
                "项目数(合计)",
                "Projects (total)",
                unknown_zh="未知",
                kind="number",
            ),
            Field(
                "investment_yi",
                "协议投资(亿元)",
                "Investment (100m yuan)",
                unknown_zh="未知",
                kind="number",
            ),
            _CONFIDENCE,
            _NOTE,
            _SOURCE,
            _UPDATED,
        ),
        tooltip="id",
        directed=True,
        description_zh="箭头由帮扶方指向受帮扶方",
        queryables=("level", "helping_adcode", "helped_adcode", "since", "confidence"),
        temporal=("since",),
        timeline=("since",),
    ),
    LayerSpec(
        id="parks",
        title_zh="共建园区",
        title_en="Co-built parks",
        geometry="point",
        style={
            "radius": 8,
            "color": "#1b5e20",
            "weight": 2,
            "fillColor": "#43a047",
            "fillOpacity": 0.85,
        },
        popup=(
            Field("name_zh", "园区", "Park"),
            Field("name_en", "英文名", "English name"),
            Field("pairing_name_zh", "结对", "Pair"),
            Field("host_name_zh", "所在地", "Host unit"),
            Field("site_note", "位置说明", "Site"),
            _PRECISION,
            Field("area_value", "面积(约)", "Area (approx.)", kind="number"),
            Field("area_unit", "面积单位", "Area unit"),
            Field("date", "日期", "Date"),
            Field("date_event", "事件", "Event"),
            Field("status", "状态", "Status"),
            Field("status_date", "状态日期", "Status date"),
            Field("operating_model", "运营模式", "Operating model"),
            Field("operator", "运营主体", "Operator"),
            _CONFIDENCE,
            _NOTE,
            _SOURCE,
            _UPDATED,
        ),
        tooltip="name_zh",
        description_zh="沪苏浙与皖北共建的产业合作园区",
        queryables=("pairing_id", "host_adcode", "status", "precision", "confidence"),
        temporal=("date",),
        timeline=("date", "status_date"),
    ),
    LayerSpec(
        id="projects",
        title_zh="合作项目",
        title_en="Projects",
        geometry="point",
        style={
            "radius": 6,
            "color": "#4a148c",
            "weight": 2,
            "fillColor": "#8e24aa",
            "fillOpacity": 0.85,
        },
        popup=(
            Field("name_zh", "项目", "Project"),
            Field("name_en", "英文名", "English name"),
            Field("pairing_name_zh", "结对", "Pair"),
            Field("host_name_zh", "所在地", "Host unit"),
            Field("sector", "行业", "Sector", unknown_zh="未知"),
            Field("status", "状态", "Status"),
            Field("year", "年份", "Year", unknown_zh="未知"),
            Field(
                "investment_yi",
                "投资额(亿元)",
                "Investment (100m yuan)",
                unknown_zh="未知",
                kind="number",
            ),
            _PRECISION,
            _NOTE,
            _SOURCE,
            _UPDATED,
        ),
        tooltip="name_zh",
        description_zh="资料点名的合作项目;仅有结对合计的投资额不拆分到单个项目",
        queryables=(
            "pairing_id",
            "park_id",
            "host_adcode",
            "sector",
            "status",
            "year",
            "precision",
        ),
        temporal=("year",),
        timeline=("year",),
    ),
    LayerSpec(
        id="partnerships",
        title_zh="院校合作与干部交流",
        title_en="Partnerships",
        geometry="line",
        style={"color": "#1565c0", "weight": 2, "dashArray": "2 6", "opacity": 0.9},
        popup=(
            Field("name_zh", "名称", "Name"),
            Field("type", "类型", "Type"),
            Field("helping_name", "帮扶方", "Helping"),
            Field("helped_name", "受帮扶方", "Helped"),
            Field("year", "年份", "Year"),
            Field("date", "开始日期", "Start date"),
            Field("people", "人数", "People", kind="number"),
            Field("length_km", "直线距离(公里)", "Distance (km)", kind="number"),
            _PRECISION,
            _NOTE,
            _SOURCE,
            _UPDATED,
        ),
        tooltip="name_zh",
        directed=True,
        description_zh="技师学院结对与干部跟班学习",
        queryables=("type", "pairing_id", "helping_adcode", "helped_adcode", "year"),
        temporal=("date", "year"),
        timeline=("date", "year"),
    ),
    LayerSpec(
        id="corridor",
        title_zh="G60科创走廊",
        title_en="G60 corridor",
        geometry="mixed",
        style={
            "radius": 7,
            "color": "#b8860b",
            "weight": 2,
            "fillColor": "#ffd54f",
            "fillOpacity": 0.9,
        },
        variants=(
            Variant("kind", "member", "G60走廊成员", "G60 member", {}),
            Variant(
                "kind",
                "link",
                "辐射链接六安(由最近成员计算)",
                "Link to Lu'an (from nearest member)",
                {"color": "#b8860b", "weight": 3, "dashArray": "8 6"},
            ),
        ),
        popup=(
            Field("name_zh", "名称", "Name"),
            Field("kind", "类型", "Kind"),
            Field("since", "年份", "Since"),
            Field("length_km", "直线距离(公里)", "Distance (km)", kind="number"),
            _CONFIDENCE,
            _NOTE,
            _SOURCE,
            _UPDATED,
        ),
        tooltip="name_zh",
        directed=True,
        description_zh="长三角G60科创走廊九城及其向六安的辐射链接",
        queryables=("kind", "adcode", "since", "confidence"),
        temporal=("since",),
        timeline=("since",),
    ),
)

LAYERS: dict[str, LayerSpec] = {spec.id: spec for spec in REGISTRY}


def get(layer_id: str) -> LayerSpec:
    """Return the layer ``layer_id``; raise KeyError listing the valid ids."""
    try:
        return LAYERS[layer_id]
    except KeyError:
        raise KeyError(f"Unknown layer {layer_id!r}; the layers are: {', '.join(LAYERS)}") from None
