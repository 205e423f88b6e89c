"""Write the rows an import left out, with the reasons, to a file the user can fix."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import IO

import polars as pl

from tenure.domains.dataio.readers import ROW
from tenure.domains.dataio.validate import CheckedBatch


def rejected_path(path: Path) -> Path:
    """Return ``orders.rejected.csv`` for ``orders.csv`` (any input format)."""
    return path.with_name(f"{path.stem}.rejected.csv")


class RejectWriter:
    """Appends bad rows as they are found: the file's own columns, then ``row`` and ``reason``."""

    def __init__(self, source: Path, columns: list[str]) -> None:
        self.path = rejected_path(source)
        self.columns = columns
        self.handle: IO[bytes] | None = None

    def write(self, checked: CheckedBatch) -> None:
        """Add the rows of ``checked`` that have problems."""
        reasons: dict[int, list[str]] = defaultdict(list)
        for problem in checked.problems:
            where = f"{problem.column}: " if problem.column else ""
            reasons[problem.row].append(f"{where}{problem.reason}")
        bad = checked.source.filter(pl.col(ROW).is_in(list(reasons)))
        frame = bad.select(
            *self.columns,
            pl.col(ROW).alias("row"),
            pl.col(ROW)
            .replace_strict({r: "; ".join(v) for r, v in reasons.items()}, return_dtype=pl.String)
            .alias("reason"),
        )
        first = self.handle is None
        if self.handle is None:
            self.handle = self.path.open("wb")
        frame.write_csv(self.handle, include_header=first)

    def close(self) -> str | None:
        """Close the file; return its path, or None when no row was rejected."""
        if self.handle is None:
            return None
        self.handle.close()
        return str(self.path)
