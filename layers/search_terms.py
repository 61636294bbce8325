"""What a search matches besides a feature's own name: the places it is in, and the layers.

A person looking for what happens in 蚌埠 types 蚌埠 (or Bengbu), not the name of each park. So
every feature of a search layer carries a ``where`` text: the prefecture-level city and the
county it is in (a park or project by its host, a pairing or partnership by both ends, a place
by itself and its city), each as its Chinese name and its English name, normalised and joined
by ``|`` (``|蚌埠市|bengbu|固镇县|guzhencounty``). A query matches a feature's ``where`` when it
starts one of these terms (the page's and the server's rule: score 4, after every match of the
name). The layers themselves are search entries too (:func:`layer_entries`): G60, 走廊,
corridor or 园区 find their layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from geo.dataset import Dataset
from layers.registry import REGISTRY, LayerSpec

#: The columns that hold the adcodes of the places a feature of a layer is in.
PLACE_COLUMNS = {
    "parks": ("host_adcode",),
    "projects": ("host_adcode",),
    "pairings": ("helping_adcode", "helped_adcode"),
    "partnerships": ("helping_adcode", "helped_adcode"),
    "places": ("adcode",),
}

#: The levels of place a feature is found by (a province would find nearly everything).
_LEVELS = ("prefecture", "county")


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


class _Places:
    """The names and parents of the places of a dataset, by adcode."""

    def __init__(self, dataset: Dataset) -> None:
        self.names: dict[str, tuple[str, str]] = {}
        self.level: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        for layer_id in ("places", "boundaries"):
            frame = dataset.layers.get(layer_id)
            if frame is None or "adcode" not in frame:
                continue
            for r in frame.itertuples():
                code = _text(r.adcode)
                if not code:
                    continue
                zh, en = _text(getattr(r, "name_zh", "")), _text(getattr(r, "name_en", ""))
                if zh and code not in self.names:
                    self.names[code] = (zh, en)
                if layer_id == "boundaries":
                    self.level[code] = _text(r.level)
                    self.parent[code] = _text(getattr(r, "parent_adcode", ""))

    def chain(self, code: str) -> list[str]:
        """``code`` and the prefecture it belongs to (six-digit adcodes), without provinces."""
        out = []
        seen = set()
        while code and code not in seen:
            seen.add(code)
            if code.endswith("0000"):  # a province
                break
            out.append(code)
            parent = self.parent.get(code) or (code[:4] + "00" if not code.endswith("00") else "")
            code = parent
        return [c for c in out if self.level.get(c, "county") in _LEVELS]


def where_texts(
    dataset: Dataset, layer_id: str, frame: pd.DataFrame, normalize: Callable[[str], str]
) -> list[str]:
    """The ``where`` text of each feature of ``frame`` (a search layer), in order.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
        Its places and boundaries give the names and the parent of each adcode.
    layer_id : str
        A layer of :data:`PLACE_COLUMNS` (another layer's features get ``""``).
    frame : pandas.DataFrame
        The layer's features (:func:`layers.stats.search_frame`).
    normalize : callable
        How the search normalises a text (:func:`layers.stats.normalize`).

    Returns
    -------
    list of str
        ``"|term|term…"`` per feature, ``""`` for a feature in no known place.
    """
    columns = [c for c in PLACE_COLUMNS.get(layer_id, ()) if c in frame]
    if not columns:
        return [""] * len(frame)
    places = _Places(dataset)
    cache: dict[tuple[str, ...], str] = {}
    out = []
    for codes in zip(*(frame[c] for c in columns), strict=True):
        key = tuple(_text(c) for c in codes)
        if key not in cache:
            terms: list[str] = []
            for code in key:
                for link in places.chain(code):
                    for name in places.names.get(link, ()):
                        term = normalize(name)
                        if term and term not in terms:
                            terms.append(term)
            cache[key] = "".join(f"|{t}" for t in terms)
        out.append(cache[key])
    return out


def layer_entries(
    pinyin_many: Callable[[list[str]], list[tuple[str, str]]],
    normalize: Callable[[str], str],
    registry: Iterable[LayerSpec] = REGISTRY,
) -> list[dict[str, Any]]:
    """One search entry per layer: its titles, and its variants' titles as ``where`` terms.

    Parameters
    ----------
    pinyin_many, normalize : callable
        The search's pinyin and normalisation (:mod:`layers.stats`).
    registry : iterable of LayerSpec

    Returns
    -------
    list of dict
        Entries shaped as the features' (``layer``, ``id`` None, ``kind`` "layer",
        ``name_zh``, ``name_en``, ``context_zh``, ``context_en``, ``pinyin``, ``initials``,
        ``en``, ``where``).
    """
    specs = [s for s in registry if s.id != "boundaries"]
    sounds = pinyin_many([s.title_zh for s in specs])
    out = []
    for spec, (full, initials) in zip(specs, sounds, strict=True):
        terms = []
        for v in spec.variants:
            for name in (v.title_zh, v.title_en):
                term = normalize(name or "")
                if term and term not in terms:
                    terms.append(term)
        out.append(
            {
                "layer": spec.id,
                "id": None,
                "kind": "layer",
                "name_zh": spec.title_zh,
                "name_en": spec.title_en,
                "context_zh": "图层",
                "context_en": "Layer",
                "pinyin": full,
                "initials": initials,
                "en": normalize(spec.title_en or ""),
                "where": "".join(f"|{t}" for t in terms),
            }
        )
    return out


__all__ = ["PLACE_COLUMNS", "layer_entries", "where_texts"]
