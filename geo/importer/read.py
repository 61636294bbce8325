"""Step 1: read a file (XLSX or CSV) into sheets of rows, streamed, within the import's limits.

A workbook is read with openpyxl in read-only mode, row after row, whatever its sheets declare
as their size (the ``<dimension>`` some tools write too small is ignored). Nothing holds every row
of a sheet: :class:`Sheet` gives its first rows (for the header) and then its rows once. What
the import reads is bounded by :class:`Limits` — rows, cells and unpacked bytes of a file — so
that a small file that unpacks to millions of rows is refused at once with a message naming the
limit, and never exhausts memory. A CSV file's encoding is detected (charset-normalizer):
UTF-8, GB18030, Big5 and Shift-JIS are read (Big5's Traditional Chinese converted to the
Simplified Chinese of the dataset by OpenCC); anything else is refused, naming the encoding.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from geo.extras import require

__all__ = [
    "FileError",
    "Limits",
    "Sheet",
    "decode",
    "detect_encoding",
    "open_sheets",
    "read_sheets",
]

MB = 2**20


class FileError(ValueError):
    """The file cannot be read (not a workbook or CSV, a refused encoding, over a limit).

    The message names the file, says why and what to do.
    """


@dataclass(frozen=True)
class Limits:
    """What one import reads at most (each can be set by its environment variable).

    ``rows``: rows of the file, every sheet read counted, blank ones too
    (``WANBEI_IMPORT_MAX_ROWS``); ``cells``: cells of those rows (``WANBEI_IMPORT_MAX_CELLS``);
    ``unpacked_mb``: megabytes of the CSV file, or of the workbook once unpacked
    (``WANBEI_IMPORT_MAX_MB``).
    """

    rows: int = 500_000
    cells: int = 10_000_000
    unpacked_mb: int = 1024

    ENV = {"rows": "WANBEI_IMPORT_MAX_ROWS", "cells": "WANBEI_IMPORT_MAX_CELLS"}
    ENV |= {"unpacked_mb": "WANBEI_IMPORT_MAX_MB"}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, or the values the environment sets.

        Raises
        ------
        ValueError
            A variable is not a positive whole number (the message names it).
        """
        environ = os.environ if environ is None else environ
        values = {}
        for name, variable in cls.ENV.items():
            text = environ.get(variable, "").strip().replace("_", "")
            if not text:
                continue
            if not text.isdigit() or int(text) <= 0:
                raise ValueError(f"{variable}={environ[variable]!r} is not a positive whole number")
            values[name] = int(text)
        return cls(**values)

    def exceeded(self, what: str, count: int, file: str) -> FileError:
        """The error for a file over the limit ``what`` (``rows``, ``cells``, ``unpacked_mb``)."""
        limit, variable = getattr(self, what), self.ENV[what]
        if what == "unpacked_mb":
            said = f"unpacks to {count:,} MB, more than the import's limit of {limit:,} MB"
        else:
            said = f"has more than {limit:,} {what}, the import's limit"
        return FileError(
            f"{file}: {said} ({variable}); split the file, or raise {variable} if the machine "
            "has the memory for it"
        )


@dataclass
class _Budget:
    """The rows and cells read so far of one file, against its limits."""

    limits: Limits
    file: str
    rows: int = 0
    cells: int = 0

    def take(self, cells: int) -> None:
        self.rows += 1
        self.cells += cells
        if self.rows > self.limits.rows:
            raise self.limits.exceeded("rows", self.rows, self.file)
        if self.cells > self.limits.cells:
            raise self.limits.exceeded("cells", self.cells, self.file)


@dataclass
class Sheet:
    """One worksheet (or a CSV file): its first rows, then its rows, read once.

    Rows are ``(row number, cells)``; the row number is the spreadsheet's (1 = its first row).
    """

    name: str
    source: Iterator[tuple[int, list[object]]]
    letters: bool = True  # XLSX: columns have letters
    encoding: str | None = None  # CSV: the encoding it was read in
    size: int | None = None  # the number of rows, when known before reading them
    _head: list[tuple[int, list[object]]] = field(default_factory=list)

    def head(self, n: int = 10) -> list[tuple[int, list[object]]]:
        """The first ``n`` rows (read once, kept)."""
        while len(self._head) < n:
            row = next(self.source, None)
            if row is None:
                break
            self._head.append(row)
        return self._head[:n]

    def rows_after(self, position: int) -> Iterator[tuple[int, list[object]]]:
        """The rows after the ``position``-th (0-based) row of the head, read as they come."""
        kept, self._head = self._head[position + 1 :], []
        yield from kept
        yield from self.source

    @property
    def rows(self) -> list[tuple[int, list[object]]]:
        """Every row (reads the rest of the sheet into memory: for small sheets and tests)."""
        self._head += list(self.source)
        return list(self._head)


