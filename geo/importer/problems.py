"""What an import reports: one :class:`ImportProblem` per problem or note, and the
:class:`ImportPlan` that holds them with what would be written."""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.text import printable

# --- problems and the plan -----------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class ImportProblem:
    """One problem (or note) in one place of the imported file.

    ``row`` is the spreadsheet's row number (1 = its first row); ``column`` the header as the
    sheet writes it, with its column letter for XLSX.
    """

    sheet: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    suggestion: str = ""

    def __str__(self) -> str:
        where = printable(self.sheet)
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {printable(self.column)}"
        if self.value not in (None, "") and f'"{self.value}"' not in self.reason:
            where += f' "{printable(self.value)}"'
        text = f"{where}: {printable(self.reason)}"
        if self.suggestion:
            text += f" — {printable(self.suggestion)}"
        return text


@dataclass
class ImportPlan:
    """What an import would do; nothing is written until :func:`apply_import`."""

    file: str
    layer: str
    data_dir: str
    rows_read: int = 0
    rows_accepted: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[ImportProblem] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    places_added: list[str] = field(default_factory=list)
    rejected_rows: list[tuple[str, int]] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)
    version_before: str = ""
    version_after: str = ""

    @property
    def ok(self) -> bool:
        """No problem: every row was accepted."""
        return not self.problems

    @property
    def writable(self) -> bool:
        """There is something to write (possibly after rejecting rows)."""
        return bool(self.contents)

    def report(self) -> str:
        """Every problem and note, then the changes, for people."""
        out = [f"{printable(self.file)} → {self.layer}: {self.rows_read} row(s) read"]
        if self.problems:
            rejected = len(self.rejected_rows)
            out.append(
                f"{len(self.problems)} problem(s)"
                + (f"; {rejected} row(s) rejected" if rejected else "")
                + ":"
            )
            out += [f"  {p}" for p in self.problems]
        if self.notes:
            out.append(f"{len(self.notes)} note(s):")
            out += [f"  {n}" for n in _grouped(self.notes)]
        out.append(self.summary())
        for label, ids in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
            ("places added", self.places_added),
        ):
            if ids:
                more = f", … and {len(ids) - 30} more" if len(ids) > 30 else ""
                out.append(f"  {label}: {', '.join(ids[:30])}{more}")
        return "\n".join(out)

    def summary(self) -> str:
        """One line: the counts."""
        text = (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged"
        )
        if self.places_added:
            text += f"; {len(self.places_added)} place(s) added to places.csv"
        return text


#: A note said on more rows than this is printed once, with its rows.
GROUP_NOTES = 5


def _grouped(notes: list[ImportProblem]) -> list[str]:
    """The notes as lines; the same note on many rows is one line naming how many and which."""
    groups: dict[tuple, list[ImportProblem]] = {}
    for n in notes:
        groups.setdefault((n.sheet, n.column, n.value, n.reason, n.suggestion), []).append(n)
    lines: list[tuple[tuple, str]] = []
    for same in groups.values():
        if len(same) <= GROUP_NOTES:
            lines += [(problem_order(n), str(n)) for n in same]
            continue
        first = same[0]
        rows = ", ".join(str(n.row) for n in same[:3] if n.row is not None)
        text = f"{printable(first.sheet)}, {len(same):,} rows ({rows}, …)"
        if first.column:
            text += f", column {printable(first.column)}"
        text += f": {printable(first.reason)}"
        if first.suggestion:
            text += f" — {printable(first.suggestion)}"
        lines.append((problem_order(first), text))
    return [line for _, line in sorted(lines, key=lambda kv: kv[0])]


def problem_order(p: ImportProblem) -> tuple:
    """How problems and notes are listed: by sheet, row, column and reason."""
    return (p.sheet, p.row if p.row is not None else -1, p.column or "", p.reason)
