"""CSV cells a spreadsheet opens safely: formulas neutralised, UTF-8 announced with a BOM.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is run as a
formula by Excel and LibreOffice; an export prefixes such text with a single quote, as OWASP
advises ("CSV injection"). Plain numbers (``-12.50``, ``+3``) are left as they are. An import
reads such a cell back without the quote (``unquoted``), so an export imports unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

BOM = "\ufeff"  # Excel reads UTF-8 (names in 中文) only when the file starts with it
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STARTS = r"^[=+\-@\t\r]"
_NUMBER = r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$"
_QUOTED = r"^'[=+\-@\t\r]"


def safe_text(text: str) -> str:
    """Return ``text`` as a spreadsheet shows it and never runs it."""
    if text[:1] in FORMULA_STARTS and re.match(_NUMBER, text) is None:
        return "'" + text
    return text


def cell(value: Any) -> str:
    """Write any value as one safe CSV cell (None: empty; lists and dicts: JSON)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return safe_text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool | int | float | Decimal | date | datetime):
        return str(value)
    return safe_text(str(value))


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Neutralise every text column of ``frame`` (as ``safe_text`` does, column-wise)."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_STARTS) & ~pl.col(name).str.contains(_NUMBER))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def unquoted(frame: pl.DataFrame) -> pl.DataFrame:
    """Undo ``safe_frame`` on text read back from a file: ``'=x`` becomes ``=x``."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_QUOTED))
        .then(pl.col(name).str.slice(1))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )
