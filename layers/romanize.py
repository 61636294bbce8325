"""The pinyin of many texts at once, worked out in a short-lived child process.

pypinyin's dictionaries take about 56 MB once loaded, and stay loaded for the life of the
process. The server needs pinyin only while it prepares a data version (the search index, the
provinces' English names), so it asks a child process (``python -m layers.romanize``), which
reads the texts on its standard input, writes their pinyin on its standard output and exits:
the dictionaries never enter the serving process and are not in memory between two versions.
A short batch that was asked before is answered from a small cache, without a child.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
from collections.abc import Sequence

from geo.pinyin import initials, syllables

#: Batches of at most this many texts are cached (the shipped data's names); bigger ones are
#: not, so that 100,000 names are not kept twice.
CACHE_BATCH = 5_000
#: The cache is emptied when it would hold more than this many texts.
CACHE_MAX = 20_000

log = logging.getLogger(__name__)
_WHITE = re.compile(r"[\t\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_cache: dict[str, tuple[str, str]] = {}
_cache_lock = threading.Lock()


def raw_pinyin(texts: Sequence[str]) -> list[tuple[str, str]]:
    """The toneless pinyin of each text and its initials, as pypinyin gives them.

    Parameters
    ----------
    texts : sequence of str
        Any texts. A line break or a tab counts as a space (the texts travel one per line).

    Returns
    -------
    list of (str, str)
        For each text, in order: the syllables joined with nothing between them (characters that
        are not Chinese kept as they are) and the initials (``errors="ignore"``: only Chinese
        characters give one), e.g. ``("bengbushi", "bbs")`` for 蚌埠市. Callers lower-case and
        normalise them (:func:`layers.searchindex.pinyin`).
    """
    clean = [_WHITE.sub(" ", str(t)) for t in texts]
    with _cache_lock:  # what is known now: the cache may be emptied before the answer
        found = {t: _cache[t] for t in clean if t in _cache}
    missing = list(dict.fromkeys(t for t in clean if t not in found))
    if missing:
        computed = dict(zip(missing, _in_child(missing), strict=True))
        found.update(computed)
        if len(missing) <= CACHE_BATCH:
            with _cache_lock:
                if len(_cache) + len(missing) > CACHE_MAX:
                    _cache.clear()
                _cache.update(computed)
    return [found[t] for t in clean]


def _in_child(texts: list[str]) -> list[tuple[str, str]]:
    """Run :func:`_compute` in a child process; in this one if the child cannot run."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "layers.romanize"],
            input="\n".join(texts).encode("utf-8"),
            capture_output=True,
            check=True,
            timeout=600,
        )
        lines = done.stdout.decode("utf-8").split("\n")
        pairs = [tuple(line.split("\t")) for line in lines[: len(texts)]]
        if len(pairs) != len(texts) or any(len(p) != 2 for p in pairs):
            raise ValueError(f"{len(texts)} texts sent, {len(pairs)} answers read")
        return pairs  # type: ignore[return-value]
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log.warning(
            "pinyin: the child process failed (%s%s); computing in this process, which keeps "
            "pypinyin's dictionaries loaded",
            exc,
            (": " + detail.decode("utf-8", "replace")[-500:]) if detail else "",
        )
        return _compute(texts)


def _compute(texts: Sequence[str]) -> list[tuple[str, str]]:
    return [("".join(syllables(t)), initials(t)) for t in texts]


def _main() -> int:
    texts = sys.stdin.buffer.read().decode("utf-8").split("\n")
    out = "\n".join(f"{full}\t{initials}" for full, initials in _compute(texts))
    sys.stdout.buffer.write(out.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
