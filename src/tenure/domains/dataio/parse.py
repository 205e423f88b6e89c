"""Vectorised parsers: a column of text in, typed values and the rows that failed out.

Every parser returns ``Parsed(values, bad, reason)``: ``bad`` is true where a non-empty cell
could not be read, and ``reason`` says why in words a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tenure.domains.dataio.fields import FieldSpec, Kind
from tenure.kit.zones import known_zones

MONEY = pl.Decimal(18, 2)
UTC_TS = pl.Datetime("us", "UTC")

_AWARE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%:z")
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_ISO_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f")
_MONEY_PATTERN = r"^-?(\d+|\d{1,3}(,\d{3})+)(\.\d{1,2})?$"
_TRUE = ("true", "t", "yes", "y", "1", "是", "on")
_FALSE = ("false", "f", "no", "n", "0", "否", "off")


@dataclass(frozen=True)
class Parsed:
    """Typed values (null where empty or bad), a mask of bad cells, and the reason."""

    values: pl.Series
    bad: pl.Series
    reason: str


def _failed(text: pl.Series, values: pl.Series) -> pl.Series:
    return text.is_not_null() & values.is_null()


def parse_text(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Keep text; too long is an error (never truncated silently)."""
    if spec.max_len is None:
        return Parsed(text, pl.Series([False] * text.len()), "")
    bad = text.str.len_chars() > spec.max_len
    return Parsed(text, bad.fill_null(False), f"longer than {spec.max_len} characters")


