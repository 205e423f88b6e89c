"""Earning over a whole store at once: rules as SQL and column arithmetic, one bulk insert.

``bulk.credit_orders`` works on a batch of orders already read into Python; over ten million
orders the per-order Python (Decimal arithmetic, filter trees, one dict per entry) is what
costs. Here one query reads the orders that have not earned (id, customer, time, amount in
cents, and one 0/1 column per rule with a ``when`` filter, compiled to SQL), one grouped query
per line rule sums the cents of its matching lines (the line filter compiled to SQL), and
Polars does the rest in integers:

    plain  = ⌊ base_cents × per_unit ⌋ / 100 + per_order      (per_unit as an exact fraction)
    amount = ⌊ plain × multiplier(tier) ⌋                     (the multiplier as a fraction)

A cap is a running total over the member's day (or month) in the order of (ordered_at, id),
starting from what the rule earned there before: an order takes ``min(cap, seen + S) −
min(cap, seen + S − amount)`` where S is the running sum, exactly what taking order by order
gives. A rule with both a day and a month cap is taken order by order (its rows only). The
lots go in through ``storage.bulk.write_frame`` (staging file on SQLite, COPY on PostgreSQL)
with ``ON CONFLICT DO NOTHING`` on (programme, key): the same keys as order by order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    select,
    type_coerce,
    update,
)

from tenure.domains.customers.models import Customer
from tenure.domains.loyalty import ledger
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.definition import EarnRule, ExpiryPolicy
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.models import EntryKind, LoyaltyAccount, LoyaltyEntry
from tenure.domains.loyalty.periods import lot_expiry
from tenure.domains.orders.models import Order, OrderLine, OrderStatus
from tenure.kit import filters
from tenure.storage.base import table_of
from tenure.storage.bulk import secondary_indexes_deferred, write_frame

SAFE = 2**62  # products above this could overflow Int64: such a programme takes the slow path
TS = "%Y-%m-%d %H:%M:%S%.f"
FETCH_ROWS = 500_000  # rows of a query turned into a frame at a time (bounds the tuples held)


def _cents(column: Any) -> Any:
    return cast(func.round(column * 100), BigInteger)


def _order_columns() -> dict[str, Any]:
    line_count = select(func.count()).where(OrderLine.order_id == Order.id).scalar_subquery()
    return {
        "amount": Order.amount,
        "discount": func.coalesce(Order.discount, 0),
        "channel": Order.channel,
        "currency": Order.currency,
        "line_count": line_count,
        "customer_country": Customer.country,
        "customer_region": Customer.region,
        "customer_city": Customer.city,
        "customer_acquisition_channel": Customer.acquisition_channel,
        "customer_industry": Customer.industry,
    }


def _line_columns() -> dict[str, Any]:
    return {
        "category": OrderLine.category,
        "product_id": OrderLine.product_id,
        "product_name": OrderLine.product_name,
        "quantity": OrderLine.quantity,
        "unit_price": OrderLine.unit_price,
        "line_amount": OrderLine.quantity * func.coalesce(OrderLine.unit_price, 0),
    }


def joined_before(book: Book) -> Any:
    """Return the condition that the order's customer had joined the programme by then."""
    return exists().where(
        and_(
            LoyaltyAccount.programme_id == book.id,
            LoyaltyAccount.customer_id == Order.customer_id,
            LoyaltyAccount.joined_at <= Order.ordered_at,
        )
    )


def _unearned(book: Book, since: datetime | None, until: datetime) -> list[Any]:
    earned = exists().where(
        and_(
            LoyaltyEntry.programme_id == book.id,
            LoyaltyEntry.order_id == Order.id,
            LoyaltyEntry.kind == EntryKind.EARN.value,
        )
    )
    found = [Order.status == OrderStatus.PAID.value, Order.ordered_at <= until, ~earned]
    if book.programme.opt_in:
        found.append(joined_before(book))
    if since is not None:
        found.append(Order.ordered_at >= since)
    return found


def _time(conn: Connection, column: Any) -> Any:
    # SQLite keeps text: read it as text and parse it in Polars, not row by row in Python
    return type_coerce(column, String) if conn.dialect.name == "sqlite" else column


def _as_utc(frame: pl.DataFrame, name: str) -> pl.Expr:
    if frame.schema[name] == pl.String:
        return pl.col(name).str.to_datetime(TS, time_unit="us").dt.replace_time_zone("UTC")
    return pl.col(name).cast(pl.Datetime("us", "UTC"))


