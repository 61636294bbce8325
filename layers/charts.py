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
            "class": "wb-chart-wide",
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


def _description(categories: list[str], series: list[Series], unit: str, unknown: str) -> str:
    """A bar chart's text for screen readers (its ``<desc>``): every bar's value, in order."""
    return "; ".join(
        f"{c}: "
        + ", ".join(
            f"{s.name} {unknown if s.values[i] is None else _fmt(s.values[i]) + unit}"
            for s in series
        )
        for i, c in enumerate(categories)
    )


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
    desc = _description(categories, series, unit, unknown)
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


#: The narrowest width the narrow charts are laid out for (a 360 px screen's side panel): their
#: words are wrapped to it, their bars drawn in percent of whatever width they are shown at.
NARROW_MIN = 260


def _wrap(text: str, size: float, budget: float = NARROW_MIN - 16) -> list[str]:
    """``text`` in lines no wider than ``budget`` px at ``size`` (by :func:`_text_width`): broken
    at spaces, or between any two CJK characters."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and _text_width((line + token).rstrip(), size) > budget:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _tokens(text: str) -> list[str]:
    """Words with their trailing space, and each CJK character alone."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ord(ch) > 0x2E80:
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
            if ch == " ":
                out.append(word)
                word = ""
    if word:
        out.append(word)
    return out


def _fluid_svg(height: float, title: str, desc: str, kind: str) -> tuple[ET.Element, float]:
    """A chart's root drawn at the width it is shown at (no viewBox: its text is never scaled),
    with the title wrapped; the y under the title."""
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": "100%",
            "height": f"{height:.0f}",
            "role": "img",
            "font-family": FONT,
            "font-size": "12",
            "class": f"wb-chart-{kind}",
        },
    )
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "desc").text = desc
    ET.SubElement(
        root, "rect", {"x": "0", "y": "0", "width": "100%", "height": "100%", "fill": "#ffffff"}
    )
    y = 0.0
    for line in _wrap(title, 14):
        y += 18
        heading = ET.SubElement(
            root,
            "text",
            {"x": "8", "y": f"{y:.0f}", "font-size": "14", "font-weight": "600", "fill": "#222"},
        )
        heading.text = line
    return root, y + 6


def _title_height(title: str) -> float:
    return 18 * len(_wrap(title, 14)) + 6


def _legend_rows(items: list[tuple[str, str]], y: float, root: ET.Element | None) -> float:
    """Coloured squares with their words, in rows no wider than :data:`NARROW_MIN`; the y under
    them (nothing drawn when ``root`` is None)."""
    x, row_y = 8.0, y
    for label, colour in items:
        w = 16 + _text_width(label, 12) + 12
        if x > 8 and x + w > NARROW_MIN:
            x, row_y = 8.0, row_y + 18
        if root is not None:
            ET.SubElement(
                root,
                "rect",
                {
                    "x": f"{x:.0f}",
                    "y": f"{row_y:.0f}",
                    "width": "12",
                    "height": "12",
                    "fill": colour,
                },
            )
            t = ET.SubElement(
                root, "text", {"x": f"{x + 16:.0f}", "y": f"{row_y + 10:.0f}", "fill": "#333"}
            )
            t.text = label
        x += w
    return row_y + 20


def _note_lines(note: str) -> list[str]:
    return _wrap(note, 11) if note else []


def _draw_note(root: ET.Element, lines: list[str], y: float) -> None:
    for i, line in enumerate(lines):
        t = ET.SubElement(
            root,
            "text",
            {"x": "8", "y": f"{y + 10 + 15 * i:.0f}", "font-size": "11", "fill": "#666"},
        )
        t.text = line


