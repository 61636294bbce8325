"""Read the CSV files of a data directory into typed DataFrames, collecting every problem.

Nothing here raises on bad data: each function returns what it could read plus a list of
:class:`~geo.errors.Problem`, so that one run reports every problem in every file at once.
"""

from __future__ import annotations

import csv
import re
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import Problem
from geo.schema import TABLES, Column, Table
from geo.text import forbidden_character

_ADCODE = re.compile(r"^[1-8]\d{5}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# China's extent, generously: outside it a point is certainly wrong for this programme.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


def read_table(path: Path, table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one CSV file as text, check its header and parse every cell by the schema.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file (UTF-8, with or without a BOM).
    table : geo.schema.Table
        Its declaration.

    Returns
    -------
    (pandas.DataFrame, list of Problem)
        The typed frame (one row per record, with a ``row_number`` column holding the record's line
        number) and the problems found. Cells that fail to parse become missing values.
    """
    name = path.name
    if not path.is_file():
        return _empty(table), [Problem(name, None, None, f"file is missing from {path.parent}")]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return _empty(table), [
            Problem(
                name,
                None,
                None,
                f"is not UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV",
            )
        ]
    reader = csv.reader(_lines(text))
    first = next(reader, None)
    if first is None:
        return _empty(table), [Problem(name, None, None, "is empty; it needs a header row")]
    header = [h.strip() for h in first]
    problems = _check_header(name, header, table)
    if any(p.column in {c.name for c in table.columns} for p in problems):
        return _empty(table), problems  # a required column is missing: cells can't be trusted

    # Each record is parsed as it is read (no list of every row, no column of raw cells kept),
    # and each column's cells go through a cache of the cells already seen: a repeated value is
    # parsed once, and repeated text is one shared object.
    columns = [(header.index(col.name), _Column(name, col)) for col in table.columns]
    line_numbers = array("q")
    for i, rec in enumerate(reader, start=2):
        if not any(cell.strip() for cell in rec):
            continue
        if len(rec) != len(header):
            problems.append(
                Problem(
                    name,
                    i,
                    None,
                    f"has {len(rec)} fields, the header has {len(header)}; "
                    "quote any value that contains a comma",
                )
            )
            continue
        line_numbers.append(i)
        for position, column in columns:
            column.add(i, rec[position].strip())
    del text, reader
    frame = pd.DataFrame({"row_number": pd.array(np.asarray(line_numbers), dtype="Int64")})
    for _, column in columns:
        frame[column.col.name] = column.values()
        problems += column.problems
    problems += _check_unique(name, frame, table.key)
    return frame, problems


def read_tables(data_dir: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read every table of the schema from ``data_dir``; see :func:`read_table`."""
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for table in TABLES.values():
        frames[table.name], found = read_table(Path(data_dir) / table.filename, table)
        problems += found
    problems += check_references(frames)
    return frames, problems


def check_references(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Check that every reference (a pairing's adcodes, a project's park…) resolves."""
    problems: list[Problem] = []
    for table in TABLES.values():
        frame = frames[table.name]
        for col in table.columns:
            if not col.references:
                continue
            target, key = col.references
            known = set(frames[target][key].dropna())
            for row, value in zip(frame["row_number"], frame[col.name], strict=True):
                if pd.notna(value) and value not in known:
                    problems.append(
                        Problem(
                            table.filename,
                            int(row),
                            col.name,
                            f"{value!r} is not an existing {key} of {target}.csv; "
                            "add it there or fix the value",
                        )
                    )
    return problems


def _empty(table: Table) -> pd.DataFrame:
    return pd.DataFrame(
        {"row_number": pd.array([], dtype="Int64"), **{c.name: [] for c in table.columns}}
    )


def _check_header(name: str, header: list[str], table: Table) -> list[Problem]:
    expected = [c.name for c in table.columns]
    problems = [
        Problem(name, 1, col, "column is missing from the header; add it (it may stay empty)")
        for col in expected
        if col not in header
    ]
    problems += [
        Problem(name, 1, col, f"unknown column; the columns are: {', '.join(expected)}")
        for col in header
        if col not in expected
    ]
    dupes = sorted({c for c in header if header.count(c) > 1})
    problems += [Problem(name, 1, c, "column appears twice in the header") for c in dupes]
    return problems


def _check_unique(name: str, frame: pd.DataFrame, key: str) -> list[Problem]:
    dup = frame[key].notna() & frame.duplicated(key, keep="first")
    first = frame.drop_duplicates(key).set_index(key)["row_number"]
    return [
        Problem(
            name,
            int(row),
            key,
            f"{value!r} is already used in row {first[value]}; ids must be unique",
        )
        for row, value in zip(frame.loc[dup, "row_number"], frame.loc[dup, key], strict=True)
    ]


#: The characters that end a line for :meth:`str.splitlines`.
_LINE_ENDS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _lines(text: str, block: int = 1 << 20) -> Iterator[str]:
    """Yield ``text.splitlines()`` one line at a time, without the list of every line."""
    start, carry = 0, ""
    while start < len(text):
        lines = (carry + text[start : start + block]).splitlines(keepends=True)
        start += block
        carry = lines.pop()  # may go on in the next block (or be a "\r" before its "\n")
        for line in lines:
            yield line.rstrip(_LINE_ENDS)  # one line ending each, and only at the end
    yield from carry.splitlines()


class _Column:
    """The parsed values and the problems of one column, filled cell by cell."""

    #: The cache of parsed cells is dropped when it holds more than this share of the rows seen
    #: (looked at every CACHE_CHECK values it holds): in a column of ids, names or coordinates
    #: nearly every value is new, so the cache would only cost memory.
    CACHE_SHARE = 0.5
    CACHE_CHECK = 1024

    def __init__(self, name: str, col: Column) -> None:
        self.name, self.col = name, col
        self.problems: list[Problem] = []
        self._numbers = col.kind in ("float", "lon", "lat")
        self._out: list | array = array("d") if self._numbers else []
        self._cache: dict[str, tuple[object, str | None]] | None = {}

    def add(self, row: int, cell: str) -> None:
        """Parse the (stripped) cell of line ``row``."""
        if cell == "":
            if self.col.required:
                self.problems.append(
                    Problem(self.name, row, self.col.name, f"is empty; {self.col.name} is required")
                )
            self._out.append(np.nan if self._numbers else None)
            return
        cache = self._cache
        parsed = None if cache is None else cache.get(cell)
        if parsed is None:
            parsed = parse_cell(self.col, cell)
            if cache is not None:
                cache[cell] = parsed
                held = len(cache)
                if held % self.CACHE_CHECK == 0 and held > (len(self._out) + 1) * self.CACHE_SHARE:
                    self._cache = None
        value, error = parsed
        if error:
            self.problems.append(Problem(self.name, row, self.col.name, error))
        self._out.append(np.nan if self._numbers and value is None else value)

    def values(self) -> np.ndarray | pd.api.extensions.ExtensionArray:
        """The column's values, typed by its kind; unparsable cells are missing."""
        self._cache = None
        if self.col.kind in ("int", "year"):
            return pd.array(self._out, dtype="Int64")
        if self._numbers:
            return np.array(self._out, dtype=float)
        return pd.Series(self._out, dtype=object).values


def parse_cell(col: Column, cell: str) -> tuple[object, str | None]:
    """Return (value, error message or None).

    Any cell holding a control, bidi-override or noncharacter (:mod:`geo.text`) is refused, so
    that data never carries them into pages, downloads or a terminal.
    """
    forbidden = forbidden_character(cell)
    if forbidden:
        return None, forbidden
    if col.allowed and cell not in col.allowed:
        return None, f"{cell!r} is not allowed; use one of: {', '.join(col.allowed)}"
    kind = col.kind
    if kind == "adcode":
        if not _ADCODE.match(cell):
            return None, f"{cell!r} is not a 6-digit adcode (e.g. 340300)"
        return cell, None
    if kind == "id":
        if not _ID.match(cell):
            return None, f"{cell!r} is not a valid id (letters, digits, '.', '_', '-')"
        return cell, None
    if kind in ("int", "year"):
        try:
            value = int(cell)
        except ValueError:
            return None, f"{cell!r} is not a whole number"
        if kind == "year" and not 1949 <= value <= 2100:
            return None, f"{value} is not a plausible year (YYYY)"
        if value < 0:
            return None, f"{value} is negative"
        return value, None
    if kind in ("float", "lon", "lat"):
        try:
            value = float(cell)
        except ValueError:
            return None, f"{cell!r} is not a number (use '.' as the decimal mark, no units)"
        if not np.isfinite(value):
            return None, f"{cell!r} is not a finite number"
        if kind == "lon" and not LON_RANGE[0] <= value <= LON_RANGE[1]:
            hint = " (lon and lat look swapped)" if LAT_RANGE[0] <= value <= LAT_RANGE[1] else ""
            return None, f"longitude {value} is outside China ({LON_RANGE[0]}–{LON_RANGE[1]}){hint}"
        if kind == "lat" and not LAT_RANGE[0] <= value <= LAT_RANGE[1]:
            hint = " (lon and lat look swapped)" if LON_RANGE[0] <= value <= LON_RANGE[1] else ""
            return None, f"latitude {value} is outside China ({LAT_RANGE[0]}–{LAT_RANGE[1]}){hint}"
        if kind == "float" and value < 0:
            return None, f"{value} is negative"
        return value, None
    if kind == "date":
        m = _DATE.match(cell)
        if not m or not _valid_date(m):
            return None, f"{cell!r} is not a date as YYYY, YYYY-MM or YYYY-MM-DD"
        return cell, None
    return cell, None


def _valid_date(m: re.Match) -> bool:
    year, month, day = (int(g) if g else None for g in m.groups())
    if month is None:
        return 1949 <= year <= 2100
    if day is None:
        return 1 <= month <= 12
    try:
        pd.Timestamp(year=year, month=month, day=day)
    except ValueError:
        return False
    return True
