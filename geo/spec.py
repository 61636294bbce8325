"""The one spec of the map's layers and vocabularies, read from ``geo/spec.toml`` and checked once.

Everything the code knows about a layer (its id, titles, geometry, style, popup fields, table
columns, search/filter/cluster flags, whether it can be imported) and every vocabulary (status,
precision, confidence, level, kind, sector…: each code with its Chinese and English words) is in
``spec.toml``. ``geo/`` (the schema's allowed values, the layers' ids), ``layers/`` (the map,
legend, popups, tables, search, downloads) and ``webapp/`` (the CLI, the page's config,
``/spec.json`` for the scripts) all read it from here, so a new layer or a new word is one edit.

The environment variable ``WANBEI_SPEC`` names another spec file (tests use it to add a layer or a
word through the spec alone).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Geometry = Literal["point", "line", "polygon", "mixed"]
FieldKind = Literal["text", "number", "money", "source", "link"]
SPEC_FILE = Path(__file__).with_name("spec.toml")

_GEOMETRIES = ("point", "line", "polygon", "mixed")
_KINDS = ("text", "number", "money", "source", "link")
_PANES = ("overlayPane", "basemap")


class SpecError(ValueError):
    """The spec file is not valid: every problem is listed."""

    def __init__(self, problems: list[str], path: str | Path) -> None:
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Word:
    """One code of a vocabulary and its words."""

    code: str
    zh: str
    en: str
    tables: tuple[str, ...] = ()  # the tables whose column allows it; () = every table
    aliases: tuple[str, ...] = ()  # other words an imported sheet may write for it


@dataclass(frozen=True)
class Vocabulary:
    """The codes of one coded (or, if ``open``, free-text) property and their words."""

    name: str
    meaning: str
    words: dict[str, Word]
    open: bool = False

    def codes(self, table: str | None = None) -> tuple[str, ...]:
        """The codes, or those a column of ``table`` allows."""
        return tuple(
            w.code
            for w in self.words.values()
            if table is None or not w.tables or table in w.tables
        )

    def aliases(self, table: str | None = None) -> dict[str, str]:
        """``{word: code}``: the aliases and the Chinese word of each code (of those a column of
        ``table`` allows), as ``wanbei-map import`` reads a sheet's cells."""
        return {
            alias: w.code
            for w in self.words.values()
            if table is None or not w.tables or table in w.tables
            for alias in dict.fromkeys((*w.aliases, w.zh))
        }

    def labels(self, lang: Literal["zh", "en"]) -> dict[str, str]:
        """``{code: word}`` in Chinese or English (an empty English word is kept)."""
        return {c: (w.en if lang == "en" else w.zh) for c, w in self.words.items()}


@dataclass(frozen=True)
class Field:
    """A property shown in popups and tables: its name, its labels, and how to show a value."""

    name: str
    label_zh: str
    label_en: str
    unknown_zh: str = ""  # shown when the value is missing; "" hides the row
    kind: FieldKind = "text"
    vocabulary: str = ""  # the vocabulary whose words show the (coded) value


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
    """Everything the map, the legend, the tables and the downloads need to know of one layer."""

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
    description_en: str = ""
    queryables: tuple[str, ...] = ()  # properties the OGC API and downloads filter on (equality)
    temporal: tuple[str, ...] = ()  # date/year properties for ``datetime``; the first given wins
    # date/year properties of the map's year slider: a feature shows from the earliest of them;
    # a layer without any is timeless (always shown), a feature with none is shown as undated
    timeline: tuple[str, ...] = ()
    table: tuple[str, ...] = ()  # the columns of the table beside the map; () = not a table layer
    cluster: bool = False  # points grouped when the map's clustering is on
    search: int = 0  # rank of the layer in search results (1 first); 0 = not searched
    filters: tuple[str, ...] = ()  # properties the officials' tools filter on
    importable: bool = False  # rows can be imported with ``wanbei-map import --layer``
    # a layer of points read from ``data/<points>.csv`` (id, name_zh, lon, lat, source and its
    # popup fields as columns): a new layer needs no code (see geo.schema.point_table)
    points: str = ""

    def field(self, name: str) -> Field:
        """The popup field ``name``; raise KeyError naming the layer's fields."""
        for f in self.popup:
            if f.name == name:
                return f
        raise KeyError(
            f"{self.id} has no field {name!r}; its fields: {[f.name for f in self.popup]}"
        )


