"""Charts of the statistics, drawn by the app itself as small SVG documents.

No chart library and no external service: each chart is an element tree built with
:mod:`xml.etree.ElementTree` (so every text from the data is escaped), styled with presentation
attributes only (the page's CSP forbids inline ``style``). A value the sources do not give is
drawn as the word "未知" (unknown), never as a zero-length bar. The charts' own words come in
Simplified Chinese and English (:data:`WORDS`); Traditional Chinese is converted by OpenCC.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from layers.i18n import DEFAULT_LANG, Lang, text

SVG_NS = "http://www.w3.org/2000/svg"
FONT = (
    "system-ui, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', "
    "'WenQuanYi Micro Hei', sans-serif"
)
UNKNOWN_ZH = "未知"

#: The words of the statistics charts: (Simplified Chinese, English); ``{n}`` and ``{year}`` are
#: filled in. Traditional Chinese is converted from the Simplified text.
WORDS: dict[str, tuple[str, str]] = {
    "unknown": (UNKNOWN_ZH, "unknown"),
    "total": ("共 {n}", "total {n}"),
    "investment": ("各结对协议投资额(亿元)", "Agreed investment by pair (billion yuan)"),
    "investment_series": ("协议投资", "Agreed investment"),
    "yi": (" 亿元", " billion yuan"),  # English counts billions: 21.6 亿元 = 2.16 billion yuan
    "investment_note": (
        "“未知”:资料未给出该结对的投资合计",
        "“unknown”: the sources give no investment total for the pair",
    ),
    "projects": ("各结对合作项目数", "Cooperation projects by pair"),
    "projects_reported": ("资料报告合计", "Total reported by the sources"),
    "projects_named": ("资料点名", "Named in the sources"),
    "count": (" 个", ""),
    "projects_note": (
        "“未知”:资料未给出该结对的项目合计",
        "“unknown”: the sources give no project total for the pair",
    ),
    "parks": ("共建园区状态", "Co-built parks by status"),
    "parks_series": ("园区", "Parks"),
    "targets": ("{year}年度重点任务进展", "Key tasks of {year}: progress"),
    "targets_note": (
        "共 {n} 项任务;“未知”:资料未报告完成情况",
        "{n} tasks in all; “unknown”: the sources do not report whether it was done",
    ),
}


def word(key: str, lang: Lang = DEFAULT_LANG, **values: object) -> str:
    """One of :data:`WORDS` in ``lang``, with its ``{placeholders}`` filled from ``values``."""
    zh, en = WORDS[key]
    out = en if lang == "en" else text(zh, en, lang) or ""
    for name, value in values.items():
        out = out.replace("{" + name + "}", str(value))
    return out


#: Colours of the plan statuses (done → unknown).
STATUS_COLOURS = {
    "done": "#2e7d32",
    "partly_done": "#9ccc65",
    "in_progress": "#fdd835",
    "not_done": "#e53935",
    "unknown": "#bdbdbd",
}


@dataclass(frozen=True)
class Series:
    """One set of bars: a name for the legend, one value per category (None = unknown)."""

    name: str
    values: tuple[float | None, ...]
    colour: str


def _text_width(text: str, size: float) -> float:
    """A generous estimate of a label's width: CJK characters are square, others half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, title: str, desc: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": f"{width:.0f}",
            "height": f"{height:.0f}",
            "viewBox": f"0 0 {width:.0f} {height:.0f}",
            "role": "img",
            "font-family": FONT,
            "font-size": "12",
        },
    )
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "desc").text = desc
    ET.SubElement(
        root, "rect", {"x": "0", "y": "0", "width": "100%", "height": "100%", "fill": "#ffffff"}
    )
    heading = ET.SubElement(
        root, "text", {"x": "8", "y": "18", "font-size": "14", "font-weight": "600", "fill": "#222"}
    )
    heading.text = title
    return root


