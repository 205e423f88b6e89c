"""Problems found in an import file, each naming the row, the column and the reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one cell (or one row, when ``column`` is empty)."""

    row: int
    column: str
    reason: str
    value: str | None = None

    def describe(self, path: str) -> str:
        """Say it the way a person fixing the file needs it."""
        where = f"{path}: row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        shown = "" if self.value is None else f" (value {self.value[:60]!r})"
        return f"{where}: {self.reason}{shown}"
