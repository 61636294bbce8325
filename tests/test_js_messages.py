"""Every word the map's scripts translate with ``wanbei.t("…")`` is in the page's message list
(webapp/templates/_messages.html), so it has its English and Traditional Chinese forms.

The scripts are read with a small JavaScript tokenizer (comments, strings, template literals
and regular expressions are told apart, so a ``wanbei.t(`` inside a comment or a string is not a
call). A call whose first argument is not a plain string literal is followed where it can be:
a wrapper (``function say(zh) { return wanbei.t(zh); }`` or ``var t = function (zh) {…}``)
brings in the literals its own calls pass; the basemaps' attributions come from the registry of
basemaps. Any other call with a variable argument fails the test, naming where it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

from layers.i18n import to_traditional
from layers.map import basemaps

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "webapp" / "static"
MESSAGES = ROOT / "webapp" / "templates" / "_messages.html"

#: The calls whose argument is known from elsewhere: (file, the argument's source) -> why.
DYNAMIC = {
    ("basemaps.js", "s.attribution"): "the attributions of layers.map.basemaps(), checked below",
}


# --- a JavaScript tokenizer (enough for these scripts) ------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "string", "template", "number", "regex", "punct"
    text: str  # the source text (a string's value for "string")
    line: int


_PUNCT = re.compile(
    r">>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|=>|&&|\|\||\?\?|[-+*/%&|^<>!=]=|"
    r"\+\+|--|<<|>>|\*\*|\?\.|[{}()\[\];,.<>+\-*/%&|^!~?:=]"
)
_NAME = re.compile(r"[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# after these a "/" starts a regular expression, not a division
_REGEX_AFTER = {
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "instanceof",
    "yield",
    "await",
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _string_value(body: str) -> str:
    def unescape(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "ux":
            return chr(int(e[1:].strip("{}"), 16))
        if e == "\n":
            return ""
        return _ESCAPES.get(e, e)

    return re.sub(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|.)", unescape, body)


def tokenize(source: str) -> list[Token]:
    """The tokens of ``source``, without comments and white space."""
    out: list[Token] = []
    i, line, n = 0, 1, len(source)
    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            if source.find("*/", i + 2) < 0:
                raise SyntaxError(f"line {line}: unterminated comment")
            end = source.index("*/", i + 2) + 2
            line += source.count("\n", i, end)
            i = end
        elif c in "\"'":
            j = i + 1
            while source[j : j + 1] != c:
                if source[j : j + 1] in ("\n", ""):
                    raise SyntaxError(f"line {line}: unterminated string")
                j += 2 if source[j] == "\\" else 1
            out.append(Token("string", _string_value(source[i + 1 : j]), line))
            i = j + 1
        elif c == "`":
            j, depth = i + 1, 0
            while depth or source[j : j + 1] != "`":
                if j >= n:
                    raise SyntaxError(f"line {line}: unterminated template literal")
                if source[j] == "\\":
                    j += 1
                elif source.startswith("${", j):
                    depth += 1
                elif source[j] == "}" and depth:
                    depth -= 1
                j += 1
            out.append(Token("template", source[i : j + 1], line))
            line += source.count("\n", i, j)
            i = j + 1
        elif c == "/" and _starts_regex(out):
            j, in_class = i + 1, False
            while in_class or source[j : j + 1] != "/":
                if source[j : j + 1] in ("\n", ""):
                    raise SyntaxError(f"line {line}: unterminated regular expression")
                if source[j] == "\\":
                    j += 1
                elif source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                j += 1
            m = _NAME.match(source, j + 1)
            end = m.end() if m else j + 1
            out.append(Token("regex", source[i:end], line))
            i = end
        elif m := _NUMBER.match(source, i):
            out.append(Token("number", m.group(), line))
            i = m.end()
        elif m := _NAME.match(source, i):
            out.append(Token("name", m.group(), line))
            i = m.end()
        elif m := _PUNCT.match(source, i):
            out.append(Token("punct", m.group(), line))
            i = m.end()
        else:
            raise SyntaxError(f"line {line}: unexpected character {c!r}")
    return out


def _starts_regex(before: list[Token]) -> bool:
    if not before:
        return True
    last = before[-1]
    if last.kind == "name":
        return last.text in _REGEX_AFTER
    if last.kind in ("number", "string", "template", "regex"):
        return False
    return last.text not in (")", "]", "}")


# --- the calls of wanbei.t ------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    file: str
    at: int  # the index of the callee's first token
    line: int
    argument: tuple[Token, ...]  # the first argument's tokens

    @property
    def literal(self) -> str | None:
        """The message when the first argument is a string literal alone."""
        one = self.argument[0] if len(self.argument) == 1 else None
        return one.text if one is not None and one.kind == "string" else None

    @property
    def variable(self) -> str | None:
        """The name when the first argument is a variable alone."""
        one = self.argument[0] if len(self.argument) == 1 else None
        return one.text if one is not None and one.kind == "name" else None

    def source(self) -> str:
        """The first argument, as written (near enough)."""
        out = ""
        for t in self.argument:
            text = json.dumps(t.text, ensure_ascii=False) if t.kind == "string" else t.text
            out += (" " if t.kind == "punct" and t.text not in ".,()[]" else "") + text
            out += " " if t.kind == "punct" and t.text not in ".()[]" else ""
        return re.sub(r" +", " ", out).strip()


def _argument(tokens: list[Token], start: int) -> tuple[list[Token], int]:
    """The tokens of the argument that starts at ``start`` (up to its ``,`` or ``)``)."""
    depth, j = 0, start
    while True:
        t = tokens[j]
        if t.kind == "punct" and t.text in "([{":
            depth += 1
        elif t.kind == "punct" and t.text in ")]}":
            if depth == 0:
                return tokens[start:j], j
            depth -= 1
        elif t.kind == "punct" and t.text == "," and depth == 0:
            return tokens[start:j], j
        j += 1


def _calls_of(tokens: list[Token], file: str, callee: list[str]) -> list[Call]:
    """Each call ``callee(…)`` (``callee`` as its tokens, e.g. ["wanbei", ".", "t"])."""
    out = []
    k = len(callee)
    kinds = ["punct" if name == "." else "name" for name in callee] + ["punct"]
    for i in range(len(tokens) - k):
        window = tokens[i : i + k + 1]
        if [t.text for t in window] != [*callee, "("] or [t.kind for t in window] != kinds:
            continue
        before = tokens[i - 1] if i else None
        if before is not None and before.text in (".", "function", "?."):
            continue  # obj.say(…) is another function; "function say(" its definition
        arg, _end = _argument(tokens, i + k + 1)
        out.append(Call(file, i, tokens[i].line, tuple(arg)))
    return out


def _wrapper(tokens: list[Token], call_at: int, name: str) -> str | None:
    """The name of the function whose parameter ``name`` is passed on at ``call_at``: the
    nearest enclosing ``function NAME(… name …)`` or ``NAME = function (… name …)``."""
    for i in range(call_at, -1, -1):
        if tokens[i].text != "function" or tokens[i].kind != "name":
            continue
        j = i + 1
        fname = None
        if tokens[j].kind == "name":
            fname, j = tokens[j].text, j + 1
        elif i >= 2 and tokens[i - 1].text in ("=", ":") and tokens[i - 2].kind == "name":
            fname = tokens[i - 2].text
        if tokens[j].text != "(":
            continue
        params = []
        j += 1
        while tokens[j].text != ")":
            if tokens[j].kind == "name":
                params.append(tokens[j].text)
            j += 1
        if name in params:
            return fname
    return None


def script_messages() -> tuple[dict[str, list[str]], list[str]]:
    """The messages the scripts translate (message -> where) and the calls not understood."""
    found: dict[str, list[str]] = {}
    unknown: list[str] = []
    for path in sorted(STATIC.glob("*.js")):
        tokens = tokenize(path.read_text(encoding="utf-8"))
        for call in _calls_of(tokens, path.name, ["wanbei", ".", "t"]):
            if call.literal is not None:
                found.setdefault(call.literal, []).append(f"{call.file}:{call.line}")
                continue
            if (call.file, call.source()) in DYNAMIC:
                continue
            wrapper = _wrapper(tokens, call.at, call.variable) if call.variable else None
            if wrapper is None:
                unknown.append(f"{call.file}:{call.line}: wanbei.t({call.source()}, …)")
                continue
            for inner in _calls_of(tokens, path.name, [wrapper]):
                if inner.literal is not None:
                    found.setdefault(inner.literal, []).append(f"{inner.file}:{inner.line}")
                else:
                    unknown.append(f"{inner.file}:{inner.line}: {wrapper}({inner.source()}, …)")
    return found, unknown


def listed_messages() -> dict[str, str]:
    """The ``messages`` dict of _messages.html: message -> the msgid it is translated with."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    tree = env.parse(MESSAGES.read_text(encoding="utf-8"))
    for assign in tree.find_all(nodes.Assign):
        if isinstance(assign.target, nodes.Name) and assign.target.name == "messages":
            out = {}
            for pair in assign.node.items:
                call = pair.value
                assert isinstance(pair.key, nodes.Const) and isinstance(call, nodes.Call)
                assert isinstance(call.args[0], nodes.Const)
                out[pair.key.value] = call.args[0].value
            return out
    raise AssertionError(f"no `messages` dict in {MESSAGES}")


