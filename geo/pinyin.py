"""Pinyin of the programme's names: pypinyin, with the readings it gets wrong fixed in one table.

The search index (:mod:`layers.romanize`, in a child process so that pypinyin's dictionaries
stay out of the server), the importer's English names (:mod:`geo.importer.normalise`) and the
gazetteer's "same sound" suggestions (:mod:`geo.gazetteer`) all read pinyin here, so one name
has one reading everywhere.
"""

from __future__ import annotations

#: Readings pypinyin gets wrong in the programme's place and project names: each phrase with one
#: reading per character, as pypinyin's phrase dictionary takes them.
READINGS: dict[str, list[list[str]]] = {
    "闵行": [["mǐn"], ["háng"]],
    "蚌埠": [["bèng"], ["bù"]],
    "蚌山": [["bèng"], ["shān"]],
    "甬蚌": [["yǒng"], ["bèng"]],
    "长丰": [["cháng"], ["fēng"]],
    "长宁": [["cháng"], ["níng"]],
    "煜晟": [["yù"], ["shèng"]],
    "六安": [["lù"], ["ān"]],
}

#: A place name beginning with one of these characters reads it so (pypinyin reads 长 zhǎng and
#: 蚌 bàng in some phrases; in the names of places they are cháng and bèng).
_PLACE_FIRST = {"长": ("zhang", "chang"), "蚌": ("bang", "beng")}

_loaded = False


def syllables(text: str) -> list[str]:
    """The toneless syllables of ``text``; characters that are not Chinese kept as they are.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
        One item per Chinese character (e.g. ``["beng", "bu", "shi"]`` for 蚌埠市), and one per
        run of other characters.
    """
    from pypinyin import Style, lazy_pinyin  # noqa: PLC0415 - loads its dictionaries when needed

    _load()
    return lazy_pinyin(text, style=Style.NORMAL, errors="default")


def initials(text: str) -> str:
    """The first letter of each Chinese character's syllable (others are left out): ``bbs``."""
    from pypinyin import Style, lazy_pinyin  # noqa: PLC0415

    _load()
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore"))


def place_syllables(name: str) -> list[str]:
    """:func:`syllables` of a place name: its first character 长 is cháng, 蚌 bèng."""
    out = syllables(name)
    wrong, right = _PLACE_FIRST.get(name[:1], ("", ""))
    if out and out[0] == wrong:
        out[0] = right
    return out


def _load() -> None:
    global _loaded  # noqa: PLW0603 - pypinyin's phrase dictionary is global: loaded once
    if not _loaded:
        from pypinyin import load_phrases_dict  # noqa: PLC0415

        load_phrases_dict(READINGS)
        _loaded = True