def parse_int(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Read whole numbers within the field's bounds."""
    values = text.cast(pl.Int64, strict=False)
    bad = _failed(text, values)
    reason = "not a whole number"
    if spec.minimum is not None or spec.maximum is not None:
        low = spec.minimum if spec.minimum is not None else -(2**62)
        high = spec.maximum if spec.maximum is not None else 2**62
        out_of_range = (values < low) | (values > high)
        bad = bad | out_of_range.fill_null(False)
        reason = f"not a whole number from {low} to {high}"
        values = pl.select(pl.when(out_of_range).then(None).otherwise(values)).to_series()
    return Parsed(values, bad, reason)


def parse_money(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Read amounts with at most two decimal places; a leading currency sign is allowed."""
    cleaned = text.str.replace(r"^[$€£¥￥]\s*", "").str.replace(r"^(-)[$€£¥￥]\s*", "$1")
    well_formed = cleaned.str.contains(_MONEY_PATTERN).fill_null(False)
    plain = cleaned.str.replace_all(",", "")
    values = pl.select(pl.when(well_formed).then(plain).otherwise(None)).to_series()
    values = values.cast(MONEY, strict=False)
    negative = (values < 0).fill_null(False)
    values = pl.select(pl.when(negative).then(None).otherwise(values)).to_series()
    reason = "not an amount ≥ 0 with at most two decimals (e.g. 1234.50)"
    return Parsed(values, _failed(text, values), reason)


def _read_datetimes(text: pl.Series, formats: tuple[str, ...], timezone: str) -> pl.Series:
    """Try ``formats`` in turn, stopping once every non-empty cell has been read."""
    values = pl.Series([None] * text.len(), dtype=UTC_TS)
    wanted = text.is_not_null().sum()
    for fmt in formats:
        parsed = text.str.to_datetime(fmt, strict=False, time_unit="us")
        if parsed.dtype.time_zone is None:  # type: ignore[attr-defined]
            parsed = parsed.dt.replace_time_zone(
                timezone, ambiguous="earliest", non_existent="null"
            )
        values = values.fill_null(parsed.dt.convert_time_zone("UTC"))
        if values.is_not_null().sum() == wanted:
            break
    return values


def parse_datetime(text: pl.Series, spec: FieldSpec, *, timezone: str) -> Parsed:
    """Read ISO-like date-times; those without a zone are in the business time zone."""
    # Fast path: the two spellings most exports use, read as they are.
    values = _read_datetimes(text, _ISO_FORMATS, timezone)
    left = text.is_not_null() & values.is_null()
    if left.any():
        # The rest: T or space, Z, "+08:00" or " -0500", slashes, minutes only, dates only.
        rest = text.filter(left)
        norm = rest.str.replace("T", " ", literal=True).str.replace(r"Z$", "+00:00")
        norm = norm.str.replace(r"\s+([+-]\d{2}:?\d{2})$", "$1")  # "10:22:11 -0500" (Shopify)
        norm = norm.str.replace_all("/", "-", literal=True)
        read = _read_datetimes(norm, _AWARE_FORMATS + _NAIVE_FORMATS, timezone)
        values = values.scatter(left.arg_true(), read)
    year = values.dt.year()
    implausible = ((year < 1900) | (year > 2200)).fill_null(False)
    values = pl.select(pl.when(implausible).then(None).otherwise(values)).to_series()
    reason = "not a date-time (expected YYYY-MM-DD, optionally HH:MM[:SS] and a zone like +08:00)"
    return Parsed(values, _failed(text, values), reason)


def parse_date(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Read calendar dates written YYYY-MM-DD (or with slashes)."""
    norm = text.str.replace_all("/", "-", literal=True).str.slice(0, 10)
    values = norm.str.to_date("%Y-%m-%d", strict=False)
    trailing = text.str.len_chars() > 10
    has_time = text.str.contains(r"^\d{4}.\d{1,2}.\d{1,2}[ T]00:00(:00)?$").fill_null(False)
    values = pl.select(pl.when(trailing & ~has_time).then(None).otherwise(values)).to_series()
    return Parsed(values, _failed(text, values), "not a date (expected YYYY-MM-DD)")


def parse_bool(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Read yes/no in the usual spellings (true/false, yes/no, 1/0, 是/否)."""
    low = text.str.to_lowercase()
    values = pl.select(
        pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False).otherwise(None)
    ).to_series()
    return Parsed(values, _failed(text, values), "not yes/no (true/false, yes/no, 1/0)")


def parse_choice(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Read one of a fixed set of values; common synonyms are accepted."""
    lookup = {alias: canonical for canonical, names in spec.choices.items() for alias in names}
    low = text.str.to_lowercase()
    values = low.replace_strict(lookup, default=None, return_dtype=pl.String)
    return Parsed(values, _failed(text, values), f"not one of {', '.join(spec.choices)}")


def parse_tags(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Split a list written with commas, semicolons or bars; store it as a JSON array."""
    parts = text.str.replace_all(r"\s*[;|]\s*", ",").str.split(",")
    cleaned = parts.list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    encoded = pl.DataFrame({"t": cleaned}).select(pl.struct("t").struct.json_encode()).to_series()
    # {"t":[...]} -> [...]; empty cells stay empty rather than becoming the text "null".
    as_json = encoded.str.slice(5).str.strip_suffix("}")
    values = pl.select(pl.when(text.is_null()).then(None).otherwise(as_json)).to_series()
    return Parsed(values, pl.Series([False] * text.len()), "")


def parse_timezone(text: pl.Series, spec: FieldSpec) -> Parsed:
    """Read an IANA time zone in any case ("asia/shanghai"), stored as the database spells it."""
    lookup = {name.lower(): name for name in known_zones()}
    values = text.str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)
    return Parsed(values, _failed(text, values), "not an IANA time zone (e.g. Asia/Shanghai)")


def parse(text: pl.Series, spec: FieldSpec, *, timezone: str) -> Parsed:
    """Dispatch on the field's kind."""
    if spec.kind is Kind.DATETIME:
        return parse_datetime(text, spec, timezone=timezone)
    parser = {
        Kind.TEXT: parse_text,
        Kind.INT: parse_int,
        Kind.MONEY: parse_money,
        Kind.DATE: parse_date,
        Kind.BOOL: parse_bool,
        Kind.CHOICE: parse_choice,
        Kind.TAGS: parse_tags,
        Kind.TIMEZONE: parse_timezone,
    }[spec.kind]
    return parser(text, spec)