# --- the tests ------------------------------------------------------------------------------------


def test_every_translated_word_of_the_scripts_is_listed():
    found, unknown = script_messages()
    assert not unknown, "wanbei.t with an argument the test cannot follow:\n" + "\n".join(unknown)
    listed = listed_messages()
    missing = {m: where for m, where in found.items() if m not in listed}
    assert not missing, f"add these to {MESSAGES.name}: {missing}"


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_the_pages_carry_the_scripts_words_translated(client, lang):
    """What wanbei.t reads (#wb-messages) has every Chinese word of the scripts in ``lang``."""
    found, _unknown = script_messages()
    html = client.get(f"/?lang={lang}").get_data(as_text=True)
    m = re.search(r"id=\"wb-messages\" hidden data-messages='([^']*)'", html)
    assert m, "the page lists its messages"
    messages = json.loads(unescape(m.group(1)))
    # a message whose translation is itself is left out of the page (wanbei.t falls back)
    changing = {w for w in found if re.search(r"[\u4e00-\u9fff]", w)}
    if lang == "zh-Hant":
        changing = {w for w in changing if to_traditional(w) != w}
    missing = changing - set(messages)
    assert not missing, missing
    assert (
        messages["“{layer}”有 {n} 个要素,不聚合显示"]
        == {
            "en": "“{layer}” has {n} features: shown without clustering",
            "zh-Hant": "“{layer}”有 {n} 個要素,不聚合顯示",
        }[lang]
    )


