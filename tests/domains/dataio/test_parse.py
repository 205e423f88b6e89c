"""Property tests of the cell parsers: what is written is what is read, whatever the input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.domains.dataio.fields import FieldSpec, Kind
from tenure.domains.dataio.parse import parse

MONEY = FieldSpec("amount", Kind.MONEY)
WHEN = FieldSpec("at", Kind.DATETIME)
amounts = st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2)


@given(amounts, st.sampled_from(["{}", "${}", "¥{}", "€ {}"]))
def test_money_reads_back_exactly(amount: Decimal, template: str) -> None:
    parsed = parse(pl.Series([template.format(amount)]), MONEY, timezone="UTC")
    assert parsed.values.to_list() == [amount]
    assert not parsed.bad.any()


@given(amounts)
def test_money_with_thousands_separators(amount: Decimal) -> None:
    parsed = parse(pl.Series([f"{amount:,}"]), MONEY, timezone="UTC")
    assert parsed.values.to_list() == [amount]


@given(st.text(max_size=30))
@settings(max_examples=300)
def test_any_text_is_read_or_refused_never_crashes(cell: str) -> None:
    for spec in (
        MONEY,
        WHEN,
        FieldSpec("n", Kind.INT),
        FieldSpec("d", Kind.DATE),
        FieldSpec("b", Kind.BOOL),
    ):
        parsed = parse(pl.Series([cell]), spec, timezone="Asia/Shanghai")
        assert parsed.values.len() == 1
        # a cell is either read or flagged bad, unless it was empty
        assert parsed.values.is_null()[0] == parsed.bad[0] or cell.strip() == ""


moments = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2150, 1, 1))
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60)


@given(moments, offsets, st.sampled_from(["iso", "space", "zulu"]))
def test_aware_datetimes_read_back_as_the_same_instant(
    moment: datetime, minutes: int, style: str
) -> None:
    zone = UTC if style == "zulu" else timezone(timedelta(minutes=minutes))
    aware = moment.replace(tzinfo=zone)
    text = aware.isoformat(sep="T" if style != "space" else " ")
    if style == "zulu":
        text = text.replace("+00:00", "Z")
    parsed = parse(pl.Series([text]), WHEN, timezone="Asia/Shanghai")
    assert parsed.values.to_list() == [aware.astimezone(UTC)]


@given(moments)
def test_naive_datetimes_are_read_in_the_business_time_zone(moment: datetime) -> None:
    text = moment.isoformat(sep=" ")
    parsed = parse(pl.Series([text]), WHEN, timezone="Asia/Shanghai")
    shanghai = timezone(timedelta(hours=8))  # no daylight saving since 1991
    if moment.year > 1991:
        assert parsed.values.to_list() == [moment.replace(tzinfo=shanghai).astimezone(UTC)]
