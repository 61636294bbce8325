"""Step 3: read one cell — text, dates, amounts, coordinates — and English names in pinyin."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime

from geo.gazetteer import Gazetteer, normalise_text, short_name
from geo.pinyin import place_syllables, syllables

AMOUNT_UNITS: dict[str, float] = {"亿元": 1.0, "亿": 1.0, "万元": 1e-4, "万": 1e-4, "元": 1e-8}
AREA_UNITS = {"平方公里": "km2", "平方千米": "km2", "km2": "km2", "km²": "km2", "亩": "mu"}
AREA_UNITS |= {"公顷": "ha", "ha": "ha", "mu": "mu"}
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_AMOUNT = re.compile(rf"^约?\s*({_NUMBER})\s*(亿元|亿|万元|万|元)?(?:人民币)?$")
AREA_FORM = re.compile(rf"^约?\s*({_NUMBER})\s*(平方公里|平方千米|km2|km²|亩|公顷|ha|mu)?$")
_DATE_FORMS = (
    re.compile(r"^(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日?)?)?$"),
    re.compile(r"^(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_DMS = re.compile(
    r"^(\d{1,3})°\s*(?:(\d{1,2})['′]\s*(?:(\d{1,2}(?:\.\d+)?)[\"″]?)?)?\s*[ENen东北]?$"
)

# --- reading cells -------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as text: numbers without a trailing ``.0``, dates as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    return re.sub(r"\s*[\r\n]+\s*", " ", str(value)).strip()


def normalise_date(value: object) -> str:
    """Return a date as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    Parameters
    ----------
    value : str, datetime, date or number
        ``2023``, ``2023年``, ``2023年5月``, ``2023年5月23日``, ``2023-05-23``, ``2023-5``,
        ``2023.5.23``, ``2023/5``, ``20230523``, an Excel date cell.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Not a date in any of these forms, or not a real date (2023-02-30).
    """
    if isinstance(value, datetime | date):
        d = value.date() if isinstance(value, datetime) else value
        return d.isoformat()
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            year, month, day = (int(g) if g else None for g in m.groups())
            if not 1949 <= year <= 2100:
                raise ValueError(f"{year} is not a plausible year")
            if month is None:
                return f"{year:04d}"
            if not 1 <= month <= 12:
                raise ValueError(f"month {month} does not exist")
            if day is None:
                return f"{year:04d}-{month:02d}"
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                raise ValueError(f"{year}-{month:02d}-{day:02d} does not exist") from None
    raise ValueError(f'"{text}" is not a date')


def normalise_amount(value: object, unit: str | None = None) -> float:
    """Return an amount of money in 亿元 (100 million yuan).

    Parameters
    ----------
    value : str or number
        ``12.5``, ``5000万元``, ``1.2亿``, ``3,000``; a unit written in the value wins.
    unit : str, optional
        The unit of a bare number: ``亿元``, ``万元``, ``亿``, ``万`` or ``元``.

    Returns
    -------
    float
        Rounded to 6 decimals (1 元 is 1e-8 亿元; 6 decimals keep 100 元).

    Raises
    ------
    ValueError
        Not an amount, a negative one, or no unit anywhere.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number, own = float(value), None
    else:
        text = normalise_text(cell_text(value))
        m = _AMOUNT.match(text)
        if not m:
            raise ValueError(f'"{cell_text(value)}" is not an amount')
        number, own = float(m.group(1).replace(",", "")), m.group(2)
    if own and unit and AMOUNT_UNITS[own] != AMOUNT_UNITS.get(unit, AMOUNT_UNITS[own]):
        raise ValueError(f"the value says {own} but the unit column says {unit}")
    unit = own or unit
    if unit is None:
        raise ValueError("no unit (亿元 or 万元)")
    if unit not in AMOUNT_UNITS:
        raise ValueError(f'unknown unit "{unit}"')
    if number < 0 or not math.isfinite(number):
        raise ValueError(f"{number} is not a positive amount")
    return round(number * AMOUNT_UNITS[unit], 6)


def parse_coordinate(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = unicodedata.normalize("NFKC", cell_text(value)).strip().replace(" ", "")
    try:
        return float(text.rstrip("°"))
    except ValueError:
        pass
    m = _DMS.match(text)
    if not m:
        raise ValueError(f'"{text}" is not a coordinate in decimal degrees')
    d, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return round(d + mi / 60 + s / 3600, 6)


def format_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 6))


# --- English names -------------------------------------------------------------------------------

_PLACE_SUFFIX_EN = {
    "自治县": " Autonomous County",
    "县": " County",
    "区": " District",
    "新区": " New Area",
    "旗": " Banner",
}


def place_english(name_zh: str, level: str | None = None) -> str:
    """A pinyin English name for a unit: 固镇县 → Guzhen County, 六安市 → Lu'an."""
    stem = short_name(name_zh)
    suffix = ""
    for zh, en in sorted(_PLACE_SUFFIX_EN.items(), key=lambda kv: -len(kv[0])):
        if name_zh.endswith(zh) and name_zh != stem:
            suffix = en
            break
    syl = place_syllables(stem)
    word = ""
    for i, s in enumerate(syl):
        if i and s[:1] in "aoe":
            word += "'"
        word += s
    return word[:1].upper() + word[1:] + suffix


def pinyin_name(name_zh: str) -> str:
    """A pinyin transliteration, one capitalised syllable per character: 煜晟 → Yu Sheng."""
    parts = [p.strip() for p in syllables(name_zh) if p.strip()]
    return " ".join(p[:1].upper() + p[1:] for p in parts)


def place_level(gazetteer: Gazetteer, adcode: str) -> str:
    unit = gazetteer[adcode]
    if unit.level == "prefecture":
        return "prefecture"
    if unit.name_zh.endswith("市"):
        return "county_city"
    if unit.name_zh.endswith("区"):
        return "district"
    return "county"


def place_row(gazetteer: Gazetteer, adcode: str, today: str, reason: str) -> dict[str, str]:
    unit = gazetteer[adcode]
    level = place_level(gazetteer, adcode)
    return {
        "adcode": adcode,
        "name_zh": unit.name_zh,
        "name_en": place_english(unit.name_zh, level),
        "province_adcode": gazetteer.province_of(adcode),
        "level": level,
        "lon": f"{unit.lon:.6f}",
        "lat": f"{unit.lat:.6f}",
        "precision": "seat" if unit.precision == "seat" else "approximate",
        "source": f"data/gazetteer.csv: {unit.source}",
        "note": reason,
        "updated": today,
    }
