"""Read CSV, TSV, Parquet and XLSX files as batches of text columns with their row numbers.

Every cell arrives as text (or null when empty) so that one set of parsers checks every
format alike, and every problem can name the row a person sees in the file: the header is
row 1, the first record row 2.
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tenure.kit.errors import InvalidInput
from tenure.kit.spreadsheet import unquoted
from tenure.storage import staging

ROW = "__row"
TEXT_FORMATS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": ","}
FORMATS = (*TEXT_FORMATS, ".parquet", ".pq", ".xlsx")


@dataclass
class Source:
    """An opened import file: its header and an iterator of text batches."""

    path: Path
    columns: list[str]
    batches: Iterator[pl.DataFrame]
    cleanup: Path | None = None

    def close(self) -> None:
        """Remove the transcoded copy, if one was made."""
        if self.cleanup is not None:
            self.cleanup.unlink(missing_ok=True)


def _check_utf8(path: Path, encoding: str) -> None:
    """Fail with the row and byte of the first undecodable byte, before reading anything."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 1
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                row = lines + chunk[: exc.start].count(b"\n")
                raise InvalidInput(
                    f"{path}: row {row}: byte {bad} is not valid {encoding} text. "
                    "Save the file as UTF-8, or name its encoding with --encoding "
                    "(e.g. --encoding gbk for files from Chinese Excel, latin-1 for older "
                    "Western ones)."
                ) from exc
            offset += len(chunk)
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{path}: row {lines}: the file ends in the middle of a {encoding} character "
            "(cut short while copying?)"
        ) from None


def _transcode(path: Path, encoding: str) -> Path:
    """Copy a file in another encoding to a temporary UTF-8 file (Polars reads UTF-8 only)."""
    out = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed below, deleted by Source.close)
        "w",
        prefix=staging.temporary_name("transcode"),
        suffix=path.suffix,
        delete=False,
        encoding="utf-8",
    )
    with path.open(encoding=encoding, newline="") as source, out:
        while block := source.read(1 << 20):
            out.write(block)
    return Path(out.name)


def _sniff_delimiter(path: Path, default: str) -> str:
    with path.open("rb") as handle:
        first = handle.readline()
    if default == "," and first.count(b";") > first.count(b","):
        return ";"  # European spreadsheets save "CSV" with semicolons
    return default


def _numbered(
    path: Path, batches: Iterator[pl.DataFrame], locate: Callable[[], str] | None = None
) -> Iterator[pl.DataFrame]:
    """Add row numbers; fail naming the file and row when it turns out unreadable midway."""
    start = 2
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pl.exceptions.PolarsError, OSError) as exc:
            where = locate() if locate is not None else f"after row {start - 1}"
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidInput(f"{path}: {where}: cannot be read: {reason}") from None
        # a cell a Tenure export quoted ('=…, kit/spreadsheet.py) reads back as it was
        yield unquoted(batch).with_row_index(ROW, offset=start)
        start += batch.height


def _locate_bad_row(path: Path, separator: str) -> str:
    """Find the first record whose fields do not match the header, or whose quote never ends."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=separator, strict=True)
        row = 1
        try:
            header = next(reader, [])
            for row, record in enumerate(reader, start=2):
                if len(record) != len(header):
                    return f"row {row}: {len(record)} fields where the header has {len(header)}"
        except csv.Error as exc:
            return f"row {row + 1}: {exc} (a quote that is never closed?)"
    return f"row {row}"


def _as_text(frame: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    """Typed columns (Parquet, Excel) become text the parsers read like CSV cells."""
    exprs = []
    for name, dtype in frame.collect_schema().items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            fmt = "%Y-%m-%d %H:%M:%S%.f"
            if dtype.time_zone:
                col = col.dt.convert_time_zone("UTC")
                fmt += "+00:00"
            exprs.append(col.dt.strftime(fmt).alias(name))
        elif dtype in (pl.Float32, pl.Float64):
            exprs.append(col.round(6).cast(pl.String).alias(name))
        elif isinstance(dtype, pl.List | pl.Array) and not dtype.inner.is_nested():
            # a list of plain values (tags, say) reads as the text "a, b"
            exprs.append(col.cast(pl.List(pl.String)).list.join(", ").alias(name))
        elif dtype.is_nested():
            raise InvalidInput(
                f"{path}: column {name!r} holds {dtype}: an import reads one plain value per cell"
            )
        else:
            exprs.append(col.cast(pl.String).alias(name))
    return frame.select(exprs)


def _open_text(path: Path, encoding: str, batch_rows: int) -> Source:
    copy = None
    if encoding.lower().replace("-", "") in ("utf8", "utf8sig"):
        _check_utf8(path, "utf-8")
        readable = path
    else:
        try:
            copy = readable = _transcode(path, encoding)
        except (UnicodeError, LookupError) as exc:
            hint = ""
            if "BOM" in str(exc):
                hint = f" (without a byte-order mark, name the order: {encoding}-le or -be)"
            raise InvalidInput(f"{path}: cannot read as {encoding}: {exc}{hint}") from exc
    separator = _sniff_delimiter(readable, TEXT_FORMATS[path.suffix.lower()])
    lazy = pl.scan_csv(readable, infer_schema=False, separator=separator)
    try:
        columns = lazy.collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        raise InvalidInput(f"{path}: not a readable {path.suffix} file: {exc}") from exc
    batches = _numbered(
        path,
        lazy.collect_batches(chunk_size=batch_rows),
        lambda: _locate_bad_row(readable, separator),
    )
    return Source(path, columns, batches, cleanup=copy)


def _read_xlsx(path: Path) -> pl.DataFrame:
    try:
        return pl.read_excel(path, drop_empty_rows=False, drop_empty_cols=False)
    except (pl.exceptions.PolarsError, OSError):
        raise
    except Exception as exc:  # the Excel reader's own errors (corrupt zip, no sheet …)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(f"{path}: not a readable .xlsx workbook: {reason}") from None


def open_source(path: Path, *, encoding: str = "utf-8", batch_rows: int = 100_000) -> Source:
    """Open ``path`` for import; refuse what cannot be read with a message that says why."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if path.is_dir():
        raise InvalidInput(f"{path}: is a folder; name a file in it")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path}: the file is empty (0 bytes): expected a header row and data")
    suffix = path.suffix.lower()
    if suffix in TEXT_FORMATS:
        return _open_text(path, encoding, batch_rows)
    try:
        if suffix in (".parquet", ".pq"):
            lazy = _as_text(pl.scan_parquet(path), path)
        elif suffix == ".xlsx":
            lazy = _as_text(_read_xlsx(path).lazy(), path)
        else:
            raise InvalidInput(
                f"{path}: unknown file type {suffix!r}: use one of {', '.join(FORMATS)}"
            )
        columns = lazy.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable {suffix} file: {exc}") from exc
    return Source(path, columns, _numbered(path, lazy.collect_batches(chunk_size=batch_rows)))
