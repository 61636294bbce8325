"""Search on the server: the same matching as the page's search, for layers too big to ship.

The page searches the index of ``/api/search.json`` (:func:`layers.searchindex.search_index`) in the
browser. A layer the map draws lean (:func:`layers.lean.lean_layers`: 100,000 project sites)
is left out of that index; the page asks the server instead, which matches a query here with the
rule of ``search.js``: the Chinese name starts with the query (score 0) or holds it (1); for a
query of Latin letters and digits, the pinyin or the normalised English name starts with it (2),
or the initials do (2, two letters or more), or the pinyin or English name holds it (3); else
the normalised query starts a term of the city or county the feature is in (4, its ``where``:
:mod:`layers.search_terms`). Ties go to the shorter Chinese name, then to the order of the
layer.

Each searched text of a layer is kept as one string (the features' texts joined by newlines)
with an array of where each feature's text starts, so a query is one scan in C per text plus a
few vectorised steps, not a Python loop over the features. Nothing else is kept per feature: the
entries of the results (a hundred at most) are read from the layer's own columns, shared with the
dataset. At 100,000 sites the search holds about 8 MB (55 MB when it kept lists of entries'
values), and building it adds 16 MB at its peak, not 56 MB: the texts are made 2,000 features at
a time, with no dict per feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo.dataset import Dataset
from layers.i18n import DEFAULT_LANG, Lang
from layers.search_terms import where_texts
from layers.searchindex import (
    SEARCH_LAYERS,
    normalize,
    search_entry,
    search_frame,
    search_pinyin,
    search_texts,
)
from layers.stats import localize

#: The most results one query returns.
MAX_LIMIT = 100
#: The longest query accepted (characters).
MAX_QUERY = 100
_ASCII = re.compile(r"[a-z0-9]+")
_NO_SCORE = 9


class _Text:
    """One searched text of every feature of a layer, joined by newlines, and where each
    feature's text starts in it (one more offset at the end: the length of the whole plus one).
    """

    def __init__(self, joined: str, starts: np.ndarray) -> None:
        self.joined = joined
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def find(self, needle: str) -> tuple[np.ndarray, np.ndarray]:
        """The features whose text holds ``needle`` and where (one row per occurrence)."""
        if not needle or "\n" in needle or not len(self):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        offsets = np.fromiter(  # of the dtype of starts: searchsorted then casts neither
            (m.start() for m in re.finditer(re.escape(needle), self.joined)), self.starts.dtype
        )
        rows = np.searchsorted(self.starts, offsets, side="right") - 1
        return rows, offsets - self.starts[rows]

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        """The length of the text of each of ``rows``."""
        return (self.starts[rows + 1] - self.starts[rows] - 1).astype(np.int64)


class _Joiner:
    """Joins texts given a few at a time into a :class:`_Text` (no list of every text)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.counts: list[np.ndarray] = []

    def add(self, texts: Sequence[str]) -> None:
        clean = [t.replace("\n", " ") for t in texts]
        self.parts.append("\n".join(clean))
        self.counts.append(np.fromiter(map(len, clean), dtype=np.int64, count=len(clean)))

    def text(self) -> _Text:
        counts = np.concatenate(self.counts) if self.counts else np.empty(0, dtype=np.int64)
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts + 1, out=starts[1:])
        if starts[-1] < np.iinfo(np.int32).max:
            starts = starts.astype(np.int32)
        joined = "\n".join(self.parts)
        self.parts.clear()
        return _Text(joined, starts)


#: Features whose texts are made at a time while a layer's search is built.
CHUNK = 2000


class _Row:
    """One feature of a layer as :func:`layers.searchindex.search_entry` reads it (cells as
    attributes), read from the layer's own columns."""

    __slots__ = ("_columns", "_row")

    def __init__(self, columns: dict[str, Any], row: int) -> None:
        self._columns = columns
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._columns[name][self._row]
        except KeyError:
            raise AttributeError(name) from None
        return value.item() if isinstance(value, np.generic) else value  # as itertuples