@contextmanager
def open_sheets(
    path: str | Path, sheet: str | None = None, limits: Limits | None = None
) -> Iterator[list[Sheet]]:
    """Open an XLSX workbook (every sheet, or ``sheet``) or a CSV file, to read it row by row.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.xlsx``/``.xlsm`` (openpyxl in read-only mode; formulas give their saved values) or
        ``.csv``/``.txt``/``.tsv`` (UTF-8 with or without BOM, UTF-16 with BOM, GB18030, Big5 or
        Shift-JIS; comma, semicolon or tab separated).
    sheet : str, optional
        The only sheet to read.
    limits : Limits, optional
        Default: :meth:`Limits.from_env`.

    Yields
    ------
    list of Sheet
        Their rows are read while the ``with`` block runs; reading past a limit raises
        :class:`FileError`.

    Raises
    ------
    FileError
        The file cannot be read; the message says why and what to do.
    """
    path = Path(path)
    limits = limits or Limits.from_env()
    if not path.is_file():
        raise FileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        with _open_xlsx(path, sheet, limits) as sheets:
            yield sheets
        return
    if suffix in (".csv", ".txt", ".tsv"):
        yield [_read_csv(path, limits)]
        return
    if suffix == ".xls":
        raise FileError(f"{path.name}: old Excel .xls files are not read; save it as .xlsx or CSV")
    raise FileError(f"{path.name}: unknown file type {suffix!r}; give an .xlsx or .csv file")


def read_sheets(
    path: str | Path, sheet: str | None = None, limits: Limits | None = None
) -> list[Sheet]:
    """:func:`open_sheets`, with every row read into memory (for small files and tests)."""
    with open_sheets(path, sheet, limits) as sheets:
        for sh in sheets:
            sh.rows  # noqa: B018 - read every row now, while the file is open
        return sheets


# --- XLSX ----------------------------------------------------------------------------------------


@contextmanager
def _open_xlsx(path: Path, only: str | None, limits: Limits) -> Iterator[list[Sheet]]:
    openpyxl = require("openpyxl", "import", "Importing an Excel workbook")
    rows_by_part = _check_package(path, limits)
    size = sum(rows_by_part.values()) if only is None else None
    if size is not None and size > limits.rows:  # before openpyxl reads anything
        raise limits.exceeded("rows", size, path.name)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
        raise FileError(f"{path.name}: cannot be read as an Excel workbook ({exc})") from None
    try:
        names = wb.sheetnames
        if only is not None and only not in names:
            raise FileError(f"{path.name}: no sheet {only!r}; the sheets are: {', '.join(names)}")
        budget = _Budget(limits, path.name)
        chosen = [ws for ws in wb.worksheets if only is None or ws.title == only]
        sheets = []
        for ws in chosen:
            ws.reset_dimensions()  # read every row, whatever <dimension> says
            sheets.append(Sheet(ws.title, _xlsx_rows(ws, budget, path.name)))
        if size is not None and len(sheets) == 1:
            sheets[0].size = size
        yield sheets
    finally:
        wb.close()


def _xlsx_rows(ws, budget: _Budget, file: str) -> Iterator[tuple[int, list[object]]]:
    try:
        for number, values in enumerate(ws.iter_rows(values_only=True), 1):
            cells = list(values)
            while cells and cells[-1] is None:
                cells.pop()
            budget.take(len(cells))
            yield number, cells
    except FileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken part of the workbook
        raise FileError(f"{file}: sheet {ws.title!r} cannot be read ({exc})") from None


