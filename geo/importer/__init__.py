"""Import the officials' spreadsheets (XLSX or CSV) into one table of the dataset.

:func:`plan_import` reads a file, maps its headers onto the schema through :data:`HEADERS`,
reads every cell (places through the gazetteer, amounts in 万元/亿元, dates in the common forms,
coordinates in WGS84/GCJ-02/BD-09), merges the rows into the current table by id, and validates
the *whole* resulting dataset with :func:`geo.dataset.load_dataset` in a temporary directory. It
writes nothing: it returns an :class:`ImportPlan` with every problem (sheet, row, column, value,
reason, suggestion), what would be added, changed and removed, and the bytes of the files to
write. :func:`apply_import` writes them with :mod:`geo.writer` (atomic, with backup and history).

The rules (also in ``docs/import.md``, whose header tables :func:`markdown` generates):

* **Headers.** Compared without spaces, case or full-width forms; a bracket after a header gives
  the column's unit or coordinate system: ``投资额(万元)``, ``面积(亩)``, ``经度(GCJ-02)``. A
  title row above the header is skipped (the header is the first of the first 10 rows with at
  least two known headers). Unknown columns are listed and ignored; ``序号`` is ignored silently.
* **Ids.** A row is matched to the table by its id when the sheet has an id column; otherwise
  by (pairing, Chinese name) for projects, parks and partnerships, by the pair for pairings and
  by the adcode for places. An unmatched row gets a new id derived from its content:
  ``PR-``/``PK-``/``PS-`` + the pairing's two adcodes + the first 8 hex digits of the SHA-1 of the
  Chinese name (so the same sheet imported twice gives the same ids); pairings get
  ``P-<helping>-<helped>``; places are keyed by adcode.
* **Merging.** Rows are added or replaced by id; columns the sheet lacks, and empty cells, keep
  the current value (an import never erases a value). ``updated`` is set to the import date on
  the rows added or changed. With ``replace=True`` the sheet is the whole table: rows it lacks
  are removed (only when every row of the sheet was accepted).
* **Places.** Adcodes or names (``蚌埠市固镇县``, ``固镇县``, ``固镇``) via
  :mod:`geo.gazetteer`, narrowed to the helped unit of the row's pairing. A unit that
  ``places.csv`` lacks is added to it from the gazetteer (its seat, an English name in pinyin).
* **Points.** ``经度``/``纬度`` in the coordinate system of the row (``坐标系``), else of the
  header bracket, else of the file (``crs=``); the schema's own ``lon``/``lat`` headers are WGS84.
  Stored as WGS84 (:mod:`geo.coords`). A row without coordinates is placed at its unit's seat
  (empty lon/lat, precision ``unit_seat``); with coordinates the precision is ``exact`` unless
  the sheet says otherwise.
* **Defaults for new rows.** ``name_en``: the pinyin of the Chinese name (noted in the report);
  ``source``: ``source=`` or the file's name; ``status``: ``unknown``; ``confidence``:
  ``unconfirmed``; a project's or park's unit: the helped unit of its pairing.
"""

from geo.importer.apply import apply_import, apply_import_to_database
from geo.importer.headers import (
    CRS_ALIASES,
    HEADERS,
    IGNORED_HEADERS,
    IMPORT_LAYERS,
    READING,
    VALUE_ALIASES,
    ImportLayer,
    markdown,
)
from geo.importer.layers import generated_id
from geo.importer.merge import merge_sources, plan_import
from geo.importer.normalise import (
    cell_text,
    normalise_amount,
    normalise_date,
    pinyin_name,
    place_english,
)
from geo.importer.problems import ImportPlan, ImportProblem
from geo.importer.read import Sheet, decode, read_sheets

__all__ = [
    "CRS_ALIASES",
    "HEADERS",
    "IGNORED_HEADERS",
    "IMPORT_LAYERS",
    "READING",
    "VALUE_ALIASES",
    "ImportLayer",
    "ImportPlan",
    "ImportProblem",
    "Sheet",
    "apply_import",
    "apply_import_to_database",
    "cell_text",
    "decode",
    "generated_id",
    "markdown",
    "merge_sources",
    "normalise_amount",
    "normalise_date",
    "pinyin_name",
    "place_english",
    "plan_import",
    "read_sheets",
]