def _read(conn: Connection, query: Any, names: list[str]) -> pl.DataFrame:
    """Run ``query`` and return its rows as a frame of columns ``names`` (types as they come).

    The driver's tuples go to Polars a slice at a time, without a SQLAlchemy row object
    each (at ten million rows those cost more than the query); the columns read here need
    no conversion on the way (times come as text on SQLite, aware on PostgreSQL).
    """
    result = conn.execute(query)
    cursor = result.cursor
    parts = []
    try:
        while rows := cursor.fetchmany(FETCH_ROWS):
            parts.append(pl.DataFrame(rows, schema=names, orient="row", strict=False))
    finally:
        result.close()
    if not parts:
        return pl.DataFrame({name: [] for name in names})
    return pl.concat(parts, how="vertical_relaxed")


def _read_orders(
    conn: Connection, book: Book, since: datetime | None, until: datetime
) -> pl.DataFrame:
    columns = _order_columns()
    flags = [
        case((filters.to_sql(rule.when, columns), 1), else_=0).label(f"when_{i}")
        for i, rule in enumerate(book.programme.earn)
        if rule.when is not None
    ]
    query = (
        select(
            Order.id.label("order_id"),
            Order.customer_id,
            _time(conn, Order.ordered_at).label("ordered_at"),
            _cents(Order.amount).label("cents"),
            *flags,
        )
        .join(Customer, Customer.id == Order.customer_id)
        .where(*_unearned(book, since, until))
    )
    names = ["order_id", "customer_id", "ordered_at", "cents", *(f.name for f in flags)]
    frame = _read(conn, query, names)
    if frame.height == 0:
        return frame.with_columns(
            pl.col("order_id", "customer_id", "cents").cast(pl.Int64),
            pl.col("ordered_at").cast(pl.Datetime("us", "UTC")),
        )
    return frame.with_columns(
        _as_utc(frame, "ordered_at"), pl.col("order_id", "customer_id", "cents").cast(pl.Int64)
    ).sort("ordered_at", "order_id")


def _read_line_bases(
    conn: Connection, book: Book, lines: dict[str, Any], since: datetime | None, until: datetime
) -> pl.DataFrame:
    line_cents = OrderLine.quantity * func.coalesce(_cents(OrderLine.unit_price), 0)
    query = (
        select(OrderLine.order_id, cast(func.sum(line_cents), BigInteger))
        .join(Order, Order.id == OrderLine.order_id)
        .where(*_unearned(book, since, until), filters.to_sql(lines, _line_columns()))
        .group_by(OrderLine.order_id)
    )
    return _read(conn, query, ["order_id", "base"]).cast(pl.Int64)


def _ratio(value: Any) -> tuple[int, int]:
    found = Fraction(value)
    return found.numerator, found.denominator


def _multiplier(rule: EarnRule) -> tuple[pl.Expr, pl.Expr]:
    num: pl.Expr = pl.lit(1, pl.Int64)
    den: pl.Expr = pl.lit(1, pl.Int64)
    for tier, factor in rule.multipliers.items():
        n, d = _ratio(factor)
        num = pl.when(pl.col("tier") == tier).then(pl.lit(n, pl.Int64)).otherwise(num)
        den = pl.when(pl.col("tier") == tier).then(pl.lit(d, pl.Int64)).otherwise(den)
    return num, den


def _window(rule_cap: str, zone: str) -> pl.Expr:
    local = pl.col("ordered_at").dt.convert_time_zone(zone)
    if rule_cap == "day":
        return local.dt.date().cast(pl.Int64)
    return local.dt.year().cast(pl.Int64) * 12 + local.dt.month().cast(pl.Int64)


def _window_of(at: datetime, rule_cap: str, zone: str) -> int:
    local = at.astimezone(ZoneInfo(zone))
    if rule_cap == "day":
        return (local.date() - datetime(1970, 1, 1).date()).days
    return local.year * 12 + local.month


def _seen(
    conn: Connection, book: Book, rule: EarnRule, start: datetime, end: datetime
) -> list[tuple[int, datetime, int]]:
    rows = conn.execute(
        select(LoyaltyEntry.account_id, LoyaltyEntry.occurred_at, LoyaltyEntry.amount).where(
            LoyaltyEntry.programme_id == book.id,
            LoyaltyEntry.kind == EntryKind.EARN.value,
            LoyaltyEntry.rule == rule.key,
            LoyaltyEntry.occurred_at >= start,
            LoyaltyEntry.occurred_at < end,
        )
    )
    return [(int(a), at, int(n)) for a, at, n in rows]


