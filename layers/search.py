"""Search on the server: the same matching as the page's search, for layers too big to ship.

The page searches the index of ``/api/search.json`` (:func:`layers.stats.search_index`) in the
browser. A layer the map draws lean (:func:`layers.lean.lean_layers`: 100,000 project sites)
is left out of that index; the page asks the server instead, which matches a query here with the
rule of ``search`` in ``officials.js``: the Chinese name starts with the query (score 0) or holds
it (1); for a query of Latin letters and digits, the pinyin or the normalised English name
starts with it (2), or the initials do (2, two letters or more), or the pinyin or English name
holds it (3). Ties go to the shorter Chinese name, then to the order of the layer.

Each searched text of a layer is kept as one string (the features' texts joined by newlines),
so a query is one scan in C per text plus a few vectorised steps, not a Python loop over the
features.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.dataset import Dataset
from layers.i18n import DEFAULT_LANG, Lang
from layers.stats import SEARCH_LAYERS, localize, normalize, search_entries

#: The most results one query returns.
MAX_LIMIT = 100
#: The longest query accepted (characters).
MAX_QUERY = 100
_ASCII = re.compile(r"[a-z0-9]+")
_NO_SCORE = 9


class _Text:
    """One searched text of every feature of a layer, joined, with each feature's offset."""

    def __init__(self, texts: Sequence[str]) -> None:
        clean = [t.replace("\n", " ") for t in texts]
        self.joined = "\n".join(clean)
        lengths = np.fromiter((len(t) + 1 for t in clean), dtype=np.int64, count=len(clean))
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)

    def find(self, needle: str) -> tuple[np.ndarray, np.ndarray]:
        """The features whose text holds ``needle`` and where (one row per occurrence)."""
        if not needle or "\n" in needle or not len(self.starts):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        offsets = np.fromiter(
            (m.start() for m in re.finditer(re.escape(needle), self.joined)), dtype=np.int64
        )
        rows = np.searchsorted(self.starts, offsets, side="right") - 1
        return rows, offsets - self.starts[rows]


@dataclass
class LayerSearch:
    """What the server searches in one layer: the texts, and what a result shows."""

    layer: str
    ids: list[Any]
    name_zh: list[str]
    name_en: list[str | None]
    context_zh: list[str | None]
    zh: _Text
    pinyin: _Text
    initials: _Text
    en: _Text
    lengths: np.ndarray

    @classmethod
    def from_entries(cls, layer: str, entries: list[dict[str, Any]]) -> LayerSearch:
        """Build it from the entries of :func:`layers.stats.search_entries` of one layer."""
        return cls(
            layer=layer,
            ids=[e["id"] for e in entries],
            name_zh=[e["name_zh"] for e in entries],
            name_en=[e["name_en"] for e in entries],
            context_zh=[e["context_zh"] for e in entries],
            zh=_Text([e["name_zh"] for e in entries]),
            pinyin=_Text([e["pinyin"] for e in entries]),
            initials=_Text([e["initials"] for e in entries]),
            en=_Text([e["en"] for e in entries]),
            lengths=np.fromiter((len(e["name_zh"]) for e in entries), dtype=np.int64),
        )

    def scores(self, raw: str, query: str) -> np.ndarray:
        """The score of every feature (:data:`_NO_SCORE` where it does not match)."""
        score = np.full(len(self.ids), _NO_SCORE, dtype=np.int8)
        rows, at = self.zh.find(raw)
        np.minimum.at(score, rows, np.where(at == 0, 0, 1).astype(np.int8))
        if _ASCII.fullmatch(query):
            for text in (self.pinyin, self.en):
                rows, at = text.find(query)
                np.minimum.at(score, rows, np.where(at == 0, 2, 3).astype(np.int8))
            if len(query) >= 2:
                rows, at = self.initials.find(query)
                rows = rows[at == 0]
                np.minimum.at(score, rows, np.full(len(rows), 2, dtype=np.int8))
        return score


