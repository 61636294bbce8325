"""The map's layers and their vocabularies, as :mod:`geo.spec` reads them from ``geo/spec.toml``.

The map, the legend, the tables and the downloads all read this. A new layer or a new word is an
edit of ``geo/spec.toml`` (plus, for a layer, its builder in :mod:`geo.dataset`).
"""

from __future__ import annotations

from geo.spec import SPEC, Field, Geometry, LayerSpec, Variant

REGISTRY: tuple[LayerSpec, ...] = SPEC.layers

LAYERS: dict[str, LayerSpec] = {spec.id: spec for spec in REGISTRY}


def get(layer_id: str) -> LayerSpec:
    """Return the layer ``layer_id``; raise KeyError listing the valid ids."""
    return SPEC.layer(layer_id)


def values(spec: LayerSpec, lang: str) -> dict[str, dict[str, str]]:
    """``{property: {code: word}}`` of the coded fields of ``spec`` in Chinese (``lang`` "zh")
    or English ("en"): the words its popups, tables and downloads show."""
    return SPEC.values(spec, "en" if lang == "en" else "zh")


__all__ = [
    "LAYERS",
    "REGISTRY",
    "SPEC",
    "Field",
    "Geometry",
    "LayerSpec",
    "Variant",
    "get",
    "values",
]
