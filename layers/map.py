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

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from layers.registry import REGISTRY, VALUES_ZH, LayerSpec

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


def layer_config(spec: LayerSpec, url: str) -> dict:
    """The JSON config ``wanbei.loadLayer`` reads for one layer."""
    cfg = asdict(spec)
    cfg["url"] = url
    used = {f.name for f in spec.popup} | {v.prop for v in spec.variants}
    cfg["values"] = {k: v for k, v in VALUES_ZH.items() if k in used}
    return cfg


def legend_config(registry: tuple[LayerSpec, ...] = REGISTRY) -> dict:
    """The legend rows: title, geometry and style of each layer and variant."""
    items = []
    for spec in registry:
        if spec.variants and spec.geometry != "polygon":
            for v in spec.variants:
                geometry = _variant_geometry(spec, v.value)
                items.append(
                    {
                        "layer": spec.id,
                        "title": v.title_zh,
                        "geometry": geometry,
                        "style": {**spec.style, **v.style},
                    }
                )
        else:
            items.append(
                {
                    "layer": spec.id,
                    "title": spec.title_zh,
                    "geometry": spec.geometry,
                    "style": spec.style,
                }
            )
    return {"title": "图例", "items": items}


def _variant_geometry(spec: LayerSpec, value: str) -> str:
    if spec.geometry != "mixed":
        return spec.geometry
    return "line" if value == "link" else "point"


def build_map(
    layers: dict[str, gpd.GeoDataFrame],
    assets: Assets,
    registry: tuple[LayerSpec, ...] = REGISTRY,
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
    m.fit_bounds(network_bounds(layers))
    Basemap().add_to(m)
    for spec in registry:
        group = folium.FeatureGroup(name=spec.title_zh, show=spec.show, overlay=True, control=True)
        AsyncGeoJson(layer_config(spec, assets.layer_url(spec.id))).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    Legend(legend_config(registry)).add_to(m)
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