def _render(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")


def bar_chart(
    title: str,
    categories: list[str],
    series: list[Series],
    unit: str = "",
    width: int = 560,
    note: str = "",
    unknown: str = UNKNOWN_ZH,
) -> str:
    """A horizontal bar chart, one group of bars per category.

    Parameters
    ----------
    title : str
        Shown at the top and as the SVG's ``<title>``.
    categories : list of str
        The label of each group of bars, top to bottom.
    series : list of Series
        Each with one value per category; ``None`` is drawn as "未知".
    unit : str
        Appended to each value label (e.g. "亿元").
    width : int
        Width of the SVG in pixels; the height follows from the number of bars.
    note : str
        A line of small print under the chart (e.g. what "unknown" means).
    unknown : str
        The word drawn for a value that is ``None``.

    Returns
    -------
    str
        An SVG document.

    Raises
    ------
    ValueError
        If a series has not one value per category.
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(
                f"Series {s.name!r} has {len(s.values)} values for {len(categories)} categories"
            )
    bar, gap = 14, 10
    group = bar * len(series) + gap
    legend_h = 20 if len(series) > 1 else 0
    top = 30 + legend_h
    label_w = max([_text_width(c, 12.5) for c in categories] + [40]) + 20
    known = [v for s in series for v in s.values if v is not None]
    # room for the longest value label ("2.16 billion yuan"), at least 70 px
    value_w = max([_text_width(_fmt(v) + unit, 12) + 8 for v in known] + [70])
    plot_w = max(width - label_w - value_w - 8, 60)
    vmax = max(known) if known and max(known) > 0 else 1.0
    height = top + group * len(categories) + (22 if note else 6)
    desc = "; ".join(
        f"{c}: "
        + ", ".join(
            f"{s.name} {unknown if s.values[i] is None else _fmt(s.values[i]) + unit}"
            for s in series
        )
        for i, c in enumerate(categories)
    )
    root = _svg(width, height, title, desc)
    if legend_h:
        x = 8.0
        for s in series:
            ET.SubElement(
                root,
                "rect",
                {"x": f"{x:.0f}", "y": "28", "width": "12", "height": "12", "fill": s.colour},
            )
            t = ET.SubElement(root, "text", {"x": f"{x + 16:.0f}", "y": "38", "fill": "#333"})
            t.text = s.name
            x += 16 + _text_width(s.name, 12) + 16
    for i, category in enumerate(categories):
        y0 = top + i * group
        label = ET.SubElement(
            root,
            "text",
            {
                "x": f"{label_w - 8:.0f}",
                "y": f"{y0 + bar * len(series) / 2 + 4:.1f}",
                "text-anchor": "end",
                "fill": "#333",
            },
        )
        label.text = category
        for j, s in enumerate(series):
            y = y0 + j * bar
            value = s.values[i]
            if value is None:
                t = ET.SubElement(
                    root,
                    "text",
                    {
                        "x": f"{label_w + 2:.0f}",
                        "y": f"{y + bar - 3:.0f}",
                        "fill": "#8a8a8a",
                        "font-style": "italic",
                        "class": "unknown",
                    },
                )
                t.text = unknown
                continue
            w = max(plot_w * value / vmax, 1.0)
            ET.SubElement(
                root,
                "rect",
                {
                    "x": f"{label_w:.0f}",
                    "y": f"{y + 1:.0f}",
                    "width": f"{w:.1f}",
                    "height": f"{bar - 2}",
                    "fill": s.colour,
                    "class": "bar",
                },
            )
            t = ET.SubElement(
                root, "text", {"x": f"{label_w + w + 4:.1f}", "y": f"{y + bar - 3:.0f}"}
            )
            t.set("fill", "#222")
            t.text = f"{_fmt(value)}{unit}"
    if note:
        t = ET.SubElement(
            root, "text", {"x": "8", "y": f"{height - 8:.0f}", "font-size": "11", "fill": "#666"}
        )
        t.text = note
    return _render(root)


def stacked_bar(
    title: str,
    parts: list[tuple[str, int, str]],
    width: int = 560,
    note: str = "",
    total: str = "共 {n}",
) -> str:
    """One horizontal bar split into parts (label, count, colour), with a legend below.

    Parameters
    ----------
    title : str
    parts : list of tuple
        ``(label, count, colour)``; parts with a count of 0 keep their legend entry.
    width : int
    note : str
    total : str
        How the description says the sum of the counts (``{n}``).

    Returns
    -------
    str
        An SVG document.
    """
    count_all = sum(c for _, c, _ in parts)
    total_label = total.replace("{n}", str(count_all))
    height = 30 + 28 + 24 + (22 if note else 4)
    desc = ", ".join(f"{label} {count}" for label, count, _ in parts) + f" ({total_label})"
    root = _svg(width, height, title, desc)
    x, plot_w = 8.0, width - 16
    for _label, count, colour in parts:
        if not count:
            continue
        w = plot_w * count / count_all
        ET.SubElement(
            root,
            "rect",
            {
                "x": f"{x:.1f}",
                "y": "32",
                "width": f"{w:.1f}",
                "height": "22",
                "fill": colour,
                "class": "bar",
            },
        )
        if w > 24:
            t = ET.SubElement(
                root,
                "text",
                {"x": f"{x + w / 2:.1f}", "y": "47", "text-anchor": "middle", "fill": "#111"},
            )
            t.text = str(count)
        x += w
    x = 8.0
    for label, count, colour in parts:
        ET.SubElement(
            root,
            "rect",
            {"x": f"{x:.0f}", "y": "66", "width": "12", "height": "12", "fill": colour},
        )
        t = ET.SubElement(root, "text", {"x": f"{x + 16:.0f}", "y": "76", "fill": "#333"})
        t.text = f"{label} {count}"
        x += 16 + _text_width(t.text, 12) + 16
    if note:
        t = ET.SubElement(
            root, "text", {"x": "8", "y": f"{height - 8:.0f}", "font-size": "11", "fill": "#666"}
        )
        t.text = note
    return _render(root)


#: The charts of the statistics panel, in the order they are shown.
CHARTS = ("investment", "projects", "parks", "targets")


def _in_unit(yi: float | None, lang: Lang) -> float | None:
    """An amount in 亿元 in the unit of the chart's language (English: billions of yuan)."""
    return yi / 10 if yi is not None and lang == "en" else yi


def statistics_charts(stats: dict[str, Any], lang: Lang = DEFAULT_LANG) -> dict[str, str]:
    """The SVG charts of :func:`layers.stats.statistics`, by name (see :data:`CHARTS`).

    Parameters
    ----------
    stats : dict
        The result of :func:`layers.stats.statistics`, in ``lang``
        (:func:`layers.stats.localize`): its labels are drawn as they are.
    lang : {"zh-Hans", "en", "zh-Hant"}
        The language of the charts' own words (:data:`WORDS`).

    Returns
    -------
    dict of str to str
        ``investment``, ``projects``, ``parks`` and ``targets`` SVG documents.
    """
    rows = stats["per_pair"]
    labels = [r["label_zh"] for r in rows]
    unknown = word("unknown", lang)
    investment = bar_chart(
        word("investment", lang),
        labels,
        [
            Series(
                word("investment_series", lang),
                tuple(_in_unit(r["investment_yi"], lang) for r in rows),
                "#c62828",
            )
        ],
        unit=word("yi", lang),
        note=word("investment_note", lang),
        unknown=unknown,
    )
    projects = bar_chart(
        word("projects", lang),
        labels,
        [
            Series(
                word("projects_reported", lang),
                tuple(r["projects_count"] for r in rows),
                "#8e24aa",
            ),
            Series(
                word("projects_named", lang),
                tuple(float(r["projects_named"]) for r in rows),
                "#ce93d8",
            ),
        ],
        unit=word("count", lang),
        note=word("projects_note", lang),
        unknown=unknown,
    )
    park_rows = stats["parks_by_status"]
    parks = bar_chart(
        word("parks", lang),
        [r["status_zh"] for r in park_rows],
        [
            Series(
                word("parks_series", lang), tuple(float(r["count"]) for r in park_rows), "#43a047"
            )
        ],
        unit=word("count", lang),
        unknown=unknown,
    )
    targets = stacked_bar(
        word("targets", lang, year=stats["plan_year"]),
        [
            (r["status_zh"], r["count"], STATUS_COLOURS.get(r["status"], "#999"))
            for r in stats["targets_by_status"]
        ],
        note=word("targets_note", lang, n=len(stats["targets"])),
        total=word("total", lang),
    )
    return {"investment": investment, "projects": projects, "parks": parks, "targets": targets}
