"""The few exceptions of ``geo``: each carries what a person needs to fix the input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from geo.text import printable


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one place of one data file.

    ``row`` is the line number in the file (the header is line 1, the first record line 2);
    ``None`` when the problem concerns the whole file or a whole column.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = printable(self.file)
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {printable(self.column)}"
        return f"{where}: {printable(self.message)}"


class DataError(Exception):
    """The data does not validate; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem], data_dir: str = "") -> None:
        self.problems = sorted(set(problems), key=_sort_key)
        self.data_dir = data_dir
        super().__init__(self.report())

    def report(self) -> str:
        """A report for people: one line per problem, with a count."""
        head = f"{len(self.problems)} problem(s) in the data"
        if self.data_dir:
            head += f" in {printable(self.data_dir)}"
        return head + ":\n" + "\n".join(f"  {p}" for p in self.problems)


def _sort_key(p: Problem) -> tuple:
    return (p.file, p.row if p.row is not None else -1, p.column or "", p.message)