@dataclass(frozen=True)
class Spec:
    """The layers (in drawing order) and the vocabularies."""

    layers: tuple[LayerSpec, ...]
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)
    #: ``{table: {field: headers}}``: what ``wanbei-map import`` accepts as a sheet's headers
    import_headers: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False)  # the file as read, for the browser

    def layer(self, layer_id: str) -> LayerSpec:
        """The layer ``layer_id``; raise KeyError listing the valid ids."""
        for spec in self.layers:
            if spec.id == layer_id:
                return spec
        ids = ", ".join(s.id for s in self.layers)
        raise KeyError(f"Unknown layer {layer_id!r}; the layers are: {ids}") from None

    def vocabulary(self, name: str) -> Vocabulary:
        """The vocabulary ``name``; raise KeyError listing the vocabularies."""
        try:
            return self.vocabularies[name]
        except KeyError:
            raise KeyError(
                f"Unknown vocabulary {name!r}; the vocabularies are: {', '.join(self.vocabularies)}"
            ) from None

    def codes(self, vocabulary: str, table: str | None = None) -> tuple[str, ...]:
        """The codes of ``vocabulary`` (those a column of ``table`` allows, if given)."""
        return self.vocabulary(vocabulary).codes(table)

    def word(self, vocabulary: str, code: Any, lang: Literal["zh", "en"]) -> Any:
        """The word of ``code`` in ``vocabulary``; an unknown code is returned as it is."""
        found = self.vocabulary(vocabulary).words.get(code) if isinstance(code, str) else None
        if found is None:
            return code
        return found.en if lang == "en" else found.zh

    def values(self, spec: LayerSpec, lang: Literal["zh", "en"]) -> dict[str, dict[str, str]]:
        """``{property: {code: word}}`` of the coded fields of a layer (what its popups show)."""
        out = {
            f.name: self.vocabulary(f.vocabulary).labels(lang) for f in spec.popup if f.vocabulary
        }
        return out

    @property
    def ids(self) -> tuple[str, ...]:
        """The layers' ids in drawing order."""
        return tuple(s.id for s in self.layers)

    def ids_with(self, flag: str) -> tuple[str, ...]:
        """The ids of the layers whose ``flag`` (table, cluster, search, importable) is set;
        the searched ones in their rank order."""
        found = [s for s in self.layers if getattr(s, flag)]
        if flag == "search":
            found.sort(key=lambda s: s.search)
        return tuple(s.id for s in found)

    def import_tables(self) -> tuple[str, ...]:
        """The tables ``wanbei-map import --layer`` takes: the importable layers, then the other
        tables given import headers (``plan``: plan.csv, whose statuses colour plan_progress)."""
        layers = self.ids_with("importable")
        return (*layers, *(t for t in self.import_headers if t not in layers))

    def as_json(self) -> dict[str, Any]:
        """The spec as the browser's scripts read it (``/spec.json``): the file's own structure."""
        return self.raw


# --- reading and checking ------------------------------------------------------------------------


def _pair(value: Any, where: str, problems: list[str], need_en: bool = True) -> tuple[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("zh"), str) or not value["zh"]:
        problems.append(
            f"{where}: expected {{ zh = …, en = … }} with a Chinese word, got {value!r}"
        )
        return "", ""
    en = value.get("en")
    if not isinstance(en, str) or (need_en and not en):
        problems.append(f"{where}: no English word (en = …)")
        en = ""
    return value["zh"], en


