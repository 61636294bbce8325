"""Characters data text may not hold, and how text is shown safely in messages.

A cell of a data file, or of an imported sheet, is refused when it holds:

* a C0 control character (U+0000–U+001F) other than tab, line feed and carriage return, or DEL
  (U+007F): NUL, ESC (which starts the terminal's escape sequences), BEL…;
* a C1 control character (U+0080–U+009F);
* a bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069), which reorders
  the text around it on screen (``U+202E`` makes ``exe.txt`` read ``txt.exe``);
* a noncharacter (U+FDD0–U+FDEF, and U+FFFE/U+FFFF of every plane), which no text may exchange.

Messages never carry these characters raw: :func:`printable` writes them as ``\\x1b``,
``\\u202e``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FORBIDDEN", "forbidden_character", "printable"]

_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
#: One character a data text may not hold (see the module's docstring).
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef"
    + re.escape(_NONCHARACTERS)
    + "]"
)
# Shown escaped in messages: the forbidden characters, and every other character a terminal does
# not print as itself (line ends, other format characters).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufdd0-\ufdef"
    + re.escape(_NONCHARACTERS)
    + "]"
)
_NAMES = {"\x00": "NUL", "\x07": "BEL", "\x08": "BACKSPACE", "\x1b": "ESC", "\x7f": "DEL"}


def forbidden_character(text: str) -> str | None:
    """Why ``text`` may not be data (its first forbidden character, named), or None.

    >>> forbidden_character("蚌埠\\x1b[31m")
    'holds the control character U+001B (ESC) at position 3; remove it'
    >>> forbidden_character("固镇县") is None
    True
    """
    m = FORBIDDEN.search(text)
    if m is None:
        return None
    char = m.group()
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        kind = "the control character"
    elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        kind = "the bidirectional control"
    else:
        kind = "the noncharacter"
    name = _NAMES.get(char) or unicodedata.name(char, "")
    label = f"U+{code:04X}" + (f" ({name})" if name else "")
    return f"holds {kind} {label} at position {m.start() + 1}; remove it"


def printable(text: object) -> str:
    """``text`` for a terminal or a log: control, bidi and invisible format characters escaped.

    >>> printable("a\\x1b[2Jb\\u202ec")
    'a\\\\x1b[2Jb\\\\u202ec'
    """
    return _UNPRINTABLE.sub(_escape, str(text))


def _escape(m: re.Match) -> str:
    code = ord(m.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
