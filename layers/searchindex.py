"""The search index of the officials' map: every feature's names in Chinese and English, their
pinyin and initials, and what the result says of it (its pair, level or kind)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from geo.dataset import Dataset
from geo.spec import SPEC
from layers.pairs import json_value
from layers.romanize import raw_pinyin
from layers.search_terms import layer_entries, where_texts

#: The layers the search index covers, in the order results are ranked (``search`` in the spec).
SEARCH_LAYERS = SPEC.ids_with("search")


# --- search --------------------------------------------------------------------------------------


def pinyin(text: str) -> tuple[str, str]:
    """The toneless pinyin of ``text`` and its initials, both lower case with no separators.

    Parameters
    ----------
    text : str
        Any text; characters that are not Chinese are kept (lower-cased) in the full form and
        dropped from the initials.

    Returns
    -------
    tuple of str
        ``(full, initials)``, e.g. ``("bengbushi", "bbs")`` for 蚌埠市.
    """
    return pinyin_many([text])[0]


def pinyin_many(texts: Sequence[str]) -> list[tuple[str, str]]:
    """:func:`pinyin` of each of ``texts``, worked out at once in a child process
    (:func:`layers.romanize.raw_pinyin`: pypinyin's dictionaries stay out of the server).

    Parameters
    ----------
    texts : sequence of str

    Returns
    -------
    list of tuple of str
        ``(full, initials)`` of each text, in order.
    """
    return [(normalize(full), initials.lower()) for full, initials in raw_pinyin(texts)]


_NOT_WORD = re.compile(r"[\s'’‘·•\-–—_()()/,,.。:;;]+")


def normalize(text: str) -> str:
    """Lower case without spaces, apostrophes, dashes, dots and brackets: how the page matches.

    The page applies the same rule to what a person types (see ``wanbei.search`` in
    ``officials.js``), so "Lu'an", "lu an" and "luan" all match 六安.
    """
    return _NOT_WORD.sub("", text.lower())


def search_index(dataset: Dataset, remote: Iterable[str] = ()) -> dict[str, Any]:
    """The entries the page searches: names in Chinese and English, pinyin and initials.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    remote : iterable of str
        Layers left out of the index (big layers, searched on the server instead: see
        :mod:`layers.search`).

    Returns
    -------
    dict
        ``{"version", "layers": [...], "entries": [...], "remote": [...]}``; ``layers`` has one
        entry per layer (:func:`layers.search_terms.layer_entries`); each entry has ``layer``,
        ``id``, ``name_zh``, ``name_en`` (or None), ``context_zh`` (the pair or the place a
        feature belongs to), ``pinyin``, ``initials``, ``en`` (``name_en`` normalised) and
        ``where`` (the city and county it is in: :mod:`layers.search_terms`), in the order of
        :data:`SEARCH_LAYERS`; ``remote`` lists the layers of :data:`SEARCH_LAYERS` left out.
    """
    remote = [layer_id for layer_id in SEARCH_LAYERS if layer_id in set(remote)]
    local = [layer_id for layer_id in SEARCH_LAYERS if layer_id not in remote]
    return {
        "version": dataset.version,
        "layers": layer_entries(pinyin_many, normalize),
        "entries": search_entries(dataset, local),
        "remote": remote,
    }


def search_entries(dataset: Dataset, layer_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The search entries of the features of ``layer_ids`` (see :func:`search_index`).

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    layer_ids : iterable of str
        Layers of :data:`SEARCH_LAYERS`, in the order wanted.

    Returns
    -------
    list of dict
    """
    frames = {layer_id: search_frame(dataset, layer_id) for layer_id in layer_ids}
    sounds = iter(search_pinyin([n for f in frames.values() for n in f["name_zh"]]))  # at once
    entries = []
    for layer_id, frame in frames.items():
        pinyins = [next(sounds) for _ in range(len(frame))]
        texts = search_texts(frame["name_zh"], frame.get("name_en"), pinyins)
        wheres = where_texts(dataset, layer_id, frame, normalize)
        for r, (_name, full, initials, en), where in zip(
            frame.itertuples(), texts, wheres, strict=True
        ):
            entries.append(
                {
                    **search_entry(layer_id, r),
                    "pinyin": full,
                    "initials": initials,
                    "en": en,
                    "where": where,
                }
            )
    return entries


def search_frame(dataset: Dataset, layer_id: str) -> pd.DataFrame:
    """The features of a search layer, each with a ``name_zh`` (and ``name_en``) to search.

    Parameters
    ----------
    dataset : geo.dataset.Dataset
    layer_id : str
        A layer of :data:`SEARCH_LAYERS`.

    Returns
    -------
    pandas.DataFrame
        The layer itself (not a copy), or for the pairings a copy named by both places
        (``蚌埠市—宁波市``).
    """
    frame = dataset.layers[layer_id]
    if layer_id == "pairings":
        frame = frame.assign(
            name_zh=frame["helping_name_zh"] + "—" + frame["helped_name_zh"],
            name_en=frame["helping_name_en"] + " – " + frame["helped_name_en"],
        )
    return frame


def search_entry(layer_id: str, r: Any) -> dict[str, Any]:
    """What a search shows of one feature: ``layer``, ``id``, ``name_zh``, ``name_en``,
    ``context_zh`` and ``context_en`` (see :func:`search_index`).

    Parameters
    ----------
    layer_id : str
        A layer of :data:`SEARCH_LAYERS`.
    r : object
        One row of :func:`search_frame` of the layer, its cells as attributes (a row of
        ``itertuples``).

    Returns
    -------
    dict
    """
    return {
        "layer": layer_id,
        "id": r.id,
        "name_zh": json_value(r.name_zh) or "",
        "name_en": json_value(getattr(r, "name_en", None)),
        "context_zh": _context(layer_id, r),
        "context_en": _context(layer_id, r, english=True),
    }


def search_pinyin(names_zh: Iterable[Any]) -> list[tuple[str, str]]:
    """The :func:`pinyin` of each name (cells of :func:`search_frame`; missing ones give
    ``("", "")``), all worked out at once: one child process for a whole layer.

    Parameters
    ----------
    names_zh : iterable

    Returns
    -------
    list of tuple of str
    """
    return pinyin_many([json_value(v) or "" for v in names_zh])


def search_texts(
    names_zh: Iterable[Any],
    names_en: Iterable[Any] | None = None,
    pinyins: Sequence[tuple[str, str]] | None = None,
) -> list[tuple]:
    """The texts a search matches of some features, their names given (a batch).

    Parameters
    ----------
    names_zh, names_en : iterable
        The features' cells (of :func:`search_frame`); missing values are NaN or None;
        ``names_en`` None when the layer has no English names.
    pinyins : sequence of (str, str), optional
        The :func:`pinyin` of each ``name_zh`` if already known (:func:`search_pinyin`: a
        whole layer's at once); else worked out here.

    Returns
    -------
    list of tuple of str
        For each feature, in order: ``(name_zh, pinyin, initials, en)``: ``name_zh`` as in
        :func:`search_entry` (``""`` when missing), its pinyin and initials (:func:`pinyin`), and
        ``name_en`` normalised (:func:`normalize`; ``""`` when missing).
    """
    zh = [json_value(v) or "" for v in names_zh]
    en = [None] * len(zh) if names_en is None else [json_value(v) for v in names_en]
    sounds = pinyin_many(zh) if pinyins is None else pinyins
    return [
        (name, *sound, normalize(name_en) if name_en else "")
        for name, name_en, sound in zip(zh, en, sounds, strict=True)
    ]


#: What a search result says of the feature it names: the property (and its vocabulary).
_CONTEXT = {
    "parks": ("pairing_name", None),
    "projects": ("pairing_name", None),
    "pairings": ("level", "pairing_level"),
    "places": ("level", "place_level"),
    "partnerships": ("type", "partnership_type"),
}


def _context(layer_id: str, r: Any, english: bool = False) -> str | None:
    prop, vocabulary = _CONTEXT.get(layer_id, (None, None))
    if prop is None:
        return None
    if vocabulary is None:
        return json_value(getattr(r, f"{prop}_en" if english else f"{prop}_zh"))
    return SPEC.word(vocabulary, getattr(r, prop), "en" if english else "zh")
