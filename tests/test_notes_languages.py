"""The data's free-text notes are Chinese, with their English in a ``*_en`` column: the Chinese
pages (zh-Hans, zh-Hant) never show an English note, the English pages show the English one."""

from __future__ import annotations

import csv
import html
import json
import re

import pytest

from geo.dataset import LAYER_IDS
from layers.i18n import to_traditional
from webapp import DEFAULT_DATA_DIR

#: The free-text columns with an English sibling (``note`` → ``note_en``).
NOTE_COLUMNS = ("note", "site_note", "status_note")
#: Maintainers' notes, written in English on purpose.
MAINTAINERS_ONLY = {"sources"}
PAGES = ("/", "/table", "/stats", "/plan")
CHINESE = ("zh-Hans", "zh-Hant")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")


def mostly_latin(value: object) -> bool:
    """More Latin letters than Han characters: a note written in English."""
    return isinstance(value, str) and len(LATIN.findall(value)) > len(HAN.findall(value))


def data_notes() -> list[tuple[str, str, str, str, str]]:
    """``(table, column, key, chinese, english)`` of every note of the data with an English."""
    out = []
    for path in sorted(DEFAULT_DATA_DIR.glob("*.csv")):
        if path.stem in MAINTAINERS_ONLY:
            continue
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            key = reader.fieldnames[0]
            for row in reader:
                for col in NOTE_COLUMNS:
                    if row.get(f"{col}_en"):
                        out.append((path.stem, col, row[key], row[col], row[f"{col}_en"]))
    return out


NOTES = data_notes()