def _vocabularies(raw: dict, problems: list[str]) -> dict[str, Vocabulary]:
    out = {}
    for name, voc in raw.items():
        where = f"vocabularies.{name}"
        if not isinstance(voc, dict) or not isinstance(voc.get("words"), dict) or not voc["words"]:
            problems.append(f"{where}: expected a table with `meaning` and `words`")
            continue
        is_open = bool(voc.get("open", False))
        words = {}
        for code, w in voc["words"].items():
            zh, en = _pair(w, f"{where}.words.{code}", problems, need_en=not is_open)
            lists = {}
            for key in ("tables", "aliases"):
                lists[key] = w.get(key, []) if isinstance(w, dict) else []
                if not isinstance(lists[key], list):
                    problems.append(f"{where}.words.{code}: `{key}` must be a list of words")
                    lists[key] = []
            words[code] = Word(code, zh, en, tuple(lists["tables"]), tuple(lists["aliases"]))
        out[name] = Vocabulary(name, str(voc.get("meaning", "")), words, is_open)
        for table in {None, *(t for w in words.values() for t in w.tables)}:
            seen: dict[str, str] = {}
            for w in out[name].words.values():
                if table is not None and w.tables and table not in w.tables:
                    continue
                for alias in dict.fromkeys((*w.aliases, w.zh)):
                    tabled = table is not None or not any(v.tables for v in words.values())
                    if seen.setdefault(alias, w.code) != w.code and tabled:
                        problems.append(
                            f"{where}: {alias!r} names both {seen[alias]!r} and {w.code!r} "
                            f"in {table}"
                        )
    return out


def _field(raw: Any, shared: dict, where: str, vocabularies: dict, problems: list[str]) -> Field:
    if isinstance(raw, str):
        if raw not in shared:
            problems.append(f"{where}: {raw!r} is not one of the shared [fields]: {list(shared)}")
            return Field(raw, raw, raw)
        raw = {"name": raw, **shared[raw]}
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        problems.append(f"{where}: expected a field {{ name = …, zh = …, en = … }}, got {raw!r}")
        return Field("?", "?", "?")
    zh, en = _pair(raw, f"{where} ({raw['name']})", problems)
    kind = raw.get("kind", "text")
    if kind not in _KINDS:
        problems.append(f"{where} ({raw['name']}): kind {kind!r} is not one of {_KINDS}")
    vocabulary = raw.get("vocabulary", "")
    if vocabulary and vocabulary not in vocabularies:
        problems.append(f"{where} ({raw['name']}): unknown vocabulary {vocabulary!r}")
    return Field(raw["name"], zh, en, "未知" if raw.get("unknown") else "", kind, vocabulary)


_LAYER_KEYS = {
    "id",
    "title",
    "description",
    "geometry",
    "tooltip",
    "style",
    "variants",
    "popup",
    "directed",
    "show",
    "pane",
    "label",
    "queryables",
    "temporal",
    "timeline",
    "table",
    "cluster",
    "search",
    "filters",
    "import",
    "points",
}


