"""Languages of the map and its pages: Simplified Chinese first, English, Traditional Chinese.

English comes from the data's ``*_en`` columns and the registry's ``*_en`` labels; Traditional
Chinese is converted from the Simplified text with OpenCC (never typed by hand).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import opencc

Lang = Literal["zh-Hans", "en", "zh-Hant"]
LANGS: tuple[Lang, ...] = ("zh-Hans", "en", "zh-Hant")
DEFAULT_LANG: Lang = "zh-Hans"
LANG_NAMES = {"zh-Hans": "简体中文", "en": "English", "zh-Hant": "繁體中文"}


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


#: Words in which 签 is a slip of bamboo or paper (籤); everywhere else in this programme's texts
#: it is "to sign" (簽). OpenCC writes a 签 its dictionaries have no phrase for as 籤 in every
#: configuration (s2t, s2tw, s2twp and s2hk all give 已籤協議, 會籤), so that one character is
#: corrected after OpenCC; its phrases (簽約, 簽署, 標籤, 書籤…) are kept as it writes them.
_SLIP_WORDS = re.compile("标签|书签|抽签|求签|牙签|竹签|中签|签诗|签筒")


def _signed(text: str, converted: str) -> str:
    if "籤" not in converted or len(converted) != len(text):
        return converted
    slips = {i for m in _SLIP_WORDS.finditer(text) for i in range(m.start(), m.end())}
    return "".join(
        "簽" if c == "籤" and text[i] == "签" and i not in slips else c
        for i, c in enumerate(converted)
    )


#: A conversion takes ~1.5 µs: the cache is for the repeated labels and names (places, pairs,
#: sectors), not for 100,000 project names (65,536 entries of those held 17 MB).
@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Convert Simplified Chinese ``text`` to Traditional with OpenCC's ``s2t`` configuration
    (standard characters, no regional vocabulary: the texts are mainland documents' words), 签
    "to sign" written 簽 (see :data:`_SLIP_WORDS`)."""
    return _signed(text, _s2t().convert(text))


def money(yi: float, lang: Lang) -> str:
    """An amount given in 亿元 (100 million yuan) as ``lang`` writes it.

    Chinese keeps 亿元 (``21.6 亿元``, ``21.6 億元``); English counts in billions or, under one
    billion, millions of yuan (``2.16 billion yuan``, ``350 million yuan``), never in "hundred
    millions". The page's scripts write it the same way (``wanbei.money`` in ``wanbei.js``).
    """
    if lang == "en":
        yuan = float(yi) * 1e8
        value, unit = (yuan / 1e9, "billion") if yuan >= 1e9 else (yuan / 1e6, "million")
        return f"{_plain(value)} {unit} yuan"
    return f"{_plain(float(yi))} {'億元' if lang == 'zh-Hant' else '亿元'}"


def _plain(x: float) -> str:
    """At most two decimals, no trailing zeros, thousands grouped: 2.16, 15, 1,200.5."""
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language tag; raise ValueError naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"Unknown language {lang!r}; use one of: {', '.join(LANGS)}")
    return lang  # type: ignore[return-value]


def text(zh: str | None, en: str | None, lang: Lang) -> str | None:
    """The text for ``lang`` from a Simplified Chinese and an English version.

    English falls back to the Chinese text where no English is given.
    """
    if lang == "en":
        return en if en else zh
    if lang == "zh-Hant" and zh:
        return to_traditional(zh)
    return zh
