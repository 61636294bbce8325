"""Languages of the map and its pages: Simplified Chinese first, English, Traditional Chinese.

English comes from the data's ``*_en`` columns and the registry's ``*_en`` labels; Traditional
Chinese is converted from the Simplified text with OpenCC (never typed by hand).
"""

from __future__ import annotations

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


#: A conversion takes ~1.5 µs: the cache is for the repeated labels and names (places, pairs,
#: sectors), not for 100,000 project names (65,536 entries of those held 17 MB).
@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Convert Simplified Chinese ``text`` to Traditional with OpenCC's ``s2t`` configuration."""
    return _s2t().convert(text)


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