def _layer(raw: dict, i: int, shared: dict, vocabularies: dict, problems: list[str]) -> LayerSpec:
    where = f"layers[{i}] ({raw.get('id', '?')})"
    unknown = sorted(set(raw) - _LAYER_KEYS)
    if unknown:
        problems.append(f"{where}: unknown keys {unknown}; a layer has {sorted(_LAYER_KEYS)}")
    if not isinstance(raw.get("id"), str) or not raw["id"].isidentifier():
        problems.append(f"{where}: `id` must be a name (letters, digits, _)")
    title = _pair(raw.get("title"), f"{where}.title", problems)
    description = raw.get("description", {"zh": "", "en": ""})
    if raw.get("geometry") not in _GEOMETRIES:
        problems.append(
            f"{where}: geometry must be one of {_GEOMETRIES}, got {raw.get('geometry')!r}"
        )
    if raw.get("pane", "overlayPane") not in _PANES:
        problems.append(f"{where}: pane must be one of {_PANES}")
    popup = tuple(
        _field(f, shared, f"{where}.popup[{j}]", vocabularies, problems)
        for j, f in enumerate(raw.get("popup", []))
    )
    names = {f.name for f in popup}
    for key in ("table",):
        missing = [n for n in raw.get(key, []) if n not in names]
        if missing:
            problems.append(f"{where}: `{key}` names fields its popup lacks: {missing}")
    variants = []
    for j, v in enumerate(raw.get("variants", [])):
        vt = _pair(v.get("title"), f"{where}.variants[{j}].title", problems)
        variants.append(
            Variant(str(v.get("prop")), str(v.get("value")), *vt, dict(v.get("style", {})))
        )
    search = raw.get("search", 0)
    if not isinstance(search, int) or isinstance(search, bool) or search < 0:
        problems.append(f"{where}: `search` is a rank (1 first) or 0, got {search!r}")
        search = 0
    return LayerSpec(
        id=str(raw.get("id")),
        title_zh=title[0],
        title_en=title[1],
        geometry=raw.get("geometry", "point"),
        style=dict(raw.get("style", {})),
        popup=popup,
        tooltip=str(raw.get("tooltip", "id")),
        directed=bool(raw.get("directed", False)),
        variants=tuple(variants),
        show=bool(raw.get("show", True)),
        pane=raw.get("pane", "overlayPane"),
        label=str(raw.get("label", "")),
        description_zh=str(description.get("zh", "")),
        description_en=str(description.get("en", "")),
        queryables=tuple(raw.get("queryables", ())),
        temporal=tuple(raw.get("temporal", ())),
        timeline=tuple(raw.get("timeline", ())),
        table=tuple(raw.get("table", ())),
        cluster=bool(raw.get("cluster", False)),
        search=search,
        filters=tuple(raw.get("filters", ())),
        importable=bool(raw.get("import", False)),
        points=str(raw.get("points", "")),
    )


def build(raw: dict, path: str | Path = SPEC_FILE) -> Spec:
    """Check a spec (as read from TOML) and build it; raise SpecError listing every problem."""
    problems: list[str] = []
    vocabularies = _vocabularies(raw.get("vocabularies", {}), problems)
    shared = raw.get("fields", {})
    layers = tuple(
        _layer(r, i, shared, vocabularies, problems) for i, r in enumerate(raw.get("layers", []))
    )
    ids = [s.id for s in layers]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        problems.append(f"layers: ids given twice: {doubled}")
    ranks = [s.search for s in layers if s.search]
    if len(ranks) != len(set(ranks)):
        problems.append(f"layers: two layers share a search rank: {sorted(ranks)}")
    headers = {}
    for table, fields in raw.get("import_headers", {}).items():
        if not isinstance(fields, dict) or not all(
            isinstance(h, list) and h and all(isinstance(x, str) for x in h)
            for h in fields.values()
        ):
            problems.append(f"import_headers.{table}: expected field = [headers…]")
            continue
        headers[table] = {f: tuple(h) for f, h in fields.items()}
    missing = [s.id for s in layers if s.importable and s.id not in headers]
    if missing:
        problems.append(f"import_headers: no headers for the importable layers {missing}")
    if problems:
        raise SpecError(problems, path)
    return Spec(layers, vocabularies, headers, raw)


def load(path: str | Path | None = None) -> Spec:
    """Read and check a spec file (default: ``$WANBEI_SPEC`` or ``geo/spec.toml``)."""
    path = Path(path or os.environ.get("WANBEI_SPEC") or SPEC_FILE)
    with path.open("rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError([str(exc)], path) from None
    return build(raw, path)


#: The spec of this process, read and checked once.
SPEC: Spec = load()

__all__ = ["SPEC", "Field", "LayerSpec", "Spec", "SpecError", "Variant", "Vocabulary", "Word"]