def _check_package(path: Path, limits: Limits) -> dict[str, int]:
    """Refuse a workbook that unpacks to more than the limit; count each worksheet's rows.

    The unpacked sizes are the ones the zip declares; zipfile never unpacks more than that.
    Rows are counted on the raw XML (``<row`` elements), which is fast and does not depend on
    the ``<dimension>`` the sheet declares.
    """
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            unpacked = sum(i.file_size for i in infos)
            if unpacked > limits.unpacked_mb * MB:
                raise limits.exceeded("unpacked_mb", -(-unpacked // MB), path.name)
            parts = [i for i in infos if i.filename.startswith("xl/worksheets/sheet")]
            return {i.filename: _count_rows(z, i) for i in parts}
    except zipfile.BadZipFile as exc:
        raise FileError(f"{path.name}: cannot be read as an Excel workbook ({exc})") from None


def _count_rows(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    count, tail = 0, b""
    with z.open(info) as f:
        while block := f.read(1 << 20):
            data = tail + block
            count += data.count(b"<row ") + data.count(b"<row>")
            tail = data[-4:]  # shorter than a match: nothing in it is counted twice
    return count


# --- CSV -----------------------------------------------------------------------------------------

#: Encodings read (charset-normalizer's name → the codec used), by family.
_ENCODINGS = {
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "cp950": "cp950",
    "shift_jis": "cp932",
    "cp932": "cp932",
    "shift_jis_2004": "shift_jis_2004",
    "shift_jisx0213": "shift_jisx0213",
    "utf_16": "utf-16",
    "utf_32": "utf-32",
}
#: The Big5 codecs: their text is Traditional Chinese, converted to Simplified (OpenCC ``t2s``).
BIG5 = ("big5hkscs", "cp950")
_LABELS = {"gb18030": "GB18030", "big5hkscs": "Big5", "cp950": "Big5", "cp932": "Shift-JIS"}
_LABELS |= {"shift_jis_2004": "Shift-JIS", "shift_jisx0213": "Shift-JIS"}


def detect_encoding(data: bytes, name: str = "file") -> str:
    """The codec to decode CSV bytes with: UTF-8 if it is, else what charset-normalizer finds.

    UTF-8 (with or without BOM) and UTF-16 with BOM are taken as such. Other bytes are given to
    charset-normalizer; GB18030 (and GBK, GB2312), Big5 and Shift-JIS are read, anything else
    is refused naming what was found.

    Raises
    ------
    FileError
        Not text in an encoding the import reads.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    detector = require("charset_normalizer", "import", "Reading a CSV file that is not UTF-8")
    best = detector.from_bytes(data).best()
    found = best.encoding if best is not None else None
    if found in _ENCODINGS:
        return _ENCODINGS[found]
    what = f"looks like {found} text" if found else "is not text in any encoding found"
    raise FileError(
        f"{name}: {what}, which the import does not read (it reads UTF-8, GB18030, Big5 and "
        "Shift-JIS); save it as CSV UTF-8"
    )


def encoding_label(codec: str) -> str:
    """How people name a codec: ``big5hkscs`` → Big5."""
    return _LABELS.get(codec, codec.upper().replace("-SIG", " with BOM"))


def decode(data: bytes, name: str = "file") -> str:
    """Decode CSV bytes in the encoding :func:`detect_encoding` finds."""
    codec = detect_encoding(data, name)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise FileError(
            f"{name}: is not valid {encoding_label(codec)} text ({exc.reason} at byte "
            f"{exc.start}); save it as CSV UTF-8"
        ) from None


def _read_csv(path: Path, limits: Limits) -> Sheet:
    size = path.stat().st_size
    if size > limits.unpacked_mb * MB:
        raise limits.exceeded("unpacked_mb", -(-size // MB), path.name)
    data = path.read_bytes()
    codec = detect_encoding(data, path.name)
    text = decode(data, path.name)
    del data
    if codec in BIG5:  # Traditional Chinese: the dataset's Chinese is Simplified
        import opencc  # noqa: PLC0415 - only Big5 files need it

        text = opencc.OpenCC("t2s").convert(text)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)

    def records() -> Iterator[list[str]]:
        return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    try:
        count = sum(1 for _ in records())
    except csv.Error as exc:
        raise FileError(f"{path.name}: cannot be read as CSV ({exc})") from None
    if count > limits.rows:
        raise limits.exceeded("rows", count, path.name)
    budget = _Budget(limits, path.name)

    def rows() -> Iterator[tuple[int, list[object]]]:
        for number, record in enumerate(records(), 1):
            budget.take(len(record))
            yield number, list(record)

    return Sheet(path.name, rows(), letters=False, encoding=codec, size=count)
