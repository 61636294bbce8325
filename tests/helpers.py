"""Small helpers to break a copy of the data in one precise place."""

from __future__ import annotations

import csv
from pathlib import Path


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_cell(path: Path, key: str, key_value: str, column: str, value: str) -> int:
    """Set one cell; return the line number of the changed row (the header is line 1)."""
    header, rows = read_rows(path)
    for i, row in enumerate(rows):
        if row[key] == key_value:
            row[column] = value
            write_rows(path, header, rows)
            return i + 2
    raise KeyError(f"no row with {key}={key_value} in {path}")