def test_the_list_translates_each_message_by_itself():
    listed = listed_messages()
    assert listed and all(key == msgid for key, msgid in listed.items())


def test_the_basemaps_attributions_are_listed():
    listed = listed_messages()
    attributions = {spec.attribution for spec in basemaps("token") if spec.attribution}
    assert attributions and attributions <= set(listed), attributions - set(listed)


# --- the reader itself ----------------------------------------------------------------------------

SAMPLE = r"""
// wanbei.t("in a comment") is no call
/* nor wanbei.t("in a block
   comment") */
var s = "wanbei.t(\"in a string\")", re = /wanbei\.t\("[^"]*"\)/g, half = a / b / c;
var tpl = `wanbei.t("in a template ${x + "}"}")`;
function say(zh, values) { return wanbei.t(zh, values || {}); }
var t = function (zh, values) { return wanbei.t(zh, values); };
wanbei.t("one");
wanbei.t('two\u00b7', {n: 2});
say("three"); t("four", {a: 1}); other.say("not mine"); x.t("nor this");
wanbei.t("con" + "cat");
"""


def test_the_reader_finds_literals_and_follows_wrappers(tmp_path, monkeypatch):
    (tmp_path / "sample.js").write_text(SAMPLE, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.STATIC", tmp_path)
    found, unknown = script_messages()
    assert set(found) == {"one", "two·", "three", "four"}
    assert unknown == ['sample.js:12: wanbei.t("con" + "cat", …)']


@pytest.mark.parametrize(
    "bad", ['var a = "open', "var a = 'open\n';", "var r = /open", "/* open", "`open", "var x = #;"]
)
def test_the_reader_rejects_what_it_cannot_read(bad):
    with pytest.raises(SyntaxError):
        tokenize(bad)