def bar_chart_narrow(
    title: str,
    categories: list[str],
    series: list[Series],
    unit: str = "",
    note: str = "",
    unknown: str = UNKNOWN_ZH,
) -> str:
    """:func:`bar_chart` for a narrow column: each category's name on its own line above its
    bars, the bars in percent of the shown width, every word wrapped to :data:`NARROW_MIN` px, so
    that the chart fills any width from :data:`NARROW_MIN` up without its 11–14 px text shrinking.
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(
                f"Series {s.name!r} has {len(s.values)} values for {len(categories)} categories"
            )
    known = [v for s in series for v in s.values if v is not None]
    vmax = max(known) if known and max(known) > 0 else 1.0
    # the longest bar leaves room for the longest value label after it at the narrowest width
    value_w = max([_text_width(_fmt(v) + unit, 12) for v in known] + [_text_width(unknown, 12)])
    longest = max(0.2, min(0.9, (NARROW_MIN - 8 - 6 - value_w - 4) / NARROW_MIN))
    labels = [_wrap(c, 12) for c in categories]
    notes = _note_lines(note)
    legend = [(s.name, s.colour) for s in series] if len(series) > 1 else []
    top = _title_height(title)
    legend_end = _legend_rows(legend, top, None) if legend else top
    row = 16
    height = (
        legend_end
        + sum(15 * len(lines) + row * len(series) + 8 for lines in labels)
        + 15 * len(notes)
        + 6
    )
    desc = _description(categories, series, unit, unknown)
    root, _ = _fluid_svg(height, title, desc, "narrow")
    y = _legend_rows(legend, top, root) if legend else top
    for i, lines in enumerate(labels):
        for line in lines:
            t = ET.SubElement(root, "text", {"x": "8", "y": f"{y + 11:.0f}", "fill": "#333"})
            t.text = line
            y += 15
        for s in series:
            value = s.values[i]
            if value is None:
                t = ET.SubElement(
                    root,
                    "text",
                    {
                        "x": "8",
                        "y": f"{y + row - 4:.0f}",
                        "fill": "#8a8a8a",
                        "font-style": "italic",
                        "class": "unknown",
                    },
                )
                t.text = unknown
            else:
                pct = 100 * longest * value / vmax
                ET.SubElement(
                    root,
                    "rect",
                    {
                        "x": "8",
                        "y": f"{y + 2:.0f}",
                        "width": f"{pct:.2f}%",
                        "height": f"{row - 4}",
                        "fill": s.colour,
                        "class": "bar",
                    },
                )
                t = ET.SubElement(
                    root,
                    "text",
                    {"x": f"{pct:.2f}%", "dx": "12", "y": f"{y + row - 4:.0f}", "fill": "#222"},
                )
                t.text = f"{_fmt(value)}{unit}"
            y += row
        y += 8
    _draw_note(root, notes, y)
    return _render(root)


def stacked_bar_narrow(
    title: str, parts: list[tuple[str, int, str]], note: str = "", total: str = "共 {n}"
) -> str:
    """:func:`stacked_bar` for a narrow column: the bar in percent of the shown width, the legend
    and the note wrapped to :data:`NARROW_MIN` px."""
    count_all = sum(c for _, c, _ in parts)
    total_label = total.replace("{n}", str(count_all))
    desc = ", ".join(f"{label} {count}" for label, count, _ in parts) + f" ({total_label})"
    legend = [(f"{label} {count}", colour) for label, count, colour in parts]
    notes = _note_lines(note)
    top = _title_height(title)
    legend_end = _legend_rows(legend, top + 32, None)
    height = legend_end + 15 * len(notes) + 6
    root, _ = _fluid_svg(height, title, desc, "narrow")
    x = 0.0
    for _label, count, colour in parts:
        if not count:
            continue
        share = 96 * count / count_all
        ET.SubElement(
            root,
            "rect",
            {
                "x": f"{2 + x:.2f}%",
                "y": f"{top:.0f}",
                "width": f"{share:.2f}%",
                "height": "22",
                "fill": colour,
                "class": "bar",
            },
        )
        if share / 100 * NARROW_MIN > 24:
            t = ET.SubElement(
                root,
                "text",
                {
                    "x": f"{2 + x + share / 2:.2f}%",
                    "y": f"{top + 15:.0f}",
                    "text-anchor": "middle",
                    "fill": "#111",
                },
            )
            t.text = str(count)
        x += share
    _legend_rows(legend, top + 32, root)
    _draw_note(root, notes, legend_end)
    return _render(root)


#: The charts of the statistics panel, in the order they are shown.
CHARTS = ("investment", "projects", "parks", "targets")


def _in_unit(yi: float | None, lang: Lang) -> float | None:
    """An amount in 亿元 in the unit of the chart's language (English: billions of yuan)."""
    return yi / 10 if yi is not None and lang == "en" else yi


def statistics_charts(stats: dict[str, Any], lang: Lang = DEFAULT_LANG) -> dict[str, str]:
    """The SVG charts of :func:`layers.stats.statistics`, by name (see :data:`CHARTS`), each in
    two layouts: ``NAME`` drawn 560 px wide, ``NAME-narrow`` for a narrow column
    (:func:`bar_chart_narrow`); a page shows the one that fits.

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
        ``investment``, ``projects``, ``parks`` and ``targets`` SVG documents, then the same
        with ``-narrow``.
    """
    rows = stats["per_pair"]
    labels = [r["label_zh"] for r in rows]
    unknown = word("unknown", lang)
    park_rows = stats["parks_by_status"]
    bars: dict[str, tuple[str, list[str], list[Series], dict[str, str]]] = {
        "investment": (
            word("investment", lang),
            labels,
            [
                Series(
                    word("investment_series", lang),
                    tuple(_in_unit(r["investment_yi"], lang) for r in rows),
                    "#c62828",
                )
            ],
            {"unit": word("yi", lang), "note": word("investment_note", lang)},
        ),
        "projects": (
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
            {"unit": word("count", lang), "note": word("projects_note", lang)},
        ),
        "parks": (
            word("parks", lang),
            [r["status_zh"] for r in park_rows],
            [
                Series(
                    word("parks_series", lang),
                    tuple(float(r["count"]) for r in park_rows),
                    "#43a047",
                )
            ],
            {"unit": word("count", lang)},
        ),
    }
    drawn: dict[str, str] = {}
    narrow: dict[str, str] = {}
    for name, (title, categories, series, extra) in bars.items():
        drawn[name] = bar_chart(title, categories, series, unknown=unknown, **extra)
        narrow[f"{name}-narrow"] = bar_chart_narrow(
            title, categories, series, unknown=unknown, **extra
        )
    targets = (
        word("targets", lang, year=stats["plan_year"]),
        [
            (r["status_zh"], r["count"], STATUS_COLOURS.get(r["status"], "#999"))
            for r in stats["targets_by_status"]
        ],
    )
    note = word("targets_note", lang, n=len(stats["targets"]))
    drawn["targets"] = stacked_bar(*targets, note=note, total=word("total", lang))
    narrow["targets-narrow"] = stacked_bar_narrow(*targets, note=note, total=word("total", lang))
    return drawn | narrow
