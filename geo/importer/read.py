"""Step 1: read a file (XLSX or CSV) into sheets of rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from geo.extras import require

# --- reading the file ----------------------------------------------------------------------------


@dataclass
class Sheet:
    """The rows of one worksheet (or of a CSV file): ``(row number, cells)``."""

    name: str
    rows: list[tuple[int, list[object]]]
    letters: bool = True  # XLSX: columns have letters


def read_sheets(path: str | Path, sheet: str | None = None) -> list[Sheet]:
    """Read an XLSX workbook (every sheet, or ``sheet``) or a CSV file.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.xlsx``/``.xlsm`` (openpyxl; formulas give their saved values) or ``.csv``/``.txt``
        (UTF-8, UTF-8 with BOM or GB18030; comma, semicolon or tab separated).
    sheet : str, optional
        The only sheet to read.

    Returns
    -------
    list of Sheet

    Raises
    ------
    ValueError
        The file cannot be read; the message says why and what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in (".csv", ".txt", ".tsv"):
        return [_read_csv(path)]
    if suffix == ".xls":
        raise ValueError(f"{path.name}: old Excel .xls files are not read; save it as .xlsx or CSV")
    raise ValueError(f"{path.name}: unknown file type {suffix!r}; give an .xlsx or .csv file")


def _read_xlsx(path: Path, only: str | None) -> list[Sheet]:
    openpyxl = require("openpyxl", "import", "Importing an Excel workbook")

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
        raise ValueError(f"{path.name}: cannot be read as an Excel workbook ({exc})") from None
    try:
        names = wb.sheetnames
        if only is not None and only not in names:
            raise ValueError(f"{path.name}: no sheet {only!r}; the sheets are: {', '.join(names)}")
        sheets = []
        for ws in wb.worksheets:
            if only is not None and ws.title != only:
                continue
            rows = [(i, list(values)) for i, values in enumerate(ws.iter_rows(values_only=True), 1)]
            sheets.append(Sheet(ws.title, rows))
        return sheets
    finally:
        wb.close()


def decode(data: bytes, name: str = "file") -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030 (Excel's 'CSV' in China)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{name}: is neither UTF-8 nor GB18030 text; save it as CSV UTF-8")


def _read_csv(path: Path) -> Sheet:
    text = decode(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return Sheet(path.name, [(i, list(r)) for i, r in enumerate(reader, 1)], letters=False)
