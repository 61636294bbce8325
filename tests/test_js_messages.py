"""The scripts' words: Babel's own JavaScript extractor finds every ``wanbei.t("…")`` (and its
two wrappers), and the ``js`` catalogs translate each into English and Traditional Chinese; the
pages carry them for ``wanbei.t``. No list is kept by hand."""

from __future__ import annotations

import importlib.util
import json
import re
from html import unescape
from pathlib import Path

import pytest
from babel.messages.jslexer import tokenize

from layers.i18n import to_traditional
from webapp.i18n import js_messages

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "webapp" / "static"
#: wanbei.t and its two local wrappers (as scripts/i18n.py extracts them).
KEYWORDS = ("wanbei.t", "t", "say")


def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    """What Babel extracts from the scripts, as scripts/i18n.py runs it (babel.cfg)."""
    return {m.id for m in _i18n_script().extract("js") if m.id}


def test_babel_finds_the_scripts_words(extracted):
    assert len(extracted) > 50
    assert {"显示全部结对网络", "{n} 公里", "“{layer}”有 {n} 个要素,不聚合显示"} <= extracted
    # through the wrappers: say() in tables.js, t() in export.js
    assert "第 {from}–{to} 行,共 {n} 行" in extracted and "导出于 {date}" in extracted


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
def test_every_word_of_the_scripts_is_translated(extracted, locale):
    words = js_messages(locale)
    # a message whose translation is itself is left out (wanbei.t falls back to it)
    expected = {m for m in extracted if re.search(r"[\u4e00-\u9fff]", m)}
    if locale == "zh_Hant":
        expected = {m for m in expected if to_traditional(m) != m}
        assert all(words[m] == to_traditional(m) for m in expected)
    missing = expected - set(words)
    assert not missing, f"run python scripts/i18n.py and translate: {sorted(missing)}"
    if locale == "en":
        assert not [w for w in words.values() if re.search(r"[\u4e00-\u9fff]", w)]


def literal_problems(source: str) -> list[int]:
    """The lines of the calls of ``wanbei.t``/``t``/``say`` in ``source`` (read by Babel's own
    JavaScript lexer) whose first argument is not one string literal, except the wrappers'
    own calls (``function (zh, values) { return wanbei.t(zh, values); }``)."""
    comments = ("linecomment", "multilinecomment")
    tokens = [t for t in tokenize(source, dotted=True) if t.type not in comments]
    lines = source.splitlines()
    bad = []
    for i, tok in enumerate(tokens[:-3]):
        if tok.type != "name" or tok.value not in KEYWORDS or tokens[i + 1].value != "(":
            continue
        if i > 0 and tokens[i - 1].value == "function":
            continue  # function say(zh, values) { … }: the definition
        arg, after = tokens[i + 2], tokens[i + 3]
        literal = arg.type == "string" and after.value in (",", ")")
        wrapper = arg.value == "zh" and re.search(
            r"function( say)? ?\(zh, values\)", lines[tok.lineno - 1]
        )
        if not literal and not wrapper:
            bad.append(tok.lineno)
    return bad


def test_every_call_passes_its_word_literally():
    """A ``wanbei.t(x)`` whose word is a variable or an expression is not extracted (Babel skips
    it silently, or takes only the first string of ``"a" + b``): none is allowed."""
    dynamic = [
        f"{path.name}:{line}"
        for path in sorted(STATIC.glob("*.js"))
        for line in literal_problems(path.read_text("utf-8"))
    ]
    assert not dynamic, "pass one literal word to wanbei.t:\n" + "\n".join(dynamic)


def test_the_check_finds_a_word_it_cannot_extract():
    sample = (
        "function say(zh, values) { return wanbei.t(zh, values || {}); }\n"
        "var t = function (zh, values) { return wanbei.t(zh, values); };\n"
        'wanbei.t("one"); say("two", {n: 1}); t("three");\n'
        "wanbei.t(x);\n"
        'wanbei.t("a" + b);\n'
        "// wanbei.t(y) in a comment\n"
        'other.t("not ours");\n'
    )
    assert literal_problems(sample) == [4, 5]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "“{layer}” has {n} features: shown without clustering"),
        ("zh-Hant", "“{layer}”有 {n} 個要素,不聚合顯示"),
    ],
)
def test_the_pages_carry_the_scripts_words(client, extracted, lang, expected):
    """What wanbei.t reads (#wb-messages) is the catalog of the page's language."""
    for page in ("/", "/embed"):
        html = client.get(f"{page}?lang={lang}").get_data(as_text=True)
        m = re.search(r"id=\"wb-messages\" hidden data-messages='([^']*)'", html)
        assert m, "the page carries the scripts' words"
        messages = json.loads(unescape(m.group(1)))
        assert messages["“{layer}”有 {n} 个要素,不聚合显示"] == expected
        assert set(messages) <= extracted
    html = client.get("/?lang=zh-Hans").get_data(as_text=True)
    assert "data-messages='{}'" in html


def test_the_catalogs_are_current():
    """Every word extracted is in both catalogs, translated, and the .mo files are compiled."""
    assert _i18n_script().main(["--check"]) == 0