@dataclass
class ServerSearch:
    """The server's search of one data version (built once, by :func:`prepare_search`)."""

    version: str
    layers: dict[str, LayerSearch]

    def search(
        self,
        query: str,
        layers: Iterable[str] | None = None,
        limit: int = 12,
        lang: Lang = DEFAULT_LANG,
    ) -> dict:
        """The best matches of ``query`` in ``layers`` (every layer searched by default).

        Parameters
        ----------
        query : str
            What a person typed (Chinese, English, pinyin or initials).
        layers : iterable of str, optional
            Layer ids among :attr:`layers`.
        limit : int
            At most this many results (1 to :data:`MAX_LIMIT`).
        lang : {"zh-Hans", "en", "zh-Hant"}
            The language of the results' texts (:func:`layers.stats.localize`); the matching is
            the same in every language. In another language than zh-Hans an entry keeps its
            Simplified name as ``hans``, as in the localized index.

        Returns
        -------
        dict
            ``{"query", "matched", "entries"}``: ``matched`` counts every match, ``entries``
            holds the best ``limit`` of them, best first, each with ``layer``, ``id``,
            ``name_zh``, ``name_en``, ``context_zh`` and ``score`` (0 best).

        Raises
        ------
        ValueError
            For an unknown layer or a limit out of range; the message names the valid values.
        """
        wanted = list(self.layers) if layers is None else list(layers)
        unknown = [layer for layer in wanted if layer not in self.layers]
        if unknown:
            raise ValueError(
                f"Unknown layer {unknown[0]!r}; the layers searched are: {', '.join(self.layers)}"
            )
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"Expected a limit from 1 to {MAX_LIMIT}, instead got: {limit}")
        raw = str(query).strip()
        normal = normalize(raw)
        found: list[tuple[int, int, int, int, str]] = []  # score, length, layer order, row, id
        matched = 0
        if normal:
            for layer_id in wanted:
                index = self.layers[layer_id]
                score = index.scores(raw, normal)
                rows = np.flatnonzero(score < _NO_SCORE)
                matched += len(rows)
                best = rows[np.lexsort((rows, index.lengths[rows], score[rows]))][:limit]
                order = SEARCH_LAYERS.index(layer_id)
                found += [
                    (int(score[r]), int(index.lengths[r]), order, int(r), layer_id) for r in best
                ]
        found.sort()
        entries = []
        for score, _length, _order, row, layer_id in found[:limit]:
            index = self.layers[layer_id]
            entries.append(
                {
                    "layer": layer_id,
                    "id": index.ids[row],
                    "name_zh": index.name_zh[row],
                    "name_en": index.name_en[row],
                    "context_zh": index.context_zh[row],
                    "score": score,
                }
            )
        if lang != DEFAULT_LANG:
            entries = [{**localize(e, lang), "hans": e["name_zh"]} for e in entries]
        return {"query": raw, "matched": matched, "entries": entries}


def prepare_search(dataset: Dataset, layers: Iterable[str] = SEARCH_LAYERS) -> ServerSearch:
    """Build the server's search of ``dataset`` (once per data version).

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    layers : iterable of str
        Layers of :data:`layers.stats.SEARCH_LAYERS` (all of them by default; the page asks
        only for those its index leaves out).

    Returns
    -------
    ServerSearch
    """
    indexes = {}
    for layer_id in layers:
        if layer_id not in SEARCH_LAYERS:
            raise ValueError(
                f"Unknown search layer {layer_id!r}; the layers are: {', '.join(SEARCH_LAYERS)}"
            )
        indexes[layer_id] = LayerSearch.from_entries(layer_id, search_entries(dataset, [layer_id]))
    return ServerSearch(version=dataset.version, layers=indexes)


__all__ = ["MAX_LIMIT", "MAX_QUERY", "LayerSearch", "ServerSearch", "prepare_search"]
