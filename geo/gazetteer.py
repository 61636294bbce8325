"""The offline gazetteer: every county-level unit of China, found by adcode or by name.

``data/gazetteer.csv`` (built by ``scripts/derive_geodata.py``) lists the 34 provinces, 333
prefectures and about 2,870 county-level units with their parent and their seat in WGS84. This
module resolves what officials write in their spreadsheets to one unit:

* an adcode: ``340323`` (or the 12-digit statistical code ``340323000000``);
* a name, full or without its generic suffix: ``固镇县``, ``固镇``; ``延边朝鲜族自治州``,
  ``延边``; ``广西壮族自治区``, ``广西``;
* a chain of names from the top down, any level skipped: ``蚌埠市固镇县``, ``安徽蚌埠固镇``,
  ``安徽省固镇县``, ``上海市闵行区``.

A name that several units share (``鼓楼区`` is a district of 南京, 徐州, 福州 and 开封) is
:class:`AmbiguousPlace` unless the caller narrows the search with ``within`` (e.g. the helped
unit of the row's pairing) or the text names a parent; an unknown name is :class:`UnknownPlace`
with the nearest names as suggestions (``unknown place "固真县" — did you mean 固镇县?``).

:func:`resolve_pairing` reads a pair as written (``宁波—蚌埠``, ``宁波市-蚌埠市``, an id
``P-330200-340300``, or one partner's name) against the pairings table.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
from rapidfuzz.distance import Levenshtein

__all__ = [
    "AmbiguousPlace",
    "DEFAULT_GAZETTEER",
    "Gazetteer",
    "PlaceError",
    "Unit",
    "UnknownPlace",
    "load_gazetteer",
    "normalise_text",
    "resolve_pairing",
    "short_name",
]

#: The gazetteer shipped with the data.
DEFAULT_GAZETTEER = Path(__file__).resolve().parent.parent / "data" / "gazetteer.csv"

# Generic suffixes, longest first (``自治县`` before ``县``). ``城区``/``郊区`` keep their name.
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "特区",
    "新区",
    "矿区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
)
# The 55 minority nationalities, as they appear before 族 in the names of autonomous units.
_ETHNIC = sorted(
    (
        "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
        "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
        "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 "
        "基诺 各"
    ).split(),
    key=len,
    reverse=True,
)
_ADCODE = re.compile(r"^[1-9]\d{5}$")
_ADCODE12 = re.compile(r"^([1-9]\d{5})0{6}$")
_PAIR_SEPARATOR = re.compile(r"\s*(?:—+|–|―|－|-+>?|→|~|～|/)\s*")
_PAIRING_ID = re.compile(r"^P-\d{6}-\d{6}$")


@dataclass(frozen=True)
class Unit:
    """One administrative unit of the gazetteer."""

    adcode: str
    name_zh: str
    level: str  # province, prefecture or county (every county-level unit)
    parent_adcode: str | None
    lon: float
    lat: float
    precision: str  # seat or approximate
    source: str


class PlaceError(ValueError):
    """A place that cannot be resolved to one unit; ``suggestions`` lists likely meanings."""

    def __init__(self, text: str, reason: str, suggestions: Iterable[str] = ()) -> None:
        self.text = text
        self.reason = reason
        self.suggestions = tuple(suggestions)
        super().__init__(self.message)

    @property
    def suggestion(self) -> str:
        """The suggestions as one phrase ("did you mean A or B?"), or ""."""
        return ""

    @property
    def message(self) -> str:
        return f"{self.reason} — {self.suggestion}" if self.suggestion else self.reason


class UnknownPlace(PlaceError):
    """No unit has this name or adcode."""

    @property
    def suggestion(self) -> str:
        if not self.suggestions:
            return ""
        return f"did you mean {' or '.join(self.suggestions)}?"


class AmbiguousPlace(PlaceError):
    """Several units have this name; ``suggestions`` are their qualified names."""

    @property
    def suggestion(self) -> str:
        return f"write one of {', '.join(self.suggestions)}" if self.suggestions else ""


def normalise_text(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def short_name(name: str) -> str:
    """Return ``name`` without its generic suffix: 固镇县 → 固镇, 延边朝鲜族自治州 → 延边.

    Parameters
    ----------
    name : str
        The full Chinese name of a unit.

    Returns
    -------
    str
        The name without the suffix and, for autonomous units, without the nationalities; the
        name itself when nothing can be stripped (or when only one character would be left of a
        two-character name such as 城区).
    """
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                stem = _strip_nationalities(stem)
            if (
                suffix in ("区", "县", "市")
                and len(stem) == 1
                and len(name) == 2
                and stem in "城郊"
            ):
                return name
            return stem or name
    return name


def _strip_nationalities(stem: str) -> str:
    changed = True
    while changed:
        changed = False
        for people in _ETHNIC:
            tail = people + "族"
            if stem.endswith(tail) and len(stem) > len(tail):
                stem = stem[: -len(tail)]
                changed = True
                break
    return stem


class Gazetteer:
    """Every unit of ``gazetteer.csv``, indexed by adcode and by full and short name.

    Parameters
    ----------
    units : iterable of Unit
        The units; each parent must be among them (or ``None``).
    """

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units: dict[str, Unit] = {u.adcode: u for u in units}
        self._by_name: dict[str, list[str]] = {}
        for unit in self.units.values():
            for alias in {unit.name_zh, short_name(unit.name_zh)}:
                self._by_name.setdefault(normalise_text(alias), []).append(unit.adcode)
        self._names = sorted(self._by_name)

    @classmethod
    def from_csv(cls, path: str | Path) -> Gazetteer:
        """Read a gazetteer CSV (columns of ``data/gazetteer.csv``)."""
        with open(path, encoding="utf-8-sig", newline="") as f:
            return cls(
                Unit(
                    adcode=r["adcode"],
                    name_zh=r["name_zh"],
                    level=r["level"],
                    parent_adcode=r["parent_adcode"] or None,
                    lon=float(r["lon"]),
                    lat=float(r["lat"]),
                    precision=r["precision"],
                    source=r["source"],
                )
                for r in csv.DictReader(f)
            )

    def __len__(self) -> int:
        return len(self.units)

    def __contains__(self, adcode: object) -> bool:
        return adcode in self.units

    def __getitem__(self, adcode: str) -> Unit:
        try:
            return self.units[adcode]
        except KeyError:
            raise UnknownPlace(adcode, f"unknown adcode {adcode!r}") from None

    # --- hierarchy ---------------------------------------------------------------------------

    def ancestors(self, adcode: str) -> list[str]:
        """The adcodes above ``adcode``, nearest first (prefecture, then province)."""
        out: list[str] = []
        parent = self.units[adcode].parent_adcode if adcode in self.units else None
        while parent and parent in self.units and parent not in out:
            out.append(parent)
            parent = self.units[parent].parent_adcode
        return out

    def is_within(self, child: str, parent: str) -> bool:
        """Whether ``child`` is ``parent`` or lies inside it."""
        return child == parent or parent in self.ancestors(child)

    def qualified_name(self, adcode: str) -> str:
        """The name with its parent, as people write it: 蚌埠市固镇县, 安徽省蚌埠市."""
        unit = self[adcode]
        parent = unit.parent_adcode
        if parent and parent in self.units:
            return self.units[parent].name_zh + unit.name_zh
        return unit.name_zh

    def province_of(self, adcode: str) -> str:
        """The adcode of the province ``adcode`` lies in."""
        chain = [adcode, *self.ancestors(adcode)]
        return chain[-1]

    # --- resolving ---------------------------------------------------------------------------

    def candidates(self, text: str) -> list[Unit]:
        """Every unit ``text`` can mean (an adcode, a name, or a chain of names)."""
        key = normalise_text(text)
        code = _ADCODE12.match(key)
        if code:
            key = code.group(1)
        if _ADCODE.match(key):
            return [self.units[key]] if key in self.units else []
        codes = sorted(set(self._parse(key, None)))
        return [self.units[c] for c in codes]

    def resolve(self, text: str, within: Iterable[str] | None = None) -> Unit:
        """Return the one unit ``text`` means.

        Parameters
        ----------
        text : str
            An adcode, a name (full or short) or a chain of names (蚌埠市固镇县).
        within : iterable of str, optional
            Adcodes the unit must lie in (e.g. the helped units of the row's pairing). They
            decide between units of the same name; a name found only outside them is an error.

        Returns
        -------
        Unit

        Raises
        ------
        UnknownPlace
            No unit has this name or code; the nearest names are suggested.
        AmbiguousPlace
            Several units match; their qualified names are suggested.
        """
        text = str(text).strip()
        if not text:
            raise UnknownPlace(text, "empty place")
        found = self.candidates(text)
        scope = [w for w in within or () if w in self.units]
        if scope and found:
            inside = [u for u in found if any(self.is_within(u.adcode, w) for w in scope)]
            if not inside:
                names = ", ".join(self.qualified_name(w) for w in scope)
                where = ", ".join(self.qualified_name(u.adcode) for u in found[:3])
                raise UnknownPlace(
                    text,
                    f'place "{text}" ({where}) is not within {names}',
                    self._suggest(text, scope),
                )
            found = inside
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownPlace(text, f'unknown place "{text}"', self._suggest(text, scope))
        found = self._prefer_deepest(found)
        if len(found) == 1:
            return found[0]
        raise AmbiguousPlace(
            text,
            f'ambiguous place "{text}": {len(found)} units have this name; give its prefecture',
            [f"{self.qualified_name(u.adcode)} ({u.adcode})" for u in found],
        )

    def _prefer_deepest(self, units: list[Unit]) -> list[Unit]:
        # A unit whose namesake lies inside it gives way: 吉林 is 吉林市 rather than 吉林省 (no row
        # of this programme is placed at a province).
        codes = {u.adcode for u in units}
        return [
            u
            for u in units
            if not any(c != u.adcode and u.adcode in self.ancestors(c) for c in codes)
        ]

    def _parse(self, key: str, parent: str | None) -> Iterable[str]:
        for i in range(len(key), 0, -1):
            for code in self._by_name.get(key[:i], ()):
                if parent is not None and parent not in self.ancestors(code):
                    continue
                if i == len(key):
                    yield code
                else:
                    yield from self._parse(key[i:], code)

    def _suggest(self, text: str, scope: list[str], n: int = 3) -> list[str]:
        key = normalise_text(text)
        # the longest head that parses narrows the suggestions to that unit's children
        parent, rest = None, key
        for i in range(len(key) - 1, 0, -1):
            heads = {c for c in self._parse(key[:i], None) if self.units[c].level != "county"}
            if len(heads) == 1:
                parent, rest = heads.pop(), key[i:]
                break

        def within_scope(u: Unit) -> bool:
            return not scope or any(self.is_within(u.adcode, s) for s in scope)

        units = list(self.units.values())
        pool = [u for u in units if parent in self.ancestors(u.adcode) and within_scope(u)]
        if not pool:
            rest = key
            pool = [u for u in units if within_scope(u)] or units
        names: dict[str, list[Unit]] = {}
        for u in pool:
            for alias in {normalise_text(u.name_zh), normalise_text(short_name(u.name_zh))}:
                names.setdefault(alias, []).append(u)
        close = _rank(rest, difflib.get_close_matches(rest, list(names), n=12, cutoff=0.5))
        out: list[str] = []
        for name in close:
            for u in names[name]:
                label = u.name_zh if parent is None else self.qualified_name(u.adcode)
                if len(self.candidates(label)) > 1:
                    label = self.qualified_name(u.adcode)
                if label not in out:
                    out.append(label)
        return out[:n]


def _rank(wanted: str, names: list[str]) -> list[str]:
    """Order close names: same sound first (typing errors of pinyin input are homophones, e.g.
    固真 for 固镇), then fewer edits."""
    if not names:
        return []
    sound = _pinyin(wanted)
    scored = sorted(
        (
            _pinyin(name) != sound,
            Levenshtein.distance(wanted, name),
            -difflib.SequenceMatcher(None, wanted, name).ratio(),
            name,
        )
        for name in names
    )
    if not scored[0][0]:  # a homophone: show only homophones
        return [s[-1] for s in scored if not s[0]]
    best = scored[0][1]
    return [s[-1] for s in scored if s[1] <= best + 1]


def _pinyin(text: str) -> tuple[str, ...]:
    from geo.pinyin import syllables  # noqa: PLC0415 - loads pypinyin only when needed

    return tuple(syllables(text))


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> Gazetteer:
    return Gazetteer.from_csv(path)


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Read (once per file version) ``path`` or the shipped ``data/gazetteer.csv``."""
    p = Path(path) if path is not None else DEFAULT_GAZETTEER
    if not p.is_file():
        raise FileNotFoundError(f"gazetteer {p} is missing; `make derive-data` builds it")
    return _load(str(p.resolve()), p.stat().st_mtime_ns)


# --- pairings ------------------------------------------------------------------------------------


def resolve_pairing(
    text: str,
    pairings: pd.DataFrame,
    gazetteer: Gazetteer,
    host: str | None = None,
) -> str:
    """Return the id of the pairing ``text`` names.

    Parameters
    ----------
    text : str
        A pairing id (``P-330200-340300``), a pair helping first (``宁波—蚌埠``, ``宁波市-蚌埠市``,
        ``上海市闵行区—淮南``, a helping label such as ``徐州经济技术开发区—杜集区``), or one
        partner's name (``宁波``) when that names one pairing.
    pairings : pandas.DataFrame
        The pairings table (columns ``id``, ``helping_adcode``, ``helping_label``,
        ``helped_adcode``).
    gazetteer : Gazetteer
    host : str, optional
        Adcode of the row's unit: it chooses between the pairings of one partner (the city pair
        or the county pair whose helped unit contains the host).

    Returns
    -------
    str
        The pairing id.

    Raises
    ------
    PlaceError
        The text names no pairing, or several.
    """
    text = str(text).strip()
    ids = list(pairings["id"])
    if text in ids:
        return text
    if _PAIRING_ID.match(text.upper()):
        raise UnknownPlace(
            text,
            f"unknown pairing id {text!r}",
            difflib.get_close_matches(text.upper(), ids, n=3, cutoff=0.6),
        )
    parts = [p for p in _PAIR_SEPARATOR.split(unicodedata.normalize("NFKC", text)) if p]
    rows = list(pairings.itertuples(index=False))
    if len(parts) == 2:
        helping, helped = parts
        found = [r.id for r in rows if _side(helping, r, "helping", gazetteer)]
        found = [i for i in found if _side(helped, _row(rows, i), "helped", gazetteer)]
        if not found:
            reverse = [
                r.id
                for r in rows
                if _side(helped, r, "helping", gazetteer) and _side(helping, r, "helped", gazetteer)
            ]
            hint = [_pair_label(_row(rows, i), gazetteer) for i in reverse] or _near_pairs(
                parts, rows, gazetteer
            )
            reason = f'no pairing "{text}" in pairings.csv'
            if reverse:
                reason += " (the helping side comes first)"
            raise UnknownPlace(text, reason, hint)
    elif len(parts) == 1:
        found = [
            r.id
            for r in rows
            if _side(parts[0], r, "helping", gazetteer) or _side(parts[0], r, "helped", gazetteer)
        ]
        if not found:
            raise UnknownPlace(
                text,
                f'"{text}" is not a partner of any pairing',
                _near_pairs(parts, rows, gazetteer),
            )
    else:
        raise UnknownPlace(
            text,
            f'cannot read "{text}" as a pair; write it helping side first, e.g. 宁波—蚌埠',
        )
    if len(found) > 1 and host:
        inside = [
            i for i in found if gazetteer_within(gazetteer, host, _row(rows, i).helped_adcode)
        ]
        # the most specific pair: a county pair whose helped county holds the host
        deepest = [i for i in inside if _row(rows, i).helped_adcode == host]
        found = deepest or inside or found
    if len(found) > 1:
        raise AmbiguousPlace(
            text,
            f'"{text}" names {len(found)} pairings',
            [f"{_pair_label(_row(rows, i), gazetteer)} ({i})" for i in found],
        )
    return found[0]


def gazetteer_within(gazetteer: Gazetteer, child: str, parent: str) -> bool:
    """Whether ``child`` lies in ``parent``, by the gazetteer or else by the adcode digits."""
    if child in gazetteer and parent in gazetteer:
        return gazetteer.is_within(child, parent)
    if parent.endswith("0000"):
        return child[:2] == parent[:2]
    if parent.endswith("00"):
        return child[:4] == parent[:4]
    return child == parent


def _row(rows: list, pairing_id: str):
    return next(r for r in rows if r.id == pairing_id)


def _side(text: str, row, side: str, gazetteer: Gazetteer) -> bool:
    adcode = getattr(row, f"{side}_adcode")
    label = getattr(row, "helping_label", None) if side == "helping" else None
    key = normalise_text(text)
    if (
        isinstance(label, str)
        and label
        and key
        in {
            normalise_text(label),
            normalise_text(short_name(label)),
        }
    ):
        return True
    return any(u.adcode == adcode for u in gazetteer.candidates(text))


def _pair_label(row, gazetteer: Gazetteer) -> str:
    label = getattr(row, "helping_label", None)
    helping = label if isinstance(label, str) and label else _name(row.helping_adcode, gazetteer)
    return f"{helping}—{_name(row.helped_adcode, gazetteer)}"


def _name(adcode: str, gazetteer: Gazetteer) -> str:
    return gazetteer.units[adcode].name_zh if adcode in gazetteer else adcode


def _near_pairs(parts: list[str], rows: list, gazetteer: Gazetteer) -> list[str]:
    labels = {_pair_label(r, gazetteer): r for r in rows}
    shorts = {
        "—".join(
            short_name(_name(a, gazetteer)) for a in (r.helping_adcode, r.helped_adcode)
        ): label
        for label, r in labels.items()
    }
    wanted = "—".join(normalise_text(p) for p in parts)
    close = difflib.get_close_matches(wanted, list(shorts) + list(labels), n=3, cutoff=0.4)
    out: list[str] = []
    for c in close:
        label = shorts.get(c, c)
        if label not in out:
            out.append(label)
    return out