def _cap(conn: Connection, book: Book, rule: EarnRule, frame: pl.DataFrame) -> pl.DataFrame:
    """Apply the rule's caps to its earnings (``frame`` in order of ordered_at, order id)."""
    zone = book.programme.timezone
    caps = [(c, name) for c, name in ((rule.cap_day, "day"), (rule.cap_month, "month")) if c]
    if not caps or frame.height == 0:
        return frame
    first, last = frame["ordered_at"][0], frame["ordered_at"][-1]  # in time order
    seen = _seen(conn, book, rule, first - timedelta(days=32), last + timedelta(days=32))
    totals: dict[tuple[str, int, int], int] = defaultdict(int)
    for account, at, amount in seen:
        for _, name in caps:
            totals[(name, account, _window_of(at, name, zone))] += amount
    if len(caps) == 2:  # both: taken order by order, as the ledger would
        taken = []
        day_w = frame.select(_window("day", zone)).to_series().to_list()
        month_w = frame.select(_window("month", zone)).to_series().to_list()
        for account, amount, day, month in zip(
            frame["account_id"].to_list(), frame["amount"].to_list(), day_w, month_w, strict=True
        ):
            keys = (("day", account, day), ("month", account, month))
            take = max(min(amount, caps[0][0] - totals[keys[0]], caps[1][0] - totals[keys[1]]), 0)
            for key in keys:
                totals[key] += take
            taken.append(take)
        return frame.with_columns(pl.Series("amount", taken, dtype=pl.Int64))
    cap, name = caps[0]
    before = pl.DataFrame(
        {
            "account_id": [k[1] for k in totals],
            "window": [k[2] for k in totals],
            "seen": list(totals.values()),
        },
        schema={"account_id": pl.Int64, "window": pl.Int64, "seen": pl.Int64},
    )
    running = pl.col("amount").cum_sum().over("account_id", "window")
    return (
        frame.with_columns(_window(name, zone).alias("window"))
        .join(before, on=["account_id", "window"], how="left", maintain_order="left")
        .with_columns(pl.col("seen").fill_null(0))
        .with_columns((pl.col("seen") + running).alias("_upto"))
        .with_columns(
            (
                pl.min_horizontal(pl.lit(cap), pl.col("_upto"))
                - pl.min_horizontal(pl.lit(cap), pl.col("_upto") - pl.col("amount"))
            ).alias("amount")
        )
        .drop("window", "seen", "_upto")
    )


