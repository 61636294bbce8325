"""Pinyin worked out in a child process: the same answers, and no dictionaries in the server."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from geo.dataset import load_dataset
from layers import romanize

ROOT = Path(__file__).resolve().parent.parent
TRICKY = [
    "蚌埠市",
    "六安市 Lu'an",
    "甬蚌新能源电池项目",
    "上海市闵行区",
    "",
    "G60 科创走廊",
    "line\nbreak",
    "tab\there",
    "sep\u2028arator",
    "重庆银行",
    "Ningbo – Bengbu",
]


@pytest.fixture(autouse=True)
def empty_cache():
    romanize._cache.clear()
    yield
    romanize._cache.clear()


def shipped_names() -> list[str]:
    dataset = load_dataset(ROOT / "data")
    return [n for gdf in dataset.layers.values() if "name_zh" in gdf for n in gdf["name_zh"]]


def test_the_child_answers_as_pypinyin_does_here():
    texts = TRICKY + shipped_names()
    expected = romanize._compute([romanize._WHITE.sub(" ", t) for t in texts])
    assert romanize.raw_pinyin(texts) == expected
    assert romanize.raw_pinyin(["蚌埠市", "六安市"]) == [("bengbushi", "bbs"), ("luanshi", "las")]


def test_a_batch_asked_before_needs_no_child(monkeypatch):
    first = romanize.raw_pinyin(TRICKY)

    def no_child(*args, **kwargs):
        raise AssertionError("a child was started for texts already known")

    monkeypatch.setattr(subprocess, "run", no_child)
    assert romanize.raw_pinyin(list(reversed(TRICKY))) == list(reversed(first))


def test_big_batches_are_not_cached(monkeypatch):
    monkeypatch.setattr(romanize, "CACHE_BATCH", 3)
    romanize.raw_pinyin(TRICKY)
    assert romanize._cache == {}
    romanize.raw_pinyin(TRICKY[:3])
    assert set(romanize._cache) == set(TRICKY[:3])


def test_a_full_cache_is_emptied_without_losing_an_answer(monkeypatch):
    monkeypatch.setattr(romanize, "CACHE_MAX", 3)
    assert romanize.raw_pinyin(["蚌埠", "合肥", "六安"])[0] == ("bengbu", "bb")
    # two known texts and a new one: the cache is emptied to make room, mid-answer
    got = romanize.raw_pinyin(["蚌埠", "宿州", "六安"])
    assert got == [("bengbu", "bb"), ("suzhou", "sz"), ("luan", "la")]
    assert set(romanize._cache) == {"宿州"}


def test_a_failing_child_falls_back_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with caplog.at_level(logging.WARNING, logger="layers.romanize"):
        got = romanize.raw_pinyin(["蚌埠市", "合肥"])
    assert got == [("bengbushi", "bbs"), ("hefei", "hf")]
    assert "the child process failed" in caplog.text
    assert "keeps pypinyin's dictionaries loaded" in caplog.text


def test_the_server_never_loads_pypinyin():
    """A whole app is built (search index, summaries) without pypinyin in its process."""
    code = (
        "import sys\n"
        "from webapp import create_app\n"
        "app = create_app({'TESTING': True})\n"
        "client = app.test_client()\n"
        "assert client.get('/api/search.json').status_code == 200\n"
        "assert client.get('/api/search?q=bengbu&layer=places').status_code == 200\n"
        "assert client.get('/api/pairs.json?lang=en').status_code == 200\n"
        "print('pypinyin' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_search_and_the_importer_read_a_name_alike():
    """One table of fixed readings (geo/pinyin.py) for both, whichever is asked first in a
    process (pypinyin's phrases are global: the importer read 煜晟 "Yu Cheng" in a fresh process,
    and the search read 蚌山区 "bangshanqu")."""
    code = (
        "from geo.importer import pinyin_name, place_english; from layers.romanize import _compute;"
        "print(pinyin_name('煜晟'), place_english('蚌山区', 'county'),"
        " *(full for full, _ in _compute(['蚌山区', '长丰县', '长宁区'])), sep='|')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "Yu Sheng|Bengshan District|bengshanqu|changfengxian|changningqu"
