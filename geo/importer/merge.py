"""Step 5: plan an import — read the rows, merge them into the table by id, and validate the
whole resulting dataset; nothing is written here."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from geo import coords
from geo.dataset import BOUNDARIES_FILE, data_version, load_dataset
from geo.errors import DataError
from geo.gazetteer import load_gazetteer, normalise_text
from geo.importer.headers import (
    CRS_ALIASES,
    HEADERS,
    IMPORT_LAYERS,
    PROGRAMME_PROVINCES,
    ImportLayer,
    map_header,
)
from geo.importer.layers import READERS
from geo.importer.normalise import cell_text, place_row
from geo.importer.problems import ImportPlan, ImportProblem, problem_order
from geo.importer.read import BIG5, Limits, Sheet, encoding_label, open_sheets
from geo.importer.rows import Context, Row
from geo.load import parse_cell
from geo.schema import TABLES, Table
from geo.text import forbidden_character
from geo.writer import recover

TOTAL_ROWS = {"合计", "总计", "小计", "total"}


def read_table_text(path: Path, table: Table) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        return [c.name for c in table.columns], []
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [c.name for c in table.columns])
    return header, [{k: (v or "") for k, v in r.items() if k is not None} for r in reader]


def table_bytes(header: list[str], rows: Iterable[dict[str, str] | list[str]]) -> bytes:
    """A table as CSV bytes (UTF-8): rows as dicts, or as lists in the order of ``header``."""
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(c, "") for c in header] if isinstance(r, dict) else r)
    text.flush()
    return out.getvalue()


def _canon(table: Table, row: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for col in table.columns:
        if col.name == "updated":
            continue
        text = row.get(col.name, "") or ""
        if col.kind in ("float", "lon", "lat") and text:
            try:
                out[col.name] = round(float(text), 9)
                continue
            except ValueError:
                pass
        out[col.name] = text
    return out


# --- planning and applying -----------------------------------------------------------------------


def plan_import(
    path: str | Path,
    layer: ImportLayer,
    data_dir: str | Path,
    *,
    crs: str | None = None,
    accept_valid: bool = False,
    replace: bool = False,
    source: str | None = None,
    sheet: str | None = None,
    today: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    limits: Limits | None = None,
) -> ImportPlan:
    """Read ``path`` into ``layer``, merge it into ``data_dir`` and validate the result.

    Parameters
    ----------
    path : str or pathlib.Path
        The spreadsheet: ``.xlsx`` or ``.csv`` (UTF-8, GB18030, Big5 or Shift-JIS).
    layer : {"projects", "parks", "partnerships", "pairings", "places", "plan"}
        The table the rows go into.
    data_dir : str or pathlib.Path
        The data directory (also where ``gazetteer.csv`` is read, else the shipped one).
    crs : {"wgs84", "gcj02", "bd09"}, optional
        The coordinate system of the file's 经度/纬度 (a row's ``坐标系`` wins).
    accept_valid : bool
        Keep the valid rows when some are rejected (the default keeps none).
    replace : bool
        The file is the whole table: rows it lacks are removed.
    source : str, optional
        The source of rows that give none (default: the file's name).
    sheet : str, optional
        Read only this sheet of a workbook.
    today : str, optional
        The ``updated`` date of changed rows (YYYY-MM-DD; default: today, UTC).
    progress : callable, optional
        Called as ``progress(done, total)`` while rows are read (``total`` None when unknown).
    limits : Limits, optional
        What the file may hold at most (default: :meth:`Limits.from_env`).

    Returns
    -------
    ImportPlan
        ``contents`` holds the files to write; empty when nothing would change, or when rows
        were rejected and ``accept_valid`` is false.

    Raises
    ------
    FileError
        The file cannot be read: not a workbook or CSV, an encoding the import does not read,
        or more rows, cells or bytes than ``limits`` allow. Nothing is planned.
    """
    if layer not in IMPORT_LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(IMPORT_LAYERS)}")
    if crs is not None and crs not in coords.CRS_NAMES:
        crs_key = normalise_text(crs)
        if crs_key not in CRS_ALIASES:
            raise ValueError(f"unknown crs {crs!r}; expected one of wgs84, gcj02, bd09")
        crs = CRS_ALIASES[crs_key]
    path, data_dir = Path(path), Path(data_dir)
    today = today or datetime.now(UTC).date().isoformat()
    plan = ImportPlan(file=path.name, layer=layer, data_dir=str(data_dir))
    limits = limits or Limits.from_env()
    if data_dir.is_dir():
        recover(data_dir)  # complete an import killed after its commit, history line and all
    gaz_path = data_dir / "gazetteer.csv"
    gazetteer = load_gazetteer(gaz_path if gaz_path.is_file() else None)
    headers: dict[str, list[str]] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    for name in ("places", "pairings", "parks", layer):
        headers[name], tables[name] = read_table_text(data_dir / f"{name}.csv", TABLES[name])
    ctx = Context(
        layer,
        tables,
        gazetteer,
        crs,
        source or f"{path.name} (imported {today})",
        today,
    )
    if data_dir.is_dir():
        plan.version_before = data_version(data_dir)

    with open_sheets(path, sheet, limits) as sheets:
        rows = _read_rows(sheets, layer, plan, ctx, progress)
    _check_duplicates(rows)
    _plan_merge(plan, rows, ctx, headers, data_dir, accept_valid, replace)
    return plan


def _read_rows(
    sheets: list[Sheet],
    layer: str,
    plan: ImportPlan,
    ctx: Context,
    progress: Callable[[int, int | None], None] | None,
) -> list[Row]:
    """Read the data rows of every sheet with a header for ``layer``, one row at a time."""
    mapped = []
    for sh in sheets:
        if sh.encoding and sh.encoding not in ("utf-8", "utf-8-sig"):
            said = f"read as {encoding_label(sh.encoding)}"
            if sh.encoding in BIG5:
                said += ", its Traditional Chinese converted to Simplified (OpenCC t2s)"
            plan.notes.append(ImportProblem(sh.name, None, None, None, said))
        pos, columns, problems, notes = map_header(sh, layer)
        if pos is None:
            if len(sheets) > 1 and any(map_header(s, layer)[0] is not None for s in sheets):
                plan.notes.append(
                    ImportProblem(sh.name, None, None, None, f"no {layer} header; sheet skipped")
                )
            else:
                plan.problems += problems
            continue
        plan.problems += problems
        plan.notes += notes
        mapped.append((sh, pos, columns))
    sizes = [sh.size for sh, _, _ in mapped]
    total = None if None in sizes else sum(sh.size - pos - 1 for sh, pos, _ in mapped)
    done = 0
    rows: list[Row] = []
    for sh, pos, columns in mapped:
        for number, cells in sh.rows_after(pos):
            done += 1
            if progress:
                progress(done, total)
            values = {
                c.field: (c, cells[c.index] if c.index < len(cells) else None) for c in columns
            }
            if all(cell_text(v) == "" for _, v in values.values()):
                continue
            first = next((cell_text(v) for v in cells if cell_text(v)), "")
            if normalise_text(first) in TOTAL_ROWS:
                plan.notes.append(ImportProblem(sh.name, number, None, first, "total row skipped"))
                continue
            row = Row(sh.name, number, values)
            if not _refuse_forbidden(row):
                READERS[layer](row, ctx)
            if row.id is None and not row.problems:
                row.problem(
                    "id",
                    "cannot identify the row",
                    "give an id, or the name and the pair",
                    value="",
                )
            row.done()
            rows.append(row)
    plan.rows_read = len(rows)
    return rows


def _refuse_forbidden(row: Row) -> bool:
    """Report each cell holding a control, bidi-override or noncharacter; True if any does."""
    found = False
    for name, (_, value) in row.cells.items():
        if isinstance(value, str):
            reason = forbidden_character(value)
            if reason:
                row.problem(name, reason, "the import keeps no control characters")
                found = True
    return found


def _check_duplicates(rows: list[Row]) -> None:
    first: dict[str, Row] = {}
    for row in rows:
        if row.id is None:
            continue
        if row.id in first:
            other = first[row.id]
            row.problem(
                "id" if row.has("id") else "name_zh",
                f"is the same row as row {other.number} of {other.sheet} (id {row.id})",
                "keep one of the two rows",
                value=row.text("id") or row.text("name_zh"),
            )
        else:
            first[row.id] = row


def _plan_merge(
    plan: ImportPlan,
    rows: list[Row],
    ctx: Context,
    headers: dict[str, list[str]],
    data_dir: Path,
    accept_valid: bool,
    replace: bool,
) -> None:
    layer, table = ctx.layer, TABLES[ctx.layer]
    header = headers[layer]
    candidates = [r for r in rows if not r.problems]
    unattributed = False
    validated = None  # what the dataset accepted: merged table, places added, files
    for _ in range(len(rows) + 1):  # drop the rows the dataset rejects, then try again
        merged, places_added, origin = _merge(plan, candidates, ctx, table, header, replace, rows)
        for row in candidates:  # cell checks the schema makes
            cells = merged.get(row.id)
            _check_cells(row, dict(zip(header, cells, strict=True)) if cells else None, table)
        bad = [r for r in candidates if r.problems]
        if bad:
            candidates = [r for r in candidates if not r.problems]
            continue
        contents = {}
        if places_added:
            contents["places.csv"] = table_bytes(
                headers["places"], ctx.tables["places"] + places_added
            )
        ordered = list(merged.values())
        contents[f"{layer}.csv"] = table_bytes(header, ordered)
        key_index = header.index(table.key)
        unattributed = _validate(plan, ctx, data_dir, contents, ordered, key_index, origin, rows)
        del ordered, origin
        bad = [r for r in candidates if r.problems]
        if not unattributed and not bad:
            validated = merged, places_added, contents  # the candidates are the accepted rows
        if unattributed or not bad:
            break
        candidates = [r for r in candidates if not r.problems]
        del merged, contents
    plan.problems += [p for r in rows for p in r.problems]
    plan.problems = sorted(set(plan.problems), key=problem_order)
    plan.notes = sorted(
        set(plan.notes + [n for r in rows if not r.problems for n in r.notes]), key=problem_order
    )
    plan.rejected_rows = sorted({(r.sheet, r.number) for r in rows if r.problems})
    accepted = [r for r in rows if not r.problems]
    plan.rows_accepted = len(accepted)
    if validated is None:
        merged, places_added, _ = _merge(plan, accepted, ctx, table, header, replace, rows)
        contents = None
    else:
        merged, places_added, contents = validated
    if plan.rejected_rows and replace:
        plan.removed = []
        plan.problems.append(
            ImportProblem(
                plan.file,
                None,
                None,
                None,
                "rows were rejected, so no row is removed",
                "with --replace every row of the file must be accepted",
            )
        )
    if unattributed or (plan.problems and not accept_valid):
        plan.contents = {}
        return
    if not (plan.added or plan.changed or plan.removed or places_added):
        plan.contents = {}
        return
    if contents is None:
        contents = {}
        if places_added:
            contents["places.csv"] = table_bytes(
                headers["places"], ctx.tables["places"] + places_added
            )
        contents[f"{layer}.csv"] = table_bytes(header, list(merged.values()))
    del merged
    plan.contents = contents
    plan.version_after = _version_of(data_dir, contents)


def _merge(
    plan: ImportPlan,
    rows: list[Row],
    ctx: Context,
    table: Table,
    header: list[str],
    replace: bool,
    all_rows: list[Row],
) -> tuple[dict[str, list[str]], list[dict[str, str]], dict[str, object]]:
    """The new table (id → its cells in the order of ``header``), the places to add, and where
    each row comes from (lists, not dicts: a table may have hundreds of thousands of rows)."""
    merged = {r[table.key]: [r.get(c, "") for c in header] for r in ctx.tables[ctx.layer]}
    origin: dict[str, object] = dict.fromkeys(merged)
    plan.added, plan.changed, plan.unchanged, plan.removed = [], [], [], []
    for row in rows:
        cells = merged.get(row.id)
        old = dict(zip(header, cells, strict=True)) if cells is not None else None
        new = dict(old) if old else dict.fromkeys(header, "")
        new.update(row.values)
        new[table.key] = row.id
        origin[row.id] = row
        if old is not None and row.values.get("source") and "source" in old:
            new["source"] = merge_sources(old["source"], row.values["source"])
        if old is None:
            new["updated"] = ctx.today
            merged[row.id] = [new.get(c, "") for c in header]
            plan.added.append(row.id)
        elif _canon(table, old) != _canon(table, new):
            if not row.has("source") and "source" in old:  # the change's source: this file
                new["source"] = merge_sources(new["source"], ctx.default_source)
            new["updated"] = ctx.today
            merged[row.id] = [new.get(c, "") for c in header]
            plan.changed.append(row.id)
        else:
            plan.unchanged.append(row.id)
    if replace and not any(r.problems for r in all_rows):
        keep = {r.id for r in all_rows}
        for key in list(merged):
            if key not in keep:
                plan.removed.append(key)
                del merged[key]
    places_added: list[dict[str, str]] = []
    plan.places_added = []
    if ctx.layer != "places":
        known = set(ctx.places)
        for row in rows:
            for code in sorted(row.places):
                if code in known or code not in ctx.gazetteer:
                    continue
                known.add(code)
                if ctx.gazetteer.province_of(code) not in PROGRAMME_PROVINCES:
                    continue  # the dataset's validation reports it
                name = ctx.gazetteer.qualified_name(code)
                places_added.append(
                    place_row(ctx.gazetteer, code, ctx.today, f"added by the import of {plan.file}")
                )
                plan.places_added.append(code)
                row.note(None, f"{name} ({code}) added to places.csv from the gazetteer")
    return merged, places_added, origin


def merge_sources(old: str, new: str) -> str:
    """``old`` with the parts of ``new`` it lacks appended (``' ; '`` separated): a changed row
    keeps the sources of what it already held."""
    parts = [p.strip() for p in old.split(" ; ") if p.strip()]
    for part in (p.strip() for p in new.split(" ; ")):
        if part and part not in parts:
            parts.append(part)
    return " ; ".join(parts)


def _check_cells(row: Row, merged: dict[str, str] | None, table: Table) -> None:
    if merged is None:
        return
    for col in table.columns:
        text = merged.get(col.name, "")
        label = row.origin.get(col.name)
        if text == "":
            if col.required:
                if label is None:
                    row.problems.append(
                        ImportProblem(
                            row.sheet,
                            row.number,
                            col.name,
                            "",
                            f"{col.name} is required and the sheet has no value for it",
                            f"add a column for it ({_header_hint(table.name, col.name)})",
                        )
                    )
                else:
                    row.problems.append(
                        ImportProblem(row.sheet, row.number, label, "", "is empty but required")
                    )
            continue
        _, error = parse_cell(col, text)
        if error:
            row.problems.append(
                ImportProblem(row.sheet, row.number, label or col.name, text, error)
            )


def _header_hint(layer: str, column: str) -> str:
    headers = HEADERS[layer].get(column, (column,))
    return ", ".join(headers[:2])


def _validate(
    plan: ImportPlan,
    ctx: Context,
    data_dir: Path,
    contents: dict[str, bytes],
    ordered: list[list[str]],
    key_index: int,
    origin: dict[str, object],
    rows: list[Row],
) -> bool:
    """Validate the whole dataset with ``contents``; attribute each problem to a sheet row.

    Returns True when a problem cannot be attributed to a row of the sheet (the existing data
    would break): then nothing can be written.
    """
    layer_file = f"{plan.layer}.csv"
    with tempfile.TemporaryDirectory(prefix="wanbei-import-") as tmp:
        tmp_dir = Path(tmp)
        for t in TABLES.values():
            src = data_dir / t.filename
            if src.is_file():
                shutil.copyfile(src, tmp_dir / t.filename)
        if (data_dir / BOUNDARIES_FILE).is_file():
            shutil.copyfile(data_dir / BOUNDARIES_FILE, tmp_dir / BOUNDARIES_FILE)
        for name, data in contents.items():
            (tmp_dir / name).write_bytes(data)
        try:
            load_dataset(tmp_dir)
            return False
        except DataError as exc:
            found = exc.problems
    unattributed = False
    first_added = len(ctx.tables["places"]) + 2  # line of the first place the import adds
    for p in found:
        row: Row | None = None
        if p.file == layer_file and p.row is not None and 0 <= p.row - 2 < len(ordered):
            key = ordered[p.row - 2][key_index]
            candidate = origin.get(key)
            row = candidate if isinstance(candidate, Row) else None
        elif p.file == "places.csv" and p.row is not None and p.row >= first_added:
            index = p.row - first_added
            code = plan.places_added[index] if index < len(plan.places_added) else None
            row = next((r for r in rows if code in r.places and not r.problems), None)
        if row is None:
            unattributed = True
            plan.problems.append(
                ImportProblem(
                    f"data/{p.file}", p.row, p.column, None, f"after the import: {p.message}"
                )
            )
            continue
        label = row.origin.get(p.column or "", p.column)
        suggestion = ""
        if "GCJ-02" in p.message:
            suggestion = (
                "if the coordinates come from Amap or Tencent, say 坐标系 GCJ-02 (or --crs gcj02)"
            )
        row.problems.append(
            ImportProblem(row.sheet, row.number, label, None, p.message, suggestion)
        )
    return unattributed


def _version_of(data_dir: Path, contents: dict[str, bytes]) -> str:
    with tempfile.TemporaryDirectory(prefix="wanbei-version-") as tmp:
        tmp_dir = Path(tmp)
        for t in [*TABLES.values()]:
            src = data_dir / t.filename
            if t.filename in contents:
                (tmp_dir / t.filename).write_bytes(contents[t.filename])
            elif src.is_file():
                shutil.copyfile(src, tmp_dir / t.filename)
        if (data_dir / BOUNDARIES_FILE).is_file():
            shutil.copyfile(data_dir / BOUNDARIES_FILE, tmp_dir / BOUNDARIES_FILE)
        return data_version(tmp_dir)