def page_text(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return html.unescape(r.get_data(as_text=True))


def note_values(value: object, path: str = "") -> list[tuple[str, str]]:
    """``(path, text)`` of every note-like field (``note``, ``site_note``…) in a JSON value."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in NOTE_COLUMNS and isinstance(v, str):
                out.append((f"{path}/{k}", v))
            else:
                out += note_values(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += note_values(v, f"{path}[{i}]")
    return out


def test_the_datas_notes_are_chinese_with_english_beside_them():
    for path in sorted(DEFAULT_DATA_DIR.glob("*.csv")):
        if path.stem in MAINTAINERS_ONLY:
            continue
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for number, row in enumerate(rows, start=2):
            for col in NOTE_COLUMNS:
                assert not mostly_latin(row.get(col)), (path.name, number, col, row[col])
                if row.get(f"{col}_en"):
                    assert row[col], f"{path.name} row {number}: {col}_en without {col}"
                    assert row[f"{col}_en"] != row[col], (path.name, number, col)
    tables = {t for t, *_ in NOTES}
    assert {"corridor", "figures", "pairings", "parks", "partnerships", "places"} <= tables
    assert {"project_totals", "projects", "plan", "milestones"} <= tables
    assert len(NOTES) > 100
    # the translated notes keep their numbers and dates
    for table, col, key, zh, en in NOTES:
        for date in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", en):
            assert date in zh, (table, key, col, date)


@pytest.mark.parametrize("lang", CHINESE)
@pytest.mark.parametrize("url", PAGES)
def test_chinese_pages_show_no_english_note(client, url, lang):
    body = page_text(client, f"{url}?lang={lang}")
    shown = [(t, c, k) for t, c, k, _, en in NOTES if en in body]
    assert not shown, f"{url}?lang={lang} shows English notes: {shown}"


@pytest.mark.parametrize("url", PAGES)
def test_english_pages_show_the_english_of_the_notes_the_chinese_pages_show(client, url):
    zh_hans = page_text(client, f"{url}?lang=zh-Hans")
    zh_hant = page_text(client, f"{url}?lang=zh-Hant")
    en = page_text(client, f"{url}?lang=en")
    # a note found on the page by its text: one that is no part of another note
    own = [n for n in NOTES if not any(n[3] in o[3] and n[3] != o[3] for o in NOTES)]
    shown = [(t, c, k, zh, e) for t, c, k, zh, e in own if zh in zh_hans]
    for table, col, key, zh, english in shown:
        assert english in en, f"{url}?lang=en lacks the English {col} of {table} {key}"
        assert zh not in en, f"{url}?lang=en shows the Chinese {col} of {table} {key}"
        assert to_traditional(zh) in zh_hant, f"{url}?lang=zh-Hant: {col} of {table} {key}"
    if url in ("/table", "/plan"):
        assert shown, f"{url} shows some notes of the data (the test reads them)"


@pytest.mark.parametrize("lang", CHINESE)
@pytest.mark.parametrize("layer", LAYER_IDS)
def test_chinese_layers_and_popups_carry_no_english_note(client, layer, lang):
    body = json.loads(client.get(f"/api/layers/{layer}.geojson?lang={lang}").data)
    notes = note_values([f["properties"] for f in body["features"]])
    english = [(p, v) for p, v in notes if mostly_latin(v)]
    assert not english, f"{layer} in {lang}: {english[:3]}"


def test_layers_in_english_carry_the_english_notes(client):
    checked = 0
    for layer in LAYER_IDS:
        zh = json.loads(client.get(f"/api/layers/{layer}.geojson?lang=zh-Hans").data)
        en = json.loads(client.get(f"/api/layers/{layer}.geojson?lang=en").data)
        assert len(zh["features"]) == len(en["features"])
        for z, e in zip(zh["features"], en["features"], strict=True):
            for col in NOTE_COLUMNS:
                given = z["properties"].get(f"{col}_en")
                if given:
                    assert e["properties"][col] == given, (layer, z["properties"].get("id"), col)
                    assert z["properties"][col] != given
                    checked += 1
    assert checked >= 70, checked


@pytest.mark.parametrize("lang", CHINESE)
def test_pair_summaries_carry_no_english_note(client, lang):
    body = json.loads(client.get(f"/api/pairs.json?lang={lang}").data)
    notes = note_values(body["pairs"])
    assert notes, "the pair summaries carry notes (the test reads them)"
    english = [(p, v) for p, v in notes if mostly_latin(v)]
    assert not english, english[:3]


def test_pair_summaries_in_english_carry_the_english_notes(client):
    english = {en for *_, en in NOTES}
    chinese = {zh: en for *_, zh, en in NOTES}
    body = json.loads(client.get("/api/pairs.json?lang=en").data)
    notes = note_values(body["pairs"])
    figures = [v for p, v in notes if "/figures[" in p]
    assert figures and all(v in english for v in figures), figures[:3]
    assert not [v for _, v in notes if v in chinese], "a Chinese note with an English one"


def read_rows(path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def test_the_importer_reads_and_keeps_the_english_notes(data_copy, tmp_path):
    from geo.importer import apply_import, plan_import

    sheet = tmp_path / "parks.csv"
    sheet.write_text(
        "id,备注,英文备注,位置说明,英文位置说明\n"
        "PK-nanjing-fengyang,园区具体位置未载（待核）,"
        "the park's exact site is not given (to check),凤阳县,Fengyang County\n",
        encoding="utf-8",
    )
    before = read_rows(data_copy / "parks.csv")
    plan = plan_import(sheet, "parks", data_copy, today="2026-12-07")
    assert not plan.problems, plan.problems
    apply_import(plan, user="test")
    after = read_rows(data_copy / "parks.csv")
    row = after["PK-nanjing-fengyang"]
    assert row["note"] == "园区具体位置未载（待核）"
    assert row["note_en"] == "the park's exact site is not given (to check)"
    assert (row["site_note"], row["site_note_en"]) == ("凤阳县", "Fengyang County")
    # the other rows keep their English notes as they were
    for key, old in before.items():
        if key != "PK-nanjing-fengyang":
            assert (after[key]["note_en"], after[key]["site_note_en"]) == (
                old["note_en"],
                old["site_note_en"],
            )
    assert before["PK-songjiang-luan"]["note_en"]