@dataclass
class LayerSearch:
    """What the server searches in one layer: the texts, and the layer's columns, from which a
    result's entry is read."""

    layer: str
    #: The columns of :func:`layers.searchindex.search_frame` (arrays shared with the dataset).
    columns: dict[str, Any]
    zh: _Text
    pinyin: _Text
    initials: _Text
    en: _Text
    #: ``|term|term…`` of the places each feature is in (empty when not given).
    where: _Text | None = None

    @classmethod
    def build(
        cls, layer: str, frame: pd.DataFrame, where: Sequence[str] | None = None
    ) -> LayerSearch:
        """Build it from :func:`layers.searchindex.search_frame` of ``layer``.

        The texts are made :data:`CHUNK` features at a time, straight from the columns: no
        entry per feature is built and the names are the frame's own strings.

        Parameters
        ----------
        layer : str
            A layer of :data:`layers.searchindex.SEARCH_LAYERS`.
        frame : pandas.DataFrame
            Its :func:`layers.searchindex.search_frame`; kept (its columns) for the results.
        where : sequence of str, optional
            The ``where`` text of each feature (:func:`layers.search_terms.where_texts`).

        Returns
        -------
        LayerSearch
        """
        columns = {name: frame[name].array for name in frame.columns}
        names_zh = columns["name_zh"]
        names_en = columns.get("name_en")
        joiners = [_Joiner() for _ in range(4)]
        sounds = search_pinyin(names_zh)  # one child process for the whole layer
        for start in range(0, len(frame), CHUNK):
            stop = start + CHUNK
            en = None if names_en is None else names_en[start:stop]
            texts = search_texts(names_zh[start:stop], en, sounds[start:stop])
            for k, joiner in enumerate(joiners):
                joiner.add([t[k] for t in texts])
            del texts
        zh_text, pinyin, initials, en_text = (j.text() for j in joiners)
        where_text = None
        if where is not None:
            joiner = _Joiner()
            for start in range(0, len(where), CHUNK):
                joiner.add(where[start : start + CHUNK])
            where_text = joiner.text()
        return cls(layer, columns, zh_text, pinyin, initials, en_text, where_text)

    def __len__(self) -> int:
        return len(self.zh)

    def scores(self, raw: str, query: str) -> np.ndarray:
        """The score of every feature (:data:`_NO_SCORE` where it does not match)."""
        found: list[tuple[int, np.ndarray]] = []  # (score, rows), any order
        rows, at = self.zh.find(raw)
        found += [(0, rows[at == 0]), (1, rows[at != 0])]
        if _ASCII.fullmatch(query):
            for text in (self.pinyin, self.en):
                rows, at = text.find(query)
                found += [(2, rows[at == 0]), (3, rows[at != 0])]
            if len(query) >= 2:
                rows, at = self.initials.find(query)
                found.append((2, rows[at == 0]))
        if self.where is not None:
            rows, _at = self.where.find("|" + query)
            found.append((4, rows))
        score = np.full(len(self), _NO_SCORE, dtype=np.int8)
        for value, rows in sorted(found, key=lambda f: -f[0]):  # the best written last
            score[rows] = value
        return score

    def entry(self, row: int) -> dict[str, Any]:
        """What a result shows of feature ``row``: ``layer``, ``id``, ``name_zh``, ``name_en``
        and ``context_zh``."""
        entry = search_entry(self.layer, _Row(self.columns, row))
        return {key: entry[key] for key in ("layer", "id", "name_zh", "name_en", "context_zh")}


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
                lengths = index.zh.lengths(rows)
                best = np.lexsort((rows, lengths, score[rows]))[:limit]
                order = SEARCH_LAYERS.index(layer_id)
                found += [
                    (int(score[rows[k]]), int(lengths[k]), order, int(rows[k]), layer_id)
                    for k in best
                ]
        found.sort()
        entries = [
            {**self.layers[layer_id].entry(row), "score": score}
            for score, _length, _order, row, layer_id in found[:limit]
        ]
        if lang != DEFAULT_LANG:
            entries = [{**localize(e, lang), "hans": e["name_zh"]} for e in entries]
        return {"query": raw, "matched": matched, "entries": entries}


def prepare_search(dataset: Dataset, layers: Iterable[str] = SEARCH_LAYERS) -> ServerSearch:
    """Build the server's search of ``dataset`` (once per data version).

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    layers : iterable of str
        Layers of :data:`layers.searchindex.SEARCH_LAYERS` (all of them by default; the page asks
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
        frame = search_frame(dataset, layer_id)
        where = where_texts(dataset, layer_id, frame, normalize)
        indexes[layer_id] = LayerSearch.build(layer_id, frame, where)
    return ServerSearch(version=dataset.version, layers=indexes)


__all__ = ["MAX_LIMIT", "MAX_QUERY", "LayerSearch", "ServerSearch", "prepare_search"]
