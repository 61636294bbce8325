"""Edit distance for the gazetteer's suggestions: rapidfuzz against the loop we wrote before.

The gazetteer suggests the nearest names for a place it does not know (``固真县`` → ``固镇县``):
difflib's close matches, then ranked by sound and by Levenshtein distance
(:func:`geo.gazetteer._rank`). This measures that distance two ways on the shipped gazetteer's
names: the pure-Python dynamic programme the gazetteer had (``ours``, kept below as the baseline)
and ``rapidfuzz.distance.Levenshtein.distance`` (what it uses now). Both give the same distance
for every pair (checked). Then it times whole suggestions (``Gazetteer.resolve`` of misspelt
names) with each, and checks that they suggest the same names.

Run: ``.venv/bin/python bench/fuzzy.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import gazetteer as gz  # noqa: E402

# Misspelt names as people type them: homophones, a wrong or missing character, a wrong level.
TYPOS = [
    "固真县",
    "蚌捕市",
    "宿洲",
    "淮比市",
    "亳洲市",
    "阜杨",
    "灵壁县",
    "泗县区",
    "萧县市",
    "凤阳县城",
]


def ours(a: str, b: str) -> int:
    """The Levenshtein distance the gazetteer computed by hand before (the baseline)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _suggestions(g: gz.Gazetteer) -> list[tuple[str, ...]]:
    out = []
    for text in TYPOS:
        try:
            g.resolve(text)
            out.append(())
        except gz.PlaceError as exc:
            out.append(tuple(exc.suggestions))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    g = gz.load_gazetteer()
    names = sorted({gz.normalise_text(u.name_zh) for u in g.units.values()})
    pairs = [(t, n) for t in TYPOS for n in names]
    assert [ours(a, b) for a, b in pairs] == [Levenshtein.distance(a, b) for a, b in pairs]
    t_ours = _best(lambda: [ours(a, b) for a, b in pairs], args.repeat)
    t_lib = _best(lambda: [Levenshtein.distance(a, b) for a, b in pairs], args.repeat)

    lib_found = _suggestions(g)
    t_sug_lib = _best(lambda: _suggestions(g), args.repeat)
    with mock.patch.object(gz, "Levenshtein", SimpleNamespace(distance=ours)):
        our_found = _suggestions(g)
        t_sug_ours = _best(lambda: _suggestions(g), args.repeat)
    assert our_found == lib_found, (our_found, lib_found)

    print(f"{len(pairs):,} distances ({len(TYPOS)} misspelt names x {len(names):,} names)")
    print(f"{'':24}{'ours':>10}{'rapidfuzz':>12}{'ours/rapidfuzz':>16}")
    print(
        f"{'all distances (ms)':24}{t_ours * 1e3:10.1f}{t_lib * 1e3:12.1f}{t_ours / t_lib:15.1f}x"
    )
    print(
        f"{'10 suggestions (ms)':24}{t_sug_ours * 1e3:10.1f}{t_sug_lib * 1e3:12.1f}"
        f"{t_sug_ours / t_sug_lib:15.2f}x"
    )
    print("same distances and same suggestions: yes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