def _accounts(conn: Connection, book: Book, orders: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Open every customer's account (joined at their first order here); return the ids."""
    first = orders.group_by("customer_id").agg(pl.col("ordered_at").min().alias("joined_at"))
    write_frame(
        conn,
        table_of(LoyaltyAccount),
        first.select(
            pl.lit(book.id, pl.Int64).alias("programme_id"),
            "customer_id",
            "joined_at",
            pl.col("joined_at").alias("touched_at"),
        ),
        key=["programme_id", "customer_id"],
        skip_existing=True,
    )
    found = _read(
        conn,
        select(LoyaltyAccount.id, LoyaltyAccount.customer_id).where(
            LoyaltyAccount.programme_id == book.id
        ),
        ["account_id", "customer_id"],
    ).cast(pl.Int64)
    return found.join(first.select("customer_id"), on="customer_id", how="semi")


def _lot_times(book: Book) -> list[pl.Expr]:
    programme = book.programme
    available = pl.col("ordered_at") + pl.duration(days=programme.pending_days)
    expiry = programme.expiry
    if expiry.policy == ExpiryPolicy.LOT_DAYS and expiry.days is not None:
        expires = available + pl.duration(days=expiry.days)
    elif expiry.policy == ExpiryPolicy.END_OF_PERIOD:
        expires = available.map_elements(
            lambda at: lot_expiry(programme, at.replace(tzinfo=UTC)),
            return_dtype=pl.Datetime("us", "UTC"),
        )
    else:
        expires = pl.lit(None, pl.Datetime("us", "UTC"))
    return [available.alias("available_at"), expires.alias("expires_at")]


def _empty_ledger(conn: Connection) -> bool:
    """Tell whether the ledger holds no entry of any programme (a first pass on SQLite)."""
    if conn.dialect.name != "sqlite":
        # PostgreSQL would hold DROP INDEX's ACCESS EXCLUSIVE lock to the commit: every reader
        # of the ledger (a balance, a statement) would wait for the whole pass
        return False
    return conn.execute(select(LoyaltyEntry.id).limit(1)).first() is None


def expressible(book: Book) -> bool:
    """Tell whether the rules fit the integer arithmetic here (they nearly always do)."""
    for rule in book.programme.earn:
        n, _ = _ratio(rule.per_unit)
        m = max([_ratio(f)[0] for f in rule.multipliers.values()] or [1])
        if n * 10**13 > SAFE or (rule.per_order + 10**13 * max(n, 1)) * m > SAFE:
            return False
    return True


def earn_all(
    conn: Connection,
    book: Book,
    until: datetime,
    *,
    since: datetime | None = None,
    tiers: Mapping[int, str] | None = None,
) -> tuple[int, int, int]:
    """Credit the paid orders up to ``until`` not yet earned; return (orders, entries, points)."""
    programme = book.programme
    orders = _read_orders(conn, book, since, until)
    if orders.height == 0:
        return 0, 0, 0
    accounts = _accounts(conn, book, orders, until)
    # the accounts' locks, in one statement (the same rows lock_accounts would take)
    conn.execute(
        update(LoyaltyAccount)
        .where(
            LoyaltyAccount.programme_id == book.id,
            LoyaltyAccount.customer_id.in_(
                select(Order.customer_id).where(*_unearned(book, since, until))
            ),
        )
        .values(touched_at=until)
    )
    tier_frame = pl.DataFrame(
        {"customer_id": list((tiers or {}).keys()), "tier": list((tiers or {}).values())},
        schema={"customer_id": pl.Int64, "tier": pl.String},
    )
    orders = orders.join(accounts, on="customer_id", how="left", maintain_order="left").join(
        tier_frame, on="customer_id", how="left", maintain_order="left"
    )
    parts = []
    for i, rule in enumerate(programme.earn):
        frame = orders if rule.when is None else orders.filter(pl.col(f"when_{i}") == 1)
        if rule.lines is None:
            frame = frame.with_columns(pl.col("cents").alias("base"))
        else:
            bases = _read_line_bases(conn, book, rule.lines, since, until)
            frame = frame.join(bases, on="order_id", how="inner", maintain_order="left")
        lowest = int(rule.min_amount * 100)
        pn, pd = _ratio(rule.per_unit)
        mn, md = _multiplier(rule)
        frame = (
            frame.filter((pl.col("base") >= lowest) & (pl.col("base") > 0))
            .with_columns(
                ((pl.col("base") * pn).floordiv(100 * pd) + rule.per_order).alias("plain")
            )
            .with_columns((pl.col("plain") * mn).floordiv(md).alias("amount"))
            .filter(pl.col("amount") > 0)
            .select("order_id", "account_id", "ordered_at", "cents", "amount")
        )
        frame = _cap(conn, book, rule, frame).filter(pl.col("amount") > 0)
        parts.append(frame.with_columns(pl.lit(rule.key).alias("rule")))
    found = pl.concat(parts)
    entries = (
        found.select(
            pl.lit(book.id, pl.Int64).alias("programme_id"),
            "account_id",
            pl.concat_str(
                pl.lit("order:"), pl.col("order_id").cast(pl.String), pl.lit(":"), pl.col("rule")
            ).alias("key"),
            pl.lit(EntryKind.EARN.value).alias("kind"),
            "amount",
            "ordered_at",
            pl.lit(until.astimezone(UTC)).alias("recorded_at"),
            *_lot_times(book),
            "order_id",
            "rule",
            # cents as a decimal of scale 2 before dividing: scale 0 ÷ 100 drops the cents
            (pl.col("cents").cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)).alias("basis"),
        )
        .rename({"ordered_at": "occurred_at"})
        .sort("key")
    )  # the unique index fills in order
    table = table_of(LoyaltyEntry)
    # into an empty ledger without its secondary indexes, built once after: at millions of
    # rows that costs less than keeping them up row by row. On SQLite this transaction holds
    # the store's one write lock (nobody else writes meanwhile; readers keep their snapshot)
    with secondary_indexes_deferred(conn, table) if _empty_ledger(conn) else nullcontext():
        written = write_frame(conn, table, entries, key=["programme_id", "key"], skip_existing=True)
    points = int(entries["amount"].sum())
    if written != entries.height:  # another writer took some keys: count what is ours
        keys = entries["key"].to_list()
        points = 0
        for at in range(0, len(keys), repo.CHUNK):
            points += int(
                conn.scalar(
                    select(func.coalesce(func.sum(LoyaltyEntry.amount), 0)).where(
                        LoyaltyEntry.programme_id == book.id,
                        LoyaltyEntry.recorded_at == until,
                        LoyaltyEntry.key.in_(keys[at : at + repo.CHUNK]),
                    )
                )
                or 0
            )
    # only a reversal leaves a debt: look among the accounts that have one (every reversal
    # names its lot: the partial index of reverses_id finds them without reading the ledger)
    reversed_ = set(
        conn.scalars(
            select(LoyaltyEntry.account_id)
            .where(
                LoyaltyEntry.reverses_id.is_not(None),
                LoyaltyEntry.programme_id == book.id,
                LoyaltyEntry.kind == EntryKind.REVERSE.value,
            )
            .distinct()
        )
    )
    ours = sorted(reversed_ & set(accounts["account_id"].to_list()))
    for account in repo.owing_accounts(conn, ours):
        ledger.settle(conn, account, until)
    return orders.height, written, points
